/**
 * Calls that never get their media stream end at their deadline, through the Twilio emulator: tolk
 * asks Twilio where the call is (GET Calls/{sid}), ends or hangs up what is over, frees the call's
 * TOLK_MAX_CALLS slot and tolk_active_calls, and records why. Each case is one that used to leave a
 * call "answered" forever, turning every later caller away with TOLK_MAX_CALLS=1.
 */
import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import { AGENT_NUMBER, CALLER_NUMBER, TOLK_NUMBER, startRig, waitUntil, type Rig } from './harness';
import type { CallRecord } from '../../src/store/call-record';

jest.setTimeout(60_000);

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** The deadline the tests give tolk (TOLK_STEP_TIMEOUT_SEC), in real seconds. */
const STEP_SEC = 2;

/** A rig whose tolk takes one call at a time and waits STEP_SEC for a call's next step. */
function oneLineRig(opts: Parameters<typeof startRig>[0] = {}): Promise<Rig> {
  return startRig({ ...opts, env: { TOLK_MAX_CALLS: '1', TOLK_STEP_TIMEOUT_SEC: String(STEP_SEC), ...opts.env } });
}

async function onlyRecord(r: Rig): Promise<CallRecord> {
  const { items } = await r.tolk.records.list({ limit: 10 });
  expect(items).toHaveLength(1);
  return items[0];
}

async function activeCalls(r: Rig): Promise<number> {
  const m = /^tolk_active_calls (\d+)$/m.exec(await r.tolk.metrics.render());
  return Number(m?.[1]);
}

/**
 * The line is free again: a new caller is taken (not told that all lines are busy) and, where the
 * rig lets a call get that far, put through to the other party.
 */
async function lineIsFree(r: Rig, putThrough: boolean): Promise<void> {
  await r.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { hangupAfterSec: 30 } });
  await waitUntil(async () => (await r.tolk.records.list({ limit: 10 })).items.length === 2, 10_000, 'the next caller to be taken');
  if (putThrough) await waitUntil(() => r.twilio.calls().some((c) => c.to === AGENT_NUMBER), 20_000, 'the next caller to be put through');
  expect(r.logs.some((l) => l.event === 'call.at_capacity')).toBe(false);
}

describe('a call that never gets its media stream', () => {
  it('ends at its deadline when the caller hangs up during the greeting and Twilio reports nothing of it', async () => {
    rig = await oneLineRig({
      numberStatusCallback: false,
      number: { greeting: Array.from({ length: 30 }, () => 'welcome').join(' ') },
    });
    const started = Date.now();
    const sid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { hangupAfterSec: 0.5 } });
    await rig.twilio.waitForStatus(sid, 'completed', 10_000);
    expect(rig.tolk.calls.activeCalls).toBe(1);

    await waitUntil(() => rig!.tolk.calls.activeCalls === 0, 10_000, 'the call to end at its deadline');
    expect(Date.now() - started).toBeGreaterThanOrEqual(STEP_SEC * 1000);
    const record = await onlyRecord(rig);
    expect(record).toMatchObject({ state: 'ended', outcome: 'canceled' });
    expect(record.endReason).toMatch(/^answered for 2 s: the caller's leg had ended \(completed\) unreported$/);
    expect(await activeCalls(rig)).toBe(0);
    // tolk asked Twilio itself, and dialled nobody.
    expect(rig.logs.some((l) => l.event === 'call.deadline' && l.callSid === sid)).toBe(true);
    expect(rig.twilio.calls().filter((c) => c.to === AGENT_NUMBER)).toHaveLength(0);
    await lineIsFree(rig, true);
  });

  it('ends at its deadline when the stream handshake fails', async () => {
    // The emulator does not sign the handshake: tolk (enforce) refuses the WebSocket with 403.
    rig = await oneLineRig({ numberStatusCallback: false, twilio: { streamSignature: 'none' } });
    const sid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { hangupAfterSec: 30 } });
    await rig.twilio.waitForStatus(sid, 'completed', 10_000);
    expect(rig.twilio.events().some((e) => e.type === 'error' && e.callSid === sid && e.code === 31920)).toBe(true);

    await waitUntil(() => rig!.tolk.calls.activeCalls === 0, 10_000, 'the call to end at its deadline');
    const record = await onlyRecord(rig);
    expect(record).toMatchObject({ state: 'ended', outcome: 'canceled' });
    expect(record.endReason).toMatch(/the caller's leg had ended \(completed\) unreported/);
    expect(await activeCalls(rig)).toBe(0);
    await lineIsFree(rig, false);
  });

  it('hangs up a caller still listening when their media has not connected by the deadline', async () => {
    // A greeting longer than the deadline: the caller is still on the line when it passes.
    rig = await oneLineRig({ number: { greeting: Array.from({ length: 200 }, () => 'hi').join(' ') } });
    const sid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { hangupAfterSec: 120 } });
    await rig.twilio.waitForStatus(sid, 'completed', 20_000);
    await waitUntil(() => rig!.tolk.calls.activeCalls === 0, 10_000, 'the call to end');
    const record = await onlyRecord(rig);
    expect(record).toMatchObject({ state: 'ended', outcome: 'timeout' });
    expect(record.endReason).toMatch(/^answered for 2 s: the caller's media never connected; the caller's leg is answered: hung up$/);
    // The caller was told, in their language, before the line went dead.
    expect(rig.twilio.events().some((e) => e.type === 'twiml' && e.callSid === sid && e.verb === 'Say' && /^No hemos podido contactar/.test(String(e.detail.text)))).toBe(true);
    expect(await activeCalls(rig)).toBe(0);
    await lineIsFree(rig, false);
  });

  it('ends at its deadline when a signed voice webhook Twilio never placed is not followed by a stream', async () => {
    rig = await oneLineRig();
    // A signed voice webhook (captured, or its original lost) for a CallSid tolk has not seen.
    const callSid = 'CA' + randomBytes(16).toString('hex');
    const url = `http://127.0.0.1:${rig.tolk.address.port}/twilio/voice`;
    const params = { AccountSid: rig.twilio.accountSid, ApiVersion: '2010-04-01', CallSid: callSid, CallStatus: 'ringing', Direction: 'inbound', From: CALLER_NUMBER, To: TOLK_NUMBER, Called: TOLK_NUMBER, Caller: CALLER_NUMBER };
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilio.getExpectedTwilioSignature(rig.twilio.authToken, url, params) },
      body: new URLSearchParams(params).toString(),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<Stream');
    expect(rig.tolk.calls.activeCalls).toBe(1);

    await waitUntil(() => rig!.tolk.calls.activeCalls === 0, 10_000, 'the call to end at its deadline');
    const record = await onlyRecord(rig);
    expect(record).toMatchObject({ state: 'ended', outcome: 'canceled' });
    expect(record.endReason).toMatch(/the caller's leg had ended \(unknown to the phone network\) unreported/);
    expect(await activeCalls(rig)).toBe(0);
    await lineIsFree(rig, true);
  });

  it('in conference mode, ends at its deadline when the caller hangs up during the greeting and Twilio reports nothing of it', async () => {
    rig = await oneLineRig({
      interpreterApp: true,
      numberStatusCallback: false,
      number: { mode: 'conference', greeting: Array.from({ length: 30 }, () => 'welcome').join(' ') },
    });
    const sid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { hangupAfterSec: 0.5 } });
    await rig.twilio.waitForStatus(sid, 'completed', 10_000);
    expect(rig.tolk.calls.activeCalls).toBe(1);

    await waitUntil(() => rig!.tolk.calls.activeCalls === 0, 10_000, 'the call to end at its deadline');
    const record = await onlyRecord(rig);
    expect(record).toMatchObject({ kind: 'conference', state: 'ended', outcome: 'canceled', endReason: 'the caller hung up before the conference started' });
    expect(rig.logs.some((l) => l.event === 'call.deadline' && l.callSid === sid)).toBe(true);
    expect(rig.twilio.calls().filter((c) => c.to === AGENT_NUMBER)).toHaveLength(0);
    expect(await activeCalls(rig)).toBe(0);
  });

  it("in conference mode, ends at once when Twilio reports the caller's leg completed before the conference started", async () => {
    rig = await oneLineRig({ interpreterApp: true, number: { mode: 'conference', greeting: Array.from({ length: 30 }, () => 'welcome').join(' ') } });
    const sid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { hangupAfterSec: 0.5 } });
    await rig.twilio.waitForStatus(sid, 'completed', 10_000);
    await waitUntil(() => rig!.tolk.calls.activeCalls === 0, 1500, 'the call to end when its caller left');
    expect(await onlyRecord(rig)).toMatchObject({ kind: 'conference', outcome: 'canceled', endReason: 'the caller hung up before the conference started' });
    expect(rig.logs.some((l) => l.event === 'call.deadline')).toBe(false);
  });
});
