/**
 * A start-up failure the operator can fix in the configuration: which variable, and what is wrong
 * with it, in one line. `main.ts` prints it and exits with EX_CONFIG (78), never with a stack trace.
 */
export class StartupError extends Error {
  constructor(
    /** The environment variable to look at (PORT, TOLK_DB_PATH, DATABASE_URL...). */
    readonly variable: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${variable} ${message}`, options);
    this.name = 'StartupError';
  }
}
