/**
 * The Gemini side of the bench's load rig (one process, started by scripts/bench.ts with IPC): a
 * Live API WebSocket server that tolk's real SDK connects to, built for load. It answers `setup`
 * with `setupComplete`, and for each audio message it receives (100 ms, or TRANSLATE_CHUNK_MS) looks
 * at a few of its samples (base64 read in place) to tell speech from silence; `modelLatencyMs` later,
 * each reply at its own due time (due-queue.ts: no grid of wake-ups adding jitter), it sends a server
 * frame built once: as much of the model's voice (a steady tone) as the message carried, the same
 * with the tone starting on the sample where the speech started in it, as much
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
import { commandListener } from './commands';
import { DuePump } from './due-queue';
import { after, audioFrame, ModelVoice, speechOnsetPcm } from './frames';
import { accept, frame as wsFrame, type RawWs } from './raw-ws';
import type { GeminiRigCommand, GeminiRigConfig, GeminiRigReply } from './protocol';

const config = JSON.parse(process.argv[2] ?? '{}') as GeminiRigConfig;
/** Samples (16 kHz) of the audio message tolk sends by default (TRANSLATE_CHUNK_MS 100 ms). */
const CHUNK_SAMPLES = 1600;

/** `msg` as a whole WebSocket text frame from a server. */
const frame = (msg: object): Buffer => wsFrame(JSON.stringify(msg), false);
const voices = new Map<number, ModelVoice>();
function voiceOf(samples: number): ModelVoice {
  let v = voices.get(samples);
  if (!v) {
    v = new ModelVoice(samples);
    voices.set(samples, v);
  }
  return v;
}
// Every onset of the default message length, built before the first call.
for (let k = 0; k < CHUNK_SAMPLES; k++) voiceOf(CHUNK_SAMPLES).from(k);
/** The bench's calls are Spanish and English: a session translating into one hears the other. */
const SAID: Record<string, { text: string; languageCode: string }> = {
  en: { text: 'Good morning, I would like some information.', languageCode: 'en' },
  es: { text: 'Buenos días, quisiera información.', languageCode: 'es' },
};
/** The transcript frames of a session translating into `target`: [input, output]. */
const transcripts = new Map<string, [Buffer, Buffer]>();
function transcriptFrames(target: string): [Buffer, Buffer] {
  let t = transcripts.get(target);
  if (!t) {
    const input = SAID[target === 'es' ? 'en' : 'es'];
    const output = SAID[target] ?? { text: SAID.en.text, languageCode: target };
    t = [frame({ serverContent: { inputTranscription: input } }), frame({ serverContent: { outputTranscription: output } })];
    transcripts.set(target, t);
  }
  return t;
}
const SETUP_COMPLETE = frame({ setupComplete: {} });
const DATA_AT = Buffer.from('"data":"', 'latin1');
const SETUP_AT = Buffer.from('"setup"', 'latin1');
const QUEUE = 64;
const EMPTY = Buffer.alloc(0);
/**
 * Quiet this long ends an utterance (the transcripts are sent). A shorter pause, between words, is
 * part of the model's voice, as a live model says it: as much silence as the message carried.
 */
const UTTERANCE_END_MS = 1000;

/** One Live session: whether its speaker is talking, and how many of its replies are waiting to go. */
class Session {
  speaking = false;
  /** Quiet heard since the speaker last spoke, ms. */
  quietMs = 0;
  setUp = false;
  transcripts: [Buffer, Buffer] = [EMPTY, EMPTY];
  /** Replies scheduled and not yet sent. */
  pending = 0;
  /** With `echo`: input samples (16 kHz) heard so far, the last of them, and output samples said. */
  heardSamples = 0;
  lastHeard = 0;
  said = 0;
  constructor(readonly ws: RawWs) {}

  /** `f` goes out at `at` (performance.now() ms). */
  schedule(at: number, f: Buffer): void {
    if (this.pending >= QUEUE) return; // a session this far behind drops the frame
    this.pending++;
    pump.add(at, this, f);
  }
}

/** One clock for every session: each reply goes out at its due time. */
const pump = new DuePump<Session, Buffer>((s, f) => {
  s.pending--;
  if (s.ws.open) {
    s.ws.sendFrame(f);
    outputMessages++;
  }
});

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
  const padding = data[end - 1] === 0x3d ? (data[end - 2] === 0x3d ? 2 : 1) : 0; // '='
  const samples = Math.floor((((end - at) / 4) * 3 - padding) / 2);
  const onset = speechOnsetPcm(data, at, samples);
  const due = performance.now() + config.modelLatencyMs;
  if (config.echo) scheduleEcho(s, data, at, end, due);
  else if (samples === 0) return;
  if (onset >= 0) {
    s.quietMs = 0;
    if (config.echo) s.speaking = true;
    // As much voice as the message carried audio; the chunk ends now, and its speech began `onset`
    // samples (16 kHz) into it: the voice starts as far into its reply.
    else if (s.speaking) s.schedule(due, voiceOf(samples).full);
    else {
      s.speaking = true;
      s.schedule(due, voiceOf(samples).from(onset));
    }
  } else if (s.speaking) {
    s.quietMs += samples / 16;
    if (config.echo || s.quietMs >= UTTERANCE_END_MS) {
      s.speaking = false;
      s.quietMs = 0;
      s.ws.sendFrame(s.transcripts[0]);
      s.schedule(due, s.transcripts[1]);
    } else s.schedule(due, voiceOf(samples).silent); // a pause between words: the voice goes on, quiet
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
  s.schedule(due, audioFrame(Int16Array.from(out)));
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

function command(cmd: GeminiRigCommand): GeminiRigReply {
  switch (cmd.type) {
    case 'measure':
      pump.resetLateness();
      return { type: 'measuring' };
    case 'stats':
      return { type: 'stats', stats: { sessions: sessions.size, inputMessages, outputMessages, replyLateMaxMs: pump.lateMaxMs, errors: pump.errors + commandErrors } };
    default:
      throw new Error('unknown command');
  }
}

let commandErrors = 0;
process.on(
  'message',
  commandListener(command, (r) => process.send?.(r), (cmd, error) => {
    commandErrors++;
    process.stderr.write(`${JSON.stringify({ level: 'error', msg: 'rig command failed', command: cmd, error })}\n`);
  }),
);
server.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port } satisfies GeminiRigReply);
});
process.on('disconnect', () => process.exit(0));
// Exits rather than dies, so a CPU profile (--profile-rig) is written.
process.on('SIGTERM', () => process.exit(0));
