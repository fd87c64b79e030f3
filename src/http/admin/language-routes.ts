/** `/api/languages`: the language codes a number's settings may use. */
import { SUPPORTED_LANGUAGES } from '../../translate/languages';
import { ref, type ApiRoute } from './api-route';

export const languageRoutes: readonly ApiRoute[] = [
  {
    method: 'get',
    path: '/languages',
    doc: {
      operationId: 'listLanguages',
      summary: 'The supported languages (codes for callerLanguage, agentLanguage, defaultLanguage and languageMenu)',
      responses: {
        200: {
          description: 'Supported languages, in English name order',
          schema: { type: 'object', required: ['languages'], properties: { languages: { type: 'array', items: ref('Language') } } },
        },
      },
    },
    handler: () => (_req, res) => {
      res.json({ languages: SUPPORTED_LANGUAGES });
    },
  },
];
