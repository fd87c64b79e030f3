import request from 'supertest';
import { InMemoryCallRecordStore } from '../../src/store/in-memory-call-record-store';
import { adminSetup, auth, CONFERENCE_PARTIES, seedConference } from './helpers/admin-app';

type Page = { calls: { id: string; transcript?: unknown }[]; nextCursor?: string };
const ids = (body: unknown) => (body as Page).calls.map((c) => c.id);

describe('GET /api/calls', () => {
  it('lists calls newest first, without transcripts', async () => {
    const { http } = await adminSetup();
    const res = await request(http.app).get('/api/calls').set(auth).expect(200);
    expect(ids(res.body)).toEqual(['call-3', 'call-2', 'call-1']);
    expect((res.body as Page).calls[2]).not.toHaveProperty('transcript');
    expect(res.body).not.toHaveProperty('nextCursor');
  });

  it("says in a call's record that its interpretation failed, and why in plain words with the setting to check", async () => {
    const setup = await adminSetup();
    await setup.calls.update('call-1', { interpretationFailure: { kind: 'auth', message: 'Gemini refused the API key: check GEMINI_API_KEY' } });
    const res = await request(setup.http.app).get('/api/calls/call-1').set(auth).expect(200);
    expect(res.body).toMatchObject({ interpretationFailure: { kind: 'auth', message: 'Gemini refused the API key: check GEMINI_API_KEY' } });
  });

  it('filters by number, outcome and time range', async () => {
    const { http } = await adminSetup();
    const get = async (query: Record<string, string>) => ids((await request(http.app).get('/api/calls').query(query).set(auth).expect(200)).body);
    expect(await get({ number: '+15550001111' })).toEqual(['call-3', 'call-1']);
    expect(await get({ number: '+1 555 000 3333' })).toEqual(['call-2']);
    expect(await get({ outcome: 'busy' })).toEqual(['call-2']);
    expect(await get({ from: '2025-01-01T10:01:00Z' })).toEqual(['call-3', 'call-2']);
    expect(await get({ to: '2025-01-01T11:01:00+01:00' })).toEqual(['call-1']);
    expect(await get({ from: '2025-01-01', to: '2025-01-02' })).toEqual(['call-3', 'call-2', 'call-1']);
    expect(await get({ from: '2025-01-02' })).toEqual([]);
  });

  it('pages with limit and cursor until the last page', async () => {
    const { http } = await adminSetup();
    const first = (await request(http.app).get('/api/calls?limit=2').set(auth).expect(200)).body as Page;
    expect(ids(first)).toEqual(['call-3', 'call-2']);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = (await request(http.app).get('/api/calls').query({ limit: 2, cursor: first.nextCursor }).set(auth).expect(200)).body as Page;
    expect(ids(second)).toEqual(['call-1']);
    expect(second.nextCursor).toBeUndefined();
  });

  it('answers 400 naming each bad parameter', async () => {
    const { http } = await adminSetup();
    const res = await request(http.app)
      .get('/api/calls?number=sales&from=yesterday&to=2025-01-01T10:00:00&outcome=hung-up&limit=0&cursor=bogus&colour=red')
      .set(auth)
      .expect(400);
    const body = res.body as { error: string; problems: { path: string[]; message: string }[] };
    expect(body.error).toBe('invalid query');
    const byField = Object.fromEntries(body.problems.map((p) => [p.path[0], p.message]));
    expect(Object.keys(byField).sort()).toEqual(['colour', 'from', 'limit', 'number', 'outcome', 'to']);
    expect(byField.from).toContain("'yesterday' is not an ISO 8601 date");
    expect(byField.to).toContain('with a zone');
    expect(byField.outcome).toContain('completed, busy');
    expect(byField.limit).toBe('must be a whole number from 1 to 500');
    expect(byField.colour).toContain('unknown parameter');
  });

  it('answers 400 for a cursor it did not issue, an inverted range, a repeated or oversized parameter', async () => {
    const { http } = await adminSetup();
    const problems = async (qs: string) => ((await request(http.app).get(`/api/calls?${qs}`).set(auth).expect(400)).body as { problems: unknown }).problems;
    expect(await problems('cursor=bogus')).toEqual([{ path: ['cursor'], message: 'is not a cursor this API returned' }]);
    expect(await problems('from=2025-01-02&to=2025-01-01')).toEqual([{ path: ['to'], message: 'must be later than from' }]);
    expect(await problems('outcome=busy&outcome=failed')).toEqual([{ path: ['outcome'], message: 'must be given once' }]);
    expect(await problems('limit=501')).toEqual([{ path: ['limit'], message: 'must be a whole number from 1 to 500' }]);
  });

  it('finds calls by the first characters of their id (idPrefix), in any case, newest first, bounded by limit', async () => {
    const { http } = await adminSetup();
    const get = async (query: Record<string, string>) => ids((await request(http.app).get('/api/calls').query(query).set(auth).expect(200)).body);
    expect(await get({ idPrefix: 'call-' })).toEqual(['call-3', 'call-2', 'call-1']);
    expect(await get({ idPrefix: 'call-2' })).toEqual(['call-2']);
    expect(await get({ idPrefix: 'CALL-' })).toEqual(['call-3', 'call-2', 'call-1']);
    expect(await get({ idPrefix: 'Call-2' })).toEqual(['call-2']);
    expect(await get({ idPrefix: 'call-', limit: '2' })).toEqual(['call-3', 'call-2']);
    expect(await get({ idPrefix: 'call-', outcome: 'busy' })).toEqual(['call-2']);
  });

  it('answers 400 for an id prefix that cannot begin a call id', async () => {
    const { http } = await adminSetup();
    const problems = async (qs: string) => ((await request(http.app).get(`/api/calls?${qs}`).set(auth).expect(400)).body as { problems: unknown }).problems;
    expect(await problems('idPrefix=')).toEqual([{ path: ['idPrefix'], message: 'must not be empty (leave it out for every call)' }]);
    expect(await problems('idPrefix=call%201')).toEqual([{ path: ['idPrefix'], message: expect.stringContaining("'call 1' is not the beginning of a call id") }]);
    expect(await problems(`idPrefix=${'a'.repeat(129)}`)).toEqual([{ path: ['idPrefix'], message: 'must be at most 128 characters' }]);
  });

  it('needs the token', async () => {
    const { http } = await adminSetup();
    await request(http.app).get('/api/calls').expect(401);
    await request(http.app).get('/api/calls/call-1').expect(401);
  });
});

describe('POST /api/calls/:id/hangup', () => {
  /** A call service holding call-3 (ringing): hanging it up ends it as the call core would record it. */
  async function live() {
    const ended: string[] = [];
    const setup = await adminSetup({
      hangUp: async (id) => {
        if (id !== 'call-3' || ended.includes(id)) return false;
        ended.push(id);
        await setup.calls.update(id, { state: 'ended', outcome: 'hungup_by_operator', endedAt: new Date('2025-01-01T10:03:00.000Z') });
        return true;
      },
    });
    return { ...setup, ended };
  }

  it('ends a call in progress and answers with its record, ended by the operator', async () => {
    const { http, ended } = await live();
    const res = await request(http.app).post('/api/calls/call-3/hangup').set(auth).expect(200);
    expect(ended).toEqual(['call-3']);
    expect(res.body).toMatchObject({ id: 'call-3', state: 'ended', outcome: 'hungup_by_operator', transcript: [] });
  });

  it('answers 409 for a call that has ended, 404 for none, 400 for an impossible id, 401 without the token', async () => {
    const { http } = await live();
    await request(http.app).post('/api/calls/call-1/hangup').set(auth).expect(409, { error: "call 'call-1' has already ended (completed)" });
    await request(http.app).post('/api/calls/call-3/hangup').set(auth).expect(200);
    await request(http.app).post('/api/calls/call-3/hangup').set(auth).expect(409, { error: "call 'call-3' has already ended (hungup_by_operator)" });
    await request(http.app).post('/api/calls/nope/hangup').set(auth).expect(404, { error: "call 'nope' not found" });
    await request(http.app).post(`/api/calls/${'x'.repeat(129)}/hangup`).set(auth).expect(400);
    await request(http.app).post('/api/calls/call-3/hangup').expect(401);
  });

  it('answers 409 for a call recorded as in progress that this instance does not hold, and 501 when it cannot end calls', async () => {
    const { http } = await adminSetup({ hangUp: () => Promise.resolve(false) });
    await request(http.app).post('/api/calls/call-3/hangup').set(auth).expect(409, { error: "call 'call-3' is not in progress on any tolk instance that is up" });
    const without = await adminSetup();
    await request(without.http.app).post('/api/calls/call-3/hangup').set(auth).expect(501);
  });
});

describe('GET /api/calls/:id', () => {
  it('returns the record with its transcript, 404 for an unknown id', async () => {
    const { http } = await adminSetup();
    const res = await request(http.app).get('/api/calls/call-1').set(auth).expect(200);
    expect(res.body).toMatchObject({ id: 'call-1', outcome: 'completed', transcript: [{ source: { text: 'Hola, tengo un problema con mi pedido.' } }] });
    await request(http.app).get('/api/calls/nope').set(auth).expect(404, { error: "call 'nope' not found" });
  });
});

describe('GET /api/calls/:id of a conference', () => {
  it("names each line's speaker where tolk recorded one, and no speaker where it could not tell", async () => {
    const calls = new InMemoryCallRecordStore();
    await seedConference(calls);
    const { http } = await adminSetup({ calls });
    const res = await request(http.app).get('/api/calls/conf-1').set(auth).expect(200);
    const transcript = (res.body as { transcript: Record<string, unknown>[] }).transcript;
    expect(transcript.map((u) => [u.direction, u.speaker])).toEqual([
      ['to:en', { role: 'caller', callSid: CONFERENCE_PARTIES.caller }],
      ['to:es', { role: 'participant', callSid: CONFERENCE_PARTIES.guest }],
      ['to:es', undefined],
    ]);
    expect(transcript[2]).not.toHaveProperty('speaker');
  });
});
