import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { adminSetup, auth, TOKEN } from './helpers/admin-app';

const WANTED = 'send the body as JSON with Content-Type: application/json';

describe('a request body the admin API cannot read as JSON', () => {
  it.each([
    ['POST', '/api/calls/erase'],
    ['POST', '/api/calls'],
    ['PUT', '/api/numbers/%2B15550005555'],
    ['POST', '/api/tokens'],
    ['POST', '/api/conferences/WT1/interpreter'],
  ])('%s %s: a form body (what curl -d sends) is answered 415, saying what to send', async (method, path) => {
    const { http } = await adminSetup();
    const req = method === 'PUT' ? request(http.app).put(path) : request(http.app).post(path);
    const res = await req.set(auth).type('form').send('endedBefore=2025-01-01').expect(415);
    expect(res.body).toEqual({
      error: `${WANTED}; this one came as a form (application/x-www-form-urlencoded, what curl -d sends unless given -H 'Content-Type: application/json')`,
    });
  });

  it('names the Content-Type sent, or says none was, and erases nothing', async () => {
    const { http } = await adminSetup();
    const plain = await request(http.app).post('/api/calls/erase').set(auth).set('Content-Type', 'text/plain; charset=utf-8').send('{"endedBefore":"2025-01-02"}').expect(415);
    expect(plain.body).toEqual({ error: `${WANTED}; this one came as 'text/plain'` });
    // No Content-Type at all: a raw request, as a client that forgets the header sends it.
    const none = await request(http.app).post('/api/calls/erase').set(auth).set('Content-Length', '2').send(Buffer.from('{}')).expect(415);
    expect(none.body).toEqual({ error: `${WANTED}; this one came without a Content-Type` });
    const listed = await request(http.app).get('/api/calls').set(auth).expect(200);
    expect((listed.body as { calls: unknown[] }).calls).toHaveLength(3);
  });

  it('takes JSON with a charset, and a request with no body goes to the route, which says what it needs', async () => {
    const { http } = await adminSetup();
    await request(http.app).post('/api/calls/erase').set(auth).set('Content-Type', 'application/json; charset=utf-8').send('{"endedBefore":"2025-01-01T10:01:10Z"}').expect(200);
    const bare = await request(http.app).post('/api/calls/erase').set(auth).expect(400);
    expect(bare.body).toMatchObject({ problems: [{ path: [], message: 'must be a JSON object with endedBefore and/or from' }] });
    // An empty body in another type is no body (curl -X POST -d '').
    await request(http.app).post('/api/calls/erase').set(auth).type('form').send('').expect(400);
  });

  it('reads a chunked request without a length to its first bytes: an empty one is no body, one with bytes is judged by its type', async () => {
    const { http: h } = await adminSetup();
    const server = h.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    /** A raw chunked POST (as Go and Java clients send a body of unknown length), written in `chunks`. */
    const chunked = (headers: Record<string, string>, chunks: string[]) =>
      new Promise<{ status: number; body: unknown }>((resolve, reject) => {
        const req = http.request(
          { port: (server.address() as AddressInfo).port, host: '127.0.0.1', method: 'POST', path: '/api/calls/erase', headers: { Authorization: `Bearer ${TOKEN}`, 'Transfer-Encoding': 'chunked', ...headers } },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
          },
        );
        req.on('error', reject);
        for (const c of chunks) req.write(c);
        req.end();
      });
    try {
      const empty = await chunked({}, []);
      expect(empty).toEqual({ status: 400, body: expect.objectContaining({ problems: [{ path: [], message: 'must be a JSON object with endedBefore and/or from' }] }) });
      expect(await chunked({ 'Content-Type': 'text/plain' }, [])).toMatchObject({ status: 400 });
      expect(await chunked({}, ['{"endedBefore":', '"2025-01-02"}'])).toEqual({ status: 415, body: { error: `${WANTED}; this one came without a Content-Type` } });
      expect(await chunked({ 'Content-Type': 'application/json; charset=UTF-8' }, ['{"endedBefore":"2025-01-01T10:01:10Z",', '"dryRun":true}'])).toMatchObject({ status: 200, body: { calls: 1, dryRun: true } });
    } finally {
      server.close();
    }
  });

  it('answers a body in a charset other than UTF-8 415 too', async () => {
    const { http } = await adminSetup();
    const res = await request(http.app).post('/api/calls/erase').set(auth).set('Content-Type', 'application/json; charset=latin1').send('{}').expect(415);
    expect(res.body).toEqual({ error: `${WANTED} in UTF-8; this one says charset='latin1'` });
  });

  it('asks for the token before it looks at the body', async () => {
    const { http } = await adminSetup();
    await request(http.app).post('/api/calls/erase').type('form').send('endedBefore=2025-01-01').expect(401);
  });

  it('leaves routes without a body alone, whatever comes with them', async () => {
    const { http } = await adminSetup();
    await request(http.app).get('/api/calls/call-1').set(auth).type('form').send('x=1').expect(200);
  });
});

describe('a JSON body that does not parse', () => {
  it.each([
    ['{"endedBefore": ', 'the request body is not valid JSON: it ends before the JSON is complete'],
    ["{endedBefore: '2025-01-01'}", 'the request body is not valid JSON at line 1, column 2'],
    ['{\n  "endedBefore": "2025-01-01",\n}', 'the request body is not valid JSON at line 3, column 1'],
  ])('%j is answered 400 saying where it breaks', async (body, error) => {
    const { http } = await adminSetup();
    const res = await request(http.app).post('/api/calls/erase').set(auth).set('Content-Type', 'application/json').send(body).expect(400);
    expect(res.body).toEqual({ error });
  });

  it('is still called invalid JSON where the parser does not say where', async () => {
    const { http } = await adminSetup();
    const res = await request(http.app).post('/api/calls/erase').set(auth).set('Content-Type', 'application/json').send('endedBefore=2025-01-01').expect(400);
    expect(res.body).toEqual({ error: 'the request body is not valid JSON' });
  });
});
