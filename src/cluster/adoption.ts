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
 *   POST /cluster/speech {call, speech} --> its routes start with that speech
 *     (each party's utterance in progress,    (waiting for it at most 1.5 s), so it
 *      a conference room's, at most 4 s       is translated whole, once; taken only
 *      of 8 kHz PCM16)                        from the instance the call was adopted
 *                                             from (403 otherwise)
 *   writes what its sessions still held
 *   of earlier speech, lets the call go;
 *   exits once none is left
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import express from 'express';
import { z } from 'zod';
import { HAND_OVER_SPEECH_MS, type AdoptRequest, type AdoptResult, type SpeechHandOver, type SpeechTaking } from '../call/ports';
import type { HttpModule } from '../http/server';
import type { Logger } from '../log/logger';
import type { Member } from './directory';

export const ADOPT_PATH = '/cluster/adopt';
export const SPEECH_PATH = '/cluster/speech';
/** How long the adopter may take to answer a speech hand-over: it only hands the speech to the call. */
const SPEECH_REQUEST_TIMEOUT_MS = 2_000;
/** The most PCM16 bytes of speech handed over per party (or room), and that as base64. */
const MAX_SPEECH_BYTES = (HAND_OVER_SPEECH_MS / 1000) * 8000 * 2;
const MAX_SPEECH_BASE64 = Math.ceil(MAX_SPEECH_BYTES / 3) * 4;
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

const speechSchema = z.object({
  callId: z.string().min(1).max(256),
  from: z.string().min(1).max(63),
  speech: z.array(z.object({ endpoint: z.enum(['caller', 'agent', 'room']), pcm: z.string().max(MAX_SPEECH_BASE64).base64() })).max(2),
});

/**
 * `POST /cluster/adopt`, answered by `adopt`; `POST /cluster/speech`, by `takeSpeech`: 200
 * `{taken}` (false: it came too late), 404 for a call not live here, 403 for one not adopted from
 * the sender.
 */
export function createAdoptionModule(opts: {
  key: string;
  adopt: (req: AdoptRequest) => Promise<AdoptResult>;
  takeSpeech: (handOver: SpeechHandOver) => SpeechTaking;
  logger: Logger;
}): HttpModule {
  const log = opts.logger.child({ component: 'adoption' });
  const expected = Buffer.from(opts.key);
  const member = (req: express.Request, res: express.Response): boolean => {
    const given = Buffer.from(req.get(KEY_HEADER) ?? '');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return true;
    log.warn({ event: 'cluster.adopt_unauthorized', path: req.path }, 'adoption request without the cluster key: refused');
    res.status(403).json({ error: 'not a member of this cluster' });
    return false;
  };
  return {
    name: 'cluster-adoption',
    mount(app) {
      app.post(SPEECH_PATH, express.json({ limit: '256kb' }), (req, res) => {
        if (!member(req, res)) return;
        const parsed = speechSchema.safeParse(req.body);
        if (!parsed.success) {
          res.status(400).json({ error: parsed.error.issues[0]?.message ?? 'invalid request' });
          return;
        }
        const { callId, from } = parsed.data;
        const speech = parsed.data.speech.map((s) => ({ endpoint: s.endpoint, pcm: pcmOf(Buffer.from(s.pcm, 'base64')) }));
        const taking = opts.takeSpeech({ callId, from, speech });
        if (taking === 'no-call') res.status(404).json({ taken: false, error: `no call ${callId} is live here` });
        else if (taking === 'not-served-by-sender') res.status(403).json({ taken: false, error: `call ${callId} was not adopted from ${from}` });
        else res.json({ taken: taking === 'taken' });
      });
      app.post(ADOPT_PATH, express.json({ limit: '16kb' }), (req, res) => {
        if (!member(req, res)) return;
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

/** Hands a moved call's speech in progress to its adopter `to`; whether it took it. */
export async function sendSpeech(to: Member, handOver: SpeechHandOver, opts: { key: string; timeoutMs?: number }): Promise<boolean> {
  const speech = handOver.speech.map((s) => ({ endpoint: s.endpoint, pcm: Buffer.from(s.pcm.buffer, s.pcm.byteOffset, s.pcm.byteLength).subarray(-MAX_SPEECH_BYTES).toString('base64') }));
  const res = await fetch(to.url.replace(/\/+$/, '') + SPEECH_PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [KEY_HEADER]: opts.key },
    body: JSON.stringify({ callId: handOver.callId, from: handOver.from, speech }),
    signal: AbortSignal.timeout(opts.timeoutMs ?? SPEECH_REQUEST_TIMEOUT_MS),
  });
  if (!res.ok) return false;
  return ((await res.json()) as { taken?: unknown }).taken === true;
}

/** Little-endian PCM16 bytes as samples (a trailing odd byte is dropped). */
function pcmOf(bytes: Buffer): Int16Array {
  const out = new Int16Array(bytes.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readInt16LE(i * 2);
  return out;
}
