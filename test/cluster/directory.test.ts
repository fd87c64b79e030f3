/**
 * The cluster's directory and stream token claims on a real Redis (the test one, under a prefix of
 * this test's own): which instance serves a call, whether an instance is up (or,
 * shown down, still answers), and single use.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { instanceAnswers, RedisCallDirectory } from '../../src/cluster/directory';
import { openClusterRedis, type ClusterRedis } from '../../src/cluster/redis';
import { RedisReplayStore } from '../../src/cluster/redis-replay-store';
import { webhookSubject } from '../../src/twilio/cluster-routing';
import { interpreterTicket } from '../../src/twilio/conferences';
import { dropPrefix, REDIS_URL, silent, uniquePrefix } from '../jobs/helpers';

let redis: ClusterRedis[] = [];
let prefix = '';

function open(): ClusterRedis {
  const r = openClusterRedis({ url: REDIS_URL, prefix });
  redis.push(r);
  return r;
}

beforeEach(() => {
  prefix = uniquePrefix();
});

afterEach(async () => {
  for (const r of redis) await r.close();
  redis = [];
  await dropPrefix(prefix);
});

describe('the cluster directory', () => {
  it('hands a call from the instance serving it to another, compare-and-set, and lists only instances ready to take calls', async () => {
    const a = new RedisCallDirectory(open(), { self: { id: 'a', url: 'http://a:1' }, logger: silent, heartbeatMs: 60_000 });
    const b = new RedisCallDirectory(open(), { self: { id: 'b', url: 'http://b:1' }, logger: silent, heartbeatMs: 60_000 });
    const c = new RedisCallDirectory(open(), { self: { id: 'c', url: 'http://c:1' }, logger: silent, heartbeatMs: 60_000 });
    for (const d of [a, b, c]) await d.start();
    await a.claim('call-1', { legs: ['CA1', 'CA2'] });
    expect((await a.readyPeers()).map((m) => m.id).sort()).toEqual(['b', 'c']);
    await c.markDraining();
    expect(await a.readyPeers()).toEqual([{ id: 'b', url: 'http://b:1' }]);

    // b takes it over from a: every entry names b; c cannot take it from a any more.
    expect(await b.takeOver('call-1', { legs: ['CA1', 'CA2'] }, 'a')).toEqual({ ok: true });
    expect(await c.takeOver('call-1', { legs: ['CA1', 'CA2'] }, 'a')).toEqual({ ok: false, holder: 'b' });
    for (const key of [{ call: 'call-1' }, { leg: 'CA1' }, { leg: 'CA2' }]) expect((await a.owner(key))?.id).toBe('b');
    // a letting go of the call it gave up removes nothing of b's.
    a.release('call-1');
    await new Promise((r) => setTimeout(r, 100));
    expect((await c.owner({ call: 'call-1' }))?.id).toBe('b');
    // Given back, the call is a's again; a call nobody serves cannot be taken over.
    expect(await b.handBack('call-1', { legs: ['CA1', 'CA2'] }, 'a')).toEqual({ ok: true });
    expect(await c.owner({ leg: 'CA2' })).toEqual({ id: 'a', url: 'http://a:1' });
    expect(await b.takeOver('call-9', {}, 'a')).toEqual({ ok: false, holder: null });
    for (const d of [a, b, c]) await d.stop();
  });

  it('tells another instance which instance serves a call, its caller leg and its conference, until it ends', async () => {
    const a = new RedisCallDirectory(open(), { self: { id: 'a', url: 'http://a:1' }, logger: silent, heartbeatMs: 60_000 });
    const b = new RedisCallDirectory(open(), { self: { id: 'b', url: 'http://b:1' }, logger: silent, heartbeatMs: 60_000 });
    await a.start();
    await b.start();
    await a.claim('call-1', { legs: ['CA1'], conferences: ['tolk-call-1'] });
    expect(await b.owner({ call: 'call-1' })).toEqual({ id: 'a', url: 'http://a:1' });
    expect(await b.owner({ leg: 'CA1' })).toEqual({ id: 'a', url: 'http://a:1' });
    expect(await b.owner({ conference: 'tolk-call-1' })).toEqual({ id: 'a', url: 'http://a:1' });
    // Its own calls are no other instance's.
    expect(await a.owner({ call: 'call-1' })).toBeUndefined();
    expect(await b.claimConference('call-2', ['tolk-call-1'])).toEqual({ ok: false, holder: 'a' });
    a.release('call-1');
    await new Promise((r) => setTimeout(r, 100));
    expect(await b.owner({ call: 'call-1' })).toBeUndefined();
    expect(await b.claimConference('call-2', ['tolk-call-1'])).toEqual({ ok: true });
    await a.stop();
    await b.stop();
  });

  it('takes an instance that stopped beating as down, and one that left as gone', async () => {
    const a = new RedisCallDirectory(open(), { self: { id: 'a', url: 'http://a:1' }, logger: silent, heartbeatMs: 100 });
    const b = new RedisCallDirectory(open(), { self: { id: 'b', url: 'http://b:1' }, logger: silent, heartbeatMs: 60_000 });
    await a.start();
    await b.start();
    await a.claim('call-1', {});
    expect((await b.members()).map((m) => `${m.id} ${m.up}`).sort()).toEqual(['a true', 'b true']);
    // a dies: no more beats, no goodbye.
    clearInterval((a as unknown as { timer: NodeJS.Timeout }).timer);
    await new Promise((r) => setTimeout(r, 400));
    expect((await b.members()).map((m) => `${m.id} ${m.up}`).sort()).toEqual(['a false', 'b true']);
    // A call of an instance that is down is nobody's to pass requests to.
    expect(await b.owner({ call: 'call-1' })).toBeUndefined();
    await b.forget('a');
    await b.stop();
    expect(await b.members()).toEqual([]);
  });

  it('tells whether an instance shown down still answers its health check (its heartbeat is late), and one that left does not', async () => {
    const server = createServer((req, res) => res.writeHead(req.url === '/healthz' ? 200 : 404).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const a = new RedisCallDirectory(open(), { self: { id: 'a', url }, logger: silent, heartbeatMs: 100 });
    const b = open();
    try {
      await a.start();
      // a's beats stop reaching Redis (its event loop is busy, say), but it is serving.
      clearInterval((a as unknown as { timer: NodeJS.Timeout }).timer);
      await new Promise((r) => setTimeout(r, 400));
      expect((await new RedisCallDirectory(b, { self: { id: 'b', url: 'http://b:1' }, logger: silent }).members()).find((m) => m.id === 'a')?.up).toBe(false);
      expect(await instanceAnswers(b, 'a')).toBe(true);
      await new Promise((r) => server.close(r));
      expect(await instanceAnswers(b, 'a')).toBe(false);
      await a.stop();
      expect(await instanceAnswers(b, 'a', () => Promise.resolve(true))).toBe(false);
    } finally {
      server.close();
    }
  });

  it('lets each stream token nonce be claimed once, across instances, until it expires', async () => {
    const one = new RedisReplayStore(open());
    const two = new RedisReplayStore(open());
    const until = Date.now() + 300;
    expect(await one.claim('stream-token:n1', until)).toBe(true);
    expect(await two.claim('stream-token:n1', until)).toBe(false);
    expect(await two.claim('stream-token:n2', until)).toBe(true);
    await new Promise((r) => setTimeout(r, 400));
    expect(await two.claim('stream-token:n1', Date.now() + 300)).toBe(true);
    await expect(one.claim('x'.repeat(600), until)).rejects.toThrow(RangeError);
  });
});

describe('which call a Twilio webhook is about', () => {
  it('reads the call parameter, the interpreter token or the CallSid', () => {
    expect(webhookSubject('/twilio/voice', { leg: 'agent', call: 'c1' }, { CallSid: 'CA2' })).toEqual({ call: 'c1' });
    expect(webhookSubject('/twilio/status', {}, { CallSid: 'CA2' })).toEqual({ leg: 'CA2' });
    expect(webhookSubject('/twilio/voice', {}, { CallSid: 'CA2' })).toEqual({ leg: 'CA2' });
    const id = '0b9f8c1e-2d3a-4b5c-8d7e-6f5a4b3c2d1e';
    expect(webhookSubject('/twilio/interpreter', {}, { token: `v1.${interpreterTicket(id)}.x.1.nonce.mac` })).toEqual({ call: id });
    expect(webhookSubject('/twilio/interpreter', {}, { token: 'junk' })).toBeUndefined();
    expect(webhookSubject('/twilio/conference', {}, { CallSid: 'CA2' })).toBeUndefined();
  });
});
