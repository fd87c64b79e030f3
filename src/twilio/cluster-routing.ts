/**
 * Several instances behind one public URL: a Twilio webhook may reach any of them, and the one
 * serving its call must handle it. Mounted before the Twilio module, this finds which call a
 * signed webhook is about (the `call` parameter tolk put on the URL, the interpreter leg's token,
 * or the caller leg's CallSid) and, when another instance that is up serves it, passes it on there
 * unchanged (that instance checks the signature again, over the same PUBLIC_URL). Anything else
 * (a new call, a call of this instance or of none, a request already passed on, one whose owner
 * cannot be reached in time) is handled here by the Twilio module.
 */
import express from 'express';
import type { Request } from 'express';
import type { HttpModule } from '../http/server';
import type { Logger } from '../log/logger';
import { markArrival } from './arrival';
import { CALL_ID_PARAM } from './call-params';
import { callIdOfTicket } from './conferences';
import type { TwilioCounters } from './counters';
import { TWILIO_PATHS } from './module';
import { checkSignature, webhookUrl } from './signature';

/** What a webhook is about, for the directory. */
export type WebhookSubject = { call: string } | { leg: string };

export interface RoutedInstance {
  id: string;
  url: string;
}

export interface TwilioRoutingDeps {
  publicUrl: string;
  authToken: string;
  /** The instance, other than this one and up, serving what the webhook is about. */
  owner(subject: WebhookSubject): Promise<RoutedInstance | undefined>;
  /** Passes the request on; resolves with whether it was answered. */
  forward(owner: RoutedInstance, req: Request, body: string, res: express.Response): Promise<boolean>;
  /** Whether another instance passed this request on already. */
  forwarded(req: Request): boolean;
  counters: TwilioCounters;
  logger: Logger;
}

/** The call a webhook names, from its URL's query and its (signed) parameters. */
export function webhookSubject(path: string, query: Record<string, unknown>, params: Record<string, unknown>): WebhookSubject | undefined {
  const callId = typeof query[CALL_ID_PARAM] === 'string' ? query[CALL_ID_PARAM] : undefined;
  if (callId) return { call: callId };
  if (path === TWILIO_PATHS.interpreter) {
    const token = typeof params.token === 'string' ? params.token : typeof query.token === 'string' ? query.token : '';
    const call = callIdOfTicket(token.split('.')[1] ?? '');
    return call ? { call } : undefined;
  }
  // The caller leg's own status callbacks, and a retried first voice webhook: by its CallSid.
  const sid = typeof params.CallSid === 'string' ? params.CallSid : undefined;
  return sid && (path === TWILIO_PATHS.status || path === TWILIO_PATHS.voice) ? { leg: sid } : undefined;
}

export function createTwilioRouting(deps: TwilioRoutingDeps): HttpModule {
  const log = deps.logger.child({ component: 'twilio-routing' });
  // The same limits as the Twilio module's own parser (which then finds the body parsed).
  const form = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 200 });
  return {
    name: 'twilio-routing',
    mount(app) {
      app.post([TWILIO_PATHS.voice, TWILIO_PATHS.status, TWILIO_PATHS.conference, TWILIO_PATHS.interpreter], markArrival, form, (req, res, next) => {
        if (deps.forwarded(req)) return next();
        const params = (req.body ?? {}) as Record<string, unknown>;
        // Only signed webhooks are looked up; the Twilio module refuses the others.
        if (checkSignature(deps.authToken, req.headers['x-twilio-signature'], webhookUrl(deps.publicUrl, req.originalUrl), params) !== 'ok') return next();
        const subject = webhookSubject(req.path, req.query, params);
        if (!subject) return next();
        void (async () => {
          const owner = await deps.owner(subject).catch((err: unknown) => {
            log.warn({ event: 'cluster.lookup_failed', path: req.path, err }, 'could not look up which instance serves the call: handled here');
            return undefined;
          });
          if (!owner) return next();
          const body = new URLSearchParams();
          for (const [k, v] of Object.entries(params)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, String(one));
          const callSid = typeof params.CallSid === 'string' ? params.CallSid : undefined;
          if (await deps.forward(owner, req, body.toString(), res)) {
            deps.counters.inc('webhook_forwarded');
            log.debug({ event: 'twilio.webhook.forwarded', path: req.path, callSid, instance: owner.id }, 'webhook passed on to the instance serving its call');
            return;
          }
          deps.counters.inc('webhook_forward_failed');
          log.warn({ event: 'twilio.webhook.forward_failed', path: req.path, callSid, instance: owner.id }, 'the instance serving the call did not answer in time: handled here');
          next();
        })();
      });
    },
  };
}
