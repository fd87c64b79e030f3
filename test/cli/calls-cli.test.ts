import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ACCOUNT, AUTH_TOKEN } from '../twilio/helpers/edge';
import { numberConfiguredReplies, startRestStub, twilioError } from '../twilio/helpers/rest-stub';
import { CONFERENCE_PARTIES, seedConference } from '../http/helpers/admin-app';
import { MemoryJobQueues } from '../../src/jobs/memory-queues';
import { RETENTION_QUEUE, retentionQueueSpec } from '../../src/retention/retention';
import { silentLogger } from '../store/helpers/silent-logger';
import { runTolk, startTolkServer, type TolkServer } from './helpers/run-tolk';

// Each test runs the real executable several times (tsx compiles it on every start).
jest.setTimeout(60_000);

let server: TolkServer;
/** The calls in progress the server holds: call-3 (ringing) until it is hung up. */
const live = new Set(['call-3']);
beforeAll(async () => {
  server = await startTolkServer({
    hangUp: async (id) => {
      if (!live.delete(id)) return false;
      await server.calls.update(id, { state: 'ended', outcome: 'hungup_by_operator', endedAt: new Date('2025-01-01T10:03:00.000Z') });
      return true;
    },
  });
});
afterAll(() => server.close());

describe('tolk calls', () => {
  it('lists calls newest first as a table and as JSON', async () => {
    const [text, json] = await Promise.all([server.tolk('calls', 'list'), server.tolk('calls', 'list', '--json')]);
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+STARTED\s+NUMBER\s+FROM\s+LANGUAGES\s+OUTCOME\s+TALK$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['call-3', 'call-2', 'call-1']);
    expect(lines[3]).toMatch(/call-1\s+2025-01-01 10:00:00Z\s+\+15550001111\s+\+34600000000\s+es<>en\s+completed\s+0:53/);
    // A call still ringing has no outcome yet: its cell says it is live, and in which state; its talk time is in progress, as History says.
    expect(lines[1]).toMatch(/^call-3\s.*\s+es<>en\s+live \(ringing\)\s+in progress$/);
    expect((JSON.parse(json.stdout) as { calls: { id: string }[] }).calls.map((c) => c.id)).toEqual(['call-3', 'call-2', 'call-1']);
  });

  it('filters and pages', async () => {
    const [byNumber, byOutcome, byTime, paged] = await Promise.all([
      server.tolk('calls', 'list', '--number', '+15550001111', '--json'),
      server.tolk('calls', 'list', '--outcome', 'busy', '--json'),
      server.tolk('calls', 'list', '--from', '2025-01-01T10:00:30Z', '--to', '2025-01-01T10:01:30Z', '--json'),
      server.tolk('calls', 'list', '--limit', '2'),
    ]);
    const ids = (r: { stdout: string }) => (JSON.parse(r.stdout) as { calls: { id: string }[] }).calls.map((c) => c.id);
    expect(ids(byNumber)).toEqual(['call-3', 'call-1']);
    expect(ids(byOutcome)).toEqual(['call-2']);
    expect(ids(byTime)).toEqual(['call-2']);
    const cursor = /More calls: add --cursor (\S+)/.exec(paged.stdout)?.[1];
    expect(cursor).toBeDefined();
    const rest = await server.tolk('calls', 'list', '--limit', '2', '--cursor', cursor!, '--json');
    expect(ids(rest)).toEqual(['call-1']);
    expect(JSON.parse(rest.stdout)).not.toHaveProperty('nextCursor');
  });

  it('bad filters: exit 2, with the server\'s reason for what only tolk checks', async () => {
    const [outcome, limit, from] = await Promise.all([
      server.tolk('calls', 'list', '--outcome', 'hung-up'),
      server.tolk('calls', 'list', '--limit', '0'),
      server.tolk('calls', 'list', '--from', 'yesterday'),
    ]);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toContain('Allowed choices are completed, busy');
    expect(limit.code).toBe(2);
    expect(from.code).toBe(2);
    expect(from.stderr).toContain("tolk: invalid query:\n  - from: 'yesterday' is not an ISO 8601 date");
  });

  it('shows a call with its transcript; exit 1 for an unknown call', async () => {
    const [text, json, missing] = await Promise.all([
      server.tolk('calls', 'show', 'call-1'),
      server.tolk('calls', 'show', 'call-1', '--json'),
      server.tolk('calls', 'show', 'nope'),
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/Languages\s+caller es, agent en/);
    // Connected from its answer (10:00:07.5) to its end (10:01:00), as the list's TALK column and the webhook count it.
    expect(text.stdout).toMatch(/^Talk\s+0:53$/m);
    expect(text.stdout).toContain('[00:08.2] caller (es): Hola, tengo un problema con mi pedido.\n          -> en: Hello, I have a problem with my order.');
    expect(JSON.parse(json.stdout)).toMatchObject({ id: 'call-1', durationMs: 52_500, transcript: [{ direction: 'caller->agent' }], droppedUtterances: 0 });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("tolk: call 'nope' not found (name a call by its id, or by at least its first 6 characters)\n");
  });

  it('hangs up a call in progress; exit 1 saying why for one that has ended or does not exist', async () => {
    const hungUp = await server.tolk('calls', 'hangup', 'call-3');
    expect(hungUp).toMatchObject({ code: 0, stdout: 'Call call-3 ended: both parties hung up (hungup_by_operator).\n' });
    expect(live.has('call-3')).toBe(false);
    const [again, missing, listed] = await Promise.all([
      server.tolk('calls', 'hangup', 'call-3'),
      server.tolk('calls', 'hangup', 'nope'),
      server.tolk('calls', 'list', '--outcome', 'hungup_by_operator', '--json'),
    ]);
    expect(again).toMatchObject({ code: 1, stderr: "tolk: call 'call-3' has already ended (hungup_by_operator)\n" });
    expect(missing).toMatchObject({ code: 1, stderr: "tolk: call 'nope' not found (name a call by its id, or by at least its first 6 characters)\n" });
    expect((JSON.parse(listed.stdout) as { calls: { id: string }[] }).calls.map((c) => c.id)).toEqual(['call-3']);
  });
});

describe('tolk calls, a call named by the first characters of its id', () => {
  const SHOWN = 'f47ac10b-58cc-4372-a567-0e02b2c3d479';
  const TWIN = 'f47ac10b-9d1e-4b7a-8c2f-5a6b7c8d9e0f';
  const LIVE = 'a1b2c3d4-0000-4000-8000-000000000001';
  const MANY = Array.from({ length: 12 }, (_, i) => `0000aaaa-0000-4000-8000-${String(i).padStart(12, '0')}`);
  let ids: TolkServer;
  let liveNow = true;
  beforeAll(async () => {
    ids = await startTolkServer({
      hangUp: async (id) => {
        if (id !== LIVE || !liveNow) return false;
        liveNow = false;
        await ids.calls.update(id, { state: 'ended', outcome: 'hungup_by_operator', endedAt: new Date('2025-01-02T10:05:00.000Z') });
        return true;
      },
    });
    const call = (id: string, minute: number, over: Record<string, unknown> = {}) =>
      ids.calls.create({ id, number: '+15550001111', from: '+34600000000', destination: '+15550002222', languages: { caller: 'es', agent: 'en' }, state: 'ended', outcome: 'completed', startedAt: new Date(Date.UTC(2025, 0, 2, 10, minute)), ...over });
    await call(SHOWN, 0);
    await call(TWIN, 1);
    await call(LIVE, 2, { state: 'bridged', outcome: undefined });
    for (const [i, id] of MANY.entries()) await call(id, 10 + i);
  });
  afterAll(() => ids.close());

  it('shows the one call whose id begins with what was given, in any case', async () => {
    const [text, json, capitals] = await Promise.all([
      ids.tolk('calls', 'show', 'f47ac10b-58'),
      ids.tolk('calls', 'show', 'f47ac10b-58cc', '--json'),
      ids.tolk('calls', 'show', 'F47AC10B-58CC', '--json'),
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(SHOWN);
    expect(JSON.parse(json.stdout)).toMatchObject({ id: SHOWN });
    expect(capitals.code).toBe(0);
    expect(JSON.parse(capitals.stdout)).toMatchObject({ id: SHOWN });
  });

  it('exit 1 listing the calls when several ids begin with it, at most ten of them; exit 1 when none does', async () => {
    const [twins, many, none, tooShort] = await Promise.all([
      ids.tolk('calls', 'show', 'f47ac10b'),
      ids.tolk('calls', 'show', '0000aaaa'),
      ids.tolk('calls', 'show', 'f47ac10c'),
      ids.tolk('calls', 'show', 'f47ac'),
    ]);
    expect(twins.code).toBe(1);
    expect(twins.stdout).toBe('');
    const lines = twins.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe("tolk: 'f47ac10b' begins the id of more than one call; give more of it:");
    expect(lines[1]).toMatch(/^ {2}ID\s+STARTED/);
    expect(lines.slice(2).map((l) => l.trim().split(/\s+/)[0])).toEqual([TWIN, SHOWN]);
    expect(many.code).toBe(1);
    const listed = many.stderr.trimEnd().split('\n');
    expect(listed.slice(2, -1).map((l) => l.trim().split(/\s+/)[0])).toEqual(MANY.slice(2).reverse());
    expect(listed[listed.length - 1]).toBe('  ... and more');
    expect(none).toMatchObject({ code: 1, stderr: "tolk: call 'f47ac10c' not found (no call's id is or begins with it)\n" });
    // Fewer than 6 characters are taken as a whole id.
    expect(tooShort).toMatchObject({ code: 1, stderr: "tolk: call 'f47ac' not found (name a call by its id, or by at least its first 6 characters)\n" });
  });

  it('hangs up the call whose id begins with it', async () => {
    const hungUp = await ids.tolk('calls', 'hangup', 'a1b2c3');
    expect(hungUp).toMatchObject({ code: 0, stdout: `Call ${LIVE} ended: both parties hung up (hungup_by_operator).\n` });
    expect(liveNow).toBe(false);
  });
});

describe('tolk calls show, a conference', () => {
  let conference: TolkServer;
  beforeAll(async () => {
    conference = await startTolkServer();
    await seedConference(conference.calls);
  });
  afterAll(() => conference.close());

  it('labels each line with who said it, and says so where tolk could not tell; --json carries the speaker', async () => {
    const [text, json] = await Promise.all([conference.tolk('calls', 'show', 'conf-1'), conference.tolk('calls', 'show', 'conf-1', '--json')]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('[00:06.0] caller (es): Hola, ¿me oyen?\n          -> en: Hello, can you hear me?');
    expect(text.stdout).toContain(`[00:09.0] participant ${CONFERENCE_PARTIES.guest} (en): I am the supervisor.`);
    expect(text.stdout).toContain('[00:12.0] unknown speaker (en): Yes, we hear you.');
    expect(text.stdout).not.toContain('to:');
    const body = JSON.parse(json.stdout) as { transcript: { speaker?: unknown }[] };
    expect(body.transcript.map((u) => u.speaker)).toEqual([{ role: 'caller', callSid: CONFERENCE_PARTIES.caller }, { role: 'participant', callSid: CONFERENCE_PARTIES.guest }, undefined]);
  });
});

describe('tolk calls hangup, a conference', () => {
  let confs: TolkServer;
  beforeAll(async () => {
    confs = await startTolkServer({
      hangUp: async (id) => {
        await confs.calls.update(id, { state: 'ended', outcome: 'hungup_by_operator', endedAt: new Date('2025-01-03T10:05:00.000Z') });
        return true;
      },
    });
    const live = { kind: 'conference' as const, legs: [], languages: { caller: 'es', agent: 'en' }, state: 'bridged' as const, startedAt: new Date('2025-01-03T10:00:00.000Z') };
    // One tolk created for a caller on its number, and one it joined (a Flex task's): no tolk number.
    await confs.calls.create({ ...live, id: 'own-conf', conference: 'tolk-own-conf', number: '+15550001111', from: '+34600000000', destination: '+15550002222' });
    await confs.calls.create({ ...live, id: 'flex-conf', conference: 'WT0123456789abcdef0123456789abcdef', number: '', from: '', destination: '' });
  });
  afterAll(() => confs.close());

  it('says the conference tolk created ended for everyone, and that one it joined goes on without it', async () => {
    const [own, joined] = await Promise.all([confs.tolk('calls', 'hangup', 'own-conf'), confs.tolk('calls', 'hangup', 'flex-conf')]);
    expect(own).toMatchObject({ code: 0, stdout: 'Call own-conf ended: conference tolk-own-conf ended, and everyone in it was hung up (hungup_by_operator).\n' });
    expect(joined).toMatchObject({
      code: 0,
      stdout: 'Call flex-conf ended: tolk left conference WT0123456789abcdef0123456789abcdef, which goes on without interpretation (hungup_by_operator).\n',
    });
  });
});

describe('tolk languages', () => {
  it('lists the supported languages', async () => {
    const [text, json] = await Promise.all([server.tolk('languages'), server.tolk('languages', '--json')]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^CODE\s+LANGUAGE\n/);
    expect(text.stdout).toMatch(/\npt-BR\s+Portuguese \(Brazil\)\n/);
    expect((JSON.parse(json.stdout) as { languages: unknown[] }).languages).toContainEqual({ code: 'de', name: 'German' });
  });
});

describe('reaching tolk', () => {
  it('exit 1 with a hint without ADMIN_TOKEN or with a wrong one; exit 1 when the server has none', async () => {
    const disabled = await startTolkServer({ token: null });
    try {
      const [none, wrong, noneJson, off] = await Promise.all([
        runTolk(['numbers', 'list'], { TOLK_URL: server.url }),
        runTolk(['numbers', 'list'], { TOLK_URL: server.url, ADMIN_TOKEN: 'not-the-token-at-all' }),
        runTolk(['numbers', 'list', '--json'], { TOLK_URL: server.url }),
        disabled.tolk('numbers', 'list'),
      ]);
      // One line each, saying where the CLI reads the token from; not the API's advice about headers.
      expect(none).toMatchObject({ code: 1, stdout: '' });
      expect(none.stderr).toBe(
        "tolk: no admin token: set ADMIN_TOKEN (from the environment, else from .env in the working folder) to the deployment's ADMIN_TOKEN\n",
      );
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toBe(
        "tolk: tolk refused the admin token: ADMIN_TOKEN (from the environment, else from .env in the working folder) is not the deployment's ADMIN_TOKEN\n",
      );
      expect(JSON.parse(noneJson.stderr)).toEqual({
        error: "no admin token: set ADMIN_TOKEN (from the environment, else from .env in the working folder) to the deployment's ADMIN_TOKEN",
        status: 401,
      });
      expect(off.code).toBe(1);
      expect(off.stderr).toContain('admin API disabled: set ADMIN_TOKEN on the server');
    } finally {
      await disabled.close();
    }
  });

  it('reads .env in its working folder as the server does; the environment wins over it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-cli-dotenv-'));
    try {
      // The deployment's .env: the server's PORT and ADMIN_TOKEN are what the CLI needs.
      fs.writeFileSync(path.join(dir, '.env'), `PORT=${new URL(server.url).port}\nADMIN_TOKEN=${server.env.ADMIN_TOKEN}\nPUBLIC_URL=https://tolk.example.com\n`);
      const [fromFile, overridden] = await Promise.all([
        runTolk(['numbers', 'list', '--json'], {}, dir),
        runTolk(['numbers', 'list'], { ADMIN_TOKEN: 'not-the-token-at-all' }, dir),
      ]);
      expect(fromFile.code).toBe(0);
      expect((JSON.parse(fromFile.stdout) as { numbers: unknown[] }).numbers).toHaveLength(2);
      expect(overridden.code).toBe(1);
      expect(overridden.stderr).toMatch(/401|token/i);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--url wins over TOLK_URL; exit 3 when nothing answers, 2 for a malformed URL', async () => {
    const closed = await startTolkServer();
    const deadUrl = closed.url;
    await closed.close();
    const [viaFlag, dead, viaPort, malformed] = await Promise.all([
      runTolk(['languages', '--url', server.url, '--json'], { ...server.env, TOLK_URL: deadUrl }),
      runTolk(['languages'], { ...server.env, TOLK_URL: deadUrl }),
      runTolk(['calls', 'list'], { ADMIN_TOKEN: server.env.ADMIN_TOKEN, PORT: new URL(deadUrl).port }),
      runTolk(['languages', '--url', 'tolk.example.com']),
    ]);
    expect(viaFlag.code).toBe(0);
    expect(dead.code).toBe(3);
    expect(dead.stderr).toBe(`tolk: cannot reach tolk at ${deadUrl} (connection refused); is it running? Set --url or TOLK_URL\n`);
    expect(viaPort.code).toBe(3);
    expect(viaPort.stderr).toContain(`cannot reach tolk at http://127.0.0.1:${new URL(deadUrl).port}`);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain("'tolk.example.com' is not a URL");
  });
});

describe('help and usage errors', () => {
  it('--help everywhere, exit 0', async () => {
    const runs = await Promise.all([
      runTolk(['--help']),
      runTolk(['numbers', '--help']),
      runTolk(['numbers', 'set', '--help']),
      runTolk(['calls', 'list', '--help']),
      runTolk(['twilio', 'configure-number', '--help']),
    ]);
    for (const r of runs) expect(r).toMatchObject({ code: 0, stderr: '' });
    const [top, numbers, set, list, twilio] = runs.map((r) => r.stdout);
    expect(top).toContain('Usage: tolk [options] [command]');
    expect(top).toMatch(/Exit codes: 0 ok, 1 .*, 2 usage error, 3 cannot reach tolk/);
    expect(numbers).toMatch(/import <file>/);
    expect(set).toContain('--caller-language <code>');
    expect(set).toContain('--no-greeting');
    expect(list).toContain('--outcome <outcome>');
    expect(twilio).toContain('TWILIO_AUTH_TOKEN');
  });

  it('--version prints the package version, exit 0; the help lists it', async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as { version: string };
    const [run, help] = await Promise.all([runTolk(['--version']), runTolk(['--help'])]);
    expect(run).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect(help.stdout).toMatch(/--version\s+print tolk's version/);
  });

  it('exit 2 for no command, an unknown command, a missing argument or an extra one', async () => {
    const [nothing, group, unknown, missing, extra] = await Promise.all([
      runTolk([]),
      runTolk(['numbers']),
      runTolk(['numbrs']),
      runTolk(['calls', 'show']),
      runTolk(['languages', 'extra']),
    ]);
    for (const r of [nothing, group, unknown, missing, extra]) expect(r.code).toBe(2);
    expect(nothing.stderr).toContain('Usage: tolk');
    expect(unknown.stderr).toContain("unknown command 'numbrs'");
    expect(missing.stderr).toContain("missing required argument 'id'");
    expect(extra.stderr).toContain('too many arguments');
  });
});

describe('tolk twilio configure-number', () => {
  it("points the number at PUBLIC_URL; exit 1 on a Twilio error, 2 without configuration", async () => {
    const stub = await startRestStub();
    try {
      const env = { PUBLIC_URL: 'https://tolk.example.com/', TWILIO_ACCOUNT_SID: ACCOUNT, TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_API_URL: stub.url };
      const PN = 'PN' + '4'.repeat(32);
      stub.replies.push(...numberConfiguredReplies(PN));
      const ok = await runTolk(['twilio', 'configure-number', '+15551234567', '--json'], env);
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.stdout)).toMatchObject({ phoneNumber: '+15551234567', voiceUrl: 'https://tolk.example.com/twilio/voice' });
      expect(Object.fromEntries(stub.requests[1].form)).toMatchObject({ VoiceUrl: 'https://tolk.example.com/twilio/voice', StatusCallback: 'https://tolk.example.com/twilio/status' });

      stub.replies.push(twilioError(401, 20003, 'Authenticate'));
      const [refused, unconfigured] = await Promise.all([
        runTolk(['twilio', 'configure-number', '+15551234567'], env),
        runTolk(['twilio', 'configure-number', '+15551234567'], { PUBLIC_URL: 'https://tolk.example.com' }),
      ]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('Authenticate (HTTP 401, Twilio error 20003)');
      expect(refused.stderr).not.toContain(AUTH_TOKEN);
      expect(refused.stderr).toContain('check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN');
      expect(refused.stderr).not.toContain(ACCOUNT);
      expect(unconfigured.code).toBe(2);
      expect(unconfigured.stderr).toContain('TWILIO_ACCOUNT_SID is required but not set');
    } finally {
      await stub.close();
    }
  });

  it('exit 3 with one line and no JSON log when Twilio cannot be reached; LOG_LEVEL=debug shows the log', async () => {
    const closed = await startRestStub();
    await closed.close();
    const env = { PUBLIC_URL: 'https://tolk.example.com/', TWILIO_ACCOUNT_SID: ACCOUNT, TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_API_URL: closed.url, LOG_LEVEL: 'info' };
    const [quiet, debug] = await Promise.all([
      runTolk(['twilio', 'configure-number', '+15551234567'], env),
      runTolk(['twilio', 'configure-number', '+15551234567'], { ...env, LOG_LEVEL: 'debug' }),
    ]);
    expect(quiet).toEqual({ code: 3, stdout: '', stderr: `tolk: cannot reach Twilio at ${closed.url} (TWILIO_API_URL): ECONNREFUSED\n` });
    expect(debug.code).toBe(3);
    expect(debug.stderr).toContain('"event":"twilio.rest.retry"');
    expect(debug.stderr).not.toContain(AUTH_TOKEN);
  });
});

describe('tolk calls erase', () => {
  it('erases the calls that ended before a time, or one caller\'s, and says what went', async () => {
    const own = await startTolkServer();
    try {
      const [nothingSaid, badDate] = await Promise.all([own.tolk('calls', 'erase'), own.tolk('calls', 'erase', '--ended-before', '2025-02-30')]);
      expect(nothingSaid.code).toBe(2);
      expect(nothingSaid.stderr).toContain('say which calls: --ended-before DATE, --from NUMBER, or both');
      expect(badDate.code).toBe(2);
      expect(badDate.stderr).toContain('endedBefore: there is no 2025-02-30: February 2025 has 28 days');

      const text = await own.tolk('calls', 'erase', '--ended-before', '2025-01-01T10:01:10Z');
      expect(text.code).toBe(0);
      expect(text.stdout).toBe('Erased 1 call (0 webhook deliveries, 0 remembered languages).\n');
      const text2 = await own.tolk('calls', 'erase', '--from', '+34600000001');
      expect(text2.stdout).toBe('Erased 0 calls (0 webhook deliveries, 0 remembered languages).\nA call of theirs still in progress, or one tolk has yet to place, is never erased: if they have one, erase again once it has ended.\n');
      const json = await own.tolk('calls', 'erase', '--from', '+49 30 0000 00', '--json');
      expect(JSON.parse(json.stdout)).toEqual({ calls: 1, deliveries: 0, callerLanguages: 0, more: false });
      const left = await own.tolk('calls', 'list', '--json');
      expect((JSON.parse(left.stdout) as { calls: { id: string }[] }).calls.map((c) => c.id)).toEqual(['call-3']);
    } finally {
      await own.close();
    }
  });

  it('with --dry-run says what it would erase, that nothing was, and erases nothing', async () => {
    const own = await startTolkServer();
    const ids = async (): Promise<string[]> => (JSON.parse((await own.tolk('calls', 'list', '--json')).stdout) as { calls: { id: string }[] }).calls.map((c) => c.id);
    try {
      const text = await own.tolk('calls', 'erase', '--ended-before', '2025-01-01T10:01:30Z', '--dry-run');
      expect(text).toMatchObject({ code: 0, stderr: '' });
      expect(text.stdout).toBe('Dry run, nothing was erased: this would erase 2 calls (0 webhook deliveries, 0 remembered languages).\nTo erase them, run the same command without --dry-run.\n');
      const one = await own.tolk('calls', 'erase', '--from', '+34600000000', '--dry-run');
      expect(one.stdout).toBe(
        'Dry run, nothing was erased: this would erase 1 call (0 webhook deliveries, 0 remembered languages).\n' +
          'A call of theirs in progress, or one tolk has yet to place, would be kept.\n' +
          'To erase them, run the same command without --dry-run.\n',
      );
      const json = await own.tolk('calls', 'erase', '--from', '+34600000000', '--dry-run', '--json');
      expect(JSON.parse(json.stdout)).toEqual({ calls: 1, deliveries: 0, callerLanguages: 0, more: false, dryRun: true });
      const nothingSaid = await own.tolk('calls', 'erase', '--dry-run');
      expect(nothingSaid.code).toBe(2);
      expect(await ids()).toEqual(['call-3', 'call-2', 'call-1']);
    } finally {
      await own.close();
    }
  });
});

describe('tolk calls sweep', () => {
  it('runs the retention sweep now and says what went, by which cut-off', async () => {
    // 30 days after call-1 ended (2025-01-01T10:01:00Z) and before call-2 did (10:01:20Z).
    const own = await startTolkServer({ retentionDays: 30, now: () => Date.parse('2025-01-31T10:01:10Z') });
    try {
      const text = await own.tolk('calls', 'sweep');
      expect(text).toMatchObject({ code: 0, stderr: '' });
      expect(text.stdout).toBe('Swept (TOLK_RETENTION_DAYS=30, what ended before 2025-01-01T10:01:10.000Z): erased 1 call (0 webhook deliveries, 0 remembered languages).\n');
      const json = await own.tolk('calls', 'sweep', '--json');
      expect(JSON.parse(json.stdout)).toEqual({ calls: 0, deliveries: 0, callerLanguages: 0, more: false, days: 30, before: '2025-01-01T10:01:10.000Z' });
      expect((JSON.parse((await own.tolk('calls', 'list', '--json')).stdout) as { calls: { id: string }[] }).calls.map((c) => c.id)).toEqual(['call-3', 'call-2']);
    } finally {
      await own.close();
    }
  });

  it('with --no-wait only starts the sweep and prints its job; --job follows that job to what it erased', async () => {
    // A retention queue nobody works yet: the sweep waits in it.
    const jobs = new MemoryJobQueues({ specs: [retentionQueueSpec], logger: silentLogger() });
    const own = await startTolkServer({ retentionDays: 30, now: () => Date.parse('2025-01-31T10:01:10Z'), retentionJobs: jobs });
    try {
      const started = await own.tolk('calls', 'sweep', '--no-wait');
      expect(started).toMatchObject({ code: 0, stderr: '' });
      const id = /^Sweep started as job (retention\.byhand\.\S+) \(TOLK_RETENTION_DAYS=30, what ended before 2025-01-01T10:01:10\.000Z\); follow it with: tolk calls sweep --job \1\n$/.exec(started.stdout)?.[1];
      expect(id).toBeDefined();
      expect((JSON.parse((await own.tolk('calls', 'list', '--json')).stdout) as { calls: unknown[] }).calls).toHaveLength(3);
      const json = await own.tolk('calls', 'sweep', '--no-wait', '--json');
      expect(JSON.parse(json.stdout)).toEqual({ queue: 'retention', id: expect.stringMatching(/^retention\.byhand\./), days: 30, before: '2025-01-01T10:01:10.000Z' });
      // A process takes the queue's jobs: the first sweep erases call-1, the second finds nothing left.
      jobs.work(RETENTION_QUEUE, own.retention.processor());
      const followed = await own.tolk('calls', 'sweep', '--job', id!);
      expect(followed).toMatchObject({ code: 0, stderr: '' });
      expect(followed.stdout).toBe('Swept (TOLK_RETENTION_DAYS=30, what ended before 2025-01-01T10:01:10.000Z): erased 1 call (0 webhook deliveries, 0 remembered languages).\n');
      const unknown = await own.tolk('calls', 'sweep', '--job', 'retention.byhand.nope');
      expect(unknown).toMatchObject({ code: 1, stdout: '' });
      expect(unknown.stderr).toBe("tolk: no sweep job 'retention.byhand.nope' (a finished job is kept until newer ones push it out)\n");
    } finally {
      await own.close();
      await jobs.close();
    }
  });

  it('says in its help how to see first what it would erase, and what that dry run leaves out', async () => {
    const help = await runTolk(['calls', 'sweep', '--help']);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toContain('tolk calls erase --ended-before <that many days ago> --dry-run');
    expect(help.stdout).toContain('It counts at most 2,000 of them (a sweep takes up to 50,000), and neither the remembered languages the sweep forgets');
    expect(help.stdout).toContain('nor the webhook deliveries left without their call, which the sweep erases too');
  });

  it('on a deployment without TOLK_RETENTION_DAYS sweeps no call, and says so', async () => {
    const own = await startTolkServer();
    try {
      const run = await own.tolk('calls', 'sweep');
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout).toBe('Swept (no TOLK_RETENTION_DAYS: no calls, only webhook deliveries left without their call): erased 0 calls (0 webhook deliveries, 0 remembered languages).\n');
      const json = await own.tolk('calls', 'sweep', '--json');
      expect(JSON.parse(json.stdout)).toEqual({ calls: 0, deliveries: 0, callerLanguages: 0, more: false });
      const started = await own.tolk('calls', 'sweep', '--no-wait');
      expect(started.stdout).toMatch(/^Sweep started as job retention\.byhand\.\S+ \(no TOLK_RETENTION_DAYS: no calls, only webhook deliveries left without their call\); follow it with: tolk calls sweep --job retention\.byhand\.\S+\n$/);
      expect((JSON.parse((await own.tolk('calls', 'list', '--json')).stdout) as { calls: unknown[] }).calls).toHaveLength(3);
    } finally {
      await own.close();
    }
  });
});
