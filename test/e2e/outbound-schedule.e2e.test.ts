/**
 * Scheduling the calls tolk places, in real time, with the job queues in this process and on the
 * test Redis: a call starts at its time (the Twilio emulator's record of when the call was
 * created), a cancelled one never dials, a scheduled one survives a restart, busy and unanswered
 * attempts are the outcome or tried again when asked, one due while tolk is at TOLK_MAX_CALLS waits
 * for a free line (or ends as timeout), and a bad request is refused field by field.
 */
import { startApp, type App } from '../../src/app';
import { dropPrefix, uniquePrefix, REDIS_URL } from '../jobs/helpers';
import { startReceiver, type Receiver } from '../webhooks/helpers';
import { AGENT_NUMBER, TOLK_NUMBER, startRig, waitUntil, type Rig } from './harness';

jest.setTimeout(60_000);

const TOKEN = 'admin-token-for-tests-0123456789';
const CUSTOMER = '+34911234567';
const OTHER_CUSTOMER = '+34911234568';
const INBOUND_CALLER = '+34910000002';

let rig: Rig;
let prefix: string | undefined;
let receiver: Receiver | undefined;
async function closeRig(): Promise<void> {
  await rig?.close();
  await receiver?.close();
  receiver = undefined;
  if (prefix) await dropPrefix(prefix);
  prefix = undefined;
}

interface CallJson {
  id: string;
  state: string;
  outcome?: string;
  endReason?: string;
  outbound?: { attempts: number; dueAt: string };
}

async function api(path: string, init: { method?: string; body?: unknown } = {}, app: App = rig.tolk): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${app.address.port}/api${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${TOKEN}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const place = (body: Record<string, unknown>) => api('/calls', { method: 'POST', body: { line: TOLK_NUMBER, ...body } });
const callsTo = (to: string) => rig.twilio.calls().filter((c) => c.to === to);

async function ended(id: string): Promise<CallJson> {
  await waitUntil(async () => (await api(`/calls/${id}`)).body.outcome !== undefined, 20_000, `call ${id} to end`);
  return (await api(`/calls/${id}`)).body as unknown as CallJson;
}

describe.each(['in-process', 'redis'] as const)('scheduled calls (job queues %s)', (backend) => {
  afterEach(closeRig);
  async function realTimeRig(): Promise<Rig> {
    if (backend === 'redis') prefix = uniquePrefix();
    return startRig({ speed: 1, env: prefix ? { REDIS_URL, TOLK_QUEUE_PREFIX: prefix } : {} });
  }

  it('a scheduled call starts within 1 s of its time, and a cancelled one never dials', async () => {
    rig = await realTimeRig();
    rig.twilio.setCallee(CUSTOMER, { scenario: { kind: 'answer', afterSec: 0.5 }, hangupAfterSec: 1 });
    const at = Date.now() + 2500;
    const kept = await place({ to: CUSTOMER, at: new Date(at).toISOString() });
    const cancelled = await place({ to: OTHER_CUSTOMER, at: new Date(at).toISOString() });
    expect([kept.status, cancelled.status]).toEqual([202, 202]);
    const listed = (await api('/calls?state=scheduled')).body.calls as CallJson[];
    expect(listed.map((c) => c.id).sort()).toEqual([kept.body.id, cancelled.body.id].sort());

    const cancel = await api(`/calls/${String(cancelled.body.id)}`, { method: 'DELETE' });
    expect(cancel.status).toBe(200);
    expect(cancel.body).toMatchObject({ state: 'ended', outcome: 'canceled' });
    // Cancelled is over: not again, and not a call that is not there.
    expect((await api(`/calls/${String(cancelled.body.id)}`, { method: 'DELETE' })).status).toBe(409);
    expect((await api('/calls/no-such-call', { method: 'DELETE' })).status).toBe(404);

    await waitUntil(() => callsTo(CUSTOMER).length > 0, 10_000, 'the scheduled call');
    const created = Date.parse(callsTo(CUSTOMER)[0].dateCreated);
    expect(created).toBeGreaterThanOrEqual(at - 50);
    expect(created).toBeLessThan(at + 1000);
    // Started: too late to cancel.
    expect((await api(`/calls/${String(kept.body.id)}`, { method: 'DELETE' })).status).toBe(409);
    expect(await ended(String(kept.body.id))).toMatchObject({ state: 'ended' });
    // Well past its time, the cancelled call has still not dialled.
    await new Promise((r) => setTimeout(r, Math.max(0, at + 1500 - Date.now())));
    expect(callsTo(OTHER_CUSTOMER)).toHaveLength(0);
  });

  it('busy without retries is the outcome; with a retry asked for, the customer is called again', async () => {
    // Ten times faster calls (the ring timeout of the unanswered attempt); the wait between attempts is real.
    if (backend === 'redis') prefix = uniquePrefix();
    receiver = await startReceiver([200, 200]);
    const webhooks = { TOLK_WEBHOOK_URL: receiver.url, TOLK_WEBHOOK_SECRET: 'whsec-outbound-0123456789', TOLK_ALLOW_HTTP_WEBHOOKS: 'true', TOLK_ALLOW_PRIVATE_WEBHOOKS: 'true' };
    rig = await startRig({ speed: 10, env: { ...webhooks, ...(prefix ? { REDIS_URL, TOLK_QUEUE_PREFIX: prefix } : {}) } });
    rig.twilio.setCallee(CUSTOMER, { scenario: { kind: 'busy' } });
    rig.twilio.setCallee(OTHER_CUSTOMER, { scenario: { kind: 'no-answer' } });
    const once = await place({ to: CUSTOMER });
    expect(await ended(String(once.body.id))).toMatchObject({ outcome: 'busy', outbound: { attempts: 1 } });
    expect(callsTo(CUSTOMER)).toHaveLength(1);
    expect(callsTo(AGENT_NUMBER)).toHaveLength(0);

    const twice = await place({ to: OTHER_CUSTOMER, retries: 1, retryAfterSec: 5 });
    await waitUntil(() => callsTo(OTHER_CUSTOMER).length === 1, 10_000, 'the first attempt');
    await rig.twilio.waitForStatus(callsTo(OTHER_CUSTOMER)[0].sid, 'no-answer', 10_000);
    const gaveUp = Date.now();
    await waitUntil(async () => (await api(`/calls/${String(twice.body.id)}`)).body.state === 'scheduled', 5000, 'the call to wait for its next attempt');
    const retried = await api(`/calls/${String(twice.body.id)}`);
    expect(retried.body).toMatchObject({ state: 'scheduled', outbound: { attempts: 1 } });
    expect(retried.body.outcome).toBeUndefined();
    await waitUntil(() => callsTo(OTHER_CUSTOMER).length === 2, 10_000, 'the second attempt');
    expect(Date.now() - gaveUp).toBeGreaterThanOrEqual(4500);
    expect(await ended(String(twice.body.id))).toMatchObject({ outcome: 'no-answer', outbound: { attempts: 2 } });
    // No third attempt.
    await new Promise((r) => setTimeout(r, 500));
    expect(callsTo(OTHER_CUSTOMER)).toHaveLength(2);
    // The customer's server heard of each call once, with its outcome.
    await waitUntil(() => receiver!.received.length === 2, 10_000, 'the webhooks');
    const told = receiver.received.map((r) => JSON.parse(r.body) as { callId: string; outcome: string; call: { from: string } });
    expect(told.map((t) => [t.callId, t.outcome, t.call.from])).toEqual([
      [once.body.id, 'busy', CUSTOMER],
      [twice.body.id, 'no-answer', OTHER_CUSTOMER],
    ]);
  });

  it('a call due while every line is taken (TOLK_MAX_CALLS) waits, spending no attempt, and is placed once one is free', async () => {
    if (backend === 'redis') prefix = uniquePrefix();
    rig = await startRig({ speed: 1, env: { TOLK_MAX_CALLS: '1', ...(prefix ? { REDIS_URL, TOLK_QUEUE_PREFIX: prefix } : {}) } });
    rig.twilio.setCallee(CUSTOMER, { scenario: { kind: 'answer', afterSec: 0.5 }, hangupAfterSec: 1 });
    const busy = await rig.twilio.dial({ from: INBOUND_CALLER, to: TOLK_NUMBER, party: { hangupAfterSec: 10 } });
    await waitUntil(() => rig.tolk.calls.activeCalls === 1, 10_000, 'the call taking the only line');
    const due = Date.now() + 1500;
    const placed = await place({ to: CUSTOMER, at: new Date(due).toISOString() });
    const id = String(placed.body.id);

    // Due 5 s ago: not placed, still scheduled, its job waiting again with none of its attempts spent.
    await new Promise((r) => setTimeout(r, due + 5000 - Date.now()));
    expect(callsTo(CUSTOMER)).toHaveLength(0);
    expect((await api(`/calls/${id}`)).body.state).toBe('scheduled');
    expect(await rig.tolk.jobs.get('outbound', `outbound.${id}.1`)).toMatchObject({ attemptsMade: 0 });

    await rig.twilio.waitForStatus(busy, 'completed', 15_000);
    const freed = Date.now();
    await waitUntil(() => callsTo(CUSTOMER).length > 0, 10_000, 'the call once the line is free');
    expect(Date.parse(callsTo(CUSTOMER)[0].dateCreated)).toBeLessThan(freed + 3500);
    expect(await ended(id)).toMatchObject({ state: 'ended', outbound: { attempts: 1 } });
    expect(callsTo(CUSTOMER)).toHaveLength(1);
  });

  it('a call due while every line stays taken ends as timeout TOLK_STEP_TIMEOUT_SEC after its time, with its webhook and metric', async () => {
    if (backend === 'redis') prefix = uniquePrefix();
    receiver = await startReceiver([200]);
    const webhooks = { TOLK_WEBHOOK_URL: receiver.url, TOLK_WEBHOOK_SECRET: 'whsec-outbound-0123456789', TOLK_ALLOW_HTTP_WEBHOOKS: 'true', TOLK_ALLOW_PRIVATE_WEBHOOKS: 'true' };
    rig = await startRig({ speed: 1, env: { TOLK_MAX_CALLS: '1', TOLK_STEP_TIMEOUT_SEC: '4', ...webhooks, ...(prefix ? { REDIS_URL, TOLK_QUEUE_PREFIX: prefix } : {}) } });
    await rig.twilio.dial({ from: INBOUND_CALLER, to: TOLK_NUMBER, party: { hangupAfterSec: 30 } });
    await waitUntil(() => rig.tolk.calls.activeCalls === 1, 10_000, 'the call taking the only line');
    const due = Date.now() + 1500;
    const placed = await place({ to: CUSTOMER, at: new Date(due).toISOString() });
    const id = String(placed.body.id);

    const call = await ended(id);
    expect(call).toMatchObject({ state: 'ended', outcome: 'timeout', outbound: { attempts: 0 } });
    expect(call.endReason).toMatch(/no instance of tolk could take it/);
    expect(Date.now() - due).toBeGreaterThan(4000);
    expect(Date.now() - due).toBeLessThan(8000);
    expect(callsTo(CUSTOMER)).toHaveLength(0);
    await waitUntil(() => receiver!.received.length === 1, 10_000, 'the webhook');
    expect(JSON.parse(receiver.received[0].body)).toMatchObject({ callId: id, outcome: 'timeout' });
    const metrics = await (await fetch(`http://127.0.0.1:${rig.tolk.address.port}/metrics`)).text();
    expect(metrics).toMatch(/^tolk_calls_total\{outcome="timeout"\} 1$/m);
  });
});

describe('a scheduled call (no Redis)', () => {
  afterEach(closeRig);
  it('survives a restart: the next run places it at its time', async () => {
    rig = await startRig({ speed: 1 });
    rig.twilio.setCallee(CUSTOMER, { scenario: { kind: 'answer', afterSec: 0.5 }, hangupAfterSec: 1 });
    const at = Date.now() + 3000;
    const placed = await place({ to: CUSTOMER, at: new Date(at).toISOString() });
    expect(placed.status).toBe(202);
    await rig.tolk.stop();
    const again = await startApp(rig.tolk.config, rig.tolk.logger, { store: rig.tolk.store });
    try {
      await waitUntil(() => callsTo(CUSTOMER).length > 0, 10_000, 'the scheduled call after the restart');
      const created = Date.parse(callsTo(CUSTOMER)[0].dateCreated);
      expect(created).toBeGreaterThanOrEqual(at - 50);
      expect(created).toBeLessThan(at + 1000);
      await waitUntil(async () => (await api(`/calls/${String(placed.body.id)}`, {}, again)).body.outcome !== undefined, 10_000, 'the call to end');
      expect(callsTo(CUSTOMER)).toHaveLength(1);
    } finally {
      await again.stop();
    }
  });
});

describe('a call tolk is placing when tolk is asked to stop', () => {
  afterEach(closeRig);

  it('is served to its end: the drain waits for it as for any live call', async () => {
    rig = await startRig({ env: { TOLK_DRAIN_TIMEOUT_MS: '60000' } });
    rig.twilio.setCallee(CUSTOMER, { scenario: { kind: 'answer', afterSec: 3 }, hangupAfterSec: 15 });
    const placed = await place({ to: CUSTOMER });
    await waitUntil(() => callsTo(CUSTOMER).length === 1, 10_000, 'tolk to call the customer');
    await rig.tolk.stop();
    expect(callsTo(AGENT_NUMBER)).toHaveLength(1);
    const call = await rig.tolk.records.get(String(placed.body.id));
    expect(call).toMatchObject({ outcome: 'completed', endReason: 'the caller hung up' });
  });
});

describe('POST /api/calls refuses a bad request with a clear 400', () => {
  beforeAll(async () => {
    rig = await startRig({ speed: 1 });
  });
  afterAll(closeRig);

  const now = Date.now();
  it.each([
    ['an unknown line', { line: '+15559999999', to: CUSTOMER }, 'line', /not a tolk number/],
    ['a customer number not in E.164', { to: '0034 911 234 567' }, 'to', /not an E\.164 number/],
    ['no customer', {}, 'to', /is required/],
    ['a time that has passed', { to: CUSTOMER, at: new Date(now - 60_000).toISOString() }, 'at', /has passed/],
    ['a time more than 90 days ahead', { to: CUSTOMER, at: new Date(now + 91 * 86_400_000).toISOString() }, 'at', /more than 90 days ahead/],
    ['a time without a zone', { to: CUSTOMER, at: '2031-01-01T10:00:00' }, 'at', /ISO 8601 date-time with a zone/],
    ['a day that does not exist', { to: CUSTOMER, at: '2031-02-30T10:00:00Z' }, 'at', /^there is no 2031-02-30: February 2031 has 28 days$/],
    ['too many retries', { to: CUSTOMER, retries: 50 }, 'retries', /whole number from 0 to 5/],
    ['too short a wait between attempts', { to: CUSTOMER, retries: 1, retryAfterSec: 1 }, 'retryAfterSec', /whole number from 5 to 3600/],
    ['an unknown language', { to: CUSTOMER, callerLanguage: 'klingon' }, 'callerLanguage', /unknown language/],
    ['a bad destination', { to: CUSTOMER, destination: 'agent' }, 'destination', /is not a destination/],
    ['an over-long field', { to: CUSTOMER, destination: `sip:${'a'.repeat(5000)}@pbx.example.com` }, 'destination', /at most 256 characters/],
  ])('%s', async (_what, body, field, why) => {
    const res = await place(body);
    expect(res.status).toBe(400);
    const problems = res.body.problems as { path: string[]; message: string }[];
    expect(problems.find((p) => p.path[0] === field)?.message).toMatch(why);
    // Nothing recorded, nothing dialled.
    expect((await api('/calls')).body.calls).toEqual([]);
    expect(rig.twilio.calls()).toHaveLength(0);
  });

  it('an unknown field and a body that is not an object', async () => {
    const unknown = await place({ to: CUSTOMER, when: 'soon' });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body.problems)).toMatch(/unknown field 'when'/);
    const list = await api('/calls', { method: 'POST', body: [1, 2] });
    expect(list.status).toBe(400);
  });
});
