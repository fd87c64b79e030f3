/**
 * Joining a conference in progress by API (as for Flex, where every call is a conference), through
 * both emulators and the real SDKs. People dial into the conference by name; each "speaks" a tone
 * of its own, and the Gemini emulator tells their language by its pitch and speaks each
 * translation as a tone of the target language's own: es 500 Hz, en 700 and 900 Hz, de 800 Hz;
 * translations into es 1100 Hz, into en 1300 Hz, into de 1500 Hz.
 */
import { runCli } from '../../src/cli/program';
import { tone } from '../twilio-emulator/signal';
import { callTime } from '../twilio-emulator/timeline';
import { conferenceParties, keepWav, startRig, toneSeconds, waitUntil, type Rig } from './harness';

jest.setTimeout(120_000);

const VOICE = { es: 500, en: 700, en2: 900, de: 800 };
const TO = { es: 1100, en: 1300, de: 1500 };
const ALL_HZ = [...Object.values(VOICE), ...Object.values(TO)];
const AUTH = { authorization: 'Bearer admin-token-for-tests-0123456789', 'content-type': 'application/json' };
const ROOM = 'WT' + '1'.repeat(32);

let rig: Rig;
afterEach(async () => {
  await rig?.close();
});

function start(env: Record<string, string> = {}): Promise<Rig> {
  return startRig({
    env,
    // 4x: turns 6 emulated seconds apart stay apart beyond tolk's 1.2 s utterance pause.
    speed: 4,
    interpreterApp: true,
    gemini: {
      voices: {
        languageByPitch: new Map([[VOICE.es, 'es'], [VOICE.en, 'en'], [VOICE.en2, 'en'], [VOICE.de, 'de']]),
        translationTone: new Map([['es', TO.es], ['en', TO.en], ['de', TO.de]]),
      },
    },
  });
}

const api = (path: string, init: RequestInit = {}): Promise<Response> => fetch(`http://127.0.0.1:${rig.tolk.address.port}/api${path}`, { ...init, headers: { ...AUTH, ...(init.headers ?? {}) } });

/** Asks tolk to join ROOM as its interpreter. */
const join = (body: unknown): Promise<Response> => api(`/conferences/${ROOM}/interpreter`, { method: 'POST', body: JSON.stringify(body) });

interface Interpreter {
  callId: string;
  mode: string;
  requestedMode: string;
  fallback?: string;
  participants: { callSid: string; language?: string }[];
  sessions: { language: string; state: string }[];
  latencyMs: Record<string, number>;
  lagMs: Record<string, number>;
}

async function show(): Promise<Interpreter | undefined> {
  const res = await api(`/conferences/${ROOM}/interpreter`);
  return res.status === 200 ? ((await res.json()) as Interpreter) : undefined;
}

/** Seconds (in 0.5 s windows) during which each tone was heard clearly by party `sid`. */
function heardBy(sid: string): Record<number, number> {
  return toneSeconds(rig.twilio.recording(sid).heard, ALL_HZ);
}

/**
 * Each person says 2 s of their tone in turn, 6 s apart; resolves once the last has finished and
 * been translated, by every call's own timeline (what it has played), which on a busy machine runs
 * behind the wall clock.
 */
async function takeTurns(sids: string[], voices: number[]): Promise<void> {
  const until = sids.map((sid) => callTime(rig.twilio, sid) + 4 + 6 * sids.length);
  sids.forEach((sid, i) => rig.twilio.say(sid, tone(2, voices[i], 6000), { inSec: 1 + 6 * i }));
  await waitUntil(() => sids.every((sid, i) => callTime(rig.twilio, sid) >= until[i]), 60_000, 'the turns to be taken');
}

/** Waits until party `sid` has heard `hz` for at least `sec` (audio plays in real time, later on a busy machine). */
async function heardAtLeast(sid: string, hz: number, sec: number): Promise<void> {
  await waitUntil(() => heardBy(sid)[hz] >= sec, 20_000, `${sec} s of ${hz} Hz on ${sid}`);
}

async function sessionsOpen(n: number): Promise<void> {
  await waitUntil(async () => {
    const i = await show();
    return i !== undefined && i.sessions.length === n && i.sessions.every((s) => s.state === 'open');
  }, 15_000, `${n} open sessions`);
}

describe('joining a conference in progress', () => {
  it('whisper, three parties in two languages: each hears only their own language; leaving by API leaves the conference going', async () => {
    rig = await start();
    const voices = [VOICE.es, VOICE.en, VOICE.en2];
    const sids = await conferenceParties(rig, ROOM, voices.length);

    expect((await join({ mode: 'loud', participants: [{ callSid: 'CA1', language: 'xx' }] })).status).toBe(400);
    expect((await fetch(`http://127.0.0.1:${rig.tolk.address.port}/api/conferences/${ROOM}/interpreter`, { method: 'POST' })).status).toBe(401);
    expect((await api('/conferences/no-such-room/interpreter', { method: 'POST', body: '{}' })).status).toBe(404);

    const body = { mode: 'whisper', participants: [{ callSid: sids[0], language: 'es' }, { callSid: sids[1], language: 'en' }, { callSid: sids[2], language: 'en' }] };
    const joined = await join(body);
    expect(joined.status).toBe(201);
    expect(await joined.json()).toMatchObject({ mode: 'whisper', requestedMode: 'whisper' });
    expect((await join(body)).status).toBe(409);
    // Parties sharing a language share one session: two sessions for three parties.
    await sessionsOpen(2);
    await takeTurns(sids, voices);
    await heardAtLeast(sids[0], TO.es, 3);
    for (const sid of sids.slice(1)) await heardAtLeast(sid, TO.en, 1.5);

    const heard = sids.map(heardBy);
    sids.forEach((sid, i) => keepWav(`join-2lang-${i}-heard.wav`, rig.twilio.recording(sid).heardWav()));
    const [es, en1, en2] = heard;
    // The Spanish speaker hears both English speakers' voices and their words in Spanish, nothing in English.
    expect(es[VOICE.en]).toBeGreaterThanOrEqual(1.5);
    expect(es[VOICE.en2]).toBeGreaterThanOrEqual(1.5);
    expect(es[TO.es]).toBeGreaterThanOrEqual(3);
    expect(es[TO.en]).toBe(0);
    // Each English speaker hears the Spanish words in English (fanned out from one session), never the Spanish whisper.
    for (const en of [en1, en2]) {
      expect(en[VOICE.es]).toBeGreaterThanOrEqual(1.5);
      expect(en[TO.en]).toBeGreaterThanOrEqual(1.5);
      expect(en[TO.en]).toBeLessThanOrEqual(3.5);
      expect(en[TO.es]).toBe(0);
    }
    expect(en1[VOICE.en2]).toBeGreaterThanOrEqual(1.5);
    const shown = (await show())!;
    expect(shown.participants.map((p) => p.language).sort()).toEqual(['en', 'en', 'es']);
    expect(Object.keys(shown.latencyMs).sort()).toEqual(['en', 'es']);
    expect(Object.keys(shown.lagMs).sort()).toEqual(['en', 'es']);

    // Leaving: the interpreter legs go, the conference goes on.
    expect((await api(`/conferences/${ROOM}/interpreter`, { method: 'DELETE' })).status).toBe(204);
    await waitUntil(() => rig.twilio.calls().filter((c) => c.to.startsWith('app:')).every((c) => c.status === 'completed'), 5000, 'the interpreter legs to hang up');
    await waitUntil(() => rig.tolk.calls.activeCalls === 0 && rig.gemini.stats().connectionsOpen === 0, 3000, 'the sessions to close');
    expect(rig.twilio.conference(ROOM)?.status).toBe('in-progress');
    expect(rig.twilio.conference(ROOM)?.participants).toHaveLength(3);
    expect((await api(`/conferences/${ROOM}/interpreter`)).status).toBe(404);
    expect((await api(`/conferences/${ROOM}/interpreter`, { method: 'DELETE' })).status).toBe(404);
    const [record] = (await rig.tolk.records.list({ limit: 5 })).items;
    expect(record).toMatchObject({ kind: 'conference', conference: ROOM, outcome: 'completed', endReason: 'tolk was asked to leave; the conference goes on' });
  });

  it('three parties in three languages: each hears the two others in their own language only', async () => {
    rig = await start();
    const voices = [VOICE.es, VOICE.en, VOICE.de];
    const sids = await conferenceParties(rig, ROOM, voices.length);
    const langs = ['es', 'en', 'de'];
    const res = await join({ participants: sids.map((callSid, i) => ({ callSid, language: langs[i] })) });
    expect(res.status).toBe(201);
    await sessionsOpen(3);
    await takeTurns(sids, voices);
    const mine = [TO.es, TO.en, TO.de];
    for (const [i, sid] of sids.entries()) await heardAtLeast(sid, mine[i], 3);
    const heard = sids.map(heardBy);
    heard.forEach((h, i) => {
      // Two others spoke: their words in my language, about 2 s each...
      expect(h[mine[i]]).toBeGreaterThanOrEqual(3);
      // ...and no translation meant for anyone else.
      for (const other of mine.filter((_, j) => j !== i)) expect(h[other]).toBe(0);
    });
    // The conference ends: tolk leaves with it.
    for (const sid of sids) rig.twilio.hangup(sid);
    await waitUntil(() => rig.tolk.calls.activeCalls === 0, 5000, 'tolk to leave the ended conference');
    const [record] = (await rig.tolk.records.list({ limit: 1 })).items;
    expect(record).toMatchObject({ kind: 'conference', outcome: 'completed', endReason: 'the last party left' });
    // Each transcript line says which of the three spoke it, as the admin API shows the record.
    const { transcript } = (await (await api(`/calls/${record.id}`)).json()) as { transcript: { source: { languageCode: string }; speaker?: { role: string; callSid: string } }[] };
    expect(transcript.length).toBeGreaterThanOrEqual(6);
    for (const line of transcript) expect(line.speaker).toEqual({ role: 'participant', callSid: sids[langs.indexOf(line.source.languageCode)] });
    expect(new Set(transcript.map((l) => l.speaker?.callSid))).toEqual(new Set(sids));
  });

  it('a language nobody named is detected from the first utterance and gets its session', async () => {
    rig = await start();
    const voices = [VOICE.es, VOICE.en];
    const sids = await conferenceParties(rig, ROOM, voices.length);
    // Only the agent's language is given.
    expect((await join({ participants: [{ callSid: sids[1], language: 'en' }] })).status).toBe(201);
    await sessionsOpen(1);
    await takeTurns(sids, voices);
    await heardAtLeast(sids[1], TO.en, 1.5);
    await heardAtLeast(sids[0], TO.es, 1.5);
    const shown = (await show())!;
    expect(shown.participants.find((p) => p.callSid === sids[0])?.language).toBe('es');
    expect(shown.sessions.map((s) => s.language).sort()).toEqual(['en', 'es']);
    const [es, en] = sids.map(heardBy);
    // The caller's first words already reached the agent in English; the agent's answer reached the caller in Spanish.
    expect(en[TO.en]).toBeGreaterThanOrEqual(1.5);
    expect(es[TO.es]).toBeGreaterThanOrEqual(1.5);
    expect(es[TO.en]).toBe(0);
    expect(rig.logs.some((l) => l.event === 'conference.language_detected' && l.languageCode === 'es')).toBe(true);
  });

  it('a language beyond TOLK_MAX_CONFERENCE_LANGUAGES gets no session; its speaker is still heard by the others in theirs', async () => {
    rig = await start({ TOLK_MAX_CONFERENCE_LANGUAGES: '2' });
    const voices = [VOICE.es, VOICE.en, VOICE.de];
    const sids = await conferenceParties(rig, ROOM, voices.length);
    expect((await join({ participants: [{ callSid: sids[1], language: 'en' }] })).status).toBe(201);
    await sessionsOpen(1);
    // Spanish is heard first and takes the second place; German, heard last, finds none.
    await takeTurns(sids, voices);
    await heardAtLeast(sids[0], TO.es, 1.5);
    await heardAtLeast(sids[1], TO.en, 3);
    const shown = (await show())!;
    expect(shown.sessions.map((s) => s.language).sort()).toEqual(['en', 'es']);
    expect(shown.participants.find((p) => p.callSid === sids[2])?.language).toBeUndefined();
    const [es, en, de] = sids.map(heardBy);
    // The German speaker's words still reach the others, each in their own language...
    expect(es[TO.es]).toBeGreaterThanOrEqual(3);
    expect(en[TO.en]).toBeGreaterThanOrEqual(3);
    // ...but nothing is put into German for them, and the operator's log says why.
    expect(de[TO.de]).toBe(0);
    expect(rig.logs.some((l) => l.event === 'conference.language_limit' && l.languageCode === 'de' && l.max === 2)).toBe(true);
  });

  it('a session failing for good leaves the other running; its listener is told', async () => {
    rig = await start();
    const voices = [VOICE.es, VOICE.en];
    const sids = await conferenceParties(rig, ROOM, voices.length);
    await join({ participants: [{ callSid: sids[0], language: 'es' }, { callSid: sids[1], language: 'en' }] });
    await sessionsOpen(2);
    const toEs = rig.gemini.sessions.find((s) => s.setup?.targetLanguageCode === 'es')!;
    toEs.quota();
    await waitUntil(async () => (await show())?.sessions.find((s) => s.language === 'es')?.state === 'failed', 10_000, 'the es session to fail');
    await takeTurns(sids, voices);
    await heardAtLeast(sids[1], TO.en, 1.5);
    const [es, en] = sids.map(heardBy);
    // The English translation carries on...
    expect(en[TO.en]).toBeGreaterThanOrEqual(1.5);
    expect((await show())!.sessions.find((s) => s.language === 'en')?.state).toBe('open');
    // ...the Spanish speaker gets no translation, but was told (a spoken notice, not a tone of ours).
    expect(es[TO.es]).toBe(0);
    expect(rig.logs.some((l) => l.event === 'call.translation_unavailable' && l.route === 'to:es')).toBe(true);
    const notice = rig.twilio.recording(sids[0]).heard;
    let loud = 0;
    for (let i = 0; i + 160 <= notice.length; i += 160) {
      let e = 0;
      for (let j = 0; j < 160; j++) e += notice[i + j] * notice[i + j];
      if (Math.sqrt(e / 160) > 300) loud++;
    }
    // More sound than the English speaker's 2 s of voice: the notice was heard too.
    expect(loud * 0.02).toBeGreaterThan(2.5);
  });

  it('tolk conferences join, show and leave drive the same API', async () => {
    rig = await start();
    const sids = await conferenceParties(rig, ROOM, 2);
    const tolk = async (...args: string[]) => {
      let out = '';
      let err = '';
      const code = await runCli(args, { TOLK_URL: `http://127.0.0.1:${rig.tolk.address.port}`, ADMIN_TOKEN: 'admin-token-for-tests-0123456789' }, { out: (t) => void (out += t), err: (t) => void (err += t) });
      return { code, out, err };
    };
    const bad = await tolk('conferences', 'join', ROOM, '--participant', 'CA1=es');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('is not CALLSID=LANGUAGE');
    const refused = await tolk('conferences', 'join', ROOM, '--participant', `${sids[0]}=spanish`);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/participants\.0\.language: unknown language 'spanish'/);
    const joined = await tolk('conferences', 'join', ROOM, '--mode', 'open', '--participant', `${sids[0]}=es`, '--participant', `${sids[1]}=en`);
    expect(joined).toMatchObject({ code: 0 });
    expect(joined.out).toContain(`Joining ${ROOM} as its interpreter.`);
    expect(joined.out).toMatch(/Mode\s+open/);
    await sessionsOpen(2);
    const shown = await tolk('conferences', 'show', ROOM, '--json');
    const state = JSON.parse(shown.out) as { legs: { callSid: string; state: string }[] };
    expect(state).toMatchObject({ state: 'live', mode: 'open', sessions: [{ state: 'open' }, { state: 'open' }], legs: [{ state: 'connected' }] });
    // The text form says the same: live, and the interpreter's one open leg by its call SID.
    const text = await tolk('conferences', 'show', ROOM);
    expect(text.out).toMatch(/^State\s+live$/m);
    expect(text.out).toMatch(new RegExp(`^Legs\\s+${state.legs[0].callSid} connected$`, 'm'));
    expect((await tolk('conferences', 'join', ROOM)).code).toBe(1);
    expect(await tolk('conferences', 'leave', ROOM)).toMatchObject({ code: 0, out: `Left ${ROOM}.\n` });
    const gone = await tolk('conferences', 'show', ROOM);
    expect(gone.code).toBe(1);
    expect(gone.err).toContain(`tolk is not interpreting conference ${ROOM}`);
  });
});
