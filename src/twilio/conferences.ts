/**
 * The call core's conference port on Twilio: parties dialled in through the Participants API,
 * interpreter legs as TwiML App participants (`to: app:<TWILIO_TWIML_APP_SID>?token=...`, the app's
 * Voice URL being POST /twilio/interpreter), whisper as coaching (`coaching`, `callSidToCoach`).
 *
 * An interpreter leg's call SID is not known before Twilio creates it, so its token is bound to a
 * ticket instead: `IT` and the 32 hex digits of tolk's call id (a UUID). /twilio/interpreter checks
 * the token against its own ticket, learns the call and endpoint from it, and answers with a stream
 * token for the leg's real call SID.
 *
 * A member is told something (interpretation unavailable) by an announcement: Twilio fetches
 * POST /twilio/announce?message=...&language=..., which answers `<Say>`.
 *
 * A conference tolk joined reports its events to whoever created it, so tolk follows it by listing
 * its participants once a second (`watch`), counting those in the room (not one whose phone still rings).
 */
import type { AddInterpreterRequest, AddPartyRequest, ConferenceEvent, ConferenceInfo, ConferenceTelephony } from '../call/ports';
import type { Logger } from '../log/logger';
import { InterpreterLegRefusedError, WhisperRefusedError } from '../call/ports';
import { CALL_ID_PARAM } from './call-params';
import { TWILIO_PATHS } from './module';
import type { ListedParticipant, TwilioRestClient } from './rest-client';
import { TwilioApiError } from './rest-errors';
import { webhookUrl } from './signature';
import type { StreamTokens } from './stream-token';

/** Twilio errors that mean coaching is not possible on this account or for this participant. */
const WHISPER_REFUSED = new Set([16000]);

export interface TwilioConferencesDeps {
  rest: TwilioRestClient;
  tokens: StreamTokens;
  publicUrl: string;
  /** TWILIO_TWIML_APP_SID. */
  appSid: string | undefined;
  /** How often a joined conference's participants are listed (default 1000 ms). */
  pollMs?: number;
  logger?: Logger;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The ticket an interpreter leg's token is bound to, for call `callId` (a UUID). */
export function interpreterTicket(callId: string): string {
  if (!UUID.test(callId)) throw new Error(`conference call ids are UUIDs, not ${callId}`);
  return `IT${callId.replace(/-/g, '').toLowerCase()}`;
}

/** The call id a ticket was made for, or undefined if it is no ticket. */
export function callIdOfTicket(ticket: string): string | undefined {
  const m = /^IT([0-9a-f]{8})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{12})$/.exec(ticket);
  return m ? m.slice(1).join('-') : undefined;
}

export class TwilioConferences implements ConferenceTelephony {
  constructor(private readonly deps: TwilioConferencesDeps) {}

  async addParty(req: AddPartyRequest): Promise<string> {
    return this.deps.rest.addParticipant(req.conference, {
      from: req.callerId,
      to: req.destination,
      label: 'agent',
      timeoutSec: req.ringTimeoutSec,
      statusCallback: webhookUrl(this.deps.publicUrl, `${TWILIO_PATHS.status}?${CALL_ID_PARAM}=${encodeURIComponent(req.callId)}`),
    });
  }

  async addInterpreter(req: AddInterpreterRequest): Promise<string> {
    if (!this.deps.appSid) throw new InterpreterLegRefusedError('TWILIO_TWIML_APP_SID is not set (run: tolk twilio configure-app)');
    const token = this.deps.tokens.issue({ callSid: interpreterTicket(req.callId), role: req.endpoint, ttlMs: 120_000 });
    try {
      return await this.deps.rest.addParticipant(req.conference, {
        from: req.callerId,
        to: `app:${this.deps.appSid}?token=${token}`,
        // Labels are unique in a conference: the legs of a call moved to another instance sit beside the old ones for a moment.
        label: `interpreter-${req.endpoint}${req.generation && req.generation > 1 ? `-${req.generation}` : ''}`,
        ...(req.whisperTo ? { coach: req.whisperTo } : {}),
      });
    } catch (err) {
      if (req.whisperTo && err instanceof TwilioApiError && err.code !== undefined && WHISPER_REFUSED.has(err.code)) {
        throw new WhisperRefusedError(`Twilio error ${err.code}: ${err.message}`);
      }
      // Twilio refused the leg (a 4xx other than 429): asking again would be refused the same way.
      // A 429/5xx is retried by the dial queue while the leg may still be placed in time (and
      // refused for good after that, see dialProcessor); no answer at all (status 0) may pass.
      if (err instanceof TwilioApiError && err.status !== 0 && !err.retryable) throw new InterpreterLegRefusedError(legRefusal(err));
      if (err instanceof TwilioApiError && err.retryable) {
        throw new TwilioApiError({ status: err.status, code: err.code, moreInfo: err.moreInfo, attempts: err.attempts, message: legRefusal(err), cause: err });
      }
      throw err;
    }
  }

  async find(conference: string): Promise<ConferenceInfo | undefined> {
    const found = await this.deps.rest.findConference(conference);
    if (!found) return undefined;
    return {
      ref: found.sid,
      name: found.friendlyName,
      members: found.participants.filter(inTheRoom).map((p) => ({ legRef: p.callSid, whispering: p.coaching, ...(p.label ? { label: p.label } : {}) })),
    };
  }

  /** Polls the conference's participants (every `pollMs`, default 1 s) and reports the differences. */
  watch(conference: ConferenceInfo, onEvent: (e: ConferenceEvent) => void): () => void {
    let known = new Map(conference.members.map((m) => [m.legRef, m]));
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const poll = async (): Promise<void> => {
      let now: ConferenceInfo | undefined;
      try {
        now = await this.find(conference.ref);
      } catch (err) {
        this.deps.logger?.warn({ event: 'conference.poll_failed', conferenceSid: conference.ref, err }, 'could not list the conference participants');
        return schedule();
      }
      if (stopped) return;
      if (!now) {
        onEvent({ type: 'ended', conferenceRef: conference.ref });
        return;
      }
      const next = new Map(now.members.map((m) => [m.legRef, m]));
      for (const m of next.values()) if (!known.has(m.legRef)) onEvent({ type: 'joined', conferenceRef: conference.ref, legRef: m.legRef, whispering: m.whispering });
      for (const m of known.values()) if (!next.has(m.legRef)) onEvent({ type: 'left', conferenceRef: conference.ref, legRef: m.legRef });
      known = next;
      schedule();
    };
    const schedule = (): void => {
      if (!stopped) timer = setTimeout(() => void poll(), this.deps.pollMs ?? 1000);
    };
    schedule();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }

  async removeLeg(conference: string, legRef: string): Promise<void> {
    try {
      await this.deps.rest.removeParticipant(conference, legRef);
    } catch (err) {
      // Already gone (it hung up, or the conference ended): nothing to remove.
      if (!(err instanceof TwilioApiError && err.status === 404)) throw err;
    }
  }

  async end(conference: string): Promise<void> {
    await this.deps.rest.endConference(conference);
  }

  /** Twilio fetches the announcement from POST /twilio/announce, which says `text` in `locale`. */
  async announce(conference: string, legRef: string, text: string, locale: string): Promise<void> {
    const query = new URLSearchParams({ message: text, language: locale }).toString();
    await this.deps.rest.announceToParticipant(conference, legRef, webhookUrl(this.deps.publicUrl, `${TWILIO_PATHS.announce}?${query}`));
  }
}

/**
 * Whether a listed participant is in the room: Twilio lists one added by REST while its call is
 * being placed (queued, connecting, ringing), who hears nothing yet and cannot be whispered to
 * (16028). Such a participant is a member once connected (the next poll reports them joined).
 * One listed with no status is taken as connected.
 */
function inTheRoom(p: ListedParticipant): boolean {
  return p.status === undefined || p.status === 'connected';
}

/** How an interpreter leg's refusal by Twilio reads (the call's record and log carry it). */
export function legRefusal(err: TwilioApiError): string {
  return `Twilio ${err.status}${err.code !== undefined ? ` error ${err.code}` : ''}: ${err.message}`;
}
