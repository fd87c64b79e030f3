/**
 * The part of Twilio's REST API tolk uses, over the official `twilio` SDK: place a call, hang up,
 * cancel, redirect a live call, and point a number's Voice URL at tolk. Errors come back as
 * TwilioApiError; 429/5xx are retried by TolkHttpClient.
 */
import twilio from 'twilio';
import type { Logger } from '../log/logger';
import { TwilioApiError, toTwilioApiError } from './rest-errors';
import { TolkHttpClient, type RetryPolicy } from './rest-http-client';

export type StatusCallbackEvent = 'initiated' | 'ringing' | 'answered' | 'completed';
export const ALL_STATUS_EVENTS: readonly StatusCallbackEvent[] = ['initiated', 'ringing', 'answered', 'completed'];

export interface PlaceCallRequest {
  to: string;
  from: string;
  /** Inline TwiML (max 4000 characters), or... */
  twiml?: string;
  /** ...a URL Twilio fetches the TwiML from once the call is answered. */
  url?: string;
  method?: 'GET' | 'POST';
  statusCallback: string;
  /** Default: initiated, ringing, answered, completed. */
  statusCallbackEvents?: readonly StatusCallbackEvent[];
  /** Seconds to let it ring (Twilio default 60). */
  timeoutSec?: number;
  /** Maximum call duration in seconds. */
  timeLimitSec?: number;
}

export interface ParticipantRequest {
  from: string;
  /** A phone number, `sip:`, `client:` or `app:AP...?param=value`. */
  to: string;
  label?: string;
  timeoutSec?: number;
  statusCallback?: string;
  /** Coach (whisper to) this call SID only. */
  coach?: string;
}

export type RedirectTarget = { twiml: string } | { url: string; method?: 'GET' | 'POST' };

export interface CallInfo {
  sid: string;
  status: string;
  to: string;
  from: string;
  direction: string;
  parentCallSid: string | null;
  /** When the call ended (Twilio's end_time), once it has ended after being answered. */
  endTime: Date | null;
}

/** A conference participant as Twilio lists it. */
export interface ListedParticipant {
  callSid: string;
  label?: string;
  coaching: boolean;
  /** queued, connecting, ringing (a participant added by REST whose call is being placed), connected, complete, failed. */
  status?: string;
}

export interface NumberInfo {
  sid: string;
  phoneNumber: string;
  voiceUrl: string;
  voiceMethod: string;
  statusCallback: string;
  statusCallbackMethod: string;
}

export interface TwilioRestClientOptions {
  accountSid: string;
  authToken: string;
  /** TWILIO_API_URL: base URL of the REST API (an emulator); default Twilio's own. */
  apiUrl?: string;
  logger: Logger;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
  /** For tests: how backoff waits. */
  sleep?: (ms: number) => Promise<void>;
}

type SdkClient = ReturnType<typeof twilio>;
type SdkCall = Awaited<ReturnType<SdkClient['api']['v2010']['account']['calls']['create']>>;

export class TwilioRestClient {
  private readonly client: SdkClient;
  private readonly log: Logger;

  constructor(opts: TwilioRestClientOptions) {
    this.log = opts.logger.child({ component: 'twilio.rest' });
    const httpClient = new TolkHttpClient({
      apiUrl: opts.apiUrl,
      retry: opts.retry,
      logger: this.log,
      timeoutMs: opts.timeoutMs,
      sleep: opts.sleep,
    });
    this.client = twilio(opts.accountSid, opts.authToken, {
      httpClient: httpClient as unknown as InstanceType<typeof twilio.RequestClient>,
      accountSid: opts.accountSid,
    });
    // The SDK loads its REST API's modules (about a hundred) the first time a resource is used:
    // loaded now, as tolk starts, not on the first call's dial, where it would stall every call's audio.
    void this.client.calls;
  }

  async placeCall(req: PlaceCallRequest): Promise<CallInfo> {
    if (!req.twiml === !req.url) throw new Error('placeCall needs exactly one of twiml or url');
    const call = await this.run('place_call', () =>
      this.client.calls.create({
        to: req.to,
        from: req.from,
        ...(req.twiml ? { twiml: req.twiml } : { url: req.url!, method: req.method ?? 'POST' }),
        statusCallback: req.statusCallback,
        statusCallbackMethod: 'POST',
        statusCallbackEvent: [...(req.statusCallbackEvents ?? ALL_STATUS_EVENTS)],
        ...(req.timeoutSec !== undefined ? { timeout: req.timeoutSec } : {}),
        ...(req.timeLimitSec !== undefined ? { timeLimit: req.timeLimitSec } : {}),
      }),
    );
    this.log.info({ event: 'twilio.rest.call_placed', callSid: call.sid, status: call.status }, 'call placed');
    return callInfo(call);
  }

  /** Ends a call whatever its state (status=completed). */
  async hangUp(callSid: string): Promise<CallInfo> {
    const call = await this.run('hang_up', () => this.client.calls(callSid).update({ status: 'completed' }));
    this.log.info({ event: 'twilio.rest.hung_up', callSid }, 'call hung up');
    return callInfo(call);
  }

  /** Cancels a call that is still queued or ringing (status=canceled). */
  async cancel(callSid: string): Promise<CallInfo> {
    const call = await this.run('cancel', () => this.client.calls(callSid).update({ status: 'canceled' }));
    this.log.info({ event: 'twilio.rest.canceled', callSid }, 'call canceled');
    return callInfo(call);
  }

  /** Makes a live call execute new TwiML at once (this ends a running `<Connect><Stream>`). */
  async redirect(callSid: string, target: RedirectTarget): Promise<CallInfo> {
    const opts = 'twiml' in target ? { twiml: target.twiml } : { url: target.url, method: target.method ?? 'POST' };
    const call = await this.run('redirect', () => this.client.calls(callSid).update(opts));
    this.log.info({ event: 'twilio.rest.redirected', callSid }, 'call redirected');
    return callInfo(call);
  }

  /** The call as Twilio knows it now (GET Calls/{sid}); a call Twilio has not got is a 404 TwilioApiError. */
  async fetchCall(callSid: string): Promise<CallInfo> {
    return callInfo(await this.run('fetch_call', () => this.client.calls(callSid).fetch()));
  }

  /** Points a number of this account at tolk: Voice URL and status callback, both POST. */
  async configureNumber(phoneNumber: string, cfg: { voiceUrl: string; statusCallback: string }): Promise<NumberInfo> {
    const found = await this.run('find_number', () => this.client.incomingPhoneNumbers.list({ phoneNumber, limit: 2 }));
    if (found.length === 0) {
      throw new TwilioApiError({ status: 404, message: `phone number ${phoneNumber} is not in this Twilio account` });
    }
    const updated = await this.run('configure_number', () =>
      this.client.incomingPhoneNumbers(found[0].sid).update({
        voiceUrl: cfg.voiceUrl,
        voiceMethod: 'POST',
        statusCallback: cfg.statusCallback,
        statusCallbackMethod: 'POST',
      }),
    );
    this.log.info({ event: 'twilio.rest.number_configured', numberSid: updated.sid }, 'number configured');
    return {
      sid: updated.sid,
      phoneNumber: updated.phoneNumber,
      voiceUrl: updated.voiceUrl,
      voiceMethod: updated.voiceMethod,
      statusCallback: updated.statusCallback,
      statusCallbackMethod: updated.statusCallbackMethod,
    };
  }

  /** Adds a participant to a conference (by SID or friendly name; creating it if needed); returns its call SID. */
  async addParticipant(conference: string, p: ParticipantRequest): Promise<string> {
    const created = await this.run('add_participant', () =>
      this.client.conferences(conference).participants.create({
        from: p.from,
        to: p.to,
        beep: 'false',
        endConferenceOnExit: false,
        earlyMedia: true,
        ...(p.label ? { label: p.label } : {}),
        ...(p.timeoutSec !== undefined ? { timeout: p.timeoutSec } : {}),
        ...(p.statusCallback ? { statusCallback: p.statusCallback, statusCallbackMethod: 'POST', statusCallbackEvent: [...ALL_STATUS_EVENTS] } : {}),
        ...(p.coach ? { coaching: true, callSidToCoach: p.coach } : {}),
      }),
    );
    this.log.info({ event: 'twilio.rest.participant_added', conference, callSid: created.callSid, coaching: Boolean(p.coach) }, 'conference participant added');
    return created.callSid;
  }

  /** The conference in progress (or starting) with this SID or friendly name, and its participants. */
  async findConference(conference: string): Promise<{ sid: string; friendlyName: string; participants: ListedParticipant[] } | undefined> {
    let sid = conference;
    let friendlyName = conference;
    if (/^CF[0-9a-fA-F]{32}$/.test(conference)) {
      const conf = await this.run('fetch_conference', () => this.client.conferences(conference).fetch()).catch((err: unknown) => {
        if (err instanceof TwilioApiError && err.status === 404) return undefined;
        throw err;
      });
      if (!conf || conf.status === 'completed') return undefined;
      friendlyName = conf.friendlyName;
    } else {
      const found = [
        ...(await this.run('find_conference', () => this.client.conferences.list({ friendlyName: conference, status: 'in-progress', limit: 1 }))),
        ...(await this.run('find_conference', () => this.client.conferences.list({ friendlyName: conference, status: 'init', limit: 1 }))),
      ];
      if (found.length === 0) return undefined;
      sid = found[0].sid;
    }
    const participants = await this.run('list_participants', () => this.client.conferences(sid).participants.list({ limit: 250 }));
    return {
      sid,
      friendlyName,
      participants: participants.map((p) => ({ callSid: p.callSid, coaching: Boolean(p.coaching), ...(p.label ? { label: p.label } : {}), ...(p.status ? { status: p.status } : {}) })),
    };
  }

  /**
   * Plays an announcement to one participant, heard by them alone: Twilio fetches `url` (POST) for
   * TwiML (`<Say>`, `<Play>`, `<Pause>`).
   */
  async announceToParticipant(conference: string, callSid: string, url: string): Promise<void> {
    await this.run('announce_participant', () => this.client.conferences(conference).participants(callSid).update({ announceUrl: url, announceMethod: 'POST' }));
    this.log.info({ event: 'twilio.rest.participant_announced', conference, callSid }, 'announcement to a conference participant');
  }

  /** Removes (hangs up) a participant. */
  async removeParticipant(conference: string, callSid: string): Promise<void> {
    await this.run('remove_participant', () => this.client.conferences(conference).participants(callSid).remove());
    this.log.info({ event: 'twilio.rest.participant_removed', conference, callSid }, 'conference participant removed');
  }

  /** Ends a conference for everyone (status=completed). */
  async endConference(conference: string): Promise<void> {
    await this.run('end_conference', () => this.client.conferences(conference).update({ status: 'completed' }));
    this.log.info({ event: 'twilio.rest.conference_ended', conference }, 'conference ended');
  }

  /** The TwiML App with this SID in the account, or undefined when the account has none such. */
  async findApplication(sid: string): Promise<{ sid: string; voiceUrl: string } | undefined> {
    const app = await this.run('fetch_application', () => this.client.applications(sid).fetch()).catch((err: unknown) => {
      if (err instanceof TwilioApiError && err.status === 404) return undefined;
      throw err;
    });
    return app && { sid: app.sid, voiceUrl: app.voiceUrl };
  }

  /** Creates a TwiML App, or updates the one with this friendly name, to run `voiceUrl` (POST). */
  async configureApplication(friendlyName: string, voiceUrl: string): Promise<{ sid: string; friendlyName: string; voiceUrl: string; voiceMethod: string; created: boolean }> {
    const found = await this.run('find_application', () => this.client.applications.list({ friendlyName, limit: 1 }));
    const app = found[0]
      ? await this.run('update_application', () => this.client.applications(found[0].sid).update({ voiceUrl, voiceMethod: 'POST' }))
      : await this.run('create_application', () => this.client.applications.create({ friendlyName, voiceUrl, voiceMethod: 'POST' }));
    this.log.info({ event: 'twilio.rest.application_configured', applicationSid: app.sid }, 'TwiML App configured');
    return { sid: app.sid, friendlyName: app.friendlyName, voiceUrl: app.voiceUrl, voiceMethod: app.voiceMethod, created: !found[0] };
  }

  private async run<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const e = toTwilioApiError(err);
      this.log.warn(
        { event: 'twilio.rest.failed', op, status: e.status, code: e.code, message: e.message },
        'Twilio request failed',
      );
      throw e;
    }
  }
}

/** The statuses of a call that is over: only then is its end_time one. */
const ENDED: ReadonlySet<string> = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);

function callInfo(call: SdkCall): CallInfo {
  return {
    sid: call.sid,
    status: call.status,
    to: call.to,
    from: call.from,
    direction: call.direction,
    parentCallSid: call.parentCallSid ?? null,
    endTime: ENDED.has(call.status) && call.endTime instanceof Date && !Number.isNaN(call.endTime.getTime()) ? call.endTime : null,
  };
}
