/**
 * An adopted call waiting for the speech in progress the instance it moved from hands over
 * (POST /cluster/speech): once its routes can start (`arm`), they start with that speech as soon
 * as it comes (`take`), or without it after `HANDED_SPEECH_WAIT_MS`. Speech that comes before they
 * can start is kept for then; speech that comes after they started without it is not taken (the
 * giving instance then writes what it made of it).
 */
import type { Logger } from '../log/logger';
import type { SpeechHandOver } from './ports';

/** How long an adopted call's routes, ready to start, wait for the speech in progress handed over. */
export const HANDED_SPEECH_WAIT_MS = 1_500;

export class HandedSpeech {
  private speech: SpeechHandOver['speech'] | undefined;
  private start: ((speech: SpeechHandOver['speech']) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private over = false;
  private settle!: () => void;
  /** Resolves once the wait is over: the routes started (with the speech or without), or never will. */
  readonly settled = new Promise<void>((resolve) => (this.settle = resolve));

  constructor(
    private readonly log: Logger,
    private readonly waitMs = HANDED_SPEECH_WAIT_MS,
  ) {}

  /** The speech handed over; false when it is no longer waited for (came too late, or the call let go). */
  take(speech: SpeechHandOver['speech']): boolean {
    if (this.over || this.speech) return false;
    this.speech = speech;
    if (this.start) this.run();
    return true;
  }

  /** The routes can start: `start` runs once, with the speech handed over, or with none after the wait. */
  arm(start: (speech: SpeechHandOver['speech']) => void): void {
    if (this.over || this.start) return;
    this.start = start;
    if (this.speech) {
      this.run();
      return;
    }
    this.timer = setTimeout(() => {
      this.log.warn({ event: 'call.handed_speech_missing', waitedMs: this.waitMs }, 'no speech in progress came from the instance the call moved from: translating from here');
      this.run();
    }, this.waitMs);
  }

  /** The call ends or moves on here: nothing is started, and speech still to come is not taken. */
  stop(): void {
    clearTimeout(this.timer);
    this.over = true;
    this.start = undefined;
    this.settle();
  }

  private run(): void {
    clearTimeout(this.timer);
    this.over = true;
    const start = this.start;
    this.start = undefined;
    start?.(this.speech ?? []);
    this.settle();
  }
}
