/**
 * Structured logging: one JSON line per event (pino). Secrets are redacted by key name wherever
 * they appear in a logged object, so a stray `config` or request object never leaks a token.
 */
import pino, { type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Object keys whose values are never written to a log line. */
export const REDACTED_KEYS = [
  'authToken',
  'apiKey',
  'token',
  'accessToken',
  'access_token',
  'password',
  'secret',
  'authorization',
  'x-twilio-signature',
  'GEMINI_API_KEY',
  'TWILIO_AUTH_TOKEN',
  'MEDIA_STREAM_SECRET',
  'ADMIN_TOKEN',
];

function redactPaths(): string[] {
  const paths: string[] = [];
  for (const k of REDACTED_KEYS) {
    const key = /^[A-Za-z_$][\w$]*$/.test(k) ? k : `["${k}"]`;
    const dot = key.startsWith('[') ? '' : '.';
    paths.push(key, `*${dot}${key}`, `*.*${dot}${key}`);
  }
  return paths;
}

export interface LoggerOptions {
  level?: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to read the lines back. */
  destination?: DestinationStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { service: 'tolk' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactPaths(), censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    opts.destination ?? pino.destination({ sync: false }),
  );
}
