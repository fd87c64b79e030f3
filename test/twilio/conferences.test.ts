/**
 * The conference port on Twilio: an interpreter leg Twilio refuses (a 4xx) is refused for good, so
 * tolk stops asking for it and tells the parties; a 429/5xx is retried by the dial queue while the
 * leg may still be placed in time, and refused only for now after that (the call may ask again later); no answer at all may pass. A member is told something through its announceUrl.
 */
import { InterpreterLegRefusedError } from '../../src/call/ports';
import { TwilioConferences } from '../../src/twilio/conferences';
import type { TwilioRestClient } from '../../src/twilio/rest-client';
import { TwilioApiError } from '../../src/twilio/rest-errors';
import { InMemoryReplayStore, StreamTokens } from '../../src/twilio/stream-token';
import type { Telephony } from '../../src/call/ports';
import { DIAL_QUEUE, dialProcessor, dialQueueSpec, QueuedConferences } from '../../src/jobs/dial-queue';
import { isRetryableTwilioError } from '../../src/twilio/rest-errors';
import { openTestQueues, type TestQueues } from '../jobs/helpers';

const CALL_ID = '7d1c9e5e-0000-4000-8000-000000000001';
const PARTY = 'CA' + '1'.repeat(32);

function conferencesAnswering(addParticipant: () => Promise<string>) {
  const announced: { conference: string; callSid: string; url: string }[] = [];
  const rest = {
    addParticipant,
    announceToParticipant: (conference: string, callSid: string, url: string) => Promise.resolve(void announced.push({ conference, callSid, url })),
  } as unknown as TwilioRestClient;
  const tokens = new StreamTokens({ secret: 's'.repeat(32), replayStore: new InMemoryReplayStore() });
  return { conferences: new TwilioConferences({ rest, tokens, publicUrl: 'https://tolk.example.com', appSid: 'AP' + 'a'.repeat(32) }), announced };
}

const leg = { callId: CALL_ID, conference: 'CF1', endpoint: 'to-caller', callerId: '+15550001111' };

describe('an interpreter leg placed on Twilio', () => {
  it('refused (21218: no such TwiML App) is refused for good', async () => {
    const { conferences } = conferencesAnswering(() => Promise.reject(new TwilioApiError({ status: 400, code: 21218, message: 'Invalid ApplicationSid' })));
    await expect(conferences.addInterpreter(leg)).rejects.toEqual(new InterpreterLegRefusedError('Twilio 400 error 21218: Invalid ApplicationSid'));
  });

  describe('through the dial queue', () => {
    let q: TestQueues | undefined;
    afterEach(async () => q?.close());

    const queued = (conferences: TwilioConferences, now?: () => number) => {
      q = openTestQueues('in-process', [dialQueueSpec(10)]);
      q.jobs.work(DIAL_QUEUE, dialProcessor({} as Telephony, isRetryableTwilioError, { conferences, ...(now ? { now } : {}) }));
      return new QueuedConferences(conferences, q.jobs, now ? { now } : {});
    };

    it('is placed once Twilio recovers from a 503 that outlasted the REST client\'s own retries: the conference is not given up on', async () => {
      let failures = 2;
      const { conferences } = conferencesAnswering(() => (failures-- > 0 ? Promise.reject(new TwilioApiError({ status: 503, message: 'Service Unavailable' })) : Promise.resolve(PARTY)));
      await expect(queued(conferences).addInterpreter(leg)).resolves.toBe(PARTY);
    }, 15_000);

    it('still failing with 429/5xx once its time to be placed is nearly over is refused for now: the refusal says it may pass', async () => {
      // The clock the dial queue reads is 29 s into the leg's 30 s: no further attempt would start in time.
      let skew = 0;
      const now = () => Date.now() + skew;
      const { conferences } = conferencesAnswering(() => {
        skew = 29_000;
        return Promise.reject(new TwilioApiError({ status: 503, message: 'Service Unavailable' }));
      });
      const err = await queued(conferences, now).addInterpreter(leg).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InterpreterLegRefusedError);
      expect((err as InterpreterLegRefusedError).reason).toMatch(/^Twilio 503: Service Unavailable/);
      expect((err as InterpreterLegRefusedError).temporary).toBe(true);
    }, 15_000);

    it('refused with a 4xx other than 429 is refused for good through the queue too: the refusal does not say it may pass', async () => {
      const { conferences } = conferencesAnswering(() => Promise.reject(new TwilioApiError({ status: 400, code: 21218, message: 'Invalid ApplicationSid' })));
      const err = await queued(conferences).addInterpreter(leg).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InterpreterLegRefusedError);
      expect((err as InterpreterLegRefusedError).temporary).toBe(false);
    }, 15_000);
  });

  it('with no answer from Twilio may pass: the error is not a refusal', async () => {
    const { conferences } = conferencesAnswering(() => Promise.reject(new TwilioApiError({ status: 0, message: 'Twilio unreachable: socket hang up' })));
    const err = await conferences.addInterpreter(leg).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TwilioApiError);
    expect(err).not.toBeInstanceOf(InterpreterLegRefusedError);
  });

  it('without TWILIO_TWIML_APP_SID is refused for good', async () => {
    const tokens = new StreamTokens({ secret: 's'.repeat(32), replayStore: new InMemoryReplayStore() });
    const conferences = new TwilioConferences({ rest: {} as TwilioRestClient, tokens, publicUrl: 'https://tolk.example.com', appSid: undefined });
    await expect(conferences.addInterpreter(leg)).rejects.toBeInstanceOf(InterpreterLegRefusedError);
  });
});

describe('an announcement to a conference member', () => {
  it("points the member's announceUrl at tolk's /twilio/announce with the words and their language", async () => {
    const { conferences, announced } = conferencesAnswering(() => Promise.resolve(PARTY));
    await conferences.announce('CF1', PARTY, 'La interpretación no está disponible.', 'es-ES');
    expect(announced).toHaveLength(1);
    const url = new URL(announced[0].url);
    expect(announced[0]).toMatchObject({ conference: 'CF1', callSid: PARTY });
    expect(`${url.origin}${url.pathname}`).toBe('https://tolk.example.com/twilio/announce');
    expect(Object.fromEntries(url.searchParams)).toEqual({ message: 'La interpretación no está disponible.', language: 'es-ES' });
  });
});
