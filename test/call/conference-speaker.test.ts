/**
 * Who a conference transcript line names as its speaker. Every interpreter leg hears the whole
 * room, so a line's speaker is told from its language and from who was in the conference while it
 * was said: a line names a party only where no one else there could have said it, or, where the
 * conference reports who speaks, the one of those whose speech clearly covers it; no one otherwise.
 */
import { conferenceRig } from './fakes/conference-rig';

const ES = 'CA' + 'e'.repeat(32);
const EN = 'CA' + 'a'.repeat(32);
const GUEST = 'CA' + 'b'.repeat(32);
const OTHER = 'CA' + 'c'.repeat(32);

type Rig = Awaited<ReturnType<typeof conferenceRig>>;
/** A Spanish-speaking caller, an English-speaking agent, and a guest who speaks English too, all named. */
const sharingEnglish = (): Promise<Rig> =>
  conferenceRig({ members: [ES, EN, GUEST], parties: [{ legRef: ES, language: 'es' }, { legRef: EN, language: 'en' }, { legRef: GUEST, language: 'en' }] });
let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe("a conference transcript line's speaker", () => {
  it('is the one party who speaks its language, when every party is named', async () => {
    rig = await conferenceRig({ members: [ES, EN], parties: [{ legRef: ES, language: 'es' }, { legRef: EN, language: 'en' }] });
    rig.advance(3000);
    await rig.hears('en', 'es', 'hola');
    rig.advance(3000);
    await rig.hears('es', 'en', 'hello');
    expect(await rig.transcript()).toEqual([
      { text: 'hola', speaker: ES },
      { text: 'hello', speaker: EN },
    ]);
  });

  it('is written once per translation: the route into the language it was said in, which every route hears too, writes no line', async () => {
    rig = await conferenceRig({ members: [ES, EN], parties: [{ legRef: ES, language: 'es' }, { legRef: EN, language: 'en' }] });
    rig.advance(3000);
    await rig.hears('es', 'es', 'hola');
    await rig.hears('en', 'es', 'hola');
    expect(await rig.transcript()).toEqual([{ text: 'hola', speaker: ES }]);
  });

  it('is no one while a party whose language nobody named is there: they may be the one speaking', async () => {
    rig = await conferenceRig({ members: [ES, EN, GUEST], parties: [{ legRef: ES, language: 'es' }, { legRef: EN, language: 'en' }] });
    rig.advance(3000);
    // The guest speaks English too: a language already served, so theirs is never detected.
    await rig.hears('es', 'en', 'the guest speaks');
    rig.advance(3000);
    await rig.hears('es', 'en', 'the agent speaks');
    rig.advance(3000);
    await rig.hears('en', 'es', 'el cliente habla');
    // Once the guest has gone, the named parties are the only ones who can have spoken.
    await rig.left(GUEST);
    rig.advance(10_000);
    await rig.hears('es', 'en', 'the agent again');
    rig.advance(3000);
    await rig.hears('en', 'es', 'el cliente otra vez');
    expect(await rig.transcript()).toEqual([
      { text: 'the guest speaks', speaker: undefined },
      { text: 'the agent speaks', speaker: undefined },
      { text: 'el cliente habla', speaker: undefined },
      { text: 'the agent again', speaker: EN },
      { text: 'el cliente otra vez', speaker: ES },
    ]);
  });

  it('counts a party who left while their words were still being translated', async () => {
    rig = await sharingEnglish();
    rig.advance(3000);
    // The guest says goodbye and hangs up before the line is finished.
    await rig.left(GUEST);
    rig.advance(1500);
    await rig.hears('es', 'en', 'goodbye from the guest', 3000);
    rig.advance(10_000);
    await rig.hears('es', 'en', 'the agent carries on');
    expect(await rig.transcript()).toEqual([
      { text: 'goodbye from the guest', speaker: undefined },
      { text: 'the agent carries on', speaker: EN },
    ]);
  });

  it("is the party whose language was detected, when they were the only one whose language was not known", async () => {
    rig = await conferenceRig({ members: [EN, OTHER], parties: [{ legRef: EN, language: 'en' }] });
    rig.advance(3000);
    await rig.hears('en', 'es', 'hola');
    rig.advance(3000);
    await rig.hears('es', 'en', 'hello');
    expect(await rig.transcript()).toEqual([
      { text: 'hola', speaker: OTHER },
      { text: 'hello', speaker: EN },
    ]);
  });

  it('is no one when a detected language was given to one of several parties nobody named', async () => {
    rig = await conferenceRig({ members: [EN, GUEST, OTHER], parties: [{ legRef: EN, language: 'en' }] });
    rig.advance(3000);
    // Spanish is heard: either unnamed party may have said it; it is given to the first.
    await rig.hears('en', 'es', 'hola');
    rig.advance(3000);
    await rig.hears('en', 'es', 'otra vez');
    rig.advance(3000);
    await rig.hears('es', 'en', 'hello');
    expect((await rig.transcript()).map((l) => l.speaker)).toEqual([undefined, undefined, undefined]);
    expect(rig.call.snapshot().participants.find((p) => p.callSid === GUEST)?.language).toBe('es');
  });

  describe('where the conference reports who speaks', () => {
    /** `legRef` talks for `ms` (reported 100 ms after it starts and 500 ms after it stops), then the session into `target` finishes its line. */
    async function talk(r: Rig, legRefs: string[], target: string, heard: string, text: string, ms = 2000): Promise<void> {
      r.advance(100);
      for (const l of legRefs) r.speaks(l, true);
      r.advance(ms);
      await r.hears(target, heard, text, ms + 100);
      r.advance(500);
      for (const l of legRefs) r.speaks(l, false);
      r.advance(2000);
    }

    it('names which of two parties sharing a language said a line, and no one when they talked at once', async () => {
      rig = await sharingEnglish();
      rig.advance(3000);
      await talk(rig, [EN], 'es', 'en', 'the agent speaks');
      await talk(rig, [GUEST], 'es', 'en', 'the guest speaks');
      await talk(rig, [EN, GUEST], 'es', 'en', 'both at once');
      await talk(rig, [ES], 'en', 'es', 'el cliente habla');
      expect(await rig.transcript()).toEqual([
        { text: 'the agent speaks', speaker: EN },
        { text: 'the guest speaks', speaker: GUEST },
        { text: 'both at once', speaker: undefined },
        { text: 'el cliente habla', speaker: ES },
      ]);
    });

    it('names the speaker among parties whose language nobody named', async () => {
      rig = await conferenceRig({ members: [ES, EN, GUEST], parties: [{ legRef: ES, language: 'es' }, { legRef: EN, language: 'en' }] });
      rig.advance(3000);
      await talk(rig, [GUEST], 'es', 'en', 'the guest speaks');
      await talk(rig, [ES], 'en', 'es', 'el cliente habla');
      await talk(rig, [], 'es', 'en', 'nobody reported');
      expect(await rig.transcript()).toEqual([
        { text: 'the guest speaks', speaker: GUEST },
        { text: 'el cliente habla', speaker: ES },
        { text: 'nobody reported', speaker: undefined },
      ]);
    });

    it('drops a report older than the last of its member: a stop handled before its start leaves no one speaking', async () => {
      rig = await sharingEnglish();
      rig.advance(3000);
      // The agent's "ok": its stop (report 6) handled before its start (report 5).
      rig.speaks(EN, false, { sequence: 6 });
      rig.advance(50);
      rig.speaks(EN, true, { sequence: 5 });
      rig.advance(2000);
      rig.speaks(GUEST, true, { sequence: 7 });
      rig.advance(2000);
      await rig.hears('es', 'en', 'the guest speaks', 2100);
      rig.advance(500);
      rig.speaks(GUEST, false, { sequence: 8 });
      expect(await rig.transcript()).toEqual([{ text: 'the guest speaks', speaker: GUEST }]);
    });

    it('times a report from when it reached tolk, not when the call was handed it', async () => {
      rig = await sharingEnglish();
      rig.advance(3100);
      rig.speaks(EN, true, { sequence: 1 });
      rig.advance(2000);
      // The guest's start reached tolk 100 ms after the guest started and waited 1.9 s to be handed over.
      rig.speaks(GUEST, true, { sequence: 2, sinceArrivalMs: 1900 });
      rig.speaks(EN, false, { sequence: 3, sinceArrivalMs: 1950 });
      await rig.hears('es', 'en', 'the guest speaks', 2000);
      rig.advance(500);
      rig.speaks(GUEST, false, { sequence: 4 });
      expect(await rig.transcript()).toEqual([{ text: 'the guest speaks', speaker: GUEST }]);
    });
  });
});
