/**
 * The console's server side, assembled: its HTTP module (pages and sign-in) and the admin API
 * authentication that also admits console sessions. The composition root calls `createConsole`.
 */
import path from 'node:path';
import type { Request, RequestHandler } from 'express';
import { PROJECT_ROOT } from '../../config/paths';
import type { Logger } from '../../log/logger';
import { bearerAuth } from '../auth';
import type { HttpModule } from '../server';
import { consoleAwareAuth } from './console-auth';
import { createConsoleModule } from './module';
import { websocketOrigin } from './security-headers';
import { ConsoleSessions } from './sessions';
import { readSessionId } from './session-cookie';

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
  /**
   * For an admitted request that stays open (the live event stream): whether it may go on. A
   * console session may end (signed out, expired, idle: a stream alone does not keep it in use);
   * a bearer token holds while tolk runs.
   */
  stillAuthorized: (req: Request) => () => boolean;
}

export function createConsole(o: ConsoleOptions): Console {
  const sessions = new ConsoleSessions();
  const bearer = bearerAuth(o.adminToken);
  return {
    sessions,
    stillAuthorized: (req) => {
      const id = req.get('authorization') === undefined ? readSessionId(req) : undefined;
      return id === undefined ? () => true : () => sessions.alive(id, Date.now());
    },
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
