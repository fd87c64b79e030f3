import type { FakeTranslator, FakeTranslatorFactory } from './fake-translator';
import { flush } from './rig-fixtures';

/**
 * The translation sessions of a call as the test makes them hear speech. `noteSessions` notes when
 * each session made since it last looked started its input clock (a session is made with nothing
 * held, so its clock starts then), as `elapsedMs` (ms since the call started) says.
 */
export function sessionHearing(translators: FakeTranslatorFactory, elapsedMs: () => number) {
  const sessionStart = new Map<FakeTranslator, number>();
  const noteSessions = (): void => {
    for (const t of translators.created) if (!sessionStart.has(t)) sessionStart.set(t, elapsedMs());
  };
  /**
   * The session translating into `target` hears an utterance in `heard` over the last `ms` of
   * the call: it reports the language, then the final utterance (times on its input clock).
   */
  const hears = async (target: string, heard: string, text: string, ms = 2000): Promise<void> => {
    const session = translators.created.filter((t) => t.targetLanguage === target && !t.closed).at(-1);
    if (!session) throw new Error(`no open session into ${target}`);
    const endMs = elapsedMs() - (sessionStart.get(session) ?? 0);
    session.fire('language', heard);
    await flush();
    noteSessions();
    session.fire('utterance', { source: { text, languageCode: heard }, translation: { text: `(${target}) ${text}`, languageCode: target }, startMs: Math.max(0, endMs - ms), endMs });
    await flush();
  };
  return { noteSessions, hears };
}
