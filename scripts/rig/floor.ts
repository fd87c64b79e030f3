/**
 * The transport floor of `npm run bench`: a bare server that does, for each call, the socket and
 * message work of both of tolk's protocols and nothing else (no DSP, no call logic). Run on tolk's
 * core, fed by the same rig, its CPU is what the transport alone costs on this machine at that moment.
 *  - Twilio side: it accepts the legs' Media Streams, parses every message and decodes every payload,
 *    and on each 20 ms tick sends a media message (base64 payload) to as many legs as tolk did in the
 *    measured run (`sendRatio` of them, in turn: tolk sends nothing to a leg with nothing to hear);
 *  - Gemini side: for each leg it opens a Live session on the rig's Gemini server (setup, then every
 *    100 ms the leg's audio as base64 16 kHz PCM, as tolk sends it) and parses every server frame,
 *    decoding its audio.
 *
 *   node dist/scripts/rig/floor.js <port> <gemini ws base> <sendRatio 0..1>   (prints "ready" when listening)
 */
import WebSocket, { WebSocketServer } from 'ws';

const FRAME_MS = 20;
const CHUNK_FRAMES = 5;

interface FloorLeg {
  ws: WebSocket;
  streamSid: string;
  gemini?: WebSocket;
  geminiReady: boolean;
  /** 100 ms of 16 kHz PCM, filled from the leg's payloads. */
  chunk: Buffer;
  frames: number;
  out: Uint8Array;
}

function every20ms(fn: () => void): void {
  const start = performance.now();
  let n = 1;
  const tick = (): void => {
    fn();
    setTimeout(tick, Math.max(0, start + ++n * FRAME_MS - performance.now()));
  };
  setTimeout(tick, FRAME_MS);
}

function openGemini(leg: FloorLeg, geminiBase: string): void {
  const ws = new WebSocket(`${geminiBase}/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent?key=floor`, { perMessageDeflate: false });
  leg.gemini = ws;
  ws.on('open', () =>
    ws.send(
      JSON.stringify({
        setup: {
          model: 'models/gemini-3.5-live-translate-preview',
          generationConfig: { responseModalities: ['AUDIO'], translationConfig: { targetLanguageCode: 'en', echoTargetLanguage: false } },
          inputAudioTranscription: {},
          outputAudioTranscription: {},
        },
      }),
    ),
  );
  ws.on('message', (data: Buffer) => {
    const m = JSON.parse(data.toString('utf8')) as { setupComplete?: object; serverContent?: { modelTurn?: { parts?: { inlineData?: { data?: string } }[] } } };
    if (m.setupComplete) leg.geminiReady = true;
    for (const p of m.serverContent?.modelTurn?.parts ?? []) if (p.inlineData?.data) leg.out = Buffer.from(p.inlineData.data, 'base64');
  });
  ws.on('error', () => undefined);
}

function serve(port: number, geminiBase: string, sendRatio: number): void {
  const wss = new WebSocketServer({ port, host: '127.0.0.1' });
  const legs: FloorLeg[] = [];
  wss.on('connection', (ws) => {
    const leg: FloorLeg = { ws, streamSid: '', geminiReady: false, chunk: Buffer.alloc(3200), frames: 0, out: new Uint8Array(160).fill(0xff) };
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString('utf8')) as { event?: string; streamSid?: string; media?: { payload?: string } };
      if (m.event === 'start') {
        leg.streamSid = m.streamSid ?? '';
        legs.push(leg);
        openGemini(leg, geminiBase);
        return;
      }
      if (m.event !== 'media') return;
      const payload = Buffer.from(m.media?.payload ?? '', 'base64');
      // As many bytes as tolk sends the model for them (16 kHz, 16-bit: four per 8 kHz sample); no resampling.
      const at = (leg.frames % CHUNK_FRAMES) * 640;
      for (let i = 0; i < 4; i++) payload.copy(leg.chunk, at + i * payload.length);
      if (++leg.frames % CHUNK_FRAMES === 0 && leg.geminiReady && leg.gemini?.readyState === WebSocket.OPEN) {
        leg.gemini.send(JSON.stringify({ realtimeInput: { audio: { data: leg.chunk.toString('base64'), mimeType: 'audio/pcm;rate=16000' } } }));
      }
    });
    ws.on('close', () => {
      const i = legs.indexOf(leg);
      if (i >= 0) legs.splice(i, 1);
      leg.gemini?.terminate();
    });
    ws.on('error', () => undefined);
  });
  let turn = 0;
  every20ms(() => {
    const count = Math.round(sendRatio * legs.length);
    for (let i = 0; i < count; i++) {
      const leg = legs[(turn + i) % legs.length];
      const out = leg.out.subarray(0, 160);
      leg.ws.send(`{"event":"media","streamSid":${JSON.stringify(leg.streamSid)},"media":{"payload":"${Buffer.from(out.buffer, out.byteOffset, out.byteLength).toString('base64')}"}}`);
    }
    turn += count;
  });
  wss.on('listening', () => process.stdout.write('ready\n'));
  process.on('SIGTERM', () => process.exit(0));
}

if (require.main === module) serve(Number(process.argv[2]), process.argv[3] ?? '', Math.min(1, Math.max(0, Number(process.argv[4] ?? 1))));
