/** What every command needs: where output goes, the environment, and the admin API client. */
import type { Command } from 'commander';
import { AdminClient } from './api-client';
import type { Output } from './output';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export interface CliContext {
  io: CliIo;
  env: NodeJS.ProcessEnv;
}

export interface GlobalOptions {
  url?: string;
  json?: boolean;
}

/** `--url`, else TOLK_URL, else this machine on PORT (8080 by default). */
export function tolkUrl(opts: GlobalOptions, env: NodeJS.ProcessEnv): string {
  return opts.url ?? (env.TOLK_URL || `http://127.0.0.1:${env.PORT || '8080'}`);
}

export function outputFor(ctx: CliContext, cmd: Command): Output {
  return { json: cmd.optsWithGlobals<GlobalOptions>().json === true, ...ctx.io };
}

export function clientFor(ctx: CliContext, cmd: Command): AdminClient {
  return new AdminClient({ url: tolkUrl(cmd.optsWithGlobals<GlobalOptions>(), ctx.env), token: ctx.env.ADMIN_TOKEN || undefined });
}
