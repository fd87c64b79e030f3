// Sends a conference's statusCallback requests (signed, like every webhook), one after another per
// conference so the application sees them in the order they happened, and logs each.
import type { EventLog } from '../events';
import { sendLogged } from '../twiml-fetch';
import type { WebhookSender } from '../webhooks';
import type { Conference, ConferenceEvent } from './conference';
import { conferenceCallbackParams, wantsConferenceEvent } from './status-callback';

export class ConferenceCallbackSender {
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly accountSid: string,
    private readonly webhooks: WebhookSender,
    private readonly log: EventLog,
    private readonly now: () => Date,
  ) {}

  onEvent(conf: Conference, e: ConferenceEvent): void {
    const config = conf.statusCallback;
    if (!config || !wantsConferenceEvent(config, e)) return;
    const params = conferenceCallbackParams(this.accountSid, conf, e, conf.nextCallbackSequence(), this.now());
    const io = { webhooks: this.webhooks, log: this.log };
    const send = (): Promise<unknown> =>
      sendLogged(io, { kind: 'conference-status', callSid: params.CallSid, url: config.url, method: config.method, params }).catch(() => undefined);
    const next = (this.chains.get(conf.sid) ?? Promise.resolve()).then(send);
    this.chains.set(conf.sid, next);
    this.pending.add(next);
    void next.finally(() => {
      this.pending.delete(next);
      if (this.chains.get(conf.sid) === next && conf.isOver) this.chains.delete(conf.sid);
    });
  }

  /** Waits for the requests under way. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}
