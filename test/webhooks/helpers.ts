/** A customer's webhook receiver for tests, answering each request as scripted, and a call to end. */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CallEventBus, type CallEvent } from '../../src/call/events';
import { openStore, type Store } from '../../src/store/open-store';
import { silent } from '../jobs/helpers';

export type Answer = number | 'hang';

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

/** Answers the n-th request with `script[n]` (the last entry from then on); 'hang' never answers. */
export async function startReceiver(script: Answer[]): Promise<Receiver> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body, at: Date.now() });
      const answer = script[Math.min(received.length, script.length) - 1];
      if (answer === 'hang') return;
      res.writeHead(answer, { 'Content-Type': 'text/plain' });
      res.end(answer < 300 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/tolk`,
    received,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** A store in a folder of its own (SQLite), removed by `close`. */
export async function tempStore(): Promise<{ store: Store; close(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-webhooks-'));
  const store = await openStore({ sqlitePath: path.join(dir, 'tolk.db'), logger: silent });
  return {
    store,
    close: async () => {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const LINE = '+15550001111';
/** The call SID of the caller of `playCall`'s call. */
export const CALLER_SID = 'CA' + '1'.repeat(32);

/** A call on LINE as the call core reports it: its record (answered 8 s after it started, connected for 42 s), an utterance of the caller's, the latencies of three (the lags of two), and its end. */
export async function playCall(store: Store, bus: CallEventBus, callId: string, opts: { beforeEnd?: () => Promise<void>; endWrittenFirst?: boolean } = {}): Promise<void> {
  const at = Date.now();
  await store.calls.create({ id: callId, number: LINE, from: '+34600000000', destination: '+15550002222', languages: { caller: 'es', agent: 'en' }, state: 'bridged', startedAt: new Date(at - 8000), answeredAt: new Date(at) });
  const events: CallEvent[] = [
    { type: 'call.created', kind: 'direct', number: LINE, from: '+34600000000', destination: '+15550002222', callId, at },
    { type: 'utterance.latency', routeId: 'caller->agent', latencyMs: 900, lagMs: 2000, callId, at },
    { type: 'utterance.latency', routeId: 'caller->agent', latencyMs: 1100, lagMs: 1600, callId, at },
    { type: 'utterance.latency', routeId: 'agent->caller', latencyMs: 800, callId, at },
  ];
  for (const e of events) bus.publish(e);
  await store.calls.appendUtterance(callId, { direction: 'caller->agent', speaker: { role: 'caller', callSid: CALLER_SID }, source: { text: 'Hola', languageCode: 'es' }, translation: { text: 'Hello', languageCode: 'en' }, startMs: 1000, endMs: 2000 });
  await opts.beforeEnd?.();
  // Connected for 42 s: answered at `at`, ended 42 s later.
  const endedAt = at + 42_000;
  // The records subscriber writes the end as the event goes out; `endWrittenFirst: false` leaves it unwritten.
  if (opts.endWrittenFirst !== false) await store.calls.close(callId, { outcome: 'completed', endReason: 'the caller hung up', endedAt: new Date(endedAt) });
  bus.publish({ type: 'call.ended', outcome: 'completed', reason: 'the caller hung up', durationMs: 50_000, callId, at: endedAt });
  await bus.settle(callId);
}

/**
 * A call on LINE adopted by this instance in a move (its `call.created` went out on the instance it
 * moved from): its record, the move in, the latencies of two utterances since (the lag of one), and its end.
 */
export async function playMovedInCall(store: Store, bus: CallEventBus, callId: string): Promise<void> {
  const at = Date.now();
  const call = { number: LINE, from: '+34600000000', destination: '+15550002222', state: 'bridged', startedAt: at - 8000, answeredAt: at };
  await store.calls.create({ id: callId, number: LINE, from: call.from, destination: call.destination, languages: { caller: 'es', agent: 'en' }, state: 'bridged', startedAt: new Date(call.startedAt), answeredAt: new Date(at) });
  const events: CallEvent[] = [
    { type: 'call.moved', kind: 'direct', from: 'tolk-1', to: 'tolk-2', direction: 'in', call, callId, at },
    { type: 'utterance.latency', routeId: 'caller->agent', latencyMs: 700, lagMs: 1500, callId, at },
    { type: 'utterance.latency', routeId: 'agent->caller', latencyMs: 600, callId, at },
  ];
  for (const e of events) bus.publish(e);
  const endedAt = at + 42_000;
  await store.calls.close(callId, { outcome: 'completed', endReason: 'the caller hung up', endedAt: new Date(endedAt) });
  bus.publish({ type: 'call.ended', outcome: 'completed', reason: 'the caller hung up', durationMs: 42_000, callId, at: endedAt });
  await bus.settle(callId);
}

export function newBus(): CallEventBus {
  return new CallEventBus(silent);
}
