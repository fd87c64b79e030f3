/**
 * `npm start` as an operator meets it: configuration from the environment or `.env`, and every
 * start-up failure the operator can fix is one line on stderr naming the variable, exit code 78,
 * never a stack trace and never a hang.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort } from '../../src/emulators/free-port';
import { spawnTolk } from '../helpers/tolk-process';

const VALID = {
  HOST: '127.0.0.1',
  PUBLIC_URL: 'https://tolk.example.com',
  TWILIO_ACCOUNT_SID: 'AC' + 'a'.repeat(32),
  TWILIO_AUTH_TOKEN: 'secret-auth-token-value',
  GEMINI_API_KEY: 'secret-gemini-key',
};

/** Exactly one line on stderr, starting `tolk: VARIABLE`, and no stack frame. */
function expectOneLineNaming(stderr: string, variable: string): void {
  const lines = stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^tolk: ${variable} `));
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('npm start', () => {
  it('refuses to start without configuration and names the missing variables', async () => {
    const tolk = spawnTolk({});
    expect(await tolk.exited).toBe(78);
    expect(tolk.stderr()).toMatch(/PUBLIC_URL is required/);
    expect(tolk.stderr()).toMatch(/GEMINI_API_KEY is required/);
  });

  it('refuses to be one of several instances without the shared MEDIA_STREAM_SECRET, saying why', async () => {
    const tolk = spawnTolk({ ...VALID, PORT: '0', TOLK_CLUSTER: 'on', REDIS_URL: 'redis://127.0.0.1:6379', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' });
    expect(await tolk.exited).toBe(78);
    expect(tolk.stderr()).toMatch(/MEDIA_STREAM_SECRET is required when TOLK_CLUSTER=on: a media stream may reach another instance than the one that issued its token/);
    expect(tolk.stderr()).not.toMatch(/\n\s+at /);
  });

  it('starts with valid configuration, serves /healthz, keeps secrets out of the log, and stops on SIGTERM', async () => {
    const tolk = spawnTolk({ ...VALID, PORT: '0' });
    const listening = await tolk.waitForStdout(/"event":"server.listening"/);
    const { port } = JSON.parse(listening) as { port: number };
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
    await tolk.stop('SIGTERM');
    expect(await tolk.exited).toBe(0);
    expect(tolk.stdout()).toContain('"event":"server.stopped"');
    expect(tolk.stdout()).not.toContain('secret-auth-token-value');
    expect(tolk.stdout()).not.toContain('secret-gemini-key');
  });

  it('reads .env in its working folder; the environment wins over it', async () => {
    // PORT=0 from the environment against PORT=1 in .env: tolk listens on a port the system picks
    // (a port picked here and freed before tolk starts could be taken by then on a busy machine).
    const dotenv = Object.entries({ ...VALID, PORT: '1' }).map(([k, v]) => `${k}=${v}`);
    const tolk = spawnTolk({ PORT: '0' }, { prepare: (cwd) => fs.writeFileSync(path.join(cwd, '.env'), `${dotenv.join('\n')}\n`) });
    const { port } = JSON.parse(await tolk.waitForStdout(/"event":"server.listening"/)) as { port: number };
    expect(port).not.toBe(1);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });

  it('names PORT when the port is taken (exit 78, one line)', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const tolk = spawnTolk({ ...VALID, PORT: String(port) });
      expect(await tolk.exited).toBe(78);
      expectOneLineNaming(tolk.stderr(), 'PORT');
      expect(tolk.stderr()).toContain(`${port} is already in use`);
      expect(tolk.stderr()).toContain('stop it, or set PORT to a free port (in .env or the environment)');
    } finally {
      blocker.close();
    }
  });

  it.each([
    ['below a file instead of a folder', (dir: string) => fs.writeFileSync(path.join(dir, 'plain'), 'x'), 'plain/tolk.db', /cannot have its folder \S+\/plain created \(a file is in the way\)/],
    ['a folder', (dir: string) => fs.mkdirSync(path.join(dir, 'db')), 'db', /is a folder, not a file/],
    ['not a database', (dir: string) => fs.writeFileSync(path.join(dir, 'notes.txt'), 'hello '.repeat(200)), 'notes.txt', /is not a database \(SQLite cannot read it\)/],
  ])('names TOLK_DB_PATH when it is %s (exit 78, one line)', async (_what, prepare, dbPath, reason) => {
    const tolk = spawnTolk({ ...VALID, PORT: '0', TOLK_DB_PATH: dbPath }, { prepare });
    expect(await tolk.exited).toBe(78);
    expectOneLineNaming(tolk.stderr(), 'TOLK_DB_PATH');
    expect(tolk.stderr()).toMatch(reason);
  });

  it('names DATABASE_URL when PostgreSQL cannot be reached, within its deadline, without the password', async () => {
    const closedPort = await freePort();
    const tolk = spawnTolk({ ...VALID, PORT: '0', DATABASE_URL: `postgres://tolk:hunter2@127.0.0.1:${closedPort}/tolk`, DATABASE_CONNECT_TIMEOUT_MS: '1500' });
    // Timed from tolk's first refused attempt, not from the spawn: starting the process (tsx
    // compiling tolk) alone takes over 10 s on a busy machine.
    await tolk.waitForStdout(/"event":"store.unreachable"/);
    const started = Date.now();
    expect(await tolk.exited).toBe(78);
    expect(Date.now() - started).toBeLessThan(15_000);
    expectOneLineNaming(tolk.stderr(), 'DATABASE_URL');
    expect(tolk.stderr()).toMatch(/unreachable after 2 s \(ECONNREFUSED\)/);
    expect(tolk.stderr() + tolk.stdout()).not.toContain('hunter2');
  });

  it('gives up on a server that accepts the connection and never answers (deadline, not a hang)', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const tolk = spawnTolk({ ...VALID, PORT: '0', DATABASE_URL: `postgres://tolk@127.0.0.1:${port}/tolk`, DATABASE_CONNECT_TIMEOUT_MS: '1000' });
      expect(await tolk.exited).toBe(78);
      expectOneLineNaming(tolk.stderr(), 'DATABASE_URL');
      expect(tolk.stderr()).toMatch(/connection timed out/);
    } finally {
      silent.close();
    }
  });

  it('refuses conference mode without the interpreter\'s TwiML App, naming the variable and the command', async () => {
    const numbers = 'numbers:\n  - {number: "+15550001111", destination: "+15550002222", callerLanguage: es, agentLanguage: en, mode: conference}\n';
    const tolk = spawnTolk({ ...VALID, PORT: '0', TOLK_NUMBERS: 'numbers.yaml' }, { prepare: (cwd) => fs.writeFileSync(path.join(cwd, 'numbers.yaml'), numbers) });
    expect(await tolk.exited).toBe(78);
    expectOneLineNaming(tolk.stderr(), 'TWILIO_TWIML_APP_SID');
    expect(tolk.stderr()).toContain('+15550001111 is in conference mode');
    expect(tolk.stderr()).toContain('tolk twilio configure-app');
  });

  it('refuses a TOLK_WEBHOOK_URL it would never deliver to, at start rather than after the first call', async () => {
    const webhook = { TOLK_WEBHOOK_URL: 'http://127.0.0.1:19099/hook', TOLK_WEBHOOK_SECRET: 'whsec-startup-0123456789' };
    const plain = spawnTolk({ ...VALID, PORT: '0', ...webhook });
    expect(await plain.exited).toBe(78);
    expectOneLineNaming(plain.stderr(), 'TOLK_WEBHOOK_URL');
    expect(plain.stderr()).toContain('plain http (set TOLK_ALLOW_HTTP_WEBHOOKS=true to allow it)');
    const local = spawnTolk({ ...VALID, PORT: '0', ...webhook, TOLK_ALLOW_HTTP_WEBHOOKS: 'true' });
    expect(await local.exited).toBe(78);
    expectOneLineNaming(local.stderr(), 'TOLK_WEBHOOK_URL');
    expect(local.stderr()).toContain('TOLK_ALLOW_PRIVATE_WEBHOOKS=true');
  });
});
