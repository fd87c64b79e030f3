/**
 * `POST /api/tokens`: an ephemeral Gemini Live token for a browser (the console's "Try it"),
 * locked to one translation configuration, single use, short-lived. The browser opens the Live
 * session itself with it; the API key never leaves tolk.
 */
import { z } from 'zod';
import { unknownLanguageMessage } from '../../config/numbers-schema';
import { isSupportedLanguage } from '../../translate/languages';
import { sendProblems, withService, type ApiRoute } from './api-route';

const tokenRequest = z.strictObject({
  targetLanguage: z.string({ error: 'is required: the language to translate into' }).refine(isSupportedLanguage, { error: (iss) => unknownLanguageMessage(String(iss.input)) }),
  echoTargetLanguage: z.boolean({ error: 'must be true or false' }).optional(),
});

const string = { type: 'string' };

export const tokenRoutes: readonly ApiRoute[] = [
  {
    method: 'post',
    path: '/tokens',
    doc: {
      operationId: 'createTranslateToken',
      summary: 'Mints an ephemeral Gemini Live token for one translation session opened by a client',
      description:
        'The token is locked to the model and the translation configuration asked for, opens one session within a minute and ' +
        'expires after ten. Connect to `liveUrl` with `?access_token=<token>` and send the usual `setup` message.',
      requestBody: {
        description: 'The translation configuration',
        schema: {
          type: 'object',
          required: ['targetLanguage'],
          additionalProperties: false,
          properties: { targetLanguage: { type: 'string', description: 'A supported language code (see /api/languages)' }, echoTargetLanguage: { type: 'boolean' } },
        },
      },
      responses: {
        201: {
          description: 'The token',
          schema: {
            type: 'object',
            required: ['token', 'expireTime', 'newSessionExpireTime', 'model', 'liveUrl'],
            properties: { token: string, expireTime: { type: 'string', format: 'date-time' }, newSessionExpireTime: { type: 'string', format: 'date-time' }, model: string, liveUrl: string },
          },
        },
        400: { description: 'A bad configuration, one problem per field', schema: { $ref: '#/components/schemas/ValidationError' } },
        501: { description: 'This deployment mints no tokens', schema: { $ref: '#/components/schemas/Error' } },
        502: { description: 'The Gemini API refused to mint a token', schema: { $ref: '#/components/schemas/Error' } },
      },
    },
    handler: ({ tokens }) =>
      withService(tokens, 'this deployment mints no translation tokens', (tokens) => async (req, res) => {
        const parsed = tokenRequest.safeParse(req.is('application/json') ? req.body : undefined);
        if (!parsed.success) {
          sendProblems(
            res,
            'invalid token request',
            parsed.error.issues.map((i) => ({ path: i.path.filter((p): p is string | number => typeof p !== 'symbol'), message: i.message })),
          );
          return;
        }
        try {
          res.status(201).json(await tokens.mint(parsed.data));
        } catch (err) {
          res.status(502).json({ error: `the Gemini API minted no token: ${err instanceof Error ? err.message : String(err)}` });
        }
      }),
  },
];
