/**
 * The transport floor for `npm run bench -- --floor`: what a bare WebSocket server costs at the
 * Twilio message rate of N interpreted calls, with none of tolk's work. The server (this file,
 * run as its own process on tolk's core) parses every media message Twilio would send it and,
 * on every 20 ms tick, sends one media message to as many legs as tolk did in the measured run
 * (`sendRatio` of them, in turn: tolk sends nothing to a leg with nothing to hear);
 * the load (`runFloorLoad`, in the benchmark's process) opens two legs per call and sends one
 * Twilio-shaped media message per leg every 20 ms. Its CPU is the part of tolk's figure that any
 * Node.js WebSocket server pays for the same traffic on the same machine at the same moment.
 *
 *   node dist/scripts/transport-floor.js <port> <sendRatio 0..1>     (prints "ready" when listening)
 */
import WebSocket, { WebSocketServer } from 'ws';

const FRAME_MS = 20;
const STREAM_SID = 'MZ00000000000000000000000000000000';
const SILENCE_B64 = Buffer.alloc(160, 0xff).toString('base64');

/** Calls `fn` every 20 ms on a clock that does not drift; returns a stop function. */
function every20ms(fn: () => void): () => void {
  const start = performance.now();
  let n = 1;
  let timer: NodeJS.Timeout;
  const tick = (): void => {
    fn();
    timer = setTimeout(tick, Math.max(0, start + ++n * FRAME_MS - performance.now()));
  };
  timer = setTimeout(tick, FRAME_MS);
  return () => clearTimeout(timer);
}

function serve(port: number, sendRatio: number): void {
  const wss = new WebSocketServer({ port, host: '127.0.0.1' });
  const legs = new Set<WebSocket>();
  let bytes = 0;
  wss.on('connection', (ws) => {
    legs.add(ws);
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString('utf8')) as { media?: { payload?: string } };
      bytes += Buffer.from(m.media?.payload ?? '', 'base64').length;
    });
    ws.on('close', () => legs.delete(ws));
  });
  const message = `{"event":"media","streamSid":"${STREAM_SID}","media":{"payload":"${SILENCE_B64}"}}`;
  let turn = 0;
  every20ms(() => {
    const all = [...legs];
    const count = Math.round(sendRatio * all.length);
    for (let i = 0; i < count; i++) all[(turn + i) % all.length].send(message);
    turn += count;
  });
  wss.on('listening', () => process.stdout.write('ready\n'));
  process.on('SIGTERM', () => {
    process.stdout.write(`received ${bytes} bytes\n`);
    process.exit(0);
  });
}

/** Opens `legs` connections to the floor server and streams Twilio-shaped media on each. */
export async function runFloorLoad(url: string, legs: number): Promise<() => void> {
  const sockets = await Promise.all(
    Array.from({ length: legs }, () => new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(url, { generateMask: (mask) => void mask.fill(0) });
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    })),
  );
  let seq = 0;
  const stop = every20ms(() => {
    seq++;
    const head = `{"event":"media","sequenceNumber":"${seq}","media":{"track":"inbound","chunk":"${seq}","timestamp":"${seq * FRAME_MS}","payload":"`;
    for (const ws of sockets) ws.send(`${head}${SILENCE_B64}"},"streamSid":"${STREAM_SID}"}`);
  });
  return () => {
    stop();
    for (const ws of sockets) ws.terminate();
  };
}

if (require.main === module) serve(Number(process.argv[2]), Math.min(1, Math.max(0, Number(process.argv[3] ?? 1))));
