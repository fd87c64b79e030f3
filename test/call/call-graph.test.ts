import { Writable } from 'node:stream';
import { decodeMulaw, encodeMulaw } from '../../src/audio';
import { CallGraph, type GraphHooks } from '../../src/call/call-graph';
import { CallEventBus, type CallEvent } from '../../src/call/events';
import { ManualFrameClock } from '../../src/call/frame-clock';
import type { PromptLibrary } from '../../src/call/prompts';
import { createLogger } from '../../src/log/logger';
import { FakeMediaLeg } from './fakes/fake-media-leg';
import { FakeTranslatorFactory } from './fakes/fake-translator';
import { flush } from './fakes/rig-fixtures';

const sine = (n: number, amp: number, period: number): Int16Array => Int16Array.from({ length: n }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * i) / period)));
const rms = (pcm: Int16Array): number => Math.sqrt(pcm.reduce((a, v) => a + v * v, 0) / Math.max(1, pcm.length));
const heard = (leg: FakeMediaLeg, from = 0): Int16Array => decodeMulaw(Buffer.concat(leg.sent.slice(from)));
const NOTICE = new Int16Array(800).fill(1234);

/** `elapsedMs`: the call's clock (ms since it started); still by default. `hooks`: the call's configuration's. */
function rig(elapsedMs: () => number = () => 0, hooks?: GraphHooks) {
  const clock = new ManualFrameClock();
  const translators = new FakeTranslatorFactory();
  const logLines: string[] = [];
  const logger = createLogger({ destination: new Writable({ write: (c: Buffer, _e, cb) => (logLines.push(c.toString()), cb()) }) });
  const events = new CallEventBus(logger);
  const published: CallEvent[] = [];
  events.subscribe((e) => void published.push(e));
  const prompts: PromptLibrary = { get: (_key, language) => (language === 'es' ? NOTICE : undefined) };
  const underruns: number[] = [];
  const metrics = { observeFrameProcessing: () => undefined, observePlayoutDepth: () => undefined, playoutOverflow: () => undefined, playoutUnderruns: (n: number) => void underruns.push(n), playoutConcealments: () => undefined, inboundUnderrun: () => undefined, inboundLateFrame: () => undefined, observeInboundJitterDelay: () => undefined };
  const graph = new CallGraph({ callId: 'conf-call', conferenceId: 'CF' + '1'.repeat(32), clock, translators, prompts, metrics, publish: (e) => events.publish(e), logger, elapsedMs, ...(hooks ? { hooks } : {}) });
  return { clock, translators, graph, published, logLines, underruns };
}

/** A caller and an agent; `say` moves the call's clock `pace` times as fast as the caller's media (a sped-up emulator, or a slow stream). */
function twoParty(opts: { pace?: number } = {}) {
  let now = 0;
  const r = rig(() => now);
  const caller = new FakeMediaLeg('CA' + 'c'.repeat(32), 'caller');
  const agent = new FakeMediaLeg('CA' + 'a'.repeat(32), 'agent');
  r.graph.addEndpoint({ id: 'caller', carries: ['caller'], reaches: ['caller'] }, caller);
  r.graph.addEndpoint({ id: 'agent', carries: ['agent'], reaches: ['agent'] }, agent);
  const say = (amp: number, frames: number): void => {
    for (let i = 0; i < frames; i++) {
      now += 20 * (opts.pace ?? 1);
      caller.say(encodeMulaw(amp === 0 ? new Int16Array(160) : sine(160, amp, 20)));
      r.clock.tick(1);
    }
  };
  const lags = (): (number | undefined)[] => r.published.flatMap((e) => (e.type === 'utterance.latency' ? [e.lagMs] : []));
  const finals = () => r.published.flatMap((e) => (e.type === 'utterance.final' ? [e] : []));
  return { ...r, caller, say, lags, finals, now: () => now };
}

/** A coaching leg: hears the whole conference, is heard by `party` alone. */
function coachingLeg(g: CallGraph, party: string, everyone: string[]): FakeMediaLeg {
  const leg = new FakeMediaLeg('CA' + party.padEnd(32, '0'), `whisper:${party}`);
  g.addEndpoint({ id: leg.endpoint, carries: everyone, reaches: [party] }, leg);
  return leg;
}

describe('the call graph in the conference shapes', () => {
  const everyone = ['customer', 'agent', 'supervisor'];

  it('whisper: parties sharing a language share one session, fanned out to each of their legs, and nobody hears a translation meant for someone else', async () => {
    const { graph, translators, clock } = rig();
    graph.addParticipant({ id: 'customer', role: 'customer', language: 'es' });
    graph.addParticipant({ id: 'agent', role: 'agent', language: 'en' });
    graph.addParticipant({ id: 'supervisor', role: 'agent', language: 'en' });
    const legs = Object.fromEntries(everyone.map((p) => [p, coachingLeg(graph, p, everyone)]));
    // Every leg hears the same conference mix: one of them feeds the sessions.
    graph.addRoute({ id: 'into-es', source: 'whisper:customer', targetLanguage: 'es', listeners: ['whisper:customer'] });
    graph.addRoute({ id: 'into-en', source: 'whisper:customer', targetLanguage: 'en', listeners: ['whisper:agent', 'whisper:supervisor'] });
    await flush();
    expect(translators.created.map((t) => t.targetLanguage)).toEqual(['es', 'en']);

    for (let i = 0; i < 5; i++) legs.customer.say(encodeMulaw(sine(160, 8000, 20)));
    expect(translators.to('es').received).toBe(5 * 160);
    expect(translators.to('en').received).toBe(5 * 160);

    translators.to('en').fire('audio', sine(1600, 12000, 16));
    clock.tick(30);
    // Both English speakers hear the English translation, on legs of their own; the customer does not.
    expect(rms(heard(legs.agent))).toBeGreaterThan(5000);
    expect(rms(heard(legs.supervisor))).toBeGreaterThan(5000);
    expect(legs.customer.sent).toHaveLength(0);
    // No original voices: the conference carries them. The translation's 200 ms is heard, then the
    // concealment's 80 ms, fading (an utterance's end looks like speech running dry).
    const agentHeard = heard(legs.agent);
    expect(agentHeard.length).toBe(14 * 160);
    expect(rms(agentHeard.subarray(13 * 160))).toBeLessThan(0.4 * rms(agentHeard.subarray(0, 10 * 160)));

    const before = legs.agent.sent.length;
    translators.to('es').fire('audio', sine(1600, 12000, 16));
    clock.tick(15);
    expect(rms(heard(legs.customer))).toBeGreaterThan(5000);
    expect(legs.agent.sent.length).toBe(before);
  });

  it('counts each gap inside a translated utterance within a second, while the call runs, and once', async () => {
    const { graph, translators, clock, underruns } = rig();
    const agent = coachingLeg(graph, 'agent', everyone);
    graph.addRoute({ id: 'into-en', source: 'whisper:agent', targetLanguage: 'en', listeners: ['whisper:agent'] });
    await flush();
    // 200 ms of translation, then the rest 100 ms after it ran out: one gap, heard.
    translators.to('en').fire('audio', sine(1600, 12000, 16));
    clock.tick(20);
    translators.to('en').fire('audio', sine(1600, 12000, 16));
    clock.tick(20);
    clock.tick(50);
    expect(underruns).toEqual([1]);
    clock.tick(50);
    await graph.removeEndpoint(agent.endpoint);
    expect(underruns).toEqual([1]);
  });

  it('whisper: each listener plays the shared session out on its own queue, so one leaving does not starve the other', async () => {
    const { graph, translators, clock } = rig();
    const agent = coachingLeg(graph, 'agent', everyone);
    const supervisor = coachingLeg(graph, 'supervisor', everyone);
    graph.addRoute({ id: 'into-en', source: 'whisper:agent', targetLanguage: 'en', listeners: ['whisper:agent', 'whisper:supervisor'] });
    await flush();
    translators.to('en').fire('audio', sine(800, 12000, 16));
    clock.tick(3);
    graph.removeRouteListener('into-en', 'whisper:supervisor');
    const [agentBefore, supervisorBefore] = [agent.sent.length, supervisor.sent.length];
    translators.to('en').fire('audio', sine(800, 12000, 16));
    clock.tick(15);
    expect(agent.sent.length).toBeGreaterThan(agentBefore + 4);
    // The supervisor's queue held the rest of the first chunk only.
    expect(supervisor.sent.length - supervisorBefore).toBeLessThanOrEqual(3);
  });

  it('open: one leg speaking into the room, one session per language fed by its inbound mix, their outputs mixed into it', async () => {
    const { graph, translators, clock } = rig();
    const room = new FakeMediaLeg('CA' + 'e'.repeat(32), 'room');
    graph.addEndpoint({ id: 'room', carries: everyone, reaches: everyone }, room);
    graph.addRoute({ id: 'into-es', source: 'room', targetLanguage: 'es', listeners: ['room'] });
    graph.addRoute({ id: 'into-en', source: 'room', targetLanguage: 'en', listeners: ['room'] });
    await flush();
    room.say(encodeMulaw(sine(160, 8000, 20)));
    expect(translators.created.map((t) => t.received)).toEqual([160, 160]);
    translators.to('es').fire('audio', new Int16Array(1600).fill(3000));
    translators.to('en').fire('audio', new Int16Array(1600).fill(2000));
    clock.tick(30);
    // Both translations at once: summed in the leg's mixer.
    const out = heard(room);
    expect(Math.max(...out)).toBeGreaterThan(4700);
    expect(Math.max(...out)).toBeLessThan(5300);
  });

  it('a session that fails for good leaves the others running; only its listeners hear the notice', async () => {
    const { graph, translators, clock, logLines } = rig();
    const customer = coachingLeg(graph, 'customer', everyone);
    const agent = coachingLeg(graph, 'agent', everyone);
    graph.addRoute({ id: 'into-es', source: 'whisper:customer', targetLanguage: 'es', listeners: ['whisper:customer'] });
    graph.addRoute({ id: 'into-en', source: 'whisper:customer', targetLanguage: 'en', listeners: ['whisper:agent'] });
    await flush();
    translators.to('es').fire('state', 'failed', { kind: 'quota', reason: 'quota' });
    clock.tick(1);
    expect(heard(customer)[0]).toBe(decodeMulaw(encodeMulaw(new Int16Array([1234])))[0]);
    expect(agent.sent).toHaveLength(0);
    translators.to('en').fire('audio', sine(1600, 12000, 16));
    clock.tick(15);
    expect(rms(heard(agent))).toBeGreaterThan(5000);
    expect(graph.route('into-es')?.failed).toBe(true);
    expect(graph.route('into-en')?.failed).toBe(false);
    expect(logLines.join('')).toMatch(/call.translation_unavailable.*into-es/);
  });

  it('knows participants without media of their own, and publishes plain JSON events with the call and conference ids', async () => {
    const { graph, translators, published } = rig();
    graph.addParticipant({ id: 'customer', role: 'customer' });
    graph.setParticipantLanguage('customer', 'es', 'detected');
    const leg = coachingLeg(graph, 'agent', everyone);
    graph.addRoute({ id: 'into-en', source: leg.endpoint, targetLanguage: 'en', listeners: [leg.endpoint] });
    await flush();
    translators.to('en').fire('inputTranscript', { text: 'hola', languageCode: 'es', atMs: 100 });
    translators.to('en').fire('utterance', { source: { text: 'hola' }, translation: { text: 'hello' }, startMs: 100, endMs: 600 });
    await graph.close();
    expect(published.map((e) => e.type)).toEqual([
      'participant.joined',
      'participant.language',
      'session.state',
      'utterance.partial',
      'utterance.final',
      'session.state',
    ]);
    expect(published[0]).toMatchObject({ participantId: 'customer', role: 'customer' });
    expect(published[0]).not.toHaveProperty('legRef');
    // The mix carries several voices: the speaker is not known, the languages are the route's.
    expect(published[4]).toMatchObject({ routeId: 'into-en', source: { text: 'hola', languageCode: '' }, translation: { text: 'hello', languageCode: 'en' } });
    expect(published[4]).not.toHaveProperty('participantId');
    expect(published.map((e) => e.type === 'session.state' && e.state)).toEqual([false, false, 'connecting', false, false, 'closed']);
    for (const e of published) {
      expect(e).toMatchObject({ callId: 'conf-call', conferenceId: 'CF' + '1'.repeat(32) });
      expect(JSON.parse(JSON.stringify(e))).toEqual(e);
    }
  });
});

describe("the call graph's utterances", () => {
  it('carry the latency measured on their route since its previous final utterance, and only that', async () => {
    const { graph, translators, clock, published, caller } = twoParty();
    graph.addRoute({ id: 'caller->agent', source: 'caller', targetLanguage: 'en', listeners: ['agent'] });
    await flush();
    // The caller speaks, the translation plays to the agent: one latency measured.
    for (let i = 0; i < 25; i++) caller.say(encodeMulaw(sine(160, 8000, 20)));
    translators.to('en').fire('audio', sine(1600, 12000, 16));
    clock.tick(40);
    const latency = published.find((e) => e.type === 'utterance.latency');
    expect(latency).toBeDefined();
    const utter = () => translators.to('en').fire('utterance', { source: { text: 'hola' }, translation: { text: 'hello' }, startMs: 0, endMs: 500 });
    utter();
    utter();
    const finals = published.filter((e) => e.type === 'utterance.final');
    expect(finals[0]).toMatchObject({ latencyMs: latency?.type === 'utterance.latency' ? latency.latencyMs : NaN });
    expect(finals[1]).not.toHaveProperty('latencyMs');
    await graph.close();
  });
});

describe('the call graph as legs come and go', () => {
  it('a leg that leaves stops hearing its routes, and the routes it fed close', async () => {
    const { graph, translators, published } = rig();
    const room = new FakeMediaLeg('CA' + 'e'.repeat(32), 'room');
    const whisper = new FakeMediaLeg('CA' + 'f'.repeat(32), 'whisper:agent');
    graph.addEndpoint({ id: 'room', carries: ['customer', 'agent'], reaches: ['customer', 'agent'] }, room);
    graph.addEndpoint({ id: 'whisper:agent', carries: ['customer', 'agent'], reaches: ['agent'] }, whisper);
    graph.addRoute({ id: 'into-en', source: 'room', targetLanguage: 'en', listeners: ['room', 'whisper:agent'] });
    graph.addRoute({ id: 'into-es', source: 'whisper:agent', targetLanguage: 'es', listeners: ['room'] });
    await flush();
    await graph.removeEndpoint('whisper:agent');
    expect(whisper.closed).toBe(true);
    expect(graph.route('into-es')).toBeUndefined();
    expect(translators.to('es').closed).toBe(true);
    expect(graph.route('into-en')?.listeners.map((e) => e.id)).toEqual(['room']);
    expect(published.filter((e) => e.type === 'session.state' && e.state === 'closed').map((e) => e.type === 'session.state' && e.routeId)).toEqual(['into-es']);
  });

  it("logs a tick that throws as this call's failure, and hands the error to the clock", () => {
    const { graph, clock, logLines } = twoParty();
    const leg = new FakeMediaLeg('CA' + '9'.repeat(32), 'broken');
    leg.send = () => {
      throw new Error('socket state corrupt');
    };
    graph.addEndpoint({ id: 'broken', carries: ['agent'], reaches: ['agent'] }, leg);
    graph.endpoint('broken')?.mixer.pushPrompt(new Int16Array(1600).fill(1000)); // something to send
    expect(() => clock.tick(1)).toThrow('socket state corrupt');
    const failed = logLines.map((l) => JSON.parse(l) as { event?: string; level?: number; err?: { message?: string } }).filter((l) => l.event === 'call.tick_failed');
    expect(failed).toHaveLength(1);
    expect(failed[0].err?.message).toBe('socket state corrupt');
  });

  it('tells the call once when a tick throws, and never ticks again, not even for a leg added later', () => {
    const failures: unknown[] = [];
    const { graph, clock } = rig(() => 0, { tickFailed: (err) => void failures.push(err) });
    const leg = new FakeMediaLeg('CA' + '9'.repeat(32), 'broken');
    leg.send = () => {
      throw new Error('socket state corrupt');
    };
    graph.addEndpoint({ id: 'broken', carries: ['agent'], reaches: ['agent'] }, leg);
    graph.endpoint('broken')?.mixer.pushPrompt(new Int16Array(1600).fill(1000));
    expect(() => clock.tick(1)).toThrow('socket state corrupt');
    expect(failures).toEqual([new Error('socket state corrupt')]);
    expect(clock.subscribers).toBe(0);
    const later = new FakeMediaLeg('CA' + '8'.repeat(32), 'later');
    graph.addEndpoint({ id: 'later', carries: ['customer'], reaches: ['customer'] }, later);
    graph.endpoint('later')?.mixer.pushPrompt(new Int16Array(1600).fill(1000));
    expect(clock.subscribers).toBe(0);
    clock.tick(5);
    expect(later.sent).toHaveLength(0);
    expect(failures).toHaveLength(1);
  });
});

describe('the delays and times of what was said', () => {
  it("measure the listener's lag from the start of the speech, and place a late transcript where the words were said", async () => {
    const { graph, translators, published, say } = twoParty();
    graph.addRoute({ id: 'caller->agent', source: 'caller', targetLanguage: 'en', listeners: ['agent'] });
    await flush();
    say(0, 50); // a second of quiet line
    say(8000, 60); // the caller speaks from 1000 ms...
    translators.to('en').fire('audio', sine(1600, 12000, 16)); // ...its translation comes at 2200 ms
    say(8000, 15); // until 2500 ms
    say(0, 50);
    say(8000, 10); // a few more words from 3500 ms, translated before the first ones' transcript is final
    translators.to('en').fire('audio', sine(1600, 12000, 16));
    say(0, 25);
    // The session transcribed the first words at 1900 ms and the last at 3300 ms.
    translators.to('en').fire('utterance', { source: { text: 'hola' }, translation: { text: 'hello' }, startMs: 1900, endMs: 3300 });
    // The agent hears each translation after the play-out's start wait (120 ms here).
    expect(published.filter((e) => e.type === 'utterance.latency')).toEqual([
      expect.objectContaining({ latencyMs: 0, lagMs: 1320 }),
      expect.objectContaining({ latencyMs: 0, lagMs: 320 }),
    ]);
    // The line carries the first: its own words' delays.
    expect(published.find((e) => e.type === 'utterance.final')).toMatchObject({ startMs: 1000, endMs: 2500, latencyMs: 0, lagMs: 1320 });
    await graph.close();
  });

  it("measure the reply's lag from the reply, not from speech before it that the session let pass (the listener's own language)", async () => {
    const { graph, translators, say, lags } = twoParty();
    graph.addRoute({ id: 'to:en', source: 'caller', targetLanguage: 'en', listeners: ['agent'] });
    await flush();
    const session = () => translators.to('en');
    say(0, 25);
    say(8000, 50); // Spanish, from 500 ms
    session().fire('audio', sine(1600, 12000, 16));
    say(0, 50);
    session().fire('utterance', { source: { text: 'hola', languageCode: 'es' }, translation: { text: 'hello' }, startMs: 1400, endMs: 2000 });
    say(8000, 100); // English, the listener's own: nothing comes back but its transcript
    say(0, 20);
    session().fire('utterance', { source: { text: 'hi', languageCode: 'en' }, translation: { text: '' }, startMs: 4000, endMs: 5000 });
    say(0, 10);
    say(8000, 50); // the Spanish reply, under a second after
    session().fire('audio', sine(1600, 12000, 16));
    say(0, 50);
    // Each translation came a second after its speech began, and played after the start wait.
    expect(lags()).toHaveLength(2);
    for (const lag of lags()) expect(lag).toBeGreaterThanOrEqual(1000);
    for (const lag of lags()) expect(lag).toBeLessThanOrEqual(1140);
    await graph.close();
  });

  it("keep a translation's lag when its line is final before it plays (the model's audio trailing its words)", async () => {
    const { graph, translators, say, lags } = twoParty();
    graph.addRoute({ id: 'caller->agent', source: 'caller', targetLanguage: 'en', listeners: ['agent'] });
    await flush();
    say(0, 25);
    say(8000, 30); // from 500 ms
    say(0, 50);
    translators.to('en').fire('utterance', { source: { text: 'hola' }, translation: { text: 'hello' }, startMs: 1200, endMs: 1800 });
    translators.to('en').fire('audio', sine(1600, 12000, 16)); // at 2100 ms
    say(0, 25);
    expect(lags()).toHaveLength(1);
    expect(lags()[0]).toBeGreaterThanOrEqual(1600);
    expect(lags()[0]).toBeLessThanOrEqual(1740);
    await graph.close();
  });

  it('place speech held for a session set later on the session\'s own clock, whatever the pace of the call\'s', async () => {
    // Media arriving four times as fast as the call's clock runs (a backlog delivered at once).
    const { graph, translators, say, finals, now } = twoParty({ pace: 0.25 });
    say(0, 50); // the caller's media at 1000 ms
    const routeAt = now();
    graph.addRoute({ id: 'caller->agent', source: 'caller', listeners: ['agent'] }); // language not known yet: held
    say(0, 25);
    say(8000, 75); // speech from 1500 to 3000 ms of media
    say(0, 25);
    graph.retarget('caller->agent', 'en');
    await flush();
    // The session's clock starts with the held speech: it heard the first words 900 ms in.
    translators.to('en').fire('utterance', { source: { text: 'hola' }, translation: { text: 'hello' }, startMs: 1400, endMs: 2800 });
    // On the call's clock, from where the route started: 500 ms of media later, for 1500 ms (the
    // media's own time from that moment on, as the session's times are).
    expect(finals()).toEqual([expect.objectContaining({ startMs: routeAt + 500, endMs: routeAt + 2000 })]);
    await graph.close();
  });

  it('place the speech a route was handed as it started (the utterance in progress) where it was said', async () => {
    const { graph, translators, say, finals, now } = twoParty();
    say(0, 100); // the caller's media at 2000 ms; they have been talking since 1000 ms
    const leadIn = new Int16Array(8800);
    leadIn.set(Int16Array.from({ length: 8000 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * i) / 20))), 800);
    graph.addRoute({ id: 'caller->agent', source: 'caller', targetLanguage: 'en', listeners: ['agent'], leadIn });
    await flush();
    const at = now();
    say(0, 50);
    translators.to('en').fire('utterance', { source: { text: 'hola' }, translation: { text: 'hello' }, startMs: 1000, endMs: 1500 });
    expect(finals()).toEqual([expect.objectContaining({ startMs: at - 1000, endMs: at })]);
    await graph.close();
  });
});

describe('the utterance in progress as a call moves to another instance', () => {
  it('is handed over from just before its start, at most handOverMs, and no line of it is written here unless it comes back', async () => {
    const { graph, translators, say, finals } = twoParty();
    const route = graph.addRoute({ id: 'caller->agent', source: 'caller', targetLanguage: 'en', listeners: ['agent'], handOverMs: 4000 });
    await flush();
    say(8000, 50); // an utterance from 0 to 1000 ms, then a pause: over
    say(0, 50);
    expect(route.handOver()).toHaveLength(0);
    say(8000, 100); // speaking since 2000 ms
    const handed = route.handOver();
    expect(handed.length).toBeGreaterThanOrEqual(16_000);
    expect(handed.length).toBeLessThanOrEqual(16_000 + 800 + 160);
    const en = translators.to('en');
    en.fire('utterance', { source: { text: 'uno' }, translation: { text: 'one' }, startMs: 0, endMs: 1000 });
    en.fire('utterance', { source: { text: 'dos' }, translation: { text: 'two' }, startMs: 2000, endMs: 4000 });
    expect(finals().map((f) => f.source.text)).toEqual(['uno']);
    say(8000, 250); // 5 s more of the same utterance: only the last 4 s are carried
    expect(route.handOver()).toHaveLength(32_000);
    route.keepHandedOver();
    en.fire('utterance', { source: { text: 'tres' }, translation: { text: 'three' }, startMs: 2000, endMs: 9000 });
    expect(finals().map((f) => f.source.text)).toEqual(['uno', 'tres']);
    await graph.close();
  });
});
