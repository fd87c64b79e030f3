/**
 * What the emulated model says, as the speaker talks: one `Interpreter` per connection turns the
 * speech detector's events into the model's output, in order. Like the real translate model it
 * translates while the speaker is still talking (continuous stream processing), never waiting for
 * the end of an utterance; the session sends each output no earlier than the model's lag allows,
 * and audio in real time.
 *  - echo: the input speech itself comes back, block by block, as it is heard; transcripts state
 *    what was heard ("[es speech 2.4 s]") once the utterance ends.
 *  - script: an utterance's first speech starts the next scripted translation, which is spoken in
 *    full while the speaker goes on; the input transcript appears word by word as they speak.
 */
import type { DetectorEvent } from './energy-detector';
import type { TranslateSetup } from './protocol';
import { resampleLinear } from './resample';
import type { Script, ScriptEntry } from './script';

export type ModelOutput =
  /** Input transcription: `text` '' is the language-code-only preamble. Sent as soon as known. */
  | { type: 'input'; text: string; languageCode: string }
  /** The output transcription's language-code-only preamble, ahead of the translated audio. */
  | { type: 'output-preamble'; languageCode: string }
  /** Translated speech (24 kHz) with the output transcription words it carries ('' for none). */
  | { type: 'audio'; pcm24k: Int16Array; text: string; languageCode: string }
  /** Output transcription with no audio of its own. */
  | { type: 'output-text'; text: string; languageCode: string };

export interface Interpreter {
  onEvent(ev: DetectorEvent): ModelOutput[];
}

/** Makes the interpreter of one connection once its setup is known. */
export type InterpreterFactory = (setup: TranslateSetup, opts: { outputChunkMs: number }) => Interpreter;

/**
 * Which language echo mode claims to hear: one code for every session ("es"), or per target
 * language, "en=es,es=en" (a session translating into en hears es; into es hears en). A target
 * not in the list hears the first source named.
 */
export function heardLanguage(option: string): (targetLanguage: string) => string {
  const pairs = option
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => p.split('=').map((x) => x.trim()));
  if (pairs.length === 0 || pairs.some((p) => p.length > 2 || p.some((x) => !x))) {
    throw new Error(`invalid echo language "${option}": use a code (es) or target=source pairs (en=es,es=en)`);
  }
  if (pairs.length === 1 && pairs[0].length === 1) return () => pairs[0][0];
  const map = new Map(pairs.map((p) => [p[0], p[p.length - 1]]));
  const fallback = pairs[0][pairs[0].length - 1];
  return (target) => map.get(target) ?? fallback;
}

/**
 * Echo mode's voices, for tests whose speakers "speak" tones: which language a speaker speaks can
 * be told by the pitch of their voice (the model identifies the spoken language; the emulator has
 * no other way to), and a translation can be spoken as a tone of its own per target language, so a
 * listener's recording shows which translations reached them apart from the originals.
 */
export interface EchoVoices {
  /** Pitch (Hz) -> language: an utterance is in the language whose pitch is strongest in its first speech. */
  languageByPitch?: ReadonlyMap<number, string>;
  /** Target language -> pitch (Hz) the translation into it is spoken at, instead of the speech itself. */
  translationTone?: ReadonlyMap<string, number>;
}

/** Parses `500=es,700=en` (pitch=language) or `es=1100,en=1300` (language=pitch). */
export function parsePitchMap(option: string, what: 'language-by-pitch' | 'translation-tone'): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of option.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [a, b] = pair.split('=').map((x) => x.trim());
    const [hz, code] = what === 'language-by-pitch' ? [a, b] : [b, a];
    if (!code || !/^\d+(\.\d+)?$/.test(hz ?? '') || Number(hz) <= 0 || Number(hz) >= 8000) {
      throw new Error(`invalid --${what} "${option}": use ${what === 'language-by-pitch' ? 'HZ=CODE pairs (500=es,700=en)' : 'CODE=HZ pairs (es=1100,en=1300)'}`);
    }
    out.set(what === 'language-by-pitch' ? hz : code, what === 'language-by-pitch' ? code : hz);
  }
  return out;
}

/** Amplitude of the `freq` Hz component of 16 kHz samples (Goertzel). */
function toneLevel(s: Int16Array, freq: number): number {
  const coeff = 2 * Math.cos((2 * Math.PI * freq) / 16_000);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < s.length; i++) {
    const s0 = s[i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return Math.sqrt(Math.max(0, s1 * s1 + s2 * s2 - coeff * s1 * s2)) / Math.max(1, s.length);
}

/** The language whose pitch is strongest in `samples`, if pitches are configured. */
function languageOfPitch(samples: Int16Array, byPitch: ReadonlyMap<number, string> | undefined): string | undefined {
  if (!byPitch || byPitch.size === 0 || samples.length === 0) return undefined;
  let best: string | undefined;
  let level = -1;
  for (const [hz, code] of byPitch) {
    const l = toneLevel(samples, hz);
    if (l > level) {
      level = l;
      best = code;
    }
  }
  return best;
}

/**
 * Echo mode: each block of speech (`outputChunkMs`, or less when the speaker pauses) comes back at
 * 24 kHz as soon as it is heard. When the speaker already uses the target language and
 * `echoTargetLanguage` is off, the model stays silent (transcribing only), like the real one.
 */
export function echoInterpreter(languageOption: string, voices: EchoVoices = {}): InterpreterFactory {
  const heard = heardLanguage(languageOption);
  return (setup, { outputChunkMs }) => {
    const target = setup.targetLanguageCode;
    let source = heard(target);
    let silent = source === target && !setup.echoTargetLanguage;
    const toneHz = voices.translationTone?.get(target);
    let phase = 0;
    const voiced = (b: Int16Array): Int16Array => {
      if (toneHz === undefined) return b;
      const out = new Int16Array(b.length);
      const step = (2 * Math.PI * toneHz) / 16_000;
      for (let i = 0; i < out.length; i++, phase += step) out[i] = Math.round(8000 * Math.sin(phase));
      phase %= 2 * Math.PI;
      return out;
    };
    const block = Math.max(320, Math.round((16_000 * outputChunkMs) / 1000));
    let pending: Int16Array[] = [];
    let pendingLength = 0;

    const take = (all: boolean): Int16Array[] => {
      const blocks: Int16Array[] = [];
      if (pendingLength === 0) return blocks;
      const joined = concat(pending, pendingLength);
      let off = 0;
      for (; off + block <= joined.length; off += block) blocks.push(joined.subarray(off, off + block));
      const rest = joined.subarray(off);
      if (all && rest.length > 0) {
        blocks.push(rest);
        pending = [];
        pendingLength = 0;
      } else {
        pending = rest.length > 0 ? [rest] : [];
        pendingLength = rest.length;
      }
      return blocks;
    };
    const audio = (blocks: Int16Array[]): ModelOutput[] =>
      silent ? [] : blocks.map((b) => ({ type: 'audio', pcm24k: resampleLinear(voiced(b), 16_000, 24_000), text: '', languageCode: target }));
    const add = (samples: Int16Array): void => {
      if (samples.length === 0) return;
      pending.push(samples);
      pendingLength += samples.length;
    };

    return {
      onEvent(ev) {
        switch (ev.type) {
          case 'start':
            add(ev.samples);
            if (ev.continuation) return [];
            {
              const spoken = languageOfPitch(ev.samples, voices.languageByPitch);
              if (spoken) {
                source = spoken;
                silent = source === target && !setup.echoTargetLanguage;
              }
            }
            return [{ type: 'input', text: '', languageCode: source }, ...(silent ? [] : [{ type: 'output-preamble' as const, languageCode: target }]), ...audio(take(false))];
          case 'speech':
            add(ev.samples);
            return audio(take(false));
          case 'pause':
            return audio(take(true));
          case 'end': {
            const rest = audio(take(true));
            const n = ev.utterance.samples.length;
            if (n === 0) return rest;
            const seconds = (n / 16_000).toFixed(1);
            const out: ModelOutput[] = [{ type: 'input', text: `[${source} speech ${seconds} s]`, languageCode: source }, ...rest];
            if (!silent) out.push({ type: 'output-text', text: `[${target} translation of ${seconds} s]`, languageCode: target });
            return out;
          }
        }
      },
    };
  };
}

/**
 * Script mode: the Nth utterance a connection hears answers with the Nth entry (cycling) among
 * those that have a translation into the session's target language (all entries if none has), so
 * one script serves both directions of a call. The translation starts as soon as the utterance
 * does, and is spoken once, however long the speaker goes on (a cut utterance is still one).
 */
export function scriptInterpreter(script: Script): InterpreterFactory {
  return (setup, { outputChunkMs }) => {
    const target = setup.targetLanguageCode;
    const forTarget = script.entries.filter((e) => e.translations.has(target));
    const pool = forTarget.length > 0 ? forTarget : script.entries;
    const step = Math.max(1, Math.round((24_000 * outputChunkMs) / 1000));
    let index = 0;
    let current: { entry: ScriptEntry; words: string[]; said: number; heardSamples: number; expectedSamples: number } | undefined;

    /** Input words the speaker has said by now, judging by how long they have been talking. */
    const reveal = (all: boolean): ModelOutput[] => {
      if (!current) return [];
      const c = current;
      const due = all ? c.words.length : Math.min(c.words.length - 1, Math.floor((c.words.length * c.heardSamples) / c.expectedSamples));
      if (due <= c.said) return [];
      const text = c.words.slice(c.said, due).join('');
      c.said = due;
      return [{ type: 'input', text, languageCode: c.entry.language }];
    };

    return {
      onEvent(ev) {
        switch (ev.type) {
          case 'start': {
            if (ev.continuation && current) {
              current.heardSamples += ev.samples.length;
              return reveal(false);
            }
            const entry = pool[index++ % pool.length];
            const exact = entry.translations.get(target);
            const [fallbackLanguage, fallback] = [...entry.translations.entries()][0];
            const t = exact ?? fallback;
            const outputLanguage = exact ? target : fallbackLanguage;
            // The translation of speech as long as the scripted one (24 kHz) is expected to take as long (16 kHz).
            current = { entry, words: splitWords(entry.text), said: 0, heardSamples: ev.samples.length, expectedSamples: Math.max(1, (t.audio24k.length * 2) / 3) };
            const out: ModelOutput[] = [{ type: 'input', text: '', languageCode: entry.language }, { type: 'output-preamble', languageCode: outputLanguage }];
            const words = splitWords(t.text);
            const n = Math.max(1, Math.ceil(t.audio24k.length / step));
            for (let i = 0; i < n; i++) {
              const text = words.slice(Math.ceil((i * words.length) / n), Math.ceil(((i + 1) * words.length) / n)).join('');
              out.push({ type: 'audio', pcm24k: t.audio24k.subarray(i * step, (i + 1) * step), text, languageCode: outputLanguage });
            }
            return [...out.slice(0, 1), ...reveal(false), ...out.slice(1)];
          }
          case 'speech':
            if (current) current.heardSamples += ev.samples.length;
            return reveal(false);
          case 'pause':
            return [];
          case 'end': {
            if (ev.cut) return [];
            const out = reveal(true);
            current = undefined;
            return out;
          }
        }
      },
    };
  };
}

/** Words with the spaces after them, so joining pieces gives the text back. */
function splitWords(text: string): string[] {
  return text ? text.split(/(?<=\s)/) : [];
}

function concat(parts: Int16Array[], length: number): Int16Array {
  if (parts.length === 1) return parts[0];
  const out = new Int16Array(length);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
