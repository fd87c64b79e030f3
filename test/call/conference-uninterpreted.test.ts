/**
 * A conference whose interpreter legs all fail for good (Twilio refuses them: e.g. 21218, the
 * TwiML App TWILIO_TWIML_APP_SID names does not exist) goes on without tolk: each party hears, in
 * their language and alone, that interpretation is unavailable, and the call's events, log and
 * record say it went uninterpreted. A failure that may pass tells nobody anything. In whisper mode,
 * a party whose own leg is refused while another's is connected is told alone, once, and the call
 * stays interpreted for the others. tolk_conferences_uninterpreted_total counts each by scope, and
 * tolk_conferences_interpretation_restored_total each that was interpreted again.
 */
import { CallService } from '../../src/call/call-service';
import { CallEventBus, type CallEvent } from '../../src/call/events';
import { ManualFrameClock } from '../../src/call/frame-clock';
import { InterpreterLegRefusedError, WhisperRefusedError, type AddInterpreterRequest, type CallMetrics, type ConferenceEvent } from '../../src/call/ports';
import { message } from '../../src/call/messages';
import { measureCalls } from '../../src/call/subscribers/metrics';
import { StaticNumberDirectory } from '../../src/config/numbers';
import { Writable } from 'node:stream';
import { Metrics } from '../../src/http/metrics';
import { createLogger } from '../../src/log/logger';
import { InMemoryCallRecordStore } from '../../src/store/in-memory-call-record-store';
import { conferenceRig } from './fakes/conference-rig';
import { FakeConferences } from './fakes/fake-conferences';
import { FakeMediaLeg } from './fakes/fake-media-leg';
import { CALLER_SID, FakeTelephony, NUMBER as DIRECT_NUMBER } from './fakes/fake-telephony';
import { FakeTranslatorFactory } from './fakes/fake-translator';
import { flush, noPrompts, quietMetrics, silentLogger } from './fakes/rig-fixtures';
import { AGENT, CALLER, CONFERENCE_SID, ownedConference } from './fakes/owned-conference-rig';

const REFUSED = new InterpreterLegRefusedError('Twilio 400 error 21218: Invalid ApplicationSid: AP00000000000000000000000000000000');
const THIRD = 'CA' + '3'.repeat(32);

/** `tolk_conferences_uninterpreted_total`, by scope, as /metrics would show it. */
async function uninterpreted(metrics: Metrics): Promise<Record<string, number>> {
  const counted = await metrics.registry.getSingleMetric('tolk_conferences_uninterpreted_total')!.get();
  return Object.fromEntries(counted.values.map((v) => [String(v.labels.scope), v.value]));
}

/** `tolk_conferences_interpretation_restored_total`, by scope, as /metrics would show it. */
async function restored(metrics: Metrics): Promise<Record<string, number>> {
  const counted = await metrics.registry.getSingleMetric('tolk_conferences_interpretation_restored_total')!.get();
  return Object.fromEntries(counted.values.map((v) => [String(v.labels.scope), v.value]));
}

describe('a conference tolk created for a caller, whose interpreter legs Twilio refuses', () => {
  it('tells the caller and the agent, each in their language, that interpretation is unavailable; they talk on, and the record says it went uninterpreted', async () => {
    const rig = await ownedConference({ interpreterRefusal: REFUSED });
    const told = rig.conferences.announced;
    expect(told).toHaveLength(2);
    expect(told).toEqual(
      expect.arrayContaining([
        { legRef: CALLER, text: message('translationUnavailable', 'es'), locale: 'es-ES' },
        { legRef: AGENT, text: message('translationUnavailable', 'en'), locale: 'en-US' },
      ]),
    );
    expect(rig.call.state).toBe('uninterpreted');
    expect(rig.seen.filter((e) => e.type === 'interpreter.unavailable')).toEqual([expect.objectContaining({ reason: REFUSED.reason })]);
    // Nothing more is placed (every further leg would be refused the same way); a supervisor who dials in is told too.
    const refused = rig.conferences.refused;
    await rig.joined(THIRD);
    expect(rig.conferences.refused).toBe(refused);
    expect(told.at(-1)).toEqual({ legRef: THIRD, text: message('translationUnavailable', 'en'), locale: 'en-US' });

    await rig.left(CALLER, 'hung-up');
    await rig.ended(CALLER);
    const record = await rig.whenEnded();
    expect(record.outcome).toBe('completed');
    expect(record.endReason).toBe(`the caller hung up (uninterpreted: every interpreter leg failed: ${REFUSED.reason})`);
    expect(record.answeredAt).toBeDefined();
    await rig.close();
  });

  it('does not stay open for good when the conference end is never reported: tolk looks the conference up every TOLK_STEP_TIMEOUT_SEC and ends the call once it is over', async () => {
    // The conference goes on (listed from the start: tolk may look it up as soon as the call is
    // uninterpreted): the call stays, however many times it is looked up.
    const listed = { ref: CONFERENCE_SID, name: 'tolk-conference', members: [CALLER, AGENT].map((legRef) => ({ legRef, whispering: false })) };
    const rig = await ownedConference({ interpreterRefusal: REFUSED, stepTimeoutMs: 40, listed });
    expect(rig.call.state).toBe('uninterpreted');
    while (rig.conferences.lookedUp < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(rig.call.state).toBe('uninterpreted');
    expect(rig.service.activeCalls).toBe(1);
    // It ended, and Twilio's report of it was lost: the next look-up ends the call.
    rig.conferences.listed = undefined;
    const record = await rig.whenEnded();
    expect(record.endReason).toBe(`the conference ended (uninterpreted: every interpreter leg failed: ${REFUSED.reason})`);
    expect(record.answeredAt).toBeDefined();
    expect(rig.service.activeCalls).toBe(0);
    await rig.close();
  });

  it.each([
    ['its drain timeout passes', (rig: Awaited<ReturnType<typeof ownedConference>>) => rig.service.drain(1, 50), 'interrupted'],
    ['it shuts down at once', (rig: Awaited<ReturnType<typeof ownedConference>>) => rig.service.shutdown(), 'error'],
  ])('lets the parties talk on when tolk, which they do not talk through, stops (%s): their conference is not ended', async (_when, stop, outcome) => {
    const rig = await ownedConference({ interpreterRefusal: REFUSED });
    expect(rig.call.state).toBe('uninterpreted');
    await stop(rig);
    const record = await rig.whenEnded();
    expect(rig.conferences.steps).not.toContain('end the conference');
    expect(rig.network.steps).toEqual([]);
    expect(record.outcome).toBe(outcome);
    expect(record.endReason).toBe(`tolk shut down; the parties talk on without it (uninterpreted: every interpreter leg failed: ${REFUSED.reason})`);
    await rig.close();
  });

  it('tells nobody anything when placing a leg failed in a way that may pass: the leg is asked for again', async () => {
    const rig = await ownedConference({ interpreterRefusal: new Error('socket hang up') });
    expect(rig.conferences.announced).toEqual([]);
    expect(rig.call.state).toBe('joining');
    const tried = rig.conferences.refused;
    await rig.joined(THIRD);
    expect(rig.conferences.refused).toBeGreaterThan(tried);
    expect(rig.conferences.announced).toEqual([]);
    await rig.close();
  });
});

describe('a conference tolk joined, whose interpreter legs Twilio refuses', () => {
  it('tells each party there in their language, and one who joins later in English while theirs is not known', async () => {
    const es = 'CA' + 'e'.repeat(32);
    const en = 'CA' + 'a'.repeat(32);
    const metrics = new Metrics({ defaultMetrics: false });
    const rig = await conferenceRig({
      members: [es, en],
      parties: [
        { legRef: es, language: 'es', role: 'caller' },
        { legRef: en, language: 'en', role: 'agent' },
      ],
      interpreterRefusal: REFUSED,
      metrics,
    });
    expect(rig.seen.filter((e) => e.type === 'interpreter.unavailable')).toEqual([expect.objectContaining({ reason: REFUSED.reason, told: [es, en] })]);
    expect(await uninterpreted(metrics)).toEqual({ conference: 1 });
    expect(rig.conferences.announced).toEqual(
      expect.arrayContaining([
        { legRef: es, text: message('translationUnavailable', 'es'), locale: 'es-ES' },
        { legRef: en, text: message('translationUnavailable', 'en'), locale: 'en-US' },
      ]),
    );
    expect(rig.conferences.announced).toHaveLength(2);
    expect(rig.call.snapshot()).toMatchObject({ state: 'uninterpreted', legs: [] });
    await rig.joined(THIRD);
    expect(rig.conferences.announced.at(-1)).toEqual({ legRef: THIRD, text: message('translationUnavailable', 'en'), locale: 'en-US' });
    // Counted once per conference, however many are told.
    expect(await uninterpreted(metrics)).toEqual({ conference: 1 });
    await rig.ended();
    const record = await rig.whenEnded();
    expect(record.endReason).toBe(`the conference ended (uninterpreted: every interpreter leg failed: ${REFUSED.reason})`);
    await rig.close();
  });
});

describe('TOLK_MAX_CALLS, with a conference that went uninterpreted', () => {
  it('tolk created for a caller: its line is free for a new caller while the call goes on, tracked', async () => {
    const rig = await ownedConference({ interpreterRefusal: REFUSED, maxCalls: 1 });
    expect(rig.call.state).toBe('uninterpreted');
    expect([rig.service.activeCalls, rig.service.accepting]).toEqual([1, true]);
    await rig.left(CALLER, 'hung-up');
    await rig.ended(CALLER);
    expect((await rig.whenEnded()).outcome).toBe('completed');
    expect([rig.service.activeCalls, rig.service.accepting]).toEqual([0, true]);
    await rig.close();
  });

  it('frees its line for a new caller while the call is still tracked, and ending it later frees nothing more', async () => {
    const conferences = new FakeConferences('room', ['CA' + 'e'.repeat(32), 'CA' + 'a'.repeat(32)]);
    conferences.refuse = () => REFUSED; // every interpreter leg, for good
    const telephony = new FakeTelephony();
    const logger = silentLogger();
    const service = new CallService({
      events: new CallEventBus(logger),
      clock: new ManualFrameClock(),
      telephony,
      translators: new FakeTranslatorFactory(),
      records: new InMemoryCallRecordStore(),
      prompts: noPrompts,
      metrics: quietMetrics,
      logger,
      numbers: new StaticNumberDirectory([DIRECT_NUMBER]),
      conferences,
      maxCalls: 1,
    });
    const joined = await service.joinConference('room', { mode: 'whisper' });
    if (!joined.ok) throw new Error(joined.error);
    await flush();
    expect(joined.call.state).toBe('uninterpreted');
    // It does no audio work: its line is free, though tolk still follows the conference.
    expect(service.activeCalls).toBe(1);
    expect(service.accepting).toBe(true);
    const answer = await service.incoming({ legRef: CALLER_SID, from: '+442071234567', to: DIRECT_NUMBER.number });
    expect(answer.type).toBe('connect');
    expect([service.activeCalls, service.accepting]).toEqual([2, false]);
    // The conference ends: the caller's call still holds the one line, and nobody else gets it.
    for (const watcher of conferences.watchers) watcher({ type: 'ended', conferenceRef: 'CF-room' } satisfies ConferenceEvent);
    await flush();
    await flush();
    expect(joined.call.state).toBe('ended');
    expect([service.activeCalls, service.accepting]).toEqual([1, false]);
    const refused = await service.incoming({ legRef: 'CA' + '7'.repeat(32), from: '+442070000000', to: DIRECT_NUMBER.number });
    expect(refused).toMatchObject({ type: 'say-and-hang-up', text: message('allLinesBusy', 'es') });
    await service.shutdown();
  });
});

describe('a conference interpreted in whisper mode, where Twilio refuses one party\'s interpreter leg', () => {
  const es = 'CA' + 'e'.repeat(32);
  const en = 'CA' + 'a'.repeat(32);
  const parties = [
    { legRef: es, language: 'es', role: 'caller' },
    { legRef: en, language: 'en', role: 'agent' },
  ];

  it('tells that party alone, in their language and once, that interpretation is unavailable to them; the others stay interpreted', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const fourth = 'CA' + '4'.repeat(32);
    const rig = await conferenceRig({ members: [es, en], parties, interpreterRefusal: (req) => (req.whisperTo === es || req.whisperTo === fourth ? REFUSED : undefined), metrics });
    expect(rig.conferences.announced).toEqual([{ legRef: es, text: message('translationUnavailable', 'es'), locale: 'es-ES' }]);
    expect(rig.seen.filter((e) => e.type === 'interpreter.unavailable')).toEqual([expect.objectContaining({ reason: REFUSED.reason, party: es, told: [es] })]);
    expect(rig.call.snapshot()).toMatchObject({ state: 'live', legs: [expect.objectContaining({ whisperTo: en, state: 'connected' })] });
    expect(await uninterpreted(metrics)).toEqual({ party: 1 });

    // The room changes (a supervisor joins and is interpreted): nothing more is said to anyone.
    await rig.joined(THIRD);
    expect(rig.call.snapshot().legs).toEqual(expect.arrayContaining([expect.objectContaining({ whisperTo: THIRD, state: 'connected' })]));
    expect(rig.conferences.announced).toHaveLength(1);
    expect(await uninterpreted(metrics)).toEqual({ party: 1 });
    // One who joins while the call is interpreted, and whose leg is refused, is told at once (in English while their language is not known).
    await rig.joined(fourth);
    expect(rig.conferences.announced).toEqual([
      { legRef: es, text: message('translationUnavailable', 'es'), locale: 'es-ES' },
      { legRef: fourth, text: message('translationUnavailable', 'en'), locale: 'en-US' },
    ]);
    expect(rig.call.state).toBe('live');
    expect(await uninterpreted(metrics)).toEqual({ party: 2 });

    await rig.ended();
    const record = await rig.whenEnded();
    expect(record.endReason).toBe('the conference ended');
    await rig.close();
  });

  it('tells that party nothing when a leg reaching them is connected after all (whisper refused, interpreting in the open)', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const whisperRefused = new WhisperRefusedError('Twilio error 16000: Agent Conference is not enabled');
    const rig = await conferenceRig({
      members: [es, en],
      parties,
      interpreterRefusal: (req) => (req.whisperTo === es ? REFUSED : req.whisperTo === en ? whisperRefused : undefined),
      metrics,
    });
    expect(rig.call.snapshot()).toMatchObject({ state: 'live', mode: 'open', legs: [expect.objectContaining({ state: 'connected' })] });
    expect(rig.conferences.announced).toEqual([]);
    expect(rig.seen.filter((e) => e.type === 'interpreter.unavailable')).toEqual([]);
    expect(await uninterpreted(metrics)).toEqual({});
    await rig.close();
  });
});

describe('a conference whose interpreter legs Twilio refused for now (429/5xx past the dial queue\'s retries)', () => {
  const es = 'CA' + 'e'.repeat(32);
  const en = 'CA' + 'a'.repeat(32);
  const FOR_NOW = new InterpreterLegRefusedError('Twilio 503: Service Unavailable (still failing after 5 attempts)', { temporary: true });
  const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  /** Resolves once `done` holds (checked every 5 ms, for at most 5 s). */
  const until = async (done: () => boolean, what: string) => {
    for (const limit = Date.now() + 5000; !done(); await wait(5)) if (Date.now() > limit) throw new Error(`timed out waiting for ${what}`);
  };

  /** tolk joins a whisper conference of a Spanish and an English speaker, each interpreter leg refused by `refuse` at first; `metrics` counts its events. */
  async function refusedForNow(opts: { refuse: (req: AddInterpreterRequest) => Error | undefined; legRetryMs: number[]; maxCalls?: number; metrics?: CallMetrics }) {
    const conferences = new FakeConferences('room', [es, en]);
    let refusals = 0;
    conferences.refuse = (req) => {
      const err = opts.refuse(req);
      if (err) refusals++;
      return err;
    };
    const lines: { event?: string }[] = [];
    const logger = createLogger({
      destination: new Writable({
        write: (chunk: Buffer, _e, cb) => {
          for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as { event?: string });
          cb();
        },
      }),
    });
    const events = new CallEventBus(logger);
    const seen: CallEvent[] = [];
    events.subscribe((e) => void seen.push(e));
    if (opts.metrics) measureCalls(events, opts.metrics);
    const service = new CallService({
      events,
      clock: new ManualFrameClock(),
      telephony: new FakeTelephony(),
      translators: new FakeTranslatorFactory(),
      records: new InMemoryCallRecordStore(),
      prompts: noPrompts,
      metrics: opts.metrics ?? quietMetrics,
      logger,
      numbers: new StaticNumberDirectory([DIRECT_NUMBER]),
      conferences,
      legRetryMs: opts.legRetryMs,
      ...(opts.maxCalls === undefined ? {} : { maxCalls: opts.maxCalls }),
    });
    const joined = await service.joinConference('room', {
      mode: 'whisper',
      participants: [
        { callSid: es, language: 'es' },
        { callSid: en, language: 'en' },
      ],
    });
    if (!joined.ok) throw new Error(joined.error);
    await flush();
    const call = joined.call;
    /** Connects every interpreter leg placed and not connected yet. */
    const connected = new Set<string>();
    const connectLegs = async () => {
      for (const { req, legRef } of conferences.interpreters) {
        if (connected.has(legRef)) continue;
        connected.add(legRef);
        service.interpreterAnswered(call.id, legRef, req.endpoint);
        service.attach(new FakeMediaLeg(legRef, req.endpoint));
      }
      await flush();
    };
    const end = async () => {
      const ended = new Promise<void>((resolve) => call.onEnded(() => resolve()));
      for (const watcher of conferences.watchers) watcher({ type: 'ended', conferenceRef: 'CF-room' });
      await ended;
      return seen.find((e) => e.type === 'call.ended');
    };
    const logged = (event: string) => lines.filter((l) => l.event === event).length;
    return { service, conferences, call, seen, connectLegs, end, logged, refusals: () => refusals };
  }

  it('asks for the legs again later; once one joins the call is interpreted again, each party hears so in their language, and the record does not call it uninterpreted', async () => {
    let down = true;
    const metrics = new Metrics({ defaultMetrics: false });
    const rig = await refusedForNow({ refuse: () => (down ? FOR_NOW : undefined), legRetryMs: [30, 30, 30], metrics });
    expect(rig.call.state).toBe('uninterpreted');
    expect([await uninterpreted(metrics), await restored(metrics)]).toEqual([{ conference: 1 }, {}]);
    expect(rig.conferences.announced).toEqual(
      expect.arrayContaining([
        { legRef: es, text: message('translationUnavailable', 'es'), locale: 'es-ES' },
        { legRef: en, text: message('translationUnavailable', 'en'), locale: 'en-US' },
      ]),
    );
    // Twilio recovers: the next try places both legs again.
    down = false;
    await until(() => rig.conferences.interpreters.length === 2, 'both legs to be placed again');
    expect(rig.conferences.interpreters.map((l) => l.req.whisperTo).sort()).toEqual([en, es].sort());
    await rig.connectLegs();
    expect(rig.call.snapshot()).toMatchObject({ state: 'live', legs: [expect.objectContaining({ state: 'connected' }), expect.objectContaining({ state: 'connected' })] });
    expect(rig.conferences.announced.slice(2)).toEqual(
      expect.arrayContaining([
        { legRef: es, text: message('interpretationBack', 'es'), locale: 'es-ES' },
        { legRef: en, text: message('interpretationBack', 'en'), locale: 'en-US' },
      ]),
    );
    expect(rig.conferences.announced).toHaveLength(4);
    // The call is interpreted again with the first leg; the party the other one whispers to is told when it joins.
    const available = rig.seen.flatMap((e) => (e.type === 'interpreter.available' ? [e] : []));
    expect(available.map((e) => e.party === undefined)).toEqual([true, false]);
    expect(available.flatMap((e) => e.told).sort()).toEqual([en, es].sort());
    expect(rig.seen.filter((e) => e.type === 'call.state').map((e) => e.type === 'call.state' && e.to)).toEqual(['bridged']);
    // Counted as left uninterpreted, and as restored: it did not stay uninterpreted (the party told
    // when the second leg joined was told with the conference, not alone).
    expect([await uninterpreted(metrics), await restored(metrics)]).toEqual([{ conference: 1 }, { conference: 1 }]);
    expect(await rig.end()).toMatchObject({ reason: 'the conference ended' });
  });

  it("counts a party whose own leg was refused (told alone) and is interpreted again once it joins as restored", async () => {
    let down = true;
    const metrics = new Metrics({ defaultMetrics: false });
    const rig = await refusedForNow({ refuse: (req) => (down && req.whisperTo === es ? FOR_NOW : undefined), legRetryMs: [60, 60, 60], metrics });
    await rig.connectLegs();
    expect(rig.call.state).toBe('live');
    expect(rig.conferences.announced).toEqual([{ legRef: es, text: message('translationUnavailable', 'es'), locale: 'es-ES' }]);
    expect([await uninterpreted(metrics), await restored(metrics)]).toEqual([{ party: 1 }, {}]);
    down = false;
    await until(() => rig.conferences.interpreters.length === 2, "the Spanish speaker's leg to be placed again");
    await rig.connectLegs();
    expect(rig.conferences.announced.at(-1)).toEqual({ legRef: es, text: message('interpretationBack', 'es'), locale: 'es-ES' });
    expect([await uninterpreted(metrics), await restored(metrics)]).toEqual([{ party: 1 }, { party: 1 }]);
    await rig.end();
  });

  it('gives up after its few tries: the call stays uninterpreted, and its record says so', async () => {
    const rig = await refusedForNow({ refuse: () => FOR_NOW, legRetryMs: [10, 20] });
    await until(() => rig.logged('conference.leg_retries_over') > 0, 'the tries to be over');
    await wait(50);
    expect(rig.logged('conference.leg_retries_over')).toBe(1);
    // Both legs refused, then two tries of both, and no more.
    expect(rig.refusals()).toBe(6);
    expect(rig.call.state).toBe('uninterpreted');
    expect(rig.conferences.announced).toHaveLength(2);
    expect(await rig.end()).toMatchObject({ reason: `the conference ended (uninterpreted: every interpreter leg failed: ${FOR_NOW.reason})` });
  });

  it('never asks again for a leg refused for good (a 4xx other than 429)', async () => {
    const rig = await refusedForNow({ refuse: () => REFUSED, legRetryMs: [10, 10, 10] });
    await wait(80);
    expect(rig.refusals()).toBe(2);
    expect(rig.call.state).toBe('uninterpreted');
    await rig.end();
  });

  it('takes a free TOLK_MAX_CALLS line to ask again, and with none free lets that try pass and waits for the next', async () => {
    let down = true;
    const rig = await refusedForNow({ refuse: () => (down ? FOR_NOW : undefined), legRetryMs: [30, 150, 150], maxCalls: 1 });
    expect([rig.call.state, rig.service.accepting]).toEqual(['uninterpreted', true]);
    // A caller takes the one line meanwhile.
    const answer = await rig.service.incoming({ legRef: CALLER_SID, from: '+442071234567', to: DIRECT_NUMBER.number });
    expect(answer.type).toBe('connect');
    down = false;
    await until(() => rig.logged('conference.leg_retry_skipped') === 1, 'the first try to pass');
    // No line: nothing was asked for, and the call stays uninterpreted (the caller keeps the line).
    expect(rig.conferences.interpreters).toEqual([]);
    expect([rig.call.state, rig.service.accepting]).toEqual(['uninterpreted', false]);
    const direct = rig.service.liveCallIds.find((id) => id !== rig.call.id)!;
    await rig.service.hangUp(direct);
    await flush();
    expect(rig.service.accepting).toBe(true);
    await until(() => rig.conferences.interpreters.length === 2, 'the next try to place both legs');
    // The next try took the line back while its legs were placed, and keeps it interpreted.
    expect(rig.service.accepting).toBe(false);
    await rig.connectLegs();
    expect([rig.call.state, rig.service.accepting]).toEqual(['live', false]);
    await rig.end();
  });
});
