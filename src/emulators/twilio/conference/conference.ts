// One conference as Twilio runs it: its participants (pending while their call rings, then
// connected), when it starts (two participants, at least one with startConferenceOnEnter) and
// ends (the last participant leaves, one with endConferenceOnExit leaves, or the REST API ends
// it), mute, hold, coaching, beeps, and the events its statusCallback reports. Pure: time comes in
// as `now`, events go out through `emit`, audio goes through the mixer.
import { silentFrame } from '../audio';
import { ConferenceMixer, type MixRole } from './mixer';
import { beepFrames, musicFor } from './sounds';
import { SpeechActivity } from './speech-activity';

export type ConferenceStatus = 'init' | 'in-progress' | 'completed';
export type ParticipantStatus = 'queued' | 'connecting' | 'ringing' | 'connected' | 'complete' | 'failed';
export type BeepMode = 'true' | 'false' | 'onEnter' | 'onExit';
export const BEEP_MODES: readonly BeepMode[] = ['true', 'false', 'onEnter', 'onExit'];

/** `reason_conference_ended` values (twilio-node `ConferenceReasonConferenceEnded`). */
export type ConferenceEndReason =
  | 'conference-ended-via-api'
  | 'participant-with-end-conference-on-exit-left'
  | 'participant-with-end-conference-on-exit-kicked'
  | 'last-participant-kicked'
  | 'last-participant-left';

/** Why a participant left (the `ReasonParticipantLeft` of participant-leave). */
export type LeaveReason =
  | 'participant_hung_up'
  | 'participant_updated_via_api'
  | 'participant_with_end_conference_on_exit_left'
  | 'conference_ended_via_api'
  | 'participant_call_failed';

export interface ParticipantSettings {
  label?: string;
  muted: boolean;
  hold: boolean;
  beep: BeepMode;
  /** Set by a REST update; overrides `beep` for the exit beep. */
  beepOnExit?: boolean;
  startConferenceOnEnter: boolean;
  endConferenceOnExit: boolean;
  coaching: boolean;
  callSidToCoach?: string;
  /** Absent: Twilio's hold music; "": silence. */
  waitUrl?: string;
  holdUrl?: string;
}

export interface Participant extends ParticipantSettings, MixRole {
  readonly callSid: string;
  status: ParticipantStatus;
  dateCreated: Date;
  dateUpdated: Date;
}

export const DEFAULT_PARTICIPANT: ParticipantSettings = {
  muted: false,
  hold: false,
  beep: 'true',
  startConferenceOnEnter: true,
  endConferenceOnExit: false,
  coaching: false,
};

export type ParticipantEventType =
  | 'participant-join'
  | 'participant-mute'
  | 'participant-unmute'
  | 'participant-hold'
  | 'participant-unhold'
  | 'participant-modify'
  | 'participant-speech-start'
  | 'participant-speech-stop';

/** What the conference reports; `participant` is a snapshot taken when the event happened. */
export type ConferenceEvent =
  | { type: 'conference-start'; callSid: string }
  /** An announcement to one participant (its AnnounceUrl) finished playing, or could not be played. */
  | { type: 'announcement-end' | 'announcement-fail'; participant: Participant }
  | { type: 'conference-end'; reason: ConferenceEndReason; callSid?: string; label?: string }
  | { type: ParticipantEventType; participant: Participant }
  | { type: 'participant-leave'; participant: Participant; reason: LeaveReason; callStatus: string };

/** Error 16000's text (twilio.com/docs/api/errors/16000). */
export const WHISPER_UNAVAILABLE =
  'Whisper is only available on Agent Conference, to create an Agent Conference configure your account to use Agent Conference in the conference settings page';

/** A refusal the REST API reports as a Twilio error. */
export class ConferenceError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export interface StatusCallbackConfig {
  url: string;
  method: string;
  /** statusCallbackEvent words: start end join leave mute hold modify speaker announcement. */
  events: ReadonlySet<string>;
}

/** How a connected participant's call exchanges audio with the conference. */
export interface ConferenceMembership {
  speak(frame: Int16Array): void;
  listen(): Int16Array;
  /** Resolves when the participant is no longer in the conference (left, removed, or it ended). */
  readonly ended: Promise<LeaveReason>;
}

export interface ParticipantChanges {
  muted?: boolean;
  hold?: boolean;
  holdUrl?: string;
  waitUrl?: string;
  beepOnExit?: boolean;
  endConferenceOnExit?: boolean;
  coaching?: boolean;
  callSidToCoach?: string;
}

export class Conference {
  status: ConferenceStatus = 'init';
  dateUpdated: Date;
  reasonEnded?: ConferenceEndReason;
  callSidEnding?: string;
  /** Set by the first participant that names one; later ones are ignored, as on Twilio. */
  statusCallback?: StatusCallbackConfig;
  private readonly members = new Map<string, Participant>();
  private readonly removed = new Map<string, { promise: Promise<LeaveReason>; resolve: (reason: LeaveReason) => void }>();
  private readonly mixer: ConferenceMixer;
  /** Each connected participant's speech, followed while the status callback subscribes to `speaker`. */
  private readonly voices = new Map<string, SpeechActivity>();
  private callbackSequence = 0;

  constructor(
    readonly sid: string,
    readonly friendlyName: string,
    readonly dateCreated: Date,
    private readonly emit: (e: ConferenceEvent) => void,
    /** How a coach hears the participant it coaches relative to the rest (1 = the plain mix). */
    coachedGain = 1,
  ) {
    this.dateUpdated = dateCreated;
    this.mixer = new ConferenceMixer(coachedGain);
  }

  get isOver(): boolean {
    return this.status === 'completed';
  }

  /** Live participants (pending and connected), in the order they were added. */
  participants(): Participant[] {
    return [...this.members.values()];
  }

  /** A live participant by call SID or label. */
  participant(callSidOrLabel: string): Participant | undefined {
    return this.members.get(callSidOrLabel) ?? [...this.members.values()].find((p) => p.label !== undefined && p.label === callSidOrLabel);
  }

  /** Resolves when the participant leaves, is removed, or the conference ends (at once if it is not here). */
  whenRemoved(callSid: string): Promise<LeaveReason> {
    return this.removed.get(callSid)?.promise ?? Promise.resolve('participant_hung_up');
  }

  nextCallbackSequence(): number {
    return this.callbackSequence++;
  }

  useStatusCallback(config: StatusCallbackConfig | undefined): void {
    if (config && !this.statusCallback) this.statusCallback = config;
  }

  /** Why coaching `callSidToCoach` cannot be set up for participant `self`, if it cannot. */
  coachingProblem(coaching: boolean, callSidToCoach: string | undefined, self?: string): ConferenceError | undefined {
    if (!coaching) return undefined;
    if (!callSidToCoach) return new ConferenceError(400, 20001, 'CallSidToCoach is required when Coaching is true');
    if (callSidToCoach === self) return new ConferenceError(400, 20001, 'A participant cannot coach itself');
    const target = this.members.get(callSidToCoach);
    if (!target || target.status !== 'connected')
      return new ConferenceError(400, 16028, 'The participant to be whispered is not present in the conference, so the coach to the participant cannot be added to the conference.');
    if (target.hold) return new ConferenceError(400, 16027, 'The participant to be whispered is on hold, so the coach to the participant cannot be added to the conference.');
    return undefined;
  }

  /** Adds a participant whose call is still being placed (REST) or already answered (TwiML). */
  add(callSid: string, settings: ParticipantSettings, now: Date, status: ParticipantStatus = 'queued'): Participant {
    if (this.isOver) throw new ConferenceError(404, 20404, `Conference ${this.sid} is completed`);
    if (this.members.has(callSid)) throw new ConferenceError(400, 20001, `Call ${callSid} is already a participant of ${this.sid}`);
    if (settings.label !== undefined && this.participant(settings.label))
      throw new ConferenceError(400, 20001, `Label ${settings.label} is already used in conference ${this.sid}`);
    const problem = this.coachingProblem(settings.coaching, settings.callSidToCoach, callSid);
    if (problem) throw problem;
    const p: Participant = { ...settings, callSid, status, dateCreated: now, dateUpdated: now };
    this.members.set(callSid, p);
    let resolve!: (reason: LeaveReason) => void;
    const promise = new Promise<LeaveReason>((r) => (resolve = r));
    this.removed.set(callSid, { promise, resolve });
    this.touch(now);
    return p;
  }

  setStatus(callSid: string, status: 'connecting' | 'ringing', now: Date): void {
    const p = this.members.get(callSid);
    if (!p || p.status === 'connected') return;
    p.status = status;
    p.dateUpdated = now;
  }

  /** The participant's call is answered and in the conference: it hears and is heard from now on. */
  connect(callSid: string, now: Date): ConferenceMembership {
    const p = this.members.get(callSid);
    if (!p || this.isOver) return { speak: () => undefined, listen: silentFrame, ended: Promise.resolve('participant_hung_up') };
    p.status = 'connected';
    p.dateUpdated = now;
    this.touch(now);
    const others = this.connectedSids().filter((s) => s !== callSid);
    this.mixer.add(p, { wait: musicFor(p.waitUrl), hold: musicFor(p.holdUrl) });
    this.voices.set(callSid, new SpeechActivity());
    this.emit({ type: 'participant-join', participant: { ...p } });
    if (p.beep === 'true' || p.beep === 'onEnter') this.mixer.overlay(others, beepFrames());
    const connected = this.participants().filter((m) => m.status === 'connected');
    if (this.status === 'init' && connected.length >= 2 && connected.some((m) => m.startConferenceOnEnter)) {
      this.status = 'in-progress';
      this.mixer.start();
      this.emit({ type: 'conference-start', callSid });
    }
    return {
      speak: (frame) => {
        this.mixer.speak(callSid, frame);
        this.followSpeech(p, frame);
      },
      listen: () => this.mixer.listen(callSid),
      ended: this.whenRemoved(callSid),
    };
  }

  /** A participant leaves (hung up, removed, its call failed); may end the conference. */
  leave(callSid: string, reason: LeaveReason, callStatus: string, now: Date): void {
    const p = this.members.get(callSid);
    if (!p) return;
    const wasConnected = p.status === 'connected';
    this.drop(p, reason, callStatus === 'in-progress' ? 'completed' : callStatus, now);
    const exitBeep = p.beepOnExit ?? (p.beep === 'true' || p.beep === 'onExit');
    if (wasConnected && exitBeep) this.mixer.overlay(this.connectedSids(), beepFrames());
    if (wasConnected && p.endConferenceOnExit) {
      const kicked = reason === 'participant_updated_via_api';
      this.end(kicked ? 'participant-with-end-conference-on-exit-kicked' : 'participant-with-end-conference-on-exit-left', now, p);
    } else if (this.members.size === 0) {
      this.end(reason === 'participant_updated_via_api' ? 'last-participant-kicked' : 'last-participant-left', now, p);
    }
  }

  /** Ends the conference: every remaining participant leaves, then conference-end. */
  end(reason: ConferenceEndReason, now: Date, by?: Participant): void {
    if (this.isOver) return;
    const leaveReason: LeaveReason = reason === 'conference-ended-via-api' ? 'conference_ended_via_api' : 'participant_with_end_conference_on_exit_left';
    for (const p of this.participants()) this.drop(p, leaveReason, p.status === 'connected' ? 'completed' : 'canceled', now);
    this.status = 'completed';
    this.reasonEnded = reason;
    this.callSidEnding = by?.callSid;
    this.touch(now);
    this.emit({ type: 'conference-end', reason, callSid: by?.callSid, label: by?.label });
  }

  /**
   * Plays `frames` to one connected participant alone, on top of what they hear (after anything
   * already playing to them), calling `heard` as they hear the last one; false when they are not
   * connected.
   */
  announceTo(callSid: string, frames: Int16Array[], heard: () => void): boolean {
    const p = this.members.get(callSid);
    if (!p || p.status !== 'connected' || this.isOver) return false;
    this.mixer.overlay([callSid], frames, heard);
    return true;
  }

  /** The announcement to `callSid` ended (`played`) or failed: reported while the participant is still here. */
  announced(callSid: string, played: boolean): void {
    const p = this.members.get(callSid);
    if (p) this.emit({ type: played ? 'announcement-end' : 'announcement-fail', participant: { ...p } });
  }

  /** REST participant update. Validates coaching first; throws ConferenceError. */
  update(callSid: string, c: ParticipantChanges, now: Date): Participant {
    const p = this.members.get(callSid);
    if (!p) throw new ConferenceError(404, 20404, `Participant ${callSid} is not in conference ${this.sid}`);
    const coaching = c.coaching ?? (c.callSidToCoach !== undefined ? true : p.coaching);
    const target = c.callSidToCoach ?? p.callSidToCoach;
    if (c.coaching !== undefined || c.callSidToCoach !== undefined) {
      const problem = this.coachingProblem(coaching, target, callSid);
      if (problem) throw problem;
    }
    const events: ParticipantEventType[] = [];
    if (c.muted !== undefined && c.muted !== p.muted) {
      p.muted = c.muted;
      events.push(c.muted ? 'participant-mute' : 'participant-unmute');
    }
    if (c.holdUrl !== undefined) p.holdUrl = c.holdUrl;
    if (c.waitUrl !== undefined) p.waitUrl = c.waitUrl;
    this.mixer.setSounds(callSid, { hold: musicFor(p.holdUrl), wait: musicFor(p.waitUrl) });
    if (c.hold !== undefined && c.hold !== p.hold) {
      p.hold = c.hold;
      events.push(c.hold ? 'participant-hold' : 'participant-unhold');
    }
    if (c.coaching !== undefined || c.callSidToCoach !== undefined) {
      const changed = coaching !== p.coaching || (coaching && target !== p.callSidToCoach);
      p.coaching = coaching;
      p.callSidToCoach = coaching ? target : undefined;
      if (changed) events.push('participant-modify');
    }
    if (c.endConferenceOnExit !== undefined) p.endConferenceOnExit = c.endConferenceOnExit;
    if (c.beepOnExit !== undefined) p.beepOnExit = c.beepOnExit;
    p.dateUpdated = now;
    this.touch(now);
    this.mixer.roleChanged(callSid);
    for (const type of events) this.emit({ type, participant: { ...p } });
    return p;
  }

  private connectedSids(): string[] {
    return this.participants()
      .filter((p) => p.status === 'connected')
      .map((p) => p.callSid);
  }

  /**
   * A participant's frame for this tick: speech starting or stopping is reported. What the
   * conference does not take from it (muted, on hold, not started yet) is quiet.
   */
  private followSpeech(p: Participant, frame: Int16Array): void {
    const voice = this.voices.get(p.callSid);
    if (!voice || !this.statusCallback?.events.has('speaker')) return;
    const edge = voice.push(this.mixer.isStarted && !p.muted && !p.hold ? frame : undefined);
    if (edge) this.emit({ type: edge === 'start' ? 'participant-speech-start' : 'participant-speech-stop', participant: { ...p } });
  }

  private drop(p: Participant, reason: LeaveReason, callStatus: string, now: Date): void {
    this.members.delete(p.callSid);
    this.mixer.remove(p.callSid);
    this.voices.delete(p.callSid);
    const failed = p.status !== 'connected';
    p.status = failed && callStatus !== 'completed' ? 'failed' : 'complete';
    p.dateUpdated = now;
    this.touch(now);
    this.emit({ type: 'participant-leave', participant: { ...p }, reason, callStatus });
    this.removed.get(p.callSid)?.resolve(reason);
  }

  private touch(now: Date): void {
    this.dateUpdated = now;
  }
}
