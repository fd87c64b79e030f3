/**
 * The adoption protocol between instances: an instance shutting down (SIGTERM) asks a ready one to
 * adopt each of its live calls, one `POST /cluster/adopt` each, and the adopter answers once the
 * call's media has come to it (or why not). The request carries a key derived from
 * MEDIA_STREAM_SECRET, which every instance of a cluster shares; nothing else is accepted there.
 *
 *   stopping instance                      ready instance                          telephony
 *   marks itself draining in the directory
 *   POST /cluster/adopt {call, from} ----> rebuilds the call from the store
 *                                          opens its translation sessions
 *                                          takes it over in the directory (CAS)
 *                                          asks for each leg's media here -------> live-call update
 *   (its streams stop; not a hang-up)      <---------------------------------------- new streams
 *                                   <----- 200 {ok: true}
 *   writes what its sessions still held,
 *   lets the call go; exits once none is left
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import express from 'express';
import { z } from 'zod';
import type { AdoptRequest, AdoptResult } from '../call/ports';
import type { HttpModule } from '../http/server';
import type { Logger } from '../log/logger';
import type { Member } from './directory';

export const ADOPT_PATH = '/cluster/adopt';
const KEY_HEADER = 'x-tolk-cluster-key';

/** Longer than the adopter's own bounds (sessions, the directory, the media): its answer comes first. */
export const ADOPT_REQUEST_TIMEOUT_MS = 25_000;

/** The key instances of one cluster show each other: derived from their shared MEDIA_STREAM_SECRET, never the secret itself. */
export function clusterKey(secret: string): string {
  return createHmac('sha256', secret).update('tolk cluster adoption').digest('hex');
}

const adoptRequestSchema = z.object({
  callId: z.string().min(1).max(256),
  from: z.string().min(1).max(63),
  conference: z.object({ mode: z.enum(['whisper', 'open']), interpreterLegs: z.array(z.string().max(64)).max(64), told: z.array(z.string().max(64)).max(250).optional() }).optional(),
});

/** `POST /cluster/adopt`, answered by `adopt`. */
export function createAdoptionModule(opts: { key: string; adopt: (req: AdoptRequest) => Promise<AdoptResult>; logger: Logger }): HttpModule {
  const log = opts.logger.child({ component: 'adoption' });
  const expected = Buffer.from(opts.key);
  return {
    name: 'cluster-adoption',
    mount(app) {
      app.post(ADOPT_PATH, express.json({ limit: '16kb' }), (req, res) => {
        const given = Buffer.from(req.get(KEY_HEADER) ?? '');
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
          log.warn({ event: 'cluster.adopt_unauthorized' }, 'adoption request without the cluster key: refused');
          res.status(403).json({ error: 'not a member of this cluster' });
          return;
        }
        const parsed = adoptRequestSchema.safeParse(req.body);
        if (!parsed.success) {
          res.status(400).json({ error: parsed.error.issues[0]?.message ?? 'invalid request' });
          return;
        }
        opts.adopt(parsed.data).then(
          (result) => res.json(result),
          (err: unknown) => {
            log.error({ event: 'cluster.adopt_failed', callId: parsed.data.callId, err }, 'adopting a call failed');
            res.json({ ok: false, reason: 'the adopting instance failed', kept: true } satisfies AdoptResult);
          },
        );
      });
    },
  };
}

/**
 * Asks instance `to` to adopt a call. When no answer comes in time, the directory says whether the
 * call went there (the adopter took it over): then it is no longer this instance's.
 */
export async function requestAdoption(
  to: Member,
  req: AdoptRequest,
  opts: { key: string; owner: () => Promise<string | undefined>; timeoutMs?: number },
): Promise<AdoptResult> {
  try {
    const res = await fetch(to.url.replace(/\/+$/, '') + ADOPT_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [KEY_HEADER]: opts.key },
      body: JSON.stringify(req),
      signal: AbortSignal.timeout(opts.timeoutMs ?? ADOPT_REQUEST_TIMEOUT_MS),
    });
    if (!res.ok) return { ok: false, reason: `instance ${to.id} answered HTTP ${res.status}`, kept: true };
    return (await res.json()) as AdoptResult;
  } catch (err) {
    const reason = `instance ${to.id} did not answer: ${err instanceof Error ? err.message : String(err)}`;
    const owner = await opts.owner().catch(() => undefined);
    return { ok: false, reason, kept: owner === undefined || owner === req.from };
  }
}
