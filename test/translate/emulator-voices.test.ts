/** The Gemini emulator's echo voices: a speaker's language told by pitch, translations spoken as tones. */
import { parseArgs } from '../../src/emulators/gemini/options';
import { echoInterpreter, parsePitchMap, type ModelOutput } from '../../src/emulators/gemini/responder';
import type { TranslateSetup } from '../../src/emulators/gemini/protocol';

const tone16k = (sec: number, hz: number): Int16Array => Int16Array.from({ length: Math.round(sec * 16_000) }, (_, i) => Math.round(6000 * Math.sin((2 * Math.PI * hz * i) / 16_000)));

/** Zero crossings per second of 24 kHz audio: twice its pitch. */
const pitchOf = (pcm24k: Int16Array): number => {
  let n = 0;
  for (let i = 1; i < pcm24k.length; i++) if ((pcm24k[i - 1] < 0) !== (pcm24k[i] < 0)) n++;
  return n / 2 / (pcm24k.length / 24_000);
};

function utterance(target: string, hz: number): ModelOutput[] {
  const make = echoInterpreter('es', { languageByPitch: new Map([[500, 'es'], [700, 'en']]), translationTone: new Map([['en', 1300], ['es', 1100]]) });
  const it = make({ targetLanguageCode: target, echoTargetLanguage: false } as TranslateSetup, { outputChunkMs: 100 });
  const speech = tone16k(1, hz);
  return [
    ...it.onEvent({ type: 'start', continuation: false, startMs: 0, samples: speech.subarray(0, 1920) }),
    ...it.onEvent({ type: 'speech', samples: speech.subarray(1920) }),
    ...it.onEvent({ type: 'pause' }),
    ...it.onEvent({ type: 'end', utterance: { samples: speech } } as never),
  ];
}

describe('echo voices', () => {
  it('tells the language by pitch: speech in the target language stays silent, other speech comes back as the target tone', () => {
    const es = utterance('en', 500);
    expect(es[0]).toEqual({ type: 'input', text: '', languageCode: 'es' });
    const audio = es.filter((o): o is Extract<ModelOutput, { type: 'audio' }> => o.type === 'audio');
    expect(audio.length).toBeGreaterThan(0);
    const pcm = Int16Array.from(audio.flatMap((a) => [...a.pcm24k]));
    expect(pitchOf(pcm)).toBeGreaterThan(1250);
    expect(pitchOf(pcm)).toBeLessThan(1350);
    const en = utterance('en', 700);
    expect(en[0]).toEqual({ type: 'input', text: '', languageCode: 'en' });
    expect(en.filter((o) => o.type === 'audio')).toEqual([]);
  });

  it('parses the options and refuses malformed maps', () => {
    const o = parseArgs(['--language-by-pitch', '500=es,700=en', '--translation-tone', 'es=1100,en=1300']);
    expect(o.languageByPitch).toEqual(new Map([[500, 'es'], [700, 'en']]));
    expect(o.translationTone).toEqual(new Map([['es', 1100], ['en', 1300]]));
    expect(() => parsePitchMap('es=500', 'language-by-pitch')).toThrow(/HZ=CODE/);
    expect(() => parsePitchMap('1100=es', 'translation-tone')).toThrow(/CODE=HZ/);
  });
});
