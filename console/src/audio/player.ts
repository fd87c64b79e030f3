/**
 * Gapless play-out of the translation: each 24 kHz chunk becomes an AudioBuffer scheduled to start
 * exactly where the previous one ends (the browser resamples to the device rate). After a pause the
 * next chunk starts a short lead ahead of now, to absorb network jitter. Reports how much has been
 * played and the output level.
 */
const LEAD_S = 0.08;

export class PcmPlayer {
  private next = 0;
  private scheduled = 0;
  private readonly output: GainNode;
  private readonly analyser: AnalyserNode;
  private readonly sources = new Set<AudioBufferSourceNode>();
  private readonly levelBuf: Float32Array<ArrayBuffer>;

  constructor(private readonly ctx: AudioContext) {
    this.output = ctx.createGain();
    this.analyser = ctx.createAnalyser();
    this.analyser.fftSize = 1024;
    this.levelBuf = new Float32Array(this.analyser.fftSize);
    this.output.connect(this.analyser);
    this.analyser.connect(ctx.destination);
  }

  enqueue(pcm: Int16Array, rate = 24_000): void {
    if (pcm.length === 0) return;
    const buffer = this.ctx.createBuffer(1, pcm.length, rate);
    const data = buffer.getChannelData(0);
    for (let i = 0; i < pcm.length; i++) data[i] = pcm[i] / 32768;
    const source = this.ctx.createBufferSource();
    source.buffer = buffer;
    source.connect(this.output);
    const start = Math.max(this.next, this.ctx.currentTime + LEAD_S);
    source.start(start);
    this.sources.add(source);
    source.onended = () => this.sources.delete(source);
    this.next = start + buffer.duration;
    this.scheduled += buffer.duration;
  }

  /** Seconds of translation played so far. */
  get playedSeconds(): number {
    return Math.max(0, this.scheduled - Math.max(0, this.next - this.ctx.currentTime));
  }

  /** Output level now, 0..1 (RMS). */
  level(): number {
    this.analyser.getFloatTimeDomainData(this.levelBuf);
    let s = 0;
    for (const v of this.levelBuf) s += v * v;
    return Math.sqrt(s / this.levelBuf.length);
  }

  stop(): void {
    for (const s of this.sources) s.stop();
    this.sources.clear();
    this.output.disconnect();
    this.analyser.disconnect();
  }
}
