import path from 'node:path';
import twilio from 'twilio';
import { Readiness } from '../../../src/http/readiness';
import { createHttpServer, type HttpServer } from '../../../src/http/server';
import {
  InMemoryReplayStore,
  StreamTokens,
  createTwilioModule,
  createTwimlRenderer,
  streamStatusUrl,
  type MediaStreamOptions,
  type ReplayStore,
  type TwilioHandlers,
  type TwilioModule,
  type WsSignatureMode,
} from '../../../src/twilio';
import { captureLogger } from './logs';

export const ACCOUNT = 'AC' + '1'.repeat(32);
export const AUTH_TOKEN = 'auth-token-' + 'z'.repeat(24);
export const SECRET = 'media-stream-secret-' + 'q'.repeat(24);
export const PUBLIC_URL = 'https://tolk.example.com';
export const CALL = 'CA' + 'c'.repeat(32);

export function sign(url: string, params: Record<string, string>): string {
  return twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, params);
}

export interface Edge {
  http: HttpServer;
  module: TwilioModule;
  tokens: StreamTokens;
  logs: ReturnType<typeof captureLogger>;
  port: number;
  close(): Promise<void>;
}

export async function startEdge(opts: {
  handlers?: Partial<TwilioHandlers>;
  wsSignature?: WsSignatureMode;
  media?: Partial<MediaStreamOptions>;
  publicUrl?: string;
  listen?: boolean;
  webhookReplays?: ReplayStore;
  instance?: string;
} = {}): Promise<Edge> {
  const logs = captureLogger();
  const tokens = new StreamTokens({ secret: SECRET, replayStore: new InMemoryReplayStore() });
  const module = createTwilioModule({
    logger: logs.logger,
    publicUrl: opts.publicUrl ?? PUBLIC_URL,
    accountSid: ACCOUNT,
    authToken: AUTH_TOKEN,
    wsSignature: opts.wsSignature ?? 'log',
    tokens,
    twiml: createTwimlRenderer({ dir: path.resolve(__dirname, '../../../twiml'), streamStatusCallback: streamStatusUrl(opts.publicUrl ?? PUBLIC_URL) }),
    handlers: opts.handlers,
    media: opts.media,
    webhookReplays: opts.webhookReplays,
    instance: opts.instance,
  });
  const http = createHttpServer({ logger: logs.logger, readiness: new Readiness(), modules: [module] });
  let port = 0;
  if (opts.listen !== false) port = (await http.listen(0, '127.0.0.1')).port;
  return {
    http,
    module,
    tokens,
    logs,
    port,
    async close() {
      http.server.closeAllConnections();
      if (http.server.listening) await http.close();
    },
  };
}
