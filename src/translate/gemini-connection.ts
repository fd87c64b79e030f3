/**
 * One Gemini Live translate connection (one WebSocket), opened through the real @google/genai SDK
 * with tolk's guarded transport. It knows nothing about reconnects or hand-overs: it reports what
 * happened (decoded events, close code/reason, malformed frames) and the translator decides.
 */
import { GoogleGenAI, Modality, type LiveConnectConfig, type LiveServerMessage, type Session } from './genai';
import { GuardedSocketFactory, installGuardedTransport, type GuardedSocket, type OpenClientSocket } from './guarded-socket';
import { classifyClose, classifyConnectError, type CloseVerdict } from './close-classifier';
import { int16ToBase64 } from '../audio/bytes';
import { ByteSlab } from './byte-slab';
import { decodeServerMessage, type ServerEvent } from './server-message';

export interface GeminiEndpoint {
  apiKey: string;
  model: string;
  /** Base URL (http/https) of the API; default is Google's. Used to reach an emulator. */
  baseUrl?: string;
  /** Set explicitly: the SDK's default differs between releases (v1beta in 2.x, v1 in 3.x). */
  apiVersion: string;
  /** How the Live WebSocket is opened; default: over the network (`ws`). */
  openSocket?: OpenClientSocket;
}

export interface ConnectionParams extends GeminiEndpoint {
  targetLanguage: string;
  echoTargetLanguage: boolean;
  /** Ask for session-resumption handles; resume from `resumptionHandle` when given. */
  sessionResumption: boolean;
  resumptionHandle?: string;
  setupTimeoutMs: number;
}

export interface ConnectionHandlers {
  onEvent(e: ServerEvent): void;
  /** Socket closed after setup completed (not called for failures reported by open()). */
  onClose(code: number, reason: string): void;
  onMalformedFrame(detail: string): void;
}

export class ConnectFailure extends Error {
  constructor(
    public readonly verdict: CloseVerdict,
    public readonly code: number | undefined,
    public readonly reason: string,
  ) {
    super(`Gemini Live setup failed (${code ?? 'no close code'}): ${reason}`);
    this.name = 'ConnectFailure';
  }
}

export const AUDIO_IN_MIME = 'audio/pcm;rate=16000';

const AUDIO_MESSAGE_HEAD = '{"realtimeInput":{"audio":{"data":"';
const AUDIO_MESSAGE_TAIL = `","mimeType":"${AUDIO_IN_MIME}"}}}`;

const AUDIO_HEAD_BYTES = Buffer.from(AUDIO_MESSAGE_HEAD, 'latin1');
const AUDIO_TAIL_BYTES = Buffer.from(AUDIO_MESSAGE_TAIL, 'latin1');
const audioMessages = new ByteSlab();

/**
 * The Live API message that carries one chunk of input audio, as the bytes of its text: the very
 * text the SDK's `sendRealtimeInput({ audio })` writes for the Gemini API, put together from its
 * fixed parts. The SDK gets there through its generic parameter conversion and a JSON.stringify
 * that scans the whole base64 text, about ten times the cost per chunk; base64 needs no JSON
 * escaping. Built as bytes, it is sent as they are: no joined string to flatten and encode again.
 */
export function audioInputMessage(pcm16k: Int16Array): Buffer {
  const base64 = int16ToBase64(pcm16k);
  const head = AUDIO_HEAD_BYTES.length;
  const out = audioMessages.take(head + base64.length + AUDIO_TAIL_BYTES.length);
  AUDIO_HEAD_BYTES.copy(out, 0);
  out.write(base64, head, 'latin1');
  AUDIO_TAIL_BYTES.copy(out, head + base64.length);
  return out;
}

export function translateConnectConfig(p: Pick<ConnectionParams, 'targetLanguage' | 'echoTargetLanguage' | 'sessionResumption' | 'resumptionHandle'>): LiveConnectConfig {
  const config: LiveConnectConfig = {
    responseModalities: [Modality.AUDIO],
    inputAudioTranscription: {},
    outputAudioTranscription: {},
    translationConfig: { targetLanguageCode: p.targetLanguage, echoTargetLanguage: p.echoTargetLanguage },
  };
  if (p.sessionResumption) config.sessionResumption = p.resumptionHandle ? { handle: p.resumptionHandle } : {};
  return config;
}

export class GeminiConnection {
  private readonly factory: GuardedSocketFactory;
  private session: Session | undefined;
  private setupDone = false;
  private closing = false;
  private lastClose: { code: number; reason: string } | undefined;
  private lastError: string | undefined;
  private timedOut = false;

  constructor(
    private readonly params: ConnectionParams,
    private readonly handlers: ConnectionHandlers,
  ) {
    this.factory = new GuardedSocketFactory({
      onMalformedFrame: (d) => this.handlers.onMalformedFrame(d),
      // After setup the SDK only parses and wraps each message (Developer API: no field mapping);
      // tolk reads the plain parsed object instead of having every frame parsed twice.
      takeParsed: (m) => {
        if (!this.setupDone || this.closing) return false;
        this.dispatch(m as LiveServerMessage);
        return true;
      },
    }, params.openSocket);
  }

  /** Resolves once setupComplete arrived; rejects with ConnectFailure otherwise. */
  async open(): Promise<void> {
    const p = this.params;
    const ai = new GoogleGenAI({ apiKey: p.apiKey, httpOptions: { apiVersion: p.apiVersion, ...(p.baseUrl ? { baseUrl: p.baseUrl } : {}) } });
    installGuardedTransport(ai, this.factory);
    // The SDK's connect() (2.x) never settles when the socket fails or closes before setupComplete,
    // so the setup is raced against the close (or the deadline) seen here.
    let failSetup: (err: Error) => void = () => undefined;
    const setupFailed = new Promise<never>((_, reject) => (failSetup = reject));
    setupFailed.catch(() => undefined);
    const timer = setTimeout(() => {
      this.timedOut = true;
      this.terminateSockets();
      failSetup(new Error('setup timeout'));
    }, p.setupTimeoutMs);
    try {
      const connecting = ai.live.connect({
        model: p.model,
        config: translateConnectConfig(p),
        callbacks: {
          onmessage: (m: LiveServerMessage) => this.dispatch(m),
          onerror: (e: { message?: string }) => {
            this.lastError = e?.message ?? 'WebSocket error';
          },
          onclose: (e: { code?: number; reason?: string }) => {
            this.lastClose = { code: e?.code ?? 1006, reason: e?.reason ?? '' };
            if (this.setupDone && !this.closing) this.handlers.onClose(this.lastClose.code, this.lastClose.reason);
            else if (!this.setupDone) failSetup(new Error(`closed before setup completed (${this.lastClose.code})`));
          },
        },
      });
      connecting.catch(() => undefined);
      this.session = await Promise.race([connecting, setupFailed]);
    } catch (err) {
      throw this.describeFailure(err);
    } finally {
      clearTimeout(timer);
    }
    if (this.closing) {
      this.terminateSockets();
      throw new ConnectFailure({ retryable: false, kind: 'unknown' }, undefined, 'closed during setup');
    }
    this.setupDone = true;
  }

  sendAudio(pcm16k: Int16Array): boolean {
    const socket = this.liveSocket();
    if (!this.session || this.closing || !socket) return false;
    socket.sendText(audioInputMessage(pcm16k));
    return true;
  }

  get isOpen(): boolean {
    return this.liveSocket() !== undefined;
  }

  /** The session's socket, once set up and while not closed. */
  private liveSocket(): GuardedSocket | undefined {
    const s = this.factory.sockets[this.factory.sockets.length - 1];
    return this.setupDone && s !== undefined && !s.isClosed ? s : undefined;
  }

  /** Closes (or aborts a pending setup); resolves when every socket is closed. */
  async close(): Promise<void> {
    this.closing = true;
    for (const s of this.factory.sockets) {
      if (this.setupDone) s.close();
      else s.terminate();
    }
    await Promise.all(this.factory.sockets.map((s) => s.whenClosed()));
  }

  private terminateSockets(): void {
    for (const s of this.factory.sockets) s.terminate();
  }

  private dispatch(m: LiveServerMessage): void {
    if (this.closing) return;
    try {
      for (const e of decodeServerMessage(m)) this.handlers.onEvent(e);
    } catch (err) {
      // Never let an exception escape into the SDK's floating promise.
      this.handlers.onMalformedFrame(`unusable message: ${(err as Error).message}`);
    }
  }

  private describeFailure(err: unknown): ConnectFailure {
    if (err instanceof ConnectFailure) return err;
    if (this.timedOut) {
      return new ConnectFailure({ retryable: true, kind: 'setup_timeout' }, undefined, `no setupComplete within ${this.params.setupTimeoutMs} ms`);
    }
    if (this.closing) return new ConnectFailure({ retryable: false, kind: 'unknown' }, undefined, 'closed during setup');
    const message = err instanceof Error ? err.message : String(err);
    if (this.lastClose && this.lastClose.code !== 1006) {
      return new ConnectFailure(classifyClose(this.lastClose.code, this.lastClose.reason), this.lastClose.code, this.lastClose.reason || message);
    }
    const verdict = classifyConnectError(this.lastError ?? message);
    return new ConnectFailure(verdict, this.lastClose?.code, this.lastError ?? message);
  }
}
