/**
 * `/api/conferences/:conference/interpreter`: tolk joins any conference in progress as its
 * interpreter (POST), shows what it is doing there (GET), and leaves (DELETE). `:conference` is the
 * conference's SID or friendly name (in Flex, the task SID).
 */
import type { Request, Response } from 'express';
import { z } from 'zod';
import { quoted, unknownLanguageMessage } from '../../config/numbers-schema';
import { isSupportedLanguage } from '../../translate/languages';
import { ref, sendProblems, type AdminApiDeps, type ApiRoute } from './api-route';

const MAX_CONFERENCE_LENGTH = 128;

const CONFERENCE_PARAM = {
  description: "The conference's SID (CF...) or friendly name (in Flex, the task SID), URL-encoded",
  schema: { type: 'string', maxLength: MAX_CONFERENCE_LENGTH },
};

const language = z
  .string({ error: 'must be a language code' })
  .max(35, { error: 'must be a language code of at most 35 characters', abort: true })
  .superRefine((v, ctx) => {
    if (!isSupportedLanguage(v)) ctx.addIssue({ code: 'custom', message: unknownLanguageMessage(v) });
  });

export const joinBodySchema = z.strictObject(
  {
    mode: z.enum(['whisper', 'open'], { error: (iss) => `${typeof iss.input === 'string' ? quoted(iss.input) : 'this'} is not a mode: use 'whisper' or 'open'` }).optional(),
    participants: z
      .array(z.unknown(), { error: 'must be a list of {callSid, language}' })
      .max(50, { error: 'can name at most 50 participants', abort: true })
      .pipe(
        z.array(
          z.strictObject(
            {
              callSid: z.string({ error: 'is required' }).regex(/^CA[0-9a-fA-F]{32}$/, { error: (iss) => `${quoted(String(iss.input))} is not a call SID (CA and 32 hex digits)` }),
              language,
            },
            { error: (iss) => (iss.code === 'unrecognized_keys' ? 'a participant has callSid and language only' : 'must be {callSid, language}') },
          ),
        ),
      )
      .refine((l) => new Set(l.map((p) => p.callSid)).size === l.length, 'names a call SID twice')
      .optional(),
    languages: z
      .array(z.unknown(), { error: 'must be a list of language codes' })
      .max(16, { error: 'can name at most 16 languages', abort: true })
      .pipe(z.array(language))
      .optional(),
  },
  {
    error: (iss) => {
      if (iss.code === 'unrecognized_keys') return `unknown field ${iss.keys.slice(0, 3).map((k) => quoted(k, 32)).join(', ')}; fields are mode, participants, languages`;
      if (iss.code === 'invalid_type') return 'send a JSON object {mode?, participants?, languages?}';
      return undefined;
    },
  },
);

/** The path's conference, or undefined after answering 400. */
function pathConference(req: Request, res: Response): string | undefined {
  const raw = String(req.params.conference);
  if (raw.length === 0 || raw.length > MAX_CONFERENCE_LENGTH) {
    sendProblems(res, 'invalid conference', [{ path: ['conference'], message: `must be a conference SID or a name of 1 to ${MAX_CONFERENCE_LENGTH} characters` }]);
    return undefined;
  }
  return raw;
}

/**
 * A handler about the interpreter of the path's conference: `answer` answers when this instance
 * interprets it (and resolves true); otherwise the instance that does answers (passOn), or 404.
 */
function interpreterHere(answer: (deps: AdminApiDeps, conference: string, res: Response) => boolean | Promise<boolean>): ApiRoute['handler'] {
  return (deps) => async (req, res) => {
    const conference = pathConference(req, res);
    if (conference === undefined) return;
    if (await answer(deps, conference, res)) return;
    if (await deps.passOn?.({ conference }, req, res)) return;
    res.status(404).json({ error: `tolk is not interpreting conference ${conference}` });
  };
}

const INTERPRETER_SCHEMA = {
  type: 'object',
  required: ['callId', 'conference', 'state', 'mode', 'requestedMode', 'participants', 'sessions', 'latencyMs', 'lagMs', 'legs'],
  properties: {
    callId: { type: 'string', description: 'The call record of this interpretation (GET /api/calls/{id})' },
    conference: { type: 'string' },
    state: { type: 'string', enum: ['joining', 'live', 'uninterpreted', 'ended'], description: 'joining until the first interpreter leg is connected; uninterpreted when every interpreter leg failed for good before one was (the parties were told, and talk without tolk)' },
    mode: { type: 'string', enum: ['whisper', 'open'], description: 'The interpretation in effect' },
    requestedMode: { type: 'string', enum: ['whisper', 'open'] },
    fallback: { type: 'string', description: 'Why the mode in effect differs from the one asked for' },
    participants: { type: 'array', items: { type: 'object', properties: { callSid: { type: 'string' }, language: { type: 'string' }, role: { type: 'string' } } } },
    sessions: { type: 'array', items: { type: 'object', properties: { language: { type: 'string' }, state: { type: 'string' } } } },
    latencyMs: { type: 'object', additionalProperties: { type: 'number' }, description: 'Mean latency so far per target language: from the end of the speech to its translation heard (0 when it started during the speech)' },
    lagMs: { type: 'object', additionalProperties: { type: 'number' }, description: 'Mean lag so far per target language: from the start of the speech to the start of its translation heard' },
    legs: {
      type: 'array',
      description: "The interpreter's legs in the conference: placing until its media stream is attached",
      items: {
        type: 'object',
        properties: { endpoint: { type: 'string' }, callSid: { type: 'string' }, whisperTo: { type: 'string', description: 'The call SID of the party this leg coaches' }, state: { type: 'string', enum: ['placing', 'connected'] } },
      },
    },
  },
};

export const conferenceRoutes: readonly ApiRoute[] = [
  {
    method: 'post',
    path: '/conferences/:conference/interpreter',
    doc: {
      operationId: 'joinConference',
      summary: 'tolk joins a conference in progress as its interpreter',
      description:
        'Answers 201 as soon as the join is under way (also when whisper falls back to open). Languages of participants not named are detected, ' +
        'up to TOLK_MAX_CONFERENCE_LANGUAGES. tolk never ends the conference; it leaves when asked, when the conference ends, or when no party is left.',
      pathParameters: { conference: CONFERENCE_PARAM },
      requestBody: {
        description: 'What to interpret',
        schema: {
          type: 'object',
          properties: {
            mode: { type: 'string', enum: ['whisper', 'open'], default: 'whisper' },
            participants: { type: 'array', items: { type: 'object', required: ['callSid', 'language'], properties: { callSid: { type: 'string' }, language: { type: 'string' } } } },
            languages: { type: 'array', items: { type: 'string' } },
          },
        },
      },
      responses: {
        201: { description: 'Joining', schema: INTERPRETER_SCHEMA },
        400: { description: 'Invalid request, one problem per field', schema: ref('ValidationError') },
        404: { description: 'No such conference in progress', schema: ref('Error') },
        409: { description: 'An interpreter is already there', schema: ref('Error') },
        501: { description: 'Conference interpreting is not configured', schema: ref('Error') },
      },
    },
    handler:
      ({ interpreters }) =>
      async (req, res) => {
        const conference = pathConference(req, res);
        if (conference === undefined) return;
        const body: unknown = req.body === undefined || (typeof req.body === 'object' && req.body !== null && Object.keys(req.body as object).length === 0) ? {} : req.body;
        const parsed = joinBodySchema.safeParse(body);
        if (!parsed.success) {
          sendProblems(
            res,
            'invalid request',
            parsed.error.issues.map((i) => ({ path: i.path.filter((p): p is string | number => typeof p !== 'symbol'), message: i.message })),
          );
          return;
        }
        if (!interpreters) {
          res.status(501).json({ error: 'conference interpreting is not available here' });
          return;
        }
        const result = await interpreters.joinConference(conference, parsed.data);
        if (!result.ok) {
          res.status(result.status).json({ error: result.error });
          return;
        }
        res.status(201).json({ callId: result.call.id, conference, ...result.call.snapshot() });
      },
  },
  {
    method: 'get',
    path: '/conferences/:conference/interpreter',
    doc: {
      operationId: 'getConferenceInterpreter',
      summary: 'What the interpreter of a conference is doing',
      pathParameters: { conference: CONFERENCE_PARAM },
      responses: {
        200: { description: 'The interpreter', schema: INTERPRETER_SCHEMA },
        400: { description: 'The path is not a conference', schema: ref('ValidationError') },
        404: { description: 'tolk is not interpreting this conference', schema: ref('Error') },
      },
    },
    handler: interpreterHere(({ interpreters }, conference, res) => {
      const call = interpreters?.conferenceInterpreter(conference);
      if (call) res.json({ callId: call.id, conference, ...call.snapshot() });
      return call !== undefined;
    }),
  },
  {
    method: 'delete',
    path: '/conferences/:conference/interpreter',
    doc: {
      operationId: 'leaveConference',
      summary: 'The interpreter leaves the conference (which goes on without it)',
      pathParameters: { conference: CONFERENCE_PARAM },
      responses: {
        204: { description: 'Left' },
        400: { description: 'The path is not a conference', schema: ref('ValidationError') },
        404: { description: 'tolk is not interpreting this conference', schema: ref('Error') },
      },
    },
    handler: interpreterHere(async ({ interpreters }, conference, res) => {
      const left = (await interpreters?.leaveConference(conference)) === true;
      if (left) res.status(204).end();
      return left;
    }),
  },
];
