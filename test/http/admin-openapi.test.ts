import request from 'supertest';
import type { Router } from 'express';
import { ADMIN_ROUTES, createAdminRouter } from '../../src/http/admin-api';
import { openApiPath } from '../../src/http/admin/openapi';
import { InMemoryNumberStore } from '../../src/config/number-store';
import { InMemoryCallRecordStore } from '../../src/store/in-memory-call-record-store';
import { adminSetup, auth, seedConference } from './helpers/admin-app';
import { checkSchema } from './helpers/json-schema';

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, { content?: { 'application/json': { schema: Record<string, unknown> } } }> }>>;
  components: { schemas: Record<string, Record<string, unknown>> };
};

interface RouteLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** `METHOD /api/path` for every route Express has registered on the admin router. */
function registeredRoutes(router: Router): string[] {
  const out: string[] = [];
  for (const layer of router.stack as RouteLayer[]) {
    if (!layer.route) continue;
    for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') out.push(`${method.toUpperCase()} /api${openApiPath(layer.route.path)}`);
  }
  return out.sort();
}

function documentedRoutes(doc: Doc): string[] {
  return Object.entries(doc.paths)
    .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
}

async function fetchDoc(): Promise<Doc> {
  const { http } = await adminSetup({ token: null });
  const res = await request(http.app).get('/api/openapi.json').expect(200).expect('Content-Type', /json/);
  return res.body as Doc;
}

describe('GET /api/openapi.json', () => {
  it('is served without a token, even when the API is disabled', async () => {
    const doc = await fetchDoc();
    expect(doc.openapi).toBe('3.1.0');
  });

  it('documents exactly the routes Express has registered', async () => {
    const doc = await fetchDoc();
    const router = createAdminRouter({ calls: new InMemoryCallRecordStore(), numbers: new InMemoryNumberStore(), adminToken: 'x'.repeat(16) });
    const registered = registeredRoutes(router);
    expect(registered).toEqual(documentedRoutes(doc));
    expect(registered).toEqual(
      expect.arrayContaining([
        'GET /api/numbers',
        'GET /api/numbers/{number}',
        'PUT /api/numbers/{number}',
        'DELETE /api/numbers/{number}',
        'GET /api/languages',
        'GET /api/calls',
        'GET /api/calls/{id}',
        'GET /api/openapi.json',
      ]),
    );
    expect(registered).toHaveLength(ADMIN_ROUTES.length);
  });

  it('resolves every $ref and documents 401/503 on authenticated routes only', async () => {
    const doc = await fetchDoc();
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/\w+/g) ?? [];
    for (const r of refs) expect(doc.components.schemas).toHaveProperty(r.split('/').pop()!);
    expect(Object.keys(doc.paths['/api/numbers'].get.responses)).toEqual(expect.arrayContaining(['200', '401', '503']));
    expect(doc.paths['/api/openapi.json'].get).toMatchObject({ security: [] });
    expect(doc.paths['/api/openapi.json'].get.responses).not.toHaveProperty('401');
  });

  it('documents 415 on the routes that read a JSON body, in the shape they answer it', async () => {
    const doc = await fetchDoc();
    const withBody = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => '415' in op.responses)
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(withBody.sort()).toEqual(['POST /api/calls', 'POST /api/calls/erase', 'POST /api/conferences/{conference}/interpreter', 'POST /api/tokens', 'PUT /api/numbers/{number}']);
    const { http } = await adminSetup();
    const res = await request(http.app).post('/api/calls/erase').set(auth).type('form').send('endedBefore=2025-01-01').expect(415);
    const schema = doc.paths['/api/calls/erase'].post.responses['415'].content!['application/json'].schema;
    expect(checkSchema(res.body, schema, doc.components.schemas)).toEqual([]);
  });

  it('describes the settings as the validator accepts them (languages options included)', async () => {
    const doc = await fetchDoc();
    const settings = doc.components.schemas.NumberSettingsInput as { properties: Record<string, unknown>; required: string[]; additionalProperties: boolean };
    expect(Object.keys(settings.properties)).toEqual(expect.arrayContaining(['number', 'destination', 'callerLanguage', 'agentLanguage', 'greeting', 'originalVolume']));
    expect(settings.required).toEqual(expect.arrayContaining(['destination', 'callerLanguage', 'agentLanguage']));
    expect(settings.required).not.toContain('number');
    expect(settings.additionalProperties).toBe(false);
  });
});

describe('responses match the documented shapes', () => {
  const cases: [string, string, number, object | undefined][] = [
    ['GET', '/api/numbers', 200, undefined],
    ['GET', '/api/numbers/%2B15550001111', 200, undefined],
    ['GET', '/api/numbers/%2B15559999999', 404, undefined],
    ['PUT', '/api/numbers/%2B15550005555', 201, { destination: 'client:bob', callerLanguage: 'fr', agentLanguage: 'en' }],
    ['PUT', '/api/numbers/%2B15550005555', 400, { destination: 'x', callerLanguage: 'xx', agentLanguage: 'en' }],
    ['GET', '/api/languages', 200, undefined],
    ['GET', '/api/calls', 200, undefined],
    ['GET', '/api/calls?limit=1', 200, undefined],
    ['GET', '/api/calls?limit=zero', 400, undefined],
    ['GET', '/api/calls/call-1', 200, undefined],
    ['GET', '/api/calls/nope', 404, undefined],
  ];

  it.each(cases)('%s %s -> %i', async (method, url, status, body) => {
    const doc = await fetchDoc();
    const { http } = await adminSetup();
    const path = '/api' + Object.keys(doc.paths)
      .map((p) => p.slice(4))
      .find((p) => new RegExp(`^${p.replace(/\{\w+\}/g, '[^/]+')}$`).test(url.slice(4).split('?')[0]))!;
    const req = method === 'PUT' ? request(http.app).put(url).send(body) : request(http.app).get(url);
    const res = await req.set(auth).expect(status);
    const schema = doc.paths[path][method.toLowerCase()].responses[String(status)].content!['application/json'].schema;
    expect(checkSchema(res.body, schema, doc.components.schemas)).toEqual([]);
  });

  it('a conference record, its lines with and without a speaker, matches CallRecordWithTranscript', async () => {
    const doc = await fetchDoc();
    const calls = new InMemoryCallRecordStore();
    await seedConference(calls);
    const { http } = await adminSetup({ calls });
    const res = await request(http.app).get('/api/calls/conf-1').set(auth).expect(200);
    const schema = doc.paths['/api/calls/{id}'].get.responses['200'].content!['application/json'].schema;
    expect(checkSchema(res.body, schema, doc.components.schemas)).toEqual([]);
    expect(checkSchema({ ...(res.body as object), transcript: [{ ...(res.body as { transcript: object[] }).transcript[0], speaker: { role: 'caller' } }] }, schema, doc.components.schemas)).not.toEqual([]);
  });

  it('the checker notices a wrong shape', async () => {
    const doc = await fetchDoc();
    const schema = doc.paths['/api/calls/{id}'].get.responses['200'].content!['application/json'].schema;
    expect(checkSchema({ id: 'x', transcript: 'none' }, schema, doc.components.schemas)).not.toEqual([]);
  });
});
