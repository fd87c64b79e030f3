// The emulator's control API, for a person (or a script) driving it while it runs. It lives under
// /emulator, apart from the Twilio-compatible /2010-04-01 API, and takes the account's credentials
// (HTTP Basic) like the REST API. Bodies are JSON; audio travels as base64 WAV (any rate, PCM or
// mu-law), so the emulator never reads files named by a request.
//
//   GET  /emulator/calls                          every call (JSON)
//   POST /emulator/calls                          {from, to, say?, hangupAfter?, digits?}: dial one of the account's numbers
//   GET  /emulator/calls/:sid                     one call
//   POST /emulator/calls/:sid/say                 {wav, at?, afterSpeech?}: the party says more (at = seconds from now)
//   POST /emulator/calls/:sid/digits              {digits}
//   POST /emulator/calls/:sid/hangup
//   GET  /emulator/calls/:sid/heard.wav|said.wav  what the party heard / said so far
//   GET  /emulator/conferences                    every conference and its participants
//   POST /emulator/conferences/:name/participants {from, say?, label?, muted?, beep?, startConferenceOnEnter?, endConferenceOnExit?, hangupAfter?}
//   PUT  /emulator/callees/:number                {answer?, answerAfter?, say?, hangupAfter?}: how a dialled number answers
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { wavBytesTo8k } from '../audio';
import type { CallSnapshot, ConferenceSnapshot, JoinConferenceOptions } from '../emulator';
import type { CallRecording } from '../recorder';
import type { PartySpec, Utterance } from '../party';

/** What the routes need from the emulator. */
export interface ControlBackend {
  dial(opts: { from: string; to: string; party: PartySpec }): Promise<string>;
  joinConference(opts: JoinConferenceOptions): string;
  say(callSid: string, audio: Int16Array, when: { inSec?: number; afterSpeech?: boolean }): void;
  pressDigits(callSid: string, digits: string): void;
  hangup(callSid: string): void;
  call(callSid: string): CallSnapshot | undefined;
  calls(): CallSnapshot[];
  recording(callSid: string): CallRecording;
  conferences(): ConferenceSnapshot[];
  setCallee(number: string, party: PartySpec): void;
  recordsAudio: boolean;
}

/** At most this much base64 WAV per request (about 10 minutes of 8 kHz 16-bit audio, or 50 s of 48 kHz stereo). */
const MAX_WAV_BASE64 = 14_000_000;
const seconds = z.number().min(0).max(24 * 3600);
const phone = z.string().regex(/^\+[1-9]\d{1,14}$/, 'an E.164 number such as +15551234567');
const speech = z.strictObject({
  wav: z.string().min(1).max(MAX_WAV_BASE64).regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64'),
  /** Seconds after the answer (placing a call) or from now (a live call). */
  at: seconds.optional(),
  afterSpeech: z.boolean().optional(),
});
const digits = z.string().regex(/^[0-9*#wW]{1,32}$/, 'up to 32 of 0-9 * # w');
const placeCall = z.strictObject({
  from: phone,
  to: phone,
  say: z.array(speech).max(20).optional(),
  hangupAfter: seconds.optional(),
  digits: z.array(z.strictObject({ at: seconds, digits })).max(50).optional(),
});
const join = z.strictObject({
  from: z.string().min(1).max(64),
  say: z.array(speech).max(20).optional(),
  hangupAfter: seconds.optional(),
  label: z.string().min(1).max(128).optional(),
  muted: z.boolean().optional(),
  beep: z.enum(['true', 'false', 'onEnter', 'onExit']).optional(),
  startConferenceOnEnter: z.boolean().optional(),
  endConferenceOnExit: z.boolean().optional(),
});
const callee = z.strictObject({
  answer: z.enum(['answer', 'busy', 'no-answer', 'fail']).optional(),
  answerAfter: seconds.optional(),
  say: z.array(speech).max(20).optional(),
  hangupAfter: seconds.optional(),
});

class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly problems: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: i.message }));
  throw new ControlError(400, `invalid request: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, problems);
}

/** Decodes each base64 WAV; `at` keeps its meaning for the caller to place. */
function utterances(list: z.infer<typeof speech>[] | undefined, field: string): (Utterance & { audio: Int16Array })[] {
  return (list ?? []).map((s, i) => {
    let audio: Int16Array;
    try {
      audio = wavBytesTo8k(Buffer.from(s.wav, 'base64'));
    } catch (err) {
      throw new ControlError(400, `${field}[${i}].wav is not a WAV file the emulator can read (${(err as Error).message})`);
    }
    return { audio, atSec: s.at, afterSpeech: s.afterSpeech };
  });
}

export function controlRouter(backend: ControlBackend): express.Router {
  const r = express.Router();
  r.use(express.json({ limit: '15mb' }));
  const mustCall = (sid: string): CallSnapshot => {
    const c = backend.call(sid);
    if (!c) throw new ControlError(404, `no call ${sid}`);
    return c;
  };
  // Express 5 passes thrown errors and rejected promises to the error handler at the end.
  r.get('/calls', (_req, res) => res.json(backend.calls()));

  r.post(
    '/calls',
    async (req: Request, res: Response) => {
      const b = parse(placeCall, req.body);
      const party: PartySpec = {
        utterances: utterances(b.say, 'say'),
        hangupAfterSec: b.hangupAfter,
        dtmf: b.digits?.map((d) => ({ atSec: d.at, digits: d.digits })),
      };
      let sid: string;
      try {
        sid = await backend.dial({ from: b.from, to: b.to, party });
      } catch (err) {
        throw new ControlError(404, (err as Error).message);
      }
      res.status(201).json(mustCall(sid));
    },
  );

  r.get('/calls/:sid', (req, res) => res.json(mustCall(String(req.params.sid))));

  r.post(
    '/calls/:sid/say',
    (req: Request, res: Response) => {
      const sid = String(req.params.sid);
      mustCall(sid);
      const [u] = utterances([parse(speech, req.body)], 'say');
      try {
        backend.say(sid, u.audio, { inSec: u.atSec, afterSpeech: u.afterSpeech });
      } catch (err) {
        throw new ControlError(409, (err as Error).message);
      }
      res.status(202).json(mustCall(sid));
    },
  );

  r.post(
    '/calls/:sid/digits',
    (req: Request, res: Response) => {
      const sid = String(req.params.sid);
      if (mustCall(sid).status !== 'in-progress') throw new ControlError(409, `call ${sid} is not in progress`);
      backend.pressDigits(sid, parse(z.strictObject({ digits }), req.body).digits);
      res.status(202).json(mustCall(sid));
    },
  );

  r.post(
    '/calls/:sid/hangup',
    (req: Request, res: Response) => {
      const sid = String(req.params.sid);
      mustCall(sid);
      backend.hangup(sid);
      res.json(mustCall(sid));
    },
  );

  const sendRecording = (track: 'heard' | 'said') => (req: Request, res: Response) => {
    const sid = String(req.params.sid);
    mustCall(sid);
    if (!backend.recordsAudio) throw new ControlError(409, 'this emulator keeps no recordings (started with recordAudio: false)');
    const rec = backend.recording(sid);
    res.type('audio/wav').send(track === 'heard' ? rec.heardWav() : rec.saidWav());
  };
  r.get('/calls/:sid/heard.wav', sendRecording('heard'));
  r.get('/calls/:sid/said.wav', sendRecording('said'));

  r.get('/conferences', (_req, res) => res.json(backend.conferences()));

  r.post(
    '/conferences/:name/participants',
    (req: Request, res: Response) => {
      const b = parse(join, req.body);
      const name = String(req.params.name);
      if (name.length === 0 || name.length > 128) throw new ControlError(400, 'a conference name has 1 to 128 characters');
      const sid = backend.joinConference({
        name,
        from: b.from,
        party: { utterances: utterances(b.say, 'say'), hangupAfterSec: b.hangupAfter },
        label: b.label,
        muted: b.muted,
        beep: b.beep,
        startConferenceOnEnter: b.startConferenceOnEnter,
        endConferenceOnExit: b.endConferenceOnExit,
      });
      res.status(201).json(mustCall(sid));
    },
  );

  r.put(
    '/callees/:number',
    (req: Request, res: Response) => {
      const number = String(req.params.number);
      const b = parse(callee, req.body);
      const kind = b.answer ?? 'answer';
      const afterSec = b.answerAfter;
      const party: PartySpec = {
        scenario: kind === 'no-answer' ? { kind } : { kind, afterSec },
        utterances: utterances(b.say, 'say'),
        hangupAfterSec: b.hangupAfter,
      };
      backend.setCallee(number, party);
      res.json({ number, answer: kind, answerAfter: afterSec ?? null, utterances: party.utterances?.length ?? 0, hangupAfter: b.hangupAfter ?? null });
    },
  );

  r.use((req: Request, res: Response) => {
    res.status(404).json({ error: `no control endpoint ${req.method} ${req.originalUrl}` });
  });
  r.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    if (err instanceof ControlError) {
      res.status(err.status).json({ error: err.message, ...(err.problems.length > 0 ? { problems: err.problems } : {}) });
      return;
    }
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === 'entity.too.large') return void res.status(413).json({ error: 'request body too large (at most 15 MB)' });
    if (e.type === 'entity.parse.failed') return void res.status(400).json({ error: 'the body is not valid JSON' });
    res.status(500).json({ error: (err as Error).message });
  });
  return r;
}
