/**
 * One call, one duration: the time it was connected (answered to ended) is what the webhook sends,
 * the admin API answers, `tolk calls list/show` and the console's History show, and the
 * `call.ended` log line says; the ringing before it counts nowhere. A call never answered has no
 * duration anywhere (absent, `not answered`), never 0 or its ring time; one in progress has none
 * yet (`in progress`).
 */
import { Writable } from 'node:stream';
import request from 'supertest';
import { CallService } from '../../src/call/call-service';
import { CallEventBus } from '../../src/call/events';
import { ManualFrameClock } from '../../src/call/frame-clock';
import { logCalls } from '../../src/call/subscribers/log';
import { recordCalls } from '../../src/call/subscribers/records';
import type { CallJson, CallWithTranscriptJson } from '../../src/cli/api-client';
import { callDetail, callsTable } from '../../src/cli/output';
import { StaticNumberDirectory, type NumberSettings } from '../../src/config/numbers';
import { createLogger } from '../../src/log/logger';
import { InMemoryCallRecordStore } from '../../src/store/in-memory-call-record-store';
import { deliverCallSummaries } from '../../src/webhooks/call-summaries';
import type { CallEvent } from '../../src/call/events';
import { callDuration } from '../../console/src/lib/calls';
import { adminSetup, auth } from '../http/helpers/admin-app';
import { conferenceRig } from './fakes/conference-rig';
import { AGENT, CALLER, ownedConference } from './fakes/owned-conference-rig';
import { FakeMediaLeg } from './fakes/fake-media-leg';
import { AGENT_SID, CALLER_SID, FakeTelephony, NUMBER } from './fakes/fake-telephony';
import { FakeTranslatorFactory } from './fakes/fake-translator';
import { flush, noPrompts, quietMetrics, silentLogger } from './fakes/rig-fixtures';

const LINE: NumberSettings = { ...NUMBER, webhookUrl: 'https://crm.example.com/tolk' };

/** A call on LINE with every place its duration shows: the record, the log, the webhook's payload. Event times follow `advance`. */
function rig() {
  let now = Date.parse('2026-12-05T10:00:00.000Z');
  jest.spyOn(Date, 'now').mockImplementation(() => now);
  const records = new InMemoryCallRecordStore();
  const logLines: Record<string, unknown>[] = [];
  const logger = createLogger({ destination: new Writable({ write: (c: Buffer, _e, cb) => (logLines.push(JSON.parse(c.toString()) as Record<string, unknown>), cb()) }) });
  const events = new CallEventBus(logger);
  recordCalls(events, records);
  logCalls(events, logger);
  const payloads: Record<string, unknown>[] = [];
  const numbers = new StaticNumberDirectory([LINE]);
  deliverCallSummaries(events, {
    numbers,
    records,
    deliveries: { record: (_callId, _event, _url, payload) => Promise.resolve(void payloads.push(JSON.parse(payload) as Record<string, unknown>)) },
    logger: silentLogger(),
  });
  const service = new CallService({ events, clock: new ManualFrameClock(), telephony: new FakeTelephony(), translators: new FakeTranslatorFactory(), records, prompts: noPrompts, metrics: quietMetrics, logger, numbers, newCallId: () => 'call-1' });
  return {
    service,
    records,
    logLines,
    payloads,
    caller: new FakeMediaLeg(CALLER_SID, 'caller'),
    agent: new FakeMediaLeg(AGENT_SID, 'agent'),
    advance: (ms: number) => void (now += ms),
  };
}

/** The call as the API answers (list and one call), as the CLI shows it (list row and detail), and as the console's History shows it. */
async function shown(records: InMemoryCallRecordStore, id = 'call-1') {
  const { http } = await adminSetup({ calls: records });
  const listed = ((await request(http.app).get('/api/calls').set(auth).expect(200)).body as { calls: CallJson[] }).calls[0];
  const one = (await request(http.app).get(`/api/calls/${id}`).set(auth).expect(200)).body as CallWithTranscriptJson;
  const row = callsTable([listed]).trimEnd().split('\n')[1];
  return { listed, one, talkCell: row.split(/\s{2,}/).at(-1), talkLine: /^Talk\s+(.*)$/m.exec(callDetail(one))?.[1], history: callDuration(one) };
}

const endedLine = (lines: Record<string, unknown>[]) => lines.find((l) => l.event === 'call.ended');

afterEach(() => jest.restoreAllMocks());

describe("a call's duration", () => {
  it('is the time it was connected, the same in the webhook, the API, the CLI, the console and the log line; the ringing before it is not counted', async () => {
    const s = rig();
    await s.service.incoming({ legRef: CALLER_SID, from: '+34600000000', to: LINE.number });
    s.service.attach(s.caller);
    await flush();
    s.service.legStatus(AGENT_SID, { state: 'ringing' }, 'call-1');
    s.advance(12_000); // the other party's phone rings for 12 s
    s.service.legStatus(AGENT_SID, { state: 'answered' }, 'call-1');
    s.service.otherPartyAnswered('call-1', AGENT_SID, 'agent');
    await flush();
    s.service.attach(s.agent);
    await flush();
    s.advance(95_400); // connected for 1 min 35.4 s
    await expect(s.service.hangUp('call-1')).resolves.toBe(true);
    await flush();

    const record = (await s.records.get('call-1'))!;
    expect(record.endedAt!.getTime() - record.answeredAt!.getTime()).toBe(95_400);
    expect(s.payloads).toHaveLength(1);
    expect(s.payloads[0].durationMs).toBe(95_400);
    expect(endedLine(s.logLines)?.durationMs).toBe(95_400);
    const { listed, one, talkCell, talkLine, history } = await shown(s.records);
    expect(listed.durationMs).toBe(95_400);
    expect(one.durationMs).toBe(95_400);
    expect(talkCell).toBe('1:35');
    expect(talkLine).toBe('1:35');
    expect(history).toBe('1 min 35 s');
  });

  it('is absent for a call never answered: no 0 and no ring time in the webhook, the API or the log line; the CLI and the console say so', async () => {
    const s = rig();
    await s.service.incoming({ legRef: CALLER_SID, from: '+34600000000', to: LINE.number });
    s.service.attach(s.caller);
    await flush();
    s.service.legStatus(AGENT_SID, { state: 'ringing' }, 'call-1');
    s.advance(30_000);
    s.service.legStatus(AGENT_SID, { state: 'ended', reason: 'no-answer' }, 'call-1');
    await flush();
    await flush();

    expect((await s.records.get('call-1'))?.outcome).toBe('no-answer');
    expect(s.payloads).toHaveLength(1);
    expect(s.payloads[0]).not.toHaveProperty('durationMs');
    expect(endedLine(s.logLines)).toBeDefined();
    expect(endedLine(s.logLines)).not.toHaveProperty('durationMs');
    const { listed, one, talkCell, talkLine, history } = await shown(s.records);
    expect(listed).not.toHaveProperty('durationMs');
    expect(one).not.toHaveProperty('durationMs');
    expect(talkCell).toBe('not answered');
    expect(talkLine).toBe('not answered');
    expect(history).toBe('not answered');
  });

  it('is not there yet while the call goes on: the API has none, and the CLI says what the console says, in progress', async () => {
    const s = rig();
    await s.service.incoming({ legRef: CALLER_SID, from: '+34600000000', to: LINE.number });
    s.service.attach(s.caller);
    await flush();
    s.service.legStatus(AGENT_SID, { state: 'answered' }, 'call-1');
    s.service.otherPartyAnswered('call-1', AGENT_SID, 'agent');
    await flush();
    s.service.attach(s.agent);
    await flush();
    s.advance(40_000);

    const { listed, one, talkCell, talkLine, history } = await shown(s.records);
    expect(listed.answeredAt).toBeDefined();
    expect(listed).not.toHaveProperty('durationMs');
    expect(one).not.toHaveProperty('durationMs');
    expect(history).toBe('in progress');
    expect(talkCell).toBe('in progress');
    expect(talkLine).toBe('in progress');
    await expect(s.service.hangUp('call-1')).resolves.toBe(true);
    await flush();
  });

  it('of a conference tolk joined with both parties in it counts from when tolk joined, as its record\'s answeredAt says', async () => {
    let now = Date.parse('2026-12-05T10:00:00.000Z');
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const rig = await conferenceRig({ members: ['CA' + 'e'.repeat(32), 'CA' + 'a'.repeat(32)], parties: [{ legRef: 'CA' + 'e'.repeat(32), language: 'es', role: 'caller' }, { legRef: 'CA' + 'a'.repeat(32), language: 'en', role: 'agent' }] });
    const ended: CallEvent[] = [];
    rig.events.subscribe((e) => void (e.type === 'call.ended' && ended.push(e)));
    expect((await rig.record()).state).toBe('bridged');
    now += 61_000;
    await rig.ended();
    const record = await rig.whenEnded();
    expect(record.endedAt!.getTime() - record.answeredAt!.getTime()).toBe(61_000);
    expect(ended).toEqual([expect.objectContaining({ type: 'call.ended', durationMs: 61_000 })]);
    await rig.close();
  });

  it('of a conference tolk created counts from when the agent joined the caller, though no interpreter leg ever joined (Twilio 21218)', async () => {
    let now = Date.parse('2026-12-05T10:00:00.000Z');
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const rig = await ownedConference({ agentAnswers: false, interpreterRefusal: new Error('Twilio 21218: Invalid ApplicationSid') });
    const ended: CallEvent[] = [];
    rig.events.subscribe((e) => void (e.type === 'call.ended' && ended.push(e)));
    now += 4_000; // the agent's phone rings
    const answered = now;
    await rig.joined(AGENT);
    expect(rig.conferences.refused).toBeGreaterThan(0);
    expect((await rig.record()).answeredAt?.getTime()).toBe(answered);
    now += 35_000; // they talk, uninterpreted
    await rig.left(CALLER, 'hung-up');
    await rig.ended(CALLER);
    const record = await rig.whenEnded();
    expect(record.state).toBe('ended');
    expect(record.answeredAt?.getTime()).toBe(answered);
    expect(record.endedAt!.getTime() - answered).toBe(35_000);
    expect(ended).toEqual([expect.objectContaining({ type: 'call.ended', durationMs: 35_000 })]);
    const { one, talkLine } = await shown(rig.records, rig.callId);
    expect(one.durationMs).toBe(35_000);
    expect(talkLine).toBe('0:35');
    await rig.close();
  });

  it('of a conference tolk created counts from when the agent joined, not from when its interpretation started', async () => {
    let now = Date.parse('2026-12-05T10:00:00.000Z');
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const ended: CallEvent[] = [];
    // The caller is alone in the room at first: tolk's leg whispering to them joins before the agent does.
    const rig = await ownedConference({ agentAnswers: false });
    rig.events.subscribe((e) => void (e.type === 'call.ended' && ended.push(e)));
    expect((await rig.record()).state).toBe('bridged');
    now += 6_000;
    const answered = now;
    await rig.joined(AGENT);
    now += 20_000;
    await rig.left(AGENT, 'hung-up');
    await rig.ended(AGENT);
    const record = await rig.whenEnded();
    expect(record.answeredAt?.getTime()).toBe(answered);
    expect(record.endedAt!.getTime() - record.answeredAt!.getTime()).toBe(20_000);
    expect(ended).toEqual([expect.objectContaining({ type: 'call.ended', durationMs: 20_000 })]);
    await rig.close();
  });

  it("is absent from the end of a conference tolk created whose agent never joined the caller", async () => {
    let now = Date.parse('2026-12-05T10:00:00.000Z');
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const rig = await ownedConference({ agentAnswers: false });
    const ended: CallEvent[] = [];
    rig.events.subscribe((e) => void (e.type === 'call.ended' && ended.push(e)));
    now += 25_000; // the caller waits for the agent, then gives up
    await rig.left(CALLER, 'hung-up');
    await rig.ended(CALLER);
    const record = await rig.whenEnded();
    expect(record.outcome).toBe('canceled');
    expect(ended).toEqual([expect.objectContaining({ type: 'call.ended', outcome: 'canceled', reason: 'the caller hung up before the agent answered' })]);
    expect(ended[0]).not.toHaveProperty('durationMs');
    await rig.close();
  });

  it('of a conference tolk joined with both parties in it counts from when tolk joined, though no interpreter leg ever joined', async () => {
    let now = Date.parse('2026-12-05T10:00:00.000Z');
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const joinedAt = now;
    const rig = await conferenceRig({
      members: ['CA' + 'e'.repeat(32), 'CA' + 'a'.repeat(32)],
      parties: [{ legRef: 'CA' + 'e'.repeat(32), language: 'es', role: 'caller' }, { legRef: 'CA' + 'a'.repeat(32), language: 'en', role: 'agent' }],
      interpreterRefusal: new Error('Twilio 21218: Invalid ApplicationSid'),
    });
    const ended: CallEvent[] = [];
    rig.events.subscribe((e) => void (e.type === 'call.ended' && ended.push(e)));
    expect(await rig.record()).toMatchObject({ state: 'answered', answeredAt: new Date(joinedAt) });
    now += 42_000;
    await rig.ended();
    const record = await rig.whenEnded();
    expect(record.endedAt!.getTime() - record.answeredAt!.getTime()).toBe(42_000);
    expect(ended).toEqual([expect.objectContaining({ type: 'call.ended', durationMs: 42_000 })]);
  });
});
