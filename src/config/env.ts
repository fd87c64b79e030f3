/**
 * Process configuration: read once from the environment at start-up and validated with zod.
 * Every variable is documented in `.env.example` and the README. Each concern adds its own
 * section here so the composition root has a single typed `Config`.
 */
import { z } from 'zod';
import { NUMBERS_MODES } from './numbers-import';
import { MAX_WEBHOOK_URL_LENGTH, quoted, webhookUrlProblem } from './numbers-schema';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Accepts `true/false/1/0/yes/no` (any case); anything else is a validation error. */
const booleanFlag = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no']))
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/** A URL on this machine (localhost, 127.0.0.0/8, ::1): the only place plain http can work. */
export function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/**
 * Twilio refuses a `ws://` stream URL, which a plain-http PUBLIC_URL would make: only https, or
 * http on a loopback host (emulators, a local test; start-up warns).
 */
// (Judged only once it is an http(s) URL at all: the check above says what is wrong otherwise.)
const publicUrl = httpUrl.refine((url) => !/^http:/i.test(url) || !URL.canParse(url) || isLoopbackUrl(url), {
  error: 'must be an https URL: Twilio refuses the ws:// media stream URL plain http gives (http is allowed only for localhost or 127.0.0.1)',
});

/** What a numeric variable takes; `messages` keep a variable's own wording for one kind of miss. */
export interface EnvNumberRule {
  min: number;
  /** Absent: no upper bound. */
  max?: number;
  /** What is counted, plural (`days`, `milliseconds`); absent: a plain number. */
  unit?: string;
  /** Default true: whole numbers only. */
  whole?: boolean;
  /** Says what the number is instead of `a whole number of <unit>` (`a TCP port number`). */
  noun?: string;
  messages?: { notWhole?: string; tooSmall?: string; tooBig?: string };
}

/** A number written in decimals (`8080`, `+5`, `0.5`, `3e4`), spaces around it allowed; not `0x10`, `0b11`, `0o7` or `Infinity`. */
const DECIMAL = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?\s*$/i;

/**
 * A numeric variable: says in the operator's terms what is wanted and what was given
 * (`must be a whole number of days from 1 to 36500, got 'abc'`) where zod alone would say
 * `expected number, received NaN`. Only for variables that are not secret: the value is echoed.
 * An empty value never gets here (loadConfig treats it as unset); blank space is not a number, nor
 * is one written other than in decimals (`0x10` would silently be 16).
 */
export function envNumber(rule: EnvNumberRule) {
  const whole = rule.whole ?? true;
  const noun = rule.noun ?? `${whole ? 'a whole number' : 'a number'}${rule.unit ? ` of ${rule.unit}` : ''}`;
  const wanted = `must be ${noun} ${rule.max === undefined ? `(at least ${rule.min})` : `from ${rule.min} to ${rule.max}`}`;
  return z.unknown().transform((input, ctx) => {
    const text = typeof input === 'string' ? input : String(input);
    const n = typeof input === 'number' ? input : typeof input === 'string' && DECIMAL.test(input) ? Number(input) : NaN;
    const miss = (message = `${wanted}, got ${quoted(text)}`): never => {
      ctx.addIssue({ code: 'custom', message, input });
      return z.NEVER;
    };
    if (!Number.isFinite(n)) return miss();
    if (whole && !Number.isInteger(n)) return miss(rule.messages?.notWhole);
    if (n < rule.min) return miss(rule.messages?.tooSmall);
    if (rule.max !== undefined && n > rule.max) return miss(rule.messages?.tooBig);
    return n === 0 ? 0 : n; // -0 is 0
  });
}

export const envSchema = z.object({
  PORT: envNumber({ noun: 'a TCP port number', min: 0, max: 65535 }).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),

  // Twilio edge
  PUBLIC_URL: publicUrl,
  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must look like AC followed by 32 hex digits'),
  TWILIO_AUTH_TOKEN: z.string().min(16, 'must be the account auth token (at least 16 characters)'),
  TWILIO_API_URL: httpUrl.optional(),
  MEDIA_STREAM_SECRET: z.string().min(32, 'must be at least 32 characters of random data').optional(),
  TWILIO_WS_SIGNATURE: z.enum(['off', 'log', 'enforce']).default('log'),
  /** The TwiML App whose Voice URL is PUBLIC_URL/twilio/interpreter: how tolk joins conferences (`tolk twilio configure-app`). */
  TWILIO_TWIML_APP_SID: z.string().regex(/^AP[0-9a-fA-F]{32}$/, 'must look like AP followed by 32 hex digits (run: tolk twilio configure-app)').optional(),

  // Translation (Gemini Live translate)
  GEMINI_API_KEY: z.string().min(1, 'is required'),
  GEMINI_MODEL: z.string().min(1).default('gemini-3.5-live-translate-preview'),
  GEMINI_API_URL: httpUrl.optional(),
  GEMINI_API_VERSION: z.string().regex(/^v1(alpha|beta)?$/, 'must be v1beta, v1alpha or v1').default('v1beta'),
  TRANSLATE_CHUNK_MS: envNumber({ unit: 'milliseconds', min: 20, max: 1000 }).default(100),

  // Operations
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  TOLK_NUMBERS: z.string().min(1).optional(),
  TOLK_NUMBERS_MODE: z.enum(NUMBERS_MODES, { error: 'must be seed or replace' }).default('seed'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  TOLK_DB_PATH: z.string().min(1).default('data/tolk.db'),
  DATABASE_CONNECT_TIMEOUT_MS: envNumber({ unit: 'milliseconds', min: 100, max: 600_000 }).default(10_000),
  SHUTDOWN_GRACE_MS: envNumber({ unit: 'milliseconds', min: 0, max: 600_000 }).default(10000),
  TOLK_DRAIN_TIMEOUT_MS: envNumber({ unit: 'milliseconds', min: 0, max: 86_400_000, messages: { tooBig: 'must be at most 86400000 (24 h)' } }).default(1_800_000),
  TOLK_MAX_CALLS: envNumber({ unit: 'calls', min: 1, messages: { tooSmall: 'must be at least 1' } }).optional(),
  TOLK_LOG_TRANSCRIPTS: z.enum(['on', 'off'], { error: 'must be on or off' }).default('on'),
  TOLK_RETENTION_DAYS: envNumber({
    unit: 'days',
    min: 1,
    max: 36_500,
    messages: { notWhole: 'must be a whole number of days', tooSmall: 'must be at least 1', tooBig: 'must be at most 36500' },
  }).optional(),
  TOLK_MAX_CONFERENCE_LANGUAGES: envNumber({ unit: 'languages', min: 2, max: 16, messages: { tooSmall: 'must be at least 2', tooBig: 'must be at most 16' } }).default(4),
  TOLK_STEP_TIMEOUT_SEC: envNumber({ unit: 'seconds', whole: false, min: 0.1, max: 3600 }).default(60),
  TOLK_INSTANCE_ID: z.string().trim().min(1).max(128).toLowerCase().optional(),
  TOLK_RECONCILE_INTERVAL_SEC: envNumber({ unit: 'seconds', whole: false, min: 1, max: 3600 }).default(30),
  TRUST_PROXY: booleanFlag.default(false),

  // Several instances behind one public URL (README: Running several instances)
  TOLK_CLUSTER: z.enum(['on', 'off'], { error: 'must be on or off' }).default('off'),
  TOLK_INTERNAL_URL: httpUrl.optional(),
  TOLK_PROCESSES: z
    .union([z.literal('auto'), envNumber({ unit: 'processes', min: 1, max: 256 })], {
      error: (iss) => `must be auto or a whole number of processes from 1 to 256, got ${quoted(String(iss.input))}`,
    })
    .default(1),

  // Background jobs
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
  TOLK_QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1 to 64 letters, digits, dots, dashes or underscores').default('tolk'),
  TOLK_WORKERS: z.enum(['on', 'off'], { error: 'must be on or off' }).default('on'),
  TOLK_JOB_LOCK_MS: envNumber({ unit: 'milliseconds', min: 1000, max: 600_000 }).default(30_000),
  TWILIO_CPS: envNumber({ unit: 'calls per second', min: 1, max: 1000 }).default(1),

  // Webhooks (transcript delivery)
  TOLK_WEBHOOK_URL: z
    .string()
    .max(MAX_WEBHOOK_URL_LENGTH)
    .refine((v) => webhookUrlProblem(v) === undefined, { error: (iss) => webhookUrlProblem(String(iss.input)) ?? 'is not a URL' })
    .optional(),
  TOLK_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters of random data').optional(),
  TOLK_ALLOW_HTTP_WEBHOOKS: booleanFlag.default(false),
  TOLK_ALLOW_PRIVATE_WEBHOOKS: booleanFlag.default(false),
});

export type Config = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Validates an environment map; throws ConfigError naming every missing or malformed variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Treat empty strings as unset so that `FOO=` in a .env file means "use the default".
  const cleaned: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') cleaned[k] = v;
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const name = i.path.join('.');
        const msg = i.code === 'invalid_type' && cleaned[name] === undefined ? 'is required but not set' : i.message;
        return `${name} ${msg}`;
      }),
    );
  }
  if (parsed.data.TOLK_WEBHOOK_URL && !parsed.data.TOLK_WEBHOOK_SECRET) {
    throw new ConfigError(['TOLK_WEBHOOK_SECRET is required when TOLK_WEBHOOK_URL is set (tolk signs every delivery with it)']);
  }
  if (parsed.data.TOLK_PROCESSES !== 1) {
    const missing = [
      ...(parsed.data.REDIS_URL ? [] : ['REDIS_URL is required when TOLK_PROCESSES is not 1: the processes keep stream tokens, the directory of live calls and their events in Redis']),
      ...(parsed.data.DATABASE_URL ? [] : ['DATABASE_URL is required when TOLK_PROCESSES is not 1: the processes share one PostgreSQL database of numbers, calls and transcripts']),
    ];
    if (missing.length > 0) throw new ConfigError(missing);
  }
  if (parsed.data.TOLK_CLUSTER === 'on') {
    const problems = clusterProblems(parsed.data);
    if (problems.length > 0) throw new ConfigError(problems);
  }
  return parsed.data;
}

/** What an instance name must be in a cluster: it is a path segment of the media stream URL the load balancer routes. */
export const CLUSTER_INSTANCE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** What several instances behind one public URL need that one instance does not. */
function clusterProblems(c: Config): string[] {
  const problems: string[] = [];
  if (!c.MEDIA_STREAM_SECRET) {
    problems.push('MEDIA_STREAM_SECRET is required when TOLK_CLUSTER=on: a media stream may reach another instance than the one that issued its token, so every instance must share one secret (e.g. openssl rand -base64 48)');
  }
  if (!c.REDIS_URL) problems.push('REDIS_URL is required when TOLK_CLUSTER=on: the instances keep stream tokens, the directory of live calls and their events in Redis');
  if (!c.DATABASE_URL) problems.push('DATABASE_URL is required when TOLK_CLUSTER=on: the instances share one PostgreSQL database of numbers, calls and transcripts');
  if (c.TOLK_INSTANCE_ID !== undefined && !CLUSTER_INSTANCE_ID.test(c.TOLK_INSTANCE_ID)) {
    problems.push('TOLK_INSTANCE_ID must be 1 to 63 letters, digits, dots, dashes or underscores when TOLK_CLUSTER=on (it is part of the media stream URL)');
  }
  return problems;
}
