/**
 * Pure decoding of Live API server messages into the few facts a translator acts on.
 * One message may carry several of them (e.g. serverContent and usageMetadata together).
 */
import { base64ToInt16 } from '../audio/bytes';
import type { LiveServerMessage } from './genai';

export type ServerEvent =
  | { type: 'setupComplete' }
  | { type: 'audio'; pcm24k: Int16Array }
  | { type: 'inputTranscription'; text: string; languageCode?: string }
  | { type: 'outputTranscription'; text: string; languageCode?: string }
  | { type: 'goAway'; timeLeftMs: number | undefined }
  | { type: 'resumption'; handle: string | undefined; resumable: boolean }
  | { type: 'usage'; totalTokens: number };

/** Protobuf Duration JSON ("50s", "0.500s") to milliseconds. */
export function parseDurationMs(d: string | undefined): number | undefined {
  if (typeof d !== 'string') return undefined;
  const m = /^(-?\d+(?:\.\d+)?)s$/.exec(d.trim());
  return m ? Math.round(Number(m[1]) * 1000) : undefined;
}

export function decodeServerMessage(msg: LiveServerMessage): ServerEvent[] {
  const out: ServerEvent[] = [];
  if (msg.setupComplete) out.push({ type: 'setupComplete' });
  const content = msg.serverContent;
  if (content) {
    const inT = content.inputTranscription;
    if (inT && (inT.text !== undefined || inT.languageCode !== undefined)) {
      out.push({ type: 'inputTranscription', text: inT.text ?? '', languageCode: inT.languageCode });
    }
    for (const part of content.modelTurn?.parts ?? []) {
      const data = part.inlineData?.data;
      if (data && (part.inlineData?.mimeType ?? 'audio/pcm').startsWith('audio/pcm')) {
        out.push({ type: 'audio', pcm24k: base64ToInt16(data, { partialSample: 'drop' }) });
      }
    }
    const outT = content.outputTranscription;
    if (outT && (outT.text !== undefined || outT.languageCode !== undefined)) {
      out.push({ type: 'outputTranscription', text: outT.text ?? '', languageCode: outT.languageCode });
    }
  }
  if (msg.goAway) out.push({ type: 'goAway', timeLeftMs: parseDurationMs(msg.goAway.timeLeft) });
  if (msg.sessionResumptionUpdate) {
    out.push({ type: 'resumption', handle: msg.sessionResumptionUpdate.newHandle, resumable: msg.sessionResumptionUpdate.resumable === true });
  }
  if (msg.usageMetadata) out.push({ type: 'usage', totalTokens: msg.usageMetadata.totalTokenCount ?? 0 });
  return out;
}
