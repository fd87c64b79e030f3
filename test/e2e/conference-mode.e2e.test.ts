/**
 * Conference mode from a dialled number, through both emulators and the real SDKs: the caller is
 * put in a conference, tolk dials the agent into it and joins as the interpreter. Each party
 * "speaks" a tone of its own, and the Gemini emulator tells their language by its pitch and speaks
 * each translation as a tone of the target language's own, so a recording shows exactly whom a
 * listener heard: the caller 500 Hz (es), the agent 700 Hz (en), translations into es 1100 Hz and
 * into en 1300 Hz.
 */
import { ADMIN_TOKEN, AGENT_NUMBER, CALLER_NUMBER, TOLK_NUMBER, keepWav, startRig, toneSeconds, waitUntil, type Rig, type RigOptions } from './harness';
import { tone } from '../twilio-emulator/signal';
import { message } from '../../src/call/messages';

jest.setTimeout(90_000);

const HZ = { caller: 500, agent: 700, toEs: 1100, toEn: 1300 };
const ALL_HZ = Object.values(HZ);

let rig: Rig;
afterEach(async () => {
  await rig?.close();
});

/** Seconds (in 0.5 s windows) during which each tone was heard clearly by party `sid`; its recording is kept as `wav` when named. */
function heardBy(sid: string, wav?: string): Record<number, number> {
  const recording = rig.twilio.recording(sid);
  if (wav) keepWav(wav, recording.heardWav());
  return toneSeconds(recording.heard, ALL_HZ);
}

/** The agent answers 1 s after tolk dials them and says 2 s at 11 s. */
function agentAnswers(): void {
  rig.twilio.setCallee(AGENT_NUMBER, { scenario: { kind: 'answer', afterSec: 1 }, speech: tone(2, HZ.agent, 6000), speakAfterSec: 11 });
}

function conferenceRig(interpretation: 'whisper' | 'open', extra: Partial<RigOptions> = {}): Promise<Rig> {
  return startRig({
    // 4x: turns 5 emulated seconds apart stay apart beyond tolk's 1.2 s utterance pause.
    speed: 4,
    interpreterApp: true,
    number: { mode: 'conference', interpretation },
    gemini: {
      voices: { languageByPitch: new Map([[HZ.caller, 'es'], [HZ.agent, 'en']]), translationTone: new Map([['es', HZ.toEs], ['en', HZ.toEn]]) },
    },
    ...extra,
  });
}

/** The states the newest call's record went through, as the admin API showed them (polled until `stop`). */
function watchRecordStates(): { states: string[]; stop: () => Promise<void> } {
  const states: string[] = [];
  let running = true;
  const api = async <T>(p: string): Promise<T> => (await (await fetch(`http://127.0.0.1:${rig.tolk.address.port}${p}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as T;
  const poll = (async () => {
    while (running) {
      const { calls } = await api<{ calls: { id: string }[] }>('/api/calls?limit=1');
      const state = calls[0] ? (await api<{ state: string }>(`/api/calls/${calls[0].id}`)).state : undefined;
      if (state && states[states.length - 1] !== state) states.push(state);
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  return {
    states,
    stop: async () => {
      running = false;
      await poll;
    },
  };
}

/** The caller says 2 s at 4 s, the agent answers 2 s at 11 s after joining (about 13 s), the caller hangs up at 20 s. */
async function placeCall(): Promise<{ callerSid: string; agentSid: string }> {
  agentAnswers();
  const callerSid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { speech: tone(2, HZ.caller, 6000), speakAfterSec: 4, hangupAfterSec: 20 } });
  await rig.twilio.waitForStatus(callerSid, 'completed', 30_000);
  const agentSid = rig.twilio.calls().find((c) => c.to === AGENT_NUMBER)?.sid;
  expect(agentSid).toBeDefined();
  return { callerSid, agentSid: agentSid! };
}

describe('a number in conference mode', () => {
  it('whisper: each party hears the other\'s own voice and only the translation meant for them', async () => {
    rig = await conferenceRig('whisper');
    const watch = watchRecordStates();
    const { callerSid, agentSid } = await placeCall();
    const ended = Date.now();
    // Every leg hung up and every session closed within 3 s of the caller leaving.
    await waitUntil(() => rig.twilio.calls().every((c) => c.status === 'completed'), 3000, 'every leg to end');
    await waitUntil(() => rig.tolk.calls.activeCalls === 0 && rig.gemini.stats().connectionsOpen === 0, 3000 - (Date.now() - ended), 'tolk to close its sessions');
    // The record's last write may land after the call's end, and the watcher's last look before it.
    await waitUntil(() => watch.states[watch.states.length - 1] === 'ended', 5000, 'the record to show the call ended');
    await watch.stop();
    // The record showed the conference bridged while tolk interpreted it, as a direct call's, then ended.
    expect(watch.states.slice(-2)).toEqual(['bridged', 'ended']);

    const c = heardBy(callerSid, 'conference-whisper-caller-heard.wav');
    const a = heardBy(agentSid, 'conference-whisper-agent-heard.wav');
    // The caller hears the agent's own voice and the agent's words in Spanish...
    expect(c[HZ.agent]).toBeGreaterThanOrEqual(1.5);
    expect(c[HZ.toEs]).toBeGreaterThanOrEqual(1.5);
    // ...and never the whisper meant for the agent, nor their own voice.
    expect(c[HZ.toEn]).toBe(0);
    expect(c[HZ.caller]).toBe(0);
    // The agent likewise.
    expect(a[HZ.caller]).toBeGreaterThanOrEqual(1.5);
    expect(a[HZ.toEn]).toBeGreaterThanOrEqual(1.5);
    expect(a[HZ.toEs]).toBe(0);
    expect(a[HZ.agent]).toBe(0);

    // Two whispering interpreter legs, one coaching each party, all gone now.
    const legs = rig.twilio.calls().filter((c2) => c2.to.startsWith('app:'));
    expect(legs).toHaveLength(2);
    const [record] = (await rig.tolk.records.list({ limit: 5 })).items;
    expect(record).toMatchObject({ kind: 'conference', state: 'ended', outcome: 'completed', endReason: 'the caller hung up', number: TOLK_NUMBER, answeredAt: expect.any(Date) as Date });
    expect(record.conference).toMatch(/^tolk-[0-9a-f-]{36}$/);
    expect(record.conference).not.toContain(CALLER_NUMBER.slice(1));
    const full = (await rig.tolk.records.get(record.id))!;
    expect(full.transcript.filter((u) => u.translation.text !== '').map((u) => [u.direction, u.source.languageCode, u.translation.languageCode]).sort()).toEqual([
      ['to:en', 'es', 'en'],
      ['to:es', 'en', 'es'],
    ]);
    // Each line says who spoke it: the caller's Spanish, the agent's English.
    for (const u of full.transcript) expect(u.speaker).toEqual(u.source.languageCode === 'es' ? { role: 'caller', callSid: callerSid } : { role: 'agent', callSid: agentSid });
    expect(rig.logs.filter((l) => l.event === 'conference.fallback')).toEqual([]);
    const metrics = await (await fetch(`http://127.0.0.1:${rig.tolk.address.port}/metrics`)).text();
    expect(metrics).toMatch(/^tolk_calls_by_kind_total\{kind="conference",outcome="completed"\} 1$/m);
    expect(metrics).toMatch(/^tolk_active_calls_by_kind\{kind="conference"\} 0$/m);
    // Every interpreter leg's join and leave is a log line with the call and conference ids.
    const legLines = rig.logs.filter((l) => l.event === 'conference.interpreter_joined' || l.event === 'conference.interpreter_left');
    expect(legLines).toHaveLength(4);
    for (const l of legLines) expect(l).toMatchObject({ callId: record.id, conferenceId: record.conference });
  });

  it('open: one interpreter leg everyone hears, and what it plays is never translated again', async () => {
    rig = await conferenceRig('open');
    const { callerSid, agentSid } = await placeCall();
    await waitUntil(() => rig.tolk.calls.activeCalls === 0 && rig.gemini.stats().connectionsOpen === 0, 3000, 'tolk to end the call');
    const c = heardBy(callerSid, 'conference-open-caller-heard.wav');
    const a = heardBy(agentSid);
    for (const heard of [c, a]) {
      expect(heard[HZ.toEs]).toBeGreaterThanOrEqual(1.5);
      expect(heard[HZ.toEn]).toBeGreaterThanOrEqual(1.5);
      // Each translation once: a translation heard again as speech would be translated again, and again.
      expect(heard[HZ.toEs]).toBeLessThanOrEqual(3.5);
      expect(heard[HZ.toEn]).toBeLessThanOrEqual(3.5);
    }
    expect(c[HZ.agent]).toBeGreaterThanOrEqual(1.5);
    expect(a[HZ.caller]).toBeGreaterThanOrEqual(1.5);
    expect(rig.twilio.calls().filter((x) => x.to.startsWith('app:'))).toHaveLength(1);
    const [record] = (await rig.tolk.records.list({ limit: 5 })).items;
    const full = (await rig.tolk.records.get(record.id))!;
    // Exactly one utterance was translated each way: nothing tolk played came back as speech.
    expect(full.transcript.filter((u) => u.translation.text !== '').map((u) => u.direction).sort()).toEqual(['to:en', 'to:es']);
  });

  it('whisper refused (no Agent Conference, error 16000): falls back to open, says why, and interprets', async () => {
    rig = await conferenceRig('whisper', { twilio: { agentConference: false } });
    const { callerSid } = await placeCall();
    await waitUntil(() => rig.tolk.calls.activeCalls === 0, 3000, 'tolk to end the call');
    const fallback = rig.logs.filter((l) => l.event === 'conference.fallback');
    expect(fallback).toHaveLength(1);
    expect(fallback[0]).toMatchObject({ requested: 'whisper', mode: 'open', reason: expect.stringContaining('16000') as unknown });
    expect(typeof fallback[0].callId).toBe('string');
    const c = heardBy(callerSid);
    expect(c[HZ.toEs]).toBeGreaterThanOrEqual(1.5);
  });

  it("whose interpreter TwiML App Twilio does not have (21218): each party hears, in their language, that interpretation is unavailable; they talk on, and the record says so", async () => {
    rig = await conferenceRig('whisper', { env: { TWILIO_TWIML_APP_SID: 'AP' + 'b'.repeat(32) } });
    const { callerSid, agentSid } = await placeCall();
    await waitUntil(() => rig.tolk.calls.activeCalls === 0, 5000, 'tolk to end the call');
    const [record] = (await rig.tolk.records.list({ limit: 1 })).items;
    // Each heard it alone, in their language, through their participant's announceUrl.
    const said = rig.twilio.events().flatMap((e) => (e.type === 'twiml' && e.verb === 'Say' && e.detail.in === 'announcement' ? [[e.callSid, e.detail.text, e.detail.language]] : []));
    expect(said).toEqual(
      expect.arrayContaining([
        [callerSid, message('translationUnavailable', 'es'), 'es-ES'],
        [agentSid, message('translationUnavailable', 'en'), 'en-US'],
      ]),
    );
    expect(said).toHaveLength(2);
    expect(rig.twilio.events().filter((e) => e.type === 'conference.update' && e.action === 'announcement-end')).toHaveLength(2);
    // The parties talked on until the caller hung up: the call was connected, never interpreted.
    expect(record).toMatchObject({ kind: 'conference', state: 'ended', outcome: 'completed', answeredAt: expect.any(Date) as Date });
    expect(record.endReason).toMatch(/^the caller hung up \(uninterpreted: every interpreter leg failed: Twilio 400 error 21218: /);
    expect(record.endedAt!.getTime() - record.answeredAt!.getTime()).toBeGreaterThan(4000 / rig.speed);
    expect(rig.logs.filter((l) => l.event === 'conference.uninterpreted')).toEqual([expect.objectContaining({ level: 'warn', callId: record.id })]);
  });

  it('whose interpreter legs an overloaded Twilio refuses for now (503): each party hears interpretation is unavailable, then, once a leg asked for again joins, that it is back, and is interpreted', async () => {
    rig = await conferenceRig('whisper');
    rig.twilio.refuseParticipants({ toPrefix: 'app:', status: 503 });
    rig.twilio.setCallee(AGENT_NUMBER, { scenario: { kind: 'answer', afterSec: 1 } });
    const callerSid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: {} });
    const logged = (event: string) => rig.logs.filter((l) => l.event === event);
    const announced = (text: (language: string) => string) =>
      rig.twilio.events().flatMap((e) => (e.type === 'twiml' && e.verb === 'Say' && e.detail.in === 'announcement' && (e.detail.text === text('es') || e.detail.text === text('en')) ? [[e.callSid, e.detail.text, e.detail.language]] : []));
    const unavailable = (language: string) => message('translationUnavailable', language);
    const back = (language: string) => message('interpretationBack', language);

    // The dial queue's own retries of each leg (its 30 s to be placed) end first: the parties are told, each in their language.
    await waitUntil(() => announced(unavailable).length === 2, 45_000, 'the parties to hear interpretation is unavailable');
    const agentSid = rig.twilio.calls().find((c) => c.to === AGENT_NUMBER)!.sid;
    expect(announced(unavailable)).toEqual(
      expect.arrayContaining([
        [callerSid, unavailable('es'), 'es-ES'],
        [agentSid, unavailable('en'), 'en-US'],
      ]),
    );
    expect(logged('conference.uninterpreted')).toHaveLength(1);
    expect(rig.twilio.calls().filter((c) => c.to.startsWith('app:'))).toEqual([]);

    // Twilio recovers: the legs asked for again join, and each party hears, in their language, that interpretation is back.
    rig.twilio.refuseParticipants(undefined);
    await waitUntil(() => announced(back).length === 2, 30_000, 'the parties to hear interpretation is back');
    expect(announced(back)).toEqual(
      expect.arrayContaining([
        [callerSid, back('es'), 'es-ES'],
        [agentSid, back('en'), 'en-US'],
      ]),
    );
    expect(logged('conference.leg_retry')).toHaveLength(1);
    expect(logged('conference.interpreted_again')).toHaveLength(1);

    // The caller speaks: the agent hears it in English.
    rig.twilio.say(callerSid, tone(2, HZ.caller, 6000));
    await waitUntil(() => (heardBy(agentSid)[HZ.toEn] ?? 0) >= 1.5, 15_000, 'the agent to hear the caller interpreted');
    rig.twilio.hangup(callerSid);
    await waitUntil(() => rig.tolk.calls.activeCalls === 0, 5000, 'tolk to end the call');
    const [record] = (await rig.tolk.records.list({ limit: 1 })).items;
    // It ended interpreted: the record does not call it uninterpreted.
    expect(record).toMatchObject({ kind: 'conference', outcome: 'completed', endReason: 'the caller hung up' });
  });

  it('the destination busy: the caller is told, and the conference and every leg end', async () => {
    rig = await conferenceRig('whisper');
    rig.twilio.setCallee(AGENT_NUMBER, { scenario: { kind: 'busy' } });
    const callerSid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { hangupAfterSec: 30 } });
    await rig.twilio.waitForStatus(callerSid, 'completed', 20_000);
    await waitUntil(() => rig.tolk.calls.activeCalls === 0 && rig.gemini.stats().connectionsOpen === 0, 5000, 'tolk to end the call');
    await waitUntil(() => rig.twilio.calls().every((c) => c.status !== 'in-progress' && c.status !== 'ringing' && c.status !== 'queued'), 5000, 'every leg to end');
    const [record] = (await rig.tolk.records.list({ limit: 1 })).items;
    expect(record).toMatchObject({ kind: 'conference', outcome: 'busy', endReason: 'the agent was busy' });
    expect(rig.logs.some((l) => l.event === 'conference.party_unreachable' && l.reason === 'busy')).toBe(true);
  });

  it('a call tolk places to a customer of a number in conference mode: greeted, then interpreted in the conference', async () => {
    rig = await conferenceRig('whisper');
    // The customer answers after 1 s, speaks 2 s at 8 s (after the greeting) and hangs up at 24 s.
    rig.twilio.setCallee(CALLER_NUMBER, { scenario: { kind: 'answer', afterSec: 1 }, speech: tone(2, HZ.caller, 6000), speakAfterSec: 8, hangupAfterSec: 24 });
    agentAnswers();
    const res = await fetch(`http://127.0.0.1:${rig.tolk.address.port}/api/calls`, {
      method: 'POST',
      headers: { authorization: 'Bearer admin-token-for-tests-0123456789', 'content-type': 'application/json' },
      body: JSON.stringify({ line: TOLK_NUMBER, to: CALLER_NUMBER }),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    await waitUntil(() => rig.twilio.calls().some((c) => c.to === CALLER_NUMBER), 10_000, 'tolk to call the customer');
    const customerSid = rig.twilio.calls().find((c) => c.to === CALLER_NUMBER)!.sid;
    await rig.twilio.waitForStatus(customerSid, 'completed', 30_000);
    const agentSid = rig.twilio.calls().find((c) => c.to === AGENT_NUMBER)?.sid;
    expect(agentSid).toBeDefined();
    await waitUntil(() => rig.tolk.calls.activeCalls === 0, 5000, 'tolk to end the call');

    const says = rig.twilio.events().filter((e) => e.type === 'twiml' && e.callSid === customerSid && e.verb === 'Say');
    expect(says[0]).toMatchObject({ detail: { text: message('greeting', 'es') } });
    const c = heardBy(customerSid);
    const a = heardBy(agentSid!);
    expect(c[HZ.agent]).toBeGreaterThanOrEqual(1.5);
    expect(c[HZ.toEs]).toBeGreaterThanOrEqual(1.5);
    expect(a[HZ.caller]).toBeGreaterThanOrEqual(1.5);
    expect(a[HZ.toEn]).toBeGreaterThanOrEqual(1.5);
    const record = (await rig.tolk.records.get(id))!;
    expect(record).toMatchObject({ kind: 'conference', conference: `tolk-${id}`, outcome: 'completed', endReason: 'the caller hung up', from: CALLER_NUMBER, outbound: { attempts: 1 } });
    // Every leg tolk placed waited its turn in the dial queue: the customer, the agent, both interpreters.
    const dialled = (await rig.tolk.jobs.list({ queue: 'dial', limit: 50 })).map((j) => j.id.replace(id, 'ID').replace(/\.\d+$/, ''));
    expect(dialled.sort()).toEqual(['dial.ID.caller', 'dial.ID.party', 'dial.ID.to-agent', 'dial.ID.to-caller'].sort());
  });
});
