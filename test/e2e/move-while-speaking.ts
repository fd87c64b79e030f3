/**
 * The rolling deploy of the move-speech tests: a party is 1.5 s into an utterance when tolk-a,
 * serving the call, is told to stop; the call moves to tolk-b, and after some seconds of quiet the
 * caller hangs up.
 */
import type { CallWithTranscriptJson, UtteranceJson } from '../../src/shared/call-json';
import type { Cluster } from './cluster-helpers';
import { waitUntil } from './harness';

/**
 * `speaker` (a call SID) says `utterance`; 1.5 s into it tolk-a gets SIGTERM and exits cleanly, and
 * the call whose caller leg is `caller` is then on tolk-b, moved once. 6 s later (for the
 * translations to play out) the caller hangs up: the call's record once it ended, completed on tolk-b.
 */
export async function moveWhileSpeaking(cluster: Cluster, caller: string, speaker: string, utterance: Int16Array): Promise<CallWithTranscriptJson> {
  const { twilio, tolks, callOf } = cluster;
  twilio.say(speaker, utterance);
  await new Promise((r) => setTimeout(r, 1500));
  const a = tolks.get('tolk-a')!;
  a.child.kill('SIGTERM');
  expect(await a.exitWithin(30_000)).toBe(0);
  let moved: CallWithTranscriptJson | undefined;
  await waitUntil(async () => (moved = await callOf<CallWithTranscriptJson>(caller).catch(() => undefined)) !== undefined, 10_000, 'the call record');
  expect(moved).toMatchObject({ instance: 'tolk-b', moves: [{ from: 'tolk-a', to: 'tolk-b' }] });
  await new Promise((r) => setTimeout(r, 6000));
  twilio.hangup(caller);
  let ended: CallWithTranscriptJson | undefined;
  await waitUntil(async () => (ended = await callOf<CallWithTranscriptJson>(caller).catch(() => undefined))?.outcome !== undefined, 30_000, 'the call to end');
  expect(ended).toMatchObject({ outcome: 'completed', instance: 'tolk-b' });
  return ended!;
}

/** How long the English speech of each line was, as the Gemini emulator's echo names it (`[en speech 2.9 s]`); NaN where it does not. */
export function englishSpeechSeconds(lines: readonly UtteranceJson[]): number[] {
  return lines.map((l) => Number(/\[en speech ([\d.]+) s\]/.exec(l.source.text)?.[1] ?? NaN));
}
