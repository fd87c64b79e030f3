// Webhooks as the emulator sends them and logs them, and TwiML fetched through them: a document
// Twilio could not have (no answer, or not 2xx) is its debugger's error 11200, one that is not
// valid TwiML is 12100.
import type { TwimlDocument } from './call-runner';
import type { EventLog } from './events';
import { parseTwiml, TwimlError } from './twiml';
import type { WebhookRequest, WebhookResult, WebhookSender } from './webhooks';

export interface WebhookIo {
  webhooks: WebhookSender;
  log: EventLog;
}

/** Sends a signed webhook and logs it with its answer's status, or why it got none (then throws). */
export async function sendLogged(io: WebhookIo, req: WebhookRequest): Promise<WebhookResult> {
  const { kind, callSid, url, method, params } = req;
  const entry = { type: 'webhook' as const, callSid, kind, url, method, params };
  try {
    const res = await io.webhooks.send(req);
    io.log.add({ ...entry, status: res.status });
    return res;
  } catch (err) {
    io.log.add({ ...entry, error: (err as Error).message });
    throw err;
  }
}

/** Fetches a TwiML document; throws TwimlError when the answer is not 2xx or not valid TwiML. */
export async function fetchTwiml(io: WebhookIo, req: WebhookRequest): Promise<TwimlDocument> {
  const res = await sendLogged(io, req);
  if (res.status < 200 || res.status >= 300) throw new TwimlError(`HTTP ${res.status} from ${req.url}`);
  return { verbs: parseTwiml(res.body), url: req.url };
}

/** The debugger's code for TwiML that could not be run: 12100 if it is not valid, 11200 if it could not be had. */
export function twimlFailureCode(err: unknown): 11200 | 12100 {
  return err instanceof TwimlError && !/^HTTP/.test(err.message) ? 12100 : 11200;
}

/**
 * fetchTwiml, with a failure logged as the call's debugger error (its message after `context`)
 * instead of thrown: undefined then.
 */
export async function fetchTwimlOrLog(io: WebhookIo, req: WebhookRequest, context = ''): Promise<TwimlDocument | undefined> {
  try {
    return await fetchTwiml(io, req);
  } catch (err) {
    io.log.add({ type: 'error', callSid: req.callSid, code: twimlFailureCode(err), message: context + (err as Error).message });
    return undefined;
  }
}
