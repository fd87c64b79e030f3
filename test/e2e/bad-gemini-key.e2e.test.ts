/**
 * tolk started with a GEMINI_API_KEY Gemini refuses: calls are answered and go on uninterpreted,
 * the log names the setting once at error level, /metrics counts the failures by kind, the call's
 * record says why, and /readyz stays ready.
 */
import { loadWavAs8k } from '../../src/emulators/twilio/audio';
import { AGENT_NUMBER, CALLER_NUMBER, TOLK_NUMBER, fixture, startRig, waitUntil, type Rig } from './harness';

jest.setTimeout(60_000);

let rig: Rig;
afterEach(async () => {
  await rig?.close();
});

describe('a GEMINI_API_KEY that Gemini refuses', () => {
  it('the call goes on uninterpreted; the log names GEMINI_API_KEY once at error level; /metrics counts the failures by kind; the record says why; /readyz stays ready', async () => {
    rig = await startRig({ speed: 1, gemini: { apiKeys: ['the-only-key-gemini-takes'] } });
    rig.twilio.setCallee(AGENT_NUMBER, { scenario: { kind: 'answer', afterSec: 1 } });
    const speech = loadWavAs8k(fixture('caller-es.ulaw8k.wav'));
    const callerSid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { speech, speakAfterSec: 1, hangupAfterSec: 6 } });
    await rig.twilio.waitForStatus(callerSid, 'completed', 30_000);
    await waitUntil(() => rig.tolk.calls.activeCalls === 0, 10_000, 'tolk to end the call');

    const failed = rig.logs.filter((l) => l.event === 'translate.failed');
    expect(failed.length).toBeGreaterThanOrEqual(2);
    expect(failed.filter((l) => l.level === 'error')).toEqual([expect.objectContaining({ kind: 'auth', setting: 'GEMINI_API_KEY', msg: expect.stringContaining('check GEMINI_API_KEY') as unknown })]);
    const [record] = (await rig.tolk.records.list({ limit: 1 })).items;
    expect(record).toMatchObject({ outcome: 'completed', interpretationFailure: { kind: 'auth', message: 'Gemini refused the API key: check GEMINI_API_KEY' } });
    // Operators alert on the counter: one per failed session, by kind.
    const metrics = await (await fetch(`http://127.0.0.1:${rig.tolk.address.port}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`^tolk_translation_failures_total\\{kind="auth"\\} ${failed.length}$`, 'm'));
    const ready = await fetch(`http://127.0.0.1:${rig.tolk.address.port}/readyz`);
    expect(ready.status).toBe(200);
  });
});
