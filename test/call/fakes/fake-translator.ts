import { EventEmitter } from 'node:events';
import type { SessionState, SessionStats, TranslationSession, TranslationSessionEvents, TranslationSessionFactory, TranslationSessionOptions } from '../../../src/call/ports';

/** A translation session the test drives by hand: it records input and emits whatever the test says. */
export class FakeTranslator extends EventEmitter implements TranslationSession {
  state: SessionState = 'connecting';
  /** Samples received, at `inputRate`. */
  received = 0;
  closed = false;

  constructor(
    readonly targetLanguage: string,
    readonly inputRate: number | undefined,
    readonly outputRate: number | undefined,
  ) {
    super();
  }

  start(): Promise<void> {
    this.state = 'open';
    return Promise.resolve();
  }

  sendAudio(pcm: Int16Array): void {
    this.received += pcm.length;
  }

  close(): Promise<void> {
    this.closed = true;
    this.state = 'closed';
    return Promise.resolve();
  }

  stats(): SessionStats {
    return { reconnects: 0, handovers: 0, inputSamplesSent: this.received, inputSamplesDropped: 0, outputSamples: 0, malformedFrames: 0 };
  }

  fire<E extends keyof TranslationSessionEvents>(event: E, ...args: Parameters<TranslationSessionEvents[E]>): void {
    this.emit(event, ...args);
  }

  override on<E extends keyof TranslationSessionEvents>(e: E, l: TranslationSessionEvents[E]): this {
    return super.on(e, l);
  }

  override off<E extends keyof TranslationSessionEvents>(e: E, l: TranslationSessionEvents[E]): this {
    return super.off(e, l);
  }
}

export class FakeTranslatorFactory implements TranslationSessionFactory {
  readonly created: FakeTranslator[] = [];

  create(opts: TranslationSessionOptions): FakeTranslator {
    const t = new FakeTranslator(opts.targetLanguage, opts.inputRate, opts.outputRate);
    this.created.push(t);
    return t;
  }

  to(language: string): FakeTranslator {
    const t = this.created.find((c) => c.targetLanguage === language);
    if (!t) throw new Error(`no translator into ${language}`);
    return t;
  }
}
