/**
 * A party who joins a conference while another is talking: the translation into their language
 * starts with that utterance from its first word (every interpreter leg hears the room, so the one
 * connected before them has heard it, or another when that one has gone), and carries nothing of
 * speech already over. What a route into their language translated before is not given again.
 */
import { conferenceRig } from './fakes/conference-rig';
import { prng } from './fakes/simulated-clock';

const ES = 'CA' + 'e'.repeat(32);
const EN = 'CA' + 'a'.repeat(32);
const EN2 = 'CA' + 'b'.repeat(32);
const DE = 'CA' + 'd'.repeat(32);
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

  it('hears, after leaving and coming back mid-utterance, only what was said while they were away', async () => {
    rig = await conferenceRig({ members: [ES], parties: PARTIES });
    await rig.joined(EN);
    rig.roomSays(audio(1200));
    expect(heardMs(rig, 'en')).toBeGreaterThanOrEqual(1200);
    // The agent leaves and comes back while the caller is still talking: what the first route
    // translated is not given again, what was said while it was gone is.
    await rig.left(EN);
    rig.roomSays(audio(400, 6000, 2));
    await rig.joined(EN);
    expect(heardMs(rig, 'en')).toBe(400);
  });

  it('hears it from its first word when the leg the room was heard on has gone', async () => {
    // The agent's whisper leg connects first; the agent leaves, and a German speaker joins while
    // the caller talks: the room is heard on the caller's leg since, with nothing lost.
    rig = await conferenceRig({ members: [EN, ES], parties: [...PARTIES, { legRef: DE, language: 'de', role: 'participant' }] });
    rig.roomSays(audio(600, 0));
    rig.roomSays(audio(600));
    await rig.left(EN);
    rig.roomSays(audio(600, 6000, 2));
    await rig.joined(DE);
    expect(heardMs(rig, 'de')).toBeGreaterThanOrEqual(1200);
    expect(heardMs(rig, 'de')).toBeLessThanOrEqual(1400);
  });

  it('hears it from its first word after everyone who spoke their language has left', async () => {
    rig = await conferenceRig({ members: [ES, EN], parties: [...PARTIES, { legRef: EN2, language: 'en', role: 'participant' }] });
    await rig.left(EN);
    rig.roomSays(audio(1000, 0));
    rig.roomSays(audio(1200));
    await rig.joined(EN2);
    expect(heardMs(rig, 'en')).toBeGreaterThanOrEqual(1200);
  });

  it('is given nothing of an utterance that ended while the leg the room was heard on went', async () => {
    const unknown = 'CA' + 'f'.repeat(32); // a party whose language nobody gave
    rig = await conferenceRig({ members: [EN, ES, unknown], parties: PARTIES });
    rig.roomSays(audio(1200));
    await rig.left(EN); // mid-utterance
    rig.roomSays(audio(3000, 0));
    await rig.hears('es', 'fr', 'bonjour'); // the unknown party speaks French: a route into it is made
    expect(heardMs(rig, 'fr')).toBe(0);
  });
});
