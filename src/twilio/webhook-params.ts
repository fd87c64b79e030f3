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

const common = {
  CallSid: z.string().regex(/^CA[0-9a-fA-F]{32}$/, 'must be a call SID'),
  AccountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be an account SID'),
  From: z.string().optional(),
  To: z.string().optional(),
  CallStatus: z.string().optional(),
  Direction: z.string().optional(),
  ParentCallSid: z.string().optional(),
  ApiVersion: z.string().optional(),
};

export const voiceParamsSchema = z.looseObject({ ...common });

export const statusParamsSchema = z.looseObject({
  ...common,
  CallStatus: z.string().min(1),
  CallDuration: z.string().optional(),
  Duration: z.string().optional(),
  SipResponseCode: z.string().optional(),
  SequenceNumber: z.string().optional(),
  Timestamp: z.string().optional(),
  CallbackSource: z.string().optional(),
  AnsweredBy: z.string().optional(),
});

/** `<Stream statusCallback>` events Twilio documents (others are accepted, as for call statuses). */
export type TwilioStreamEvent = 'stream-started' | 'stream-stopped' | 'stream-error' | (string & {});

export const streamStatusParamsSchema = z.looseObject({
  CallSid: common.CallSid,
  AccountSid: common.AccountSid,
  StreamSid: z.string().regex(/^MZ[0-9a-fA-F]{32}$/, 'must be a stream SID'),
  StreamName: z.string().optional(),
  StreamEvent: z.string().min(1),
  StreamError: z.string().optional(),
  Timestamp: z.string().optional(),
});

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
