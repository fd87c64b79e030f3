#!/usr/bin/env node
/** The `tolk` executable: runs the command line against this process's arguments and environment. */
import { runCli } from './program';
import { runMain } from './run-main';

runMain('tolk', runCli);
