// The emulator's event log: everything a test may want to inspect (call statuses, webhooks sent,
// TwiML executed, stream traffic), with emulated timestamps, plus waitFor() for tests.
import { EventEmitter } from 'node:events';
import type { CallStatus } from './call-record';
import type { WebhookKind } from './webhooks';

export type EmulatorEvent = { t: number; callSid?: string } & (
  | { type: 'call.created'; direction: string; from: string; to: string }
  | { type: 'call.status'; status: CallStatus }
  | { type: 'webhook'; kind: WebhookKind; url: string; method: string; params: Record<string, string>; status?: number; error?: string }
  | { type: 'twiml'; verb: string; detail: Record<string, unknown> }
  | { type: 'stream.open'; streamSid: string; url: string; headers: Record<string, string> }
  | { type: 'stream.received'; streamSid: string; event: 'media' | 'mark' | 'clear'; bytes?: number; name?: string }
  | { type: 'stream.mark-echoed'; streamSid: string; name: string; reason: 'played' | 'empty' | 'cleared' }
  | { type: 'stream.invalid'; streamSid: string; code: number; reason: string }
  | { type: 'stream.closed'; streamSid: string; by: 'server' | 'emulator' | 'error'; code?: number }
  | { type: 'stream.fault'; streamSid: string; fault: string }
  | { type: 'dtmf'; digits: string }
  | { type: 'party.say'; atSec: number; afterSpeech: boolean }
  | { type: 'conference'; name: string; conferenceSid: string; action: 'join' | 'leave' | 'end' }
  | { type: 'conference.update'; name: string; conferenceSid: string; action: 'start' | 'mute' | 'unmute' | 'hold' | 'unhold' | 'modify' | 'announcement-end' | 'announcement-fail' }
  /** A participant started or stopped speaking (only in a conference whose callback subscribes to `speaker`). */
  | { type: 'conference.speech'; name: string; conferenceSid: string; speaking: boolean }
  | { type: 'error'; code: number; message: string }
);

export type EventOf<T extends EmulatorEvent['type']> = Extract<EmulatorEvent, { type: T }>;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type NewEvent = DistributiveOmit<EmulatorEvent, 't'>;

export class EventLog {
  private readonly list: EmulatorEvent[] = [];
  private readonly emitter = new EventEmitter();
  constructor(
    private readonly now: () => number,
    private readonly maxEvents = 100_000,
  ) {
    this.emitter.setMaxListeners(0);
  }

  add(e: NewEvent): void {
    const ev = { ...e, t: Math.round(this.now()) };
    this.list.push(ev);
    if (this.list.length > this.maxEvents) this.list.shift();
    this.emitter.emit('event', ev);
  }

  all(): EmulatorEvent[] {
    return [...this.list];
  }

  on(listener: (e: EmulatorEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  /** Resolves with the first past or future event matching `pred`; rejects after timeoutMs (real time). */
  waitFor(pred: (e: EmulatorEvent) => boolean, timeoutMs = 10_000): Promise<EmulatorEvent> {
    const past = this.list.find(pred);
    if (past) return Promise.resolve(past);
    return new Promise((resolve, reject) => {
      const off = this.on((e) => {
        if (!pred(e)) return;
        clearTimeout(timer);
        off();
        resolve(e);
      });
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for an emulator event`));
      }, timeoutMs);
    });
  }

  close(): void {
    this.emitter.removeAllListeners();
  }
}
