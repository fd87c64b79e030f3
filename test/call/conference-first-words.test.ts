/**
 * A party who joins a conference while another is talking: the translation into their language
 * starts with that utterance from its first word (every interpreter leg hears the room, so the one
 * connected before them has heard it), and carries nothing of speech already over. A route made
 * into a language a second time starts from then: nothing is translated twice.
 */
import { conferenceRig } from './fakes/conference-rig';
import { prng } from './fakes/simulated-clock';

const ES = 'CA' + 'e'.repeat(32);
const EN = 'CA' + 'a'.repeat(32);
const PARTIES = [
  { legRef: ES, language: 'es', role: 'caller' },
  { legRef: EN, language: 'en', role: 'agent' },
];

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

/** Ms of audio the open session into `language` has been given. */
function heardMs(r: Rig, language: string): number {
  const session = r.translators.created.filter((t) => t.targetLanguage === language && !t.closed).at(-1);
  return session ? (session.received * 1000) / (session.inputRate ?? 8000) : 0;
}

describe('a party who joins a conference while someone is talking', () => {
  it('hears the utterance in progress translated from its first word', async () => {
    rig = await conferenceRig({ members: [ES], parties: PARTIES });
    rig.roomSays(audio(1000, 0)); // the caller waits in the conference...
    rig.roomSays(audio(1200)); // ...and is talking when the agent joins
    expect(heardMs(rig, 'en')).toBe(0); // no one to translate into English for yet
    await rig.joined(EN);
    // From 100 ms before the caller's first word (the detector's onset, less its lead), not from now.
    expect(heardMs(rig, 'en')).toBeGreaterThanOrEqual(1200);
    expect(heardMs(rig, 'en')).toBeLessThanOrEqual(1400);
  });

  it('hears nothing of what was said and finished before they joined', async () => {
    rig = await conferenceRig({ members: [ES], parties: PARTIES });
    rig.roomSays(audio(1000, 0));
    rig.roomSays(audio(1200));
    rig.roomSays(audio(600, 0)); // the caller has stopped
    await rig.joined(EN);
    expect(heardMs(rig, 'en')).toBe(0);
  });

  it('is not given it again when the route into their language is made a second time', async () => {
    rig = await conferenceRig({ members: [ES], parties: PARTIES });
    await rig.joined(EN);
    rig.roomSays(audio(1200));
    const before = heardMs(rig, 'en');
    expect(before).toBeGreaterThanOrEqual(1200);
    // The agent leaves and comes back while the caller is still talking: the new route starts now.
    await rig.left(EN);
    rig.roomSays(audio(400, 6000, 2));
    await rig.joined(EN);
    expect(heardMs(rig, 'en')).toBe(0);
  });
});
