/**
 * A subscriber of the call event stream: when a call ends, the customer's webhook (the number's
 * `webhookUrl`, else TOLK_WEBHOOK_URL) is owed the call's record, its transcript and the latency
 * and lag of each direction. The delivery is written to the database and queued; nothing here waits on
 * the network, so the media path is never slowed by it.
 */
import type { CallEventSource } from '../call/events';
import type { NumberDirectory } from '../config/numbers';
import type { Logger } from '../log/logger';
import type { CallRecordStore } from '../store/call-record-store';
import type { CallOutcome } from '../store/call-record';
import { connectedMs } from '../shared/call-duration';
import type { DeliveryService } from './deliveries';

export const CALL_ENDED = 'call.ended';

export interface LatencySummary {
  utterances: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

/** Samples of one delay (latency or lag) of one direction (route, e.g. 'caller->agent'), summarised. */
export function latencySummary(samples: readonly number[]): LatencySummary {
  const sorted = samples.toSorted((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
  return {
    utterances: sorted.length,
    meanMs: sorted.length ? Math.round(sorted.reduce((a, b) => a + b, 0) / sorted.length) : 0,
    p50Ms: at(0.5),
    p95Ms: at(0.95),
    maxMs: sorted[sorted.length - 1] ?? 0,
  };
}

/** Samples kept per delay and direction of one call (the summary needs no more). */
const MAX_SAMPLES = 10_000;

export interface CallSummaryDeps {
  numbers: NumberDirectory;
  records: CallRecordStore;
  deliveries: Pick<DeliveryService, 'record'>;
  /** TOLK_WEBHOOK_URL: for numbers without a webhookUrl of their own. */
  defaultUrl?: string;
  logger: Logger;
}

export function deliverCallSummaries(events: CallEventSource, deps: CallSummaryDeps): () => void {
  // `number` unknown: a call adopted in a move whose event did not say it (its record does).
  const calls = new Map<string, { number: string | undefined; delays: Delays }>();
  return events.subscribe((e) => {
    switch (e.type) {
      case 'call.created':
        calls.set(e.callId, { number: e.number, delays: { latency: new Map(), lag: new Map() } });
        return;
      case 'call.moved':
        // The instance serving it now owes its summary, of the delays measured since the move.
        if (e.direction === 'out') calls.delete(e.callId);
        else if (!calls.has(e.callId)) calls.set(e.callId, { number: e.call?.number, delays: { latency: new Map(), lag: new Map() } });
        return;
      case 'utterance.latency': {
        const c = calls.get(e.callId);
        if (!c) return;
        keep(c.delays.latency, e.routeId, e.latencyMs);
        if (e.lagMs !== undefined) keep(c.delays.lag, e.routeId, e.lagMs);
        return;
      }
      case 'call.ended': {
        const c = calls.get(e.callId);
        calls.delete(e.callId);
        // A call tolk placed that ended before its customer answered was never created as a live call.
        return owe(deps, e.callId, c?.number, c?.delays ?? { latency: new Map(), lag: new Map() }, { outcome: e.outcome, reason: e.reason, endedAt: e.at }).catch((err: unknown) => {
          deps.logger.error({ event: 'webhook.record_failed', callId: e.callId, err }, 'could not record the webhook delivery of an ended call');
        });
      }
    }
  });
}

/** Per delay, each direction's samples. */
interface Delays {
  latency: Map<string, number[]>;
  lag: Map<string, number[]>;
}

function keep(samples: Map<string, number[]>, routeId: string, ms: number): void {
  const list = samples.get(routeId) ?? [];
  if (list.length < MAX_SAMPLES) list.push(ms);
  samples.set(routeId, list);
}

const summaries = (samples: Map<string, number[]>): Record<string, LatencySummary> =>
  Object.fromEntries([...samples].map(([route, s]) => [route, latencySummary(s)]));

async function owe(deps: CallSummaryDeps, callId: string, known: string | undefined, delays: Delays, ended: { outcome: CallOutcome; reason: string; endedAt: number }): Promise<void> {
  const record = known === undefined ? await deps.records.get(callId) : undefined;
  const number = known ?? record?.number;
  if (number === undefined) return;
  const settings = await deps.numbers.lookup(number);
  const url = settings?.webhookUrl ?? deps.defaultUrl;
  if (!url) return;
  const read = record ?? (await deps.records.get(callId));
  // An end the record has is the call's (the first written stays: a reconciler may have closed the
  // call before this event's end); without one, the records subscriber writes this event's as it goes
  // out, and the record read may not have it yet.
  const end = read?.outcome !== undefined && read.endedAt !== undefined ? { outcome: read.outcome, reason: read.endReason ?? ended.reason, endedAt: read.endedAt.getTime() } : ended;
  const call = read && { ...read, state: 'ended', outcome: end.outcome, endReason: end.reason, endedAt: new Date(end.endedAt) };
  const payload = JSON.stringify({
    event: CALL_ENDED,
    callId,
    outcome: end.outcome,
    // How long the call was connected; absent for a call never answered.
    durationMs: call ? connectedMs(call) : undefined,
    endedAt: new Date(end.endedAt).toISOString(),
    call: call ?? null,
    latency: summaries(delays.latency),
    lag: summaries(delays.lag),
  });
  await deps.deliveries.record(callId, CALL_ENDED, url, payload);
}
