import { EventEmitter } from 'node:events';
import type { Translator, TranslatorEvents, TranslatorFactory, TranslatorOptions, TranslatorState, TranslatorStats } from '../../../src/translate/translator';

/** A translator the test drives by hand: it records input and emits whatever the test says. */
export class FakeTranslator extends EventEmitter implements Translator {
  state: TranslatorState = 'connecting';
  received = 0;
  closed = false;

  constructor(readonly targetLanguage: string) {
    super();
  }

  start(): Promise<void> {
    this.state = 'open';
    return Promise.resolve();
  }

  sendAudio(pcm16k: Int16Array): void {
    this.received += pcm16k.length;
  }

  close(): Promise<void> {
    this.closed = true;
    this.state = 'closed';
    return Promise.resolve();
  }

  stats(): TranslatorStats {
    return { reconnects: 0, handovers: 0, inputSamplesSent: this.received, inputSamplesDropped: 0, outputSamples: 0, malformedFrames: 0 };
  }

  fire<E extends keyof TranslatorEvents>(event: E, ...args: Parameters<TranslatorEvents[E]>): void {
    this.emit(event, ...args);
  }

  override on<E extends keyof TranslatorEvents>(e: E, l: TranslatorEvents[E]): this {
    return super.on(e, l);
  }

  override off<E extends keyof TranslatorEvents>(e: E, l: TranslatorEvents[E]): this {
    return super.off(e, l);
  }
}

export class FakeTranslatorFactory implements TranslatorFactory {
  readonly created: FakeTranslator[] = [];

  create(opts: TranslatorOptions): FakeTranslator {
    const t = new FakeTranslator(opts.targetLanguage);
    this.created.push(t);
    return t;
  }

  to(language: string): FakeTranslator {
    const t = this.created.find((c) => c.targetLanguage === language);
    if (!t) throw new Error(`no translator into ${language}`);
    return t;
  }
}
