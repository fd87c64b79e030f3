/**
 * What the rig's two parties say: the fixtures' speech in turns (the caller from 1 s, every 8 s
 * after its utterance; the agent from 8 s, every 9 s), encoded once as 20 ms Media Stream payloads,
 * with the onset of each utterance marked in the frame it falls in.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readWav } from '../../src/audio';
import { encodeTimeline, FRAME_SAMPLES, onsets } from './frames';

export interface Timeline {
  /** Base64 payloads, FRAME_B64 bytes a frame. */
  payloads: Buffer;
  frames: number;
  /** Per frame: the sample (0..159) where an utterance starts in it, or -1. */
  onsetInFrame: Int16Array;
}

const FIXTURES = path.join(__dirname, '..', '..', '..', 'test', 'fixtures');
const fixture = (file: string): Int16Array => readWav(fs.readFileSync(fs.existsSync(FIXTURES) ? path.join(FIXTURES, file) : path.join(__dirname, '..', '..', 'test', 'fixtures', file))).samples;

/**
 * `speech` repeated over `seconds` from `offsetSec`, `gapSec` of silence after each; and where each
 * starts. The speech is cut to begin at its first loud sample, so an utterance's onset is one sample
 * whatever gain the audio meets on its way (no quieter lead-in that could be heard as its start).
 */
export function turns(fullSpeech: Int16Array, seconds: number, offsetSec: number, gapSec: number): { pcm: Int16Array; starts: number[] } {
  const speech = fullSpeech.subarray(Math.max(0, onsets(fullSpeech, [0])[0] ?? 0));
  const pcm = new Int16Array(seconds * 8000);
  const starts: number[] = [];
  for (let at = offsetSec * 8000; at < pcm.length; at += speech.length + gapSec * 8000) {
    pcm.set(speech.subarray(0, Math.min(speech.length, pcm.length - at)), at);
    starts.push(at);
  }
  return { pcm, starts };
}

export function timeline(pcm: Int16Array, starts: number[]): Timeline {
  const payloads = encodeTimeline(pcm);
  const frames = Math.floor(pcm.length / FRAME_SAMPLES);
  const onsetInFrame = new Int16Array(frames).fill(-1);
  for (const s of onsets(pcm, starts)) if (s < frames * FRAME_SAMPLES) onsetInFrame[Math.floor(s / FRAME_SAMPLES)] = s % FRAME_SAMPLES;
  return { payloads, frames, onsetInFrame };
}

export function loadTimelines(seconds: number): { caller: Timeline; agent: Timeline } {
  const caller = turns(fixture('caller-es.ulaw8k.wav'), seconds, 1, 8);
  const agent = turns(fixture('agent-en.ulaw8k.wav'), seconds, 8, 9);
  return { caller: timeline(caller.pcm, caller.starts), agent: timeline(agent.pcm, agent.starts) };
}
