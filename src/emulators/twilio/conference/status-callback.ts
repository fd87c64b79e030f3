// Conference status callbacks as Twilio sends them: which events a statusCallbackEvent list asks
// for (default `start end`), and the parameters of each request.
import { rfc2822 } from '../call-record';
import type { Conference, ConferenceEvent, StatusCallbackConfig } from './conference';

/** The statusCallbackEvent word that subscribes to each event. */
const SUBSCRIPTION: Record<ConferenceEvent['type'], string> = {
  'conference-start': 'start',
  'conference-end': 'end',
  'participant-join': 'join',
  'participant-leave': 'leave',
  'participant-mute': 'mute',
  'participant-unmute': 'mute',
  'participant-hold': 'hold',
  'participant-unhold': 'hold',
  'participant-modify': 'modify',
  'participant-speech-start': 'speaker',
  'participant-speech-stop': 'speaker',
  'announcement-end': 'announcement',
  'announcement-fail': 'announcement',
};

export const CONFERENCE_EVENT_WORDS: ReadonlySet<string> = new Set(['start', 'end', 'join', 'leave', 'mute', 'hold', 'modify', 'speaker', 'announcement']);

/** The config of a statusCallback attribute/parameter; undefined when there is no URL. */
export function statusCallbackConfig(url: string | undefined, method: string | undefined, events: string[]): StatusCallbackConfig | undefined {
  if (!url) return undefined;
  return { url, method: (method ?? 'POST').toUpperCase() === 'GET' ? 'GET' : 'POST', events: new Set(events.length > 0 ? events : ['start', 'end']) };
}

export function wantsConferenceEvent(config: StatusCallbackConfig, e: ConferenceEvent): boolean {
  return config.events.has(SUBSCRIPTION[e.type]);
}

const END_TEXT: Record<string, string> = {
  'conference-ended-via-api': 'Conference ended via API',
  'participant-with-end-conference-on-exit-left': 'Participant with endConferenceOnExit left the conference',
  'participant-with-end-conference-on-exit-kicked': 'Participant with endConferenceOnExit was removed from the conference',
  'last-participant-kicked': 'Last participant was removed from the conference',
  'last-participant-left': 'Last participant left the conference',
};

export function conferenceCallbackParams(accountSid: string, conf: Conference, e: ConferenceEvent, sequence: number, now: Date): Record<string, string> {
  const p: Record<string, string> = {
    AccountSid: accountSid,
    ConferenceSid: conf.sid,
    FriendlyName: conf.friendlyName,
    StatusCallbackEvent: e.type,
    SequenceNumber: String(sequence),
    Timestamp: rfc2822(now),
  };
  if (e.type === 'conference-start') return p;
  if (e.type === 'conference-end') {
    p.ReasonConferenceEnded = e.reason;
    p.Reason = END_TEXT[e.reason];
    if (e.callSid) p.CallSidEndingConference = e.callSid;
    if (e.label) p.ParticipantLabelEndingConference = e.label;
    return p;
  }
  const part = e.participant;
  p.CallSid = part.callSid;
  p.Muted = String(part.muted);
  p.Hold = String(part.hold);
  p.Coaching = String(part.coaching);
  p.EndConferenceOnExit = String(part.endConferenceOnExit);
  p.StartConferenceOnEnter = String(part.startConferenceOnEnter);
  if (part.coaching && part.callSidToCoach) p.CallSidToCoach = part.callSidToCoach;
  if (part.label !== undefined) p.ParticipantLabel = part.label;
  if (e.type === 'participant-leave') {
    p.ParticipantCallStatus = e.callStatus;
    p.ReasonParticipantLeft = e.reason;
  }
  return p;
}
