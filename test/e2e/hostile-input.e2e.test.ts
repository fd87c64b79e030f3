/**
 * Hostile input at tolk's doors while a call is in progress, through both emulators in real time:
 * the call must not hear it. The call's translated speech is compared, stretch by stretch, with
 * what the (scripted) translation service sent, so a single frame lost or late inside a stretch
 * shows up as a gap.
 */
import fs from 'node:fs';
import fc from 'fast-check';
import twilio from 'twilio';
import WebSocket from 'ws';
import { Downsampler24to8, readWav } from '../../src/audio';
import { normaliseDialledNumber } from '../../src/config/numbers';
import { loadScript } from '../../src/emulators/gemini/script';
import { adminRequest, mediaMessage, webhookParams } from '../properties/hostile';
import { AGENT_NUMBER, CALLER_NUMBER, TOLK_NUMBER, fixture, keepWav, startRig, stretchesHeard, waitUntil, type Rig, type StretchesHeard } from './harness';

jest.setTimeout(90_000);

let rig: Rig;
afterEach(async () => {
  await rig?.close();
});

const ADMIN = { authorization: 'Bearer admin-token-for-tests-0123456789', 'content-type': 'application/json' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const expected = (file: string): Int16Array => new Downsampler24to8().process(readWav(fs.readFileSync(fixture(file))).samples);

/**
 * A call in real time whose caller says one scripted sentence; resolves once it is bridged. Real
 * time less the moments the machine did not run this process (a busy machine, which would stall
 * the emulated phone network with tolk): what this process spends itself, tolk's work on the
 * hostile input among it, is heard as it would be on a phone.
 */
async function callInProgress(): Promise<{ callerSid: string }> {
  const script = await loadScript(require.resolve('../../scripts/demo-es-en.json'));
  // No original voice under the translation (which overlaps it): the agent hears the translation alone.
  rig = await startRig({
    speed: 1,
    pauseOnStall: 'machine',
    number: { originalVolume: 0 },
    gemini: { mode: 'script', script, detector: { pauseMs: 1200, maxUtteranceMs: 15_000 } },
  });
  rig.twilio.setCallee(AGENT_NUMBER, { scenario: { kind: 'answer', afterSec: 1 } });
  const callerSid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { speech: fixture('caller-es.ulaw8k.wav'), speakAfterSec: 1, hangupAfterSec: 18 } });
  await waitUntil(() => rig.logs.some((l) => l.event === 'call.transition' && l.to === 'bridged'), 10_000, 'the call to be bridged');
  return { callerSid };
}

/** What the agent heard of the caller's translated sentence, against what the service sent. */
async function agentHeard(callerSid: string, name: string): Promise<StretchesHeard> {
  await waitUntil(() => rig.twilio.call(callerSid)?.status === 'completed', 30_000, 'the caller to hang up', rig.time?.now);
  await waitUntil(() => rig.tolk.calls.activeCalls === 0, 10_000, 'tolk to end the call');
  const agentSid = rig.twilio.calls().find((c) => c.to === AGENT_NUMBER)!.sid;
  const heard = rig.twilio.recording(agentSid);
  keepWav(name, heard.heardWav());
  return stretchesHeard(heard.heard, expected('caller-es.to-en.pcm24k.wav'));
}

describe('hostile input during a call', () => {
  it('ten 95 KB language codes sent to the admin API cost the call in progress nothing', async () => {
    const { callerSid } = await callInProgress();
    const base = `http://127.0.0.1:${rig.tolk.address.port}`;
    const body = JSON.stringify({ destination: '+15550002222', callerLanguage: 'x'.repeat(95_000), agentLanguage: 'en' });
    const statuses: number[] = [];
    // One every 700 ms from 2 s after the call was bridged, while the translation plays.
    await sleep(2000);
    for (let i = 0; i < 10; i++) {
      statuses.push((await fetch(`${base}/api/numbers/+15550009999`, { method: 'PUT', headers: ADMIN, body })).status);
      await sleep(700);
    }
    expect(statuses).toEqual(Array(10).fill(400));
    expect((await agentHeard(callerSid, 'hostile-admin-agent-heard.wav')).damaged).toEqual([]);
  });

  it('a flood of generated hostile input at every door leaves the call in progress untouched', async () => {
    const { callerSid } = await callInProgress();
    const base = `http://127.0.0.1:${rig.tolk.address.port}`;
    const statuses = new Map<number, number>();
    const seen = (status: number): void => void statuses.set(status, (statuses.get(status) ?? 0) + 1);
    const paced = () => sleep(12); // spread over the whole translated sentence

    const webhook = fc.asyncProperty(
      fc.constantFrom('/twilio/voice', '/twilio/status', '/twilio/stream-status'),
      webhookParams(rig.twilio.accountSid).filter((p) => normaliseDialledNumber(p.To ?? '') !== TOLK_NUMBER),
      fc.boolean(),
      async (path, params, signed) => {
        const url = `${base}${path}`;
        const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
        if (signed) headers['x-twilio-signature'] = twilio.getExpectedTwilioSignature(rig.twilio.authToken, url, params);
        seen((await fetch(url, { method: 'POST', headers, body: new URLSearchParams(params).toString() })).status);
        await paced();
      },
    );
    const admin = fc.asyncProperty(adminRequest, fc.boolean(), async (r, authorised) => {
      const query = new URLSearchParams();
      for (const [k, v] of Object.entries(r.query)) for (const one of [v].flat()) query.append(k, one);
      const headers: Record<string, string> = {};
      if (authorised) headers.authorization = ADMIN.authorization;
      if (r.contentType) headers['content-type'] = r.contentType;
      const body = r.body === undefined || r.method === 'get' ? undefined : JSON.stringify(r.body);
      seen((await fetch(`${base}${r.path}?${query.toString()}`, { method: r.method.toUpperCase(), headers, body })).status);
      await paced();
    });
    const media = fc.asyncProperty(fc.array(mediaMessage('MZ' + 'e'.repeat(32)), { minLength: 1, maxLength: 6 }), async (messages) => {
      const url = `ws://127.0.0.1:${rig.tolk.address.port}/twilio/media`;
      const ws = new WebSocket(url, { headers: { 'x-twilio-signature': twilio.getExpectedTwilioSignature(rig.twilio.authToken, url, {}) } });
      await new Promise((resolve) => ws.once('open', resolve).once('error', resolve));
      for (const m of messages) if (ws.readyState === ws.OPEN) ws.send(m, { binary: typeof m !== 'string' });
      ws.terminate();
      await paced();
    });

    await sleep(1500);
    await fc.assert(webhook, { numRuns: 250 });
    await fc.assert(admin, { numRuns: 250 });
    await fc.assert(media, { numRuns: 60 });

    // Every answer was a success or a client error.
    expect([...statuses.keys()].filter((s) => s >= 500)).toEqual([]);
    expect((await agentHeard(callerSid, 'hostile-flood-agent-heard.wav')).damaged).toEqual([]);
  });
});
