/**
 * A live call moving between instances, seen from each side: the instance giving it up takes its
 * media ending for the move (and goes on as before if the move does not happen), and the one
 * adopting it rebuilds it from its record, opens its sessions before its media is moved, and takes
 * it over in the directory first (a frame tick that throws there before the adoption has settled
 * cuts off no one the giving instance may still serve); a conference's transcript names the same
 * speakers after the move as before it.
 */
import { CallService } from '../../src/call/call-service';
import { TICK_FAILED } from '../../src/call/direct-call';
import { CallEventBus, type CallEvent } from '../../src/call/events';
import { ManualFrameClock } from '../../src/call/frame-clock';
import { InterpreterLegRefusedError, LegNotMovedError, type AddPartyRequest, type AdoptResult, type CallMetrics, type CallOwnership, type DialRequest, type LegReport, type Telephony } from '../../src/call/ports';
import type { PromptLibrary } from '../../src/call/prompts';
import { recordCalls } from '../../src/call/subscribers/records';
import { StaticNumberDirectory, type NumberSettings } from '../../src/config/numbers';
import { InMemoryCallRecordStore } from '../../src/store/in-memory-call-record-store';
import { LiveFeed } from '../../src/live/live-feed';
import { fromSnapshot, talkText, type WireEvent } from '../../console/src/lib/live';
import { Writable } from 'node:stream';
import { encodeMulaw } from '../../src/audio';
import { createLogger, type Logger } from '../../src/log/logger';
import type { SpeechHandOver } from '../../src/call/ports';
import { FakeConferences } from './fakes/fake-conferences';
import { FakeMediaLeg } from './fakes/fake-media-leg';
import { FakeTranslatorFactory } from './fakes/fake-translator';
import { flush, quietMetrics as metrics, silentLogger } from './fakes/rig-fixtures';
import { prng } from './fakes/simulated-clock';

const CALLER_SID = 'CA' + '1'.repeat(32);
const AGENT_SID = 'CA' + '2'.repeat(32);
const NUMBER: NumberSettings = { number: '+15550001111', destination: '+15550002222', callerLanguage: 'es', agentLanguage: 'en', echoTargetLanguage: false, originalVolume: 0.16 };

class FakeTelephony implements Telephony {
  readonly steps: string[] = [];
  /** How a request to move a leg fails: refused (nothing moved), or unanswered (the leg may have moved). */
  reconnectFails: false | 'refused' | 'unanswered' = false;
  dial(req: DialRequest): Promise<string> {
    this.steps.push(`dial ${req.endpoint}`);
    return Promise.resolve(AGENT_SID);
  }
  hangUp(callSid: string): Promise<void> {
    this.steps.push(`hang up ${callSid}`);
    return Promise.resolve();
  }
  sayAndHangUp(callSid: string): Promise<void> {
    this.steps.push(`say and hang up ${callSid}`);
    return Promise.resolve();
  }
  lookUp(): Promise<LegReport | undefined> {
    return Promise.resolve(undefined);
  }
  reconnect(callSid: string, to: { callId: string; endpoint: string }): Promise<void> {
    this.steps.push(`reconnect ${callSid} to ${to.endpoint}`);
    if (this.reconnectFails === 'refused') return Promise.reject(new LegNotMovedError('400 (21220): call is not in progress'));
    if (this.reconnectFails === 'unanswered') return Promise.reject(new Error('Twilio unreachable: timeout of 15000ms exceeded'));
    return Promise.resolve();
  }
}

class FakeOwnership implements CallOwnership {
  readonly steps: string[] = [];
  holder = 'tolk-a';
  claim(): Promise<void> {
    return Promise.resolve();
  }
  claimConference(): Promise<{ ok: true }> {
    return Promise.resolve({ ok: true });
  }
  release(callId: string): void {
    this.steps.push(`release ${callId}`);
  }
  takeOver(callId: string, refs: { legs?: readonly string[] }, from: string): Promise<{ ok: true } | { ok: false; holder: string }> {
    this.steps.push(`take over ${callId} (${(refs.legs ?? []).join(', ')}) from ${from}`);
    return Promise.resolve(this.holder === from ? { ok: true } : { ok: false, holder: this.holder });
  }
  handBack(callId: string, _refs: unknown, to: string): Promise<{ ok: true }> {
    this.steps.push(`hand back ${callId} to ${to}`);
    return Promise.resolve({ ok: true });
  }
}

const prompts: PromptLibrary = { get: () => new Int16Array(800) };

function instance(name: string, records = new InMemoryCallRecordStore(), conferences?: FakeConferences, extra: { number?: NumberSettings; ringTimeoutSec?: number; stepTimeoutMs?: number; logger?: Logger; metrics?: CallMetrics } = {}) {
  const telephony = new FakeTelephony();
  const translators = new FakeTranslatorFactory();
  const ownership = new FakeOwnership();
  const logger = extra.logger ?? silentLogger();
  const events = new CallEventBus(logger);
  recordCalls(events, records);
  const published: CallEvent[] = [];
  events.subscribe((e) => void published.push(e));
  const clock = new ManualFrameClock();
  const service = new CallService({
    events,
    clock,
    telephony,
    translators,
    records,
    prompts,
    metrics: extra.metrics ?? metrics,
    logger,
    numbers: new StaticNumberDirectory([extra.number ?? NUMBER]),
    newCallId: () => 'call-1',
    instance: name,
    ownership,
    ...(conferences ? { conferences } : {}),
    ...(extra.ringTimeoutSec === undefined ? {} : { ringTimeoutSec: extra.ringTimeoutSec }),
    ...(extra.stepTimeoutMs === undefined ? {} : { stepTimeoutMs: extra.stepTimeoutMs }),
  });
  return { service, clock, telephony, translators, ownership, records, events, published, caller: new FakeMediaLeg(CALLER_SID, 'caller'), agent: new FakeMediaLeg(AGENT_SID, 'agent') };
}

async function bridged(name: string) {
  const s = instance(name);
  await s.service.incoming({ legRef: CALLER_SID, from: '+442071234567', to: NUMBER.number });
  s.service.attach(s.caller);
  await flush();
  s.service.legStatus(AGENT_SID, { state: 'answered' }, 'call-1');
  s.service.otherPartyAnswered('call-1', AGENT_SID, 'agent');
  s.service.attach(s.agent);
  await flush();
  expect(s.service.movableCalls()).toEqual([{ id: 'call-1', movable: true }]);
  return s;
}

type Instance = ReturnType<typeof instance>;

/** Connects every interpreter leg `conferences` placed and not in `media` yet, keeping its media leg there. */
async function connect(s: Instance, conferences: FakeConferences, callId: string, media: Map<string, FakeMediaLeg>): Promise<void> {
  await flush();
  for (const { req, legRef } of conferences.interpreters) {
    if (media.has(legRef)) continue;
    const leg = new FakeMediaLeg(legRef, req.endpoint);
    media.set(legRef, leg);
    s.service.interpreterAnswered(callId, legRef, req.endpoint);
    s.service.attach(leg);
  }
  await flush();
}

/** `s` joins the conference 'room' as asked: the call. */
async function joinRoom(s: Instance, request: Parameters<Instance['service']['joinConference']>[1]) {
  const joined = await s.service.joinConference('room', request);
  if (!joined.ok) throw new Error(joined.error);
  return joined.call;
}

/** `b` adopts conference `callId` from tolk-a, and its interpreter legs connect (kept in `media`). */
async function adoptConnected(b: Instance, conferences: FakeConferences, callId: string, media: Map<string, FakeMediaLeg>): Promise<void> {
  const adopting = b.service.adopt({ callId, from: 'tolk-a' });
  await new Promise((r) => setTimeout(r, 20));
  await connect(b, conferences, callId, media);
  expect(await adopting).toEqual({ ok: true });
}

/** A number whose callers tolk puts in a conference it creates, whispering the translation. */
const CONFERENCE_NUMBER: NumberSettings = { ...NUMBER, mode: 'conference', interpretation: 'whisper' };

/** A conference tolk creates for a caller: the agent dialled rings as AGENT_SID (listed among its participants, as Twilio lists one ringing). */
class Dialling extends FakeConferences {
  readonly dialled: string[] = [];
  override addParty(req: AddPartyRequest): Promise<string> {
    this.dialled.push(req.destination);
    this.parties.push(AGENT_SID);
    return Promise.resolve(AGENT_SID);
  }
}

/**
 * A caller of CONFERENCE_NUMBER on instance `name`, in the conference tolk created for them, its
 * whisper leg for them connected (kept in `connected`); the agent dialled rings.
 */
async function conferenceForCaller(name: string, extra: Parameters<typeof instance>[3] = {}) {
  const conferences = new Dialling('room', []);
  const s = instance(name, new InMemoryCallRecordStore(), conferences, { number: CONFERENCE_NUMBER, ...extra });
  const incoming = await s.service.incoming({ legRef: CALLER_SID, from: '+442071234567', to: NUMBER.number });
  if (incoming.type !== 'conference') throw new Error(`not put in a conference: ${incoming.type}`);
  const callId = incoming.callId;
  conferences.parties.push(CALLER_SID);
  s.service.conferenceEvent(callId, { type: 'joined', conferenceRef: 'CF-room', legRef: CALLER_SID, whispering: false });
  const connected = new Map<string, FakeMediaLeg>();
  await connect(s, conferences, callId, connected);
  return { s, conferences, callId, connected };
}

/** The same, once the agent has joined too, their whisper leg connected. */
async function conferenceTalking(name: string) {
  const c = await conferenceForCaller(name);
  c.s.service.conferenceEvent(c.callId, { type: 'joined', conferenceRef: 'CF-room', legRef: AGENT_SID, whispering: false });
  await connect(c.s, c.conferences, c.callId, c.connected);
  return c;
}

/** `a` moves conference `callId` out to `b`, whose interpreter legs connect (kept in `media`). */
async function moveConnected(a: Instance, b: Instance, conferences: FakeConferences, callId: string, media: Map<string, FakeMediaLeg>): Promise<void> {
  const moving = a.service.moveOut(callId, 'tolk-b', (_to, req) => b.service.adopt(req));
  await new Promise((r) => setTimeout(r, 20));
  await connect(b, conferences, callId, media);
  expect(await moving).toBe('moved');
}

describe('a call moving to another instance, on the instance giving it up', () => {
  it('takes its streams stopping for the move: nobody is hung up, what its sessions held is written, and it is let go without ending', async () => {
    const a = await bridged('tolk-a');
    const outcome = await a.service.moveOut('call-1', 'tolk-b', async (to, req) => {
      expect([to, req]).toEqual(['tolk-b', { callId: 'call-1', from: 'tolk-a' }]);
      // The telephony moves the legs: their streams here stop; the caller's last words come out of the session.
      a.caller.close();
      a.agent.close();
      await flush();
      a.translators.to('en').fire('utterance', { source: { text: 'hola', languageCode: 'es' }, translation: { text: 'hello', languageCode: 'en' }, startMs: 0, endMs: 500 });
      return { ok: true } satisfies AdoptResult;
    });
    await flush();
    expect(outcome).toBe('moved');
    expect(a.telephony.steps).toEqual(['dial agent']);
    expect(a.service.activeCalls).toBe(0);
    expect(a.published.map((e) => e.type)).not.toContain('call.ended');
    expect(a.published.find((e) => e.type === 'call.moved')).toMatchObject({ from: 'tolk-a', to: 'tolk-b', direction: 'out', kind: 'direct' });
    const record = await a.records.get('call-1');
    expect(record).toMatchObject({ state: 'bridged', transcript: [{ direction: 'caller->agent', source: { text: 'hola' } }] });
    expect(record?.outcome).toBeUndefined();
    expect(a.translators.created.every((t) => t.closed)).toBe(true);
  });

  it('goes on as before when the move does not happen, and a party who hung up meanwhile ends it as usual', async () => {
    const a = await bridged('tolk-a');
    const outcome = await a.service.moveOut('call-1', 'tolk-b', () => {
      a.caller.close();
      return Promise.resolve({ ok: false, reason: 'the telephony refused', kept: true } satisfies AdoptResult);
    });
    await flush();
    expect(outcome).toBe('kept');
    expect(a.telephony.steps).toEqual(['dial agent', `hang up ${AGENT_SID}`]);
    expect(await a.records.get('call-1')).toMatchObject({ outcome: 'completed', endReason: 'the caller hung up' });
  });
});

describe('a call whose frame tick throws while it moves to another instance, on the instance giving it up', () => {
  /** `a`'s frame tick throws: the agent's leg cannot be sent to, and the caller says something for it. */
  const tickThrows = (a: Instance): void => {
    a.agent.send = () => {
      throw new Error('socket state corrupt');
    };
    for (let i = 0; i < 5; i++) a.caller.say(encodeMulaw(Int16Array.from({ length: 160 }, (_, j) => Math.round(8000 * Math.sin((2 * Math.PI * j) / 16)))));
    expect(() => a.clock.tick(5)).toThrow('socket state corrupt');
  };

  it('hangs nobody up and ends nothing: the instance adopting it carries it on', async () => {
    const a = await bridged('tolk-a');
    const outcome = await a.service.moveOut('call-1', 'tolk-b', async () => {
      tickThrows(a);
      await flush();
      a.caller.close();
      a.agent.close();
      await flush();
      return { ok: true } satisfies AdoptResult;
    });
    await flush();
    expect(outcome).toBe('moved');
    expect(a.telephony.steps).toEqual(['dial agent']);
    expect(a.published.map((e) => e.type)).not.toContain('call.ended');
    expect((await a.records.get('call-1'))?.outcome).toBeUndefined();
    expect(a.service.activeCalls).toBe(0);
    expect(a.clock.subscribers).toBe(0);
  });

  it('ends as failed, both legs hung up, when the move does not happen after all', async () => {
    const a = await bridged('tolk-a');
    const outcome = await a.service.moveOut('call-1', 'tolk-b', async () => {
      tickThrows(a);
      await flush();
      expect(a.telephony.steps).toEqual(['dial agent']);
      return { ok: false, reason: 'the telephony refused', kept: true } satisfies AdoptResult;
    });
    await flush();
    expect(outcome).toBe('kept');
    expect(a.telephony.steps.slice(1).sort()).toEqual([`hang up ${AGENT_SID}`, `hang up ${CALLER_SID}`].sort());
    expect(await a.records.get('call-1')).toMatchObject({ outcome: 'error', endReason: TICK_FAILED });
    expect(a.service.activeCalls).toBe(0);
  });
});

describe('a call moving from another instance, on the instance adopting it', () => {
  async function recorded() {
    const a = await bridged('tolk-a');
    const b = instance('tolk-b', a.records);
    return b;
  }

  it('rebuilds it from its record, opens its sessions and takes it over before asking for its media, and bridges the legs once they come', async () => {
    const b = await recorded();
    const adopting = b.service.adopt({ callId: 'call-1', from: 'tolk-a' });
    await new Promise((r) => setTimeout(r, 20));
    // Both sessions were open before the telephony was asked to move the legs.
    expect(b.translators.created.map((t) => [t.targetLanguage, t.state])).toEqual([
      ['en', 'open'],
      ['es', 'open'],
    ]);
    expect(b.ownership.steps).toEqual([`take over call-1 (${CALLER_SID}, ${AGENT_SID}) from tolk-a`]);
    expect(b.telephony.steps).toEqual([`reconnect ${CALLER_SID} to caller`, `reconnect ${AGENT_SID} to agent`]);
    b.service.attach(b.caller);
    await flush();
    // The record lists both legs throughout, the one not here yet included.
    expect((await b.records.get('call-1'))?.legs.map((l) => `${l.role} ${l.callSid}`).sort()).toEqual([`agent ${AGENT_SID}`, `caller ${CALLER_SID}`]);
    b.service.attach(b.agent);
    expect(await adopting).toEqual({ ok: true });
    // The routes use the sessions opened ahead; nobody is dialled again.
    expect(b.translators.created).toHaveLength(2);
    expect(b.service.call('call-1')?.state).toBe('bridged');
    const record = await b.records.get('call-1');
    expect(record).toMatchObject({ instance: 'tolk-b', moves: [{ from: 'tolk-a', to: 'tolk-b' }] });
    expect(b.published.find((e) => e.type === 'call.moved')).toMatchObject({ from: 'tolk-a', to: 'tolk-b', direction: 'in' });
    // A party hanging up on the new instance ends the call there.
    b.caller.close();
    await flush();
    expect(b.telephony.steps).toContain(`hang up ${AGENT_SID}`);
  });

  it('refuses, changing nothing at the telephony, when the directory names another instance', async () => {
    const b = await recorded();
    b.ownership.holder = 'tolk-c';
    expect(await b.service.adopt({ callId: 'call-1', from: 'tolk-a' })).toEqual({ ok: false, kept: true, reason: 'the directory names tolk-c as serving it, not tolk-a' });
    expect(b.telephony.steps).toEqual([]);
    expect(b.translators.created.every((t) => t.closed)).toBe(true);
    expect(b.service.activeCalls).toBe(0);
  });

  it('gives the call back when the telephony will not move its first leg', async () => {
    const b = await recorded();
    b.telephony.reconnectFails = 'refused';
    const result = await b.service.adopt({ callId: 'call-1', from: 'tolk-a' });
    expect(result).toEqual({ ok: false, kept: true, reason: "the telephony did not move the caller's leg: the leg was not moved: 400 (21220): call is not in progress" });
    expect(b.ownership.steps.slice(0, 2)).toEqual([`take over call-1 (${CALLER_SID}, ${AGENT_SID}) from tolk-a`, 'hand back call-1 to tolk-a']);
    expect(await b.records.get('call-1')).toMatchObject({ instance: 'tolk-a' });
    expect(b.service.activeCalls).toBe(0);
  });
});

describe('an adoption whose request to move the caller leg goes unanswered', () => {
  async function unanswered() {
    const a = await bridged('tolk-a');
    const b = instance('tolk-b', a.records);
    b.telephony.reconnectFails = 'unanswered';
    return b;
  }

  it("adopts the call when the caller's media comes all the same: the update was made, its answer lost", async () => {
    const b = await unanswered();
    const adopting = b.service.adopt({ callId: 'call-1', from: 'tolk-a' });
    await new Promise((r) => setTimeout(r, 20));
    b.service.attach(b.caller);
    await flush();
    expect(b.telephony.steps).toEqual([`reconnect ${CALLER_SID} to caller`, `reconnect ${AGENT_SID} to agent`]);
    b.service.attach(b.agent);
    expect(await adopting).toEqual({ ok: true });
    expect(b.ownership.steps).not.toContain('hand back call-1 to tolk-a');
    expect(b.service.call('call-1')?.state).toBe('bridged');
    expect(await b.records.get('call-1')).toMatchObject({ instance: 'tolk-b', moves: [{ from: 'tolk-a', to: 'tolk-b' }] });
    // The caller's media was kept: the caller hanging up here ends the call here.
    b.caller.close();
    await flush();
    expect(b.telephony.steps).toContain(`hang up ${AGENT_SID}`);
  });

  it('gives the call back when no media comes within the bound', async () => {
    const b = await unanswered();
    const result = await b.service.adopt({ callId: 'call-1', from: 'tolk-a' });
    expect(result).toEqual({
      ok: false,
      kept: true,
      reason: "the telephony did not move the caller's leg: Twilio unreachable: timeout of 15000ms exceeded (and its media did not come within 3 s)",
    });
    expect(b.ownership.steps).toContain('hand back call-1 to tolk-a');
    expect(b.telephony.steps).toEqual([`reconnect ${CALLER_SID} to caller`]);
    expect(await b.records.get('call-1')).toMatchObject({ instance: 'tolk-a' });
    expect(b.service.activeCalls).toBe(0);
  });
});

describe('a conference moving to another instance', () => {
  const EN = 'CA' + 'a'.repeat(32);
  const GUEST = 'CA' + 'b'.repeat(32);
  const OTHER = 'CA' + 'c'.repeat(32);

  /** The open session into `target` hears a line in `heard`. */
  const hears = async (s: ReturnType<typeof instance>, target: string, heard: string, text: string): Promise<void> => {
    const session = s.translators.created.filter((t) => t.targetLanguage === target && !t.closed).at(-1);
    if (!session) throw new Error(`no open session into ${target}`);
    session.fire('language', heard);
    await flush();
    session.fire('utterance', { source: { text, languageCode: heard }, translation: { text: `(${target}) ${text}`, languageCode: target }, startMs: 0, endMs: 500 });
    await flush();
  };

  /** tolk-a interpreting a whisper conference of EN (English) and GUEST (Spanish), Twilio refusing the interpreter legs `refuse` names. */
  async function whisperRoom(refuse: FakeConferences['refuse']) {
    const conferences = new FakeConferences('room', [EN, GUEST]);
    conferences.refuse = refuse;
    const a = instance('tolk-a', new InMemoryCallRecordStore(), conferences);
    const joined = await joinRoom(a, {
      mode: 'whisper',
      participants: [
        { callSid: EN, language: 'en' },
        { callSid: GUEST, language: 'es' },
      ],
    });
    return { conferences, a, joined };
  }

  /**
   * A conference tolk joined with `named` given, its other parties' languages heard in turn on
   * tolk-a (`before`), then adopted by tolk-b, which hears `after`: the transcript's speakers.
   */
  async function moved(parties: string[], named: { callSid: string; language: string }[], before: [string, string][], after: [string, string][]) {
    const conferences = new FakeConferences('room', parties);
    const a = instance('tolk-a', new InMemoryCallRecordStore(), conferences);
    const callId = (await joinRoom(a, { mode: 'open', participants: named })).id;
    const connected = new Map<string, FakeMediaLeg>();
    await connect(a, conferences, callId, connected);
    for (const [language, text] of before) {
      await hears(a, 'en', language, text);
      await connect(a, conferences, callId, connected);
    }
    await a.events.settle(callId);
    const legs = (await a.records.get(callId))?.legs ?? [];

    const b = instance('tolk-b', a.records, conferences);
    await adoptConnected(b, conferences, callId, connected);
    // tolk-a hands over the room's speech in progress (none): tolk-b's routes start.
    expect(b.service.takeSpeech({ callId, from: 'tolk-a', speech: [] })).toBe('taken');
    for (const [language, text] of after) await hears(b, 'en', language, text);
    await b.events.settle(callId);
    const record = await b.records.get(callId);
    const transcript = (record?.transcript ?? []).map((u) => ({ text: u.source.text, speaker: u.speaker?.callSid }));
    await b.service.hangUp(callId);
    await a.service.hangUp(callId);
    return { legs, legsAfter: record?.legs ?? [], transcript };
  }

  it('names no one for a language detected while another party was in doubt too, after the move as before it', async () => {
    // OTHER speaks Spanish first (it is put down to GUEST, the first party with no language), then GUEST French.
    const { legs, legsAfter, transcript } = await moved(
      [EN, GUEST, OTHER],
      [{ callSid: EN, language: 'en' }],
      [
        ['es', 'hola'],
        ['fr', 'bonjour'],
      ],
      [
        ['es', 'hola otra vez'],
        ['fr', 'bonjour encore'],
      ],
    );
    const sources = [
      [EN, 'en', undefined],
      [GUEST, 'es', 'detected'],
      [OTHER, 'fr', 'detected'],
    ];
    expect(legs.map((l) => [l.callSid, l.language, l.languageSource]).sort()).toEqual(sources);
    // The record says so still, for a move after this one.
    expect(legsAfter.filter((l) => l.role !== 'interpreter').map((l) => [l.callSid, l.language, l.languageSource]).sort()).toEqual(sources);
    expect(transcript).toEqual([
      { text: 'hola', speaker: undefined },
      { text: 'bonjour', speaker: undefined },
      { text: 'hola otra vez', speaker: undefined },
      { text: 'bonjour encore', speaker: undefined },
    ]);
  });

  it("does not tell a party again, after the move, that interpretation is unavailable to them (their whisper leg refused on both instances)", async () => {
    // Every whisper leg for GUEST is refused for good.
    const { conferences, a, joined } = await whisperRoom((req) => (req.whisperTo === GUEST ? new InterpreterLegRefusedError('Twilio 400 error 21218: Invalid ApplicationSid') : undefined));
    const callId = joined.id;
    const connected = new Map<string, FakeMediaLeg>();
    await connect(a, conferences, callId, connected);
    expect(joined.state).toBe('live');
    expect(conferences.announced.map((a) => a.legRef)).toEqual([GUEST]);
    await a.events.settle(callId);

    const b = instance('tolk-b', a.records, conferences);
    await moveConnected(a, b, conferences, callId, connected);
    expect(b.service.conferenceCall(callId)?.state).toBe('live');
    // tolk-b asked for GUEST's leg again and was refused again: GUEST heard the notice once, on tolk-a.
    expect(conferences.interpreters.filter((l) => l.req.generation === 2).map((l) => l.req.whisperTo)).toEqual([EN]);
    expect(conferences.announced.map((a) => a.legRef)).toEqual([GUEST]);
    await b.service.hangUp(callId);
  });

  it('stays on the instance it was to leave, nobody told anything, when Twilio refuses every interpreter leg of the adopting instance', async () => {
    // Every leg placed for a call adopted once (generation 2) is refused.
    const { conferences, a, joined } = await whisperRoom((req) => (req.generation === 2 ? new InterpreterLegRefusedError('Twilio 400 error 21218: Invalid ApplicationSid') : undefined));
    const callId = joined.id;
    await connect(a, conferences, callId, new Map());
    await a.events.settle(callId);

    const b = instance('tolk-b', a.records, conferences);
    const started = Date.now();
    let answer: AdoptResult | undefined;
    expect(await a.service.moveOut(callId, 'tolk-b', async (_to, req) => (answer = await b.service.adopt(req)))).toBe('kept');
    // Why, in the words of the call's ports: the refusal itself is the telephony adapter's.
    expect(answer).toEqual({ ok: false, kept: true, reason: 'every interpreter leg was refused: Twilio 400 error 21218: Invalid ApplicationSid' });
    expect(conferences.announced).toEqual([]);
    // Given up as soon as the legs were refused, not at the 10 s bound.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(joined.state).toBe('live');
    expect(b.service.conferenceCall(callId)).toBeUndefined();
    expect(b.ownership.steps).toContain(`hand back ${callId} to tolk-a`);
    await a.service.hangUp(callId);
  });

  it('names the party whose language could only be theirs, after the move as before it', async () => {
    const { legs, transcript } = await moved([EN, GUEST], [{ callSid: EN, language: 'en' }], [['es', 'hola']], [['es', 'hola otra vez']]);
    expect(legs.find((l) => l.callSid === GUEST)).toMatchObject({ language: 'es', languageSource: 'deduced' });
    expect(transcript).toEqual([
      { text: 'hola', speaker: GUEST },
      { text: 'hola otra vez', speaker: GUEST },
    ]);
  });
});

describe('a conference moving to another instance while someone in the room talks', () => {
  const EN = 'CA' + 'a'.repeat(32);
  const ES = 'CA' + 'e'.repeat(32);
  const DE = 'CA' + 'd'.repeat(32);

  /** `ms` of seeded noise at a speaking level (8 kHz). */
  const speech = (ms: number, seed = 1): Int16Array => {
    const rnd = prng(seed);
    return Int16Array.from({ length: ms * 8 }, () => Math.round((rnd() * 2 - 1) * 6000));
  };

  /** Every connected leg in `media` hears the room say `pcm`, 20 ms at a time. */
  const roomSays = (media: Map<string, FakeMediaLeg>, pcm: Int16Array): void => {
    for (let i = 0; i < pcm.length; i += 160) {
      const frame = encodeMulaw(pcm.subarray(i, i + 160));
      for (const leg of media.values()) if (!leg.closed) leg.say(frame);
    }
  };

  /** The open sessions of `s`, by language: samples each was given. */
  const given = (s: ReturnType<typeof instance>): Record<string, number> =>
    Object.fromEntries(s.translators.created.filter((t) => !t.closed).map((t) => [t.targetLanguage, t.received]));

  it("starts each language's translation there with the room's utterance in progress, translated and written once", async () => {
    const conferences = new FakeConferences('room', [EN, ES, DE]);
    const a = instance('tolk-a', new InMemoryCallRecordStore(), conferences);
    const { id: callId } = await joinRoom(a, {
      mode: 'whisper',
      participants: [
        { callSid: EN, language: 'en' },
        { callSid: ES, language: 'es' },
        { callSid: DE, language: 'de' },
      ],
    });
    const onA = new Map<string, FakeMediaLeg>();
    await connect(a, conferences, callId, onA);
    // The English speaker is 1.5 s into an utterance when the move begins.
    roomSays(onA, new Int16Array(8000));
    roomSays(onA, speech(1500));

    const b = instance('tolk-b', a.records, conferences);
    const onB = new Map<string, FakeMediaLeg>();
    const handed: SpeechHandOver[] = [];
    let handOver!: () => void;
    const handing = new Promise<void>((r) => (handOver = r));
    const moving = a.service.moveOut(
      callId,
      'tolk-b',
      (_to, req) => b.service.adopt(req),
      async (_to, h) => {
        handed.push(h);
        await handing;
        return b.service.takeSpeech(h) === 'taken';
      },
    );
    await new Promise((r) => setTimeout(r, 20));
    await connect(b, conferences, callId, onB);
    await new Promise((r) => setTimeout(r, 20));
    expect(handed.map((h) => ({ from: h.from, sources: h.speech.map((s) => s.endpoint) }))).toEqual([{ from: 'tolk-a', sources: ['room'] }]);
    const room = handed[0].speech[0].pcm.length;
    expect(room).toBeGreaterThanOrEqual(1500 * 8);
    expect(room).toBeLessThanOrEqual(1600 * 8 + 160);
    // Until tolk-a hands it over, tolk-b's legs hear the room but nothing is translated there (tolk-a still interprets it)...
    roomSays(onB, speech(200, 2));
    expect(given(b)).toEqual({ en: 0, es: 0, de: 0 });
    // ...and tolk-a's sessions finishing the utterance write no line of it.
    for (const t of a.translators.created.filter((t) => t.targetLanguage !== 'en' && !t.closed)) {
      t.fire('utterance', { source: { text: 'the sentence', languageCode: 'en' }, translation: { text: `(${t.targetLanguage})`, languageCode: t.targetLanguage }, startMs: 1000, endMs: 2600 });
    }
    await flush();
    handOver();
    expect(await moving).toBe('moved');
    // Every language's translation on tolk-b starts with the whole utterance, then hears the room live.
    expect(given(b)).toEqual({ en: room, es: room, de: room });
    roomSays(onB, speech(400, 3));
    expect(given(b)).toEqual({ en: room + 3200, es: room + 3200, de: room + 3200 });
    for (const target of ['es', 'de']) {
      const t = b.translators.created.find((t) => t.targetLanguage === target && !t.closed)!;
      t.fire('utterance', { source: { text: 'the sentence', languageCode: 'en' }, translation: { text: `(${target})`, languageCode: target }, startMs: 0, endMs: 2000 });
    }
    await b.events.settle(callId);
    await a.events.settle(callId);
    const transcript = (await b.records.get(callId))?.transcript ?? [];
    expect(transcript.map((u) => [u.direction, u.source.text])).toEqual([
      ['to:es', 'the sentence'],
      ['to:de', 'the sentence'],
    ]);
    await b.service.hangUp(callId);
  });

  it('takes the speech in progress only from the instance the call was adopted from, and says why not otherwise', async () => {
    const conferences = new FakeConferences('room', [EN, ES]);
    const a = instance('tolk-a', new InMemoryCallRecordStore(), conferences);
    const { id: callId } = await joinRoom(a, { mode: 'open', participants: [{ callSid: EN, language: 'en' }, { callSid: ES, language: 'es' }] });
    await connect(a, conferences, callId, new Map());
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ destination: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(JSON.parse(c.toString()) as Record<string, unknown>), cb()) }) });
    const b = instance('tolk-b', a.records, conferences, { logger });
    await adoptConnected(b, conferences, callId, new Map());
    const room = [{ endpoint: 'room' as const, pcm: speech(500) }];

    // Another instance of the cluster, which never served the call: refused, and logged.
    expect(b.service.takeSpeech({ callId, from: 'tolk-c', speech: room })).toBe('not-served-by-sender');
    expect(lines.filter((l) => l.event === 'call.speech_refused')).toEqual([expect.objectContaining({ level: 'warn', callId, from: 'tolk-c', servedBy: 'tolk-a' })]);
    expect(given(b)).toEqual({ en: 0, es: 0 });
    // The instance it was adopted from: taken, once.
    expect(b.service.takeSpeech({ callId, from: 'tolk-a', speech: room })).toBe('taken');
    await flush();
    expect(given(b)).toEqual({ en: 4000, es: 4000 });
    expect(b.service.takeSpeech({ callId, from: 'tolk-a', speech: room })).toBe('late');
    expect(b.service.takeSpeech({ callId: 'no-such-call', from: 'tolk-a', speech: room })).toBe('no-call');
    // tolk-a serves a call it started itself: no other instance hands speech over for it.
    expect(a.service.takeSpeech({ callId, from: 'tolk-b', speech: room })).toBe('not-served-by-sender');
    await b.service.hangUp(callId);
    await a.service.hangUp(callId);
  });
});

describe('a conference tolk created for a caller, moving while the agent dialled for them still rings', () => {
  /** The caller is in on tolk-a, the agent rings, and the call moves to tolk-b. */
  async function movedWhileRinging(timing: { ringTimeoutSec?: number; stepTimeoutMs?: number; logger?: Logger } = {}) {
    const { s: a, conferences, callId, connected } = await conferenceForCaller('tolk-a', timing);
    expect(conferences.dialled).toEqual([NUMBER.destination]);
    expect(a.service.movableCalls()).toEqual([{ id: callId, movable: true }]);
    await a.events.settle(callId);
    // The record lists the agent's leg while it rings.
    expect((await a.records.get(callId))?.legs.find((l) => l.callSid === AGENT_SID)).toEqual({ role: 'agent', callSid: AGENT_SID, language: 'en', dialledAt: expect.any(String) });

    const b = instance('tolk-b', a.records, conferences, { number: CONFERENCE_NUMBER, ...timing });
    await moveConnected(a, b, conferences, callId, connected);
    return { a, b, conferences, callId, connected };
  }

  it('waits on the agent already ringing instead of dialling them again, and counts the talk time from when they join', async () => {
    const { b, conferences, callId, connected } = await movedWhileRinging();
    const call = b.service.conferenceCall(callId)!;
    expect(conferences.dialled).toEqual([NUMBER.destination]);
    // Listed by Twilio while it rings, the agent is not in the call yet: nobody is interpreted for them.
    expect(call.snapshot().participants.map((p) => p.callSid)).toEqual([CALLER_SID]);
    await b.events.settle(callId);
    expect((await b.records.get(callId))?.answeredAt).toBeUndefined();

    b.service.conferenceEvent(callId, { type: 'joined', conferenceRef: 'CF-room', legRef: AGENT_SID, whispering: false });
    await connect(b, conferences, callId, connected);
    expect(call.snapshot().participants.map((p) => [p.callSid, p.role])).toEqual([
      [CALLER_SID, 'caller'],
      [AGENT_SID, 'agent'],
    ]);
    expect(conferences.dialled).toEqual([NUMBER.destination]);
    await b.events.settle(callId);
    const answered = await b.records.get(callId);
    expect(answered?.answeredAt).toBeDefined();
    expect(answered?.legs.find((l) => l.callSid === AGENT_SID)).toEqual({ role: 'agent', callSid: AGENT_SID, language: 'en' });

    b.service.conferenceEvent(callId, { type: 'left', conferenceRef: 'CF-room', legRef: CALLER_SID });
    b.service.conferenceEvent(callId, { type: 'ended', conferenceRef: 'CF-room', endedBy: CALLER_SID });
    await new Promise<void>((resolve) => call.onEnded(() => resolve()));
    const ended = b.published.find((e) => e.type === 'call.ended');
    expect(ended).toMatchObject({ outcome: 'completed', reason: 'the caller hung up', durationMs: expect.any(Number) });
    expect((await b.records.get(callId))?.answeredAt).toBeDefined();
  });

  it("gives the agent up at what is left of their ring deadline when their unanswered report never reaches it, and tells the caller", async () => {
    const { a, b, callId } = await movedWhileRinging({ ringTimeoutSec: 0.2, stepTimeoutMs: 200 });
    const call = b.service.conferenceCall(callId)!;
    // Twilio gave up ringing; its report went to tolk-a, which let the call go.
    await new Promise((r) => setTimeout(r, 500));
    expect(b.telephony.steps).toEqual([`hang up ${AGENT_SID}`, `say and hang up ${CALLER_SID}`]);
    expect(a.telephony.steps).toEqual([]);
    b.service.conferenceEvent(callId, { type: 'left', conferenceRef: 'CF-room', legRef: CALLER_SID });
    b.service.conferenceEvent(callId, { type: 'ended', conferenceRef: 'CF-room', endedBy: CALLER_SID });
    await new Promise<void>((resolve) => call.onEnded(() => resolve()));
    const record = await b.records.get(callId);
    expect([record?.outcome, record?.endReason, record?.answeredAt]).toEqual(['no-answer', 'the agent did not answer', undefined]);
  });
});

describe('a conference tolk created, whose frame tick throws while it moves to another instance', () => {
  /** The caller and the agent talk on tolk-a, whose tick throws while it moves the call: `answer` is the adopter's. */
  async function tickThrowsMoving(answer: AdoptResult) {
    const { s: a, conferences, callId, connected } = await conferenceTalking('tolk-a');
    const outcome = await a.service.moveOut(callId, 'tolk-b', async () => {
      for (const leg of connected.values()) {
        leg.send = () => {
          throw new Error('socket state corrupt');
        };
      }
      // Something for the interpreter legs to play.
      for (const t of a.translators.created.filter((t) => !t.closed)) t.fire('audio', new Int16Array(1600).fill(8000));
      expect(() => a.clock.tick(30)).toThrow('socket state corrupt');
      await flush();
      return answer;
    });
    await flush();
    await a.events.settle(callId);
    return { a, conferences, callId, outcome };
  }

  it('ends nothing: the conference goes on, interpreted by the instance adopting it', async () => {
    const { a, conferences, callId, outcome } = await tickThrowsMoving({ ok: true });
    expect(outcome).toBe('moved');
    expect(conferences.ended).toEqual([]);
    expect(a.telephony.steps).toEqual([]);
    expect(a.published.map((e) => e.type)).not.toContain('call.ended');
    expect((await a.records.get(callId))?.outcome).toBeUndefined();
    expect(a.service.activeCalls).toBe(0);
  });

  it('ends the conference as failed when the move does not happen after all', async () => {
    const { a, conferences, callId, outcome } = await tickThrowsMoving({ ok: false, reason: 'the telephony refused', kept: true });
    expect(outcome).toBe('kept');
    expect(conferences.ended).toEqual(['CF-room']);
    expect(await a.records.get(callId)).toMatchObject({ outcome: 'error', endReason: TICK_FAILED });
    expect(a.service.activeCalls).toBe(0);
  });
});

describe('a call that fails or ends on the instance adopting it, before the adoption has settled', () => {
  /** Metrics whose report of the play-out depth (every 50 frame ticks) throws once `broken`: a call's frame tick throws then. */
  function breakableMetrics(): CallMetrics & { broken: boolean } {
    const m = {
      ...metrics,
      broken: false,
      observePlayoutDepth: (): void => {
        if (m.broken) throw new Error('histogram corrupt');
      },
    };
    return m;
  }

  /** What `p` resolves with within a second, or 'no answer yet'. */
  const soon = async <T>(p: Promise<T>): Promise<T | 'no answer yet'> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'no answer yet'>((r) => (timer = setTimeout(() => r('no answer yet'), 1_000)));
    try {
      return await Promise.race([p, late]);
    } finally {
      clearTimeout(timer);
    }
  };

  it('leaves a conference tolk created to its parties, ended by no one: the adoption is refused, and the instance giving it up interprets it on', async () => {
    const { s: a, conferences, callId } = await conferenceTalking('tolk-a');
    await a.events.settle(callId);

    const broken = breakableMetrics();
    const b = instance('tolk-b', a.records, conferences, { number: CONFERENCE_NUMBER, metrics: broken });
    let answer: AdoptResult | undefined;
    const moving = a.service.moveOut(callId, 'tolk-b', async (_to, req) => (answer = await b.service.adopt(req)));
    await new Promise((r) => setTimeout(r, 20));
    // tolk-b's whisper leg for the caller has joined, the agent's not yet, when its tick throws.
    const placed = conferences.interpreters.filter((l) => l.req.generation === 2);
    expect(placed.map((l) => l.req.whisperTo)).toEqual([CALLER_SID, AGENT_SID]);
    const first = new FakeMediaLeg(placed[0].legRef, placed[0].req.endpoint);
    b.service.interpreterAnswered(callId, first.legRef, first.endpoint);
    b.service.attach(first);
    await flush();
    broken.broken = true;
    expect(() => b.clock.tick(50)).toThrow('histogram corrupt');
    await flush();

    // The parties are neither cut off nor hung up...
    expect(conferences.ended).toEqual([]);
    expect(b.telephony.steps).toEqual([]);
    expect(a.telephony.steps).toEqual([]);
    // ...and tolk-a, whose legs are still in the conference, interprets it on.
    expect(await soon(moving)).toBe('kept');
    expect(answer).toEqual({ ok: false, kept: true, reason: "the call's audio processing threw on the instance adopting it before its interpreter legs had joined" });
    expect(b.ownership.steps).toContain(`hand back ${callId} to tolk-a`);
    // tolk-b's legs leave the conference (the caller would hear two whispers otherwise); tolk-a's stay.
    expect([...conferences.removed].sort()).toEqual(placed.map((l) => l.legRef).sort());
    expect(b.service.conferenceCall(callId)).toBeUndefined();
    expect(a.service.conferenceCall(callId)?.state).toBe('live');
    await a.events.settle(callId);
    await b.events.settle(callId);
    const record = await a.records.get(callId);
    expect([record?.state, record?.outcome, record?.instance]).toEqual(['bridged', undefined, 'tolk-a']);
    await a.service.hangUp(callId);
  });

  it("ends a direct call as failed at once when the tick throws there (the caller's leg has moved), and tells the instance giving it up", async () => {
    const a = await bridged('tolk-a');
    const broken = breakableMetrics();
    const b = instance('tolk-b', a.records, undefined, { metrics: broken });
    let answer: AdoptResult | undefined;
    const moving = a.service.moveOut('call-1', 'tolk-b', async (_to, req) => (answer = await b.service.adopt(req)));
    await new Promise((r) => setTimeout(r, 20));
    // The caller's stream has come to tolk-b; the agent's has not yet.
    b.service.attach(b.caller);
    await flush();
    broken.broken = true;
    expect(() => b.clock.tick(50)).toThrow('histogram corrupt');
    expect(await soon(moving)).toBe('gone');
    expect(answer).toEqual({ ok: false, kept: false, reason: `the call ended on tolk-b before its legs were joined: ${TICK_FAILED}` });
    await b.events.settle('call-1');
    // Both legs, moved there, are hung up.
    const [reconnects, hangUps] = [b.telephony.steps.slice(0, 2), b.telephony.steps.slice(2)];
    expect(reconnects).toEqual([`reconnect ${CALLER_SID} to caller`, `reconnect ${AGENT_SID} to agent`]);
    expect(hangUps.sort()).toEqual([`hang up ${AGENT_SID}`, `hang up ${CALLER_SID}`].sort());
    expect(await b.records.get('call-1')).toMatchObject({ instance: 'tolk-b', outcome: 'error', endReason: TICK_FAILED });
    expect(b.translators.created.length).toBeGreaterThan(0);
    expect(b.translators.created.every((t) => t.closed)).toBe(true);
    // tolk-a lets it go without ending it: tolk-b wrote its end.
    expect(a.telephony.steps).toEqual(['dial agent']);
    expect(a.published.map((e) => e.type)).not.toContain('call.ended');
  });

  it('answers the adoption at once, with why, when the caller hangs up there before the other party\'s media has come', async () => {
    const a = await bridged('tolk-a');
    const b = instance('tolk-b', a.records);
    let answer: AdoptResult | undefined;
    const moving = a.service.moveOut('call-1', 'tolk-b', async (_to, req) => (answer = await b.service.adopt(req)));
    await new Promise((r) => setTimeout(r, 20));
    b.service.attach(b.caller);
    await flush();
    b.caller.close();
    expect(await soon(moving)).toBe('gone');
    expect(answer).toEqual({ ok: false, kept: false, reason: 'the call ended on tolk-b before its legs were joined: the caller hung up' });
    await b.events.settle('call-1');
    expect(await b.records.get('call-1')).toMatchObject({ instance: 'tolk-b', outcome: 'completed', endReason: 'the caller hung up' });
    expect(b.telephony.steps).toEqual([`reconnect ${CALLER_SID} to caller`, `reconnect ${AGENT_SID} to agent`, `hang up ${AGENT_SID}`]);
  });
});

describe("the console's Live page on the instance a call moved to, whose feed never saw the call start", () => {
  /** What a Live page opened now on `s` shows of call `callId`, from its feed's snapshot alone. */
  const livePage = (feed: LiveFeed, callId: string) => fromSnapshot(feed.snapshot().events as unknown as WireEvent[])[callId];

  it('shows a conference moved there connected since its parties were, with what it is, and nothing counts it as a new call', async () => {
    const EN = 'CA' + 'a'.repeat(32);
    const ES = 'CA' + 'e'.repeat(32);
    const conferences = new FakeConferences('room', [EN, ES]);
    const a = instance('tolk-a', new InMemoryCallRecordStore(), conferences);
    const { id: callId } = await joinRoom(a, { mode: 'whisper', participants: [{ callSid: EN, language: 'en' }, { callSid: ES, language: 'es' }] });
    const connected = new Map<string, FakeMediaLeg>();
    await connect(a, conferences, callId, connected);
    await a.events.settle(callId);
    const answeredAt = (await a.records.get(callId))?.answeredAt?.getTime();
    expect(answeredAt).toBeDefined();

    const b = instance('tolk-b', a.records, conferences);
    const feed = new LiveFeed(b.events);
    await moveConnected(a, b, conferences, callId, connected);

    const shown = livePage(feed, callId);
    expect(shown).toMatchObject({ kind: 'conference', conference: 'room', mode: 'whisper', state: 'bridged', connectedAt: answeredAt });
    expect(talkText(shown, answeredAt! + 65_000)).toBe('connected for 1 min 05 s');
    // The call was created, and connected, on tolk-a: tolk-b's metrics and webhooks do not count it again.
    expect(b.published.filter((e) => e.type === 'call.created' || e.type === 'call.connected')).toEqual([]);
    feed.close();
    await b.service.hangUp(callId);
  });

  it('shows a direct call moved there connected since its answer, with its numbers', async () => {
    const a = await bridged('tolk-a');
    await a.events.settle('call-1');
    const answeredAt = (await a.records.get('call-1'))?.answeredAt?.getTime();
    expect(answeredAt).toBeDefined();
    const b = instance('tolk-b', a.records);
    const feed = new LiveFeed(b.events);
    const adopting = b.service.adopt({ callId: 'call-1', from: 'tolk-a' });
    await new Promise((r) => setTimeout(r, 20));
    b.service.attach(b.caller);
    b.service.attach(b.agent);
    expect(await adopting).toEqual({ ok: true });

    const shown = livePage(feed, 'call-1');
    expect(shown).toMatchObject({ kind: 'direct', number: NUMBER.number, from: '+442071234567', destination: NUMBER.destination, state: 'bridged', connectedAt: answeredAt });
    expect(talkText(shown, answeredAt! + 5_000)).toBe('connected for 5 s');
    expect(b.published.filter((e) => e.type === 'call.created')).toEqual([]);
    feed.close();
    b.caller.close();
    await flush();
  });
});
