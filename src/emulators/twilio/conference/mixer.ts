// Who hears whom in a conference, and what each listener hears. Once the conference has started,
// every participant hears the sum of the others, never itself; a muted or held participant is
// heard by nobody; a coaching participant is heard only by the participant it coaches. Before the
// start everyone hears their wait music, on hold their hold music; beeps play on top. Each
// speaker->listener pair has a short queue (at most 5 frames), so the mix does not depend on the
// order in which calls tick. Pure.
import { mixInto, silentFrame } from '../audio';
import type { FrameSource } from './sounds';

const MAX_QUEUED_FRAMES = 5;

/** The parts of a participant that decide who hears it. */
export interface MixRole {
  readonly callSid: string;
  muted: boolean;
  hold: boolean;
  coaching: boolean;
  callSidToCoach?: string;
}

/** Whether `listener` hears `speaker` in a started conference. */
export function hears(listener: MixRole, speaker: MixRole): boolean {
  if (listener.callSid === speaker.callSid) return false;
  if (speaker.muted || speaker.hold || listener.hold) return false;
  return !speaker.coaching || speaker.callSidToCoach === listener.callSid;
}

export interface ListenerSounds {
  /** Before the conference starts. */
  wait: FrameSource;
  /** While on hold. */
  hold: FrameSource;
}

interface Slot {
  role: MixRole;
  sounds: ListenerSounds;
  /** Frames from each speaker, waiting to be heard. */
  inbox: Map<string, Int16Array[]>;
  /** Frames played to this listener on top of the mix (beeps, announcements). */
  overlay: OverlayFrame[];
}

interface OverlayFrame {
  frame: Int16Array;
  /** Called as this frame is heard: set on the last frame of an overlay that wants to know. */
  played?: () => void;
}

export class ConferenceMixer {
  private started = false;
  private readonly slots = new Map<string, Slot>();

  /** `coachedGain`: how a coach hears the participant it coaches, relative to the others (1 = the plain mix). */
  constructor(private readonly coachedGain = 1) {}

  get isStarted(): boolean {
    return this.started;
  }

  start(): void {
    this.started = true;
  }

  add(role: MixRole, sounds: ListenerSounds): void {
    this.slots.set(role.callSid, { role, sounds, inbox: new Map(), overlay: [] });
  }

  remove(callSid: string): void {
    this.slots.delete(callSid);
    for (const s of this.slots.values()) s.inbox.delete(callSid);
  }

  setSounds(callSid: string, sounds: Partial<ListenerSounds>): void {
    const s = this.slots.get(callSid);
    if (s) s.sounds = { ...s.sounds, ...sounds };
  }

  /** Drops audio queued from and to a participant whose role changed (mute, hold, coaching). */
  roleChanged(callSid: string): void {
    const me = this.slots.get(callSid);
    if (!me) return;
    me.inbox.clear();
    for (const s of this.slots.values()) if (!hears(s.role, me.role)) s.inbox.delete(callSid);
  }

  /** A participant's microphone frame for this tick. */
  speak(callSid: string, frame: Int16Array): void {
    const me = this.slots.get(callSid);
    if (!this.started || !me || me.role.muted || me.role.hold) return;
    for (const other of this.slots.values()) {
      if (!hears(other.role, me.role)) continue;
      let q = other.inbox.get(callSid);
      if (!q) other.inbox.set(callSid, (q = []));
      q.push(frame);
      if (q.length > MAX_QUEUED_FRAMES) q.shift();
    }
  }

  /** What a participant hears for this tick. */
  listen(callSid: string): Int16Array {
    const me = this.slots.get(callSid);
    if (!me) return silentFrame();
    let out: Int16Array;
    if (!this.started) out = me.sounds.wait();
    else if (me.role.hold) out = me.sounds.hold();
    else {
      out = silentFrame();
      const coached = me.role.coaching ? me.role.callSidToCoach : undefined;
      for (const [speaker, q] of me.inbox) {
        const f = q.shift();
        if (f) mixInto(out, f, speaker === coached ? this.coachedGain : 1);
      }
    }
    const extra = me.overlay.shift();
    if (extra) {
      mixInto(out, extra.frame);
      extra.played?.();
    }
    return out;
  }

  /**
   * Plays frames to the given participants on top of what they hear, after anything already queued;
   * `played` is called as a listener hears the last of them (never for one that left first).
   */
  overlay(callSids: Iterable<string>, frames: Int16Array[], played?: () => void): void {
    for (const sid of callSids) {
      const slot = this.slots.get(sid);
      if (!slot) continue;
      for (const frame of frames) slot.overlay.push({ frame });
      const last = slot.overlay[slot.overlay.length - 1];
      if (played && frames.length > 0) last.played = played;
      else if (played) played();
    }
  }
}
