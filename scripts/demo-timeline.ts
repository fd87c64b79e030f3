/**
 * When each party of a demo call spoke and when the other heard the translation, read from the
 * Twilio emulator's recordings (pure, on one timeline: seconds since the caller was answered).
 * The listener hears the speaker's own voice softly (about -16 dB) under the translation, so a
 * frame is translation when it is loud, and only the speaker's voice when it is quiet but not silent.
 */
import type { EmulatorEvent } from '../src/emulators/twilio/events';

/** RMS of each 20 ms frame (8 kHz), in dBFS. */
export function frameLevels(pcm: Int16Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + 160 <= pcm.length; i += 160) {
    let s = 0;
    for (let j = 0; j < 160; j++) s += pcm[i + j] * pcm[i + j];
    out.push(10 * Math.log10(s / 160 / (32768 * 32768) + 1e-12));
  }
  return out;
}

export interface Span {
  startSec: number;
  endSec: number;
}

/** First to last frame above `db` from `fromSec` on, shifted by `offsetSec`; undefined when none. */
export function spanAbove(pcm: Int16Array, db: number, offsetSec = 0, fromSec = 0): Span | undefined {
  const levels = frameLevels(pcm);
  let first = -1;
  let last = -1;
  for (let i = Math.ceil(fromSec / 0.02); i < levels.length; i++) {
    if (levels[i] <= db) continue;
    if (first < 0) first = i;
    last = i;
  }
  return first < 0 ? undefined : { startSec: first * 0.02 + offsetSec, endSec: (last + 1) * 0.02 + offsetSec };
}

/** Seconds within `a` during which `b` also runs. */
export function overlapSec(a: Span, b: Span): number {
  return Math.max(0, Math.min(a.endSec, b.endSec) - Math.max(a.startSec, b.startSec));
}

/** How far the demo's emulated model's translation trails the speech (ms). */
export const MODEL_LAG_MS = 700;

/** A party's speech: louder than -40 dBFS. */
export const SPEECH_DB = -40;
/** Translated speech as heard: louder than -24 dBFS (the speaker's own voice under it, at -16 dB, stays below). */
export const TRANSLATION_DB = -24;

/**
 * Where the listener's timeline starts on the speaker's, in seconds, when the listener heard
 * nothing before the speaker's first words: those reach them first in the speaker's own voice,
 * 16 dB down, before any translation. The first such frame gives the offset to 20 ms; matching
 * the speaker's first 100 ms sample by sample around it gives it exactly. The offset found
 * includes the time the speaker's voice took through tolk (what the listener heard is aligned
 * with what was said); `answerOffsetSec` gives the legs' true offset. Undefined when the speaker
 * said nothing or the listener heard nothing.
 */
export function listenerOffsetSec(said: Int16Array, heard: Int16Array): number | undefined {
  const spoke = spanAbove(said, SPEECH_DB);
  const first = spanAbove(heard, SPEECH_DB - 16);
  if (!spoke || !first) return undefined;
  const from = Math.round(spoke.startSec * 8000);
  const template = said.subarray(from, from + 800);
  const guess = Math.round(first.startSec * 8000);
  let best = -Infinity;
  let at = guess;
  for (let p = Math.max(0, guess - 640); p <= Math.min(heard.length - template.length, guess + 640); p++) {
    let dot = 0;
    for (let i = 0; i < template.length; i++) dot += template[i] * heard[p + i];
    if (dot > best) {
      best = dot;
      at = p;
    }
  }
  return (from - at) / 8000;
}

/**
 * Where the second leg's timeline starts on the first's, in seconds: each emulator recording
 * starts when its leg was answered (`in-progress`). Undefined when either was never answered.
 */
export function answerOffsetSec(events: readonly EmulatorEvent[], firstSid: string, secondSid: string): number | undefined {
  const answered = (sid: string): number | undefined => events.find((e) => e.type === 'call.status' && e.status === 'in-progress' && e.callSid === sid)?.t;
  const first = answered(firstSid);
  const second = answered(secondSid);
  return first === undefined || second === undefined ? undefined : (second - first) / 1000;
}

export interface Exchange {
  /** What the speaker said. */
  spoke: Span;
  /** The translation the listener heard. */
  heard: Span;
}

/**
 * One direction of a call: `said` by the speaker (their timeline starts `speakerOffsetSec` after
 * the caller's), `heard` by the listener (`listenerOffsetSec`); looks from `fromSec` (common timeline) on.
 */
export function exchange(said: Int16Array, speakerOffsetSec: number, heard: Int16Array, listenerOffsetSec: number, fromSec = 0): Exchange | undefined {
  const spoke = spanAbove(said, SPEECH_DB, speakerOffsetSec, Math.max(0, fromSec - speakerOffsetSec));
  if (!spoke) return undefined;
  const translation = spanAbove(heard, TRANSLATION_DB, listenerOffsetSec, Math.max(0, spoke.startSec - listenerOffsetSec));
  return translation && { spoke, heard: translation };
}
