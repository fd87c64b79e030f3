import { EnergyDetector, type DetectorEvent } from '../../src/emulators/gemini/energy-detector';
import { backoffDelay } from '../../src/translate/backoff';
import { classifyClose, classifyConnectError } from '../../src/translate/close-classifier';
import { BoundedChunkQueue, InputChunker } from '../../src/translate/input-queue';
import { SUPPORTED_LANGUAGES, assertSupportedLanguage, isSupportedLanguage, nearestLanguages } from '../../src/translate/languages';
import { UtteranceSegmenter } from '../../src/translate/segmenter';
import { decodeServerMessage, parseDurationMs } from '../../src/translate/server-message';
import type { LiveServerMessage } from '../../src/translate/genai';
import { toneThenSilence } from './helpers';

describe('languages', () => {
  it('holds the documented list and checks codes exactly', () => {
    expect(SUPPORTED_LANGUAGES).toHaveLength(79);
    expect(isSupportedLanguage('pt-BR')).toBe(true);
    expect(isSupportedLanguage('zh-Hant')).toBe(true);
    expect(isSupportedLanguage('EN')).toBe(false);
    expect(() => assertSupportedLanguage('xx')).toThrow(/not supported/);
  });
  it('suggests what the user probably meant', () => {
    expect(nearestLanguages('EN')[0]).toBe('en');
    expect(nearestLanguages('pt')).toEqual(['pt-BR', 'pt-PT']);
    expect(nearestLanguages('zh-TW')).toEqual(['zh-Hans', 'zh-Hant']);
    expect(nearestLanguages('german')).toEqual(['de']);
    expect(nearestLanguages('sp')).toEqual(['es']); // the start of the name beats a one-letter spelling slip
    expect(nearestLanguages('ger')).toEqual(['de']);
    expect(nearestLanguages('pt_br')[0]).toBe('pt-BR');
  });
});

describe('close classification', () => {
  it.each([
    [1007, 'API key not valid. Please pass a valid API key.', false, 'auth'],
    [1007, 'Request contains an invalid argument.', false, 'invalid_argument'],
    [1008, 'models/x is not found for API version v1beta, or is not supported for bidiGenerateContent.', false, 'model'],
    [1011, 'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: h', false, 'quota'],
    [1011, 'Internal error occurred.', true, 'unknown'],
    [1008, 'Deadline expired before operation could complete.', true, 'unknown'],
    [1006, '', true, 'unknown'],
  ])('%i %s', (code, reason, retryable, kind) => {
    expect(classifyClose(code, reason)).toEqual({ retryable, kind });
  });
  it('classifies refused upgrades', () => {
    expect(classifyConnectError('Unexpected server response: 403')).toEqual({ retryable: false, kind: 'auth' });
    expect(classifyConnectError('Unexpected server response: 503').retryable).toBe(true);
  });
});

describe('backoff', () => {
  it('doubles up to the cap, with jitter inside the configured fraction', () => {
    const p = { baseMs: 100, capMs: 1000, jitter: 0.5 };
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(p, a, () => 1))).toEqual([100, 200, 400, 800, 1000]);
    expect(backoffDelay(p, 3, () => 0)).toBe(200);
  });
});

describe('input chunking and buffering', () => {
  it('cuts any input into fixed chunks and keeps the tail', () => {
    const c = new InputChunker(4);
    const out: number[][] = [];
    const keep = (chunk: Int16Array): number => out.push([...chunk]);
    c.push(new Int16Array([1, 2, 3]), keep);
    expect(out).toHaveLength(0);
    c.push(new Int16Array([4, 5, 6, 7, 8, 9]), keep);
    expect(out).toEqual([[1, 2, 3, 4], [5, 6, 7, 8]]);
    expect([...c.flush()]).toEqual([9]);
    c.push(new Int16Array([10, 11, 12, 13]), keep); // a whole chunk in one push, after a flush
    expect(out[2]).toEqual([10, 11, 12, 13]);
  });
  it('drops the oldest chunks beyond the bound and counts them', () => {
    const q = new BoundedChunkQueue(8);
    for (let i = 0; i < 5; i++) q.push(new Int16Array(4).fill(i));
    expect(q.droppedSamples).toBe(12);
    expect(q.drain().map((x) => x[0])).toEqual([3, 4]);
  });
});

describe('utterance segmentation', () => {
  it('ends an utterance after a pause in the input heard, kept open by translated audio', () => {
    const s = new UtteranceSegmenter(500, 5000);
    s.add('source', { text: '', languageCode: 'es', atMs: 0 }, 0);
    s.add('source', { text: 'Hola ', atMs: 100 }, 1000);
    s.add('translation', { text: 'Hello', languageCode: 'en', atMs: 300 }, 1200);
    s.heard(700, 1600);
    s.touch(700, 1600);
    // Input as it goes by, 100 ms at a time: each counts once the next 100 ms have gone by.
    for (let t = 100; t <= 500; t += 100) s.heard(700 + t, 1600 + t);
    expect(s.take(2100)).toBeUndefined();
    s.heard(1300, 2200);
    expect(s.take(2200)).toEqual({ source: { text: 'Hola', languageCode: 'es' }, translation: { text: 'Hello', languageCode: 'en' }, startMs: 100, endMs: 300 });
    expect(s.pending).toBe(false);
  });

  it('counts no pause for time in which no input came, and input that came all at once only as time goes by after it', () => {
    const s = new UtteranceSegmenter(500, 5000);
    s.add('source', { text: 'Hola ', languageCode: 'es', atMs: 100 }, 1000);
    s.heard(200, 1100);
    // Nothing for 2 s, then 2 s of input at once: only the 100 ms given before counts.
    s.heard(2200, 3100);
    // 300 ms go by, with as much input: 400 ms in all.
    s.heard(2500, 3400);
    expect(s.paused).toBe(false);
    expect(s.take(3400)).toBeUndefined();
    s.heard(2600, 3500);
    expect(s.paused).toBe(true);
    expect(s.take(3500)?.source.text).toBe('Hola');
  });

  it('ends an utterance on the wall clock alone once no input has come for the stall allowance', () => {
    const s = new UtteranceSegmenter(500, 3000);
    s.add('source', { text: 'Hola', languageCode: 'es', atMs: 100 }, 1000);
    expect(s.deadline()).toBe(4000);
    expect(s.take(3999)).toBeUndefined();
    expect(s.take(4000)?.source.text).toBe('Hola');
  });
});

describe('server message decoding', () => {
  it('extracts audio, transcripts, goAway and resumption', () => {
    const pcm = Buffer.from(new Int16Array([1, -2, 3]).buffer);
    const msg = {
      serverContent: { inputTranscription: { languageCode: 'es' }, modelTurn: { parts: [{ inlineData: { mimeType: 'audio/pcm;rate=24000', data: pcm.toString('base64') } }] } },
      goAway: { timeLeft: '50s' },
      sessionResumptionUpdate: { newHandle: 'h', resumable: true },
    } as unknown as LiveServerMessage;
    const ev = decodeServerMessage(msg);
    expect(ev[0]).toEqual({ type: 'inputTranscription', text: '', languageCode: 'es' });
    expect(ev[1]).toMatchObject({ type: 'audio' });
    expect([...(ev[1] as { pcm24k: Int16Array }).pcm24k]).toEqual([1, -2, 3]);
    expect(ev[2]).toEqual({ type: 'goAway', timeLeftMs: 50_000 });
    expect(ev[3]).toEqual({ type: 'resumption', handle: 'h', resumable: true });
    expect(parseDurationMs('0.500s')).toBe(500);
  });
  it('keeps the whole samples of an audio chunk with a stray trailing byte', () => {
    const odd = Buffer.concat([Buffer.from(new Int16Array([-1, 2]).buffer), Buffer.from([0x7f])]).toString('base64');
    const msg = { serverContent: { modelTurn: { parts: [{ inlineData: { mimeType: 'audio/pcm;rate=24000', data: odd } }] } } } as unknown as LiveServerMessage;
    expect(decodeServerMessage(msg).map((e) => (e.type === 'audio' ? [...e.pcm24k] : e.type))).toEqual([[-1, 2]]);
  });
});

describe('energy detector', () => {
  it('finds each burst of speech and its duration', () => {
    const d = new EnergyDetector({ sampleRate: 16000, pauseMs: 200 });
    const ends = (events: DetectorEvent[]) => events.flatMap((e) => (e.type === 'end' ? [e.utterance] : []));
    const found = [...ends(d.push(toneThenSilence(800, 300))), ...ends(d.push(toneThenSilence(400, 300))), ...ends(d.push(toneThenSilence(60, 300)))];
    expect(found.map((u) => u.samples.length / 16)).toEqual([800, 400]);
    expect(found[1].startMs).toBe(1100);
  });
});
