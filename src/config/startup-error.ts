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

/** PORT is taken on HOST: what holds it, and how to move tolk to another port. */
export function portInUse(port: number, host: string, cause: unknown): StartupError {
  return new StartupError(
    'PORT',
    `${port} is already in use on ${host} (another tolk, or another program): stop it, or set PORT to a free port (in .env or the environment)`,
    { cause },
  );
}
