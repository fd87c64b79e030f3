// Deliberate stream faults for robustness tests: dropped media frames (the timestamp jumps, the
// sequence numbers stay consecutive, as when Twilio omits frames), malformed messages, network
// jitter (messages reach the application late by a varying amount, in order as over TCP, each
// keeping the timestamp and sequence number Twilio gave it when it sent it), and handshakes that
// fail. Deterministic for a given seed.

export type MalformedKind = 'invalid-json' | 'binary' | 'unknown-event' | 'bad-base64' | 'wrong-stream' | 'oversized';
export const MALFORMED_KINDS: MalformedKind[] = ['invalid-json', 'binary', 'unknown-event', 'bad-base64', 'wrong-stream', 'oversized'];

export interface StreamFaults {
  /** Probability (0..1) that a media frame is not sent. */
  lossRate?: number;
  /** After every Nth media frame, also send one malformed message (kinds rotate). */
  malformedEvery?: number;
  malformedKinds?: MalformedKind[];
  /**
   * Network jitter, ms: each message reaches the application between 0 and 2 x this late (±this
   * around the mean delay), never before the one sent ahead of it.
   */
  jitterMs?: number;
  seed?: number;
  /** Stream handshakes that fail (see StreamRefusals). */
  refuseStreams?: StreamRefusal[];
}

/**
 * When each message of a stream reaches the application under `jitterMs` of network jitter: a
 * random delay of 0..2 x jitterMs after it is sent, but never before the message ahead of it (one
 * TCP connection delivers in order). Times in ms on any one clock. Pure: give it the send time.
 */
export class JitterPlan {
  private state: number;
  private lastDue = -Infinity;

  constructor(
    private readonly jitterMs: number,
    seed = 1,
  ) {
    if (!(jitterMs >= 0) || !Number.isFinite(jitterMs)) throw new RangeError(`jitter must be a number of ms >= 0, got ${jitterMs}`);
    this.state = (seed * 2654435761) >>> 0 || 1;
  }

  /** When a message sent at `sentAt` arrives. */
  arrival(sentAt: number): number {
    this.state = (Math.imul(this.state, 1664525) + 1013904223) >>> 0;
    const delay = (this.state / 2 ** 32) * 2 * this.jitterMs;
    this.lastDue = Math.max(this.lastDue, sentAt + delay);
    return this.lastDue;
  }
}

export interface FaultDecision {
  drop: boolean;
  malformed?: MalformedKind;
}

export class FaultPlan {
  private state: number;
  private frames = 0;
  private malformedSent = 0;
  constructor(private readonly faults: StreamFaults = {}) {
    this.state = (faults.seed ?? 1) >>> 0 || 1;
  }

  private random(): number {
    // mulberry32
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  next(): FaultDecision {
    this.frames += 1;
    const drop = (this.faults.lossRate ?? 0) > 0 && this.random() < (this.faults.lossRate ?? 0);
    const every = this.faults.malformedEvery ?? 0;
    if (every > 0 && this.frames % every === 0) {
      const kinds = this.faults.malformedKinds?.length ? this.faults.malformedKinds : MALFORMED_KINDS;
      return { drop, malformed: kinds[this.malformedSent++ % kinds.length] };
    }
    return { drop };
  }
}

/** The bytes of a malformed message of the given kind (binary means: send as a binary frame). */
export function malformedMessage(kind: MalformedKind, streamSid: string): { data: string | Buffer; binary: boolean } {
  switch (kind) {
    case 'invalid-json':
      return { data: '{"event":"media",', binary: false };
    case 'binary':
      return { data: Buffer.alloc(160, 0xff), binary: true };
    case 'unknown-event':
      return { data: JSON.stringify({ event: 'bogus', streamSid, sequenceNumber: '0' }), binary: false };
    case 'bad-base64':
      return {
        data: JSON.stringify({ event: 'media', streamSid, sequenceNumber: '0', media: { track: 'inbound', chunk: '0', timestamp: '0', payload: '!!not base64!!' } }),
        binary: false,
      };
    case 'wrong-stream':
      return {
        data: JSON.stringify({ event: 'media', streamSid: 'MZ' + '0'.repeat(32), sequenceNumber: '0', media: { track: 'inbound', chunk: '0', timestamp: '0', payload: Buffer.alloc(160, 0xff).toString('base64') } }),
        binary: false,
      };
    case 'oversized':
      return {
        data: JSON.stringify({ event: 'media', streamSid, sequenceNumber: '0', media: { track: 'inbound', chunk: '0', timestamp: '0', payload: Buffer.alloc(1024 * 1024, 0xff).toString('base64') } }),
        binary: false,
      };
  }
}

/**
 * Stream handshakes that fail, as when the load balancer in front of the application cannot reach
 * the instance a stream URL leads to and answers 502: each rule refuses handshakes to URLs
 * containing `urlContains`, the next `count` of them (every one when absent). Twilio then reports
 * error 31920 and a `stream-error` status callback, and runs the TwiML after `<Connect>`.
 */
export interface StreamRefusal {
  urlContains: string;
  count?: number;
}

export class StreamRefusals {
  private readonly rules: { urlContains: string; left: number }[] = [];

  constructor(initial: readonly StreamRefusal[] = []) {
    for (const r of initial) this.add(r);
  }

  add(rule: StreamRefusal): void {
    if (rule.urlContains === '') throw new RangeError('a stream refusal needs part of a URL');
    if (rule.count !== undefined && !(Number.isInteger(rule.count) && rule.count > 0)) throw new RangeError(`a stream refusal's count is a whole number > 0, got ${rule.count}`);
    this.rules.push({ urlContains: rule.urlContains, left: rule.count ?? Infinity });
  }

  /** Whether a handshake to `url` fails now (a counted rule is used up by it). */
  refuses(url: string): boolean {
    const rule = this.rules.find((r) => r.left > 0 && url.includes(r.urlContains));
    if (!rule) return false;
    rule.left -= 1;
    return true;
  }
}
