/**
 * The Gemini Live emulator's network side: an HTTP server for `POST /v1alpha/auth_tokens` and the
 * Live WebSocket endpoints, in-process for tests (`startGeminiEmulator`) and behind the CLI (main.ts).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { isSupportedLanguage } from '../../translate/languages';
import { CLOSE, REASONS, parseLivePath, truncateReason } from './protocol';
import { echoInterpreter, scriptInterpreter, type EchoVoices, type InterpreterFactory } from './responder';
import type { Script } from './script';
import { EmulatorSession, HandleRegistry, type EmulatorFaults } from './session';
import { TokenStore, tokenResponse, type StoredToken } from './tokens';

export type EmulatorMode = 'echo' | 'script';

export interface GeminiEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  mode?: EmulatorMode;
  /** Required for mode 'script'. */
  script?: Script;
  /** Language echo mode claims to hear: a code, or per target `en=es,es=en` (default 'es'). */
  language?: string;
  /** Echo mode: languages told by pitch, translations spoken as tones (see EchoVoices). */
  voices?: EchoVoices;
  /**
   * How far the translation trails the speech it translates, service ms (default 300): the model
   * translates while the speaker talks, each piece of speech this long after it was heard.
   */
  lagMs?: number;
  /** Real seconds per emulated second: 0.1 runs ten times faster (default 1), as in the Twilio emulator. */
  timeScale?: number;
  /** Accepted API keys; empty/undefined accepts any non-empty key. */
  apiKeys?: string[];
  /** Known model ids (default ['gemini-3.5-live-translate-preview']). */
  models?: string[];
  usageIntervalMs?: number;
  resumptionIntervalMs?: number;
  outputChunkMs?: number;
  /** Faults applied to every new connection (change later with setFaults). */
  faults?: EmulatorFaults;
  /** Energy-detector tuning: threshold, pause that ends an utterance, utterance length limits. */
  detector?: { threshold?: number; pauseMs?: number; minSpeechMs?: number; maxUtteranceMs?: number };
  /** Accept permessage-deflate when offered (default false; the real service's choice is undocumented). */
  perMessageDeflate?: boolean;
}

export interface GeminiEmulatorStats {
  connectionsOpen: number;
  connectionsTotal: number;
  setups: number;
  samplesReceived: number;
  outputSamples: number;
  tokensIssued: number;
  tokensConsumed: number;
  constrainedConnections: number;
}

export interface GeminiEmulator {
  /** http://host:port — use as the SDK's baseUrl. */
  url: string;
  port: number;
  stats(): GeminiEmulatorStats;
  /** Every connection so far (tests drive faults per connection through these). */
  readonly sessions: readonly EmulatorSession[];
  /** Resolves with the next connection's session. */
  nextSession(): Promise<EmulatorSession>;
  /** Replaces the faults applied to connections opened from now on. */
  setFaults(f: EmulatorFaults): void;
  /** Switches to script mode with `script` for connections opened from now on (e.g. per demo call). */
  setScript(script: Script): void;
  close(): Promise<void>;
}

const DEFAULT_MODEL = 'gemini-3.5-live-translate-preview';
export const DEFAULT_LAG_MS = 300;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Request target to URL; collapses `//` first (the SDK sends `//ws/...`, a protocol-relative URL otherwise). */
function requestUrl(raw: string | undefined): URL {
  const target = raw ?? '/';
  const q = target.indexOf('?');
  const path = (q < 0 ? target : target.slice(0, q)).replace(/\/{2,}/g, '/');
  return new URL(path + (q < 0 ? '' : target.slice(q)), 'http://emulator');
}

function googleError(res: ServerResponse, status: number, message: string, statusText: string): void {
  sendJson(res, status, { error: { code: status, message, status: statusText } });
}

export async function startGeminiEmulator(opts: GeminiEmulatorOptions = {}): Promise<GeminiEmulator> {
  const mode = opts.mode ?? 'echo';
  if (mode === 'script' && !opts.script) throw new Error("mode 'script' needs a script");
  let interpreter: InterpreterFactory = mode === 'script' ? scriptInterpreter(opts.script!) : echoInterpreter(opts.language ?? 'es', opts.voices);
  const models = opts.models ?? [DEFAULT_MODEL];
  const timeScale = opts.timeScale ?? 1;
  let faults: EmulatorFaults = { ...(opts.faults ?? {}) };
  const tokens = new TokenStore();
  const handles = new HandleRegistry();
  const sessions: EmulatorSession[] = [];
  const sockets = new Set<WebSocket>();
  let waiters: ((s: EmulatorSession) => void)[] = [];
  const counters = { connectionsTotal: 0, constrainedConnections: 0 };

  const keyOk = (key: string | null): boolean => !!key && (!opts.apiKeys || opts.apiKeys.length === 0 || opts.apiKeys.includes(key));

  const onHttp = (req: IncomingMessage, res: ServerResponse): void => {
    const url = requestUrl(req.url);
    const path = url.pathname;
    if (path !== '/v1alpha/auth_tokens' || req.method !== 'POST') {
      googleError(res, 404, `Method not found: ${req.method} ${path}`, 'NOT_FOUND');
      return;
    }
    const headerKey = req.headers['x-goog-api-key'];
    const key = (typeof headerKey === 'string' ? headerKey : null) ?? url.searchParams.get('key');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (!keyOk(key)) return googleError(res, 400, REASONS.badKey, 'INVALID_ARGUMENT');
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return googleError(res, 400, 'Invalid JSON payload received.', 'INVALID_ARGUMENT');
      }
      const r = tokens.create(body, Date.now());
      if (!r.ok) return googleError(res, 400, r.message, 'INVALID_ARGUMENT');
      sendJson(res, 200, tokenResponse(r.token));
    });
  };

  const server = createServer(onHttp);
  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024, perMessageDeflate: opts.perMessageDeflate ?? false });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = requestUrl(req.url);
    const endpoint = parseLivePath(url.pathname);
    if (!endpoint) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      let token: StoredToken | undefined;
      sockets.add(ws);
      counters.connectionsTotal++;
      const close = (code: number, reason: string): void => ws.close(code, truncateReason(reason));
      ws.on('close', () => sockets.delete(ws));
      ws.on('error', () => ws.terminate());
      const tokenName = url.searchParams.get('access_token') ?? '';
      if (endpoint.constrained) {
        counters.constrainedConnections++;
        token = tokens.find(tokenName, Date.now());
        if (!token) return close(CLOSE.invalidArgument, REASONS.badToken);
        // The service stops taking messages at the token's expireTime; its close code is undocumented.
        const expiry = setTimeout(() => close(CLOSE.policy, REASONS.tokenExpired), token.expireTime - Date.now());
        ws.on('close', () => clearTimeout(expiry));
      } else if (!keyOk(url.searchParams.get('key'))) {
        return close(CLOSE.invalidArgument, REASONS.badKey);
      }
      const session = new EmulatorSession(
        {
          id: counters.connectionsTotal,
          endpoint,
          knownModels: models,
          isSupportedLanguage,
          interpreter,
          lagMs: opts.lagMs ?? DEFAULT_LAG_MS,
          timeScale,
          usageIntervalMs: opts.usageIntervalMs ?? 1000,
          resumptionIntervalMs: opts.resumptionIntervalMs ?? 3000,
          outputChunkMs: opts.outputChunkMs ?? 100,
          faults: { ...faults },
          detector: opts.detector,
          token,
          spendTokenUse: token ? () => tokens.consume(tokenName, Date.now()) : undefined,
          handles,
        },
        {
          send: (msg) => ws.send(Buffer.from(JSON.stringify(msg), 'utf8'), { binary: true }),
          sendRaw: (text) => ws.send(Buffer.from(text, 'utf8'), { binary: true }),
          close,
          drop: () => ws.terminate(),
        },
      );
      session.stats.compressed = ws.extensions.includes('permessage-deflate');
      ws.on('close', () => session.dispose());
      sessions.push(session);
      const s = session;
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        void isBinary;
        s.onFrame(data.toString('utf8'));
      });
      const w = waiters;
      waiters = [];
      for (const resolve of w) resolve(s);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1';

  return {
    url: `http://${host}:${port}`,
    port,
    sessions,
    stats: () => ({
      connectionsOpen: sockets.size,
      connectionsTotal: counters.connectionsTotal,
      setups: sessions.filter((s) => s.isSetUp).length,
      samplesReceived: sessions.reduce((a, s) => a + s.stats.samplesReceived, 0),
      outputSamples: sessions.reduce((a, s) => a + s.stats.outputSamples, 0),
      tokensIssued: tokens.issued,
      tokensConsumed: tokens.consumed,
      constrainedConnections: counters.constrainedConnections,
    }),
    nextSession: () => new Promise((resolve) => waiters.push(resolve)),
    setFaults: (f) => {
      faults = { ...f };
    },
    setScript: (script) => {
      interpreter = scriptInterpreter(script);
    },
    close: async () => {
      for (const s of sessions) s.dispose();
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
