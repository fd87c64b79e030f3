// /2010-04-01/Accounts/{AccountSid}/Applications: TwiML Applications (create, list with a
// FriendlyName filter, fetch, update, delete). The emulator uses an app's Voice URL and method for
// `app:AP...` participants.
import express, { type Request, type Response } from 'express';
import { rfc2822 } from '../call-record';
import { sendTwilioError } from './errors';
import { formOf, one, type Form } from './form';
import { pageJson } from './page';
import { methodParam, ParamError, urlParam } from './params';

export interface ApplicationRecord {
  sid: string;
  accountSid: string;
  friendlyName: string;
  voiceUrl: string;
  voiceMethod: string;
  voiceFallbackUrl: string;
  voiceFallbackMethod: string;
  statusCallback: string;
  statusCallbackMethod: string;
  dateCreated: Date;
  dateUpdated: Date;
}

export function applicationJson(a: ApplicationRecord): Record<string, unknown> {
  return {
    account_sid: a.accountSid,
    api_version: '2010-04-01',
    date_created: rfc2822(a.dateCreated),
    date_updated: rfc2822(a.dateUpdated),
    friendly_name: a.friendlyName,
    message_status_callback: null,
    sid: a.sid,
    sms_fallback_method: 'POST',
    sms_fallback_url: null,
    sms_method: 'POST',
    sms_status_callback: null,
    sms_url: null,
    status_callback: a.statusCallback || null,
    status_callback_method: a.statusCallbackMethod,
    uri: `/2010-04-01/Accounts/${a.accountSid}/Applications/${a.sid}.json`,
    voice_caller_id_lookup: false,
    voice_fallback_method: a.voiceFallbackMethod,
    voice_fallback_url: a.voiceFallbackUrl || null,
    voice_method: a.voiceMethod,
    voice_url: a.voiceUrl || null,
    public_application_connect_enabled: true,
  };
}

export interface ApplicationsBackend {
  applications: Map<string, ApplicationRecord>;
  newSid(): string;
  now(): Date;
  accountSid: string;
}

const MAX_APPLICATIONS = 1000;

/** Applies the fields a create or update may set. */
function applyFields(a: ApplicationRecord, f: Form): void {
  a.friendlyName = one(f, 'FriendlyName') ?? a.friendlyName;
  a.voiceUrl = urlParam(f, 'VoiceUrl', 21502, true) ?? a.voiceUrl;
  a.voiceMethod = methodParam(f, 'VoiceMethod', a.voiceMethod as 'GET' | 'POST');
  a.voiceFallbackUrl = urlParam(f, 'VoiceFallbackUrl', 21502, true) ?? a.voiceFallbackUrl;
  a.voiceFallbackMethod = methodParam(f, 'VoiceFallbackMethod', a.voiceFallbackMethod as 'GET' | 'POST');
  a.statusCallback = urlParam(f, 'StatusCallback', 21502, true) ?? a.statusCallback;
  a.statusCallbackMethod = methodParam(f, 'StatusCallbackMethod', a.statusCallbackMethod as 'GET' | 'POST');
}

export function applicationsRouter(backend: ApplicationsBackend): express.Router {
  const r = express.Router({ mergeParams: true });
  const notFound = (req: Request, res: Response) => sendTwilioError(res, 404, 20404, `The requested resource ${req.originalUrl} was not found`);
  const badParam = (res: Response, err: unknown) => {
    if (err instanceof ParamError) return sendTwilioError(res, 400, err.code, err.message);
    throw err;
  };

  r.post('/Applications.json', (req: Request, res: Response) => {
    if (backend.applications.size >= MAX_APPLICATIONS) return sendTwilioError(res, 400, 20001, `An account holds at most ${MAX_APPLICATIONS} applications in the emulator`);
    const now = backend.now();
    const a: ApplicationRecord = {
      sid: backend.newSid(),
      accountSid: backend.accountSid,
      friendlyName: '',
      voiceUrl: '',
      voiceMethod: 'POST',
      voiceFallbackUrl: '',
      voiceFallbackMethod: 'POST',
      statusCallback: '',
      statusCallbackMethod: 'POST',
      dateCreated: now,
      dateUpdated: now,
    };
    try {
      applyFields(a, formOf(req.body));
    } catch (err) {
      return badParam(res, err);
    }
    backend.applications.set(a.sid, a);
    res.status(201).json(applicationJson(a));
  });

  r.get('/Applications.json', (req: Request, res: Response) => {
    const name = typeof req.query.FriendlyName === 'string' ? req.query.FriendlyName : undefined;
    const list = [...backend.applications.values()].filter((a) => name === undefined || a.friendlyName === name);
    res.json(pageJson(req, 'applications', list.map(applicationJson)));
  });

  r.get('/Applications/:Sid.json', (req: Request, res: Response) => {
    const a = backend.applications.get(String(req.params.Sid));
    if (!a) return notFound(req, res);
    res.json(applicationJson(a));
  });

  r.post('/Applications/:Sid.json', (req: Request, res: Response) => {
    const a = backend.applications.get(String(req.params.Sid));
    if (!a) return notFound(req, res);
    const copy = { ...a };
    try {
      applyFields(copy, formOf(req.body));
    } catch (err) {
      return badParam(res, err);
    }
    Object.assign(a, copy, { dateUpdated: backend.now() });
    res.json(applicationJson(a));
  });

  r.delete('/Applications/:Sid.json', (req: Request, res: Response) => {
    if (!backend.applications.delete(String(req.params.Sid))) return notFound(req, res);
    res.status(204).end();
  });

  return r;
}
