/**
 * The Gemini side of the bench's load rig (one process, started by scripts/bench.ts with IPC): a
 * Live API WebSocket server that tolk's real SDK connects to, built for load. It answers `setup`
 * with `setupComplete`, and for each audio message it receives (100 ms, or TRANSLATE_CHUNK_MS) looks
 * at a few of its samples (base64 read in place) to tell speech from silence; `modelLatencyMs` later
 * it sends one of a few server frames built once: as much of the model's voice (a steady tone) as
 * the message carried, the same with the tone starting where the speech started in it, as much
 * silence for a quiet message inside an utterance (a live model's voice goes on through the pauses
 * between words: its output has no holes), and the transcriptions when an utterance ends, after a
 * second of quiet (in the languages of the bench's calls: Spanish and English, the one not asked for
 * heard). Each of those is a whole WebSocket frame, written as it is in one write (raw-ws.ts); what
 * tolk sends is read where it lies in the socket's buffer.
 * With `echo` (the path test's audio check, not for load) the model says back every chunk it heard,
 * resampled to 24 kHz by linear interpolation over the session's whole stream, instead of its
 * steady voice.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, int16Base64, speechOnsetPcm, tonePcm24k } from './frames';
import { accept, frame as wsFrame, type RawWs } from './raw-ws';
import type { GeminiRigCommand, GeminiRigConfig, GeminiRigReply } from './protocol';

const config = JSON.parse(process.argv[2] ?? '{}') as GeminiRigConfig;
const CHUNK_MS = 100;
const ONSET_STEP_MS = 5;

/** `msg` as a whole WebSocket text frame from a server. */
const frame = (msg: object): Buffer => wsFrame(JSON.stringify(msg), false);
const audioFrame = (ms: number, silentMs: number): Buffer => frame({ serverContent: { modelTurn: { parts: [{ inlineData: { mimeType: 'audio/pcm;rate=24000', data: int16Base64(tonePcm24k(ms, silentMs)) } }] } } });
/** Every frame the model sends, built once: voice, with its onset at each step, and transcripts. */
const FRAMES: Buffer[] = [];
/**
 * The frames of `ms` of voice, the length of the audio message it answers (TRANSLATE_CHUNK_MS):
 * [a full one, then voice from i * ONSET_STEP_MS into it, ..., a silent one]; indices in FRAMES.
 */
const voiceFrames = new Map<number, number[]>();
function voiceOf(ms: number): number[] {
  let v = voiceFrames.get(ms);
  if (!v) {
    v = [
      FRAMES.push(audioFrame(ms, 0)) - 1,
      ...Array.from({ length: Math.max(1, Math.floor(ms / ONSET_STEP_MS)) }, (_, i) => FRAMES.push(audioFrame(ms, i * ONSET_STEP_MS)) - 1),
      FRAMES.push(audioFrame(ms, ms)) - 1,
    ];
    voiceFrames.set(ms, v);
  }
  return v;
}
voiceOf(CHUNK_MS);
/** The bench's calls are Spanish and English: a session translating into one hears the other. */
const SAID: Record<string, { text: string; languageCode: string }> = {
  en: { text: 'Good morning, I would like some information.', languageCode: 'en' },
  es: { text: 'Buenos días, quisiera información.', languageCode: 'es' },
};
/** The transcript frames of a session translating into `target`: [input, output] indices in FRAMES. */
const transcripts = new Map<string, [number, number]>();
function transcriptFrames(target: string): [number, number] {
  let t = transcripts.get(target);
  if (!t) {
    const input = SAID[target === 'es' ? 'en' : 'es'];
    const output = SAID[target] ?? { text: SAID.en.text, languageCode: target };
    t = [FRAMES.push(frame({ serverContent: { inputTranscription: input } })) - 1, FRAMES.push(frame({ serverContent: { outputTranscription: output } })) - 1];
    transcripts.set(target, t);
  }
  return t;
}
const SETUP_COMPLETE = frame({ setupComplete: {} });
const DATA_AT = Buffer.from('"data":"', 'latin1');
const SETUP_AT = Buffer.from('"setup"', 'latin1');
const QUEUE = 64;
/**
 * Quiet this long ends an utterance (the transcripts are sent). A shorter pause, between words, is
 * part of the model's voice, as a live model says it: as much silence as the message carried.
 */
const UTTERANCE_END_MS = 1000;

/** One Live session: whether its speaker is talking, and the frames due, in a fixed ring. */
class Session {
  speaking = false;
  /** Quiet heard since the speaker last spoke, ms. */
  quietMs = 0;
  setUp = false;
  transcripts: [number, number] = [0, 0];
  readonly due = new Float64Array(QUEUE);
  readonly what = new Int16Array(QUEUE);
  /** With `echo`: input samples (16 kHz) heard so far, the last of them, and output samples said. */
  heardSamples = 0;
  lastHeard = 0;
  said = 0;
  /** With `echo`: the frame to send instead of FRAMES[what]. */
  readonly echoes: (Buffer | undefined)[] = new Array<Buffer | undefined>(QUEUE);
  head = 0;
  tail = 0;
  constructor(readonly ws: RawWs) {}

  schedule(at: number, frameIndex: number, echo?: Buffer): void {
    const next = (this.tail + 1) % QUEUE;
    if (next === this.head) return; // a session this far behind drops the frame
    this.due[this.tail] = at;
    this.what[this.tail] = frameIndex;
    this.echoes[this.tail] = echo;
    this.tail = next;
  }
}

const sessions = new Set<Session>();
let inputMessages = 0;
let outputMessages = 0;

function onInput(s: Session, data: Buffer): void {
  if (!s.setUp) {
    if (data.indexOf(SETUP_AT) < 0) return;
    const setup = JSON.parse(data.toString('utf8')) as { setup?: { generationConfig?: { translationConfig?: { targetLanguageCode?: string } } } };
    s.transcripts = transcriptFrames(setup.setup?.generationConfig?.translationConfig?.targetLanguageCode ?? 'en');
    s.setUp = true;
    s.ws.sendFrame(SETUP_COMPLETE);
    return;
  }
  const at = after(data, DATA_AT);
  if (at < 0) return;
  inputMessages++;
  const end = data.indexOf(0x22, at); // the closing quote
  const samples = Math.floor(((end - at) / 4) * 3 / 2);
  const onset = speechOnsetPcm(data, at, samples);
  const due = Date.now() + config.modelLatencyMs;
  // As much voice as the message carried audio (TRANSLATE_CHUNK_MS: 100 ms by default).
  const voice = voiceOf(Math.max(ONSET_STEP_MS, Math.round(samples / 16 / ONSET_STEP_MS) * ONSET_STEP_MS));
  if (config.echo) scheduleEcho(s, data, at, end, due);
  if (onset >= 0) {
    s.quietMs = 0;
    if (config.echo) s.speaking = true;
    else if (s.speaking) s.schedule(due, voice[0]);
    else {
      s.speaking = true;
      // The chunk ends now; its speech began `onset` samples (16 kHz) into it.
      s.schedule(due, voice[1 + Math.min(voice.length - 3, Math.floor(onset / 16 / ONSET_STEP_MS))]);
    }
  } else if (s.speaking) {
    s.quietMs += samples / 16;
    if (config.echo || s.quietMs >= UTTERANCE_END_MS) {
      s.speaking = false;
      s.quietMs = 0;
      s.ws.sendFrame(FRAMES[s.transcripts[0]]);
      s.schedule(due, s.transcripts[1]);
    } else s.schedule(due, voice[voice.length - 1]); // a pause between words: the voice goes on, quiet
  }
}

/** What the session heard, said back `due`. */
function scheduleEcho(s: Session, data: Buffer, at: number, end: number, due: number): void {
  const bytes = Buffer.from(data.toString('latin1', at, end), 'base64');
  const n = bytes.length >> 1;
  // Output sample j is the stream's input at j * 2/3, interpolated: the same whatever the chunks.
  const at16k = (i: number): number => (i < s.heardSamples ? s.lastHeard : bytes.readInt16LE(2 * (i - s.heardSamples)));
  const out: number[] = [];
  for (let pos = (s.said * 2) / 3; pos <= s.heardSamples + n - 1; pos = (++s.said * 2) / 3) {
    const j = Math.floor(pos);
    const a = at16k(j);
    const frac = pos - j;
    out.push(Math.round(frac === 0 ? a : a + (at16k(j + 1) - a) * frac));
  }
  if (n > 0) s.lastHeard = bytes.readInt16LE(2 * (n - 1));
  s.heardSamples += n;
  const pcm24k = Int16Array.from(out);
  s.schedule(due, 0, frame({ serverContent: { modelTurn: { parts: [{ inlineData: { mimeType: 'audio/pcm;rate=24000', data: int16Base64(pcm24k) } }] } } }));
}

/** One clock for every session: frames go out when due. */
function pump(): void {
  const now = Date.now();
  for (const s of sessions) {
    while (s.head !== s.tail && s.due[s.head] <= now) {
      if (s.ws.open) {
        s.ws.sendFrame(s.echoes[s.head] ?? FRAMES[s.what[s.head]]);
        outputMessages++;
      }
      s.echoes[s.head] = undefined;
      s.head = (s.head + 1) % QUEUE;
    }
  }
}

const server = http.createServer((_req, res) => res.writeHead(404).end());
server.on('upgrade', (req, socket, head: Buffer) => {
  const opened: { session?: Session } = {};
  const ws = accept(req, socket, head, {
    onMessage: (buf, start, end) => {
      if (opened.session) onInput(opened.session, buf.subarray(start, end));
    },
    onClose: () => {
      if (opened.session) sessions.delete(opened.session);
    },
  });
  if (!ws) return;
  if (!(req.url ?? '').includes('GenerativeService.BidiGenerateContent')) {
    ws.close(1008, 'unknown endpoint');
    return;
  }
  opened.session = new Session(ws);
  sessions.add(opened.session);
});

process.on('message', (cmd: GeminiRigCommand) => {
  if (cmd.type === 'stats') process.send?.({ type: 'stats', stats: { sessions: sessions.size, inputMessages, outputMessages } } satisfies GeminiRigReply);
});
server.listen(0, '127.0.0.1', () => {
  setInterval(pump, ONSET_STEP_MS);
  process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port } satisfies GeminiRigReply);
});
process.on('disconnect', () => process.exit(0));
// Exits rather than dies, so a CPU profile (--profile-rig) is written.
process.on('SIGTERM', () => process.exit(0));
