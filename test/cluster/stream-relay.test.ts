/** The streams relayed to other instances: counted while open, waited for, and closed on demand. */
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { createStreamRelay, type StreamRelays } from '../../src/cluster/stream-relay';
import { createLogger } from '../../src/log/logger';

const servers: WebSocketServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function listen(): Promise<WebSocketServer> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  servers.push(wss);
  await new Promise((r) => wss.once('listening', r));
  return wss;
}

/** An instance `other` reached by a relay on another server; resolves with Twilio's side of one relayed stream. */
async function relayedStream(): Promise<{ relays: StreamRelays; twilio: WebSocket; upstream: WebSocket }> {
  const other = await listen();
  const upstreamOpen = new Promise<WebSocket>((r) => other.once('connection', r));
  const relays = createStreamRelay({
    self: 'here',
    member: () => Promise.resolve({ id: 'other', url: `http://127.0.0.1:${(other.address() as AddressInfo).port}` }),
    logger: createLogger({ level: 'silent' }),
  });
  const entry = await listen();
  entry.on('connection', (ws, req) => relays.relay(ws, 'other', req));
  const twilio = new WebSocket(`ws://127.0.0.1:${(entry.address() as AddressInfo).port}/twilio/media/other`);
  await new Promise((r) => twilio.once('open', r));
  return { relays, twilio, upstream: await upstreamOpen };
}

describe('stream relays', () => {
  it('counts a relayed stream until it closes, and settles once none is left', async () => {
    const { relays, upstream } = await relayedStream();
    expect(relays.open()).toBe(1);
    expect(await relays.settled(50)).toBe(1);
    const settled = relays.settled(5_000);
    upstream.close(1000, 'call ended');
    expect(await settled).toBe(0);
    expect(relays.open()).toBe(0);
  });

  it('closes every relayed stream on demand, on both sides', async () => {
    const { relays, twilio, upstream } = await relayedStream();
    const closed = Promise.all([twilio, upstream].map((ws) => new Promise<number>((r) => ws.once('close', (code) => r(code)))));
    relays.closeAll();
    const [twilioCode] = await closed;
    expect(twilioCode).toBe(1001);
    expect(relays.open()).toBe(0);
  });
});
