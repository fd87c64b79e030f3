/**
 * Per-number settings: which destination a tolk number rings and which languages it interprets.
 * The call bridge depends only on `NumberDirectory`; where the settings come from (a YAML file
 * today, a database later) is a detail of the implementation handed to it.
 */

export interface NumberSettings {
  /** The tolk number callers dial, strict E.164 (`+15550001111`). */
  number: string;
  /** Who tolk dials: an E.164 number, a `sip:`/`sips:` URI or a `client:` identity. */
  destination: string;
  /**
   * Supported language code (see src/translate/languages.ts) the caller speaks, or `auto`: detected
   * from the caller's first speech (falling back to `defaultLanguage`).
   */
  callerLanguage: string;
  /** With `callerLanguage: auto`, the language used when the caller has not spoken in time. */
  defaultLanguage?: string;
  /**
   * A spoken menu before the call: the caller presses 1 for the first language, 2 for the second...
   * each option announced in its own language. Two to nine supported codes.
   */
  languageMenu?: string[];
  /** Remember each caller's language on this number for their next call (default true). */
  rememberLanguage?: boolean;
  /** Supported language code the agent speaks. */
  agentLanguage: string;
  /** Ask the translator to also speak when the input is already in the target language. */
  echoTargetLanguage: boolean;
  /** Linear gain 0..1 of the other party's own voice under the translation; 0 turns it off. */
  originalVolume: number;
  /** Spoken to the caller (in `callerLanguage`) before the agent is dialled. */
  greeting?: string;
  /**
   * How a call to the number is carried (absent: `direct`): `direct`, two legs bridged through tolk;
   * `conference`, a Twilio conference of the caller and the destination that tolk joins as the
   * interpreter, the parties hearing each other's own voices through the conference.
   */
  mode?: CallMode;
  /**
   * In a conference, who hears a translation (absent: `whisper`): `whisper`, only the party it is
   * meant for; `open`, everyone in the conference.
   */
  interpretation?: Interpretation;
  /** Where each ended call's record and transcript are POSTed (default TOLK_WEBHOOK_URL; see src/webhooks). */
  webhookUrl?: string;
}

export const CALL_MODES = ['direct', 'conference'] as const;
export type CallMode = (typeof CALL_MODES)[number];
export const INTERPRETATIONS = ['whisper', 'open'] as const;
export type Interpretation = (typeof INTERPRETATIONS)[number];

/** The number's mode, its default applied. */
export function callModeOf(s: Pick<NumberSettings, 'mode'>): CallMode {
  return s.mode ?? 'direct';
}

/** The number's interpretation, its default applied. */
export function interpretationOf(s: Pick<NumberSettings, 'interpretation'>): Interpretation {
  return s.interpretation ?? 'whisper';
}

/** Read access to per-number settings, as the call bridge needs it. */
export interface NumberDirectory {
  /** Settings for a dialled number (any common notation of it), or undefined if tolk does not serve it. */
  lookup(number: string): Promise<NumberSettings | undefined>;
  /** Every configured number, ordered by number. */
  list(): Promise<NumberSettings[]>;
}

export const DEFAULT_ORIGINAL_VOLUME = 0.16;

/** `callerLanguage` value that asks tolk to detect the caller's language. */
export const AUTO_LANGUAGE = 'auto';

/** Strict E.164: a plus sign, a non-zero digit, then 1 to 14 more digits. */
export const E164_PATTERN = /^\+[1-9]\d{1,14}$/;

export type DestinationKind = 'phone' | 'sip' | 'client';

const SIP_URI = /^sips?:[^\s@;]+@[^\s@]+$/;
const CLIENT_IDENTITY = /^client:[^\s]+$/;

/** What kind of address a destination is, or undefined if it is none of the accepted forms. */
export function destinationKind(destination: string): DestinationKind | undefined {
  if (E164_PATTERN.test(destination)) return 'phone';
  if (SIP_URI.test(destination)) return 'sip';
  if (CLIENT_IDENTITY.test(destination)) return 'client';
  return undefined;
}

/**
 * Turns a dialled number as a carrier or Twilio may present it (`+1 555-000-1111`, `tel:+1...`,
 * `sip:+1...@domain`) into strict E.164, or undefined if it is not a phone number.
 */
export function normaliseDialledNumber(raw: string): string | undefined {
  let s = raw.trim();
  const uri = /^(?:tel|sips?):([^@;]*)/i.exec(s);
  if (uri) s = uri[1];
  s = s.replace(/[\s\-().]/g, '');
  return E164_PATTERN.test(s) ? s : undefined;
}

/** A directory over a fixed, already validated list (what the numbers file produces). */
export class StaticNumberDirectory implements NumberDirectory {
  private readonly byNumber: ReadonlyMap<string, Readonly<NumberSettings>>;

  constructor(settings: readonly NumberSettings[]) {
    const map = new Map<string, Readonly<NumberSettings>>();
    for (const s of settings.toSorted((a, b) => a.number.localeCompare(b.number))) {
      if (map.has(s.number)) throw new Error(`duplicate number ${s.number}`);
      map.set(s.number, Object.freeze({ ...s }));
    }
    this.byNumber = map;
  }

  lookup(number: string): Promise<NumberSettings | undefined> {
    const key = normaliseDialledNumber(number);
    const found = key === undefined ? undefined : this.byNumber.get(key);
    return Promise.resolve(found && { ...found });
  }

  list(): Promise<NumberSettings[]> {
    return Promise.resolve([...this.byNumber.values()].map((s) => ({ ...s })));
  }
}
