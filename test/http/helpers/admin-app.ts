import { Writable } from 'node:stream';
import type { JobQueues } from '../../../src/jobs/queue';
import type { DeliveryService } from '../../../src/webhooks/deliveries';
import { createLogger } from '../../../src/log/logger';
import { Readiness } from '../../../src/http/readiness';
import { createHttpServer, type HttpServer } from '../../../src/http/server';
import { createAdminApi } from '../../../src/http/admin-api';
import { InMemoryNumberStore, type NumberStore } from '../../../src/config/number-store';
import type { NumberSettings } from '../../../src/config/numbers';
import { validateNumberSettings } from '../../../src/config/numbers-schema';
import { InMemoryCallRecordStore } from '../../../src/store/in-memory-call-record-store';
import type { CallRecordStore } from '../../../src/store/call-record-store';
import type { CallRecordPatch, NewCallRecord, Utterance } from '../../../src/store/call-record';
import { MemoryJobQueues } from '../../../src/jobs/memory-queues';
import { Retention, RETENTION_QUEUE, retentionQueueSpec } from '../../../src/retention/retention';

export const TOKEN = 'test-admin-token-0123456789abcdef';
export const auth = { Authorization: `Bearer ${TOKEN}` };
export const silent = createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }) });

/** Settings as the validator stores them (with every default the schema applies). */
function valid(input: Partial<NumberSettings>): NumberSettings {
  const r = validateNumberSettings(input);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}

export const ES_LINE: NumberSettings = valid({
  number: '+15550001111',
  destination: '+15550002222',
  callerLanguage: 'es',
  agentLanguage: 'en',
  echoTargetLanguage: false,
  originalVolume: 0.16,
  greeting: 'Un momento, por favor.',
});

export const DE_LINE: NumberSettings = valid({
  number: '+15550003333',
  destination: 'sip:agent@pbx.example.com',
  callerLanguage: 'de',
  agentLanguage: 'en',
  echoTargetLanguage: true,
  originalVolume: 0,
});

/** call-1 while its parties talk: a Spanish-speaking caller and an English-speaking agent, answered 7.5 s in. */
export const CALL_1: NewCallRecord = {
  id: 'call-1',
  number: '+15550001111',
  from: '+34600000000',
  destination: '+15550002222',
  legs: [
    { role: 'caller', callSid: 'CA1', streamSid: 'MZ1', language: 'es' },
    { role: 'agent', callSid: 'CA2', streamSid: 'MZ2', language: 'en' },
  ],
  languages: { caller: 'es', agent: 'en' },
  state: 'bridged',
  startedAt: new Date('2025-01-01T10:00:00.000Z'),
  answeredAt: new Date('2025-01-01T10:00:07.500Z'),
};

/** call-1 ending, completed, a minute after it started. */
export const CALL_1_END: CallRecordPatch = { state: 'ended', outcome: 'completed', endedAt: new Date('2025-01-01T10:01:00.000Z') };

/** The first line of call-1's transcript: the caller's, translated for the agent. */
export const CALL_1_LINE: Utterance = {
  direction: 'caller->agent',
  source: { text: 'Hola, tengo un problema con mi pedido.', languageCode: 'es' },
  translation: { text: 'Hello, I have a problem with my order.', languageCode: 'en' },
  startMs: 8200,
  endMs: 10900,
};

/** Three calls a minute apart (call-1 oldest, ended), the newest still ringing. */
export async function seedCalls(calls: CallRecordStore): Promise<void> {
  await calls.create({ ...CALL_1, ...CALL_1_END });
  await calls.appendUtterance('call-1', CALL_1_LINE);
  await calls.create({
    id: 'call-2',
    number: '+15550003333',
    from: '+4930000000',
    destination: 'sip:agent@pbx.example.com',
    languages: { caller: 'de', agent: 'en' },
    state: 'ended',
    outcome: 'busy',
    startedAt: new Date('2025-01-01T10:01:00.000Z'),
    endedAt: new Date('2025-01-01T10:01:20.000Z'),
  });
  await calls.create({
    id: 'call-3',
    number: '+15550001111',
    from: '+34600000001',
    destination: '+15550002222',
    languages: { caller: 'es', agent: 'en' },
    state: 'ringing',
    startedAt: new Date('2025-01-01T10:02:00.000Z'),
  });
}

/** The call SIDs of the parties of `seedConference`'s conference. */
export const CONFERENCE_PARTIES = { caller: 'CA' + '1'.repeat(32), agent: 'CA' + '2'.repeat(32), guest: 'CA' + '3'.repeat(32) };

/**
 * A conference call ('conf-1') with three parties: a Spanish-speaking caller, an English-speaking
 * agent and a second English speaker. Its lines are per route (`to:en`, `to:es`): one the caller
 * said, one the guest said, and one tolk could not put down to anyone (agent or guest).
 */
export async function seedConference(calls: CallRecordStore): Promise<void> {
  const { caller, agent, guest } = CONFERENCE_PARTIES;
  await calls.create({
    id: 'conf-1',
    kind: 'conference',
    conference: 'tolk-conf-1',
    number: '+15550001111',
    from: '+34600000000',
    destination: '+15550002222',
    legs: [
      { role: 'caller', callSid: caller, language: 'es' },
      { role: 'agent', callSid: agent, language: 'en' },
      { role: 'participant', callSid: guest, language: 'en' },
    ],
    languages: { caller: 'es', agent: 'en' },
    state: 'ended',
    outcome: 'completed',
    startedAt: new Date('2025-01-01T11:00:00.000Z'),
    answeredAt: new Date('2025-01-01T11:00:05.000Z'),
    endedAt: new Date('2025-01-01T11:02:00.000Z'),
  });
  const line = (direction: string, from: [string, string], to: [string, string], startMs: number) => ({
    direction,
    source: { text: from[1], languageCode: from[0] },
    translation: { text: to[1], languageCode: to[0] },
    startMs,
    endMs: startMs + 2000,
  });
  await calls.appendUtterance('conf-1', { ...line('to:en', ['es', 'Hola, ¿me oyen?'], ['en', 'Hello, can you hear me?'], 6000), speaker: { role: 'caller', callSid: caller } });
  await calls.appendUtterance('conf-1', { ...line('to:es', ['en', 'I am the supervisor.'], ['es', 'Soy la supervisora.'], 9000), speaker: { role: 'participant', callSid: guest } });
  await calls.appendUtterance('conf-1', line('to:es', ['en', 'Yes, we hear you.'], ['es', 'Sí, la oímos.'], 12000));
}

export interface AdminSetup {
  http: HttpServer;
  numbers: NumberStore;
  calls: CallRecordStore;
  /** Erases over `calls`; its `processor()` runs the sweeps queued to `retentionJobs`. */
  retention: Retention;
}

/** An HTTP server with only the admin API; `token: null` leaves ADMIN_TOKEN unset. */
/**
 * `retentionDays`: TOLK_RETENTION_DAYS (the sweep's period; unset: none); `now`: the retention's clock;
 * `retentionJobs`: the queues sweeps are queued to (and the API's, without `jobs`).
 */
export async function adminSetup(opts: { token?: string | null; numbers?: NumberStore; calls?: CallRecordStore; hangUp?: (id: string) => Promise<boolean>; jobs?: JobQueues; retentionJobs?: JobQueues; deliveries?: DeliveryService; conferencesConfigured?: boolean; retentionDays?: number; now?: () => number } = {}): Promise<AdminSetup> {
  const numbers = opts.numbers ?? new InMemoryNumberStore([ES_LINE, DE_LINE]);
  const calls = opts.calls ?? new InMemoryCallRecordStore();
  if (!opts.calls) await seedCalls(calls);
  const adminToken = opts.token === null ? undefined : (opts.token ?? TOKEN);
  // Erasing over the in-memory records; these tests keep no webhook deliveries or caller languages.
  // Sweeps are queued to `retentionJobs`; without it or `jobs`, to a retention queue in this process that runs them.
  const ownQueue = opts.jobs || opts.retentionJobs ? undefined : new MemoryJobQueues({ specs: [retentionQueueSpec], logger: silent });
  const retentionJobs = opts.retentionJobs ?? ownQueue;
  const retention = new Retention({
    calls,
    deliveries: { eraseForCalls: () => Promise.resolve([]), eraseOrphans: () => Promise.resolve([]), countForCalls: () => Promise.resolve(0) },
    jobs: retentionJobs ?? { queueNames: [], add: () => Promise.resolve(), list: () => Promise.resolve([]), remove: () => Promise.resolve(false) },
    logger: silent,
    days: opts.retentionDays,
    ...(opts.now ? { now: opts.now } : {}),
  });
  ownQueue?.work(RETENTION_QUEUE, retention.processor());
  const http = createHttpServer({ logger: silent, readiness: new Readiness(), modules: [createAdminApi({ calls, numbers, adminToken, retention, jobs: opts.jobs ?? retentionJobs, deliveries: opts.deliveries, ...(opts.hangUp ? { hangUp: opts.hangUp } : {}), ...(opts.conferencesConfigured !== undefined ? { conferencesConfigured: opts.conferencesConfigured } : {}) })] });
  return { http, numbers, calls, retention };
}
