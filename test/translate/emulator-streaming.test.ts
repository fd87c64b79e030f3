/**
 * The Gemini emulator translates while the speaker talks, as the real translate model does
 * (continuous stream processing): the translation starts long before the speaker stops, trails
 * the speech by the configured lag, and a long utterance is answered once.
 * Timing is asserted on what the client saw and sent, with the emulator's lag as a lower bound
 * (timers never fire early) and the speech's duration as a wide upper bound.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { WaveFile } from 'wavefile';
import { EnergyDetector, type DetectorEvent } from '../../src/emulators/gemini/energy-detector';
import { parseArgs } from '../../src/emulators/gemini/options';
import { loadScript } from '../../src/emulators/gemini/script';
import { startGeminiEmulator, type GeminiEmulator, type GeminiEmulatorOptions } from '../../src/emulators/gemini/server';
import { toneThenSilence, waitFor } from './helpers';

const PATH = '//ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent?key=k';
const SETUP = {
  setup: {
    model: 'models/gemini-3.5-live-translate-preview',
    generationConfig: { responseModalities: ['AUDIO'], translationConfig: { targetLanguageCode: 'en' } },
    inputAudioTranscription: {},
    outputAudioTranscription: {},
  },
};

interface Received {
  atMs: number;
  content: { inputTranscription?: { text?: string }; outputTranscription?: { text?: string }; modelTurn?: { parts: { inlineData: { data: string } }[] } };
}

/** A client that streams `pcm` (16 kHz) in real time, 100 ms a message, and records what comes back and when. */
async function speak(emu: GeminiEmulator, pcm: Int16Array): Promise<{ received: Received[]; speechSentAtMs: number; ws: WebSocket; t0: number }> {
  const ws = new WebSocket(emu.url.replace('http', 'ws') + PATH);
  const received: Received[] = [];
  let t0 = 0;
  ws.on('message', (d: Buffer) => {
    const msg = JSON.parse(d.toString('utf8')) as { serverContent?: Received['content'] };
    if (msg.serverContent) received.push({ atMs: performance.now() - t0, content: msg.serverContent });
  });
  await new Promise((res, rej) => ws.once('open', res).once('error', rej));
  let setUp = false;
  ws.once('message', () => (setUp = true));
  ws.send(JSON.stringify(SETUP));
  await waitFor(() => setUp, 2000, 'setupComplete');
  t0 = performance.now();
  for (let i = 0; i < pcm.length; i += 1600) {
    const due = t0 + (i / 16_000) * 1000;
    await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
    const piece = pcm.subarray(i, i + 1600);
    ws.send(JSON.stringify({ realtimeInput: { audio: { data: Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength).toString('base64'), mimeType: 'audio/pcm;rate=16000' } } }));
  }
  return { received, speechSentAtMs: performance.now() - t0, ws, t0 };
}

const audioOf = (r: Received[]): Received[] => r.filter((x) => x.content.modelTurn);
const samplesOf = (r: Received[]): number => audioOf(r).reduce((n, x) => n + Buffer.from(x.content.modelTurn!.parts[0].inlineData.data, 'base64').length / 2, 0);
const textOf = (r: Received[], side: 'inputTranscription' | 'outputTranscription'): string => r.map((x) => x.content[side]?.text ?? '').join('');

let emu: GeminiEmulator | undefined;
let client: WebSocket | undefined;
afterEach(async () => {
  client?.close();
  await emu?.close();
  emu = undefined;
});

async function start(opts: GeminiEmulatorOptions): Promise<GeminiEmulator> {
  emu = await startGeminiEmulator({ apiKeys: ['k'], ...opts });
  return emu;
}

describe('echo mode streams the translation while the speaker talks', () => {
  it('trails 3 s of speech by the lag, long before the speaker stops, and echoes it exactly once', async () => {
    const e = await start({ lagMs: 400, detector: { pauseMs: 300 } });
    const speech = toneThenSilence(3000, 800);
    const s = await speak(e, speech);
    client = s.ws;
    await waitFor(() => textOf(s.received, 'outputTranscription') !== '', 5000, 'the end of the utterance');
    const audio = audioOf(s.received);
    // The first translated block (100 ms of speech) comes no sooner than 100 ms + the lag after the
    // speech began, and while the speaker still has more than a second to go.
    expect(audio[0].atMs).toBeGreaterThanOrEqual(500);
    expect(audio[0].atMs).toBeLessThan(2000);
    // Every sample of the speech comes back once (16 -> 24 kHz), none of the silence after it.
    expect(samplesOf(s.received)).toBe(3000 * 24);
    expect(textOf(s.received, 'inputTranscription')).toBe('[es speech 3.0 s]');
    expect(textOf(s.received, 'outputTranscription')).toBe('[en translation of 3.0 s]');
  });

  it('cuts a long utterance into transcript lines at --max-utterance but echoes its audio once', async () => {
    const e = await start({ lagMs: 50, timeScale: 1, detector: { pauseMs: 300, maxUtteranceMs: 1000 } });
    const s = await speak(e, toneThenSilence(2500, 800));
    client = s.ws;
    await waitFor(() => (textOf(s.received, 'inputTranscription').match(/speech/g) ?? []).length === 3, 5000, 'three pieces');
    expect(textOf(s.received, 'inputTranscription')).toBe('[es speech 1.0 s][es speech 1.0 s][es speech 0.5 s]');
    expect(samplesOf(s.received)).toBe(2500 * 24);
    expect(e.sessions[0].stats.utterances).toBe(1);
  });
});

describe('script mode speaks the scripted translation while the source is still going', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tolk-emu-stream-'));
    const wav = new WaveFile();
    wav.fromScratch(1, 24000, '16', new Int16Array(24_000).fill(1000)); // 1 s of translation
    await writeFile(join(dir, 'one.wav'), wav.toBuffer());
    await writeFile(
      join(dir, 'script.json'),
      JSON.stringify({
        utterances: [
          { language: 'es', text: 'Buenos días, quisiera saber el estado de mi pedido.', translations: { en: { text: 'Good morning, I would like to know where my order is.', audio: 'one.wav' } } },
          { language: 'es', text: 'Segunda frase.', translations: { en: { text: 'Second sentence.', audio: 'one.wav' } } },
        ],
      }),
    );
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('starts the translation a lag after the speaker starts, and reveals their words as they speak', async () => {
    const e = await start({ mode: 'script', script: await loadScript(join(dir, 'script.json')), lagMs: 300, detector: { pauseMs: 300 } });
    const s = await speak(e, toneThenSilence(2000, 800));
    client = s.ws;
    await waitFor(() => textOf(s.received, 'inputTranscription').endsWith('pedido.'), 5000, 'the whole input transcript');
    const audio = audioOf(s.received);
    expect(audio[0].atMs).toBeGreaterThanOrEqual(300);
    expect(audio[0].atMs).toBeLessThan(1500); // the speaker goes on until 2 s
    expect(samplesOf(s.received)).toBe(24_000);
    expect(textOf(s.received, 'outputTranscription')).toBe('Good morning, I would like to know where my order is.');
    // Input words arrive while the speaker talks, not all at the end.
    const inputPieces = s.received.filter((x) => x.content.inputTranscription?.text);
    expect(inputPieces.length).toBeGreaterThan(2);
    expect(inputPieces[0].atMs).toBeLessThan(2000);
    expect(textOf(s.received, 'inputTranscription')).toBe('Buenos días, quisiera saber el estado de mi pedido.');
  });

  it('answers a long utterance once, even when it is cut into pieces', async () => {
    const e = await start({ mode: 'script', script: await loadScript(join(dir, 'script.json')), lagMs: 50, detector: { pauseMs: 300, maxUtteranceMs: 700 } });
    const s = await speak(e, toneThenSilence(2200, 800));
    client = s.ws;
    await waitFor(() => textOf(s.received, 'inputTranscription').endsWith('pedido.'), 5000, 'the end of the utterance');
    await new Promise((r) => setTimeout(r, 400));
    expect(textOf(s.received, 'outputTranscription')).toBe('Good morning, I would like to know where my order is.');
    expect(JSON.stringify(s.received)).not.toContain('Second');
    expect(samplesOf(s.received)).toBe(24_000);
    expect(e.sessions[0].stats.utterances).toBe(1);
  });
});

describe('energy detector', () => {
  const events = (d: EnergyDetector, pcm: Int16Array): DetectorEvent[] => d.push(pcm);

  it('announces an utterance once it has the minimum speech, with every frame since its first loud one', () => {
    const d = new EnergyDetector({ sampleRate: 16000, pauseMs: 200, minSpeechMs: 100 });
    const ev = events(d, toneThenSilence(300, 300));
    expect(ev.map((e) => e.type)).toEqual(['start', 'speech', 'speech', 'speech', 'speech', 'speech', 'speech', 'speech', 'speech', 'speech', 'speech', 'pause', 'end']);
    expect(ev[0]).toMatchObject({ type: 'start', continuation: false, startMs: 0 });
    expect((ev[0] as { samples: Int16Array }).samples.length).toBe(5 * 320);
  });

  it('ignores a click shorter than the minimum speech', () => {
    const d = new EnergyDetector({ sampleRate: 16000, pauseMs: 200, minSpeechMs: 120 });
    expect(events(d, toneThenSilence(60, 400))).toEqual([]);
  });

  it('goes on past a cut as a continuation of the same utterance, not a new one', () => {
    const d = new EnergyDetector({ sampleRate: 16000, pauseMs: 200, maxUtteranceMs: 400 });
    const ev = events(d, toneThenSilence(1000, 300)).filter((e) => e.type !== 'speech');
    expect(ev.map((e) => (e.type === 'start' ? `start${e.continuation ? '+' : ''}` : e.type === 'end' ? `end${e.cut ? '/cut' : ''}` : e.type))).toEqual([
      'start', 'end/cut', 'start+', 'end/cut', 'start+', 'pause', 'end',
    ]);
    const pieces = ev.flatMap((e) => (e.type === 'end' ? [e.utterance.samples.length / 16] : []));
    expect(pieces).toEqual([400, 400, 200]);
  });

  it('holds a pause back and hands it on only if speech resumes', () => {
    const d = new EnergyDetector({ sampleRate: 16000, pauseMs: 200 });
    const a = events(d, toneThenSilence(200, 100));
    const b = events(d, toneThenSilence(200, 300));
    const audio = [...a, ...b].reduce((n, e) => n + (e.type === 'start' || e.type === 'speech' ? e.samples.length : 0), 0);
    expect(audio).toBe(500 * 16); // 200 + the 100 ms pause + 200
    expect([...a, ...b].filter((e) => e.type === 'end')).toHaveLength(1);
  });
});

describe('emulator options', () => {
  it('takes the lag and the utterance length limits', () => {
    expect(parseArgs(['--lag', '800', '--min-speech', '200', '--max-utterance', '9000'])).toMatchObject({ lagMs: 800, detector: { minSpeechMs: 200, maxUtteranceMs: 9000 } });
    expect(parseArgs([]).lagMs).toBe(300);
    expect(() => parseArgs(['--max-utterance', '50'])).toThrow(/at least 100/);
  });
});
