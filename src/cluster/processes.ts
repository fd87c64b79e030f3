/**
 * `TOLK_PROCESSES=auto|N`: one `npm start` runs N tolk processes (auto: one per core), each a
 * cluster instance of its own (`<TOLK_INSTANCE_ID or host name>-<n>`) on a loopback port. This
 * process, the supervisor, listens on PORT and hands each new connection to the process with the
 * least load (in turn among those with as little), having read only the first bytes that
 * tell it is not a media stream's handshake: one that is (`GET /twilio/media/<instance>`, read to
 * the end of its head within HEAD_LIMITS) goes to the process it names when that one may take it,
 * and a head too large or too slow is closed, as is at once a connection that comes while
 * `HEAD_LIMITS.concurrent` heads are being read (each refusal is a warning, at most a line a
 * second). A process's load is the calls it serves, as it last said, and the connections handed to
 * it that it has not yet answered (any of them may bring a call): each process tells the supervisor
 * both when either changed (as it answers a request or sees one of those connections closed, and
 * every LOAD_REPORT_MS), so that new calls spread over the processes whatever other connections
 * come between them, and a burst of callers within one answer's time spreads too. The process
 * reads the request from what the supervisor read, then from the socket. From there the cluster's routing applies as across
 * machines (a webhook goes to the process serving its call, a stream whose process is gone or
 * stopping is relayed to it by the process it reached).
 * A process that begins stopping (whoever signalled it) says so and is handed no new connection
 * while another process is up and not stopping: its calls move there, and their new streams and
 * webhooks must not come back to it. With every process stopping, connections still go to those
 * left, which answer `/readyz` 503, tell new callers all lines are busy and serve what they still
 * hold. A process that exits is started again (its calls were closed by the others as
 * instance_lost, or had moved); SIGTERM or SIGINT to the supervisor is passed on to every process
 * (which drains), and the supervisor stops listening and exits once they all have.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import type { Config } from '../config/env';
import { CLUSTER_INSTANCE_ID } from '../config/env';
import { portInUse, StartupError } from '../config/startup-error';
import { LogThrottle } from '../log/log-throttle';
import type { Logger } from '../log/logger';
import { HEAD_LIMITS, readHead, stopReading, type HeadLimits, type HeadRefusal } from './head-reader';
import { classifyHead } from './request-head';

/** Set in the environment of each process the supervisor starts: its number, from 1. */
export const PROCESS_INDEX_VAR = 'TOLK_PROCESS_INDEX';

/**
 * `head`: what the supervisor read of the connection (base64), to be read again by the process.
 * `counted`: the supervisor counts it against the process until the process says it answered it.
 */
export type SupervisorMessage = { type: 'tolk:connection'; head?: string; counted?: true };
/**
 * `tolk:closed` comes with a connection handed over after the process closed its server: it is
 * handed on. `tolk:calls`: how many live calls the process serves now, and how many of the connections
 * handed to it `counted` it has answered the first request of, sent back or seen closed.
 */
export type ProcessMessage =
  | { type: 'tolk:ready'; port: number }
  | { type: 'tolk:stopping' }
  | { type: 'tolk:closed'; head?: string }
  | { type: 'tolk:calls'; calls: number; answered: number };

/** How many processes TOLK_PROCESSES asks for on this machine. */
export function processCount(setting: Config['TOLK_PROCESSES']): number {
  return setting === 'auto' ? Math.max(1, os.availableParallelism()) : setting;
}

/** How long a process may take to start before the supervisor gives up on it. */
const START_DEADLINE_MS = 60_000;
/** How long after a process exited unexpectedly it is started again. */
const RESTART_DELAY_MS = 1000;
/** At most one line per this of connections refused before their first request was read. */
const REFUSAL_LOG_MS = 1000;
/** How often a process checks whether its count of live calls changed other than by a request it answered. */
const LOAD_REPORT_MS = 1000;

/** What the supervisor knows of how busy a process is. */
export interface ProcessLoad {
  /** The live calls it serves, as it last said. */
  calls: number;
  /** Connections handed to it `counted`. */
  handed: number;
  /** Of those, how many it last said it has answered. */
  answered: number;
}

interface Child extends ProcessLoad {
  index: number;
  /** Its instance name, `<base>-<index>`. */
  id: string;
  proc: ChildProcess;
  /** Started and not exited. */
  ready: boolean;
  /** Said it is stopping (or was signalled to by the supervisor). */
  stopping: boolean;
  /** Closed its server on the way out: it takes no connection at all. */
  closed: boolean;
}

/** The calls a process serves, and those the connections handed to it and not yet answered may bring. */
function load(c: ProcessLoad): number {
  return c.calls + Math.max(0, c.handed - c.answered);
}

/**
 * Which process takes the next connection: among those up and not stopping (when every one up is
 * stopping, among those: they still serve their calls and refuse new ones), the one with the least
 * load (its live calls and its connections not yet answered), in turn among those with as little.
 * A connection may bring a new call, and takes its request to the process that has the most room
 * for it, however many other connections (webhooks of calls served elsewhere, the API) came between
 * two calls, and however many came before the processes answered any. A media stream's handshake
 * goes to the process it names (`id`) when that one could take it by this rule.
 */
export function chooseProcess<T extends ProcessLoad & { id: string; ready: boolean; stopping: boolean; closed: boolean }>(children: readonly T[], turn: number, id?: string): T | undefined {
  const up = children.filter((c) => c.ready && !c.closed);
  const serving = up.filter((c) => !c.stopping);
  const from = serving.length > 0 ? serving : up;
  const named = from.find((c) => c.id === id);
  if (named || from.length === 0) return named;
  const fewest = Math.min(...from.map(load));
  const least = from.filter((c) => load(c) === fewest);
  return least[turn % least.length];
}

/**
 * chooseProcess, and the connection counted against the process chosen unless it is a media
 * stream's (`id`), which brings no call: its load is higher from now until it says it answered it.
 */
export function handTo<T extends ProcessLoad & { id: string; ready: boolean; stopping: boolean; closed: boolean }>(children: readonly T[], turn: number, id?: string): { child: T; counted: boolean } | undefined {
  const child = chooseProcess(children, turn, id);
  if (!child) return undefined;
  const counted = id === undefined;
  if (counted) child.handed++;
  return { child, counted };
}

/** Takes a process's `tolk:calls`; one that makes no sense is ignored. */
export function heardLoad(child: ProcessLoad, m: { calls: unknown; answered: unknown }): void {
  if (!Number.isSafeInteger(m.calls) || !Number.isSafeInteger(m.answered)) return;
  const calls = m.calls as number;
  const answered = m.answered as number;
  if (calls < 0 || answered < 0) return;
  child.calls = calls;
  child.answered = answered;
}

export interface Supervisor {
  port: number;
  /**
   * Signals every process to stop and resolves once all have exited; connections are handed to
   * those still running until then (their `/readyz` answers 503), and refused after.
   */
  stop(): Promise<void>;
  /** Passes a signal on to every process. */
  signal(sig: NodeJS.Signals): void;
}

/**
 * Starts `count` processes of `script` and listens on PORT/HOST once all are ready. Rejects with a
 * StartupError when PORT cannot be had or a process fails to start.
 */
export async function superviseProcesses(config: Config, count: number, logger: Logger, script: string = process.argv[1], limits: HeadLimits = HEAD_LIMITS): Promise<Supervisor> {
  const base = config.TOLK_INSTANCE_ID ?? os.hostname().toLowerCase();
  if (!CLUSTER_INSTANCE_ID.test(`${base}-${count}`)) {
    throw new StartupError('TOLK_INSTANCE_ID', `${JSON.stringify(base.slice(0, 64))} (or the host name) cannot name the processes: set 1 to 60 letters, digits, dots, dashes or underscores`);
  }
  // The processes must share one secret; one made here is theirs alone.
  const secret = config.MEDIA_STREAM_SECRET ?? randomBytes(32).toString('base64url');
  const children: Child[] = [];
  let stopping = false;
  let next = 0;

  const start = (index: number): Promise<Child> =>
    new Promise((resolve, reject) => {
      const proc = fork(script, process.argv.slice(2), {
        env: {
          ...process.env,
          [PROCESS_INDEX_VAR]: String(index),
          TOLK_PROCESSES: '1',
          TOLK_CLUSTER: 'on',
          TOLK_INSTANCE_ID: `${base}-${index}`,
          MEDIA_STREAM_SECRET: secret,
          PORT: '0',
          HOST: '127.0.0.1',
          TOLK_INTERNAL_URL: '',
        },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const child: Child = { index, id: `${base}-${index}`, proc, ready: false, stopping: false, closed: false, calls: 0, handed: 0, answered: 0 };
      children[index - 1] = child;
      const timer = setTimeout(() => reject(new StartupError('TOLK_PROCESSES', `process ${index} did not start within ${START_DEADLINE_MS / 1000} s`)), START_DEADLINE_MS);
      proc.on('message', (m: ProcessMessage, handle?: unknown) => {
        if (m?.type === 'tolk:closed') {
          child.closed = true;
          if (!(handle instanceof net.Socket)) return;
          const head = Buffer.from(m.head ?? '', 'base64');
          handOver(handle, head, streamInstance(head, limits));
          return;
        }
        if (m?.type === 'tolk:calls') return heardLoad(child, m);
        if (m?.type === 'tolk:stopping') {
          if (!child.stopping) logger.info({ event: 'processes.stopping', process: index, pid: proc.pid }, `process ${index} is stopping: no new connections go to it`);
          child.stopping = true;
          return;
        }
        if (m?.type !== 'tolk:ready') return;
        clearTimeout(timer);
        child.ready = true;
        logger.info({ event: 'processes.ready', process: index, port: m.port, pid: proc.pid }, `process ${index} ready`);
        resolve(child);
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        const wasReady = child.ready;
        child.ready = false;
        if (stopping) return;
        if (!wasReady) return reject(new StartupError('TOLK_PROCESSES', `process ${index} exited (${code ?? signal}) while starting`));
        if (child.stopping && code === 0) logger.info({ event: 'processes.stopped', process: index }, `process ${index} stopped; starting it again`);
        else logger.error({ event: 'processes.exited', process: index, code, signal }, `process ${index} exited; starting it again`);
        setTimeout(() => {
          if (!stopping) start(index).catch((err: unknown) => logger.error({ event: 'processes.restart_failed', process: index, err }, `process ${index} could not be started again`));
        }, RESTART_DELAY_MS).unref();
      });
    });

  /** Hands a connection, with what was read of it, to a process: the one its stream names (`instance`), or the one with the most room (chooseProcess). */
  function handOver(socket: net.Socket, head: Buffer, instance: string | undefined): void {
    const to = handTo(children, next++, instance);
    if (!to) return void socket.destroy();
    const message: SupervisorMessage = { type: 'tolk:connection', ...(head.length > 0 ? { head: head.toString('base64') } : {}), ...(to.counted ? { counted: true } : {}) };
    to.child.proc.send(message, socket, (err) => {
      if (err) {
        socket.destroy();
        // Never reached it: the process cannot say it answered it.
        if (to.counted) to.child.handed--;
      }
    });
  }

  /** A client that floods the port with connections it never finishes is not to flood the log too. */
  const refusals = new LogThrottle<{ reason: Exclude<HeadRefusal, 'closed'> | 'too_many'; remote: string | undefined }>(REFUSAL_LOG_MS, (refusal, leftOut) =>
    refusal
      ? logger.warn(
          { event: 'processes.connection_refused', reason: refusal.reason, remote: refusal.remote, leftOut },
          `connection from ${refusal.remote ?? 'an unknown address'} closed before its first request was read: ${refusal.reason}${leftOut > 0 ? ` (${leftOut} more since the last line)` : ''}`,
        )
      : logger.warn({ event: 'processes.connection_refused', leftOut }, `${leftOut} more connections closed before their first request was read`),
  );
  /** Heads being read now. */
  let reading = 0;

  function accept(socket: net.Socket): void {
    const remote = socket.remoteAddress;
    if (reading >= limits.concurrent) {
      socket.destroy();
      return refusals.event({ reason: 'too_many', remote });
    }
    reading++;
    readHead(
      socket,
      limits,
      ({ head, instance }) => {
        reading--;
        handOver(socket, head, instance);
      },
      (reason) => {
        reading--;
        // A client that went away is no sign of trouble (a load balancer's TCP check).
        if (reason === 'closed') logger.debug({ event: 'processes.connection_refused', reason, remote }, `connection closed before its first request was read: ${reason}`);
        else refusals.event({ reason, remote });
      },
    );
  }

  const stopChildren = async (): Promise<void> => {
    stopping = true;
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.proc.exitCode !== null || c.proc.signalCode !== null) return resolve();
            c.stopping = true;
            c.proc.once('exit', () => resolve());
            c.proc.kill('SIGTERM');
          }),
      ),
    );
  };

  try {
    await Promise.all(Array.from({ length: count }, (_, i) => start(i + 1)));
  } catch (err) {
    await stopChildren();
    throw err;
  }

  // Read here only as far as the routing needs: the process reads the request itself.
  const server = net.createServer({ pauseOnConnect: true }, accept);
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? portInUse(config.PORT, config.HOST, err) : err),
    );
    server.listen(config.PORT, config.HOST, () => resolve((server.address() as net.AddressInfo).port));
  }).catch(async (err: unknown) => {
    await stopChildren();
    throw err;
  });
  logger.info({ event: 'processes.listening', port, host: config.HOST, processes: count }, `tolk listening with ${count} processes`);
  return {
    port,
    async stop() {
      // Until the last process has gone, a load balancer must still get its 503 on /readyz, and
      // the webhooks, streams and hang-ups of the calls still draining must reach them.
      await stopChildren();
      server.close();
    },
    signal(sig) {
      for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill(sig);
    },
  };
}

export interface HandedConnections {
  /**
   * Tells the supervisor this process is stopping, so that it hands the connections to the others,
   * and lets go of kept-alive connections (idle ones now, the others after their answer): a client
   * reusing one would keep reaching this process.
   */
  stopping(): void;
}

/**
 * In a process the supervisor started: takes the connections it hands over, and says when ready.
 * Twilio's webhooks are answered with `Connection: close`: the supervisor balances connections, so a
 * kept-alive one would bring every new caller to the same process. `liveCalls` counts the calls
 * this process serves: the supervisor hears it, with how many of the connections it counted this
 * process has answered, as soon as a request (the one that made a call, or the first of a
 * connection) has been answered, and every LOAD_REPORT_MS, when either changed.
 */
export function serveHandedConnections(server: http.Server, port: number, liveCalls: () => number = () => 0): HandedConnections {
  let stopping = false;
  /** Connections the supervisor counted that have not had their first request answered nor closed. */
  const unanswered = new WeakSet<net.Socket>();
  let answered = 0;
  let reported = { calls: 0, answered: 0 };
  const report = (): void => {
    const calls = liveCalls();
    if ((calls === reported.calls && answered === reported.answered) || !process.connected) return;
    reported = { calls, answered };
    process.send?.({ type: 'tolk:calls', calls, answered } satisfies ProcessMessage);
  };
  const settle = (socket: net.Socket): void => {
    if (unanswered.delete(socket)) answered++;
  };
  setInterval(report, LOAD_REPORT_MS).unref();
  server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (stopping || req.url?.startsWith('/twilio/')) res.setHeader('Connection', 'close');
    res.once('finish', () => {
      settle(req.socket);
      report();
    });
  });
  process.on('message', (m: SupervisorMessage, socket?: net.Socket) => {
    if (m?.type !== 'tolk:connection' || !socket) return;
    // Closed on the way out: the connection, unread here, goes back to be handed to another.
    if (!server.listening && process.connected) {
      stopReading(socket);
      if (m.counted) answered++;
      process.send?.({ type: 'tolk:closed', ...(m.head ? { head: m.head } : {}) } satisfies ProcessMessage, socket);
      return report();
    }
    if (m.counted) {
      unanswered.add(socket);
      socket.once('close', () => {
        settle(socket);
        report();
      });
    }
    // The server reads what the supervisor read first, then the rest from the socket.
    if (m.head) socket.unshift(Buffer.from(m.head, 'base64'));
    server.emit('connection', socket);
    socket.resume();
  });
  process.send?.({ type: 'tolk:ready', port } satisfies ProcessMessage);
  return {
    stopping() {
      stopping = true;
      if (process.connected) process.send?.({ type: 'tolk:stopping' } satisfies ProcessMessage);
      server.closeIdleConnections();
    },
  };
}

/** The instance a connection's head names as a media stream's handshake, if it is one. */
function streamInstance(head: Buffer, limits: HeadLimits): string | undefined {
  const verdict = classifyHead(head, limits.bytes);
  return verdict.kind === 'stream' ? verdict.instance : undefined;
}
