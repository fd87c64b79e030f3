/**
 * Ephemeral tokens for clients that connect to Gemini Live themselves (browsers, devices): minted
 * server-side with the API key, single use by default, short-lived, and locked to one translation
 * configuration so the client cannot change the model or the target language.
 */
import { GoogleGenAI, Modality } from './genai';
import { assertSupportedLanguage } from './languages';
import { DEFAULT_TRANSLATE_MODEL } from './gemini-translator';

export interface MintTranslateTokenOptions {
  apiKey: string;
  targetLanguage: string;
  echoTargetLanguage?: boolean;
  model?: string;
  /** Base URL of the API (emulator); default Google's. */
  baseUrl?: string;
  /** Sessions the token may open (default 1; 0 = unlimited). */
  uses?: number;
  /** Token lifetime (default 10 min). */
  expireInMs?: number;
  /** Window to open the first session (default 60 s). */
  newSessionWithinMs?: number;
  now?: () => number;
  /** HTTP client for the SDK (default: its own, on Node's fetch). Tests inject one: inside jest's VM
   * sandbox the SDK cannot find Node's global undici dispatcher. */
  fetch?: typeof fetch;
}

export interface TranslateToken {
  /** `auth_tokens/...`: pass as apiKey with apiVersion v1alpha. */
  token: string;
  expireTime: string;
  newSessionExpireTime: string;
}

export async function mintTranslateToken(o: MintTranslateTokenOptions): Promise<TranslateToken> {
  assertSupportedLanguage(o.targetLanguage);
  const now = (o.now ?? Date.now)();
  const expireTime = new Date(now + (o.expireInMs ?? 10 * 60_000)).toISOString();
  const newSessionExpireTime = new Date(now + (o.newSessionWithinMs ?? 60_000)).toISOString();
  const ai = new GoogleGenAI({ apiKey: o.apiKey, httpOptions: { apiVersion: 'v1alpha', ...(o.baseUrl ? { baseUrl: o.baseUrl } : {}), ...(o.fetch ? { fetch: o.fetch } : {}) } });
  const created = await ai.authTokens.create({
    config: {
      uses: o.uses ?? 1,
      expireTime,
      newSessionExpireTime,
      liveConnectConstraints: {
        model: o.model ?? DEFAULT_TRANSLATE_MODEL,
        config: {
          responseModalities: [Modality.AUDIO],
          inputAudioTranscription: {},
          outputAudioTranscription: {},
          translationConfig: { targetLanguageCode: o.targetLanguage, echoTargetLanguage: o.echoTargetLanguage ?? false },
        },
      },
      httpOptions: { apiVersion: 'v1alpha' },
    },
  });
  if (!created.name) throw new Error('auth_tokens.create returned no token name');
  return { token: created.name, expireTime, newSessionExpireTime };
}

/** What a client needs to open its session: the token, its limits, and where to connect. */
export interface ClientTranslateToken extends TranslateToken {
  model: string;
  /** The Live endpoint for ephemeral tokens (append `?access_token=<token>`). */
  liveUrl: string;
}

/** The WebSocket URL of the Live endpoint that takes ephemeral tokens (v1alpha, Constrained). */
export function constrainedLiveUrl(baseUrl = 'https://generativelanguage.googleapis.com'): string {
  const u = new URL(baseUrl);
  const origin = `${u.protocol === 'https:' ? 'wss:' : 'ws:'}//${u.host}`;
  return `${origin}/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained`;
}

/** Mints tokens for clients with the server's key; one per session the client opens. */
export class TranslateTokenMinter {
  constructor(private readonly o: Pick<MintTranslateTokenOptions, 'apiKey' | 'model' | 'baseUrl' | 'fetch' | 'expireInMs' | 'newSessionWithinMs'>) {}

  async mint(config: { targetLanguage: string; echoTargetLanguage?: boolean }): Promise<ClientTranslateToken> {
    const model = this.o.model ?? DEFAULT_TRANSLATE_MODEL;
    // Node's fetch through a plain wrapper: the SDK's own lookup of it fails inside some sandboxes (jest's VM).
    const fetcher = this.o.fetch ?? ((input: Parameters<typeof fetch>[0], init?: RequestInit) => fetch(input, init));
    const minted = await mintTranslateToken({ ...this.o, fetch: fetcher, model, uses: 1, targetLanguage: config.targetLanguage, echoTargetLanguage: config.echoTargetLanguage });
    return { ...minted, model, liveUrl: constrainedLiveUrl(this.o.baseUrl) };
  }
}
