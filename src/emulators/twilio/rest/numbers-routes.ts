// /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers: list (PhoneNumber filter), fetch, update
// (VoiceUrl, VoiceMethod, StatusCallback, StatusCallbackMethod, FriendlyName).
import express, { type Request, type Response } from 'express';
import { rfc2822 } from '../call-record';
import { sendTwilioError } from './errors';
import { formOf, one } from './form';

export interface PhoneNumberRecord {
  sid: string;
  accountSid: string;
  phoneNumber: string;
  friendlyName: string;
  voiceUrl: string;
  voiceMethod: string;
  statusCallback: string;
  statusCallbackMethod: string;
  dateCreated: Date;
  dateUpdated: Date;
}

export function numberJson(n: PhoneNumberRecord): Record<string, unknown> {
  return {
    sid: n.sid,
    account_sid: n.accountSid,
    friendly_name: n.friendlyName,
    phone_number: n.phoneNumber,
    voice_url: n.voiceUrl || null,
    voice_method: n.voiceMethod,
    voice_fallback_url: null,
    voice_fallback_method: 'POST',
    voice_caller_id_lookup: false,
    voice_application_sid: null,
    status_callback: n.statusCallback || null,
    status_callback_method: n.statusCallbackMethod,
    sms_url: null,
    sms_method: 'POST',
    date_created: rfc2822(n.dateCreated),
    date_updated: rfc2822(n.dateUpdated),
    capabilities: { voice: true, sms: true, mms: true, fax: false },
    api_version: '2010-04-01',
    status: 'in-use',
    uri: `/2010-04-01/Accounts/${n.accountSid}/IncomingPhoneNumbers/${n.sid}.json`,
  };
}

export interface NumbersBackend {
  numbers(): PhoneNumberRecord[];
  now(): Date;
}

export function numbersRouter(backend: NumbersBackend): express.Router {
  const r = express.Router({ mergeParams: true });
  const find = (sid: string) => backend.numbers().find((n) => n.sid === sid);

  r.get('/IncomingPhoneNumbers.json', (req: Request, res: Response) => {
    const want = typeof req.query.PhoneNumber === 'string' ? req.query.PhoneNumber : undefined;
    const list = backend.numbers().filter((n) => !want || n.phoneNumber.includes(want.trim()));
    res.json({
      incoming_phone_numbers: list.map(numberJson),
      first_page_uri: req.originalUrl,
      next_page_uri: null,
      previous_page_uri: null,
      page: 0,
      page_size: 50,
      start: 0,
      end: Math.max(0, list.length - 1),
      uri: req.originalUrl,
    });
  });

  r.get('/IncomingPhoneNumbers/:Sid.json', (req: Request, res: Response) => {
    const n = find(String(req.params.Sid));
    if (!n) return sendTwilioError(res, 404, 20404, `The requested resource ${req.originalUrl} was not found`);
    res.json(numberJson(n));
  });

  r.post('/IncomingPhoneNumbers/:Sid.json', (req: Request, res: Response) => {
    const n = find(String(req.params.Sid));
    if (!n) return sendTwilioError(res, 404, 20404, `The requested resource ${req.originalUrl} was not found`);
    const f = formOf(req.body);
    const url = (k: string) => {
      const v = one(f, k);
      if (v !== undefined && v !== '' && !/^https?:\/\//.test(v)) throw new Error(`${k} is not a valid URL: ${v}`);
      return v;
    };
    try {
      n.voiceUrl = url('VoiceUrl') ?? n.voiceUrl;
      n.statusCallback = url('StatusCallback') ?? n.statusCallback;
    } catch (err) {
      return sendTwilioError(res, 400, 21502, (err as Error).message);
    }
    n.voiceMethod = (one(f, 'VoiceMethod') ?? n.voiceMethod).toUpperCase();
    n.statusCallbackMethod = (one(f, 'StatusCallbackMethod') ?? n.statusCallbackMethod).toUpperCase();
    n.friendlyName = one(f, 'FriendlyName') ?? n.friendlyName;
    n.dateUpdated = backend.now();
    res.json(numberJson(n));
  });

  return r;
}
