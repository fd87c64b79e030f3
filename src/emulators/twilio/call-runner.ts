// The TwiML interpreter of one call: runs verbs in order on the call's frame clock, follows
// <Redirect>, Gather/Connect/Dial `action` URLs, and stops when aborted (hang-up, REST update).
// All I/O (fetching TwiML, opening streams, conferences) comes in through RunnerDeps.
import { FRAME_MS } from './frame-ticker';
import type { AudioActivity, CallMedia } from './call-media';
import { sayDurationSec, type ConferenceNoun, type StreamNoun, type TwimlVerb } from './twiml';
import type { WebhookKind } from './webhooks';

export interface TwimlDocument {
  verbs: TwimlVerb[];
  /** URL the document came from (base for relative URLs); undefined for inline TwiML. */
  url?: string;
}

export interface RunnerDeps {
  media: CallMedia;
  fetchDocument(kind: WebhookKind, url: string, method: string, extra: Record<string, string>): Promise<TwimlDocument>;
  /** Resolves when the stream ends: the server closed it, the handshake failed, or abort. */
  runStream(noun: StreamNoun, signal: AbortSignal): Promise<'closed' | 'failed' | 'aborted'>;
  /** Resolves when the caller leaves the conference; 'failed' if it could not join (error logged). */
  runConference(noun: ConferenceNoun, signal: AbortSignal): Promise<'ended' | 'aborted' | 'failed'>;
  /** Digits the party pressed and nobody consumed yet. */
  digits: { buffer: string };
  sayActivity(): AudioActivity;
  logVerb(verb: string, detail: Record<string, unknown>): void;
}

export type RunOutcome = 'hangup' | 'end' | 'aborted';

/** How many 20 ms frames `sec` seconds of audio take. */
export const frames = (sec: number): number => Math.round((sec * 1000) / FRAME_MS);

function resolveUrl(url: string, base: string | undefined): string {
  return new URL(url, base).toString();
}

export async function runTwiml(first: TwimlDocument, deps: RunnerDeps, signal: AbortSignal): Promise<RunOutcome> {
  let doc: TwimlDocument | undefined = first;
  while (doc) {
    const next = await runDocument(doc, deps, signal);
    if (next === 'hangup' || next === 'end' || next === 'aborted') return next;
    doc = next;
  }
  return 'end';
}

async function runDocument(doc: TwimlDocument, deps: RunnerDeps, signal: AbortSignal): Promise<TwimlDocument | RunOutcome> {
  const { media } = deps;
  const follow = (kind: WebhookKind, url: string, method: string, extra: Record<string, string> = {}) =>
    deps.fetchDocument(kind, resolveUrl(url, doc.url), method, extra);

  for (const v of doc.verbs) {
    if (signal.aborted) return 'aborted';
    switch (v.verb) {
      case 'Say': {
        deps.logVerb('Say', { text: v.text, loop: v.loop, voice: v.voice, language: v.language });
        media.setActivity(deps.sayActivity());
        const r = await media.waitFrames(frames(sayDurationSec(v.text, v.loop)), signal);
        media.setActivity(undefined);
        if (r === 'aborted') return 'aborted';
        break;
      }
      case 'Pause':
        deps.logVerb('Pause', { length: v.lengthSec });
        if ((await media.waitFrames(frames(v.lengthSec), signal)) === 'aborted') return 'aborted';
        break;
      case 'Hangup':
      case 'Reject':
        deps.logVerb(v.verb, {});
        return 'hangup';
      case 'Redirect':
        deps.logVerb('Redirect', { url: v.url, method: v.method });
        return follow('redirect', v.url, v.method);
      case 'Connect': {
        deps.logVerb('Connect', { action: v.action, stream: v.stream, unsupportedNoun: v.unsupportedNoun });
        if (v.stream) {
          const r = await deps.runStream(v.stream, signal);
          if (r === 'aborted') return 'aborted';
        }
        if (v.action) return follow('action', v.action, v.method);
        break;
      }
      case 'Gather': {
        deps.logVerb('Gather', { input: v.input, numDigits: v.numDigits, timeout: v.timeoutSec, action: v.action });
        const result = await gather(v, deps, signal);
        if (result === 'aborted') return 'aborted';
        if (result.digits !== '' || v.actionOnEmptyResult) {
          const extra: Record<string, string> = { Digits: result.digits };
          if (result.finishedOnKey !== undefined) extra.FinishedOnKey = result.finishedOnKey;
          return follow('action', v.action ?? doc.url ?? '', v.method, extra);
        }
        break;
      }
      case 'Dial': {
        deps.logVerb('Dial', { conference: v.conference?.name, target: v.target, action: v.action });
        if (!v.conference) break; // only <Conference> is emulated
        const r = await deps.runConference(v.conference, signal);
        if (r === 'aborted') return 'aborted';
        if (v.action) return follow('action', v.action, v.method, { DialCallStatus: r === 'failed' ? 'failed' : 'completed' });
        break;
      }
      case 'unsupported':
        deps.logVerb(v.name, { unsupported: true });
        break;
    }
  }
  return 'end';
}

type GatherVerb = Extract<TwimlVerb, { verb: 'Gather' }>;

async function gather(v: GatherVerb, deps: RunnerDeps, signal: AbortSignal): Promise<{ digits: string; finishedOnKey?: string } | 'aborted'> {
  const { media, digits } = deps;
  digits.buffer = '';
  const done = (): boolean =>
    (v.numDigits !== undefined && digits.buffer.length >= v.numDigits) || (v.finishOnKey !== '' && digits.buffer.includes(v.finishOnKey));
  // Nested <Say>/<Pause> play until the first key press (barge-in).
  for (const n of v.nested) {
    const len = n.verb === 'Say' ? sayDurationSec(n.text, n.loop) : n.verb === 'Pause' ? n.lengthSec : 0;
    if (n.verb === 'Say') {
      deps.logVerb('Say', { text: n.text, loop: n.loop, voice: n.voice, language: n.language, in: 'Gather' });
      media.setActivity(deps.sayActivity());
    }
    const r = await media.waitFrames(frames(len), signal, () => digits.buffer.length > 0);
    media.setActivity(undefined);
    if (r === 'aborted') return 'aborted';
    if (r === 'interrupted') break;
  }
  // Then wait `timeout` seconds after the last key (or after the prompt).
  for (;;) {
    if (done()) break;
    const before = digits.buffer.length;
    const r = await media.waitFrames(frames(v.timeoutSec), signal, () => digits.buffer.length !== before);
    if (r === 'aborted') return 'aborted';
    if (r === 'done') break;
  }
  let collected = digits.buffer;
  digits.buffer = '';
  let finishedOnKey: string | undefined;
  const k = v.finishOnKey === '' ? -1 : collected.indexOf(v.finishOnKey);
  if (k >= 0) {
    finishedOnKey = v.finishOnKey;
    collected = collected.slice(0, k);
  } else if (v.numDigits !== undefined) {
    collected = collected.slice(0, v.numDigits);
  }
  return { digits: collected, finishedOnKey };
}
