/**
 * The form parameters Twilio posts to the voice webhook, to call status callbacks and to a
 * `<Stream statusCallback>` (only the ones tolk reads are named; Twilio adds parameters without
 * notice, so unknown ones are kept, not refused).
 */
import { z } from 'zod';

/** Call statuses Twilio reports; status callbacks may also say `initiated`. */
export type CallStatus =
  | 'queued'
  | 'initiated'
  | 'ringing'
  | 'in-progress'
  | 'completed'
  | 'busy'
  | 'failed'
  | 'no-answer'
  | 'canceled'
  | (string & {});

/** A parameter tolk reads, bounded (Twilio's own values are far shorter). */
const text = (max: number) => z.string().max(max, `must be at most ${max} characters`);
const status = text(32).min(1, 'must not be empty');
const count = z.string().regex(/^\d{1,10}$/, 'must be a number');

const common = {
  CallSid: z.string().regex(/^CA[0-9a-fA-F]{32}$/, 'must be a call SID'),
  AccountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be an account SID'),
  From: text(256).optional(),
  To: text(256).optional(),
  CallStatus: text(32).optional(),
  Direction: text(32).optional(),
  ParentCallSid: text(64).optional(),
  ApiVersion: text(32).optional(),
};

export const voiceParamsSchema = z.looseObject({
  ...common,
  /** Keys pressed in a `<Gather>`. */
  Digits: text(64).optional(),
});

export const statusParamsSchema = z.looseObject({
  ...common,
  CallStatus: status,
  CallDuration: count.optional(),
  Duration: count.optional(),
  SipResponseCode: text(8).optional(),
  SequenceNumber: count.optional(),
  Timestamp: text(64).optional(),
  CallbackSource: text(64).optional(),
  AnsweredBy: text(32).optional(),
});

/** `<Stream statusCallback>` events Twilio documents (others are accepted, as for call statuses). */
export type TwilioStreamEvent = 'stream-started' | 'stream-stopped' | 'stream-error' | (string & {});

export const streamStatusParamsSchema = z.looseObject({
  CallSid: common.CallSid,
  AccountSid: common.AccountSid,
  StreamSid: z.string().regex(/^MZ[0-9a-fA-F]{32}$/, 'must be a stream SID'),
  StreamName: text(256).optional(),
  StreamEvent: status,
  StreamError: text(1024).optional(),
  Timestamp: text(64).optional(),
});

/** A conference's status callback (`<Conference statusCallback>`): `CallSid` on participant events. */
export const conferenceParamsSchema = z.looseObject({
  AccountSid: common.AccountSid,
  ConferenceSid: z.string().regex(/^CF[0-9a-fA-F]{32}$/, 'must be a conference SID'),
  FriendlyName: text(128).optional(),
  StatusCallbackEvent: status,
  CallSid: common.CallSid.optional(),
  Coaching: text(8).optional(),
  CallSidToCoach: text(64).optional(),
  SequenceNumber: count.optional(),
  Timestamp: text(64).optional(),
  ReasonParticipantLeft: text(64).optional(),
  CallSidEndingConference: text(64).optional(),
});

export type TwilioConferenceParams = Loose<{
  AccountSid: string;
  ConferenceSid: string;
  FriendlyName?: string;
  /** conference-start, conference-end, participant-join, participant-leave, ... */
  StatusCallbackEvent: string;
  CallSid?: string;
  Coaching?: string;
  CallSidToCoach?: string;
  SequenceNumber?: string;
  /** participant-leave: why (participant_hung_up, participant_updated_via_api, participant_with_end_conference_on_exit_left, ...). */
  ReasonParticipantLeft?: string;
  /** conference-end: the participant whose leaving ended it, where one did. */
  CallSidEndingConference?: string;
}>;

type Loose<T> = T & { readonly [param: string]: string | string[] | undefined };

export type TwilioVoiceParams = Loose<{
  CallSid: string;
  AccountSid: string;
  From?: string;
  To?: string;
  CallStatus?: CallStatus;
  Direction?: string;
  ParentCallSid?: string;
  ApiVersion?: string;
}>;

export type TwilioStatusParams = Loose<
  Omit<TwilioVoiceParams, 'CallStatus'> & {
    CallStatus: CallStatus;
    CallDuration?: string;
    Duration?: string;
    SipResponseCode?: string;
    SequenceNumber?: string;
    Timestamp?: string;
    CallbackSource?: string;
    AnsweredBy?: string;
  }
>;

export type TwilioStreamStatusParams = Loose<{
  CallSid: string;
  AccountSid: string;
  StreamSid: string;
  /** The `<Stream name>`, else the StreamSid. */
  StreamName?: string;
  StreamEvent: TwilioStreamEvent;
  /** What went wrong, on `stream-error`. */
  StreamError?: string;
  /** ISO 8601. */
  Timestamp?: string;
}>;
