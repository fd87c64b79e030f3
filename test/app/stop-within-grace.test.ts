/**
 * Stopping fits in SHUTDOWN_GRACE_MS: the process's backstop ends it one second after the grace, so
 * a stop that waits longer on a reconciler pass held by a slow database is cut off before it settles
 * the call events (webhooks, records) and closes the queues and the database.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startApp } from '../../src/app';
import { testAppConfig } from '../helpers/app-config';
import type { CallRecordStore } from '../../src/store/call-record-store';
import { InMemoryCallRecordStore } from '../../src/store/in-memory-call-record-store';
import { captureLogger } from '../twilio/helpers/logs';

/** The call records, except that asking which calls nobody serves never answers (a database holding the query). */
function holdingUnserved(inner: CallRecordStore, asked: { times: number }): CallRecordStore {
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'unserved') return () => (asked.times++, new Promise<never>(() => undefined));
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('stopping while a reconciler pass waits on the database', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-grace-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('abandons the pass and finishes within SHUTDOWN_GRACE_MS, settling and closing', async () => {
    const graceMs = 1500;
    const config = testAppConfig(dir, { TOLK_DRAIN_TIMEOUT_MS: '0', SHUTDOWN_GRACE_MS: String(graceMs) });
    const asked = { times: 0 };
    const log = captureLogger();
    const app = await startApp(config, log.logger, { records: holdingUnserved(new InMemoryCallRecordStore(), asked) });
    // The pass run at start-up is held on its query.
    for (let i = 0; i < 100 && asked.times === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(asked.times).toBeGreaterThan(0);

    const started = Date.now();
    await app.stop();
    const tookMs = Date.now() - started;

    expect(tookMs).toBeLessThan(graceMs);
    expect(log.lines()).toContainEqual(expect.objectContaining({ event: 'reconcile.pass_abandoned' }));
    expect(log.lines()).toContainEqual(expect.objectContaining({ event: 'server.stopped' }));
  });
});
