/**
 * Where the translator ends an utterance: after a pause in the speech the service was given, as
 * that speech went by. A stall of tolk's process or of the phone line (no audio for a while, then
 * what was held up in a burst) happens on a loaded machine mid-sentence; the sentence must still
 * be one transcript line. The Live service here is in memory and the clock is Jest's, so the test
 * says exactly when each frame and each answer comes.
 */
import type { ClientSocketHandlers, OpenClientSocket } from '../../src/translate/guarded-socket';
import type { TranslationSession } from '../../src/call/ports';
import { factory, memoryLogger, record } from './helpers';

/** One Live connection whose answers the test gives. */
class ScriptedLive {
  private on: ClientSocketHandlers | undefined;
  readonly open: OpenClientSocket = (_url, _headers, on) => {
    this.on = on;
    const socket = {
      readyState: 0,
      send: (text: string) => {
        if (text.includes('"setup"')) queueMicrotask(() => on.message(JSON.stringify({ setupComplete: {} })));
      },
      sendText: () => undefined,
      close: () => {
        if (socket.readyState >= 2) return;
        socket.readyState = 3;
        queueMicrotask(() => on.close({ code: 1000, reason: '' }));
      },
      terminate: () => socket.close(),
    };
    queueMicrotask(() => {
      socket.readyState = 1;
      on.open();
    });
    return socket;
  };

  /** The service's transcript of what it heard, and of its translation. */
  says(heard: string, translated: string): void {
    this.on!.message(JSON.stringify({ serverContent: { inputTranscription: { text: heard, languageCode: 'es' } } }));
    this.on!.message(JSON.stringify({ serverContent: { outputTranscription: { text: translated, languageCode: 'en' } } }));
  }
}

const FRAME = 320; // 20 ms at 16 kHz
const speech = new Int16Array(FRAME).fill(6000);
const silence = new Int16Array(FRAME);

/** `ms` of the phone line, one 20 ms frame as each goes by. */
function line(t: TranslationSession, ms: number, frame = speech): void {
  for (let i = 0; i < ms / 20; i++) {
    t.sendAudio(frame);
    jest.advanceTimersByTime(20);
  }
}

/** `ms` of the phone line held up and then given all at once (the burst after a stall). */
function burst(t: TranslationSession, ms: number, frame = speech): void {
  for (let i = 0; i < ms / 20; i++) t.sendAudio(frame);
}

describe('utterance segmentation in the translator', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] }));
  afterEach(() => jest.useRealTimers());

  async function session(): Promise<{ t: TranslationSession; live: ScriptedLive; r: ReturnType<typeof record> }> {
    const live = new ScriptedLive();
    const t = factory('http://gemini.invalid', { segmentPauseMs: 1_200, segmentStallMs: 5_000, openSocket: live.open }).create({ targetLanguage: 'en', logger: memoryLogger().logger });
    const r = record(t);
    await t.start();
    return { t, live, r };
  }

  it('writes one line for a sentence spoken through a stall of the process and the phone line', async () => {
    const { t, live, r } = await session();
    line(t, 400);
    live.says('Hola, ', 'Hello, ');
    line(t, 400);
    live.says('quisiera ', 'I would like ');
    line(t, 300);
    // Nothing runs for 2 s: no frame of the caller, no answer of the service, only the clock goes on.
    jest.advanceTimersByTime(2_000);
    // Then the frames held up arrive at once, and the service answers what it heard in them.
    burst(t, 1_500);
    line(t, 300);
    live.says('saber el estado ', 'to know the status ');
    line(t, 400);
    live.says('de mi pedido.', 'of my order.');
    // The caller stops talking; the line carries their silence.
    line(t, 1_500, silence);
    expect(r.utterances.map((u) => [u.source.text, u.translation.text])).toEqual([['Hola, quisiera saber el estado de mi pedido.', 'Hello, I would like to know the status of my order.']]);
    await t.close();
  });

  it('ends an utterance once the caller has paused for the pause, and the next words start another', async () => {
    const { t, live, r } = await session();
    line(t, 600);
    live.says('Hola.', 'Hello.');
    line(t, 1_100, silence);
    expect(r.utterances).toHaveLength(0);
    line(t, 200, silence);
    expect(r.utterances.map((u) => u.source.text)).toEqual(['Hola.']);
    line(t, 600);
    live.says('Adiós.', 'Goodbye.');
    line(t, 1_300, silence);
    expect(r.utterances.map((u) => u.source.text)).toEqual(['Hola.', 'Adiós.']);
    await t.close();
  });

  it('ends an utterance when no audio comes in any more, once the stall allowance has passed', async () => {
    const { t, live, r } = await session();
    line(t, 600);
    live.says('Hola.', 'Hello.');
    jest.advanceTimersByTime(4_900);
    expect(r.utterances).toHaveLength(0);
    jest.advanceTimersByTime(200);
    expect(r.utterances.map((u) => u.source.text)).toEqual(['Hola.']);
    await t.close();
  });
});
