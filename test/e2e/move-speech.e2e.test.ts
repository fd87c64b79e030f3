/**
 * A rolling deploy in the middle of a sentence: two tolk instances behind nginx, a direct call on
 * the first, and the agent 1.5 s into a 3 s utterance when that instance gets SIGTERM. The call
 * moves, and the utterance is not cut in two: the caller hears the translation of all of it, and
 * the transcript holds it once, whole.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startGeminiEmulator, type GeminiEmulator } from '../../src/emulators/gemini/server';
import { freePort } from '../../src/emulators/free-port';
import { startTwilioEmulator, type TwilioEmulator } from '../../src/emulators/twilio/emulator';
import { dropPrefix, uniquePrefix } from '../jobs/helpers';
import { startNginx, type Nginx } from '../helpers/nginx';
import type { TolkProcess } from '../helpers/tolk-process';
import { tone } from '../twilio-emulator/signal';
import { adminSql, freshDatabase, json, startClusterInstance } from './cluster-helpers';
import { AGENT_NUMBER, TOLK_NUMBER, keepWav, toneSeconds, waitUntil } from './harness';

const IDS = ['tolk-a', 'tolk-b'] as const;
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

let twilio: TwilioEmulator | undefined;
let gemini: GeminiEmulator | undefined;
let nginx: Nginx | undefined;
const tolks = new Map<string, TolkProcess>();
let dir = '';
let database = '';
let prefix = '';

afterEach(async () => {
  await Promise.all([...tolks.values()].map((t) => t.stop('SIGKILL')));
  tolks.clear();
  await nginx?.stop();
  await twilio?.close();
  await gemini?.close();
  if (prefix) await dropPrefix(prefix);
  if (database) await adminSql(`drop database if exists "${database}" with (force)`);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function callOf(callerSid: string): Promise<CallJson | undefined> {
  const { body } = await json<{ calls: CallJson[] }>(`${nginx!.url}/api/calls?limit=100`);
  const found = body.calls.find((c) => c.legs.some((l) => l.role === 'caller' && l.callSid === callerSid));
  return found && (await json<CallJson>(`${nginx!.url}/api/calls/${found.id}`)).body;
}

describe('a call moving while a party speaks', () => {
  it('translates and transcribes the utterance in progress whole, once, on the instance the call moved to', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-move-speech-'));
    database = `tolk_move_speech_${Date.now().toString(36)}_${process.pid}`;
    const databaseUrl = await freshDatabase(database);
    prefix = uniquePrefix();
    gemini = await startGeminiEmulator({ mode: 'echo', language: 'en=es,es=en', lagMs: 300, voices: { translationTone: new Map([['es', TO_ES_HZ]]) } });
    twilio = await startTwilioEmulator({ sayAudio: 'silence' });
    fs.writeFileSync(
      path.join(dir, 'numbers.yaml'),
      `numbers:\n  - number: "${TOLK_NUMBER}"\n    destination: "${AGENT_NUMBER}"\n    callerLanguage: es\n    agentLanguage: en\n`,
    );
    const ports = { 'tolk-a': await freePort(), 'tolk-b': await freePort() };
    nginx = await startNginx(IDS.map((id) => ({ id, address: `127.0.0.1:${ports[id]}` })));
    const start = async (id: (typeof IDS)[number]): Promise<void> => {
      const numbersFile = path.join(dir, 'numbers.yaml');
      tolks.set(id, await startClusterInstance({ id, port: ports[id], publicUrl: nginx!.url, twilio: twilio!, gemini: gemini!, numbersFile, databaseUrl, prefix }));
    };
    // Only tolk-a is up when the call comes: it serves it.
    await start('tolk-a');
    twilio.addNumber({ phoneNumber: TOLK_NUMBER, voiceUrl: `${nginx.url}/twilio/voice`, statusCallback: `${nginx.url}/twilio/status` });
    twilio.setCallee(AGENT_NUMBER, {});
    const caller = await twilio.dial({ from: '+34911000301', to: TOLK_NUMBER, party: {} });
    await start('tolk-b');
    await waitUntil(async () => {
      const c = await callOf(caller);
      return c?.state === 'bridged' && c.instance === 'tolk-a' && twilio!.calls().every((l) => twilio!.call(l.sid)?.streams.length === 1);
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
    await waitUntil(async () => (moved = await callOf(caller).catch(() => undefined)) !== undefined, 10_000, 'the call record');
    expect(moved).toMatchObject({ instance: 'tolk-b', moves: [{ from: 'tolk-a', to: 'tolk-b' }] });

    // Some seconds of quiet for the translation to play out, then the caller hangs up.
    await new Promise((r) => setTimeout(r, 6000));
    twilio.hangup(caller);
    let ended: CallJson | undefined;
    await waitUntil(async () => (ended = await callOf(caller).catch(() => undefined))?.outcome !== undefined, 30_000, 'the call to end');
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
