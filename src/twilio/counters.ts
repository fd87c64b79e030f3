/**
 * Counters for everything unusual at the Twilio edge (malformed messages, refused tokens, dropped
 * audio...). A plain object so the metrics module can export it later without this folder knowing
 * about prom-client.
 */
export const TWILIO_COUNTER_NAMES = [
  // webhooks
  'webhook_signature_missing',
  'webhook_signature_invalid',
  'webhook_bad_request',
  'webhook_wrong_account',
  'webhook_duplicate',
  'webhook_handler_error',
  // several instances: a webhook passed on to the instance serving its call, or that could not be
  'webhook_forwarded',
  'webhook_forward_failed',
  // media stream connections
  'ws_connections',
  'ws_signature_missing',
  'ws_signature_invalid',
  'legs_started',
  // several instances: a stream for another instance relayed to it, or that could not be
  'ws_relayed',
  'ws_relay_failed',
  'start_timeout',
  // <Stream statusCallback>: Twilio reported stream-error (e.g. a failed handshake, error 31920)
  'stream_error',
  // stream token
  'token_missing',
  'token_malformed',
  'token_bad_signature',
  'token_wrong_call',
  'token_expired',
  'token_replayed',
  'token_wrong_account',
  'media_format_unsupported',
  // inbound messages
  'binary_frame',
  'invalid_json',
  'unknown_event',
  'invalid_message',
  'bad_base64',
  'oversized',
  'wrong_stream',
  'before_start',
  'duplicate_message',
  'sequence_jump',
  'timestamp_jump',
  'stream_closed_misbehaving',
  // an authenticated stream that went silent (no message for idleTimeoutMs) was closed
  'stream_idle',
  'sequence_gap_messages',
  'gap_fill_ms',
  'gap_skipped_ms',
  // outbound
  'outbound_dropped_frames',
  'outbound_dropped_bytes',
] as const;

export type TwilioCounterName = (typeof TWILIO_COUNTER_NAMES)[number];

export class TwilioCounters {
  private readonly values = new Map<TwilioCounterName, number>();

  inc(name: TwilioCounterName, by = 1): void {
    this.values.set(name, (this.values.get(name) ?? 0) + by);
  }

  get(name: TwilioCounterName): number {
    return this.values.get(name) ?? 0;
  }

  /** Every counter, zeros included. */
  snapshot(): Record<TwilioCounterName, number> {
    const out = {} as Record<TwilioCounterName, number>;
    for (const n of TWILIO_COUNTER_NAMES) out[n] = this.get(n);
    return out;
  }
}

/** The name the brief uses for the media-stream part of these counters. */
export type MediaStreamCounters = TwilioCounters;
