// /2010-04-01/Accounts/{AccountSid}/Calls: create, list, fetch, update (status, url, twiml).
import express, { type Request, type Response } from 'express';
import { callJson, TERMINAL_STATUSES } from '../call-record';
import type { EmulatedCall } from '../call';
import { sendTwilioError } from './errors';
import { formOf, many, one } from './form';
import { pageJson } from './page';
import { isAddress } from './params';

export interface PlaceCallParams {
  to: string;
  from: string;
  url?: string;
  method: string;
  twiml?: string;
  statusCallback?: string;
  statusCallbackMethod: string;
  statusCallbackEvents: string[];
  timeoutSec: number;
}

export interface CallsBackend {
  placeCall(p: PlaceCallParams): EmulatedCall;
  findCall(sid: string): EmulatedCall | undefined;
  listCalls(): EmulatedCall[];
}


export function callsRouter(backend: CallsBackend): express.Router {
  const r = express.Router({ mergeParams: true });

  r.post('/Calls.json', (req: Request, res: Response) => {
    const f = formOf(req.body);
    const to = one(f, 'To');
    const from = one(f, 'From');
    const url = one(f, 'Url');
    const twiml = one(f, 'Twiml');
    if (!to) return sendTwilioError(res, 400, 21201, "No 'To' number is specified");
    if (!isAddress(to)) return sendTwilioError(res, 400, 21211, `Invalid 'To' Phone Number: ${to}`);
    if (!from) return sendTwilioError(res, 400, 21603, "A 'From' phone number is required.");
    if (!isAddress(from)) return sendTwilioError(res, 400, 21212, `Invalid 'From' Phone Number: ${from}`);
    if (!url && twiml === undefined) return sendTwilioError(res, 400, 21205, 'Url parameter is required.');
    if (url && !/^https?:\/\//.test(url)) return sendTwilioError(res, 400, 21205, `Url is not a valid URL: ${url}`);
    if (twiml !== undefined && twiml.length > 4000) return sendTwilioError(res, 400, 13002, 'Twiml is longer than 4000 characters');
    const timeout = Number(one(f, 'Timeout') ?? '60');
    const call = backend.placeCall({
      to,
      from,
      url,
      // Twilio ignores Twiml when Url is also given.
      twiml: url ? undefined : twiml,
      method: (one(f, 'Method') ?? 'POST').toUpperCase(),
      statusCallback: one(f, 'StatusCallback'),
      statusCallbackMethod: (one(f, 'StatusCallbackMethod') ?? 'POST').toUpperCase(),
      statusCallbackEvents: many(f, 'StatusCallbackEvent'),
      timeoutSec: Number.isFinite(timeout) ? Math.min(600, Math.max(1, timeout)) : 60,
    });
    res.status(201).json(callJson(call.record));
  });

  r.get('/Calls.json', (req: Request, res: Response) => {
    const status = typeof req.query.Status === 'string' ? req.query.Status : undefined;
    const calls = backend.listCalls().filter((c) => !status || c.record.status === status);
    res.json(pageJson(req, 'calls', calls.map((c) => callJson(c.record))));
  });

  r.get('/Calls/:CallSid.json', (req: Request, res: Response) => {
    const call = backend.findCall(String(req.params.CallSid));
    if (!call) return sendTwilioError(res, 404, 20404, `The requested resource ${req.originalUrl} was not found`);
    res.json(callJson(call.record));
  });

  r.post('/Calls/:CallSid.json', (req: Request, res: Response) => {
    const call = backend.findCall(String(req.params.CallSid));
    if (!call) return sendTwilioError(res, 404, 20404, `The requested resource ${req.originalUrl} was not found`);
    const f = formOf(req.body);
    const status = one(f, 'Status');
    const url = one(f, 'Url');
    const twiml = one(f, 'Twiml');
    const rec = call.record;
    if (one(f, 'StatusCallback') !== undefined) rec.statusCallback = one(f, 'StatusCallback');
    if (one(f, 'StatusCallbackMethod') !== undefined) rec.statusCallbackMethod = one(f, 'StatusCallbackMethod')!.toUpperCase();
    if (status !== undefined) {
      if (status !== 'completed' && status !== 'canceled') return sendTwilioError(res, 400, 20001, `Invalid Status: ${status}`);
      if (!TERMINAL_STATUSES.has(rec.status)) {
        const notAnswered = rec.status === 'queued' || rec.status === 'ringing';
        // canceled only affects calls that are not yet answered; completed ends any live call.
        if (status === 'completed') call.end(notAnswered ? 'canceled' : 'completed');
        else if (notAnswered) call.end('canceled');
      }
      return res.json(callJson(rec));
    }
    if (url !== undefined || twiml !== undefined) {
      if (rec.status !== 'in-progress') return sendTwilioError(res, 400, 21220, 'Call is not in-progress. Cannot redirect.');
      if (url && !/^https?:\/\//.test(url)) return sendTwilioError(res, 400, 21205, `Url is not a valid URL: ${url}`);
      void call.redirect(url ? { url, method: (one(f, 'Method') ?? 'POST').toUpperCase() } : { twiml: twiml! });
    }
    res.json(callJson(rec));
  });

  return r;
}
