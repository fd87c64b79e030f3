/**
 * `/api/numbers`: list, read, create or replace, and remove per-number settings, and forget a
 * caller's remembered language. Nothing is cached here: each request reads or writes the store.
 */
import type { Request, Response } from 'express';
import { callModeOf, normaliseDialledNumber, type NumberSettings } from '../../config/numbers';
import { quoted, validateNumberSettings } from '../../config/numbers-schema';
import { ref, sendProblems, type AdminApiDeps, type ApiRoute } from './api-route';

const NUMBER_PARAM = {
  description: 'The tolk number in E.164 (`+15550001111`, URL-encoded as `%2B15550001111`); common notations are accepted',
  schema: { type: 'string' },
};

/** Longest phone number, in any notation, taken from a path. */
const MAX_PATH_NUMBER_LENGTH = 64;

/** The path's phone number parameter `name` in E.164, or undefined after answering 400. */
function pathNumber(req: Request, res: Response, name = 'number'): string | undefined {
  const raw = String(req.params[name]);
  const number = raw.length > MAX_PATH_NUMBER_LENGTH ? undefined : normaliseDialledNumber(raw);
  if (number === undefined) {
    sendProblems(res, 'invalid number', [
      { path: [name], message: `${quoted(raw)} is not an E.164 number (a + and up to 15 digits, e.g. +15550001111)` },
    ]);
  }
  return number;
}

/** A handler about the path's number: `handle` runs once it is a phone number (400 otherwise). */
function forPathNumber(handle: (deps: AdminApiDeps, number: string, req: Request, res: Response) => Promise<void>): ApiRoute['handler'] {
  return (deps) => async (req, res) => {
    const number = pathNumber(req, res);
    if (number !== undefined) await handle(deps, number, req, res);
  };
}

function notFound(res: Response, number: string): void {
  res.status(404).json({ error: `number ${number} is not configured` });
}

export const numberRoutes: readonly ApiRoute[] = [
  {
    method: 'get',
    path: '/numbers',
    doc: {
      operationId: 'listNumbers',
      summary: 'Every configured number, ordered by number',
      responses: {
        200: {
          description: 'The numbers',
          schema: { type: 'object', required: ['numbers'], properties: { numbers: { type: 'array', items: ref('NumberSettings') } } },
        },
      },
    },
    handler:
      ({ numbers }) =>
      async (_req, res) => {
        res.json({ numbers: await numbers.list() });
      },
  },
  {
    method: 'get',
    path: '/numbers/:number',
    doc: {
      operationId: 'getNumber',
      summary: "A number's settings",
      pathParameters: { number: NUMBER_PARAM },
      responses: {
        200: { description: 'The settings', schema: ref('NumberSettings') },
        400: { description: 'The path is not a phone number', schema: ref('ValidationError') },
        404: { description: 'The number is not configured', schema: ref('Error') },
      },
    },
    handler: forPathNumber(async ({ numbers }, number, req, res) => {
      const settings = await numbers.lookup(number);
      if (settings) res.json(settings);
      else notFound(res, number);
    }),
  },
  {
    method: 'put',
    path: '/numbers/:number',
    doc: {
      operationId: 'putNumber',
      summary: "Creates or replaces a number's settings",
      description:
        'The whole settings object is replaced; left-out optional settings take their defaults. `number` may be left out ' +
        '(the path gives it) and must otherwise name the same number. The next call to the number uses the new settings.',
      pathParameters: { number: NUMBER_PARAM },
      requestBody: { description: 'The settings', schema: ref('NumberSettingsInput') },
      responses: {
        200: { description: 'Replaced; the settings as stored', schema: ref('NumberSettings') },
        201: { description: 'Created; the settings as stored', schema: ref('NumberSettings') },
        400: { description: 'Invalid settings, one problem per field', schema: ref('ValidationError') },
      },
    },
    handler: forPathNumber(async ({ numbers, conferencesConfigured }, number, req, res) => {
      if (!req.is('application/json')) {
        res.status(400).json({ error: 'send the settings as a JSON object (Content-Type: application/json)' });
        return;
      }
      const body: unknown = req.body;
      let input: unknown = body;
      if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
        const given = (body as { number?: unknown }).number;
        if (typeof given === 'string' && normaliseDialledNumber(given) !== number) {
          sendProblems(res, 'invalid number settings', [
            { path: ['number'], message: `${quoted(given)} does not match the number in the path (${number}); leave it out or make them equal` },
          ]);
          return;
        }
        if (given === undefined || typeof given === 'string') input = { ...body, number };
      }
      const result = validateNumberSettings(input);
      if (!result.ok) {
        sendProblems(res, 'invalid number settings', result.problems);
        return;
      }
      const settings: NumberSettings = result.value;
      if (callModeOf(settings) === 'conference' && conferencesConfigured === false) {
        // Its calls would only hear that the line cannot take them.
        sendProblems(res, 'invalid number settings', [
          { path: ['mode'], message: "conference mode needs TWILIO_TWIML_APP_SID on this server: create the interpreter's TwiML App with `tolk twilio configure-app`, set the SID it prints and restart" },
        ]);
        return;
      }
      const { created } = await numbers.upsert(settings);
      res.status(created ? 201 : 200).json(settings);
    }),
  },
  {
    method: 'delete',
    path: '/numbers/:number',
    doc: {
      operationId: 'deleteNumber',
      summary: 'Stops serving a number',
      description: 'Calls to the number are refused from the next call on; call records are kept.',
      pathParameters: { number: NUMBER_PARAM },
      responses: {
        204: { description: 'Removed' },
        400: { description: 'The path is not a phone number', schema: ref('ValidationError') },
        404: { description: 'The number is not configured', schema: ref('Error') },
      },
    },
    handler: forPathNumber(async ({ numbers }, number, req, res) => {
      if (await numbers.remove(number)) res.status(204).end();
      else notFound(res, number);
    }),
  },
  {
    method: 'delete',
    path: '/numbers/:number/callers/:caller/language',
    doc: {
      operationId: 'forgetCallerLanguage',
      summary: "Forgets the language remembered for one caller of a number",
      description: "The caller's next call chooses a language again (menu, detection or the number's setting).",
      pathParameters: {
        number: NUMBER_PARAM,
        caller: { description: "The caller's number as Twilio reports it (URL-encoded)", schema: { type: 'string' } },
      },
      responses: {
        204: { description: 'Forgotten' },
        400: { description: 'The path is not a phone number', schema: ref('ValidationError') },
        404: { description: 'Nothing was remembered for this caller on this number', schema: ref('Error') },
        501: { description: 'This deployment does not remember caller languages', schema: ref('Error') },
      },
    },
    handler: forPathNumber(async ({ numbers }, number, req, res) => {
      if (String(req.params.caller).length > MAX_PATH_NUMBER_LENGTH) {
        sendProblems(res, 'invalid caller', [{ path: ['caller'], message: `must be at most ${MAX_PATH_NUMBER_LENGTH} characters` }]);
        return;
      }
      if (!numbers.forgetCallerLanguage) {
        res.status(501).json({ error: 'this deployment does not remember caller languages' });
        return;
      }
      const raw = String(req.params.caller);
      const caller = normaliseDialledNumber(raw) ?? raw;
      if (await numbers.forgetCallerLanguage(number, caller)) res.status(204).end();
      else res.status(404).json({ error: `no language remembered for ${caller} on ${number}` });
    }),
  },
];
