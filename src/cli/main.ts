#!/usr/bin/env node
/**
 * The `tolk` executable: reads `.env` in the working folder as the server does (the environment
 * wins), then runs the command line against this process's arguments and environment.
 */
import { loadDotEnv } from '../config/dotenv';
import { EXIT_USAGE } from './errors';
import { runCli } from './program';
import { runMain } from './run-main';

try {
  loadDotEnv();
  runMain('tolk', runCli);
} catch (err) {
  process.stderr.write(`tolk: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = EXIT_USAGE;
}
