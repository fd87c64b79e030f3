/**
 * Every instance's call events, for what follows all calls wherever they are served (the console's
 * Live page): this instance's events are published on a Redis channel as they happen, and a
 * subscriber gets its own instance's events straight from its bus and the others' from the channel.
 * Events are plain JSON (times in ms), so they cross unchanged. A message that is too long or not
 * an event is dropped; events published while Redis is away are not replayed (a viewer that
 * reconnects gets a snapshot).
 */
import type { Redis } from 'ioredis';
import type { CallEvent, CallEventListener, CallEventSource } from '../call/events';
import type { Logger } from '../log/logger';

/** Longest message taken from the channel (an utterance's text is far shorter). */
const MAX_MESSAGE_BYTES = 64 * 1024;

export interface EventCarrierDeps {
  self: string;
  /** The events of this instance. */
  local: CallEventSource;
  /** Publishes (the cluster's command connection). */
  publisher: Pick<Redis, 'publish'>;
  /** A connection of its own, for the subscription. */
  subscriber: Redis;
  channel: string;
  logger: Logger;
}

interface Envelope {
  from: string;
  event: CallEvent;
}

export class RedisEventCarrier implements CallEventSource {
  private listeners: { listener: CallEventListener; callId: string | undefined }[] = [];
  private readonly stopLocal: () => void;
  private readonly log: Logger;

  constructor(private readonly deps: EventCarrierDeps) {
    this.log = deps.logger.child({ component: 'event-carrier' });
    this.stopLocal = deps.local.subscribe((event) => this.announce(event));
    deps.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== deps.channel) return;
      const envelope = parse(message);
      if (!envelope) {
        this.log.warn({ event: 'cluster.event_dropped', bytes: message.length }, 'a message on the events channel is not a call event: dropped');
        return;
      }
      if (envelope.from !== deps.self) this.deliver(envelope.event);
    });
  }

  /** Subscribes to the channel; resolves once Redis has confirmed it. */
  async start(): Promise<void> {
    await this.deps.subscriber.subscribe(this.deps.channel);
  }

  async stop(): Promise<void> {
    this.stopLocal();
    await this.deps.subscriber.unsubscribe(this.deps.channel).catch(() => undefined);
  }

  /** An event of this instance: to its own subscribers, and to every other instance's. */
  announce(event: CallEvent): void {
    this.deliver(event);
    const message = JSON.stringify({ from: this.deps.self, event } satisfies Envelope);
    this.deps.publisher.publish(this.deps.channel, message).catch((err: unknown) => this.log.debug({ event: 'cluster.event_publish_failed', err }, 'a call event did not reach the other instances'));
  }

  subscribe(listener: CallEventListener, filter: { callId?: string } = {}): () => void {
    const sub = { listener, callId: filter.callId };
    this.listeners = [...this.listeners, sub];
    return () => {
      this.listeners = this.listeners.filter((s) => s !== sub);
    };
  }

  private deliver(event: CallEvent): void {
    for (const s of this.listeners) {
      if (s.callId !== undefined && s.callId !== event.callId) continue;
      const failed = (err: unknown): void => this.log.error({ event: 'call.event_subscriber_failed', callId: event.callId, callEvent: event.type, err }, 'a call event subscriber failed');
      try {
        s.listener(event)?.catch(failed);
      } catch (err) {
        failed(err);
      }
    }
  }
}

function parse(message: string): Envelope | undefined {
  if (message.length > MAX_MESSAGE_BYTES) return undefined;
  try {
    const e = JSON.parse(message) as Partial<Envelope> | null;
    const ev = e?.event as Partial<CallEvent> | undefined;
    if (typeof e?.from !== 'string' || !ev || typeof ev.callId !== 'string' || typeof ev.type !== 'string' || typeof ev.at !== 'number') return undefined;
    return e as Envelope;
  } catch {
    return undefined;
  }
}
