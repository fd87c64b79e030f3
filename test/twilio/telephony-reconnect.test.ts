/**
 * Moving a live leg to this instance (`TwilioTelephony.reconnect`): Twilio refusing the update
 * (a 4xx) is told as the leg not moved; a failure that may have come after Twilio made the update
 * (no answer, a 5xx after the retries) is passed on as it is, its outcome unknown.
 */
import { LegNotMovedError } from '../../src/call/ports';
import { TwilioApiError } from '../../src/twilio/rest-errors';
import type { TwilioRestClient } from '../../src/twilio/rest-client';
import { TwilioTelephony } from '../../src/twilio/telephony';

const SID = 'CA' + '1'.repeat(32);

function telephony(redirect: () => Promise<never>): { t: TwilioTelephony; asked: string[] } {
  const asked: string[] = [];
  const rest = {
    redirect: (sid: string, target: { twiml: string }) => {
      asked.push(`${sid} ${target.twiml}`);
      return redirect();
    },
  } as unknown as TwilioRestClient;
  const t = new TwilioTelephony({ rest, answers: (a) => `<Response><!-- ${a.type} --></Response>`, publicUrl: 'https://tolk.example' });
  return { t, asked };
}

describe('TwilioTelephony.reconnect', () => {
  it('tells a refusal (4xx) as the leg not moved, with Twilio\'s status, code and message', async () => {
    const { t, asked } = telephony(() => Promise.reject(new TwilioApiError({ status: 400, code: 21220, message: 'Call is not in-progress. Cannot redirect.' })));
    const err = await t.reconnect(SID, { callId: 'call-1', endpoint: 'caller' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LegNotMovedError);
    expect((err as Error).message).toBe('the leg was not moved: 400 (21220): Call is not in-progress. Cannot redirect.');
    expect(asked).toEqual([`${SID} <Response><!-- connect --></Response>`]);
  });

  it.each([
    ['no answer', new TwilioApiError({ status: 0, message: 'Twilio unreachable: timeout of 15000ms exceeded' })],
    ['a 5xx after the retries', new TwilioApiError({ status: 503, message: 'Service Unavailable', attempts: 3 })],
    ['a 429 after the retries', new TwilioApiError({ status: 429, code: 20429, message: 'Too Many Requests', attempts: 3 })],
  ])('passes %s on as it is: the leg may have moved', async (_what, failure) => {
    const { t } = telephony(() => Promise.reject(failure));
    const err = await t.reconnect(SID, { callId: 'call-1', endpoint: 'caller' }).catch((e: unknown) => e);
    expect(err).toBe(failure);
    expect(err).not.toBeInstanceOf(LegNotMovedError);
  });
});
