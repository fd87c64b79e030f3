// TwiML documents as typed verbs. Only the verbs the emulator executes get their own shape;
// anything else is kept as `unsupported` so the runner can log it and move on, as Twilio would
// reject it (error 12100) but the emulator prefers to keep the call going and report it.
import { childElements, parseXml, textOf, type XmlElement } from './xml';

export interface StreamNoun {
  url: string;
  name?: string;
  track?: string;
  statusCallback?: string;
  statusCallbackMethod?: string;
  parameters: Record<string, string>;
}
export interface ConferenceNoun {
  name: string;
  muted: boolean;
  startConferenceOnEnter: boolean;
  endConferenceOnExit: boolean;
  beep: string;
  /** Absent: Twilio's hold music; "": silence. */
  waitUrl?: string;
  participantLabel?: string;
  /** Call SID of the participant this one coaches (whisper). */
  coach?: string;
  statusCallback?: string;
  statusCallbackMethod?: string;
  statusCallbackEvents: string[];
}

export type TwimlVerb =
  | { verb: 'Say'; text: string; loop: number; voice?: string; language?: string }
  | { verb: 'Pause'; lengthSec: number }
  | { verb: 'Hangup' }
  | { verb: 'Reject'; reason: string }
  | { verb: 'Redirect'; url: string; method: string }
  | { verb: 'Connect'; action?: string; method: string; stream?: StreamNoun; unsupportedNoun?: string }
  | {
      verb: 'Gather';
      input: string;
      numDigits?: number;
      timeoutSec: number;
      finishOnKey: string;
      action?: string;
      method: string;
      actionOnEmptyResult: boolean;
      nested: TwimlVerb[];
    }
  | { verb: 'Dial'; action?: string; method: string; conference?: ConferenceNoun; target?: string; timeoutSec: number }
  | { verb: 'unsupported'; name: string };

export class TwimlError extends Error {}

const bool = (v: string | undefined, dflt: boolean): boolean => (v === undefined ? dflt : v.toLowerCase() === 'true');
const int = (v: string | undefined, dflt: number): number => {
  const n = v === undefined ? NaN : Number.parseInt(v, 10);
  return Number.isFinite(n) ? n : dflt;
};

function parseStream(el: XmlElement): StreamNoun {
  const url = el.attrs.url;
  if (!url) throw new TwimlError('<Stream> requires a url attribute');
  const parameters: Record<string, string> = {};
  for (const p of childElements(el)) {
    if (p.name === 'Parameter' && p.attrs.name !== undefined) parameters[p.attrs.name] = p.attrs.value ?? '';
  }
  return {
    url,
    name: el.attrs.name,
    track: el.attrs.track,
    statusCallback: el.attrs.statusCallback,
    statusCallbackMethod: el.attrs.statusCallbackMethod,
    parameters,
  };
}

function parseConference(el: XmlElement): ConferenceNoun {
  const a = el.attrs;
  return {
    name: textOf(el).trim(),
    muted: bool(a.muted, false),
    startConferenceOnEnter: bool(a.startConferenceOnEnter, true),
    endConferenceOnExit: bool(a.endConferenceOnExit, false),
    beep: a.beep ?? 'true',
    waitUrl: a.waitUrl,
    participantLabel: a.participantLabel,
    coach: a.coach || undefined,
    statusCallback: a.statusCallback,
    statusCallbackMethod: a.statusCallbackMethod,
    statusCallbackEvents: (a.statusCallbackEvent ?? '').split(/[\s,]+/).filter(Boolean),
  };
}

function parseVerb(el: XmlElement): TwimlVerb {
  const a = el.attrs;
  switch (el.name) {
    case 'Say':
      return { verb: 'Say', text: textOf(el).trim(), loop: Math.max(1, int(a.loop, 1)), voice: a.voice, language: a.language };
    case 'Pause':
      return { verb: 'Pause', lengthSec: Math.max(0, int(a.length, 1)) };
    case 'Hangup':
      return { verb: 'Hangup' };
    case 'Reject':
      return { verb: 'Reject', reason: a.reason ?? 'rejected' };
    case 'Redirect':
      return { verb: 'Redirect', url: textOf(el).trim(), method: (a.method ?? 'POST').toUpperCase() };
    case 'Connect': {
      const nouns = childElements(el);
      const streamEl = nouns.find((n) => n.name === 'Stream');
      const other = nouns.find((n) => n.name !== 'Stream');
      return {
        verb: 'Connect',
        action: a.action,
        method: (a.method ?? 'POST').toUpperCase(),
        stream: streamEl ? parseStream(streamEl) : undefined,
        unsupportedNoun: streamEl ? undefined : other?.name,
      };
    }
    case 'Gather':
      return {
        verb: 'Gather',
        input: a.input ?? 'dtmf',
        numDigits: a.numDigits === undefined ? undefined : int(a.numDigits, 1),
        timeoutSec: int(a.timeout, 5),
        finishOnKey: a.finishOnKey ?? '#',
        action: a.action,
        method: (a.method ?? 'POST').toUpperCase(),
        actionOnEmptyResult: bool(a.actionOnEmptyResult, false),
        nested: childElements(el).map(parseVerb),
      };
    case 'Dial': {
      const confEl = childElements(el).find((n) => n.name === 'Conference');
      const numberEl = childElements(el).find((n) => n.name === 'Number');
      const bare = childElements(el).length === 0 ? textOf(el).trim() : '';
      return {
        verb: 'Dial',
        action: a.action,
        method: (a.method ?? 'POST').toUpperCase(),
        timeoutSec: int(a.timeout, 30),
        target: numberEl ? textOf(numberEl).trim() : bare || undefined,
        conference: confEl ? parseConference(confEl) : undefined,
      };
    }
    default:
      return { verb: 'unsupported', name: el.name };
  }
}

/** Parses a TwiML document into its top-level verbs. Throws TwimlError if it is not `<Response>`. */
export function parseTwiml(source: string): TwimlVerb[] {
  let root: XmlElement;
  try {
    root = parseXml(source);
  } catch (err) {
    throw new TwimlError(`invalid TwiML XML: ${(err as Error).message}`);
  }
  if (root.name !== 'Response') throw new TwimlError(`TwiML root must be <Response>, got <${root.name}>`);
  return childElements(root).map(parseVerb);
}

/** Seconds a `<Say>` takes: about 150 words per minute, at least half a second per loop. */
export function sayDurationSec(text: string, loop: number): number {
  const words = text.split(/\s+/).filter(Boolean).length;
  return Math.max(0.5, words * 0.4) * loop;
}
