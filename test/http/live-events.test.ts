/** `GET /api/live/events` over a real socket: authentication, snapshot then events, resumption, heartbeats, slow clients dropped. */
import http from 'node:http';
import { CallEventBus, type CallEvent } from '../../src/call/events';
import { createAdminRouter } from '../../src/http/admin-api';
import { liveRoutes } from '../../src/http/admin/live-routes';
import { Readiness } from '../../src/http/readiness';
import { createHttpServer, type HttpServer } from '../../src/http/server';
import { LiveFeed } from '../../src/live/live-feed';
import { InMemoryNumberStore } from '../../src/config/number-store';
import { InMemoryCallRecordStore } from '../../src/store/in-memory-call-record-store';
import { TOKEN, auth, silent } from './helpers/admin-app';
import { waitUntil } from '../e2e/harness';

interface SseMessage {
  id?: string;
  event: string;
  data: unknown;
}

/** An open event stream: the messages so far, parsed. */
interface Client {
  status: number;
  messages: SseMessage[];
  raw: () => string;
  ended: () => boolean;
  res: http.IncomingMessage;
  close: () => void;
}

let server: HttpServer;
let base: string;
let bus: CallEventBus;
let feed: LiveFeed;
let allowed = true;
const clients: Client[] = [];

async function start(sse = { heartbeatMs: 50, maxBufferedBytes: 64 * 1024, retryMs: 1000 }): Promise<void> {
  bus = new CallEventBus(silent);
  feed = new LiveFeed(bus);
  const router = createAdminRouter(
    { calls: new InMemoryCallRecordStore(), numbers: new InMemoryNumberStore(), adminToken: TOKEN, live: feed, stillAuthorized: () => () => allowed, logger: silent },
    liveRoutes(sse),
  );
  server = createHttpServer({ logger: silent, readiness: new Readiness(), modules: [{ name: 'api', mount: (app) => app.use('/api', router) }] });
  base = `http://127.0.0.1:${(await server.listen(0, '127.0.0.1')).port}`;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  feed.close();
  await server.close();
  allowed = true;
});

function open(headers: Record<string, string> = auth): Promise<Client> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}/api/live/events`, { headers }, (res) => {
      let raw = '';
      // The end of the stream not yet parsed (an incomplete message): each message is parsed once.
      let unparsed = '';
      let ended = false;
      const messages: SseMessage[] = [];
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        raw += chunk;
        const blocks = (unparsed + chunk).split('\n\n');
        unparsed = blocks.pop() ?? '';
        for (const block of blocks) {
          const fields = block.split('\n').filter((l) => !l.startsWith(':') && l !== '');
          const get = (k: string) => fields.find((l) => l.startsWith(`${k}: `))?.slice(k.length + 2);
          const data = get('data');
          if (data !== undefined) messages.push({ id: get('id'), event: get('event') ?? 'message', data: JSON.parse(data) as unknown });
        }
      });
      const end = () => (ended = true);
      res.on('end', end);
      res.on('close', end);
      res.on('error', end);
      const client: Client = { status: res.statusCode ?? 0, messages, raw: () => raw, ended: () => ended, res, close: () => req.destroy() };
      clients.push(client);
      resolve(client);
    });
    req.on('error', reject);
  });
}

const created: CallEvent = { type: 'call.created', kind: 'direct', number: '+15550001111', from: '+34600000000', destination: '+15550002222', callId: 'call-1', at: 1 };
const partial = (text: string): CallEvent => ({ type: 'utterance.partial', routeId: 'caller->agent', side: 'source', text, callId: 'call-1', at: 2 });

describe('GET /api/live/events', () => {
  it('refuses a request without the token', async () => {
    await start();
    const res = await fetch(`${base}/api/live/events`);
    expect(res.status).toBe(401);
    expect(feed.viewerCount).toBe(0);
  });

  it('sends a snapshot of the calls in progress, then every call event as it happens, with heartbeats', async () => {
    await start();
    bus.publish(created);
    const c = await open();
    expect(c.status).toBe(200);
    expect(c.res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    await waitUntil(() => c.messages.length === 1, 5000, 'the snapshot');
    expect(c.messages[0]).toMatchObject({ event: 'snapshot', data: { events: [created] } });
    bus.publish(partial('hola'));
    await waitUntil(() => c.messages.length === 2, 5000, 'the event');
    expect(c.messages[1]).toMatchObject({ event: 'message', data: partial('hola') });
    expect(c.messages[1].id).toMatch(/-2$/);
    await waitUntil(() => c.raw().includes(': heartbeat'), 5000, 'a heartbeat');
    expect(c.raw()).toMatch(/^retry: 1000\n\n/);
  });

  it('resumes after Last-Event-ID with the events missed only', async () => {
    await start();
    bus.publish(created);
    const first = await open();
    await waitUntil(() => first.messages.length === 1, 5000, 'the snapshot');
    first.close();
    await waitUntil(() => feed.viewerCount === 0, 5000, 'the viewer to leave');
    bus.publish(partial('uno'));
    bus.publish(partial('dos'));
    const again = await open({ ...auth, 'Last-Event-ID': first.messages[0].id! });
    await waitUntil(() => again.messages.length === 2, 5000, 'the missed events');
    expect(again.messages.map((m) => [m.event, (m.data as { text: string }).text])).toEqual([
      ['message', 'uno'],
      ['message', 'dos'],
    ]);
  });

  it('ends the stream at the next heartbeat once what admitted it no longer holds (a console session ended)', async () => {
    await start();
    const c = await open();
    await waitUntil(() => c.messages.length === 1, 5000, 'the snapshot');
    allowed = false;
    await waitUntil(() => c.ended(), 5000, 'the stream to end');
    expect(feed.viewerCount).toBe(0);
  });

  it('drops a client that does not read while events pile up, and keeps serving the others', async () => {
    await start();
    const slow = await open();
    const fast = await open();
    await waitUntil(() => slow.messages.length === 1 && fast.messages.length === 1, 5000, 'the snapshots');
    slow.res.pause();
    const text = 'x'.repeat(16 * 1024);
    // Far more than the socket buffers hold: the slow client's backlog passes the 64 KiB bound.
    for (let i = 0; i < 2000 && feed.viewerCount === 2; i++) {
      bus.publish(partial(text));
      await new Promise((r) => setImmediate(r));
    }
    expect(feed.viewerCount).toBe(1);
    const received = fast.messages.length;
    bus.publish(partial('still here'));
    await waitUntil(() => fast.messages.length > received, 10_000, 'the reading client to get the next event');
  });

  it('ends every stream when the feed closes (tolk stops), so the server can close', async () => {
    await start();
    const c = await open();
    await waitUntil(() => c.messages.length === 1, 5000, 'the snapshot');
    feed.close();
    await waitUntil(() => c.ended(), 5000, 'the stream to end');
  });
});
