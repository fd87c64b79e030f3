/**
 * Captured webhooks replayed at tolk after their call is over, through the Twilio emulator (whose
 * requests are what gets captured and replayed, signature and all): a replayed voice webhook must
 * not place a new call and dial the destination at the account's expense, and nothing another
 * account signed is accepted.
 */
import twilio from 'twilio';
import WebSocket from 'ws';
import type { EmulatorEvent } from '../../src/emulators/twilio/events';
import { AGENT_NUMBER, CALLER_NUMBER, TOLK_NUMBER, startRig, waitUntil, type Rig } from './harness';

jest.setTimeout(60_000);

let rig: Rig;
afterEach(async () => {
  await rig?.close();
});

type Webhook = Extract<EmulatorEvent, { type: 'webhook' }>;

/** The requests the emulator sent tolk for `kind` (what an attacker on the path would capture). */
function captured(kind: Webhook['kind'], callSid?: string): Webhook[] {
  return rig.twilio.events().filter((e): e is Webhook => e.type === 'webhook' && e.kind === kind && (callSid === undefined || e.callSid === callSid));
}

/** Sends a captured request again, byte for byte as Twilio signed it. */
async function replay(w: Webhook, authToken = rig.twilio.authToken, params = w.params): Promise<{ status: number; body: string }> {
  const res = await fetch(w.url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilio.getExpectedTwilioSignature(authToken, w.url, params) },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, body: await res.text() };
}

/** Opens a media stream as Twilio would and presents `token` in its start message. */
async function startStream(callSid: string, token: string): Promise<number> {
  const url = `ws://127.0.0.1:${rig.tolk.address.port}/twilio/media`;
  const ws = new WebSocket(url, { headers: { 'X-Twilio-Signature': twilio.getExpectedTwilioSignature(rig.twilio.authToken, url, {}) } });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const streamSid = 'MZ' + 'e'.repeat(32);
  ws.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
  ws.send(JSON.stringify({
    event: 'start',
    sequenceNumber: '1',
    streamSid,
    start: { streamSid, accountSid: rig.twilio.accountSid, callSid, tracks: ['inbound'], customParameters: { token, role: 'caller' }, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } },
  }));
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  const code = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(0), 1500))]);
  ws.terminate();
  return code;
}

describe('replayed webhooks', () => {
  it('never lets a replayed voice webhook start a second call or dial the destination', async () => {
    rig = await startRig();
    const callerSid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { hangupAfterSec: 3 } });
    await rig.twilio.waitForStatus(callerSid, 'completed', 20_000);
    await waitUntil(() => rig.tolk.calls.activeCalls === 0, 10_000, 'the call to end');
    expect(rig.twilio.calls().filter((c) => c.to === AGENT_NUMBER)).toHaveLength(1);

    const [voice] = captured('voice', callerSid);
    const answer = await replay(voice);
    expect(answer.status).toBe(200);
    // No stream is offered, so there is no token to start one with...
    expect(answer.body).not.toContain('<Stream');
    expect(answer.body).toContain('<Hangup');
    const token = /name="token" value="([^"]+)"/.exec(answer.body)?.[1];
    if (token) await startStream(callerSid, token);
    // ...and whatever happens, the destination is not dialled again and no call is in progress.
    await new Promise((r) => setTimeout(r, 500));
    expect(rig.twilio.calls().filter((c) => c.to === AGENT_NUMBER)).toHaveLength(1);
    expect(rig.tolk.calls.activeCalls).toBe(0);
    expect((await rig.tolk.records.list({ limit: 10 })).items).toHaveLength(1);
    expect(rig.logs.some((l) => l.event === 'call.replayed' && l.callSid === callerSid)).toBe(true);
    expect(await rig.tolk.metrics.render()).toMatch(/^tolk_calls_total\{outcome="replayed"\} 1$/m);
    // The rig's plain-http loopback PUBLIC_URL is accepted, with a warning at start-up.
    expect(rig.logs.some((l) => l.event === 'config.insecure_public_url')).toBe(true);
  });

  it('handles each status and stream-status callback once, however often it is replayed', async () => {
    rig = await startRig();
    const callerSid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { hangupAfterSec: 3 } });
    await rig.twilio.waitForStatus(callerSid, 'completed', 20_000);
    await waitUntil(() => rig.tolk.calls.activeCalls === 0, 10_000, 'the call to end');
    await waitUntil(() => captured('stream-status').filter((w) => w.status !== undefined).length >= 4, 10_000, 'stream callbacks answered');
    const before = rig.logs.filter((l) => l.event === 'twilio.stream.status').length;
    const agentSid = rig.twilio.calls().find((c) => c.to === AGENT_NUMBER)!.sid;
    const completed = captured('status', agentSid).find((w) => w.params.CallStatus === 'completed')!;
    for (const w of [completed, ...captured('stream-status')]) {
      expect((await replay(w)).status).toBe(204);
    }
    expect(rig.logs.filter((l) => l.event === 'twilio.stream.status')).toHaveLength(before);
    expect(rig.logs.filter((l) => l.event === 'twilio.webhook.duplicate').length).toBeGreaterThanOrEqual(5);
  });

  it('refuses a webhook from another Twilio account, even when correctly signed', async () => {
    rig = await startRig();
    const callerSid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { hangupAfterSec: 2 } });
    await rig.twilio.waitForStatus(callerSid, 'completed', 20_000);
    await waitUntil(() => rig.tolk.calls.activeCalls === 0, 10_000, 'the call to end');
    const [voice] = captured('voice', callerSid);
    const other = { ...voice.params, AccountSid: 'AC' + '9'.repeat(32), CallSid: 'CA' + '9'.repeat(32) };
    const answer = await replay(voice, rig.twilio.authToken, other);
    expect(answer.status).toBe(403);
    expect(rig.logs.some((l) => l.event === 'twilio.webhook.rejected' && l.reason === 'wrong_account')).toBe(true);
    expect(rig.twilio.calls().filter((c) => c.to === AGENT_NUMBER)).toHaveLength(1);
  });
});
