/** Runs a command-line entry point on this process: its arguments, environment and output streams. */
import type { CliIo } from './context';

export type CliEntry = (argv: string[], env: NodeJS.ProcessEnv, io: CliIo) => Promise<number>;

export function runMain(name: string, entry: CliEntry): void {
  quietOnClosedPipe();
  entry(process.argv.slice(2), process.env, {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${name}: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

/**
 * Output piped into a program that stops reading early (`tolk --help | head -3`) ends the command
 * quietly, as other command-line tools do, instead of crashing on the closed pipe (EPIPE).
 */
export function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      process.exit(process.exitCode ?? 0);
    });
  }
}
