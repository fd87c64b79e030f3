/**
 * Calls tolk places, through both emulators and the real SDKs: by the admin API and by the CLI, now
 * and at a time. tolk calls the Spanish-speaking customer from its number; once they answer they
 * hear that the call is interpreted, tolk dials the English-speaking agent, and each hears the
 * other's speech (echoed by the Gemini emulator) on their own leg.
 */
import fs from 'node:fs';
import { readWav } from '../../src/audio';
import { message } from '../../src/call/messages';
import { runTolk } from '../cli/helpers/run-tolk';
import { AGENT_NUMBER, CALLER_NUMBER, TOLK_NUMBER, fixture, loudFrames, startRig, waitUntil, type Rig } from './harness';

jest.setTimeout(90_000);

const TOKEN = 'admin-token-for-tests-0123456789';
const CUSTOMER = CALLER_NUMBER;

let rig: Rig;
afterEach(async () => {
  await rig?.close();
});

function api(path: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
  return fetch(`http://127.0.0.1:${rig.tolk.address.port}/api${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${TOKEN}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
}

function tolkCli(...args: string[]) {
  return runTolk(args, { TOLK_URL: `http://127.0.0.1:${rig.tolk.address.port}`, ADMIN_TOKEN: TOKEN });
}

function speechFrames(file: string): number {
  return loudFrames(readWav(fs.readFileSync(fixture(file))).samples, -30).length;
}

/**
 * The customer answers after 1 s, hears the greeting (about 5 s), speaks at 7 s and hangs up at
 * 27 s; the agent answers 1 s after being dialled and speaks 10 s later.
 */
function scriptParties(): void {
  rig.twilio.setCallee(CUSTOMER, { scenario: { kind: 'answer', afterSec: 1 }, speech: fixture('caller-es.ulaw8k.wav'), speakAfterSec: 7, hangupAfterSec: 27 });
  rig.twilio.setCallee(AGENT_NUMBER, { scenario: { kind: 'answer', afterSec: 1 }, speech: fixture('agent-en.ulaw8k.wav'), speakAfterSec: 10 });
}

interface CallJson {
  id: string;
  state: string;
  number: string;
  from: string;
  destination: string;
  outcome?: string;
  legs: { role: string }[];
  outbound?: { at?: string; dueAt: string; attempts: number };
  transcript: { direction: string; source: { languageCode: string }; translation: { languageCode: string } }[];
}

/** Waits for the call tolk placed to end, then checks what each party heard and what tolk recorded. */
async function expectInterpretedBothWays(id: string): Promise<CallJson> {
  const customerSid = await (async () => {
    await waitUntil(() => rig.twilio.calls().some((c) => c.to === CUSTOMER), 30_000, 'tolk to call the customer');
    return rig.twilio.calls().find((c) => c.to === CUSTOMER)!.sid;
  })();
  await rig.twilio.waitForStatus(customerSid, 'completed', 30_000);
  const agentSid = rig.twilio.calls().find((c) => c.to === AGENT_NUMBER)?.sid;
  expect(agentSid).toBeDefined();
  await rig.twilio.waitForStatus(agentSid!, 'completed', 10_000);
  const customer = rig.twilio.call(customerSid)!;
  expect(customer).toMatchObject({ from: TOLK_NUMBER, direction: 'outbound-api' });

  // The customer first hears, in Spanish, that the call is interpreted...
  const says = rig.twilio.events().filter((e) => e.type === 'twiml' && e.callSid === customerSid && e.verb === 'Say');
  expect(says[0]).toMatchObject({ detail: { text: message('greeting', 'es'), language: 'es-ES' } });
  // ...then each party hears the other's speech, interpreted.
  expect(loudFrames(rig.twilio.recording(agentSid!).heard, -30).length).toBeGreaterThan(0.8 * speechFrames('caller-es.ulaw8k.wav'));
  expect(loudFrames(rig.twilio.recording(customerSid).heard, -30).length).toBeGreaterThan(0.8 * speechFrames('agent-en.ulaw8k.wav'));

  await waitUntil(async () => ((await (await api(`/calls/${id}`)).json()) as CallJson).outcome !== undefined, 5000, 'tolk to record the end');
  const call = (await (await api(`/calls/${id}`)).json()) as CallJson;
  expect(call).toMatchObject({ outcome: 'completed', number: TOLK_NUMBER, from: CUSTOMER, destination: AGENT_NUMBER, outbound: { attempts: 1 } });
  expect(call.legs.map((l) => l.role).sort()).toEqual(['agent', 'caller']);
  expect(call.transcript.find((u) => u.direction === 'caller->agent')).toMatchObject({ source: { languageCode: 'es' }, translation: { languageCode: 'en' } });
  expect(call.transcript.find((u) => u.direction === 'agent->caller')).toMatchObject({ source: { languageCode: 'en' }, translation: { languageCode: 'es' } });
  return call;
}

describe('a call tolk places, end to end', () => {
  it('by the API, now: the customer is greeted, the agent dialled, and both hear each other interpreted', async () => {
    rig = await startRig();
    scriptParties();
    const res = await api('/calls', { method: 'POST', body: { line: TOLK_NUMBER, to: CUSTOMER } });
    expect(res.status).toBe(202);
    const placed = (await res.json()) as CallJson;
    expect(placed).toMatchObject({ state: 'scheduled', number: TOLK_NUMBER, from: CUSTOMER, destination: AGENT_NUMBER });
    await expectInterpretedBothWays(placed.id);
  });

  it('by the API, at a time: it is placed at that time and interpreted both ways', async () => {
    rig = await startRig();
    scriptParties();
    const at = new Date(Date.now() + 2000);
    const res = await api('/calls', { method: 'POST', body: { line: TOLK_NUMBER, to: CUSTOMER, at: at.toISOString() } });
    expect(res.status).toBe(202);
    const placed = (await res.json()) as CallJson;
    expect(placed).toMatchObject({ state: 'scheduled', outbound: { at: at.toISOString(), attempts: 0 } });
    // Listed as scheduled until its time; nothing dialled yet.
    const scheduled = (await (await api('/calls?state=scheduled')).json()) as { calls: { id: string }[] };
    expect(scheduled.calls.map((c) => c.id)).toEqual([placed.id]);
    expect(rig.twilio.calls()).toHaveLength(0);
    await expectInterpretedBothWays(placed.id);
    expect(((await (await api('/calls?state=scheduled')).json()) as { calls: unknown[] }).calls).toHaveLength(0);
  });

  // Two CLI runs (tsx compiles the CLI at each start) and two calls, each wait with its own
  // deadline: on a busy machine more than the file's 90 s.
  it('by the CLI, now and at a time', async () => {
    rig = await startRig();
    scriptParties();
    const cliFrom = Date.now();
    const now = await tolkCli('calls', 'place', TOLK_NUMBER, CUSTOMER, '--json');
    const cliMs = Date.now() - cliFrom;
    expect(now.code).toBe(0);
    const first = JSON.parse(now.stdout) as CallJson;
    await expectInterpretedBothWays(first.id);

    // A time the CLI reaches tolk before: 8 s ahead, or twice as long as the CLI took to start
    // (tsx compiles it at each start: many seconds on a busy machine).
    const at = new Date(Date.now() + Math.max(8000, 2 * cliMs)).toISOString();
    const later = await tolkCli('calls', 'place', TOLK_NUMBER, CUSTOMER, '--at', at, '--caller-language', 'es', '--agent-language', 'en');
    expect(later.code).toBe(0);
    const id = /^Call (\S+) scheduled for \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ: tolk will call \+34911234567 from \+15550001111, then /.exec(later.stdout)?.[1];
    expect(id).toBeDefined();
    expect(later.stdout).toContain(`tolk calls cancel ${id}`);
    const before = rig.twilio.calls().filter((c) => c.to === CUSTOMER).length;
    await waitUntil(() => rig.twilio.calls().filter((c) => c.to === CUSTOMER).length > before, Date.parse(at) - Date.now() + 20_000, 'the scheduled call');
    const second = rig.twilio.calls().filter((c) => c.to === CUSTOMER)[before];
    await rig.twilio.waitForStatus(second.sid, 'completed', 30_000);
    await waitUntil(async () => ((await (await api(`/calls/${id}`)).json()) as CallJson).outcome !== undefined, 10_000, 'tolk to record the end');
    const call = (await (await api(`/calls/${id}`)).json()) as CallJson;
    expect(call).toMatchObject({ outcome: 'completed', outbound: { attempts: 1 } });
    expect(call.transcript.map((u) => u.direction)).toEqual(expect.arrayContaining(['caller->agent', 'agent->caller']));
  }, 240_000);

  it('by the CLI: a call canceled before its time never dials, and is counted; a bad request is refused with the reason', async () => {
    rig = await startRig();
    const at = new Date(Date.now() + 60_000).toISOString();
    const placed = await tolkCli('calls', 'place', TOLK_NUMBER, CUSTOMER, '--at', at, '--json');
    expect(placed.code).toBe(0);
    const { id } = JSON.parse(placed.stdout) as CallJson;
    const cancelled = await tolkCli('calls', 'cancel', id);
    expect(cancelled).toMatchObject({ code: 0, stdout: `Call ${id} canceled: it will not be placed.\n` });
    expect(((await (await api(`/calls/${id}`)).json()) as CallJson).outcome).toBe('canceled');

    const [shown, again, unknownLine, badTime, badNumber, notATime, badLanguage] = await Promise.all([
      tolkCli('calls', 'show', id),
      tolkCli('calls', 'cancel', id),
      tolkCli('calls', 'place', '+15559999999', CUSTOMER),
      tolkCli('calls', 'place', TOLK_NUMBER, CUSTOMER, '--at', '2020-01-01T10:00:00Z'),
      tolkCli('calls', 'place', TOLK_NUMBER, 'my-customer'),
      tolkCli('calls', 'place', TOLK_NUMBER, CUSTOMER, '--at', 'tomorrow'),
      tolkCli('calls', 'place', TOLK_NUMBER, CUSTOMER, '--caller-language', 'spanish'),
    ]);
    expect(shown.stdout).toMatch(/^Placed\s+by tolk, calling the customer at \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ; attempt 0 of 1$/m);
    expect(shown.stdout).toMatch(/^Outcome\s+canceled: canceled before it started$/m);
    expect(shown.stdout).toMatch(/^Booked\s+/m);
    expect(shown.stdout).not.toMatch(/^Started/m);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/has ended \(canceled\): only a scheduled call can be canceled/);
    const metrics = await (await fetch(`http://127.0.0.1:${rig.tolk.address.port}/metrics`)).text();
    expect(metrics).toMatch(/^tolk_calls_total\{outcome="canceled"\} 1$/m);
    // A value tolk finds wrong is a usage error (exit 2) as one the CLI checks itself is.
    expect(unknownLine.code).toBe(2);
    expect(unknownLine.stderr).toMatch(/line: \+15559999999 is not a tolk number/);
    expect(badTime.code).toBe(2);
    // Problems are named by the option the operator typed.
    expect(badTime.stderr).toMatch(/--at \(at\): '2020-01-01T10:00:00Z' has passed/);
    expect(badNumber.code).toBe(2);
    expect(notATime.code).toBe(2);
    expect(notATime.stderr).toMatch(/--at \(at\): /);
    expect(badLanguage.code).toBe(2);
    expect(badLanguage.stderr).toMatch(/--caller-language \(callerLanguage\): unknown language 'spanish'/);
    expect(rig.twilio.calls()).toHaveLength(0);
  });
});
