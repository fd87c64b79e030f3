/**
 * Who said each line of a conference tolk runs, when two parties share a language: the Twilio
 * emulator reports each participant's speech (participant-speech-start / -stop, subscribed with
 * `speaker` on the conference tolk creates), and tolk names the party whose speech covers a line.
 * A Spanish-speaking caller, the English-speaking agent tolk dials, and a second English speaker
 * (a guest who dials into the conference by name, whose language nobody gave) speak in turn in
 * voices of their own pitch, then the agent and the guest talk over each other.
 *
 * Real time (speed 1): tolk times a line by its media and a speech report by its arrival, both on
 * the call's clock, which the rig does not scale.
 */
import { voice } from '../../scripts/demo-conference';
import { AGENT_NUMBER, CALLER_NUMBER, TOLK_NUMBER, startRig, waitUntil, type Rig } from './harness';

jest.setTimeout(90_000);

const GUEST_NUMBER = '+15550004444';
const HZ = { caller: 500, agent: 700, guest: 900, toEs: 1100, toEn: 1300 };

let rig: Rig;
afterEach(async () => {
  await rig?.close();
});

describe('a conference tolk runs, with two parties sharing a language', () => {
  it('names each one on their own lines, and no one on a line they said over each other', async () => {
    rig = await startRig({
      speed: 1,
      interpreterApp: true,
      number: { mode: 'conference', interpretation: 'whisper' },
      gemini: {
        voices: {
          languageByPitch: new Map([[HZ.caller, 'es'], [HZ.agent, 'en'], [HZ.guest, 'en']]),
          translationTone: new Map([['es', HZ.toEs], ['en', HZ.toEn]]),
        },
      },
    });
    rig.twilio.setCallee(AGENT_NUMBER, { scenario: { kind: 'answer', afterSec: 1 } });
    const callerSid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { hangupAfterSec: 40 } });
    await waitUntil(() => rig.twilio.calls().some((c) => c.to === AGENT_NUMBER && c.status === 'in-progress'), 15_000, 'the agent to answer');
    const agentSid = rig.twilio.calls().find((c) => c.to === AGENT_NUMBER)!.sid;
    const room = rig.twilio.conferences().find((c) => c.status !== 'completed')!;
    const guestSid = rig.twilio.joinConference({ name: room.friendlyName, from: GUEST_NUMBER, beep: 'false' });
    // Three interpreter legs (one coaching each party) connected.
    await waitUntil(() => rig.logs.filter((l) => l.event === 'conference.interpreter_joined').length >= 3, 15_000, 'the interpreter legs');

    // Each speaks 2 s in turn, 4 s apart (the guest twice); then the agent and the guest at once.
    rig.twilio.say(agentSid, voice(2, HZ.agent), { inSec: 1 });
    rig.twilio.say(guestSid, voice(2, HZ.guest), { inSec: 5 });
    rig.twilio.say(guestSid, voice(2, HZ.guest), { inSec: 9 });
    rig.twilio.say(callerSid, voice(2, HZ.caller), { inSec: 13 });
    rig.twilio.say(agentSid, voice(2.5, HZ.agent), { inSec: 17 });
    rig.twilio.say(guestSid, voice(2.5, HZ.guest), { inSec: 17.2 });
    await new Promise((r) => setTimeout(r, 23_000));
    rig.twilio.hangup(callerSid);
    await waitUntil(() => rig.tolk.calls.activeCalls === 0, 10_000, 'tolk to end the call');

    // The emulator reported every party's speech, and the interpreter legs' own as they played.
    const speech = rig.twilio.events().filter((e) => e.type === 'conference.speech');
    const spoke = new Set(speech.map((e) => e.callSid));
    for (const sid of [agentSid, guestSid, callerSid]) expect(spoke.has(sid)).toBe(true);
    const legs = rig.twilio.calls().filter((c) => c.to.startsWith('app:')).map((c) => c.sid);
    expect(legs.some((sid) => spoke.has(sid))).toBe(true);
    // Sent as status callbacks like the others: in order, numbered in one sequence with them.
    const callbacks = rig.twilio.events().flatMap((e) => (e.type === 'webhook' && e.kind === 'conference-status' ? [e.params] : []));
    expect(callbacks.map((p) => Number(p.SequenceNumber))).toEqual(callbacks.map((_, i) => i));
    expect(callbacks.find((p) => p.StatusCallbackEvent === 'participant-speech-start' && p.CallSid === guestSid)).toMatchObject({
      ConferenceSid: room.sid,
      FriendlyName: room.friendlyName,
      Muted: 'false',
      Hold: 'false',
      Coaching: 'false',
      Timestamp: expect.stringMatching(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/) as unknown,
    });

    const [record] = (await rig.tolk.records.list({ limit: 1 })).items;
    const full = (await rig.tolk.records.get(record.id))!;
    const english = full.transcript.filter((u) => u.direction === 'to:es').map((u) => u.speaker?.callSid);
    const spanish = full.transcript.filter((u) => u.direction === 'to:en').map((u) => u.speaker?.callSid);
    expect(english).toEqual([agentSid, guestSid, guestSid, undefined]);
    expect(spanish).toEqual([callerSid]);
    // The guest, whose language nobody gave, is listed with the English their two lines were in.
    expect(full.legs.filter((l) => l.role !== 'interpreter').map((l) => [l.role, l.callSid, l.language])).toEqual([
      ['caller', callerSid, 'es'],
      ['agent', agentSid, 'en'],
      ['participant', guestSid, 'en'],
    ]);
    expect(full).toMatchObject({ outcome: 'completed', endReason: 'the caller hung up' });
    // A speech report is logged at debug level only.
    expect(rig.logs.filter((l) => l.event === 'twilio.conference' && String(l.conferenceEvent).startsWith('participant-speech-'))).toEqual([]);
  });
});
