/**
 * A caller on a number in conference mode, as the call record tells it afterwards: every party who
 * spoke is listed with their role and language (a third party who shares the agent's language
 * included: the conference's speech reports tell tolk it was them), and the call's end says what
 * happened in the parties' terms, whichever report of it reached tolk first.
 */
import { callDetail } from '../../src/cli/output';
import type { CallWithTranscriptJson } from '../../src/cli/api-client';
import { decodeMulaw } from '../../src/audio';
import { TICK_FAILED } from '../../src/call/direct-call';
import { conferenceRig } from './fakes/conference-rig';
import { AGENT, CALLER, ownedConference, type OwnedConferenceRig } from './fakes/owned-conference-rig';

const SUPERVISOR = 'CA' + '3'.repeat(32);
const sine = (n: number, amp: number, period: number): Int16Array => Int16Array.from({ length: n }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * i) / period)));
const rms = (pcm: Int16Array): number => Math.sqrt(pcm.reduce((a, v) => a + v * v, 0) / Math.max(1, pcm.length));

let rig: OwnedConferenceRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** The record's parties: role, call SID, language and how it became known. */
const partiesOf = (legs: { role: string; callSid: string; language: string; languageSource?: string }[]) =>
  legs.filter((l) => l.role !== 'interpreter').map((l) => [l.role, l.callSid, l.language, l.languageSource]);

describe('a third party in a conference tolk runs, who speaks the agent\'s language', () => {
  it('is listed in the record with that language and their role once two lines are theirs, and named on their lines', async () => {
    rig = await ownedConference();
    // A supervisor dials in: nobody named their language, and English is served already.
    await rig.joined(SUPERVISOR);
    rig.advance(3000);
    expect(partiesOf((await rig.record()).legs)).toEqual([
      ['caller', CALLER, 'es', undefined],
      ['agent', AGENT, 'en', undefined],
    ]);

    await rig.talk([SUPERVISOR], 'es', 'en', 'I am the supervisor');
    await rig.talk([SUPERVISOR], 'es', 'en', 'and I am listening');
    await rig.talk([AGENT], 'es', 'en', 'the agent speaks');
    await rig.talk([CALLER], 'en', 'es', 'hola');
    const record = await rig.record();
    expect(partiesOf(record.legs)).toEqual([
      ['caller', CALLER, 'es', undefined],
      ['agent', AGENT, 'en', undefined],
      ['participant', SUPERVISOR, 'en', 'spoken'],
    ]);
    expect(record.transcript.map((u) => [u.source.text, u.speaker])).toEqual([
      ['I am the supervisor', { role: 'participant', callSid: SUPERVISOR }],
      ['and I am listening', { role: 'participant', callSid: SUPERVISOR }],
      ['the agent speaks', { role: 'agent', callSid: AGENT }],
      ['hola', { role: 'caller', callSid: CALLER }],
    ]);
    // The interpreter's view of the conference says so too (tolk conferences show).
    expect(rig.call.snapshot().participants).toContainEqual({ callSid: SUPERVISOR, role: 'participant', language: 'en' });
    // tolk calls show lists them among the parties.
    const shown = callDetail(JSON.parse(JSON.stringify({ ...record, droppedUtterances: 0 })) as CallWithTranscriptJson);
    expect(shown).toContain(`participant ${SUPERVISOR} (en)`);
  });

  it('hears the caller translated into English from then on, on their own interpreter leg', async () => {
    rig = await ownedConference();
    await rig.joined(SUPERVISOR);
    rig.advance(3000);
    const supervisor = rig.leg('to-party-1');
    const agent = rig.leg('to-agent');
    const englishHeard = (): [number, number] => {
      const [s, a] = [supervisor.sent.length, agent.sent.length];
      rig!.translators.created.filter((t) => t.targetLanguage === 'en' && !t.closed).at(-1)!.fire('audio', sine(1600, 12000, 16));
      rig!.clock.tick(30);
      return [rms(decodeMulaw(Buffer.concat(supervisor.sent.slice(s)))), rms(decodeMulaw(Buffer.concat(agent.sent.slice(a))))];
    };
    // While nobody knows their language, the English translation reaches the agent alone.
    const [before, agentBefore] = englishHeard();
    expect(agentBefore).toBeGreaterThan(5000);
    expect(before).toBe(0);
    await rig.talk([SUPERVISOR], 'es', 'en', 'I am the supervisor');
    await rig.talk([SUPERVISOR], 'es', 'en', 'and I am listening');
    const [after, agentAfter] = englishHeard();
    expect(after).toBeGreaterThan(5000);
    expect(agentAfter).toBeGreaterThan(5000);
  });

  it('is listed when they spoke and hung up before their line was finished', async () => {
    rig = await ownedConference();
    await rig.joined(SUPERVISOR);
    rig.advance(3000);
    await rig.talk([SUPERVISOR], 'es', 'en', 'I have to go');
    rig.speaks(SUPERVISOR, true);
    rig.advance(2000);
    rig.speaks(SUPERVISOR, false);
    await rig.left(SUPERVISOR, 'hung-up');
    rig.advance(100);
    await rig.hears('es', 'en', 'goodbye from the supervisor', 2100);
    const record = await rig.record();
    expect(partiesOf(record.legs)).toContainEqual(['participant', SUPERVISOR, 'en', 'spoken']);
    expect(record.transcript[1].speaker).toEqual({ role: 'participant', callSid: SUPERVISOR });
  });

  it('is not given the language of one line put down to them by mistake (the caller talking as they did)', async () => {
    rig = await ownedConference();
    await rig.joined(SUPERVISOR);
    rig.advance(3000);
    // The conference reported the supervisor talking when the caller's Spanish line ended.
    await rig.talk([SUPERVISOR], 'en', 'es', 'quiero hablar con alguien');
    let record = await rig.record();
    expect(partiesOf(record.legs)).not.toContainEqual(expect.arrayContaining([SUPERVISOR]));
    // Their own English lines tell their language; they are still taken for the speaker of them.
    await rig.talk([SUPERVISOR], 'es', 'en', 'I am the supervisor');
    await rig.talk([SUPERVISOR], 'es', 'en', 'and I am listening');
    record = await rig.record();
    expect(partiesOf(record.legs)).toContainEqual(['participant', SUPERVISOR, 'en', 'spoken']);
    expect(record.transcript.map((u) => u.speaker?.callSid)).toEqual([SUPERVISOR, SUPERVISOR, SUPERVISOR]);
  });

  it('is not given a language by one line heard by several translation sessions', async () => {
    rig = await ownedConference();
    // A French speaker makes a third language served: an English line is transcribed into Spanish and into French.
    const FRENCH = 'CA' + '4'.repeat(32);
    await rig.joined(FRENCH);
    rig.advance(3000);
    await rig.talk([FRENCH], 'es', 'fr', 'bonjour');
    expect(partiesOf((await rig.record()).legs)).toContainEqual(['participant', FRENCH, 'fr', 'deduced']);
    await rig.joined(SUPERVISOR);
    rig.advance(3000);
    rig.advance(100);
    rig.speaks(SUPERVISOR, true);
    rig.advance(2000);
    await rig.hears('es', 'en', 'I am the supervisor', 2100);
    await rig.hears('fr', 'en', 'I am the supervisor', 2100);
    expect((await rig.record()).transcript.filter((u) => u.speaker?.callSid === SUPERVISOR)).toHaveLength(2);
    rig.speaks(SUPERVISOR, false);
    rig.advance(2000);
    expect((await rig.record()).legs.map((l) => l.callSid)).not.toContain(SUPERVISOR);
  });

  it('is not listed while no line is put down to them (the conference did not say who talked)', async () => {
    rig = await ownedConference();
    await rig.joined(SUPERVISOR);
    rig.advance(3000);
    await rig.talk([], 'es', 'en', 'someone speaks English');
    const record = await rig.record();
    expect(record.transcript[0].speaker).toBeUndefined();
    expect(record.legs.map((l) => l.callSid)).not.toContain(SUPERVISOR);
  });
});

describe('why a conference tolk runs ended, as its record says', () => {
  it('the caller hung up: said so whether the interpreter legs\' media or the conference\'s reports reach tolk first', async () => {
    // The legs' media first (as usually happens): tolk asks where the caller is.
    rig = await ownedConference();
    rig.network.legs.set(CALLER, { state: 'ended', reason: 'completed' });
    await rig.legsHungUp();
    expect(await rig.whenEnded()).toMatchObject({ state: 'ended', outcome: 'completed', endReason: 'the caller hung up' });
    await rig.close();

    // The conference's reports first, the agent's leaving before the caller's.
    rig = await ownedConference();
    await rig.left(AGENT, 'conference-ended');
    await rig.left(CALLER, 'hung-up');
    await rig.legsHungUp();
    await rig.ended(CALLER);
    expect(await rig.whenEnded()).toMatchObject({ outcome: 'completed', endReason: 'the caller hung up' });
    expect(rig.conferences.steps).not.toContain('end the conference');
    await rig.close();

    // Only the conference's end, naming the caller.
    rig = await ownedConference();
    await rig.ended(CALLER);
    expect(await rig.whenEnded()).toMatchObject({ outcome: 'completed', endReason: 'the caller hung up' });
  });

  it('the agent hung up: tolk ends the conference for the caller, and says so', async () => {
    rig = await ownedConference();
    await rig.left(AGENT, 'hung-up');
    expect(rig.conferences.steps).toContain('end the conference');
    // The conference ending lets the caller go, then hangs the interpreter legs up.
    await rig.left(CALLER, 'conference-ended');
    rig.network.legs.set(CALLER, { state: 'ended', reason: 'completed' });
    await rig.legsHungUp();
    await rig.ended();
    expect(await rig.whenEnded()).toMatchObject({ outcome: 'completed', endReason: 'the agent hung up' });
  });

  it('the agent hung up, and only the interpreter legs\' media told tolk: it asks, ends the conference and says so', async () => {
    rig = await ownedConference();
    rig.network.legs.set(AGENT, { state: 'ended', reason: 'completed' });
    await rig.legsHungUp();
    expect(await rig.whenEnded()).toMatchObject({ outcome: 'completed', endReason: 'the agent hung up' });
    expect(rig.conferences.steps).toContain('end the conference');
  });

  it('someone else ended the conference', async () => {
    rig = await ownedConference();
    await rig.ended();
    expect(await rig.whenEnded()).toMatchObject({ outcome: 'completed', endReason: 'the conference ended' });
  });

  it('every interpreter leg has left while both parties were still there', async () => {
    rig = await ownedConference();
    await rig.legsHungUp();
    expect(await rig.whenEnded()).toMatchObject({ outcome: 'completed', endReason: 'every interpreter leg has left' });
  });

  it('the conference ended: said so when its report comes just after tolk found both parties still in their calls', async () => {
    // Someone else ended the conference: its end hung the legs up before the parties' calls ended.
    rig = await ownedConference();
    await rig.legsHungUp();
    await new Promise((r) => setTimeout(r, 300));
    await rig.left(CALLER, 'conference-ended');
    await rig.left(AGENT, 'conference-ended');
    await rig.ended();
    expect(await rig.whenEnded()).toMatchObject({ outcome: 'completed', endReason: 'the conference ended' });
  });

  it('the caller hung up: said so when asking the phone network failed and the conference\'s report comes after', async () => {
    rig = await ownedConference();
    rig.network.failing = true;
    const hungUp = Date.now();
    await rig.legsHungUp();
    await new Promise((r) => setTimeout(r, 300));
    await rig.left(CALLER, 'hung-up');
    expect(await rig.whenEnded()).toMatchObject({ outcome: 'completed', endReason: 'the caller hung up' });
    expect(Date.now() - hungUp).toBeLessThan(3000);
  });

  it('tolk lost its interpreter legs, when the phone network does not say where the parties are within 2 s and the conference says nothing', async () => {
    rig = await ownedConference();
    rig.network.silent = true;
    const hungUp = Date.now();
    await rig.legsHungUp();
    expect(await rig.whenEnded()).toMatchObject({ outcome: 'completed', endReason: 'tolk lost its interpreter legs' });
    expect(Date.now() - hungUp).toBeLessThan(3000);
    expect(rig.translators.created.every((t) => t.closed)).toBe(true);
  });

  it('tolk lost its interpreter legs, when asking the phone network failed and the conference says nothing', async () => {
    rig = await ownedConference();
    rig.network.failing = true;
    await rig.legsHungUp();
    expect(await rig.whenEnded()).toMatchObject({ outcome: 'completed', endReason: 'tolk lost its interpreter legs' });
  });

  it('the caller hung up: said so as soon as the conference reports it while the phone network is still being asked', async () => {
    rig = await ownedConference();
    rig.network.silent = true;
    await rig.legsHungUp();
    await new Promise((r) => setTimeout(r, 300));
    const reported = Date.now();
    await rig.left(CALLER, 'hung-up');
    expect(await rig.whenEnded()).toMatchObject({ outcome: 'completed', endReason: 'the caller hung up' });
    // Ended on the report, not at the end of the 2 s the network had to answer.
    expect(Date.now() - reported).toBeLessThan(800);
  });

  it('the caller hung up while the agent rang', async () => {
    rig = await ownedConference({ agentAnswers: false });
    await rig.left(CALLER, 'hung-up');
    rig.network.legs.set(CALLER, { state: 'ended', reason: 'completed' });
    await rig.legsHungUp();
    expect(await rig.whenEnded()).toMatchObject({ outcome: 'canceled', endReason: 'the caller hung up before the agent answered' });
    expect(rig.network.steps).toContain(`hang up ${AGENT}`);
  });

  it('the agent was busy, or could not be dialled: the caller is told, and the record says why', async () => {
    rig = await ownedConference({ agentAnswers: false });
    rig.service.legStatus(AGENT, { state: 'ended', reason: 'busy' }, rig.callId);
    expect(rig.network.steps.some((s) => s.startsWith(`tell ${CALLER}`))).toBe(true);
    // Told, the caller leaves; the conference ends with them.
    await rig.left(CALLER, 'removed');
    await rig.legsHungUp();
    await rig.ended(CALLER);
    expect(await rig.whenEnded()).toMatchObject({ outcome: 'busy', endReason: 'the agent was busy' });
    await rig.close();

    rig = await ownedConference({ dialFails: true });
    await rig.left(CALLER, 'removed');
    await rig.ended(CALLER);
    expect(await rig.whenEnded()).toMatchObject({ outcome: 'failed', endReason: 'the agent could not be dialled' });
  });

  it("the agent did not answer, and Twilio's report of it was lost: at their ring deadline tolk asks, stops the ringing and tells the caller", async () => {
    rig = await ownedConference({ agentAnswers: false, ringTimeoutSec: 0.05, stepTimeoutMs: 50 });
    rig.network.legs.set(AGENT, { state: 'ringing' });
    await new Promise((r) => setTimeout(r, 200));
    expect(rig.network.steps).toEqual([`hang up ${AGENT}`, expect.stringMatching(`^tell ${CALLER}: `)]);
    // Twilio's report of the ringing tolk stopped comes after: the caller is not told a second time.
    rig.service.legStatus(AGENT, { state: 'ended', reason: 'canceled' }, rig.callId);
    expect(rig.network.steps).toEqual([`hang up ${AGENT}`, expect.stringMatching(`^tell ${CALLER}: `)]);
    await rig.left(CALLER, 'removed');
    await rig.legsHungUp();
    await rig.ended(CALLER);
    expect(await rig.whenEnded()).toMatchObject({ outcome: 'no-answer', endReason: 'the agent did not answer' });
  });

  it("the agent answered, and the conference's report of their joining was lost: at their ring deadline tolk finds them in, and interprets for them", async () => {
    rig = await ownedConference({ agentAnswers: false, ringTimeoutSec: 0.05, stepTimeoutMs: 50 });
    rig.network.legs.set(AGENT, { state: 'answered' });
    await new Promise((r) => setTimeout(r, 200));
    expect(rig.network.steps).toEqual([]);
    expect(rig.call.snapshot().participants.map((p) => [p.callSid, p.role])).toEqual([
      [CALLER, 'caller'],
      [AGENT, 'agent'],
    ]);
    expect((await rig.record()).answeredAt).toBeDefined();
  });

  it('an operator hung up', async () => {
    rig = await ownedConference();
    expect(await rig.service.hangUp(rig.callId)).toBe(true);
    expect(await rig.whenEnded()).toMatchObject({ outcome: 'hungup_by_operator', endReason: 'an operator hung up' });
    expect(rig.conferences.steps).toContain('end the conference');
    // The conference's end lets the caller go and hangs up the legs: the record still says who ended it.
    await rig.left(CALLER, 'conference-ended');
    await rig.left(AGENT, 'conference-ended');
    rig.network.legs.set(CALLER, { state: 'ended', reason: 'completed' });
    await rig.legsHungUp();
    await rig.ended();
    expect(await rig.record()).toMatchObject({ outcome: 'hungup_by_operator', endReason: 'an operator hung up' });
  });

  it('an operator hung up while the agent rang: the agent\'s phone stops ringing', async () => {
    rig = await ownedConference({ agentAnswers: false });
    expect(await rig.service.hangUp(rig.callId)).toBe(true);
    expect(await rig.whenEnded()).toMatchObject({ outcome: 'hungup_by_operator', endReason: 'an operator hung up' });
    expect(rig.conferences.steps).toContain('end the conference');
    expect(rig.network.steps).toContain(`hang up ${AGENT}`);
  });

  it('tolk was asked to leave (tolk conferences leave): it ended the conference', async () => {
    rig = await ownedConference();
    expect(await rig.service.leaveConference(rig.call.conference)).toBe(true);
    expect(await rig.whenEnded()).toMatchObject({ outcome: 'completed', endReason: 'tolk was asked to leave, and ended the conference' });
  });
});

describe('why tolk stopped interpreting a conference it joined (Flex), as its record says', () => {
  const ES = 'CA' + 'e'.repeat(32);
  const EN = 'CA' + 'a'.repeat(32);
  let joined: Awaited<ReturnType<typeof conferenceRig>> | undefined;
  const join = async () => (joined = await conferenceRig({ members: [ES, EN], parties: [{ legRef: ES, language: 'es' }, { legRef: EN, language: 'en' }] }));
  afterEach(async () => {
    await joined?.close();
    joined = undefined;
  });

  it('the last party left', async () => {
    const r = await join();
    await r.left(ES);
    await r.left(EN);
    expect(await r.whenEnded()).toMatchObject({ outcome: 'completed', endReason: 'the last party left' });
  });

  it('the conference ended, reported by the conference or found when the interpreter legs were hung up', async () => {
    const r = await join();
    await r.ended();
    expect(await r.whenEnded()).toMatchObject({ outcome: 'completed', endReason: 'the conference ended' });
    await r.close();

    const again = await join();
    await again.legsHungUp();
    expect(await again.whenEnded()).toMatchObject({ outcome: 'completed', endReason: 'the conference ended' });
  });

  it('every interpreter leg has left while the parties were still there', async () => {
    const r = await join();
    r.conferences.members = [ES, EN];
    await r.legsHungUp();
    expect(await r.whenEnded()).toMatchObject({ outcome: 'completed', endReason: 'every interpreter leg has left' });
  });

  it('tolk lost its interpreter legs, when asking the phone network about the conference failed', async () => {
    const r = await join();
    r.conferences.findFails = true;
    await r.legsHungUp();
    expect(await r.whenEnded()).toMatchObject({ outcome: 'completed', endReason: 'tolk lost its interpreter legs' });
  });

  it('tolk was asked to leave, or an operator took it out: the conference goes on', async () => {
    const r = await join();
    await r.call.leave();
    expect(await r.whenEnded()).toMatchObject({ outcome: 'completed', endReason: 'tolk was asked to leave; the conference goes on' });
    await r.close();

    const again = await join();
    await again.call.hangUpByOperator();
    expect(await again.whenEnded()).toMatchObject({ outcome: 'hungup_by_operator', endReason: 'an operator took tolk out of the conference; it goes on' });
  });
});

describe('a conference tolk runs whose frame tick throws', () => {
  it('ends as failed at once: the conference ends, the sessions close, and the record says why', async () => {
    rig = await ownedConference();
    const agent = rig.leg('to-agent');
    agent.send = () => {
      throw new Error('socket state corrupt');
    };
    // Something for the agent's interpreter leg to play.
    rig.translators.created.filter((t) => t.targetLanguage === 'en' && !t.closed).at(-1)!.fire('audio', sine(1600, 12000, 16));
    expect(() => rig!.clock.tick(30)).toThrow('socket state corrupt');
    expect(await rig.whenEnded()).toMatchObject({ outcome: 'error', endReason: "tolk failed: the call's audio processing threw" });
    expect(rig.conferences.steps).toContain('end the conference');
    expect(rig.translators.created.every((t) => t.closed)).toBe(true);
    expect(rig.clock.subscribers).toBe(0);
    expect(rig.seen.filter((e) => e.type === 'call.ended')).toEqual([expect.objectContaining({ outcome: 'error' })]);
  });
});

describe('a conference tolk joined (Flex) whose frame tick throws', () => {
  it('leaves it as failed: only its own interpreter legs leave, the conference goes on, and the record says why', async () => {
    const ES = 'CA' + 'e'.repeat(32);
    const EN = 'CA' + 'a'.repeat(32);
    const r = await conferenceRig({ members: [ES, EN], parties: [{ legRef: ES, language: 'es' }, { legRef: EN, language: 'en' }] });
    const legs = r.legs();
    expect(legs.length).toBeGreaterThan(0);
    for (const leg of legs) {
      leg.send = () => {
        throw new Error('socket state corrupt');
      };
    }
    // Something for the interpreter legs to play.
    for (const t of r.translators.created.filter((t) => !t.closed)) t.fire('audio', sine(1600, 12000, 16));
    expect(() => r.clock.advanceTo(600)).toThrow('socket state corrupt');
    expect(await r.whenEnded()).toMatchObject({ outcome: 'error', endReason: `${TICK_FAILED}; the conference goes on without it` });
    expect(r.conferences.ended).toEqual([]);
    expect(r.conferences.removed.sort()).toEqual(legs.map((l) => l.legRef).sort());
    expect(r.translators.created.every((t) => t.closed)).toBe(true);
    expect(r.clock.subscribers).toBe(0);
    expect(r.seen.filter((e) => e.type === 'call.ended')).toEqual([expect.objectContaining({ outcome: 'error' })]);
    await r.close();
  });
});
