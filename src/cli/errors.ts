/** CLI failures and the exit code each one ends the process with. */
import type { FieldProblem } from '../config/numbers-schema';

export const EXIT_OK = 0;
/** tolk (or Twilio) answered, and refused or failed. */
export const EXIT_FAILURE = 1;
/** The command line, a local file or local configuration is wrong. */
export const EXIT_USAGE = 2;
/** tolk (or Twilio) could not be reached. */
export const EXIT_UNREACHABLE = 3;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    /** Per-field problems, when the server (or a local check) listed them. */
    readonly problems: FieldProblem[] = [],
    /** HTTP status of the server's answer, if there was one. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string, problems: FieldProblem[] = []) => new CliError(message, EXIT_USAGE, problems);
