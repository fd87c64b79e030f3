/**
 * A WebSocket transport for @google/genai's Live module that tolk owns, so that:
 *  - a server frame that is not JSON is dropped and reported instead of reaching the SDK, whose
 *    message handler would otherwise JSON.parse it inside a floating promise and crash Node with an
 *    unhandled rejection (@google/genai 2.x and 3.x, handleWebSocketMessage);
 *  - tolk holds the socket, so it can terminate it (setup timeout, close without waiting for a dead
 *    peer's close handshake) and knows when it is truly closed.
 * Once a session is set up, its owner may take the parsed messages itself (`takeParsed`), so each
 * frame is parsed once. The SDK has no public hook for its transport; `installGuardedTransport`
 * swaps the Live instance's `webSocketFactory` field and fails loudly if an SDK upgrade changes
 * that shape.
 */
import WebSocket from 'ws';
import type { GoogleGenAI } from './genai';

/** What a client WebSocket tells its owner. */
export interface ClientSocketHandlers {
  open(): void;
  error(event: unknown): void;
  /** The SDK reads `code` and `reason` of the event. */
  close(event: { code: number; reason: string }): void;
  /** A text frame's data (a string), or whatever else the socket received. */
  message(data: unknown): void;
}

/** The part of a client WebSocket the guarded socket uses (a `ws` WebSocket, or an in-memory one). */
export interface ClientSocket {
  readonly readyState: number;
  send(data: string): void;
  /** Sends a text frame given as the bytes of its UTF-8 text (no string made of them). */
  sendText(text: Uint8Array): void;
  close(code?: number): void;
  terminate(): void;
}

/** Opens a client WebSocket to `url` and reports its events to `on`. */
export type OpenClientSocket = (url: string, headers: Record<string, string>, on: ClientSocketHandlers) => ClientSocket;

/** Over the network, with `ws`. */
export const openWsSocket: OpenClientSocket = (url, headers, on) => {
  // No permessage-deflate offer, whatever the service would accept: compressing one 100 ms chunk
  // costs ~0.6 ms of CPU to save a quarter of its bytes (more than two cores at 200 calls).
  const ws = new WebSocket(url, { headers, perMessageDeflate: false });
  ws.onopen = () => on.open();
  ws.onerror = (e) => on.error(e);
  ws.onclose = (e) => on.close(e);
  ws.onmessage = (e) => on.message(e.data);
  return {
    get readyState() {
      return ws.readyState;
    },
    send: (data) => ws.send(data),
    sendText: (text) => ws.send(text, { binary: false }),
    close: (code) => ws.close(code),
    terminate: () => ws.terminate(),
  };
};

/** Structural copy of the SDK's (unexported) WebSocketCallbacks. */
interface SdkSocketCallbacks {
  onopen: () => void;
  onerror: (e: unknown) => void;
  onmessage: (e: unknown) => void;
  onclose: (e: unknown) => void;
}

export interface GuardedSocketHooks {
  /** Called with a short description when a frame is dropped because it is not JSON. */
  onMalformedFrame(detail: string): void;
  /**
   * Offered every parsed server message first; returning true means it was handled and the SDK
   * does not see it (the SDK would parse the text a second time only to wrap it in a class).
   */
  takeParsed?(message: object): boolean;
  /** Called once the underlying socket is fully closed. */
  onSocketClosed?(): void;
}

export class GuardedSocket {
  private ws: ClientSocket | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly closedPromise: Promise<void>;
  private resolveClosed!: () => void;

  constructor(
    private readonly url: string,
    private readonly headers: Record<string, string>,
    private readonly callbacks: SdkSocketCallbacks,
    private readonly hooks: GuardedSocketHooks,
    private readonly openSocket: OpenClientSocket = openWsSocket,
  ) {
    this.closedPromise = new Promise((r) => (this.resolveClosed = r));
  }

  connect(): void {
    this.ws = this.openSocket(this.url, this.headers, {
      open: () => this.callbacks.onopen(),
      error: (e) => this.callbacks.onerror(e),
      close: (e) => {
        this.markClosed();
        this.callbacks.onclose(e);
      },
      message: (data) => this.onMessage(data),
    });
  }

  private onMessage(data: unknown): void {
    const text = typeof data === 'string' ? data : Buffer.isBuffer(data) ? data.toString('utf8') : undefined;
    if (text === undefined) {
      this.hooks.onMalformedFrame('unexpected frame payload type');
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      this.hooks.onMalformedFrame(`non-JSON frame (${text.length} chars)`);
      return;
    }
    if (typeof parsed === 'object' && parsed !== null && this.hooks.takeParsed?.(parsed)) return;
    this.callbacks.onmessage({ data: text });
  }

  send(message: string): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(message);
  }

  /** Sends a text frame from the bytes of its text (see `ClientSocket.sendText`). */
  sendText(text: Uint8Array): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.sendText(text);
  }

  /** Graceful close (as the SDK expects); escalates to terminate if the peer does not answer. */
  close(graceMs = 1000): void {
    const ws = this.ws;
    if (!ws || this.closed) return;
    if (ws.readyState === WebSocket.CONNECTING) {
      ws.terminate();
      return;
    }
    ws.close(1000);
    if (!this.killTimer) this.killTimer = setTimeout(() => ws.terminate(), graceMs);
  }

  terminate(): void {
    if (this.ws && !this.closed) this.ws.terminate();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Resolves when the socket is closed (immediately if it was never opened). */
  whenClosed(): Promise<void> {
    if (!this.ws) return Promise.resolve();
    return this.closedPromise;
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.killTimer) clearTimeout(this.killTimer);
    this.killTimer = undefined;
    this.resolveClosed();
    this.hooks.onSocketClosed?.();
  }
}

/** Factory handed to the SDK; remembers the sockets it made for the owner. */
export class GuardedSocketFactory {
  readonly sockets: GuardedSocket[] = [];

  constructor(
    private readonly hooks: GuardedSocketHooks,
    private readonly openSocket: OpenClientSocket = openWsSocket,
  ) {}

  create(url: string, headers: Record<string, string>, callbacks: SdkSocketCallbacks): GuardedSocket {
    const s = new GuardedSocket(url, headers, callbacks, this.hooks, this.openSocket);
    this.sockets.push(s);
    return s;
  }
}

/** Replaces the SDK's WebSocket transport on `ai.live` by a guarded one. */
export function installGuardedTransport(ai: GoogleGenAI, factory: GuardedSocketFactory): void {
  const live = ai.live as unknown as { webSocketFactory?: { create?: unknown } };
  if (typeof live.webSocketFactory?.create !== 'function') {
    throw new Error('@google/genai changed: ai.live.webSocketFactory not found; the malformed-frame guard cannot be installed (review src/translate/guarded-socket.ts)');
  }
  live.webSocketFactory = factory;
}
