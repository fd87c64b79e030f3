import { callWebhookHandlers, type CallWebhookTarget } from '../../src/twilio/call-webhooks';
import type { TwilioStatusParams, TwilioVoiceParams } from '../../src/twilio/webhook-params';

const CALLER = 'CA' + '1'.repeat(32);
const AGENT = 'CA' + '2'.repeat(32);
const ACCOUNT = 'AC' + '0'.repeat(32);

function target() {
  const calls: string[] = [];
  const t: CallWebhookTarget = {
    incoming: (req) => (calls.push(`incoming ${req.callSid} ${req.from} ${req.to}`), Promise.resolve('<incoming/>')),
    otherPartyAnswered: (callId, callSid) => (calls.push(`answered ${callId} ${callSid}`), '<agent/>'),
    languageChosen: (callId, digits) => (calls.push(`menu ${callId} ${digits}`), '<menu/>'),
    legStatus: (callSid, status, callId) => void calls.push(`status ${callSid} ${status} ${callId}`),
    leg: () => undefined,
  };
  return { t, calls };
}

describe('Twilio webhooks routed to the call service', () => {
  const voice = (p: Partial<TwilioVoiceParams>): TwilioVoiceParams => ({ CallSid: CALLER, AccountSid: ACCOUNT, ...p });

  it('a caller on a tolk number is an incoming call', async () => {
    const { t, calls } = target();
    await expect(callWebhookHandlers(t).voice(voice({ From: '+34911234567', To: '+15550001111' }), { query: {} })).resolves.toBe('<incoming/>');
    expect(calls).toEqual(['incoming ' + CALLER + ' +34911234567 +15550001111']);
  });

  it('the dialled party picking up (?leg=agent&call=) finds its call by id', async () => {
    const { t, calls } = target();
    await expect(callWebhookHandlers(t).voice(voice({ CallSid: AGENT }), { query: { leg: 'agent', call: 'call-1' } })).resolves.toBe('<agent/>');
    expect(calls).toEqual([`answered call-1 ${AGENT}`]);
  });

  it('the language menu answer (?step=language&call=) carries the digits pressed', async () => {
    const { t, calls } = target();
    await callWebhookHandlers(t).voice(voice({ Digits: '2' }), { query: { step: 'language', call: 'call-1' } });
    await callWebhookHandlers(t).voice(voice({}), { query: { step: 'language', call: 'call-1' } });
    expect(calls).toEqual(['menu call-1 2', 'menu call-1 undefined']);
  });

  it('status callbacks pass the call id their URL carried', async () => {
    const { t, calls } = target();
    const status = (s: string): TwilioStatusParams => ({ CallSid: AGENT, AccountSid: ACCOUNT, CallStatus: s });
    await callWebhookHandlers(t).status(status('ringing'), { query: { call: 'call-1' } });
    await callWebhookHandlers(t).status(status('completed'), { query: {} });
    expect(calls).toEqual([`status ${AGENT} ringing call-1`, `status ${AGENT} completed undefined`]);
  });
});
