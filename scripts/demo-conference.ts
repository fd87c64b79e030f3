/**
 * `npm run demo -- --conference`: a three-party conference interpreted in whisper mode, offline.
 *
 * Three people dial into a Twilio conference by name (the Twilio emulator): a Spanish-speaking
 * caller, an English-speaking agent and a second English speaker; tolk joins it as the interpreter
 * through its admin API, as it would join a Flex task's conference. The emulated people speak in
 * "voices" of their own pitch, one after another, and the Gemini emulator tells their language by
 * that pitch and speaks each translation in a voice of the target language's own, so what each
 * party heard can be read off their recording: the others' own voices, and only the translation
 * into their language. Writes demo-output/<run>/<call id>/{caller,agent,guest}-{heard,said}.wav and
 * call.json, and prints what each party heard.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { App } from '../src/app';
import type { TwilioEmulator } from '../src/emulators/twilio/emulator';
import { toneVoice } from '../src/emulators/twilio/audio';

export const CONFERENCE_VOICES = { caller: 500, agent: 700, guest: 900 } as const;
export const TRANSLATION_VOICES = { es: 1100, en: 1300 } as const;

const PEOPLE = [
  { role: 'caller', from: '+34911234567', language: 'es', pitch: CONFERENCE_VOICES.caller },
  { role: 'agent', from: '+15550002222', language: 'en', pitch: CONFERENCE_VOICES.agent },
  { role: 'guest', from: '+15550004444', language: 'en', pitch: CONFERENCE_VOICES.guest },
] as const;

/** A voice: `sec` of syllables (four a second) at `pitch` Hz, 8 kHz (what `--say tone:HZ` speaks by hand). */
export const voice = toneVoice;

/** Amplitude of the `hz` component of 8 kHz samples (Goertzel). */
function level(s: Int16Array, hz: number): number {
  const c = 2 * Math.cos((2 * Math.PI * hz) / 8000);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < s.length; i++) {
    const s0 = s[i] + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (2 * Math.sqrt(Math.max(0, s1 * s1 + s2 * s2 - c * s1 * s2))) / Math.max(1, s.length);
}

/** Seconds (in 0.5 s windows) during which `hz` was heard clearly. */
export function secondsOf(s: Int16Array, hz: number): number {
  let n = 0;
  for (let i = 0; i + 4000 <= s.length; i += 4000) if (level(s.subarray(i, i + 4000), hz) > 600) n++;
  return n / 2;
}

export async function conferenceDemo(opts: {
  tolk: App;
  twilio: TwilioEmulator;
  tolkUrl: string;
  adminToken: string;
  speed: number;
  runDir: string;
  out: (s: string) => void;
  /** Filled with each party's name by call SID, for the transcript lines. */
  partyNames: Map<string, string>;
}): Promise<void> {
  const { tolk, twilio, speed, out } = opts;
  const sleep = (emulatedSec: number) => new Promise((r) => setTimeout(r, (emulatedSec * 1000) / speed));
  const room = `support-${Date.now().toString(36)}`;
  out(`\n=== A three-party conference in whisper mode: ${PEOPLE.map((p) => `${p.role} (${p.language})`).join(', ')} ===`);
  const sids = PEOPLE.map((p) => twilio.joinConference({ name: room, from: p.from, beep: 'false', label: p.role }));
  PEOPLE.forEach((p, i) => opts.partyNames.set(sids[i], p.role));
  await sleep(1);
  const res = await fetch(`${opts.tolkUrl}/api/conferences/${room}/interpreter`, {
    method: 'POST',
    headers: { authorization: `Bearer ${opts.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ mode: 'whisper', participants: PEOPLE.map((p, i) => ({ callSid: sids[i], language: p.language })) }),
  });
  const joined = (await res.json()) as { callId?: string; error?: string };
  if (res.status !== 201 || !joined.callId) throw new Error(`tolk did not join the conference: ${joined.error ?? res.status}`);
  out(`tolk joins ${room} as its interpreter (call ${joined.callId})`);
  await sleep(3);
  // Each speaks 3 s in turn, 7 s apart, and the others listen.
  PEOPLE.forEach((p, i) => twilio.say(sids[i], voice(3, p.pitch), { inSec: 1 + 7 * i }));
  await sleep(7 * PEOPLE.length + 4);
  for (const sid of sids) twilio.hangup(sid);
  while (tolk.calls.activeCalls > 0) await new Promise((r) => setTimeout(r, 50));

  const dir = path.join(opts.runDir, joined.callId);
  fs.mkdirSync(dir, { recursive: true });
  out('\nWhat each party heard (seconds of each voice):');
  PEOPLE.forEach((p, i) => {
    const rec = twilio.recording(sids[i]);
    fs.writeFileSync(path.join(dir, `${p.role}-heard.wav`), rec.heardWav());
    fs.writeFileSync(path.join(dir, `${p.role}-said.wav`), rec.saidWav());
    const voices = PEOPLE.filter((q) => q !== p).map((q) => `${q.role} ${secondsOf(rec.heard, q.pitch).toFixed(1)} s`);
    const translations = Object.entries(TRANSLATION_VOICES).map(([l, hz]) => `into ${l} ${secondsOf(rec.heard, hz).toFixed(1)} s`);
    out(`  ${p.role.padEnd(7)} (${p.language})  voices: ${voices.join(', ')}; translations: ${translations.join(', ')}`);
  });
  fs.writeFileSync(path.join(dir, 'call.json'), JSON.stringify(await tolk.records.get(joined.callId), null, 2));
  out(`recordings: ${path.relative(process.cwd(), dir)}/{caller,agent,guest}-{heard,said}.wav, call.json`);
}
