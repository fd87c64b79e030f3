/**
 * How tolk finds the caller's language, end to end: the number's DTMF menu, the language
 * remembered from the caller's last call, detection from the caller's first speech (with the
 * agent's words held until then), and a caller who switches language mid-call.
 */
import fs from 'node:fs';
import { readWav } from '../../src/audio';
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
