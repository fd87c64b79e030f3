// Minimal <Dial><Conference>: participants of a named conference hear the sum of the other
// participants' microphones. Each speaker->listener pair has a short queue (at most 5 frames), so
// the mix does not depend on the order in which calls are ticked. Pure.
import { mixInto, silentFrame } from './audio';
import type { AudioActivity } from './call-media';

const MAX_QUEUED_FRAMES = 5;

interface Member {
  callSid: string;
  muted: boolean;
  endConferenceOnExit: boolean;
  /** Frames from each other participant, waiting to be heard. */
  queues: Map<string, Int16Array[]>;
  onEnd: () => void;
}

export interface ConferenceMembership extends AudioActivity {
  /** Resolves when the conference ends for this participant. */
  ended: Promise<void>;
  leave(): void;
}

export class ConferenceHub {
  private readonly rooms = new Map<string, Map<string, Member>>();

  constructor(private readonly onEvent: (name: string, callSid: string, action: 'join' | 'leave' | 'end') => void) {}

  participants(name: string): string[] {
    return [...(this.rooms.get(name)?.keys() ?? [])];
  }

  join(name: string, callSid: string, opts: { muted: boolean; endConferenceOnExit: boolean }): ConferenceMembership {
    let room = this.rooms.get(name);
    if (!room) this.rooms.set(name, (room = new Map<string, Member>()));
    let resolveEnded!: () => void;
    const ended = new Promise<void>((r) => (resolveEnded = r));
    const me: Member = { callSid, ...opts, queues: new Map(), onEnd: resolveEnded };
    room.set(callSid, me);
    this.onEvent(name, callSid, 'join');
    const theRoom = room;
    return {
      ended,
      mic: (frame) => {
        if (me.muted) return;
        for (const other of theRoom.values()) {
          if (other === me) continue;
          const q = other.queues.get(callSid) ?? [];
          q.push(frame);
          if (q.length > MAX_QUEUED_FRAMES) q.shift();
          other.queues.set(callSid, q);
        }
      },
      hear: () => {
        const out = silentFrame();
        for (const q of me.queues.values()) {
          const f = q.shift();
          if (f) mixInto(out, f);
        }
        return out;
      },
      leave: () => this.leave(name, me),
    };
  }

  private leave(name: string, me: Member): void {
    const room = this.rooms.get(name);
    if (!room || room.get(me.callSid) !== me) return;
    room.delete(me.callSid);
    for (const other of room.values()) other.queues.delete(me.callSid);
    this.onEvent(name, me.callSid, 'leave');
    me.onEnd();
    if (me.endConferenceOnExit || room.size === 0) {
      for (const other of [...room.values()]) {
        room.delete(other.callSid);
        this.onEvent(name, other.callSid, 'leave');
        other.onEnd();
      }
      this.rooms.delete(name);
      this.onEvent(name, me.callSid, 'end');
    }
  }
}
