/**
 * A rolling deploy in the middle of a sentence: two tolk instances behind nginx, a direct call on
 * the first, and the agent 1.5 s into a 3 s utterance when that instance gets SIGTERM. The call
 * moves, and the utterance is not cut in two: the caller hears the translation of all of it, and
 * the transcript holds it once, whole.
 */
import { tone } from '../twilio-emulator/signal';
import { clusterFixture } from './cluster-helpers';
import { AGENT_NUMBER, TOLK_NUMBER, keepWav, toneSeconds, waitUntil } from './harness';

/** The agent's voice, and the pitch the emulator speaks translations into Spanish at. */
const AGENT_HZ = 440;
const TO_ES_HZ = 1100;
const UTTERANCE_SEC = 3;

jest.setTimeout(120_000);

interface CallJson {
  id: string;
  state: string;
  outcome?: string;
  instance?: string;
  moves?: { from: string; to: string; at: string }[];
  legs: { role: string; callSid: string }[];
  transcript: { direction: string; source: { text: string }; translation: { text: string }; startMs: number }[];
}

const cluster = clusterFixture();

describe('a call moving while a party speaks', () => {
  it('translates and transcribes the utterance in progress whole, once, on the instance the call moved to', async () => {
    const { twilio, nginx, tolks, start, callOf } = await cluster.start({
      name: 'move-speech',
      gemini: { mode: 'echo', language: 'en=es,es=en', lagMs: 300, voices: { translationTone: new Map([['es', TO_ES_HZ]]) } },
      numbers: `  - number: "${TOLK_NUMBER}"\n    destination: "${AGENT_NUMBER}"\n    callerLanguage: es\n    agentLanguage: en\n`,
    });
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

    // The agent says one 3 s utterance; 1.5 s into it tolk-a is told to stop.
    const agent = twilio.calls().find((c) => c.to === AGENT_NUMBER)!.sid;
    twilio.say(agent, tone(UTTERANCE_SEC, AGENT_HZ, 6000));
    await new Promise((r) => setTimeout(r, 1500));
    const a = tolks.get('tolk-a')!;
    a.child.kill('SIGTERM');
    expect(await a.exitWithin(30_000)).toBe(0);
    let moved: CallJson | undefined;
    await waitUntil(async () => (moved = await callOf<CallJson>(caller).catch(() => undefined)) !== undefined, 10_000, 'the call record');
    expect(moved).toMatchObject({ instance: 'tolk-b', moves: [{ from: 'tolk-a', to: 'tolk-b' }] });

    // Some seconds of quiet for the translation to play out, then the caller hangs up.
    await new Promise((r) => setTimeout(r, 6000));
    twilio.hangup(caller);
    let ended: CallJson | undefined;
    await waitUntil(async () => (ended = await callOf<CallJson>(caller).catch(() => undefined))?.outcome !== undefined, 30_000, 'the call to end');
    expect(ended).toMatchObject({ outcome: 'completed', instance: 'tolk-b' });

    // After the move the caller hears the translation of the whole utterance, from its first word.
    const answeredAt = new Date(twilio.call(caller)!.dateCreated).getTime();
    const movedAtSec = (new Date(ended!.moves![0].at).getTime() - answeredAt) / 1000;
    const heard = twilio.recording(caller).heard;
    keepWav('move-speech-caller-heard.wav', twilio.recording(caller).heardWav());
    const translatedAfterMove = toneSeconds(heard.subarray(Math.floor(movedAtSec * 8000)), [TO_ES_HZ])[TO_ES_HZ];
    expect({ whole: translatedAfterMove >= UTTERANCE_SEC - 0.5, translatedAfterMove }).toEqual({ whole: true, translatedAfterMove: expect.anything() });

    // The transcript holds the agent's utterance once, all of it (the emulator names its length).
    const agentLines = ended!.transcript.filter((l) => l.direction === 'agent->caller');
    const lengths = agentLines.map((l) => Number(/\[en speech ([\d.]+) s\]/.exec(l.source.text)?.[1] ?? NaN));
    expect({ lines: agentLines.length, whole: lengths[0] >= UTTERANCE_SEC - 0.4, lengths }).toEqual({ lines: 1, whole: true, lengths: expect.anything() });
  });
});
