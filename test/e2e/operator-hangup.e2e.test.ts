/**
 * An operator ends a call in progress over the admin API: both parties' phones hang up (through
 * Twilio's REST API, as the emulator sees it), and the call is recorded as ended by the operator.
 */
import { AGENT_NUMBER, CALLER_NUMBER, TOLK_NUMBER, fixture, startRig, waitUntil, type Rig } from './harness';

jest.setTimeout(60_000);

let rig: Rig;
afterEach(async () => {
  await rig?.close();
});

const auth = { authorization: 'Bearer admin-token-for-tests-0123456789' };

describe('an operator hanging up', () => {
  it('ends both legs of a bridged call and records hungup_by_operator', async () => {
    rig = await startRig();
    rig.twilio.setCallee(AGENT_NUMBER, { scenario: { kind: 'answer', afterSec: 1 } });
    const callerSid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { speech: fixture('caller-es.ulaw8k.wav'), speakAfterSec: 1, hangupAfterSec: 600 } });
    const base = `http://127.0.0.1:${rig.tolk.address.port}`;
    await waitUntil(() => rig.tolk.calls.activeCalls === 1 && rig.logs.some((l) => l.event === 'call.transition' && l.to === 'bridged'), 20_000, 'the call to be bridged');
    const { calls } = (await (await fetch(`${base}/api/calls`, { headers: auth })).json()) as { calls: { id: string }[] };
    const res = await fetch(`${base}/api/calls/${calls[0].id}/hangup`, { method: 'POST', headers: auth });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: calls[0].id, state: 'ended', outcome: 'hungup_by_operator' });

    // Both phones hung up: Twilio reports both calls completed.
    const agentSid = rig.twilio.calls().find((c) => c.to === AGENT_NUMBER)?.sid ?? '';
    await rig.twilio.waitForStatus(callerSid, 'completed', 10_000);
    await rig.twilio.waitForStatus(agentSid, 'completed', 10_000);
    expect(rig.tolk.calls.activeCalls).toBe(0);
    const again = await fetch(`${base}/api/calls/${calls[0].id}/hangup`, { method: 'POST', headers: auth });
    expect(again.status).toBe(409);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^tolk_calls_total\{outcome="hungup_by_operator"\} 1$/m);
  });
});
