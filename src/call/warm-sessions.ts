/**
 * Translation sessions opened ahead of the media they will translate: an instance adopting a call
 * opens them before the call's media is moved to it, so no speech waits for a session to connect.
 * A route asking for a session into a language opened ahead gets that one (already started);
 * any other comes from the real factory.
 */
import { SAMPLE_RATE } from '../audio/frame';
import type { Logger } from '../log/logger';
import type { TranslationSession, TranslationSessionEvents, TranslationSessionFactory, TranslationSessionOptions } from './ports';

export class WarmSessions implements TranslationSessionFactory {
  private readonly ready = new Map<string, { session: TranslationSession; started: Promise<void> }>();

  constructor(private readonly inner: TranslationSessionFactory) {}

  /**
   * Opens one session into each of `languages`; resolves once all are set up, rejects when one
   * fails or `timeoutMs` passes (the sessions opened are then closed).
   */
  async open(languages: readonly string[], opts: { echoTargetLanguage: boolean; logger: Logger; timeoutMs: number }): Promise<void> {
    for (const language of new Set(languages)) {
      const session = this.inner.create({ targetLanguage: language, echoTargetLanguage: opts.echoTargetLanguage, inputRate: SAMPLE_RATE, outputRate: SAMPLE_RATE, logger: opts.logger.child({ warm: language }) });
      const started = session.start();
      started.catch(() => undefined);
      this.ready.set(language, { session, started });
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`translation sessions not set up within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    });
    try {
      await Promise.race([Promise.all([...this.ready.values()].map((r) => r.started)), timeout]);
    } catch (err) {
      await this.close();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  create(opts: TranslationSessionOptions): TranslationSession {
    const warm = this.ready.get(opts.targetLanguage);
    if (!warm) return this.inner.create(opts);
    this.ready.delete(opts.targetLanguage);
    return started(warm.session, warm.started);
  }

  /** Closes the sessions no route took. */
  async close(): Promise<void> {
    const left = [...this.ready.values()];
    this.ready.clear();
    await Promise.all(left.map((r) => r.session.close().catch(() => undefined)));
  }
}

/** `session`, already started: `start` resolves with the start under way, and a state listener hears the state it is in. */
function started(session: TranslationSession, starting: Promise<void>): TranslationSession {
  const wrapper: TranslationSession = {
    get targetLanguage() {
      return session.targetLanguage;
    },
    get state() {
      return session.state;
    },
    start: () => starting,
    sendAudio: (pcm) => session.sendAudio(pcm),
    close: () => session.close(),
    stats: () => session.stats(),
    on<E extends keyof TranslationSessionEvents>(e: E, l: TranslationSessionEvents[E]) {
      session.on(e, l);
      if (e === 'state') {
        const now = session.state;
        queueMicrotask(() => (l as TranslationSessionEvents['state'])(now));
      }
      return wrapper;
    },
    off<E extends keyof TranslationSessionEvents>(e: E, l: TranslationSessionEvents[E]) {
      session.off(e, l);
      return wrapper;
    },
  };
  return wrapper;
}
