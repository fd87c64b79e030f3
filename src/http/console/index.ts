/**
 * The console's server side, assembled: its HTTP module (pages and sign-in) and the admin API
 * authentication that also admits console sessions. The composition root calls `createConsole`.
 */
import path from 'node:path';
import type { RequestHandler } from 'express';
import { PROJECT_ROOT } from '../../config/paths';
import type { Logger } from '../../log/logger';
import { bearerAuth } from '../auth';
import type { HttpModule } from '../server';
import { consoleAwareAuth } from './console-auth';
import { createConsoleModule } from './module';
import { websocketOrigin } from './security-headers';
import { ConsoleSessions } from './sessions';

/** Where `npm run build` puts the console. */
export const CONSOLE_BUILD_DIR = path.join(PROJECT_ROOT, 'dist', 'console');

/** Google's Gemini API, whose Live WebSocket endpoint the "Try it" page connects to. */
const GEMINI_DEFAULT_URL = 'https://generativelanguage.googleapis.com';

export interface ConsoleOptions {
  adminToken: string | undefined;
  publicUrl: string;
  /** GEMINI_API_URL (an emulator), else Google's. */
  geminiApiUrl?: string;
  logger: Logger;
  /** Default CONSOLE_BUILD_DIR. */
  staticDir?: string;
}

export interface Console {
  module: HttpModule;
  /** The admin API's authentication: bearer token or console session. */
  authenticate: RequestHandler;
  sessions: ConsoleSessions;
}

export function createConsole(o: ConsoleOptions): Console {
  const sessions = new ConsoleSessions();
  const bearer = bearerAuth(o.adminToken);
  return {
    sessions,
    // Without ADMIN_TOKEN the admin API is off (503) whatever the request carries.
    authenticate: o.adminToken ? consoleAwareAuth({ bearer, sessions }) : bearer,
    module: createConsoleModule({
      adminToken: o.adminToken,
      sessions,
      staticDir: o.staticDir ?? CONSOLE_BUILD_DIR,
      publicUrl: o.publicUrl,
      connectSources: [websocketOrigin(o.geminiApiUrl ?? GEMINI_DEFAULT_URL)],
      logger: o.logger,
    }),
  };
}
