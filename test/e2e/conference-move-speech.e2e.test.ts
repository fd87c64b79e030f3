/**
 * A rolling deploy in the middle of a sentence, in a conference: two tolk instances behind nginx,
 * a whisper conference on the first with three languages (a Spanish-speaking caller, the English-
 * speaking agent tolk dials for them, and a guest who dials in by name and turns out to speak
 * German), and the agent 1.5 s into a 3 s utterance when that instance gets SIGTERM. The call
 * moves, and the utterance is not cut in two: the caller and the guest each hear the translation of
 * all of it into their language, and the transcript holds it once, whole, in each.
 */
import { tone } from '../twilio-emulator/signal';
import type { CallWithTranscriptJson as CallJson } from '../../src/shared/call-json';
import { clusterFixture } from './cluster-helpers';
import { INTERPRETER_APP_SID, keepWav, toneSeconds, waitUntil } from './harness';
import { englishSpeechSeconds, moveWhileSpeaking } from './move-while-speaking';

const CONFERENCE_NUMBER = '+15550003333';
const CONFERENCE_AGENT = '+15550004444';
const GUEST_NUMBER = '+15550005555';
/** The parties' voices, and the pitch the emulator speaks translations into each language at. */
const HZ = { caller: 500, agent: 700, guest: 900, toEs: 1100, toEn: 1300, toDe: 1500 };
const UTTERANCE_SEC = 3;

jest.setTimeout(150_000);

const cluster = clusterFixture();

describe('a conference moving while a party speaks', () => {
  it('translates the utterance in progress whole for each listener, and transcribes it once per language, on the instance the call moved to', async () => {
    const started = await cluster.start({
      name: 'conference-move-speech',
      gemini: {
        mode: 'echo',
        lagMs: 300,
        voices: {
          languageByPitch: new Map([[HZ.caller, 'es'], [HZ.agent, 'en'], [HZ.guest, 'de']]),
          translationTone: new Map([['es', HZ.toEs], ['en', HZ.toEn], ['de', HZ.toDe]]),
        },
      },
      numbers: `  - number: "${CONFERENCE_NUMBER}"\n    destination: "${CONFERENCE_AGENT}"\n    callerLanguage: es\n    agentLanguage: en\n    mode: conference\n    interpretation: whisper\n`,
    });
    const { twilio, nginx, start, callOf } = started;
    // Only tolk-a is up when the call comes: it serves it.
    await start('tolk-a');
    twilio.addNumber({ phoneNumber: CONFERENCE_NUMBER, voiceUrl: `${nginx.url}/twilio/voice`, statusCallback: `${nginx.url}/twilio/status` });
    twilio.addApplication({ sid: INTERPRETER_APP_SID, friendlyName: 'tolk interpreter', voiceUrl: `${nginx.url}/twilio/interpreter` });
    twilio.setCallee(CONFERENCE_AGENT, {});
    const caller = await twilio.dial({ from: '+34911000401', to: CONFERENCE_NUMBER, party: {} });
    await waitUntil(() => twilio.calls().some((c) => c.to === CONFERENCE_AGENT && c.status === 'in-progress'), 30_000, 'the agent to answer');
    const agent = twilio.calls().find((c) => c.to === CONFERENCE_AGENT)!.sid;
    const room = twilio.conferences().find((c) => c.status !== 'completed')!;
    const guest = twilio.joinConference({ name: room.friendlyName, from: GUEST_NUMBER, beep: 'false' });
    await start('tolk-b');

    // The guest says a few words: tolk-a hears German, and interprets it too.
    await new Promise((r) => setTimeout(r, 3000));
    twilio.say(guest, tone(1.5, HZ.guest, 6000));
    await waitUntil(async () => {
      const c = await callOf<CallJson>(caller);
      return c?.instance === 'tolk-a' && c.state === 'bridged' && c.legs.some((l) => l.callSid === guest && l.language === 'de');
    }, 30_000, 'the guest to be heard speaking German on tolk-a');
    await new Promise((r) => setTimeout(r, 3000));

    // The agent says one 3 s utterance; 1.5 s into it tolk-a is told to stop. Some seconds of
    // quiet for the translations to play out, then the caller hangs up.
    const ended = await moveWhileSpeaking(started, caller, agent, tone(UTTERANCE_SEC, HZ.agent, 6000));

    // After the move the caller hears the Spanish translation of the whole utterance, and the guest
    // the German one, each from its first word.
    const movedAt = new Date(ended.moves![0].at).getTime();
    const heardAfterMove = (sid: string, hz: number, name: string): number => {
      const fromSec = (movedAt - new Date(twilio.call(sid)!.dateCreated).getTime()) / 1000;
      keepWav(`conference-move-speech-${name}-heard.wav`, twilio.recording(sid).heardWav());
      return toneSeconds(twilio.recording(sid).heard.subarray(Math.floor(fromSec * 8000)), [hz])[hz];
    };
    const translated = { caller: heardAfterMove(caller, HZ.toEs, 'caller'), guest: heardAfterMove(guest, HZ.toDe, 'guest') };
    expect({ whole: translated.caller >= UTTERANCE_SEC - 0.5 && translated.guest >= UTTERANCE_SEC - 0.5, translated }).toEqual({ whole: true, translated });

    // The transcript holds the agent's utterance once in each language, all of it (the emulator names its length).
    for (const direction of ['to:es', 'to:de']) {
      const lines = ended.transcript.filter((l) => l.direction === direction && l.source.text.startsWith('[en speech'));
      const lengths = englishSpeechSeconds(lines);
      expect({ direction, lines: lines.length, whole: lengths[0] >= UTTERANCE_SEC - 0.4, lengths }).toEqual({ direction, lines: 1, whole: true, lengths });
    }
  });
});
