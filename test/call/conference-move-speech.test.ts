/**
 * A conference moving to another instance while someone in the room talks, as the instance giving
 * it up sees it: the room's utterance in progress is handed over (from just before its start, one
 * copy for every language's route, since each hears the same room), and no line of it is written
 * here, on any route, unless the instance taking the call does not take it.
 */
import type { CallOwnership } from '../../src/call/ports';
import { conferenceRig } from './fakes/conference-rig';
import { flush } from './fakes/rig-fixtures';
import { prng } from './fakes/simulated-clock';

const ES = 'CA' + 'e'.repeat(32);
const EN = 'CA' + 'a'.repeat(32);
const DE = 'CA' + 'd'.repeat(32);
const PARTIES = [
  { legRef: ES, language: 'es', role: 'caller' },
  { legRef: EN, language: 'en', role: 'agent' },
  { legRef: DE, language: 'de', role: 'participant' },
];

/** A cluster's directory (calls can move): nothing in it is looked at here. */
const ownership: CallOwnership = {
  claim: () => Promise.resolve(),
  claimConference: () => Promise.resolve({ ok: true }),
  release: () => undefined,
  takeOver: () => Promise.resolve({ ok: true }),
  handBack: () => Promise.resolve({ ok: true }),
};

type Rig = Awaited<ReturnType<typeof conferenceRig>>;
let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** `ms` of seeded noise at a speaking level (8 kHz), or of silence. */
function audio(ms: number, amp = 6000, seed = 1): Int16Array {
  const rnd = prng(seed);
  return Int16Array.from({ length: ms * 8 }, () => (amp === 0 ? 0 : Math.round((rnd() * 2 - 1) * amp)));
}

/** The session into `target` reports an utterance `text`, said from `startMs` to `endMs` of its input. */
async function utterance(r: Rig, target: string, text: string, startMs: number, endMs: number): Promise<void> {
  const session = r.translators.created.filter((t) => t.targetLanguage === target && !t.closed).at(-1)!;
  session.fire('utterance', { source: { text, languageCode: 'en' }, translation: { text: `(${target}) ${text}`, languageCode: target }, startMs, endMs });
  await flush();
}

describe('a conference moving to another instance while someone talks, on the instance giving it up', () => {
  it("hands over the room's utterance in progress once, and writes no line of it on any language's route", async () => {
    rig = await conferenceRig({ members: [ES, EN, DE], parties: PARTIES, ownership });
    expect(rig.call.speechInProgress()).toEqual([]); // nobody talks yet
    rig.roomSays(audio(500)); // an utterance from 0 to 500 ms...
    rig.roomSays(audio(1000, 0)); // ...over
    rig.roomSays(audio(1500, 6000, 2)); // speaking since 1500 ms
    const handed = rig.call.speechInProgress();
    expect(handed.map((s) => s.endpoint)).toEqual(['room']);
    // From 100 ms before the detected start, at most: the utterance in progress, not the one before it.
    expect(handed[0].pcm.length).toBeGreaterThanOrEqual(1500 * 8);
    expect(handed[0].pcm.length).toBeLessThanOrEqual(1600 * 8 + 160);
    // The routes into Spanish and German both translate the English speaker: the one before the
    // move is written, the one handed over is not.
    for (const target of ['es', 'de']) {
      await utterance(rig, target, `uno ${target}`, 0, 500);
      await utterance(rig, target, `dos ${target}`, 1500, 3000);
    }
    expect((await rig.transcript()).map((l) => l.text)).toEqual(['uno es', 'uno de']);
  });

  it('writes its lines after all when the instance taking the call does not take it', async () => {
    rig = await conferenceRig({ members: [ES, EN, DE], parties: PARTIES, ownership });
    rig.roomSays(audio(1000, 0));
    rig.roomSays(audio(1500));
    expect(rig.call.speechInProgress()).toHaveLength(1);
    rig.call.keepSpeechInProgress();
    for (const target of ['es', 'de']) await utterance(rig, target, `dos ${target}`, 1000, 2500);
    expect((await rig.transcript()).map((l) => l.text)).toEqual(['dos es', 'dos de']);
  });

  it('keeps nothing to hand over where calls cannot move (no cluster), and writes every line', async () => {
    rig = await conferenceRig({ members: [ES, EN, DE], parties: PARTIES });
    rig.roomSays(audio(1000, 0));
    rig.roomSays(audio(1500));
    expect(rig.call.speechInProgress()).toEqual([]);
    for (const target of ['es', 'de']) await utterance(rig, target, `dos ${target}`, 1000, 2500);
    expect((await rig.transcript()).map((l) => l.text)).toEqual(['dos es', 'dos de']);
  });
});
