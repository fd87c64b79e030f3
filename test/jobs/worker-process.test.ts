/**
 * `tolk worker` as an operator runs it: it refuses to start without REDIS_URL; a worker killed in
 * the middle of a job (process exit, no goodbye) loses no job: BullMQ finds the job stalled and
 * another worker places the leg; Ctrl-C stops it once its running job is done, and asking again
 * stops it at once.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DIAL_QUEUE, dialQueueSpec, type DialJob } from '../../src/jobs/dial-queue';
import { spawnTolk } from '../helpers/tolk-process';
import { openTestQueues, REDIS_URL, uniquePrefix, waitFor, type TestQueues } from './helpers';

const ACCOUNT = 'AC' + 'a'.repeat(32);
const BASE_ENV = {
  PUBLIC_URL: 'https://tolk.example.com',
  TWILIO_ACCOUNT_SID: ACCOUNT,
  TWILIO_AUTH_TOKEN: 'secret-auth-token-value',
  GEMINI_API_KEY: 'secret-gemini-key',
};

/** Twilio's Calls endpoint: the first request is never answered (the worker dies on it), later ones place the call. */
async function fakeTwilio(): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const hanging: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      requests.push(`${req.method} ${req.url} ${body}`);
      if (requests.length === 1) {
        hanging.push(res);
        return;
      }
      const to = new URLSearchParams(body).get('To');
      res.writeHead(201, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ sid: 'CA' + 'f'.repeat(32), account_sid: ACCOUNT, status: 'queued', to, from: '+15550001111', direction: 'outbound-api', parent_call_sid: null }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('tolk worker', () => {
  let q: TestQueues | undefined;
  afterEach(async () => q?.close());

  it('refuses to start without REDIS_URL, naming it', async () => {
    const worker = spawnTolk(BASE_ENV, { cli: ['worker'] });
    expect(await worker.exited).toBe(2);
    expect(worker.stderr()).toMatch(/REDIS_URL is required by tolk worker/);
  });

  it('loses no job when killed in the middle of one: another worker completes it', async () => {
    const twilio = await fakeTwilio();
    const prefix = uniquePrefix();
    const env = { ...BASE_ENV, REDIS_URL, TOLK_QUEUE_PREFIX: prefix, TOLK_JOB_LOCK_MS: '3000', TWILIO_API_URL: twilio.url };
    try {
      q = openTestQueues('redis', [dialQueueSpec(1)], { prefix });
      const first = spawnTolk(env, { cli: ['worker'] });
      const started = JSON.parse(await first.waitForStdout(/worker\.started/)) as { queues: string[] };
      // The queues it runs: not `outbound`, which the servers run.
      expect(started.queues).toEqual(['dial', 'webhooks', 'retention', 'call-ends']);
      const job: DialJob = {
        request: { callId: 'kill-me', endpoint: 'agent', destination: '+15550002222', callerId: '+15550001111', ringTimeoutSec: 60 },
        deadline: Date.now() + 60_000,
      };
      const result = q.jobs.addAndWait<DialJob, string>(DIAL_QUEUE, { id: 'dial.kill-me.agent', data: job, attempts: 3 }, 40_000);
      await waitFor(() => twilio.requests.length === 1, 15_000, 'the first worker to call Twilio');
      await first.stop('SIGKILL');
      expect((await q.jobs.get(DIAL_QUEUE, 'dial.kill-me.agent'))?.state).toBe('active');

      const second = spawnTolk(env, { cli: ['worker'] });
      await second.waitForStdout(/worker\.started/);
      await expect(result).resolves.toBe('CA' + 'f'.repeat(32));
      expect(twilio.requests).toHaveLength(2);
      expect(twilio.requests[1]).toMatch(/To=%2B15550002222/);
      await second.stop('SIGTERM');
      expect(second.stdout()).toMatch(/worker\.stopped/);
    } finally {
      await twilio.close();
    }
  }, 60_000);

  it('takes Ctrl-C, passed on again by npm run, as one request to stop after its running job, and a second request as stop now', async () => {
    const twilio = await fakeTwilio();
    const prefix = uniquePrefix();
    const env = { ...BASE_ENV, REDIS_URL, TOLK_QUEUE_PREFIX: prefix, TWILIO_API_URL: twilio.url };
    try {
      q = openTestQueues('redis', [dialQueueSpec(1)], { prefix });
      const worker = spawnTolk(env, { cli: ['worker'] });
      await worker.waitForStdout(/worker\.started/);
      const job: DialJob = {
        request: { callId: 'ctrl-c', endpoint: 'agent', destination: '+15550002222', callerId: '+15550001111', ringTimeoutSec: 60 },
        deadline: Date.now() + 60_000,
      };
      void q.jobs.addAndWait<DialJob, string>(DIAL_QUEUE, { id: 'dial.ctrl-c.agent', data: job, attempts: 3 }, 40_000).catch(() => undefined);
      await waitFor(() => twilio.requests.length === 1, 15_000, 'the worker to call Twilio');
      // Twilio never answers: the job runs on. Ctrl-C reaches the worker, and again from npm run.
      process.kill(-worker.child.pid!, 'SIGINT');
      await new Promise((r) => setTimeout(r, 20));
      process.kill(-worker.child.pid!, 'SIGINT');
      await worker.waitForStdout(/process\.signal_repeated/, 5000);
      expect(worker.stdout()).toMatch(/worker shutting down once its running jobs are done/);
      // Still waiting for its job a moment later...
      await new Promise((r) => setTimeout(r, 1200));
      expect(worker.child.exitCode).toBeNull();
      // ...until asked again.
      process.kill(-worker.child.pid!, 'SIGTERM');
      expect(await worker.exited).toBe(1);
      expect(worker.stdout()).toMatch(/second signal: worker stopping now/);
    } finally {
      await twilio.close();
    }
  }, 60_000);

  it('npm run worker: SIGTERM to the npm process (what a process manager sends) stops the worker, and npm exits with it', async () => {
    // package.json's own worker script, with the worker run from its sources instead of dist/.
    const root = path.resolve(__dirname, '../..');
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.worker).toBe('exec node dist/src/cli/main.js worker');
    const loader = path.join(root, 'node_modules/tsx/dist/loader.mjs');
    const script = pkg.scripts.worker.replace('node dist/src/cli/main.js', `node --import ${loader} ${path.join(root, 'src/cli/main.ts')}`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-npm-worker-'));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'tolk-npm-worker', version: '0.0.0', private: true, scripts: { worker: script } }));
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...BASE_ENV, REDIS_URL, TOLK_QUEUE_PREFIX: uniquePrefix() };
    const npm = spawn('npm', ['run', 'worker'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const groupAlive = (): boolean => {
      try {
        process.kill(-npm.pid!, 0);
        return true;
      } catch {
        return false;
      }
    };
    let out = '';
    npm.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    try {
      await waitFor(() => out.includes('worker.started'), 30_000, 'the worker to start');
      process.kill(npm.pid!, 'SIGTERM');
      expect(await exited).toBe(0);
      await waitFor(() => !groupAlive(), 5000, 'every process npm started to be gone');
      expect(out).toMatch(/worker\.stopped/);
    } finally {
      if (groupAlive()) process.kill(-npm.pid!, 'SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
