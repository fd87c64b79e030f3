import { createLogger, type Logger } from '../../../src/log/logger';

/** A logger that writes nowhere (and holds no stream open). */
export function silentLogger(): Logger {
  return createLogger({ level: 'silent', destination: { write: () => undefined } });
}
