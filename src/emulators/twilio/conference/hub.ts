// The account's conferences. A conference is created by its first participant and found by SID
// (whatever its status) or, while it is live, by friendly name: once it has ended, the same name
// starts a new conference with a new SID, as on Twilio. Completed conferences are kept for the
// REST API (the most recent ones, bounded).
import { Conference, type ConferenceEvent } from './conference';

export interface ConferenceHubDeps {
  newSid(): string;
  now(): Date;
  onEvent(conference: Conference, e: ConferenceEvent): void;
  /** Completed conferences kept for fetch and list (default 1000). */
  keepCompleted?: number;
  /** How a coach hears the participant it coaches relative to the rest (default 1, the plain mix). */
  coachedGain?: number;
}

export class ConferenceHub {
  private readonly liveByName = new Map<string, Conference>();
  private readonly bySid = new Map<string, Conference>();

  constructor(private readonly deps: ConferenceHubDeps) {}

  /** The live conference of this name, or a new one. */
  open(name: string): Conference {
    const live = this.liveByName.get(name);
    if (live) return live;
    const conf: Conference = new Conference(this.deps.newSid(), name, this.deps.now(), (e) => this.onEvent(conf, e), this.deps.coachedGain);
    this.liveByName.set(name, conf);
    this.bySid.set(conf.sid, conf);
    return conf;
  }

  /** By SID (any status) or by the friendly name of a live conference. */
  find(sidOrName: string): Conference | undefined {
    return this.bySid.get(sidOrName) ?? this.liveByName.get(sidOrName);
  }

  list(): Conference[] {
    return [...this.bySid.values()];
  }

  private onEvent(conf: Conference, e: ConferenceEvent): void {
    if (e.type === 'conference-end') {
      if (this.liveByName.get(conf.friendlyName) === conf) this.liveByName.delete(conf.friendlyName);
      this.prune();
    }
    this.deps.onEvent(conf, e);
  }

  private prune(): void {
    const keep = this.deps.keepCompleted ?? 1000;
    const completed = [...this.bySid.values()].filter((c) => c.isOver);
    for (const c of completed.slice(0, Math.max(0, completed.length - keep))) this.bySid.delete(c.sid);
  }
}
