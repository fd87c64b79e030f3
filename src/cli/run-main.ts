/** Runs a command-line entry point on this process: its arguments, environment and output streams. */
import type { CliIo } from './context';

export type CliEntry = (argv: string[], env: NodeJS.ProcessEnv, io: CliIo) => Promise<number>;

export function runMain(name: string, entry: CliEntry): void {
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
