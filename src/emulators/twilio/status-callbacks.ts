// Call progress events as Twilio reports them to StatusCallback: which events are sent, and the
// parameters of each (CallStatus, SequenceNumber from 0, RFC 2822 Timestamp, durations on
// terminal events, SipResponseCode on failures), and the requests of `<Stream statusCallback>`.
import { callWebhookParams, rfc2822, type CallRecord, type CallStatus } from './call-record';

export type ProgressEvent = 'initiated' | 'ringing' | 'answered' | 'completed';

/** Whether Twilio would send `event` for this call: `completed` by default, others when requested. */
export function wantsEvent(call: CallRecord, event: ProgressEvent): boolean {
  if (!call.statusCallback) return false;
  if (event === 'completed') return true;
  return call.statusCallbackEvents.has(event);
}

const SIP_CODES: Partial<Record<CallStatus, string>> = { busy: '486', 'no-answer': '487', failed: '404', canceled: '487' };

export function statusCallbackParams(call: CallRecord, event: ProgressEvent, now: Date): Record<string, string> {
  const callStatus = event === 'initiated' ? 'initiated' : event === 'ringing' ? 'ringing' : event === 'answered' ? 'in-progress' : call.status;
  const p: Record<string, string> = {
    ...callWebhookParams(call),
    CallStatus: callStatus,
    CallbackSource: 'call-progress-events',
    Timestamp: rfc2822(now),
    SequenceNumber: String(call.callbackSequence++),
  };
  if (event === 'completed') {
    const secs = call.durationSec ?? 0;
    p.CallDuration = String(secs);
    p.Duration = String(Math.ceil(secs / 60));
    const sip = SIP_CODES[call.status];
    p.SipResponseCode = sip ?? '200';
  }
  return p;
}

/** What `<Stream statusCallback>` reports: the WebSocket opened, ended, or its handshake failed. */
export type StreamEvent = 'stream-started' | 'stream-stopped' | 'stream-error';

export interface StreamStatusSource {
  accountSid: string;
  callSid: string;
  streamSid: string;
  /** The `<Stream name>`; Twilio sends the StreamSid when there is none. */
  name?: string;
}

/** The parameters of a `<Stream statusCallback>` request (ISO 8601 Timestamp; StreamError only on errors). */
export function streamStatusParams(stream: StreamStatusSource, event: StreamEvent, now: Date, error?: string): Record<string, string> {
  const p: Record<string, string> = {
    AccountSid: stream.accountSid,
    CallSid: stream.callSid,
    StreamSid: stream.streamSid,
    StreamName: stream.name || stream.streamSid,
    StreamEvent: event,
    Timestamp: now.toISOString(),
  };
  if (event === 'stream-error') p.StreamError = error ?? 'unknown error';
  return p;
}
