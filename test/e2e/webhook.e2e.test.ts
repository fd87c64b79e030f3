/**
 * An interpreted call through both emulators, and the customer's server that hears about it: once
 * the call has ended, one signed POST with the call's record, its transcript (both directions) and
 * the latency each direction had.
 */
import { verifyTolkSignature } from '../../src/webhooks/signature';
import { startReceiver, type Receiver } from '../webhooks/helpers';
import { AGENT_NUMBER, CALLER_NUMBER, fixture, startRig, TOLK_NUMBER, waitUntil, type Rig } from './harness';

jest.setTimeout(90_000);

const SECRET = 'whsec-e2e-0123456789abcdef';
let rig: Rig | undefined;
let receiver: Receiver | undefined;

afterEach(async () => {
  await rig?.close();
  await receiver?.close();
});

it("POSTs the ended call's record, transcript and latency to the number's webhook, signed", async () => {
  receiver = await startReceiver([200]);
  rig = await startRig({
    number: { webhookUrl: receiver.url },
    env: { TOLK_WEBHOOK_SECRET: SECRET, TOLK_ALLOW_HTTP_WEBHOOKS: 'true', TOLK_ALLOW_PRIVATE_WEBHOOKS: 'true' },
  });
  rig.twilio.setCallee(AGENT_NUMBER, { speech: fixture('agent-en.ulaw8k.wav'), speakAfterSec: 10 });
  const callerSid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { speech: fixture('caller-es.ulaw8k.wav'), speakAfterSec: 1, hangupAfterSec: 22 } });
  await rig.twilio.waitForStatus(callerSid, 'completed', 40_000);
  await waitUntil(() => receiver!.received.length > 0, 20_000, 'the webhook');

  expect(receiver.received).toHaveLength(1);
  const [post] = receiver.received;
  expect(verifyTolkSignature(SECRET, post.headers['tolk-signature'] as string, post.body)).toBe(true);
  const body = JSON.parse(post.body) as {
    event: string;
    callId: string;
    outcome: string;
    call: { id: string; number: string; from: string; transcript: { direction: string; translation: { text: string }; latencyMs?: number; lagMs?: number }[] };
    latency: Record<string, { utterances: number; p50Ms: number; maxMs: number }>;
    lag: Record<string, { utterances: number; p50Ms: number; maxMs: number }>;
  };
  expect(post.headers['idempotency-key']).toBe(body.callId);
  expect(body).toMatchObject({ event: 'call.ended', outcome: 'completed', call: { id: body.callId, number: TOLK_NUMBER, from: CALLER_NUMBER } });
  expect(body.call.transcript.map((u) => u.direction).sort()).toEqual(['agent->caller', 'caller->agent']);
  expect(body.call.transcript.every((u) => u.translation.text.length > 0)).toBe(true);
  // Each line carries the latency and the lag its listener had, in line with the direction's summaries.
  for (const u of body.call.transcript) {
    expect(u.latencyMs).toEqual(expect.any(Number));
    expect(u.latencyMs).toBeLessThanOrEqual(body.latency[u.direction].maxMs);
    expect(u.lagMs).toEqual(expect.any(Number));
    expect(u.lagMs).toBeLessThanOrEqual(body.lag[u.direction].maxMs);
  }
  expect(body.latency['caller->agent'].utterances).toBeGreaterThanOrEqual(1);
  expect(body.latency['agent->caller'].utterances).toBeGreaterThanOrEqual(1);
  // The receiver's 200 is recorded once it has arrived.
  await waitUntil(async () => (await rig!.tolk.deliveries.list({ status: 'delivered', limit: 5 })).length === 1, 5_000, 'the delivery to be recorded');
  expect(await rig.tolk.deliveries.list({ limit: 5 })).toEqual([expect.objectContaining({ callId: body.callId, status: 'delivered', attempts: 1, lastStatus: 200 })]);
});
