/**
 * The microphone capture worklet: takes the first channel at the context's rate, low-passes and
 * resamples it to 16 kHz, and posts 100 ms frames of 16-bit PCM (1600 samples) with their RMS
 * level to the page, which sends them to Gemini Live.
 */
import { CAPTURE_PROCESSOR, Chunker, Downsampler, rms } from './pcm';
const FRAME = 1600;

class CaptureProcessor extends AudioWorkletProcessor {
  private readonly down = new Downsampler(sampleRate, 16_000);
  private readonly chunks = new Chunker(FRAME);

  process(inputs: Float32Array[][]): boolean {
    const channel = inputs[0]?.[0];
    if (channel) {
      for (const frame of this.chunks.push(this.down.process(channel))) {
        this.port.postMessage({ pcm: frame, level: rms(frame) }, [frame.buffer]);
      }
    }
    return true;
  }
}

registerProcessor(CAPTURE_PROCESSOR, CaptureProcessor);
