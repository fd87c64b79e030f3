/**
 * How the TOLK_PROCESSES supervisor hands connections over, with two echo servers as its processes
 * (fixtures/supervised-echo.ts): a media stream's handshake reaches the process its path names, with
 * what the supervisor read of it and what follows intact; everything else goes to the process
 * serving the fewest calls, so that new calls spread over both; a head too
 * large or too slow is closed and holds nothing up; a stream for a process that is stopping or gone
 * goes in turn, as before, to be relayed.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { WebSocket } from 'ws';

jest.setTimeout(60_000);

const ROOT = path.resolve(__dirname, '../..');
const TSX_LOADER = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const FIXTURE = path.join(__dirname, 'fixtures/supervised-echo.ts');
/** The fixture's deadline for a head: short, so that a test does not wait 10 s for it. */
const HEAD_DEADLINE_MS = 500;

interface Supervised {
  child: ChildProcessByStdio<null, Readable, Readable>;
  port: number;
  out(): string;
  waitFor(re: RegExp): Promise<string>;
  /** Process ids by process number, from the `processes.ready` lines. */
  pids(): Map<number, number>;
}

let running: Supervised | undefined;

afterEach(() => {
  if (running?.child.pid && running.child.exitCode === null) {
    try {
      process.kill(-running.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  running = undefined;
});

async function startSupervisor(env: Record<string, string> = {}): Promise<Supervised> {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, FIXTURE], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HEAD_DEADLINE_MS: String(HEAD_DEADLINE_MS), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const waitFor = (re: RegExp): Promise<string> =>
    new Promise((resolve, reject) => {
      const started = Date.now();
      const check = (): void => {
        const line = out.split('\n').find((l) => re.test(l));
        if (line !== undefined) return resolve(line);
        if (child.exitCode !== null || Date.now() - started > 30_000) return reject(new Error(`no line matching ${re}; stderr: ${err}`));
        setTimeout(check, 20);
      };
      check();
    });
  const s: Supervised = {
    child,
    port: 0,
    out: () => out,
    waitFor,
    pids() {
      const ids = new Map<number, number>();
      for (const line of out.split('\n').filter((l) => l.includes('"event":"processes.ready"'))) {
        const { process: n, pid } = JSON.parse(line) as { process: number; pid: number };
        ids.set(n, pid);
      }
      return ids;
    },
  };
  running = s;
  s.port = (JSON.parse(await waitFor(/"event":"processes.listening"/)) as { port: number }).port;
  return s;
}

/** Opens a WebSocket through the supervisor; resolves with the server's first message and the socket. */
function openStream(port: number, urlPath: string): Promise<{ first: { process: number; url: string; check: string | null }; ws: WebSocket }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${urlPath}`, { headers: { 'X-Check': `check ${urlPath}` } });
    ws.once('message', (data: Buffer) => resolve({ first: JSON.parse(data.toString('utf8')) as { process: number; url: string; check: string | null }, ws }));
    ws.once('error', reject);
  });
}

function echoOf(ws: WebSocket, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve) => {
    ws.once('message', (data) => resolve(data as Buffer));
    ws.send(payload);
  });
}

/** Writes on a raw connection; resolves with what came back once the connection closed (reset or not). */
function rawExchange(port: number, write: (socket: net.Socket) => void): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => write(socket));
    let answer = '';
    socket.setEncoding('latin1').on('data', (d: string) => (answer += d));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(answer));
  });
}

/** What `promise` resolves with, or 'no answer' after `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | 'no answer'> {
  return Promise.race([promise, new Promise<'no answer'>((resolve) => setTimeout(() => resolve('no answer'), ms).unref())]);
}

/** A request of its own connection, with `Connection: close`; its answer's body. */
async function answerOf(port: number, method: string, urlPath: string, body?: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}${urlPath}`, { method, body, headers: { connection: 'close' } });
  return res.text();
}

describe('the TOLK_PROCESSES supervisor', () => {
  it("hands a media stream's handshake to the process its path names, its head and messages intact", async () => {
    const s = await startSupervisor();
    const opened = [];
    for (const n of [2, 1, 2, 2, 1, 1, 2, 1]) {
      const { first, ws } = await openStream(s.port, `/twilio/media/box-${n}?leg=${n}`);
      expect(first).toEqual({ process: n, url: `/twilio/media/box-${n}?leg=${n}`, check: `check /twilio/media/box-${n}?leg=${n}` });
      const payload = Buffer.from(`media ${n} `.repeat(500));
      expect(Buffer.compare(await echoOf(ws, payload), payload)).toBe(0);
      opened.push(ws);
    }
    for (const ws of opened) ws.close();

    // Everything else goes to each process in turn (neither serves a call).
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await answerOf(s.port, 'GET', `/who?i=${i}`));
    expect(new Set(answers.map((a) => a.split(' ')[1]))).toEqual(new Set(['1', '2']));
    // A stream path named in another way, or a plain GET of one, goes in turn too (to be relayed or refused there).
    expect(await answerOf(s.port, 'GET', '/twilio/media/box-2')).toMatch(/^process [12] GET \/twilio\/media\/box-2 $/);
  });

  it('spreads new calls over both processes, whatever number of other requests comes between two', async () => {
    const s = await startSupervisor();
    // Over the client's kept-alive connections; every Twilio webhook is answered with `Connection: close`.
    const post = async (urlPath: string): Promise<string> => (await fetch(`http://127.0.0.1:${s.port}${urlPath}`, { method: 'POST', body: 'CallSid=CA' })).text();
    const served: string[] = [];
    for (let call = 0; call < 6; call++) {
      served.push((await post('/twilio/voice')).split(' ')[1]);
      // The call's status callbacks (by turns alone, the next call would land where this one did).
      for (let i = 0; i < 3; i++) await post('/twilio/status');
      // The next caller comes a moment later.
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(served.filter((p) => p === '1')).toHaveLength(3);
    expect(served.filter((p) => p === '2')).toHaveLength(3);
  });

  it('spreads a burst of callers that come before either process has answered one', async () => {
    const s = await startSupervisor({ VOICE_ANSWER_MS: '300' });
    const post = async (urlPath: string): Promise<string> => (await fetch(`http://127.0.0.1:${s.port}${urlPath}`, { method: 'POST', body: 'CallSid=CA' })).text();
    // One process serves a call, and has said so.
    const first = (await post('/twilio/voice')).split(' ')[1];
    await new Promise((r) => setTimeout(r, 100));
    // Four callers at once: by the calls the processes said they serve, all four would go to the other.
    const burst = await Promise.all(Array.from({ length: 4 }, async () => (await post('/twilio/voice')).split(' ')[1]));
    const served = [first, ...burst];
    expect([served.filter((p) => p === '1').length, served.filter((p) => p === '2').length].sort()).toEqual([2, 3]);
  });

  it('hands a request over with all of it when its body comes after the head, while the supervisor is busy', async () => {
    const s = await startSupervisor({ BUSY_AFTER_HANDING_MS: '100' });
    // The body comes while the connection is being handed over, or after.
    for (const gapMs of [1, 10, 50, 200]) {
      const answer = rawExchange(s.port, (socket) => {
        socket.setNoDelay(true);
        socket.write('POST /twilio/voice HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nConnection: close\r\n\r\n');
        setTimeout(() => socket.write('CallSid=CA'), gapMs);
      });
      expect(await within(answer, 5_000)).toMatch(/\r\n\r\nprocess [12] POST \/twilio\/voice CallSid=CA$/);
    }
  });

  it('closes a head over the limit and one too slow, unanswered, while serving the others', async () => {
    const s = await startSupervisor();
    const large = await rawExchange(s.port, (socket) => socket.write(`GET /twilio/media/box-1 HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(10_000)}\r\n\r\n`));
    expect(large).toBe('');

    let slowClosed = false;
    const slow = rawExchange(s.port, (socket) => socket.write('GET /twilio/media/box-1 HTTP/1.1\r\nHost: x\r\n')).finally(() => (slowClosed = true));
    const silent = rawExchange(s.port, () => undefined);
    // Meanwhile streams and requests are served.
    const { first, ws } = await openStream(s.port, '/twilio/media/box-1');
    expect(first.process).toBe(1);
    ws.close();
    expect(await answerOf(s.port, 'GET', '/who')).toMatch(/^process [12] GET \/who $/);
    expect(slowClosed).toBe(false);

    // Closed at the deadline, unanswered (an HTTP server would wait a minute for the rest).
    expect(await within(slow, 10 * HEAD_DEADLINE_MS)).toBe('');
    expect(await within(silent, 10 * HEAD_DEADLINE_MS)).toBe('');

    // Each refusal is a warning naming why and where from; those within a second of the first are counted in one line after it.
    expect(JSON.parse(await s.waitFor(/"event":"processes.connection_refused"/))).toMatchObject({ level: 'warn', reason: 'too_large', remote: '127.0.0.1', leftOut: 0 });
    expect(JSON.parse(await s.waitFor(/"event":"processes.connection_refused".*"leftOut":2/))).toMatchObject({ level: 'warn', leftOut: 2 });
    expect(s.out()).not.toMatch(/X-Pad|aaaa/);
  });

  it('closes at once a connection that comes while as many heads as it may read are being read, and says so at most once a second', async () => {
    const s = await startSupervisor({ HEADS_AT_ONCE: '2', HEAD_DEADLINE_MS: '5000' });
    const opened: net.Socket[] = [];
    const open = (): Promise<net.Socket> =>
      new Promise((resolve) => {
        const socket = net.connect(s.port, '127.0.0.1', () => resolve(socket));
        socket.on('error', () => undefined);
        opened.push(socket);
      });
    const slow = [await open(), await open()];
    // Let the supervisor take both before the next comes.
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    const refused = await Promise.all(Array.from({ length: 20 }, () => rawExchange(s.port, (socket) => socket.write('GET /who HTTP/1.1\r\nHost: x\r\n\r\n'))));
    expect(refused.every((a) => a === '')).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
    // A head no longer being read (its client went) frees its place.
    for (const socket of slow) socket.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect(await answerOf(s.port, 'GET', '/who')).toMatch(/^process [12] GET \/who $/);

    const first = JSON.parse(await s.waitFor(/"event":"processes.connection_refused"/)) as { leftOut: number };
    expect(first).toMatchObject({ level: 'warn', reason: 'too_many', remote: '127.0.0.1', leftOut: 0 });
    const rest = JSON.parse(await s.waitFor(/"event":"processes.connection_refused".*"leftOut":[1-9]/)) as { leftOut: number };
    expect(rest.leftOut).toBe(19);
    expect(s.out().match(/"level":"warn".*"event":"processes.connection_refused"/g)).toHaveLength(2);
    for (const socket of opened) socket.destroy();
  });

  it('hands a stream for a process that is stopping, or gone, to one that is up', async () => {
    const s = await startSupervisor();
    const pids = s.pids();
    process.kill(pids.get(1)!, 'SIGTERM');
    await s.waitFor(/"event":"processes.stopping","process":1/);
    for (let i = 0; i < 3; i++) {
      const { first, ws } = await openStream(s.port, '/twilio/media/box-1');
      expect(first.process).toBe(2);
      ws.close();
    }

    process.kill(pids.get(2)!, 'SIGKILL');
    await s.waitFor(/"event":"processes.exited","process":2/);
    // Only process 1 is up, stopping: it takes what comes, its own streams and the others'.
    for (let i = 0; i < 2; i++) {
      const { first, ws } = await openStream(s.port, '/twilio/media/box-2');
      expect(first.process).toBe(1);
      ws.close();
    }
  });
});
