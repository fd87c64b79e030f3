/**
 * WAV read/write through `wavefile`, for fixtures, prompts and recordings: mono 8 kHz mu-law and
 * mono PCM16 at any rate (8/16/24 kHz in practice).
 */
import { WaveFile } from 'wavefile';
import { bytesToInt16 } from './bytes';
import { decodeMulaw, encodeMulaw } from './mulaw';

export type WavEncoding = 'mulaw' | 'pcm16';

export interface WavAudio {
  sampleRate: number;
  /** PCM16 samples (decoded when the file is mu-law). */
  samples: Int16Array;
  /** How the file stored them. */
  encoding: WavEncoding;
  /** The raw mu-law codes, when the file is mu-law (what a phone would send). */
  mulaw?: Uint8Array;
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_MULAW = 7;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

interface FmtChunk {
  audioFormat: number;
  numChannels: number;
  sampleRate: number;
  bitsPerSample: number;
}

/** Parses a mono mu-law or PCM16 WAV file. Throws an Error naming what is unsupported. */
export function readWav(bytes: Uint8Array): WavAudio {
  const wav = new WaveFile(bytes);
  const fmt = wav.fmt as FmtChunk;
  const data = (wav.data as { samples: Uint8Array }).samples;
  if (fmt.numChannels !== 1) {
    throw new Error(`readWav: only mono is supported, file has ${fmt.numChannels} channels`);
  }
  const format = fmt.audioFormat;
  if (format === WAVE_FORMAT_MULAW && fmt.bitsPerSample === 8) {
    const mulaw = Uint8Array.from(data);
    return { sampleRate: fmt.sampleRate, samples: decodeMulaw(mulaw), encoding: 'mulaw', mulaw };
  }
  if ((format === WAVE_FORMAT_PCM || format === WAVE_FORMAT_EXTENSIBLE) && fmt.bitsPerSample === 16) {
    return { sampleRate: fmt.sampleRate, samples: bytesToInt16(data, { copy: true }), encoding: 'pcm16' };
  }
  throw new Error(
    `readWav: unsupported format ${format} with ${fmt.bitsPerSample} bits (want mu-law 8-bit or PCM 16-bit)`,
  );
}

/** Builds a mono WAV file: `encoding` 'mulaw' stores G.711 mu-law codes, 'pcm16' 16-bit PCM. */
export function writeWav(audio: { sampleRate: number; samples: Int16Array; encoding: WavEncoding }): Uint8Array {
  const { sampleRate, samples, encoding } = audio;
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) {
    throw new RangeError(`writeWav: invalid sample rate ${sampleRate}`);
  }
  const wav = new WaveFile();
  if (encoding === 'mulaw') {
    wav.fromScratch(1, sampleRate, '8m', encodeMulaw(samples));
  } else {
    // Pass the samples as numbers; wavefile packs them little-endian itself.
    wav.fromScratch(1, sampleRate, '16', samples);
  }
  return wav.toBuffer();
}

/** Builds a mono 8-bit mu-law WAV file from codes as they are (no re-encoding). */
export function writeMulawWav(sampleRate: number, codes: Uint8Array): Uint8Array {
  const wav = new WaveFile();
  wav.fromScratch(1, sampleRate, '8m', codes);
  return wav.toBuffer();
}
