/**
 * Property-based tests of every input surface, in process: thousands of generated hostile inputs
 * (media stream messages, Twilio webhooks, admin API requests, numbers files). Whatever arrives,
 * tolk never throws, never answers 5xx, answers a clear 4xx (a short message naming the problem),
 * and a well-behaved media stream running beside a hostile one gets every frame of its audio,
 * intact and in order. The same surfaces are flooded over the network during a live call in
 * test/e2e/hostile-input.e2e.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import request from 'supertest';
import { NumbersConfigError, parseNumbers } from '../../src/config/numbers-file';
import { validateNumberSettings } from '../../src/config/numbers-schema';
import { CallEventBus } from '../../src/call/events';
import { createAdminApi } from '../../src/http/admin-api';
import { MemoryJobQueues } from '../../src/jobs/memory-queues';
import { OutboundCalls, outboundQueueSpec } from '../../src/outbound/outbound-calls';
import { Readiness } from '../../src/http/readiness';
import { createHttpServer, type HttpServer } from '../../src/http/server';
import { openStore, type Store } from '../../src/store/open-store';
import type { TranslateTokenMinter } from '../../src/translate/ephemeral-token';
import { InMemoryReplayStore, MediaStreamSession, StreamTokens, TwilioCounters, type MediaFrame, type MediaSocket } from '../../src/twilio';
import { ACCOUNT, CALL, PUBLIC_URL, SECRET, sign, startEdge, type Edge } from '../twilio/helpers/edge';
import { captureLogger } from '../twilio/helpers/logs';
import { adminRequest, mediaMessage, numbersFileText, webhookParams } from './hostile';

jest.setTimeout(60_000);

/** Allowed answers: success, or a client error; never a server error. */
const CLIENT_ERRORS = new Set([400, 401, 403, 404, 405, 409, 413, 415, 431]);

class FakeSocket implements MediaSocket {
  readyState = 1;
  bufferedAmount = 0;
  closedWith: number | undefined;
  send(_data: string, cb?: (err?: Error) => void): void {
    cb?.();
  }
  close(code?: number): void {
    this.readyState = 3;
    this.closedWith ??= code;
  }
}

const STREAM_A = 'MZ' + 'a'.repeat(32);
const STREAM_B = 'MZ' + 'b'.repeat(32);
const CALL_B = 'CA' + 'b'.repeat(32);

function startMessage(streamSid: string, callSid: string, token: string): string {
  return JSON.stringify({
    event: 'start',
    sequenceNumber: '1',
    streamSid,
    start: { streamSid, accountSid: ACCOUNT, callSid, tracks: ['inbound'], customParameters: { token }, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } },
  });
}

describe('media stream messages', () => {
  it('a hostile stream never throws, inserts no more silence than time has passed, and leaves the stream beside it intact', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mediaMessage(STREAM_A), { minLength: 1, maxLength: 25 }), async (messages) => {
        const counters = new TwilioCounters();
        const tokens = new StreamTokens({ secret: SECRET, replayStore: new InMemoryReplayStore() });
        const logger = captureLogger().logger;
        const frames = { hostile: [] as MediaFrame[], good: [] as MediaFrame[] };
        const sockets = { hostile: new FakeSocket(), good: new FakeSocket() };
        const session = (who: 'hostile' | 'good') =>
          new MediaStreamSession({ socket: sockets[who], logger, counters, tokens, accountSid: ACCOUNT, onLeg: (leg) => void leg.on('media', (f) => frames[who].push(f)) });
        const hostile = session('hostile');
        const good = session('good');
        hostile.handleMessage(startMessage(STREAM_A, CALL, tokens.issue({ callSid: CALL, role: 'caller' })), false);
        good.handleMessage(startMessage(STREAM_B, CALL_B, tokens.issue({ callSid: CALL_B, role: 'agent' })), false);
        await new Promise((r) => setImmediate(r)); // token checks
        const t0 = performance.now();
        const sent: number[] = [];
        messages.forEach((m, i) => {
          hostile.handleMessage(m, typeof m !== 'string');
          // The well-behaved stream's frame i: 20 ms of audio whose bytes say which frame it is.
          good.handleMessage(JSON.stringify({ event: 'media', sequenceNumber: String(i + 2), streamSid: STREAM_B, media: { track: 'inbound', chunk: String(i + 1), timestamp: String(i * 20), payload: Buffer.alloc(160, i % 250).toString('base64') } }), false);
          sent.push(i % 250);
        });
        expect(good).toBeDefined();
        expect(frames.good.map((f) => [f.synthetic, f.payload.length, f.payload[0]])).toEqual(sent.map((b) => [false, 160, b]));
        expect(sockets.good.closedWith).toBeUndefined();
        const filledMs = frames.hostile.filter((f) => f.synthetic).reduce((a, f) => a + f.payload.length / 8, 0);
        expect(filledMs).toBeLessThanOrEqual(performance.now() - t0 + 2000 + 20);
        expect([undefined, 1008, 1009, 1003]).toContain(sockets.hostile.closedWith);
      }),
      { numRuns: 400 },
    );
  });

  it('a connection that never authenticates gets no leg, whatever it sends', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mediaMessage(STREAM_A), { minLength: 1, maxLength: 10 }), async (messages) => {
        const tokens = new StreamTokens({ secret: SECRET, replayStore: new InMemoryReplayStore() });
        const socket = new FakeSocket();
        let legs = 0;
        const s = new MediaStreamSession({ socket, logger: captureLogger().logger, counters: new TwilioCounters(), tokens, accountSid: ACCOUNT, onLeg: () => legs++, options: { startTimeoutMs: 5 } });
        for (const m of messages) s.handleMessage(m, typeof m !== 'string');
        await new Promise((r) => setTimeout(r, 10));
        expect(legs).toBe(0);
        expect(socket.closedWith).toBe(1008);
      }),
      { numRuns: 150 },
    );
  });
});

describe('Twilio webhooks', () => {
  let edge: Edge;
  beforeAll(async () => {
    edge = await startEdge({ listen: false });
  });
  afterAll(async () => {
    await edge.close();
  });

  it('answer every request 200/204 or a short 4xx, never 5xx, signed or not', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/twilio/voice', '/twilio/status', '/twilio/stream-status', '/twilio/voice?leg=agent&call=x', '/TWILIO/STATUS/'),
        webhookParams(ACCOUNT),
        fc.constantFrom('signed', 'signed', 'unsigned', 'forged'),
        async (p, params, how) => {
          const req = request(edge.http.app).post(p).type('form').send(params);
          if (how === 'signed') req.set('X-Twilio-Signature', sign(`${PUBLIC_URL}${p}`, params));
          if (how === 'forged') req.set('X-Twilio-Signature', 'Zm9yZ2Vk');
          const res = await req;
          expect([200, 204, 400, 403, 413]).toContain(res.status);
          if (res.status === 200) expect(res.headers['content-type']).toMatch(/text\/xml/);
          if (res.status === 400) expect(res.text).toMatch(/^bad request: .{1,300}$/s);
          if (how !== 'signed') expect([403, 413]).toContain(res.status);
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('admin API', () => {
  let dir: string;
  let store: Store;
  let http: HttpServer;
  let jobs: MemoryJobQueues;
  const TOKEN = 'property-test-admin-token-0123456789';
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-props-'));
    store = await openStore({ sqlitePath: path.join(dir, 'tolk.db'), logger: captureLogger().logger });
    await store.numbers.upsert({ number: '+15550001111', destination: '+15550002222', callerLanguage: 'es', agentLanguage: 'en' });
    await store.calls.create({ id: 'call-1', number: '+15550001111', from: '+34600000000', destination: '+15550002222', languages: { caller: 'es', agent: 'en' }, state: 'ended', startedAt: new Date('2025-01-01T10:00:00Z') });
    const tokens = { mint: () => Promise.resolve({ token: 'auth_tokens/x', expireTime: '', newSessionExpireTime: '', model: 'm', liveUrl: 'ws://x' }) } as unknown as TranslateTokenMinter;
    const logger = captureLogger().logger;
    jobs = new MemoryJobQueues({ specs: [outboundQueueSpec], logger });
    const outbound = new OutboundCalls({ records: store.calls, numbers: store.numbers, jobs, events: new CallEventBus(logger), logger, stepTimeoutMs: 60_000 });
    http = createHttpServer({ logger, readiness: new Readiness(), modules: [createAdminApi({ calls: store.calls, numbers: store.numbers, adminToken: TOKEN, tokens, outbound })] });
  });
  afterAll(async () => {
    await jobs.close();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers every request with success or a short, clear 4xx, never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(adminRequest, fc.boolean(), async (r, authorised) => {
        let req = request(http.app)[r.method](r.path).query(r.query);
        if (authorised) req = req.set('Authorization', `Bearer ${TOKEN}`);
        if (r.contentType) req = req.set('Content-Type', r.contentType);
        if (r.body !== undefined) req = req.send(typeof r.body === 'string' && r.contentType !== 'application/json' ? r.body : JSON.stringify(r.body));
        const res = await req;
        if (!CLIENT_ERRORS.has(res.status)) expect([200, 201, 204]).toContain(res.status);
        if (!authorised && r.path !== '/api/openapi.json') expect(res.status).toBeGreaterThanOrEqual(400);
        if (res.status >= 400 && res.status !== 431) {
          const body = res.body as { error?: unknown; problems?: { path: unknown; message: unknown }[] };
          expect(typeof body.error).toBe('string');
          expect(res.text.length).toBeLessThan(8000);
          for (const p of body.problems ?? []) {
            expect(Array.isArray(p.path)).toBe(true);
            expect(typeof p.message).toBe('string');
          }
        }
      }),
      { numRuns: 700 },
    );
  });
});

describe('numbers files', () => {
  it('are read into valid settings, or refused with every problem named briefly; nothing else', () => {
    fc.assert(
      fc.property(numbersFileText, (text) => {
        let settings;
        try {
          settings = parseNumbers(text, 'numbers.yaml');
        } catch (err) {
          expect(err).toBeInstanceOf(NumbersConfigError);
          const problems = (err as NumbersConfigError).problems;
          expect(problems.length).toBeGreaterThan(0);
          for (const p of problems) expect(p.length).toBeLessThan(1200);
          return;
        }
        for (const s of settings) expect(validateNumberSettings(s)).toMatchObject({ ok: true });
      }),
      { numRuns: 400 },
    );
  });
});
