/**
 * How tolk finds the caller's language, end to end: the number's DTMF menu, the language
 * remembered from the caller's last call, detection from the caller's first speech (with the
 * agent's words held until then), and a caller who switches language mid-call.
 */
import fs from 'node:fs';
import { readWav } from '../../src/audio';
import type { Script } from '../../src/emulators/gemini/script';
import { AGENT_NUMBER, CALLER_NUMBER, TOLK_NUMBER, fixture, keepWav, loudFrames, startRig, waitUntil, type Rig } from './harness';

jest.setTimeout(60_000);

let rig: Rig;
afterEach(async () => {
  await rig?.close();
});

const loudCount = (file: string): number => loudFrames(readWav(fs.readFileSync(fixture(file))).samples, -30).length;

async function callerLeg(): Promise<{ language: string } | undefined> {
  const page = await rig.tolk.records.list({ limit: 1 });
  const rec = await rig.tolk.records.get(page.items[0].id);
  return rec?.legs.find((l) => l.role === 'caller');
}

describe('the caller\'s language, end to end', () => {
  it('is chosen in the menu (each option in its own language), then remembered for the next call', async () => {
    rig = await startRig({ number: { languageMenu: ['es', 'pl'] }, gemini: { language: 'en=pl,pl=en' } });
    rig.twilio.setCallee(AGENT_NUMBER, {});
    const first = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { hangupAfterSec: 8 } });
    // The caller listens to both options, then presses 2.
    await rig.twilio.waitFor((e) => e.type === 'twiml' && e.callSid === first && e.verb === 'Say' && e.detail.language === 'pl-PL', 5000);
    rig.twilio.pressDigits(first, '2');
    await rig.twilio.waitForStatus(first, 'completed', 20_000);
    await waitUntil(() => rig.tolk.calls.activeCalls === 0, 5000, 'first call to end');
    const menu = rig.twilio.events().filter((e) => e.type === 'twiml' && e.callSid === first && e.verb === 'Say');
    expect(menu.map((e) => (e.type === 'twiml' ? [e.detail.language, e.detail.text] : []))).toEqual(
      expect.arrayContaining([
        ['es-ES', 'Para español, pulse 1.'],
        ['pl-PL', 'Aby kontynuować po polsku, naciśnij 2.'],
      ]),
    );
    expect((await callerLeg())?.language).toBe('pl');
    expect(rig.logs.some((l) => l.event === 'call.caller_language' && l.language === 'pl' && l.source === 'menu')).toBe(true);

    // The same caller again: no menu, Polish from the first word.
    const second = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { hangupAfterSec: 4 } });
    await rig.twilio.waitForStatus(second, 'completed', 20_000);
    await waitUntil(() => rig.tolk.calls.activeCalls === 0, 5000, 'second call to end');
    expect(rig.twilio.events().some((e) => e.type === 'twiml' && e.callSid === second && e.verb === 'Gather')).toBe(false);
    expect((await callerLeg())?.language).toBe('pl');
  });

  it('is detected from the caller\'s first speech; what the agent said before is held, then translated into it', async () => {
    // The number does not know the caller's language; the caller speaks Polish (as the emulator hears it).
    rig = await startRig({ number: { callerLanguage: 'auto', defaultLanguage: 'es' }, gemini: { language: 'en=pl,pl=en' } });
    // The agent speaks first, before the caller has said a word.
    rig.twilio.setCallee(AGENT_NUMBER, { speech: fixture('agent-en.ulaw8k.wav'), speakAfterSec: 0.5 });
    const callerSid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { speech: fixture('caller-es.ulaw8k.wav'), speakAfterSec: 3, hangupAfterSec: 30 } });
    await rig.twilio.waitForStatus(callerSid, 'completed', 30_000);
    await waitUntil(() => rig.tolk.calls.activeCalls === 0, 5000, 'call to end');
    expect((await callerLeg())?.language).toBe('pl');
    expect(rig.logs.some((l) => l.event === 'call.caller_language' && l.language === 'pl' && l.source === 'detected')).toBe(true);
    keepWav('auto-caller-heard.wav', rig.twilio.recording(callerSid).heardWav());
    // The agent's held words reached the caller, translated, after the caller first spoke.
    expect(loudFrames(rig.twilio.recording(callerSid).heard, -30).length).toBeGreaterThan(0.8 * loudCount('agent-en.ulaw8k.wav'));
  });
});

describe('a caller who switches language mid-call', () => {
  it('is followed: the agent\'s words reach them in the new language, and the call goes on', async () => {
    // The emulated model hears the caller's three utterances as Spanish, then Polish, then Polish.
    const script: Script = {
      entries: [
        { language: 'es', text: 'hola', translations: new Map([['en', { text: 'hello', audio24k: new Int16Array(2400).fill(3000) }]]) },
        { language: 'pl', text: 'dzień dobry', translations: new Map([['en', { text: 'good morning', audio24k: new Int16Array(2400).fill(3000) }]]) },
        { language: 'pl', text: 'proszę', translations: new Map([['en', { text: 'please', audio24k: new Int16Array(2400).fill(3000) }]]) },
      ],
    };
    rig = await startRig({ speed: 4, gemini: { mode: 'script', script, detector: { pauseMs: 600 } } });
    rig.twilio.setCallee(AGENT_NUMBER, {});
    const caller = readWav(fs.readFileSync(fixture('caller-es.ulaw8k.wav'))).samples.subarray(0, 2 * 8000);
    // 2 s of speech every 10 s. The model transcribes while the caller speaks, and tolk ends an
    // utterance after 1.2 s (wall clock) without transcript: at four times real time, turns closer
    // than that would run into one another.
    const turns = new Int16Array(3 * 10 * 8000);
    for (let i = 0; i < 3; i++) turns.set(caller, i * 10 * 8000);
    const callerSid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { speech: turns, speakAfterSec: 1, hangupAfterSec: 35 } });
    await waitUntil(() => rig.logs.some((l) => l.event === 'call.caller_language' && l.language === 'pl'), 30_000, 'the switch to Polish');
    const call = rig.tolk.calls.call(String(rig.logs.find((l) => l.event === 'call.created')?.callId));
    expect(call?.state).toBe('bridged');
    expect(rig.logs.find((l) => l.event === 'call.caller_language' && l.language === 'pl')).toMatchObject({ previous: 'es', source: 'detected' });
    // A translation session into Polish was set up for the agent's words (besides the Spanish one before).
    await waitUntil(() => rig.gemini.sessions.some((x) => x.setup?.targetLanguageCode === 'pl'), 5000, 'a session into Polish');
    expect(rig.gemini.sessions.map((x) => x.setup?.targetLanguageCode)).toEqual(expect.arrayContaining(['en', 'es', 'pl']));
    await rig.twilio.waitForStatus(callerSid, 'completed', 30_000);
    await waitUntil(() => rig.tolk.calls.activeCalls === 0, 5000, 'call to end');
    expect((await callerLeg())?.language).toBe('pl');
    const page = await rig.tolk.records.list({ limit: 1 });
    expect(page.items[0].outcome).toBe('completed');
  });
});

describe('a change to a number', () => {
  it('applies to the next call without a restart', async () => {
    rig = await startRig();
    rig.twilio.setCallee(AGENT_NUMBER, {});
    const base = `http://127.0.0.1:${rig.tolk.address.port}`;
    const put = await fetch(`${base}/api/numbers/${encodeURIComponent(TOLK_NUMBER)}`, {
      method: 'PUT',
      headers: { authorization: 'Bearer admin-token-for-tests-0123456789', 'content-type': 'application/json' },
      body: JSON.stringify({ destination: AGENT_NUMBER, callerLanguage: 'pl', agentLanguage: 'de' }),
    });
    expect(put.status).toBe(200);
    const callerSid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { hangupAfterSec: 4 } });
    await rig.twilio.waitForStatus(callerSid, 'completed', 20_000);
    await waitUntil(() => rig.tolk.calls.activeCalls === 0, 5000, 'call to end');
    const page = await rig.tolk.records.list({ limit: 1 });
    expect(page.items[0].languages).toEqual({ caller: 'pl', agent: 'de' });
  });
});
