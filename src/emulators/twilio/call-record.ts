// The state of one call as the REST API shows it, and its JSON representation (snake_case,
// RFC 2822 dates, as api.twilio.com returns).

export type CallStatus = 'queued' | 'ringing' | 'in-progress' | 'completed' | 'busy' | 'failed' | 'no-answer' | 'canceled';
export const TERMINAL_STATUSES: ReadonlySet<CallStatus> = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);
export type CallDirection = 'inbound' | 'outbound-api';

export interface CallRecord {
  sid: string;
  accountSid: string;
  from: string;
  to: string;
  direction: CallDirection;
  status: CallStatus;
  dateCreated: Date;
  dateUpdated: Date;
  startTime?: Date;
  endTime?: Date;
  /** Emulated ms at answer (for duration). */
  answeredAt?: number;
  durationSec?: number;
  phoneNumberSid?: string;
  /** Where the call's TwiML comes from. */
  url?: string;
  method: string;
  twiml?: string;
  statusCallback?: string;
  statusCallbackMethod: string;
  statusCallbackEvents: Set<string>;
  timeoutSec: number;
  /** Next status-callback SequenceNumber (starts at 0). */
  callbackSequence: number;
}

/** RFC 2822 date as Twilio prints it: "Tue, 31 Aug 2010 20:36:28 +0000". */
export function rfc2822(d: Date): string {
  return d.toUTCString().replace('GMT', '+0000');
}

export function callJson(c: CallRecord): Record<string, unknown> {
  const uri = `/2010-04-01/Accounts/${c.accountSid}/Calls/${c.sid}.json`;
  const base = uri.slice(0, -'.json'.length);
  return {
    sid: c.sid,
    date_created: rfc2822(c.dateCreated),
    date_updated: rfc2822(c.dateUpdated),
    parent_call_sid: null,
    account_sid: c.accountSid,
    to: c.to,
    to_formatted: c.to,
    from: c.from,
    from_formatted: c.from,
    phone_number_sid: c.phoneNumberSid ?? null,
    status: c.status,
    start_time: c.startTime ? rfc2822(c.startTime) : null,
    end_time: c.endTime ? rfc2822(c.endTime) : null,
    duration: c.durationSec === undefined ? null : String(c.durationSec),
    price: null,
    price_unit: 'USD',
    direction: c.direction,
    answered_by: null,
    api_version: '2010-04-01',
    forwarded_from: null,
    group_sid: null,
    caller_name: null,
    queue_time: '0',
    trunk_sid: null,
    uri,
    subresource_uris: {
      notifications: `${base}/Notifications.json`,
      recordings: `${base}/Recordings.json`,
      streams: `${base}/Streams.json`,
      events: `${base}/Events.json`,
    },
  };
}

/** Parameters Twilio sends with every voice request about this call. */
export function callWebhookParams(c: CallRecord): Record<string, string> {
  return {
    AccountSid: c.accountSid,
    ApiVersion: '2010-04-01',
    CallSid: c.sid,
    CallStatus: c.status,
    Called: c.to,
    Caller: c.from,
    Direction: c.direction,
    From: c.from,
    To: c.to,
  };
}
