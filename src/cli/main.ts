#!/usr/bin/env node
/** The `tolk` executable: runs the command line against this process's arguments and environment. */
import { runCli } from './program';

runCli(process.argv.slice(2), process.env, {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`tolk: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
