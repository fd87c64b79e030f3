// /2010-04-01/Accounts/{AccountSid}/Conferences: list (FriendlyName, Status - in-progress unless
// asked otherwise - and date filters), fetch and update (Status=completed ends it) by SID; and
// its Participants subresource, addressed by conference SID or the friendly name of a live
// conference (create opens the conference if needed): create (a phone number, client:, sip: or
// app:AP...?custom=params target), list (Muted/Hold/Coaching filters), fetch, update (AnnounceUrl:
// an announcement to that participant alone) and remove by call SID or label. Coaching on an
// account without Agent Conference is error 16000.
import express, { type Request, type Response } from 'express';
import { rfc2822 } from '../call-record';
import type { AppTarget } from '../call';
import { BEEP_MODES, ConferenceError, WHISPER_UNAVAILABLE, DEFAULT_PARTICIPANT, type BeepMode, type Conference, type Participant, type ParticipantSettings, type StatusCallbackConfig } from '../conference/conference';
import type { ConferenceHub } from '../conference/hub';
import { CONFERENCE_EVENT_WORDS, statusCallbackConfig } from '../conference/status-callback';
import type { ApplicationRecord } from './applications-routes';
import { sendTwilioError } from './errors';
import { formOf, many, one, type Form } from './form';
import { pageJson } from './page';
import { boolParam, isAddress, methodParam, ParamError, urlParam } from './params';

export interface NewParticipant {
  from: string;
  /** The target without custom parameters. */
  to: string;
  settings: ParticipantSettings;
  timeoutSec: number;
  statusCallback?: string;
  statusCallbackMethod: string;
  statusCallbackEvents: string[];
  conferenceStatusCallback?: StatusCallbackConfig;
  app?: AppTarget;
}

export interface ConferencesBackend {
  accountSid: string;
  hub: ConferenceHub;
  now(): Date;
  agentConference: boolean;
  findApplication(sid: string): ApplicationRecord | undefined;
  /** Places the participant's call; throws ConferenceError when the conference refuses it. */
  addParticipant(conference: Conference, p: NewParticipant): Participant;
  /** Fetches the TwiML at `url` and plays it to the participant alone (a participant's AnnounceUrl). */
  announce(conference: Conference, participant: Participant, url: string, method: string): void;
  /** How a Participants create request for `to` is refused before anything is done (overload, see ParticipantRefusal), if it is. */
  refusal?(to: string): { status: number; code: number; message: string } | undefined;
}

function conferenceUri(accountSid: string, c: Conference): string {
  return `/2010-04-01/Accounts/${accountSid}/Conferences/${c.sid}`;
}

export function conferenceJson(accountSid: string, c: Conference): Record<string, unknown> {
  const base = conferenceUri(accountSid, c);
  return {
    account_sid: accountSid,
    date_created: rfc2822(c.dateCreated),
    date_updated: rfc2822(c.dateUpdated),
    api_version: '2010-04-01',
    friendly_name: c.friendlyName,
    region: 'us1',
    sid: c.sid,
    status: c.status,
    uri: `${base}.json`,
    subresource_uris: { participants: `${base}/Participants.json`, recordings: `${base}/Recordings.json` },
    reason_conference_ended: c.reasonEnded ?? null,
    call_sid_ending_conference: c.callSidEnding ?? null,
  };
}

export function participantJson(accountSid: string, c: Conference, p: Participant): Record<string, unknown> {
  return {
    account_sid: accountSid,
    call_sid: p.callSid,
    label: p.label ?? null,
    call_sid_to_coach: p.coaching ? (p.callSidToCoach ?? null) : null,
    coaching: p.coaching,
    conference_sid: c.sid,
    date_created: rfc2822(p.dateCreated),
    date_updated: rfc2822(p.dateUpdated),
    end_conference_on_exit: p.endConferenceOnExit,
    muted: p.muted,
    hold: p.hold,
    start_conference_on_enter: p.startConferenceOnEnter,
    status: p.status,
    queue_time: '0',
    uri: `${conferenceUri(accountSid, c)}/Participants/${p.callSid}.json`,
  };
}

/** Conference friendly names are at most 128 characters. */
const MAX_NAME = 128;
const CALL_EVENTS = new Set(['initiated', 'ringing', 'answered', 'completed']);
const APP_TARGET = /^app:(AP[0-9a-fA-F]{32})(?:\?(.*))?$/;

function words(f: Form, key: string, allowed: ReadonlySet<string>): string[] {
  const list = many(f, key);
  const bad = list.find((w) => !allowed.has(w));
  if (bad !== undefined) throw new ParamError(20001, `${key} has an unknown event "${bad}"`);
  return list;
}

/** "YYYY-MM-DD" of a date in UTC, for the DateCreated/DateUpdated filters. */
const day = (d: Date): string => d.toISOString().slice(0, 10);

function dateFilter(req: Request, field: 'DateCreated' | 'DateUpdated', value: (c: Conference) => Date): (c: Conference) => boolean {
  const q = (k: string) => {
    const v = req.query[k];
    return typeof v === 'string' ? v.slice(0, 10) : undefined;
  };
  const on = q(field);
  const before = q(`${field}<`);
  const after = q(`${field}>`);
  return (c) => {
    const d = day(value(c));
    return (on === undefined || d === on) && (before === undefined || d <= before) && (after === undefined || d >= after);
  };
}

export function conferencesRouter(backend: ConferencesBackend): express.Router {
  const r = express.Router({ mergeParams: true });
  const { accountSid } = backend;
  const notFound = (req: Request, res: Response) => sendTwilioError(res, 404, 20404, `The requested resource ${req.originalUrl} was not found`);
  const refuse = (res: Response, err: unknown) => {
    if (err instanceof ParamError) return sendTwilioError(res, 400, err.code, err.message);
    if (err instanceof ConferenceError) return sendTwilioError(res, err.httpStatus, err.code, err.message);
    throw err;
  };
  const bySid = (req: Request) => {
    const sid = String(req.params.Sid);
    return sid.startsWith('CF') ? backend.hub.find(sid) : undefined;
  };

  r.get('/Conferences.json', (req: Request, res: Response) => {
    const name = typeof req.query.FriendlyName === 'string' ? req.query.FriendlyName : undefined;
    const status = typeof req.query.Status === 'string' ? req.query.Status : 'in-progress';
    const created = dateFilter(req, 'DateCreated', (c) => c.dateCreated);
    const updated = dateFilter(req, 'DateUpdated', (c) => c.dateUpdated);
    const list = backend.hub.list().filter((c) => c.status === status && (name === undefined || c.friendlyName === name) && created(c) && updated(c));
    res.json(pageJson(req, 'conferences', list.map((c) => conferenceJson(accountSid, c))));
  });

  r.get('/Conferences/:Sid.json', (req: Request, res: Response) => {
    const c = bySid(req);
    if (!c) return notFound(req, res);
    res.json(conferenceJson(accountSid, c));
  });

  r.post('/Conferences/:Sid.json', (req: Request, res: Response) => {
    const c = bySid(req);
    if (!c) return notFound(req, res);
    const f = formOf(req.body);
    const status = one(f, 'Status');
    if (status !== undefined && status !== 'completed') return sendTwilioError(res, 400, 20001, `Invalid Status: ${status}`);
    try {
      urlParam(f, 'AnnounceUrl', 21502);
      methodParam(f, 'AnnounceMethod', 'POST');
    } catch (err) {
      return refuse(res, err);
    }
    if (status === 'completed') c.end('conference-ended-via-api', backend.now());
    res.json(conferenceJson(accountSid, c));
  });

  r.post('/Conferences/:Sid/Participants.json', (req: Request, res: Response) => {
    const sidOrName = String(req.params.Sid);
    if (sidOrName.length > MAX_NAME) return sendTwilioError(res, 400, 20001, `A conference name has at most ${MAX_NAME} characters`);
    // Twilio sheds load before it reads the request: nothing is created.
    const overloaded = backend.refusal?.(one(formOf(req.body), 'To') ?? '');
    if (overloaded) return sendTwilioError(res, overloaded.status, overloaded.code, overloaded.message);
    const existing = backend.hub.find(sidOrName);
    if (sidOrName.startsWith('CF') && (!existing || existing.isOver)) return notFound(req, res);
    let spec: NewParticipant;
    try {
      spec = readNewParticipant(formOf(req.body), backend);
    } catch (err) {
      return refuse(res, err);
    }
    const live = existing && !existing.isOver ? existing : undefined;
    // A new conference has nobody to coach yet: refuse before creating it.
    if (!live && spec.settings.coaching) return refuse(res, new ConferenceError(400, 16028, 'The participant to be whispered is not present in the conference, so the coach to the participant cannot be added to the conference.'));
    const conference = live ?? backend.hub.open(sidOrName);
    try {
      const p = backend.addParticipant(conference, spec);
      res.status(201).json(participantJson(accountSid, conference, p));
    } catch (err) {
      return refuse(res, err);
    }
  });

  r.get('/Conferences/:Sid/Participants.json', (req: Request, res: Response) => {
    const c = backend.hub.find(String(req.params.Sid));
    if (!c) return notFound(req, res);
    let filters: { muted?: boolean; hold?: boolean; coaching?: boolean };
    try {
      const f = req.query as Form;
      filters = { muted: boolParam(f, 'Muted'), hold: boolParam(f, 'Hold'), coaching: boolParam(f, 'Coaching') };
    } catch (err) {
      return refuse(res, err);
    }
    const list = c
      .participants()
      .filter((p) => (filters.muted === undefined || p.muted === filters.muted) && (filters.hold === undefined || p.hold === filters.hold) && (filters.coaching === undefined || p.coaching === filters.coaching));
    res.json(pageJson(req, 'participants', list.map((p) => participantJson(accountSid, c, p))));
  });

  const participantOf = (req: Request) => {
    const c = backend.hub.find(String(req.params.Sid));
    const p = c?.participant(String(req.params.CallSid));
    return c && p ? { c, p } : undefined;
  };

  r.get('/Conferences/:Sid/Participants/:CallSid.json', (req: Request, res: Response) => {
    const found = participantOf(req);
    if (!found) return notFound(req, res);
    res.json(participantJson(accountSid, found.c, found.p));
  });

  r.post('/Conferences/:Sid/Participants/:CallSid.json', (req: Request, res: Response) => {
    const found = participantOf(req);
    if (!found) return notFound(req, res);
    const f = formOf(req.body);
    try {
      const changes = {
        muted: boolParam(f, 'Muted'),
        hold: boolParam(f, 'Hold'),
        holdUrl: urlParam(f, 'HoldUrl', 21502, true),
        waitUrl: urlParam(f, 'WaitUrl', 21502, true),
        beepOnExit: boolParam(f, 'BeepOnExit'),
        endConferenceOnExit: boolParam(f, 'EndConferenceOnExit'),
        coaching: boolParam(f, 'Coaching'),
        callSidToCoach: one(f, 'CallSidToCoach'),
      };
      methodParam(f, 'HoldMethod', 'GET');
      const announceMethod = methodParam(f, 'AnnounceMethod', 'POST');
      const announceUrl = urlParam(f, 'AnnounceUrl', 21502);
      if ((changes.coaching === true || changes.callSidToCoach !== undefined) && !backend.agentConference) throw new ConferenceError(400, 16000, WHISPER_UNAVAILABLE);
      // An announcement alone changes nothing of the participant (nor what they hear meanwhile).
      const changing = Object.values(changes).some((v) => v !== undefined);
      const p = changing || !announceUrl ? found.c.update(found.p.callSid, changes, backend.now()) : found.p;
      if (announceUrl) backend.announce(found.c, p, announceUrl, announceMethod);
      res.json(participantJson(accountSid, found.c, p));
    } catch (err) {
      return refuse(res, err);
    }
  });

  r.delete('/Conferences/:Sid/Participants/:CallSid.json', (req: Request, res: Response) => {
    const found = participantOf(req);
    if (!found) return notFound(req, res);
    found.c.leave(found.p.callSid, 'participant_updated_via_api', 'completed', backend.now());
    res.status(204).end();
  });

  return r;
}

/** The Participants create parameters the emulator acts on, validated. */
function readNewParticipant(f: Form, backend: ConferencesBackend): NewParticipant {
  const rawTo = one(f, 'To');
  const from = one(f, 'From');
  if (!rawTo) throw new ParamError(21201, "No 'To' number is specified");
  if (!from) throw new ParamError(21603, "A 'From' phone number is required.");
  if (!isAddress(from)) throw new ParamError(21212, `Invalid 'From' Phone Number: ${from}`);
  const q = rawTo.indexOf('?');
  const to = q >= 0 ? rawTo.slice(0, q) : rawTo;
  if (!isAddress(to)) throw new ParamError(21211, `Invalid 'To' Phone Number: ${rawTo}`);
  let app: AppTarget | undefined;
  if (to.startsWith('app:')) {
    const m = APP_TARGET.exec(rawTo);
    const record = m ? backend.findApplication(m[1]) : undefined;
    if (!m || !record) throw new ParamError(21218, `Invalid ApplicationSid: ${to.slice(4)}`);
    app = {
      applicationSid: record.sid,
      voiceUrl: record.voiceUrl,
      voiceMethod: record.voiceMethod,
      parameters: Object.fromEntries(new URLSearchParams(m[2] ?? '')),
    };
  }
  const beep = one(f, 'Beep') ?? 'true';
  if (!BEEP_MODES.includes(beep as BeepMode)) throw new ParamError(20001, `Beep must be true, false, onEnter or onExit, got "${beep}"`);
  const callSidToCoach = one(f, 'CallSidToCoach');
  const coaching = boolParam(f, 'Coaching') ?? callSidToCoach !== undefined;
  if ((coaching || callSidToCoach !== undefined) && !backend.agentConference) throw new ConferenceError(400, 16000, WHISPER_UNAVAILABLE);
  const timeout = Number(one(f, 'Timeout') ?? '60');
  const settings: ParticipantSettings = {
    ...DEFAULT_PARTICIPANT,
    label: one(f, 'Label'),
    muted: boolParam(f, 'Muted') ?? false,
    beep: beep as BeepMode,
    startConferenceOnEnter: boolParam(f, 'StartConferenceOnEnter') ?? true,
    endConferenceOnExit: boolParam(f, 'EndConferenceOnExit') ?? false,
    coaching,
    callSidToCoach,
    waitUrl: urlParam(f, 'WaitUrl', 21502, true),
  };
  methodParam(f, 'WaitMethod', 'POST');
  return {
    from,
    to,
    settings,
    timeoutSec: Number.isFinite(timeout) ? Math.min(600, Math.max(5, timeout)) : 60,
    statusCallback: urlParam(f, 'StatusCallback', 21502),
    statusCallbackMethod: methodParam(f, 'StatusCallbackMethod', 'POST'),
    statusCallbackEvents: words(f, 'StatusCallbackEvent', CALL_EVENTS),
    conferenceStatusCallback: statusCallbackConfig(
      urlParam(f, 'ConferenceStatusCallback', 21502),
      methodParam(f, 'ConferenceStatusCallbackMethod', 'POST'),
      words(f, 'ConferenceStatusCallbackEvent', CONFERENCE_EVENT_WORDS),
    ),
    app,
  };
}
