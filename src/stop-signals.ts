/**
 * SIGINT and SIGTERM as requests to stop: the first stops gracefully (tolk drains its calls, a
 * worker finishes its running jobs), a later one stops at once.
 * One request often arrives more than once: Ctrl-C signals every process of the terminal's process
 * group, and `npm start` and the TOLK_PROCESSES supervisor each pass the signal they get on to their
 * child as well. A signal within `SAME_REQUEST_MS` of the last one acted on is that same request.
 */
import type { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';

export const SAME_REQUEST_MS = 1000;

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export interface StopSignalHandlers {
  /** The first request to stop. */
  first(sig: NodeJS.Signals): void;
  /** Each further request, `SAME_REQUEST_MS` or more after the one before. */
  again(sig: NodeJS.Signals): void;
  /** A signal taken as the request just acted on. */
  repeated?(sig: NodeJS.Signals): void;
}

export interface StopSignalOptions {
  /** Where the signals are emitted; default `process`. */
  target?: EventEmitter;
  /** Milliseconds on a monotonic clock; default `performance.now`. */
  now?: () => number;
}

/** Listens for SIGINT and SIGTERM; returns a function that stops listening. */
export function onStopSignals(handlers: StopSignalHandlers, opts: StopSignalOptions = {}): () => void {
  const target = opts.target ?? process;
  const now = opts.now ?? (() => performance.now());
  let last: number | undefined;
  const listener = (sig: NodeJS.Signals): void => {
    const t = now();
    if (last !== undefined && t - last < SAME_REQUEST_MS) {
      handlers.repeated?.(sig);
      return;
    }
    const isFirst = last === undefined;
    last = t;
    if (isFirst) handlers.first(sig);
    else handlers.again(sig);
  };
  for (const sig of STOP_SIGNALS) target.on(sig, listener);
  return () => {
    for (const sig of STOP_SIGNALS) target.removeListener(sig, listener);
  };
}
