/**
 * A rolling deploy in the middle of a sentence: two tolk instances behind nginx, a direct call on
 * the first, and the agent 1.5 s into a 3 s utterance when that instance gets SIGTERM. The call
 * moves, and the utterance is not cut in two: the caller hears the translation of all of it, and
 * the transcript holds it once, whole.
 */
import { tone } from '../twilio-emulator/signal';
import type { CallWithTranscriptJson as CallJson } from '../../src/shared/call-json';
import { clusterFixture } from './cluster-helpers';
import { AGENT_NUMBER, TOLK_NUMBER, keepWav, toneSeconds, waitUntil } from './harness';
import { englishSpeechSeconds, moveWhileSpeaking } from './move-while-speaking';

/** The agent's voice, and the pitch the emulator speaks translations into Spanish at. */
const AGENT_HZ = 440;
const TO_ES_HZ = 1100;
const UTTERANCE_SEC = 3;

jest.setTimeout(120_000);

const cluster = clusterFixture();

describe('a call moving while a party speaks', () => {
  it('translates and transcribes the utterance in progress whole, once, on the instance the call moved to', async () => {
    const started = await cluster.start({
      name: 'move-speech',
      gemini: { mode: 'echo', language: 'en=es,es=en', lagMs: 300, voices: { translationTone: new Map([['es', TO_ES_HZ]]) } },
      numbers: `  - number: "${TOLK_NUMBER}"\n    destination: "${AGENT_NUMBER}"\n    callerLanguage: es\n    agentLanguage: en\n`,
    });
    const { twilio, nginx, start, callOf } = started;
    // Only tolk-a is up when the call comes: it serves it.
    await start('tolk-a');
    twilio.addNumber({ phoneNumber: TOLK_NUMBER, voiceUrl: `${nginx.url}/twilio/voice`, statusCallback: `${nginx.url}/twilio/status` });
    twilio.setCallee(AGENT_NUMBER, {});
    const caller = await twilio.dial({ from: '+34911000301', to: TOLK_NUMBER, party: {} });
    await start('tolk-b');
    await waitUntil(async () => {
      const c = await callOf<CallJson>(caller);
      return c?.state === 'bridged' && c.instance === 'tolk-a' && twilio.calls().every((l) => twilio.call(l.sid)?.streams.length === 1);
    }, 30_000, 'the call to be bridged on tolk-a');
    await new Promise((r) => setTimeout(r, 1000));

    // The agent says one 3 s utterance; 1.5 s into it tolk-a is told to stop. Some seconds of
    // quiet for the translation to play out, then the caller hangs up.
    const agent = twilio.calls().find((c) => c.to === AGENT_NUMBER)!.sid;
    const ended = await moveWhileSpeaking(started, caller, agent, tone(UTTERANCE_SEC, AGENT_HZ, 6000));

    // After the move the caller hears the translation of the whole utterance, from its first word.
    const answeredAt = new Date(twilio.call(caller)!.dateCreated).getTime();
    const movedAtSec = (new Date(ended.moves![0].at).getTime() - answeredAt) / 1000;
    const heard = twilio.recording(caller).heard;
    keepWav('move-speech-caller-heard.wav', twilio.recording(caller).heardWav());
    const translatedAfterMove = toneSeconds(heard.subarray(Math.floor(movedAtSec * 8000)), [TO_ES_HZ])[TO_ES_HZ];
    expect({ whole: translatedAfterMove >= UTTERANCE_SEC - 0.5, translatedAfterMove }).toEqual({ whole: true, translatedAfterMove: expect.anything() });

    // The transcript holds the agent's utterance once, all of it (the emulator names its length).
    const agentLines = ended.transcript.filter((l) => l.direction === 'agent->caller');
    const lengths = englishSpeechSeconds(agentLines);
    expect({ lines: agentLines.length, whole: lengths[0] >= UTTERANCE_SEC - 0.4, lengths }).toEqual({ lines: 1, whole: true, lengths: expect.anything() });
  });
});
