/**
 * Two tolk instances on loopback behind Debian's nginx, configured as the deployment is
 * (scripts/deploy/nginx-config.ts), sharing one PostgreSQL database and one Redis: calls placed
 * through the emulators land on both, every one is bridged and transcribed, and every API and
 * metric answer is the same whichever instance gives it. Then one instance is killed mid-call: the
 * survivor closes its call as instance_lost within 30 s, keeping the transcript written so far.
 */
import { loadWavAs8k } from '../../src/emulators/twilio/audio';
import { ADMIN, CLUSTER_IDS as IDS, clusterFixture, json, metricSum, type Cluster } from './cluster-helpers';
import { AGENT_NUMBER, INTERPRETER_APP_SID, TOLK_NUMBER, fixture, waitUntil } from './harness';

/** A number in conference mode, whose agent is on CONFERENCE_AGENT. */
const CONFERENCE_NUMBER = '+15550003333';
const CONFERENCE_AGENT = '+15550004444';

jest.setTimeout(180_000);

interface CallJson {
  id: string;
  state: string;
  outcome?: string;
  endReason?: string;
  instance?: string;
  legs: { role: string; callSid: string }[];
  transcript?: { direction: string; source: { text: string } }[];
}

let viewers: AbortController[] = [];

afterEach(() => {
  for (const v of viewers) v.abort();
  viewers = [];
});

const clusters = clusterFixture();
let cluster: Cluster;

async function startCluster(proxy: { streamsByPath?: boolean } = {}): Promise<void> {
  cluster = await clusters.start({
    name: 'cluster',
    gemini: { mode: 'echo', language: 'en=es,es=en', lagMs: 300 },
    numbers:
      `  - number: "${TOLK_NUMBER}"\n    destination: "${AGENT_NUMBER}"\n    callerLanguage: es\n    agentLanguage: en\n` +
      `  - number: "${CONFERENCE_NUMBER}"\n    destination: "${CONFERENCE_AGENT}"\n    callerLanguage: es\n    agentLanguage: en\n    mode: conference\n    interpretation: open\n`,
    proxy,
  });
  const { twilio, nginx } = cluster;
  // One after the other: the second finds the schema and the numbers in place.
  for (const id of IDS) await cluster.start(id);
  twilio.addNumber({ phoneNumber: TOLK_NUMBER, voiceUrl: `${nginx.url}/twilio/voice`, statusCallback: `${nginx.url}/twilio/status` });
  twilio.setCallee(AGENT_NUMBER, {});
  twilio.addNumber({ phoneNumber: CONFERENCE_NUMBER, voiceUrl: `${nginx.url}/twilio/voice`, statusCallback: `${nginx.url}/twilio/status` });
  twilio.setCallee(CONFERENCE_AGENT, {});
  // The interpreter legs' TwiML App: its requests reach any instance.
  twilio.addApplication({ sid: INTERPRETER_APP_SID, friendlyName: 'tolk interpreter', voiceUrl: `${nginx.url}/twilio/interpreter` });
}

/** Follows `/api/live/events` on `base`: every call event it sends, until the test ends. */
function followLive(base: string): { events: { type: string; callId: string; outcome?: string }[] } {
  const seen: { events: { type: string; callId: string; outcome?: string }[] } = { events: [] };
  const abort = new AbortController();
  viewers.push(abort);
  void (async () => {
    const res = await fetch(`${base}/api/live/events`, { headers: { authorization: `Bearer ${ADMIN}` }, signal: abort.signal });
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (!data || block.includes('event: snapshot')) continue;
        seen.events.push(JSON.parse(data.slice(6)) as { type: string; callId: string });
      }
    }
  })().catch(() => undefined);
  return seen;
}

/**
 * What each caller says, decoded once: the emulated phones run in this process, and decoding it at
 * each dial held every live call's media back (for seconds on a busy machine).
 */
const CALLER_ES = loadWavAs8k(fixture('caller-es.ulaw8k.wav'));

/** Places a call from `from`, speaking Spanish 0.5 s in; resolves with the caller leg's SID. */
function placeCall(from: string, hangupAfterSec: number): Promise<string> {
  return cluster.twilio.dial({ from, to: TOLK_NUMBER, party: { speech: CALLER_ES, speakAfterSec: 0.5, hangupAfterSec } });
}

async function callOf(callerSid: string): Promise<CallJson | undefined> {
  const { body } = await json<{ calls: CallJson[] }>(`${cluster.nginx.url}/api/calls?limit=100`);
  return body.calls.find((c) => c.legs.some((l) => l.role === 'caller' && l.callSid === callerSid));
}

describe('two tolk instances behind nginx', () => {
  // Seven calls through two processes, nginx and the database: on a busy machine more than 180 s.
  it('bridge every call wherever it lands, and answer every API and metric request alike', async () => {
    await startCluster();
    // A live viewer on each instance.
    const viewing = IDS.map((id) => followLive(cluster.base(id)));
    await new Promise((r) => setTimeout(r, 500));
    const callers = ['+34911000001', '+34911000002', '+34911000003', '+34911000004', '+34911000005', '+34911000006'];
    const sids: string[] = [];
    for (const from of callers) {
      sids.push(await placeCall(from, 9));
      await new Promise((r) => setTimeout(r, 300));
    }
    // Every call was answered by one of the instances and bridged: its caller's words were translated
    // (the checks below say which call is missing what).
    const calls = new Map<string, CallJson>();
    await waitUntil(
      async () => {
        for (const sid of sids) {
          const found = await callOf(sid);
          if (!found) return false;
          const full = (await json<CallJson>(`${cluster.nginx.url}/api/calls/${found.id}`)).body;
          calls.set(sid, full);
        }
        return [...calls.values()].every((c) => c.outcome !== undefined && (c.transcript?.length ?? 0) > 0);
      },
      120_000,
      'every call to end with a transcript',
    ).catch(() => undefined);
    expect(calls.size).toBe(sids.length);
    for (const c of calls.values()) {
      expect(c).toMatchObject({ state: 'ended', outcome: 'completed' });
      expect(c.legs.map((l) => l.role).sort()).toEqual(['agent', 'caller']);
      expect(c.transcript![0]).toMatchObject({ direction: 'caller->agent', source: { text: expect.stringMatching(/^\[es speech/) } });
    }
    // Spread across both instances.
    const owners = new Set([...calls.values()].map((c) => c.instance));
    expect([...owners].sort()).toEqual([...IDS]);
    for (const sid of sids) expect(cluster.twilio.call(sid)?.status).toBe('completed');

    // A call in progress, hung up by the operator through the instance that does not serve it.
    const liveSid = await placeCall('+34911000007', 120);
    let live: CallJson | undefined;
    await waitUntil(async () => (live = await callOf(liveSid))?.state === 'bridged', 30_000, 'the seventh call to be bridged');
    const other = IDS.find((id) => id !== live!.instance)!;
    const hungUp = await json<CallJson>(`${cluster.base(other)}/api/calls/${live!.id}/hangup`, { method: 'POST' });
    expect(hungUp).toMatchObject({ status: 200, instance: other, body: { id: live!.id, outcome: 'hungup_by_operator' } });
    await cluster.twilio.waitForStatus(liveSid, 'completed', 10_000);

    // The same answers from each instance, directly and through the proxy.
    const lists = await Promise.all([
      ...IDS.map((id) => json<{ calls: CallJson[] }>(`${cluster.base(id)}/api/calls?limit=100`)),
      ...[1, 2, 3, 4].map(() => json<{ calls: CallJson[] }>(`${cluster.nginx.url}/api/calls?limit=100`)),
    ]);
    const answeredBy = new Set(lists.map((l) => l.instance));
    expect([...answeredBy].sort()).toEqual([...IDS]);
    // The health checks name their instance too.
    for (const id of IDS) {
      for (const check of ['/healthz', '/readyz']) expect([check, (await fetch(`${cluster.base(id)}${check}`)).headers.get('x-tolk-instance')]).toEqual([check, id]);
    }
    for (const l of lists) {
      expect(l.status).toBe(200);
      expect(l.body.calls.map((c) => `${c.id} ${c.outcome}`).sort()).toEqual(lists[0].body.calls.map((c) => `${c.id} ${c.outcome}`).sort());
      expect(l.body.calls).toHaveLength(7);
    }
    for (const id of IDS) {
      const one = await json<CallJson>(`${cluster.base(id)}/api/calls/${live!.id}`);
      expect(one.body).toMatchObject({ id: live!.id, outcome: 'hungup_by_operator' });
    }

    // Metrics: each instance counts its own calls; the cluster's sums are the same from either.
    const own = await Promise.all(IDS.map(async (id) => (await fetch(`${cluster.base(id)}/metrics`)).text()));
    const ownCounts = own.map((m) => metricSum(m, 'tolk_calls_total'));
    expect(ownCounts.reduce((a, b) => a + b, 0)).toBe(7);
    expect(ownCounts.every((n) => n > 0)).toBe(true);
    for (const base of [...IDS.map((id) => cluster.base(id)), cluster.nginx.url, cluster.nginx.url]) {
      const res = await fetch(`${base}/metrics/cluster`);
      expect(res.headers.get('x-tolk-instances')).toBe('tolk-a,tolk-b');
      const text = await res.text();
      expect(metricSum(text, 'tolk_calls_total')).toBe(7);
      expect(metricSum(text, 'tolk_calls_total', 'outcome="completed"')).toBe(6);
      expect(metricSum(text, 'tolk_calls_total', 'outcome="hungup_by_operator"')).toBe(1);
      expect(metricSum(text, 'tolk_active_calls')).toBe(0);
    }

    // Each instance's live viewers followed every call, whichever instance served it.
    const ids = [...calls.values(), live!].map((c) => c.id).sort();
    for (const v of viewing) {
      expect([...new Set(v.events.filter((e) => e.type === 'call.created').map((e) => e.callId))].sort()).toEqual(ids);
      expect([...new Set(v.events.filter((e) => e.type === 'call.ended').map((e) => e.callId))].sort()).toEqual(ids);
    }
  }, 300_000);

  it('interpret a conference call wherever its requests land, and show its interpreter from either instance', async () => {
    await startCluster();
    const sid = await cluster.twilio.dial({ from: '+34911000021', to: CONFERENCE_NUMBER, party: { speech: CALLER_ES, speakAfterSec: 3, hangupAfterSec: 14 } });
    let call: CallJson | undefined;
    await waitUntil(async () => (call = await callOf(sid)) !== undefined, 20_000, 'the conference call to be recorded');
    const conference = `tolk-${call!.id}`;
    // The interpreter's leg connected (its TwiML App request went to the instance serving the call).
    type Interpreter = { callId: string; state: string; legs: { endpoint: string; state: string }[] };
    await waitUntil(
      async () => {
        const r = await json<Interpreter>(`${cluster.nginx.url}/api/conferences/${conference}/interpreter`);
        return r.status === 200 && r.body.state === 'live' && r.body.legs.length > 0 && r.body.legs.every((l) => l.state === 'connected');
      },
      20_000,
      'the interpreter to be live',
    );
    const views = await Promise.all(IDS.map((id) => json<Interpreter>(`${cluster.base(id)}/api/conferences/${conference}/interpreter`)));
    for (const [i, v] of views.entries()) {
      expect(v).toMatchObject({ status: 200, instance: IDS[i], body: { callId: call!.id, conference, state: 'live', mode: 'open' } });
      expect(v.body.legs).toEqual(views[0].body.legs);
      expect(v.body.legs[0]).toMatchObject({ endpoint: expect.any(String), state: 'connected' });
    }
    // The caller's words were translated, and the call ended when they hung up.
    let ended: CallJson | undefined;
    await waitUntil(async () => (ended = (await json<CallJson>(`${cluster.nginx.url}/api/calls/${call!.id}`)).body).outcome !== undefined, 30_000, 'the conference call to end');
    expect(ended).toMatchObject({ outcome: 'completed', instance: call!.instance });
    expect(ended!.transcript).toContainEqual(expect.objectContaining({ direction: 'to:en', source: expect.objectContaining({ text: expect.stringMatching(/^\[es speech/) }) }));
    for (const id of IDS) expect((await json(`${cluster.base(id)}/api/conferences/${conference}/interpreter`)).status).toBe(404);
  });

  it('relay each media stream to its instance when the proxy sends streams to any instance', async () => {
    await startCluster({ streamsByPath: false });
    const sids: string[] = [];
    for (const from of ['+34911000011', '+34911000012', '+34911000013', '+34911000014']) {
      sids.push(await placeCall(from, 9));
      await new Promise((r) => setTimeout(r, 300));
    }
    const calls: CallJson[] = [];
    await waitUntil(
      async () => {
        calls.length = 0;
        for (const sid of sids) {
          const found = await callOf(sid);
          if (found) calls.push((await json<CallJson>(`${cluster.nginx.url}/api/calls/${found.id}`)).body);
        }
        return calls.length === sids.length && calls.every((c) => c.outcome !== undefined && (c.transcript?.length ?? 0) > 0);
      },
      60_000,
      'every call to end with a transcript',
    );
    for (const c of calls) expect(c).toMatchObject({ outcome: 'completed', transcript: [{ direction: 'caller->agent' }] });
    expect(new Set(calls.map((c) => c.instance)).size).toBe(2);
    // Some streams reached the other instance first, and were relayed.
    const edge = await (await fetch(`${cluster.nginx.url}/metrics/cluster`)).text();
    expect(metricSum(edge, 'tolk_twilio_edge_events', 'kind="ws_relayed"')).toBeGreaterThan(0);
    expect(metricSum(edge, 'tolk_twilio_edge_events', 'kind="ws_relay_failed"')).toBe(0);
  });

  it("closes a killed instance's call as instance_lost within 30 s, keeping its transcript", async () => {
    await startCluster();
    const sid = await placeCall('+34911000100', 120);
    let victim: CallJson | undefined;
    await waitUntil(async () => (victim = await callOf(sid))?.state === 'bridged', 30_000, 'the call to be bridged');
    const lost = victim!.instance!;
    const survivor = IDS.find((id) => id !== lost)!;
    const viewing = followLive(cluster.base(survivor));
    let before: CallJson | undefined;
    await waitUntil(async () => ((before = (await json<CallJson>(`${cluster.nginx.url}/api/calls/${victim!.id}`)).body).transcript?.length ?? 0) > 0, 30_000, 'a final transcript line');

    // The instance serving the call dies.
    await cluster.tolks.get(lost)!.stop('SIGKILL');
    const killedAt = Date.now();
    let after: CallJson | undefined;
    await waitUntil(async () => (after = (await json<CallJson>(`${cluster.nginx.url}/api/calls/${victim!.id}`)).body).outcome !== undefined, 30_000, 'the lost call to be closed');
    expect(Date.now() - killedAt).toBeLessThan(30_000);
    expect(after).toMatchObject({ state: 'ended', outcome: 'instance_lost', instance: lost });
    expect(after!.endReason).toMatch(new RegExp(`^the tolk instance serving the call \\(${lost}\\) stopped while it was bridged; the phone network reports caller completed`));
    expect(after!.transcript).toEqual(before!.transcript);
    await cluster.twilio.waitForStatus(sid, 'completed', 10_000);
    // The survivor's live viewers see it end.
    await waitUntil(() => viewing.events.some((e) => e.type === 'call.ended' && e.callId === victim!.id), 5_000, 'the live feed to end the lost call');
    expect(viewing.events.find((e) => e.type === 'call.ended' && e.callId === victim!.id)).toMatchObject({ outcome: 'instance_lost' });

    // The survivor takes the next call.
    const next = await placeCall('+34911000101', 3);
    let call: CallJson | undefined;
    await waitUntil(async () => (call = await callOf(next))?.outcome !== undefined, 30_000, 'the next call to end');
    expect(call).toMatchObject({ instance: survivor, outcome: 'completed' });
  });
});
