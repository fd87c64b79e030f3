/** The audio format of a call's media: 8 kHz PCM16 mono, mixed and sent 20 ms at a time. */
export const SAMPLE_RATE = 8000;
export const FRAME_SAMPLES = 160;

export const msToSamples = (ms: number): number => Math.round((ms * SAMPLE_RATE) / 1000);
export const samplesToMs = (samples: number): number => (samples * 1000) / SAMPLE_RATE;
