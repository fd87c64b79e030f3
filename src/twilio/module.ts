/**
 * The Twilio edge as an HttpModule: `POST /twilio/voice`, `POST /twilio/status`,
 * `POST /twilio/stream-status`, `POST /twilio/interpreter` (a TwiML App leg tolk added to a
 * conference), `POST /twilio/conference` (conference status callbacks), `POST /twilio/announce` (what
 * tolk says to one conference participant) and `WS /twilio/media`. Every webhook must carry a valid
 * X-Twilio-Signature and this account's AccountSid; status and stream-status callbacks are handled
 * once each (a retried or replayed one is answered and dropped). What the voice webhook answers,
 * what a status callback does and what happens to an authenticated media leg are decided by
 * injected handlers (the call bridge). Stream status callbacks are only logged and counted here.
 * A handler that fails never turns into an HTTP 500: the caller hears an apology, a callback is
 * acknowledged, and both are logged and counted.
 */
import express from 'express';
import type { z } from 'zod';
import type { Request, Response } from 'express';
import type { WebSocket } from 'ws';
import type { IncomingMessage } from 'node:http';
import type { HttpModule, UpgradeVerdict, WsApp } from '../http/server';
import type { Logger } from '../log/logger';
import { markArrival, msSinceArrival } from './arrival';
import { TwilioCounters } from './counters';
import type { MediaLeg } from './media-leg';
import { MediaStreamSession, type MediaStreamOptions } from './media-stream';
import { checkSignature, mediaStreamUrl, webhookUrl, type WsSignatureMode } from './signature';
import { InMemoryReplayStore, type ReplayStore, type StreamTokens } from './stream-token';
import type { TwimlRenderer } from './twiml';
import {
  conferenceParamsSchema,
  statusParamsSchema,
  streamStatusParamsSchema,
  voiceParamsSchema,
  type TwilioConferenceParams,
  type TwilioStatusParams,
  type TwilioStreamStatusParams,
  type TwilioVoiceParams,
} from './webhook-params';

export interface VoiceContext {
  /** Query parameters of the webhook URL (e.g. context put there by tolk when dialling a leg). */
  query: Readonly<Record<string, string>>;
  /** How many ms ago the request reached this instance. */
  sinceArrivalMs?: () => number;
}

export interface TwilioHandlers {
  /** Returns the TwiML answering a voice webhook. */
  voice(params: TwilioVoiceParams, ctx: VoiceContext): Promise<string>;
  status(params: TwilioStatusParams, ctx: VoiceContext): void | Promise<void>;
  /** Called once per media stream whose `start` carried a valid token. */
  leg(leg: MediaLeg): void;
  /** A conference's status callback (POST /twilio/conference). */
  conference?(params: TwilioConferenceParams, ctx: VoiceContext): void | Promise<void>;
  /** The voice request of a TwiML App leg tolk added to a conference (POST /twilio/interpreter). */
  interpreter?(params: TwilioVoiceParams, ctx: VoiceContext): Promise<string>;
}

export interface TwilioModuleDeps {
  logger: Logger;
  /** PUBLIC_URL: the base URL Twilio reaches (webhook signatures are computed over it). */
  publicUrl: string;
  accountSid: string;
  authToken: string;
  /** TWILIO_WS_SIGNATURE: what to do when the WebSocket handshake signature is missing or wrong. */
  wsSignature: WsSignatureMode;
  tokens: StreamTokens;
  twiml: TwimlRenderer;
  /** Missing handlers get the defaults below (answer with the caller stream, log, close). */
  handlers?: Partial<TwilioHandlers>;
  counters?: TwilioCounters;
  media?: Partial<MediaStreamOptions>;
  /** Remembers the status callbacks already handled (default: in this process only). */
  webhookReplays?: ReplayStore;
  now?: () => number;
  /** Several instances: this one's name; its streams come to /twilio/media/<instance>. */
  instance?: string;
  /** A stream for another instance (`/twilio/media/<instance>`) reached this one: pass it on there. */
  relay?: (socket: WebSocket, instance: string, req: IncomingMessage) => void;
}

/** A conference's reports of a participant starting and stopping to speak. */
const SPEECH_REPORTS: ReadonlySet<string> = new Set(['participant-speech-start', 'participant-speech-stop']);

/** How long a handled status callback is remembered: longer than any call lasts. */
export const WEBHOOK_REPLAY_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface TwilioModule extends HttpModule {
  readonly counters: TwilioCounters;
  /** wss URL of the media endpoint, as put in `<Stream url>`. */
  readonly streamUrl: string;
}

/** `/twilio/media`, or `/twilio/media/<instance>` in a cluster. */
const MEDIA_PATH = /^\/twilio\/media(?:\/([A-Za-z0-9][A-Za-z0-9._-]{0,62}))?$/;

export const TWILIO_PATHS = {
  voice: '/twilio/voice',
  status: '/twilio/status',
  streamStatus: '/twilio/stream-status',
  media: '/twilio/media',
  conference: '/twilio/conference',
  interpreter: '/twilio/interpreter',
  announce: '/twilio/announce',
} as const;

/** `PUBLIC_URL/twilio/stream-status`: the `<Stream statusCallback>` of every stream tolk opens. */
export function streamStatusUrl(publicUrl: string): string {
  return webhookUrl(publicUrl, TWILIO_PATHS.streamStatus);
}

/** Default voice answer: open the caller leg's stream with a fresh token. */
export function createDefaultVoiceHandler(deps: {
  tokens: StreamTokens;
  twiml: TwimlRenderer;
  publicUrl: string;
}): TwilioHandlers['voice'] {
  const streamUrl = mediaStreamUrl(deps.publicUrl);
  const statusCallback = streamStatusUrl(deps.publicUrl);
  return (params) =>
    Promise.resolve(
      deps.twiml.render('caller-stream', {
        streamUrl,
        statusCallback,
        token: deps.tokens.issue({ callSid: params.CallSid, role: 'caller' }),
        role: 'caller',
      }),
    );
}

export function createTwilioModule(deps: TwilioModuleDeps): TwilioModule {
  const counters = deps.counters ?? new TwilioCounters();
  const log = deps.logger.child({ component: 'twilio' });
  const streamUrl = mediaStreamUrl(deps.publicUrl, deps.instance);
  const handlers: TwilioHandlers = {
    voice: deps.handlers?.voice ?? createDefaultVoiceHandler(deps),
    status:
      deps.handlers?.status ??
      ((p) => void log.info({ event: 'twilio.status.unhandled', callSid: p.CallSid, status: p.CallStatus }, 'status')),
    ...(deps.handlers?.conference ? { conference: deps.handlers.conference } : {}),
    ...(deps.handlers?.interpreter ? { interpreter: deps.handlers.interpreter } : {}),
    leg:
      deps.handlers?.leg ??
      ((leg) => {
        log.warn({ event: 'twilio.media.no_bridge', callSid: leg.callSid }, 'no leg handler; closing stream');
        leg.close();
      }),
  };
  const form = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 200 });
  const replays = deps.webhookReplays ?? new InMemoryReplayStore();
  const now = deps.now ?? Date.now;

  /** Checks the signature; on failure answers 403 and logs one line. */
  function verified(req: Request, res: Response): boolean {
    const params = (req.body ?? {}) as Record<string, unknown>;
    const result = checkSignature(deps.authToken, req.headers['x-twilio-signature'], webhookUrl(deps.publicUrl, req.originalUrl), params);
    if (result === 'ok') return true;
    counters.inc(result === 'missing' ? 'webhook_signature_missing' : 'webhook_signature_invalid');
    log.warn({ event: 'twilio.webhook.rejected', path: req.path, reason: `signature_${result}` }, 'webhook refused');
    res.status(403).type('text/plain').send('invalid Twilio signature');
    return false;
  }

  function badRequest(req: Request, res: Response, detail: string): void {
    counters.inc('webhook_bad_request');
    log.warn({ event: 'twilio.webhook.bad_request', path: req.path, detail }, 'webhook parameters invalid');
    res.status(400).type('text/plain').send(`bad request: ${detail}`);
  }

  /** Another account's request (signed or not) is refused like a bad signature. */
  function ownAccount(req: Request, res: Response, accountSid: string): boolean {
    if (accountSid === deps.accountSid) return true;
    counters.inc('webhook_wrong_account');
    log.warn({ event: 'twilio.webhook.rejected', path: req.path, reason: 'wrong_account' }, 'webhook refused: another Twilio account');
    res.status(403).type('text/plain').send('not this account');
    return false;
  }

  /**
   * Claims a callback's identity (made of signed parameters only); false, after answering 204, for
   * one already handled: Twilio retried it, or someone replayed it. A store failure lets it through.
   */
  async function firstTime(req: Request, res: Response, key: string, callSid: string): Promise<boolean> {
    const fresh = await replays.claim(key, now() + WEBHOOK_REPLAY_WINDOW_MS).catch((err: unknown) => {
      log.warn({ event: 'twilio.webhook.replay_check_failed', path: req.path, callSid, err }, 'could not check for a replayed webhook');
      return true;
    });
    if (fresh) return true;
    counters.inc('webhook_duplicate');
    const token = req.get('i-twilio-idempotency-token')?.slice(0, 128);
    log.warn({ event: 'twilio.webhook.duplicate', path: req.path, callSid, idempotencyToken: token }, 'webhook already handled: dropped');
    res.status(204).end();
    return false;
  }

  return {
    name: 'twilio',
    counters,
    streamUrl,
    /** The media handshake's X-Twilio-Signature (signed over the wss URL, no params), before the upgrade. */
    verifyUpgrade(req: IncomingMessage): UpgradeVerdict {
      const media = MEDIA_PATH.exec(pathOf(req.url));
      if (deps.wsSignature === 'off' || !media) return { ok: true };
      // The URL the stream was given: this instance's, or (to be relayed) another's.
      const sig = checkSignature(deps.authToken, req.headers['x-twilio-signature'], mediaStreamUrl(deps.publicUrl, media[1]), {});
      if (sig === 'ok') return { ok: true };
      counters.inc(sig === 'missing' ? 'ws_signature_missing' : 'ws_signature_invalid');
      const enforce = deps.wsSignature === 'enforce';
      log.warn(
        { event: 'twilio.media.signature_rejected', reason: `signature_${sig}`, mode: deps.wsSignature },
        enforce ? 'media WebSocket refused (HTTP 403)' : 'media WebSocket signature not valid (log-only mode)',
      );
      return enforce ? { ok: false, status: 403, message: 'invalid Twilio signature' } : { ok: true };
    },
    mount(app: WsApp) {
      app.post(TWILIO_PATHS.voice, form, (req, res) => {
        if (!verified(req, res)) return;
        const parsed = voiceParamsSchema.safeParse(req.body ?? {});
        if (!parsed.success) return badRequest(req, res, firstIssue(parsed.error));
        const params = parsed.data as TwilioVoiceParams;
        if (!ownAccount(req, res, params.AccountSid)) return;
        const ctx = { query: queryOf(req) };
        log.info({ event: 'twilio.voice', callSid: params.CallSid, direction: params.Direction }, 'voice webhook');
        handlers.voice(params, ctx).then(
          (twimlText) => {
            res.status(200).type('text/xml').send(twimlText);
          },
          (err: unknown) => {
            // The caller hears an apology and the call ends, rather than Twilio's own error message.
            counters.inc('webhook_handler_error');
            log.error({ event: 'twilio.voice.handler_error', callSid: params.CallSid, err }, 'voice handler failed: the caller is told and hung up');
            res.status(200).type('text/xml').send(deps.twiml.render('party-unreachable', {}));
          },
        );
      });

      app.post(TWILIO_PATHS.status, form, async (req, res) => {
        if (!verified(req, res)) return;
        const parsed = statusParamsSchema.safeParse(req.body ?? {});
        if (!parsed.success) return badRequest(req, res, firstIssue(parsed.error));
        const params = parsed.data as TwilioStatusParams;
        const { AccountSid, CallSid, CallStatus, SequenceNumber } = parsed.data;
        if (!ownAccount(req, res, AccountSid)) return;
        if (!(await firstTime(req, res, `status:${CallSid}:${CallStatus}:${SequenceNumber ?? ''}`, CallSid))) return;
        log.info({ event: 'twilio.status', callSid: params.CallSid, status: params.CallStatus }, 'call status');
        try {
          await handlers.status(params, { query: queryOf(req) });
        } catch (err) {
          counters.inc('webhook_handler_error');
          log.error({ event: 'twilio.status.handler_error', callSid: params.CallSid, err }, 'status handler failed');
        }
        res.status(204).end();
      });

      // A TwiML App leg tolk added to a conference asks what to run: its interpreter stream.
      app.post(TWILIO_PATHS.interpreter, form, (req, res) => {
        if (!verified(req, res)) return;
        const parsed = voiceParamsSchema.safeParse(req.body ?? {});
        if (!parsed.success) return badRequest(req, res, firstIssue(parsed.error));
        const params = parsed.data as TwilioVoiceParams;
        if (!ownAccount(req, res, params.AccountSid)) return;
        log.info({ event: 'twilio.interpreter', callSid: params.CallSid }, 'interpreter leg webhook');
        const answer = handlers.interpreter ? handlers.interpreter(params, { query: queryOf(req) }) : Promise.resolve(deps.twiml.render('say-hangup', { message: '' }));
        answer.then(
          (twimlText) => res.status(200).type('text/xml').send(twimlText),
          (err: unknown) => {
            counters.inc('webhook_handler_error');
            log.error({ event: 'twilio.interpreter.handler_error', callSid: params.CallSid, err }, 'interpreter handler failed: the leg is hung up');
            res.status(200).type('text/xml').send(deps.twiml.render('say-hangup', { message: '' }));
          },
        );
      });

      // An announcement tolk asked Twilio to play to one conference participant (its announceUrl):
      // the words and voice locale are in the signed URL.
      app.post(TWILIO_PATHS.announce, form, (req, res) => {
        if (!verified(req, res)) return;
        const body = (req.body ?? {}) as Record<string, unknown>;
        if (typeof body.AccountSid !== 'string') return badRequest(req, res, 'AccountSid is required');
        if (!ownAccount(req, res, body.AccountSid)) return;
        const query = queryOf(req);
        if (!query.message) return badRequest(req, res, 'message is required');
        log.info({ event: 'twilio.announce', conferenceSid: body.ConferenceSid, callSid: body.CallSid }, 'announcement fetched');
        res.status(200).type('text/xml').send(deps.twiml.render('announce', { message: query.message, ...(query.language ? { language: query.language } : {}) }));
      });

      // Conference events (start, end, join, leave, speech), each handled once (a numbered speech
      // report: taken once by the call).
      app.post(TWILIO_PATHS.conference, markArrival, form, async (req, res) => {
        if (!verified(req, res)) return;
        const parsed = conferenceParamsSchema.safeParse(req.body ?? {});
        if (!parsed.success) return badRequest(req, res, firstIssue(parsed.error));
        const params = parsed.data as TwilioConferenceParams;
        if (!ownAccount(req, res, params.AccountSid)) return;
        const speech = SPEECH_REPORTS.has(params.StatusCallbackEvent);
        // A numbered speech report is not claimed (that would write a replay key for every report,
        // dozens a minute per conference): handled again, retried or replayed, it is numbered no
        // later than the last one the call took for that participant, and the call drops it (a call
        // that moved to this instance knows the numbers of the reports it took since the move).
        if (!(speech && params.SequenceNumber !== undefined)) {
          const key = `conference:${params.ConferenceSid}:${params.StatusCallbackEvent}:${params.CallSid ?? ''}:${params.SequenceNumber ?? ''}`;
          if (!(await firstTime(req, res, key, params.CallSid ?? ''))) return;
        }
        // Speech starting and stopping is reported many times a minute: only at debug level.
        const line = { event: 'twilio.conference', conferenceSid: params.ConferenceSid, callSid: params.CallSid, conferenceEvent: params.StatusCallbackEvent };
        if (speech) log.debug(line, 'conference event');
        else log.info(line, 'conference event');
        try {
          await handlers.conference?.(params, { query: queryOf(req), sinceArrivalMs: () => msSinceArrival(req) });
        } catch (err) {
          counters.inc('webhook_handler_error');
          log.error({ event: 'twilio.conference.handler_error', conferenceSid: params.ConferenceSid, err }, 'conference handler failed');
        }
        res.status(204).end();
      });

      // Stream lifecycle from <Stream statusCallback>: one log line each, errors counted. The
      // bridge learns of streams from the media WebSocket itself, so nothing else happens here.
      app.post(TWILIO_PATHS.streamStatus, form, async (req, res) => {
        if (!verified(req, res)) return;
        const parsed = streamStatusParamsSchema.safeParse(req.body ?? {});
        if (!parsed.success) return badRequest(req, res, firstIssue(parsed.error));
        const params = parsed.data as TwilioStreamStatusParams;
        if (!ownAccount(req, res, params.AccountSid)) return;
        if (!(await firstTime(req, res, `stream-status:${params.StreamSid}:${params.StreamEvent}`, params.CallSid))) return;
        const failed = params.StreamEvent === 'stream-error';
        if (failed) counters.inc('stream_error');
        const line = {
          event: 'twilio.stream.status',
          callSid: params.CallSid,
          streamSid: params.StreamSid,
          streamEvent: params.StreamEvent,
          error: params.StreamError,
        };
        if (failed) log.warn(line, 'media stream error');
        else log.info(line, 'media stream status');
        res.status(204).end();
      });

      const serve = (ws: WebSocket): void => {
        const session = new MediaStreamSession({
          socket: ws,
          logger: log,
          counters,
          tokens: deps.tokens,
          accountSid: deps.accountSid,
          onLeg: (leg) => handlers.leg(leg),
          options: deps.media,
        });
        ws.on('message', (data, isBinary?: boolean) => session.handleMessage(data, isBinary));
        ws.on('error', (err) => session.handleError(err));
        ws.on('close', (code) => session.handleClose(code));
      };
      app.ws(TWILIO_PATHS.media, serve);
      app.ws(`${TWILIO_PATHS.media}/:instance`, (ws: WebSocket, req) => {
        // The path reaches routing in lower case (http/paths.ts): so is this instance's name compared.
        const instance = String(req.params.instance);
        if (instance === deps.instance?.toLowerCase()) return serve(ws);
        if (deps.relay && MEDIA_PATH.test(`${TWILIO_PATHS.media}/${instance}`)) return deps.relay(ws, instance, req);
        log.warn({ event: 'twilio.media.wrong_instance', instance: instance.slice(0, 64) }, 'media stream for another instance, and no cluster to relay it: closed');
        ws.close(1008, 'unknown instance');
      });
    },
  };
}

/** `Param: message` for the first problem zod found. */
function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue.path.length > 0 ? `${issue.path.join('.')} ${issue.message}` : issue.message;
}

/** The path of a request URL, without its query string. */
function pathOf(url: string | undefined): string {
  const q = (url ?? '').indexOf('?');
  return q < 0 ? (url ?? '') : (url ?? '').slice(0, q);
}

function queryOf(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  const url = new URL(req.originalUrl, 'http://x');
  for (const [k, v] of url.searchParams) out[k] = v;
  return out;
}
