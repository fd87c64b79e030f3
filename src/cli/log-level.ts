/**
 * How loud the command-line tools' own log is. A person running a command reads its one-line
 * messages; tolk's JSON log lines (e.g. each retried Twilio request) appear only when LOG_LEVEL
 * asks for debug or trace. The server's usual LOG_LEVEL (info, warn, ...) in .env keeps them quiet.
 */
const VERBOSE = new Set(['debug', 'trace']);

export function cliLogLevel(env: NodeJS.ProcessEnv): string {
  const level = env.LOG_LEVEL?.trim().toLowerCase();
  return level !== undefined && VERBOSE.has(level) ? level : 'silent';
}
