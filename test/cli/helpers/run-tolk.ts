/**
 * Runs the real `tolk` executable (tsx over src/cli/main.ts) as a child process, with only the
 * environment a test gives it, in an empty working folder unless the test gives one, and an admin
 * API server in the test process to talk to.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JobQueues } from '../../../src/jobs/queue';
import type { DeliveryService } from '../../../src/webhooks/deliveries';
import { InMemoryNumberStore, type NumberStore } from '../../../src/config/number-store';
import { adminSetup, DE_LINE, ES_LINE, TOKEN, type AdminSetup } from '../../http/helpers/admin-app';
import { outputOf, type ProcessOutput } from '../../helpers/process-output';

const ROOT = path.resolve(__dirname, '../../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const MAIN = path.join(ROOT, 'src/cli/main.ts');

export type TolkRun = ProcessOutput;

/**
 * An empty working folder: tolk reads `.env` from its working folder, and the developer's own
 * `.env` in the repository must not reach the tests.
 */
const EMPTY_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-cli-'));
afterAll(() => fs.rmSync(EMPTY_DIR, { recursive: true, force: true }));

export function runTolk(args: string[], env: Record<string, string> = {}, cwd = EMPTY_DIR): Promise<TolkRun> {
  return outputOf(
    spawn(TSX, [MAIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

export interface TolkServer extends AdminSetup {
  url: string;
  env: Record<string, string>;
  /** Runs tolk against this server with ADMIN_TOKEN set. */
  tolk(...args: string[]): Promise<TolkRun>;
  close(): Promise<void>;
}

export async function startTolkServer(opts: { token?: string | null; numbers?: NumberStore; hangUp?: (id: string) => Promise<boolean>; jobs?: JobQueues; retentionJobs?: JobQueues; deliveries?: DeliveryService; retentionDays?: number; now?: () => number } = {}): Promise<TolkServer> {
  const setup = await adminSetup({ token: opts.token, jobs: opts.jobs, retentionJobs: opts.retentionJobs, deliveries: opts.deliveries, numbers: opts.numbers ?? new InMemoryNumberStore([ES_LINE, DE_LINE]), ...(opts.hangUp ? { hangUp: opts.hangUp } : {}), retentionDays: opts.retentionDays, ...(opts.now ? { now: opts.now } : {}) });
  const address = await setup.http.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${address.port}`;
  const env = { TOLK_URL: url, ADMIN_TOKEN: TOKEN };
  return { ...setup, url, env, tolk: (...args) => runTolk(args, env), close: () => setup.http.close() };
}

