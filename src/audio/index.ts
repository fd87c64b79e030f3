/** Public surface of the audio module. */
export { ENCODE_TABLE, MULAW_SILENCE, decodeMulaw, decodeMulawSample, encodeMulaw, encodeMulawSample } from './mulaw';
export { base64ToBytes, base64ToInt16, bytesToBase64, bytesToInt16, int16ToBase64, int16ToBytes } from './bytes';
export { INT16_MAX, INT16_MIN, floatsToInt16, toInt16, unitFloatsToInt16 } from './pcm';
export type { ResamplerOptions, StreamingResampler } from './resampler';
export { Upsampler8to16, UPSAMPLER_TAPS } from './upsampler';
export { Downsampler24to8, DOWNSAMPLER_TAPS } from './downsampler';
export { InboundConverter, OutboundConverter } from './converters';
export { readWav, writeMulawWav, writeWav, type WavAudio, type WavEncoding } from './wav';
export { convertWav, resampleBuffer, type ResampleMethod, type ResampleOptions } from './file-resample';
