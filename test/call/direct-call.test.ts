import { Writable } from 'node:stream';
import { decodeMulaw, encodeMulaw } from '../../src/audio';
import { CallService } from '../../src/call/call-service';
import { ManualFrameClock } from '../../src/call/frame-clock';
import type { CallAnswer, CallMetrics, DialRequest } from '../../src/call/ports';
import type { PromptLibrary } from '../../src/call/prompts';
import { StaticNumberDirectory, type NumberSettings } from '../../src/config/numbers';
import { createLogger } from '../../src/log/logger';
import { InMemoryCallRecordStore } from '../../src/store/in-memory-call-record-store';
import { InMemoryLanguageMemory } from '../../src/call/caller-language';
import { CallEventBus, type CallEvent } from '../../src/call/events';
import { logCalls } from '../../src/call/subscribers/log';
import { recordCalls } from '../../src/call/subscribers/records';
import { FakeMediaLeg } from './fakes/fake-media-leg';
import { AGENT_SID, CALLER_SID, FakeTelephony, NUMBER } from './fakes/fake-telephony';
import { FakeTranslatorFactory } from './fakes/fake-translator';
import { flush, quietMetrics } from './fakes/rig-fixtures';

/** The service's answers in a compact text form, as a telephony adapter would render them. */
function render(a: CallAnswer): string {
  switch (a.type) {
    case 'connect':
      return a.announce ? `<caller ${a.legRef} ${a.announce.locale}/>` : `<agent ${a.legRef}/>`;
    case 'say-and-hang-up':
      return `<say ${a.locale}>${a.text}</say>`;
    case 'language-menu':
      return `<menu ${a.callId}>${a.options.map((o) => `${o.digit}:${o.locale}:${o.text}`).join('|')}</menu>`;
    case 'conference':
      return `<conference ${a.conference}/>`;
  }
}

const rejected: string[] = [];
const noMetrics: CallMetrics = { ...quietMetrics, callRejected: (outcome) => void rejected.push(outcome) };

const prompt = new Int16Array(800).fill(1234);
const prompts: PromptLibrary = { get: () => prompt };
const tone = (n: number, amp = 8000): Int16Array => Int16Array.from({ length: n }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * 440 * i) / 8000)));
const rms = (pcm: Int16Array): number => Math.sqrt(pcm.reduce((a, v) => a + v * v, 0) / Math.max(1, pcm.length));

function setup(
  settings: NumberSettings = NUMBER,
  extra: { languages?: InMemoryLanguageMemory; autoDetectTimeoutMs?: number; maxCalls?: number; newCallId?: () => string; stepTimeoutMs?: number; ringTimeoutSec?: number } = {},
) {
  const clock = new ManualFrameClock();
  const telephony = new FakeTelephony();
  const translators = new FakeTranslatorFactory();
  const records = new InMemoryCallRecordStore();
  const logLines: string[] = [];
  const logger = createLogger({ destination: new Writable({ write: (c: Buffer, _e, cb) => (logLines.push(c.toString()), cb()) }) });
  const events = new CallEventBus(logger);
  recordCalls(events, records);
  logCalls(events, logger);
  const published: CallEvent[] = [];
  events.subscribe((e) => void published.push(e));
  const service = new CallService({
    events,
    clock,
    telephony,
    translators,
    records,
    prompts,
    metrics: noMetrics,
    logger,
    numbers: new StaticNumberDirectory([settings]),
    newCallId: () => 'call-1',
    ...extra,
  });
  const caller = new FakeMediaLeg(CALLER_SID, 'caller');
  const agent = new FakeMediaLeg(AGENT_SID, 'agent');
  return { clock, telephony, translators, records, service, caller, agent, logLines, published };
}

async function bridged(settings: NumberSettings = NUMBER, extra: Parameters<typeof setup>[1] = {}) {
  const s = setup(settings, extra);
  await s.service.incoming({ legRef: CALLER_SID, from: '+442071234567', to: NUMBER.number });
  s.service.attach(s.caller);
  await flush();
  s.service.legStatus(AGENT_SID, { state: 'ringing' }, 'call-1');
  s.service.legStatus(AGENT_SID, { state: 'answered' }, 'call-1');
  expect(render(s.service.otherPartyAnswered('call-1', AGENT_SID, 'agent'))).toBe(`<agent ${AGENT_SID}/>`);
  await flush();
  s.service.attach(s.agent);
  await flush();
  return s;
}

describe('an interpreted call', () => {
  it('answers a known number, dials the destination and plays ringback to the caller', async () => {
    const s = setup();
    const answer = render(await s.service.incoming({ legRef: CALLER_SID, from: '+442071234567', to: NUMBER.number }));
    expect(answer).toBe(`<caller ${CALLER_SID} es-ES/>`);
    s.service.attach(s.caller);
    await flush();
    expect(s.telephony.dials).toEqual([{ callId: 'call-1', endpoint: 'agent', destination: NUMBER.destination, callerId: NUMBER.number, ringTimeoutSec: 30 }]);
    s.clock.tick(25);
    const heard = decodeMulaw(Buffer.concat(s.caller.sent));
    expect(rms(heard)).toBeGreaterThan(500); // ringback is audible
  });

  it('tells an unknown number politely and creates no call', async () => {
    const s = setup();
    rejected.length = 0;
    const answer = render(await s.service.incoming({ legRef: CALLER_SID, to: '+19999999999' }));
    expect(answer).toMatch(/not in service/);
    expect(s.service.activeCalls).toBe(0);
    expect(rejected).toEqual(['unknown_number']);
  });

  it('past TOLK_MAX_CALLS tells a new caller, in their language, that all lines are busy, and takes calls again once one ends', async () => {
    let n = 0;
    const s = await bridged(NUMBER, { maxCalls: 1, newCallId: () => `call-${++n}` });
    rejected.length = 0;
    const refused = render(await s.service.incoming({ legRef: 'CA' + '7'.repeat(32), from: '+442070000000', to: NUMBER.number }));
    expect(refused).toBe('<say es-ES>Todas nuestras líneas están ocupadas en este momento. Por favor, vuelva a llamar en unos minutos. Adiós.</say>');
    expect(rejected).toEqual(['at_capacity']);
    expect(s.service.activeCalls).toBe(1);
    expect(s.telephony.dials).toHaveLength(1); // nobody was dialled for the refused caller
    s.caller.close();
    await flush();
    expect(s.service.activeCalls).toBe(0);
    const accepted = render(await s.service.incoming({ legRef: 'CA' + '8'.repeat(32), from: '+442070000000', to: NUMBER.number }));
    expect(accepted).toMatch(/^<caller /);
  });

  it('a drain waits for a call admitted just before it began, and refuses the callers after it', async () => {
    const s = setup();
    // The call is being written to the store (it was admitted) when the drain begins.
    const create = s.records.create.bind(s.records);
    let written: () => void = () => undefined;
    jest.spyOn(s.records, 'create').mockImplementationOnce((r) => new Promise((ok) => (written = () => ok(create(r)))));
    const admitted = s.service.incoming({ legRef: CALLER_SID, from: '+442071234567', to: NUMBER.number });
    await flush();
    let drained = false;
    const drain = s.service.drain(60_000).then(() => (drained = true));
    written();
    expect(render(await admitted)).toMatch(/^<caller /);
    await flush();
    expect([drained, s.service.activeCalls]).toEqual([false, 1]);
    const late = render(await s.service.incoming({ legRef: 'CA' + '9'.repeat(32), from: '+442070000000', to: NUMBER.number }));
    expect(late).toMatch(/^<say es-ES>Todas nuestras líneas están ocupadas/);
    expect(s.logLines.filter((l) => l.includes('"call.draining_refused"'))).toEqual([expect.stringContaining(`"callSid":"${'CA' + '9'.repeat(32)}"`)]);
    // The admitted caller hangs up: the drain is over.
    s.service.legStatus(CALLER_SID, { state: 'ended', reason: 'completed' });
    await drain;
    expect(s.service.activeCalls).toBe(0);
  });

  it('joins both legs through two translators, one per direction', async () => {
    const s = await bridged();
    expect(s.service.call('call-1')?.state).toBe('bridged');
    expect(s.translators.created.map((t) => t.targetLanguage).sort()).toEqual(['en', 'es']);
  });

  it('sends what the caller says to the caller->agent translator at the 8 kHz it asked for, and plays the translation to the agent', async () => {
    const s = await bridged();
    expect([s.translators.to('en').inputRate, s.translators.to('en').outputRate]).toEqual([8000, 8000]);
    for (let i = 0; i < 10; i++) s.caller.say(encodeMulaw(tone(160)));
    expect(s.translators.to('en').received).toBe(10 * 160);
    const before = s.agent.sent.length;
    s.translators.to('en').fire('audio', tone(1600, 12000).map((_, i) => Math.round(12000 * Math.sin(i / 5)))); // 200 ms at 8 kHz
    s.clock.tick(15);
    const agentHeard = decodeMulaw(Buffer.concat(s.agent.sent.slice(before)));
    expect(rms(agentHeard)).toBeGreaterThan(3000);
    // The caller heard no translation of their own words.
    const callerHeard = decodeMulaw(Buffer.concat(s.caller.sent));
    expect(rms(callerHeard)).toBeLessThan(100);
  });

  it('lets each party hear the other under the translation at originalVolume', async () => {
    const s = await bridged();
    s.clock.tick(1);
    const before = s.agent.sent.length;
    s.caller.say(encodeMulaw(tone(160, 10000)));
    // A voice starting after silence is held a tick, then sent with what follows it.
    s.clock.tick(2);
    const heard = decodeMulaw(s.agent.sent[before]);
    expect(rms(heard) / rms(tone(160, 10000))).toBeCloseTo(0.16, 1);
  });

  it('puts both parties through directly when they speak the same language', async () => {
    const s = await bridged();
    s.translators.to('en').fire('language', 'en'); // the caller speaks the agent's language
    const before = s.agent.sent.length;
    s.caller.say(encodeMulaw(tone(160, 10000)));
    s.translators.to('en').fire('audio', tone(2400, 10000));
    s.clock.tick(5);
    const heard = decodeMulaw(Buffer.concat(s.agent.sent.slice(before)));
    // Full volume original, and the translation is not played on top of it.
    expect(rms(heard)).toBeGreaterThan(0.8 * rms(tone(160, 10000)) / Math.sqrt(5));
    // After the caller's one frame, the agent hears silence in time (the caller's voice has a
    // frame late), not the translation.
    const after = s.agent.sent.slice(before + 1);
    expect(after.length).toBeGreaterThan(0);
    expect(rms(decodeMulaw(Buffer.concat(after)))).toBe(0);
  });

  it('keeps the call going with original voices and a notice when translation fails', async () => {
    const s = await bridged();
    s.translators.to('es').fire('state', 'failed', { kind: 'quota', reason: 'quota' });
    s.clock.tick(1);
    expect(decodeMulaw(s.caller.sent[s.caller.sent.length - 1])[0]).toBeGreaterThan(1000); // the notice
    expect(s.service.call('call-1')?.state).toBe('bridged');
    expect(s.logLines.join('')).toMatch(/call.translation_unavailable/);
  });

  it.each([
    ['caller', 'agent'],
    ['agent', 'caller'],
  ] as const)('ends the other leg when the %s hangs up, and releases everything', async (who, other) => {
    const s = await bridged();
    (who === 'caller' ? s.caller : s.agent).close();
    await flush();
    expect(s.telephony.hungUp).toEqual([other === 'agent' ? AGENT_SID : CALLER_SID]);
    expect(s.translators.created.every((t) => t.closed)).toBe(true);
    expect(s.clock.subscribers).toBe(0);
    expect(s.service.activeCalls).toBe(0);
    const record = await s.records.get('call-1');
    expect(record?.outcome).toBe('completed');
  });

  it('ends both legs when the operator hangs up, and records that the operator ended it', async () => {
    const s = await bridged();
    const ended = s.service.hangUp('call-1');
    await expect(ended).resolves.toBe(true);
    expect(s.telephony.hungUp.sort()).toEqual([CALLER_SID, AGENT_SID].sort());
    expect(s.translators.created.every((t) => t.closed)).toBe(true);
    expect(s.clock.subscribers).toBe(0);
    expect(s.service.activeCalls).toBe(0);
    expect((await s.records.get('call-1'))?.outcome).toBe('hungup_by_operator');
    expect(s.published.find((e) => e.type === 'call.ended')).toMatchObject({ outcome: 'hungup_by_operator' });
    // A call no longer in progress cannot be hung up again.
    await expect(s.service.hangUp('call-1')).resolves.toBe(false);
    await expect(s.service.hangUp('no-such-call')).resolves.toBe(false);
  });

  it("ends the call as failed when its frame tick throws: both legs hung up, sessions closed, the reason recorded", async () => {
    const s = await bridged();
    s.agent.send = () => {
      throw new Error('socket state corrupt');
    };
    for (let i = 0; i < 5; i++) s.caller.say(encodeMulaw(tone(160))); // something for the agent's leg to send
    expect(() => s.clock.tick(5)).toThrow('socket state corrupt');
    await flush();
    expect(s.telephony.hungUp.sort()).toEqual([CALLER_SID, AGENT_SID].sort());
    expect(s.translators.created.every((t) => t.closed)).toBe(true);
    expect(s.clock.subscribers).toBe(0);
    expect(s.service.activeCalls).toBe(0);
    const ended = s.published.filter((e) => e.type === 'call.ended');
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatchObject({ outcome: 'error', reason: "tolk failed: the call's audio processing threw" });
    expect(await s.records.get('call-1')).toMatchObject({ outcome: 'error', endReason: "tolk failed: the call's audio processing threw" });
  });

  it('cancels the other party still ringing when the operator hangs up before they answer', async () => {
    const s = setup();
    await s.service.incoming({ legRef: CALLER_SID, from: '+442071234567', to: NUMBER.number });
    s.service.attach(s.caller);
    await flush();
    s.service.legStatus(AGENT_SID, { state: 'ringing' }, 'call-1');
    await s.service.hangUp('call-1');
    expect(s.telephony.hungUp.sort()).toEqual([CALLER_SID, AGENT_SID].sort());
    expect((await s.records.get('call-1'))?.outcome).toBe('hungup_by_operator');
  });

  it.each(['busy', 'no-answer'] as const)('tells the caller in their language when the other party is %s', async (status) => {
    const s = setup();
    await s.service.incoming({ legRef: CALLER_SID, to: NUMBER.number });
    s.service.attach(s.caller);
    await flush();
    s.service.legStatus(AGENT_SID, { state: 'ended', reason: status }, 'call-1');
    await flush();
    expect(s.telephony.said).toHaveLength(1);
    expect(s.telephony.said[0].locale).toBe('es-ES');
    expect(s.telephony.said[0].text).toMatch(status === 'busy' ? /ocupada/ : /no ha contestado/);
    expect((await s.records.get('call-1'))?.outcome).toBe(status);
  });

  it('records final utterances with times from the start of the call', async () => {
    const s = await bridged();
    s.translators.to('en').fire('utterance', { source: { text: 'hola', languageCode: 'es' }, translation: { text: 'hello', languageCode: 'en' }, startMs: 100, endMs: 900 });
    await flush();
    const rec = await s.records.get('call-1');
    expect(rec?.transcript).toEqual([
      expect.objectContaining({ direction: 'caller->agent', source: { text: 'hola', languageCode: 'es' }, translation: { text: 'hello', languageCode: 'en' } }),
    ]);
    expect(rec?.transcript[0].endMs).toBeGreaterThanOrEqual(900);
  });

  it('publishes its events in order, plain JSON with the call id, to subscribers of that call only', async () => {
    const s = setup();
    const mine: CallEvent[] = [];
    const others: CallEvent[] = [];
    s.service.events.subscribe((e) => void mine.push(e), { callId: 'call-1' });
    s.service.events.subscribe((e) => void others.push(e), { callId: 'call-2' });
    await s.service.incoming({ legRef: CALLER_SID, from: '+442071234567', to: NUMBER.number });
    s.service.attach(s.caller);
    s.service.legStatus(AGENT_SID, { state: 'ringing' }, 'call-1');
    s.service.legStatus(AGENT_SID, { state: 'answered' }, 'call-1');
    s.service.otherPartyAnswered('call-1', AGENT_SID, 'agent');
    s.service.attach(s.agent);
    await flush();
    s.translators.to('en').fire('outputTranscript', { text: 'hello', languageCode: 'en', atMs: 300 });
    s.translators.to('en').fire('utterance', { source: { text: 'hola', languageCode: 'es' }, translation: { text: 'hello', languageCode: 'en' }, startMs: 100, endMs: 900 });
    s.caller.close();
    await flush();
    const step = (e: CallEvent): string => {
      if (e.type === 'call.state') return `state:${e.to}`;
      if (e.type === 'session.state') return `session:${e.routeId}:${e.state}`;
      if (e.type === 'participant.joined') return `joined:${e.participantId}:${e.language ?? e.provisionalLanguage}`;
      return e.type;
    };
    expect(mine.map(step)).toEqual([
      'call.created',
      'joined:caller:es',
      'state:dialing',
      'state:ringing',
      'state:connecting',
      'joined:agent:en',
      'state:bridged',
      'session:caller->agent:connecting',
      'session:agent->caller:connecting',
      'utterance.partial',
      'utterance.final',
      'participant.left',
      'state:ended',
      'session:caller->agent:closed',
      'session:agent->caller:closed',
      'participant.left', // the agent's leg, hung up by tolk
      'call.ended',
    ]);
    expect(mine[10]).toMatchObject({ routeId: 'caller->agent', participantId: 'caller', source: { text: 'hola', languageCode: 'es' } });
    expect(mine[11]).toMatchObject({ participantId: 'caller' });
    expect(mine[16]).toMatchObject({ outcome: 'completed' });
    for (const e of mine) {
      expect(e.callId).toBe('call-1');
      expect(JSON.parse(JSON.stringify(e))).toEqual(e);
    }
    expect(others).toEqual([]);
  });

  it('reports that it has ended only once its transcript is written', async () => {
    const s = await bridged();
    let written: number | undefined;
    const append = s.records.appendUtterance.bind(s.records);
    s.records.appendUtterance = (id, u) =>
      new Promise((resolve) => setTimeout(resolve, 50)).then(async () => {
        const ok = await append(id, u);
        written = Date.now();
        return ok;
      });
    s.translators.to('en').fire('utterance', { source: { text: 'hola', languageCode: 'es' }, translation: { text: 'hello', languageCode: 'en' }, startMs: 100, endMs: 900 });
    s.caller.close();
    await flush();
    expect(s.service.activeCalls).toBe(1);
    await new Promise((r) => setTimeout(r, 80));
    expect(s.service.activeCalls).toBe(0);
    const ended = s.published.find((e) => e.type === 'call.ended');
    expect(written).toBeDefined();
    expect(ended?.at).toBeGreaterThanOrEqual(written!);
    expect((await s.records.get('call-1'))?.transcript).toHaveLength(1);
  });
});

describe('a call waiting on the phone network', () => {
  const until = async (check: () => boolean): Promise<void> => {
    for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
    expect(check()).toBe(true);
  };

  it("asks the network at the ringing deadline when the other party's status never came, and tells the caller", async () => {
    let n = 0;
    const s = setup(NUMBER, { maxCalls: 1, stepTimeoutMs: 30, ringTimeoutSec: 0.02, newCallId: () => `call-${++n}` });
    await s.service.incoming({ legRef: CALLER_SID, from: '+442071234567', to: NUMBER.number });
    s.service.attach(s.caller);
    await flush();
    s.service.legStatus(AGENT_SID, { state: 'ringing' }, 'call-1');
    // The network gave up on the other party, and its callback was lost.
    s.telephony.legs.set(CALLER_SID, { status: { state: 'answered' } });
    s.telephony.legs.set(AGENT_SID, { status: { state: 'ended', reason: 'no-answer' } });
    await until(() => s.service.activeCalls === 0);
    expect(s.telephony.lookUps).toEqual([CALLER_SID, AGENT_SID]);
    expect(s.telephony.said).toEqual([expect.objectContaining({ callSid: CALLER_SID, locale: 'es-ES' })]);
    expect(await s.records.get('call-1')).toMatchObject({ state: 'ended', outcome: 'no-answer', endReason: "the other party's line: no-answer (found after ringing for 0 s)" });
    // The line is free for the next caller.
    const next = await s.service.incoming({ legRef: 'CA' + '3'.repeat(32), from: '+442071234567', to: NUMBER.number });
    expect(next.type).toBe('connect');
  });

  it('hangs up what is still up when the network cannot be asked, and says so', async () => {
    const s = setup(NUMBER, { stepTimeoutMs: 20 });
    await s.service.incoming({ legRef: CALLER_SID, from: '+442071234567', to: NUMBER.number });
    s.telephony.lookUpFails = true;
    await until(() => s.service.activeCalls === 0);
    expect(s.telephony.said.map((m) => m.callSid)).toEqual([CALLER_SID]);
    expect(await s.records.get('call-1')).toMatchObject({
      outcome: 'timeout',
      endReason: "answered for 0 s: the caller's media never connected; the phone network could not be asked: hung up",
    });
    expect(s.logLines.some((l) => l.includes('"event":"call.lookup_failed"'))).toBe(true);
  });

  it('starts the wait for the caller\'s media again when they answer the language menu', async () => {
    const s = setup({ ...NUMBER, callerLanguage: 'auto', defaultLanguage: 'en', languageMenu: ['es', 'en'] }, { stepTimeoutMs: 150 });
    const answer = await s.service.incoming({ legRef: CALLER_SID, from: '+442071234567', to: NUMBER.number });
    expect(answer.type).toBe('language-menu');
    await new Promise((r) => setTimeout(r, 100));
    s.service.languageChosen('call-1', '1');
    await new Promise((r) => setTimeout(r, 100));
    // 200 ms since the call began, 100 ms since the caller answered the menu: still waiting.
    expect(s.telephony.lookUps).toEqual([]);
    s.service.attach(s.caller);
    await flush();
    expect(s.service.call('call-1')?.state).toBe('dialing');
  });

  it('past TOLK_MAX_CALLS counts a call tolk places whose customer still rings: a new caller hears that all lines are busy', async () => {
    const s = setup(NUMBER, { maxCalls: 1, newCallId: () => 'incoming-1' });
    rejected.length = 0;
    s.service.startOutbound({ id: 'call-1', settings: NUMBER, customer: '+442071234567', plan: { dueAt: new Date(), attempts: 1, retries: 0, retryAfterSec: 60 } });
    await until(() => s.telephony.dials.length === 1);
    expect(s.service.accepting).toBe(false);
    const refused = render(await s.service.incoming({ legRef: 'CA' + '7'.repeat(32), from: '+442070000000', to: NUMBER.number }));
    expect(refused).toMatch(/^<say es-ES>Todas nuestras líneas están ocupadas/);
    expect(rejected).toEqual(['at_capacity']);
    expect(s.telephony.dials).toHaveLength(1); // only the customer of the call tolk places
  });

  it('ends a call tolk places whose dial of the customer is refused at once (thrown, not rejected) as a refused dial, and serves it no more', async () => {
    const s = setup(NUMBER);
    s.telephony.dial = (req: DialRequest): Promise<string> => {
      s.telephony.dials.push(req);
      throw new Error('21217 invalid number');
    };
    s.service.startOutbound({ id: 'call-1', settings: NUMBER, customer: '+442071234567', plan: { dueAt: new Date(), attempts: 1, retries: 0, retryAfterSec: 60 } });
    await until(() => s.service.liveCallIds.length === 0);
    expect(s.telephony.dials).toHaveLength(1);
    expect(s.published.filter((e) => e.type === 'call.ended')).toEqual([expect.objectContaining({ callId: 'call-1', outcome: 'failed', reason: 'the customer could not be dialled' })]);
  });
});

describe('the caller\'s language', () => {
  const AUTO: NumberSettings = { ...NUMBER, callerLanguage: 'auto', defaultLanguage: 'es' };
  const tick = (n: number, t: ReturnType<typeof setup>): void => {
    for (let i = 0; i < n; i++) t.clock.tick();
  };

  it('is detected from the caller\'s first speech; the agent\'s words are held until then', async () => {
    const s = await bridged(AUTO);
    expect(s.translators.created.map((t) => t.targetLanguage)).toEqual(['en']); // nothing into the unknown language yet
    for (let i = 0; i < 25; i++) s.agent.say(encodeMulaw(tone(160))); // the agent talks first: 0.5 s held
    tick(5, s);
    s.translators.to('en').fire('language', 'pl');
    await flush();
    const toCaller = s.translators.to('pl');
    expect(toCaller.received).toBe(25 * 160); // the held speech, at 8 kHz
    expect(s.service.call('call-1')?.callerLanguage).toBe('pl');
    expect(s.logLines.join('')).toMatch(/"event":"call.caller_language","language":"pl".*"source":"detected"/);
  });

  it('falls back to the number\'s default language when the caller stays silent', async () => {
    const s = await bridged(AUTO, { autoDetectTimeoutMs: 30 });
    await new Promise((r) => setTimeout(r, 60));
    expect(s.translators.created.map((t) => t.targetLanguage)).toEqual(['en', 'es']);
    expect(s.service.call('call-1')?.callerLanguage).toBe('es');
  });

  it('follows a caller who switches language, after two utterances in the new one', async () => {
    const s = await bridged();
    const utter = (lang: string): void =>
      s.translators.to('en').fire('utterance', { source: { text: 'x', languageCode: lang }, translation: { text: 'y', languageCode: 'en' }, startMs: 0, endMs: 1 });
    utter('pl');
    expect(s.translators.created.map((t) => t.targetLanguage)).toEqual(['en', 'es']); // one is not enough
    utter('pl');
    await flush();
    expect(s.translators.created.map((t) => t.targetLanguage)).toEqual(['en', 'es', 'pl']);
    expect(s.translators.to('es').closed).toBe(true);
    expect(s.service.call('call-1')?.state).toBe('bridged');
  });

  it('is chosen in the number\'s menu, each option in its own language, and remembered', async () => {
    const languages = new InMemoryLanguageMemory();
    const s = setup({ ...NUMBER, languageMenu: ['es', 'pl', 'ja'] }, { languages });
    const menu = render(await s.service.incoming({ legRef: CALLER_SID, from: '+442071234567', to: NUMBER.number }));
    expect(menu).toBe('<menu call-1>1:es-ES:Para español, pulse 1.|2:pl-PL:Aby kontynuować po polsku, naciśnij 2.|3:en-US:For Japanese, press 3.</menu>');
    const answer = render(s.service.languageChosen('call-1', '2'));
    expect(answer).toBe(`<caller ${CALLER_SID} pl-PL/>`);
    s.service.attach(s.caller);
    await flush();
    s.service.legStatus(AGENT_SID, { state: 'answered' }, 'call-1');
    s.service.attach(s.agent);
    await flush();
    expect(s.translators.created.map((t) => t.targetLanguage).sort()).toEqual(['en', 'pl']);
    expect(await languages.recall(NUMBER.number, '+442071234567')).toBe('pl');
  });

  it("is remembered when the caller chooses the number's own language in the menu", async () => {
    const languages = new InMemoryLanguageMemory();
    const s = setup({ ...NUMBER, languageMenu: ['es', 'pl'] }, { languages });
    await s.service.incoming({ legRef: CALLER_SID, from: '+442071234567', to: NUMBER.number });
    expect(render(s.service.languageChosen('call-1', '1'))).toBe(`<caller ${CALLER_SID} es-ES/>`);
    await flush();
    expect(await languages.recall(NUMBER.number, '+442071234567')).toBe('es');
    expect(s.logLines.some((l) => l.includes('"event":"call.caller_language"') && l.includes('"source":"menu"'))).toBe(true);
  });

  it('is remembered for the caller\'s next call, which then skips the menu', async () => {
    const languages = new InMemoryLanguageMemory();
    await languages.remember(NUMBER.number, '+442071234567', 'pl');
    const s = setup({ ...NUMBER, languageMenu: ['es', 'pl'] }, { languages });
    const answer = render(await s.service.incoming({ legRef: CALLER_SID, from: '+442071234567', to: NUMBER.number }));
    expect(answer).toBe(`<caller ${CALLER_SID} pl-PL/>`);
  });

  it('is remembered afresh when it serves a call, so a regular caller keeps it however long ago it was learnt', async () => {
    const languages = new InMemoryLanguageMemory();
    await languages.remember(NUMBER.number, '+442071234567', 'pl');
    const remember = jest.spyOn(languages, 'remember');
    const s = setup(NUMBER, { languages });
    await s.service.incoming({ legRef: CALLER_SID, from: '+442071234567', to: NUMBER.number });
    expect(remember).toHaveBeenCalledWith(NUMBER.number, '+442071234567', 'pl');
  });

  it('is remembered afresh when it serves a call tolk places to the caller, and the customer is greeted in it', async () => {
    const languages = new InMemoryLanguageMemory();
    await languages.remember(NUMBER.number, '+442071234567', 'pl');
    const remember = jest.spyOn(languages, 'remember');
    const s = setup(NUMBER, { languages });
    s.service.startOutbound({ id: 'call-1', settings: NUMBER, customer: '+442071234567', plan: { dueAt: new Date(), attempts: 1, retries: 0, retryAfterSec: 60 } });
    await flush();
    const answer = render(await s.service.customerAnswered('call-1', AGENT_SID));
    expect(answer).toBe(`<caller ${AGENT_SID} pl-PL/>`);
    expect(remember).toHaveBeenCalledWith(NUMBER.number, '+442071234567', 'pl');
  });

  it('takes the number\'s configured language when no key is pressed in the menu', async () => {
    const s = setup({ ...NUMBER, languageMenu: ['es', 'pl'] }, { languages: new InMemoryLanguageMemory() });
    await s.service.incoming({ legRef: CALLER_SID, from: '+442071234567', to: NUMBER.number });
    const answer = render(s.service.languageChosen('call-1', undefined));
    expect(answer).toBe(`<caller ${CALLER_SID} es-ES/>`);
  });

  it('is not remembered when the number turns remembering off', async () => {
    const languages = new InMemoryLanguageMemory();
    const s = setup({ ...NUMBER, languageMenu: ['es', 'pl'], rememberLanguage: false }, { languages });
    await s.service.incoming({ legRef: CALLER_SID, from: '+442071234567', to: NUMBER.number });
    s.service.languageChosen('call-1', '2');
    expect(await languages.recall(NUMBER.number, '+442071234567')).toBeUndefined();
  });
});
