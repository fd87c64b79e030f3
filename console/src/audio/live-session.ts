/**
 * A Gemini Live translate session opened by the browser with an ephemeral token: the
 * `BidiGenerateContentConstrained` WebSocket with `?access_token=`, the documented `setup`
 * message, 16 kHz audio in as `realtimeInput`, and transcriptions and 24 kHz audio out. The token
 * (minted by tolk) fixes the model and the translation configuration; the API key never comes here.
 */
import { base64ToInt16, int16ToBase64 } from './pcm';

export interface ClientToken {
  token: string;
  model: string;
  liveUrl: string;
  expireTime: string;
}

export interface LiveHandlers {
  input(text: string, languageCode: string | undefined): void;
  output(text: string, languageCode: string | undefined): void;
  audio(pcm24k: Int16Array): void;
  closed(code: number, reason: string): void;
}

interface Transcription {
  text?: string;
  languageCode?: string;
}

interface ServerMessage {
  setupComplete?: unknown;
  serverContent?: {
    inputTranscription?: Transcription;
    outputTranscription?: Transcription;
    modelTurn?: { parts?: { inlineData?: { data?: string; mimeType?: string } }[] };
  };
}

const SETUP_TIMEOUT_MS = 15_000;

export class LiveTranslateSession {
  private closedByUs = false;

  private constructor(private readonly ws: WebSocket) {}

  static open(t: ClientToken, config: { targetLanguage: string; echoTargetLanguage: boolean }, on: LiveHandlers): Promise<LiveTranslateSession> {
    const ws = new WebSocket(`${t.liveUrl}?access_token=${encodeURIComponent(t.token)}`);
    ws.binaryType = 'arraybuffer';
    const session = new LiveTranslateSession(ws);
    const decoder = new TextDecoder();
    return new Promise((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(() => {
        reject(new Error('the translation service did not answer in time'));
        ws.close();
      }, SETUP_TIMEOUT_MS);
      ws.onopen = () => {
        ws.send(
          JSON.stringify({
            setup: {
              model: t.model.startsWith('models/') ? t.model : `models/${t.model}`,
              generationConfig: { responseModalities: ['AUDIO'], translationConfig: { targetLanguageCode: config.targetLanguage, echoTargetLanguage: config.echoTargetLanguage } },
              inputAudioTranscription: {},
              outputAudioTranscription: {},
            },
          }),
        );
      };
      ws.onmessage = (e: MessageEvent<ArrayBuffer | string>) => {
        let msg: ServerMessage;
        try {
          msg = JSON.parse(typeof e.data === 'string' ? e.data : decoder.decode(e.data)) as ServerMessage;
        } catch {
          return;
        }
        if (msg.setupComplete !== undefined && !ready) {
          ready = true;
          clearTimeout(timer);
          resolve(session);
        }
        const c = msg.serverContent;
        if (!c) return;
        if (c.inputTranscription?.text) on.input(c.inputTranscription.text, c.inputTranscription.languageCode);
        if (c.outputTranscription?.text) on.output(c.outputTranscription.text, c.outputTranscription.languageCode);
        for (const part of c.modelTurn?.parts ?? []) if (part.inlineData?.data) on.audio(base64ToInt16(part.inlineData.data));
      };
      ws.onclose = (e) => {
        clearTimeout(timer);
        if (!ready) reject(new Error(e.reason || `the translation service closed the connection (${e.code})`));
        else if (!session.closedByUs) on.closed(e.code, e.reason);
      };
    });
  }

  sendAudio(pcm16k: Int16Array): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(JSON.stringify({ realtimeInput: { audio: { data: int16ToBase64(pcm16k), mimeType: 'audio/pcm;rate=16000' } } }));
  }

  close(): void {
    this.closedByUs = true;
    this.ws.close(1000);
  }
}
