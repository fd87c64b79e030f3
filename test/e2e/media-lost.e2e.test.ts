/**
 * A media stream that goes silent mid-call (Twilio sends nothing more on it, the socket stays open)
 * is closed by tolk's no-media deadline. Nobody hung up: the record an operator reads says the
 * caller's media was lost, not that the caller hung up, and what was still up is hung up.
 */
import { ADMIN_TOKEN, AGENT_NUMBER, CALLER_NUMBER, TOLK_NUMBER, startRig, waitUntil, type Rig } from './harness';

jest.setTimeout(60_000);

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
});

interface CallJson {
  id: string;
  state: string;
  outcome?: string;
  endReason?: string;
}

it("records a call whose caller's stream went silent as media_lost, saying so, and hangs up both legs", async () => {
  // Every media frame of every stream is lost on the way: the streams start, then nothing arrives.
  rig = await startRig({ twilio: { faults: { lossRate: 1 } } });
  rig.twilio.setCallee(AGENT_NUMBER, { scenario: { kind: 'answer', afterSec: 1 } });
  const callerSid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { hangupAfterSec: 600 } });
  const base = `http://127.0.0.1:${rig.tolk.address.port}`;
  const api = async <T>(p: string): Promise<T> => (await (await fetch(`${base}${p}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as T;
  let call: CallJson | undefined;
  await waitUntil(async () => {
    const { calls } = await api<{ calls: { id: string }[] }>('/api/calls?limit=1');
    call = calls[0] && (await api<CallJson>(`/api/calls/${calls[0].id}`));
    return call?.outcome !== undefined;
  }, 30_000, 'the call to end');
  expect(call).toMatchObject({ state: 'ended', outcome: 'media_lost' });
  expect(call!.endReason).toMatch(/^the caller's media was lost \(no media from Twilio for \d+ s\): tolk closed the stream and ended the call$/);
  // Nobody hung up, so tolk did: both legs end.
  await rig.twilio.waitForStatus(callerSid, 'completed', 10_000);
  const agentSid = rig.twilio.calls().find((c) => c.to === AGENT_NUMBER)!.sid;
  await rig.twilio.waitForStatus(agentSid, 'completed', 10_000);
});
