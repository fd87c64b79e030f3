/**
 * Several tolk instances behind one public URL (TOLK_CLUSTER=on), assembled for the composition
 * root: the directory of instances and live calls in Redis, stream token claims in Redis, Twilio
 * webhooks and admin requests passed on to the instance serving their call, media streams for
 * another instance relayed to it, the cluster's metrics, the survivors closing the calls of an
 * instance that died, and a stopping instance moving its live calls to the others (adoption.ts).
 * README: "Running several instances".
 */
import type { Request, Response } from 'express';
import type { Metrics } from '../http/metrics';
import type { HttpModule } from '../http/server';
import type { Logger } from '../log/logger';
import { createTwilioRouting } from '../twilio/cluster-routing';
import type { TwilioCounters } from '../twilio/counters';
import { createClusterMetricsModule } from './cluster-metrics';
import { RedisCallDirectory, type Member, type OwnerKey } from './directory';
import { forwardRequest, sendForwarded, wasForwarded } from './forward';
import { LostInstances } from './lost-instances';
import type { ClusterRedis } from './redis';
import { RedisEventCarrier } from './event-carrier';
import { createStreamRelay, type StreamRelays } from './stream-relay';
import { clusterKey, createAdoptionModule, requestAdoption, sendSpeech } from './adoption';
import { moveLiveCalls, type MovingCalls } from './move-calls';
import type { AdoptRequest, AdoptResult, SpeechHandOver, SpeechTaking } from '../call/ports';
import type { CallEventSource } from '../call/events';

export interface ClusterOptions {
  redis: ClusterRedis;
  /** This instance's name (TOLK_INSTANCE_ID). */
  self: string;
  publicUrl: string;
  authToken: string;
  /** MEDIA_STREAM_SECRET, shared by every instance: the key of their adoption requests derives from it. */
  secret: string;
  /** ADMIN_TOKEN: admin requests passed on carry it (a console session is this instance's own). */
  adminToken: string | undefined;
  metrics: Metrics;
  counters: TwilioCounters;
  logger: Logger;
  heartbeatMs?: number;
  lostCheckMs?: number;
}

export interface Cluster {
  readonly self: Member;
  readonly directory: RedisCallDirectory;
  /** Mounted before the others: webhooks go to their call's instance. */
  readonly front: HttpModule[];
  readonly metricsModule: HttpModule;
  /** The media streams of other instances' calls relayed through this one. */
  readonly relays: Pick<StreamRelays, 'relay' | 'open' | 'settled' | 'closeAll'>;
  readonly passOn: (subject: { call: string } | { conference: string }, req: Request, res: Response) => Promise<boolean>;
  /**
   * Joins the cluster, reachable by the others at `url` (TOLK_INTERNAL_URL); from then on the
   * survivors' work (closeLost) runs here too.
   */
  start(url: string, closeLost: (instance: string) => Promise<number>): Promise<void>;
  /** The call events of every instance, this one's (`local`) included: what live viewers follow. */
  carry(local: CallEventSource): RedisEventCarrier;
  /** `POST /cluster/adopt`: another instance, shutting down, hands a call to `adopt` (and `POST /cluster/speech` its speech in progress to `takeSpeech`). */
  adoptionModule(adopt: (req: AdoptRequest) => Promise<AdoptResult>, takeSpeech: (handOver: SpeechHandOver) => SpeechTaking): HttpModule;
  /** This instance is shutting down: its live calls move to the ready instances (those that cannot, stay). */
  moveCalls(calls: MovingCalls): Promise<void>;
  /** Leaves the cluster (after this instance's calls have ended); the Redis connection stays the caller's. */
  stop(): Promise<void>;
}

export function createCluster(opts: ClusterOptions): Cluster {
  const log = opts.logger.child({ component: 'cluster', instance: opts.self });
  const redis = opts.redis;
  // Its URL is known once the server listens (start).
  const self: Member = { id: opts.self, url: '' };
  const directory = new RedisCallDirectory(redis, { self, logger: opts.logger, ...(opts.heartbeatMs ? { heartbeatMs: opts.heartbeatMs } : {}) });
  let lost: LostInstances | undefined;
  let carrier: RedisEventCarrier | undefined;
  const key = clusterKey(opts.secret);

  /** Forwards and answers; false (nothing answered) when the owner cannot be reached in time. */
  const forward = async (owner: Member, req: Request, body: string | undefined, res: Response, headers?: Record<string, string>): Promise<boolean> => {
    try {
      sendForwarded(res, await forwardRequest(owner, req, body, { self: self.id, ...(headers ? { headers } : {}) }));
      return true;
    } catch (err) {
      log.warn({ event: 'cluster.forward_failed', path: req.path, owner: owner.id, err }, 'could not pass a request on to the instance serving it');
      return false;
    }
  };

  const relays = createStreamRelay({
    self: self.id,
    member: (id) => directory.member(id),
    logger: opts.logger,
    onRelayed: () => opts.counters.inc('ws_relayed'),
    onFailed: () => opts.counters.inc('ws_relay_failed'),
  });

  return {
    self,
    directory,
    front: [
      createTwilioRouting({
        publicUrl: opts.publicUrl,
        authToken: opts.authToken,
        owner: (subject) => directory.owner(subject),
        forward: (owner, req, body, res) => forward(owner, req, body, res),
        forwarded: wasForwarded,
        counters: opts.counters,
        logger: opts.logger,
      }),
    ],
    metricsModule: createClusterMetricsModule({
      self: self.id,
      metrics: opts.metrics,
      members: async () => (await directory.members()).filter((m) => m.up),
      logger: opts.logger,
    }),
    relays,
    async passOn(subject, req, res) {
      if (wasForwarded(req)) return false;
      const key: OwnerKey = 'call' in subject ? { call: subject.call } : { conference: subject.conference };
      const owner = await directory.owner(key).catch(() => undefined);
      if (!owner) return false;
      const body = req.body === undefined || req.method === 'GET' || req.method === 'DELETE' ? undefined : JSON.stringify(req.body);
      const headers: Record<string, string> = opts.adminToken ? { authorization: `Bearer ${opts.adminToken}` } : {};
      if (body !== undefined) headers['content-type'] = 'application/json';
      log.info({ event: 'cluster.admin_forwarded', path: req.path, owner: owner.id }, 'admin request passed on to the instance serving it');
      return forward(owner, req, body, res, headers);
    },
    adoptionModule(adopt, takeSpeech) {
      return createAdoptionModule({ key, adopt, takeSpeech, logger: opts.logger });
    },
    moveCalls(calls) {
      return moveLiveCalls({
        calls,
        markDraining: () => directory.markDraining(),
        readyPeers: () => directory.readyPeers(),
        send: async (to, req) => {
          const member = await directory.member(to);
          if (!member) return { ok: false, reason: `instance ${to} is not up`, kept: true };
          return requestAdoption(member, req, { key, owner: async () => (await directory.owner({ call: req.callId }))?.id });
        },
        handOver: async (to, handOver) => {
          const member = await directory.member(to);
          return member ? sendSpeech(member, handOver, { key }) : false;
        },
        logger: opts.logger,
      });
    },
    carry(local) {
      carrier ??= new RedisEventCarrier({ self: self.id, local, publisher: redis.client, subscriber: redis.duplicate(), channel: `${redis.keyPrefix}events`, logger: opts.logger });
      return carrier;
    },
    async start(url, closeLost) {
      self.url = url;
      await carrier?.start();
      await directory.start();
      lost = new LostInstances({ directory, redis, closeLost, logger: opts.logger, ...(opts.lostCheckMs ? { checkMs: opts.lostCheckMs } : {}) });
      lost.start();
      log.info({ event: 'cluster.joined', url }, 'joined the cluster');
    },
    async stop() {
      await lost?.stop();
      await carrier?.stop();
      await directory.stop();
    },
  };
}
