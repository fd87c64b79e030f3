/**
 * Validation of one number's settings, independent of where they come from (the numbers file now,
 * an admin API request body later). Problems are reported per field, with the nearest supported
 * languages when a language code is unknown.
 */
import { z } from 'zod';
import { isSupportedLanguage, nearestLanguages, SUPPORTED_LANGUAGES } from '../translate/languages';
import { AUTO_LANGUAGE, CALL_MODES, DEFAULT_ORIGINAL_VOLUME, destinationKind, E164_PATTERN, INTERPRETATIONS, type NumberSettings } from './numbers';

/** One problem with one field; `path` is relative to the validated object (`['callerLanguage']`). */
export interface FieldProblem {
  path: (string | number)[];
  message: string;
}

export type NumberSettingsValidation = { ok: true; value: NumberSettings } | { ok: false; problems: FieldProblem[] };

function typeName(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  return `a ${typeof input}`;
}

/** Longest language code accepted (BCP 47 advises 35 characters); longer ones get no suggestion. */
export const MAX_LANGUAGE_CODE_LENGTH = 35;
/** Longest destination (a SIP URI is the long kind). */
export const MAX_DESTINATION_LENGTH = 256;

/** Longest webhook URL accepted. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

/**
 * What is wrong with a webhook URL as written (not an http(s) URL, credentials in it), or
 * undefined. Whether it may be plain http and where its host resolves are decided when delivering
 * (TOLK_ALLOW_HTTP_WEBHOOKS, the private-address guard in src/webhooks/target.ts).
 */
export function webhookUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${quoted(value)} is not a URL (e.g. https://crm.example.com/tolk)`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `${quoted(value)} must be an https URL`;
  if (url.username || url.password) return 'must not carry a user name or password (tolk signs each delivery; see TOLK_WEBHOOK_SECRET)';
  return undefined;
}

/** A value quoted back in a message: its start only, so a message stays short whatever was sent. */
export function quoted(value: string, max = 40): string {
  return `'${value.length > max ? `${value.slice(0, max)}...` : value}'`;
}

/**
 * A string of at most `max` characters: a longer one is refused before any other check looks at
 * it (`abort`), so no work grows with what was sent.
 */
function requiredString(what: string, max: number, tooLong = `must be ${what} of at most ${max} characters`) {
  return z
    .string({
      error: (iss) => (iss.input === undefined ? 'is required' : `must be ${what}, not ${typeName(iss.input)}`),
    })
    .max(max, { error: tooLong, abort: true });
}

/** Explains the unknown code and names the nearest supported ones. */
export function unknownLanguageMessage(code: string): string {
  const near = nearestLanguages(code);
  const hint =
    near.length > 0
      ? `did you mean ${near.join(', ')}?`
      : `supported codes: ${SUPPORTED_LANGUAGES.map((l) => l.code).join(', ')}`;
  return `unknown language ${quoted(code)}; ${hint}`;
}

const phoneNumber = z
  .unknown()
  .superRefine((v, ctx) => {
    if (v === undefined) ctx.addIssue({ code: 'custom', message: 'is required' });
    else if (typeof v === 'number')
      ctx.addIssue({
        code: 'custom',
        message: `must be a quoted string such as "+${v}" (unquoted, YAML reads the number as an integer and drops the +)`,
      });
    else if (typeof v !== 'string') ctx.addIssue({ code: 'custom', message: `must be a string, not ${typeName(v)}` });
    else if (!E164_PATTERN.test(v))
      ctx.addIssue({
        code: 'custom',
        message: `${quoted(v)} is not an E.164 number (a + and up to 15 digits, no spaces or dashes, e.g. +15550001111)`,
      });
  })
  .transform((v) => v as string);

const destination = requiredString('a string', MAX_DESTINATION_LENGTH, `must be at most ${MAX_DESTINATION_LENGTH} characters`).refine(
  (v) => destinationKind(v) !== undefined,
  {
    error: (iss) =>
      `${quoted(String(iss.input))} is not a destination: use an E.164 number (+15550002222), a SIP URI (sip:agent@pbx.example.com) or a client identity (client:alice)`,
  },
);

const language = requiredString('a language code', MAX_LANGUAGE_CODE_LENGTH).superRefine((v, ctx) => {
  if (!isSupportedLanguage(v)) ctx.addIssue({ code: 'custom', message: unknownLanguageMessage(v) });
});

const callerLanguage = requiredString(`a language code or '${AUTO_LANGUAGE}'`, MAX_LANGUAGE_CODE_LENGTH, `must be a language code of at most ${MAX_LANGUAGE_CODE_LENGTH} characters`).superRefine((v, ctx) => {
  if (v !== AUTO_LANGUAGE && !isSupportedLanguage(v)) ctx.addIssue({ code: 'custom', message: unknownLanguageMessage(v) });
});

// The list's length is checked before its entries, so a list of thousands costs nothing.
const languageMenu = z
  .array(z.unknown(), { error: (iss) => `must be a list of language codes, not ${typeName(iss.input)}` })
  .max(9, { error: 'can offer at most nine languages (keys 1 to 9)', abort: true })
  .pipe(z.array(language))
  .check(z.minLength(2, 'needs at least two languages (one needs no menu)'))
  .refine((l) => new Set(l).size === l.length, 'lists a language twice');

/** One of a few words; anything else is named back with the words accepted. */
function oneOf<T extends string>(words: readonly [T, ...T[]], meaning: string) {
  const list = words.map((w) => `'${w}'`).join(' or ');
  return z.enum(words, {
    error: (iss) =>
      typeof iss.input === 'string' ? `${quoted(iss.input)} is not ${meaning}: use ${list}` : `must be ${list}, not ${typeName(iss.input)}`,
  });
}

export const numberSettingsSchema = z
  .strictObject(
  {
    number: phoneNumber,
    destination,
    callerLanguage,
    agentLanguage: language,
    defaultLanguage: language.optional(),
    languageMenu: languageMenu.optional(),
    rememberLanguage: z.boolean({ error: (iss) => `must be true or false, not ${typeName(iss.input)}` }).default(true),
    echoTargetLanguage: z
      .boolean({ error: (iss) => `must be true or false, not ${typeName(iss.input)}` })
      .default(false),
    originalVolume: z
      .number({ error: (iss) => `must be a number from 0 to 1, not ${typeName(iss.input)}` })
      .min(0, 'must be from 0 (off) to 1 (full volume)')
      .max(1, 'must be from 0 (off) to 1 (full volume)')
      .default(DEFAULT_ORIGINAL_VOLUME),
    greeting: z
      .string({ error: (iss) => `must be a string, not ${typeName(iss.input)}` })
      .trim()
      .min(1, 'must not be empty (leave it out for no greeting)')
      .max(1000, 'must be at most 1000 characters')
      .optional(),
    mode: oneOf(CALL_MODES, 'a mode (direct: two legs bridged through tolk; conference: a Twilio conference tolk interprets)').optional(),
    interpretation: oneOf(INTERPRETATIONS, 'an interpretation (whisper: each party hears only what is meant for them; open: everyone hears every translation)').optional(),
    webhookUrl: z
      .string({ error: (iss) => `must be a URL, not ${typeName(iss.input)}` })
      .max(MAX_WEBHOOK_URL_LENGTH, { error: `must be a URL of at most ${MAX_WEBHOOK_URL_LENGTH} characters`, abort: true })
      .refine((v) => webhookUrlProblem(v) === undefined, { error: (iss) => webhookUrlProblem(String(iss.input)) ?? 'is not a URL' })
      .optional(),
  },
  {
    error: (iss) => {
      if (iss.code === 'unrecognized_keys') {
        const keys = iss.keys.slice(0, 5).map((k) => quoted(k, 32)).join(', ') + (iss.keys.length > 5 ? ` and ${iss.keys.length - 5} more` : '');
        return `unknown setting ${keys}; settings are number, destination, callerLanguage, agentLanguage, defaultLanguage, languageMenu, rememberLanguage, echoTargetLanguage, originalVolume, greeting, mode, interpretation, webhookUrl`;
      }
      if (iss.code === 'invalid_type') return `must be a mapping of settings, not ${typeName(iss.input)}`;
      return undefined;
    },
  },
  )
  .superRefine((v, ctx) => {
    if (v.callerLanguage === AUTO_LANGUAGE && v.defaultLanguage === undefined) {
      ctx.addIssue({ code: 'custom', path: ['defaultLanguage'], message: `is required when callerLanguage is '${AUTO_LANGUAGE}' (the language used if the caller has not spoken in time)` });
    }
  });

/** Validates one number's settings, applying defaults; every problem is listed, by field. */
export function validateNumberSettings(input: unknown): NumberSettingsValidation {
  const parsed = numberSettingsSchema.safeParse(input);
  if (parsed.success) {
    // Optional settings that were left out stay absent (not `undefined` keys).
    const value = Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined)) as unknown as NumberSettings;
    return { ok: true, value };
  }
  return {
    ok: false,
    problems: parsed.error.issues.map((i) => ({
      path: i.path.filter((p): p is string | number => typeof p !== 'symbol'),
      message: i.message,
    })),
  };
}
