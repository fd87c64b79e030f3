import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WaveFile } from 'wavefile';
import { toWav } from '../../src/emulators/twilio/audio';
import { parseDuration, runControlCli } from '../../src/emulators/twilio/control/cli';
import { startTwilioEmulator, type TwilioEmulator } from '../../src/emulators/twilio/emulator';
import { startAppServer, sdkClientFor, type AppServer } from './app-server';
import { rmsOf, tone, tonesAnywhereIn } from './signal';
import { elapse } from './timeline';

const NUMBER = '+15550001111';
const CALLER = '+15557770001';

/** Indexes of the 20 ms frames of `s` louder than `threshold`. */
const loudFrames = (s: Int16Array, threshold = 500): number[] => {
  const out: number[] = [];
  for (let f = 0; (f + 1) * 160 <= s.length; f++) if (rmsOf(s.subarray(f * 160, (f + 1) * 160)) > threshold) out.push(f);
  return out;
};

describe('driving the Twilio emulator by hand (control API and CLI)', () => {
  let emu: TwilioEmulator;
  let app: AppServer;
  let dir: string;
  let wav1000: string;

  /** Runs one CLI command against the emulator; resolves its exit code and output. */
  const cli = async (...argv: string[]) => {
    let out = '';
    let err = '';
    const code = await runControlCli(['--url', emu.url, ...argv], {}, { out: (s) => (out += s), err: (s) => (err += s) });
    return { code, out, err };
  };

  beforeEach(async () => {
    app = await startAppServer();
    emu = await startTwilioEmulator({ timeScale: 0.05, numbers: [{ phoneNumber: NUMBER, voiceUrl: app.base + '/voice' }] });
    dir = await mkdtemp(path.join(tmpdir(), 'twemu-'));
    wav1000 = path.join(dir, 'speech.wav');
    await writeFile(wav1000, toWav(tone(1, 1000, 6000)));
  });
  afterEach(async () => {
    await emu.close();
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('places a call whose caller speaks after the greeting, presses keys, is listed, saved and hung up', async () => {
    // The application greets (a 6-word <Say>: 2.4 s of 440 Hz) and waits for a key.
    app.handle('/voice', '<Response><Say>Welcome, please say something now</Say><Gather numDigits="1" timeout="30" action="/gathered"/></Response>');
    app.handle('/gathered', '<Response><Pause length="60"/></Response>');
    const placed = await cli('call', '--from', CALLER, '--to', NUMBER, '--say', wav1000, '--after-speech');
    expect(placed).toMatchObject({ code: 0, err: '' });
    const sid = placed.out.trim();
    expect(sid).toMatch(/^CA[0-9a-f]{32}$/);
    await emu.waitForStatus(sid, 'in-progress');
    await elapse(emu, sid, 4.5);

    // The caller waited for the greeting to end, then a natural pause, then spoke.
    const rec = emu.recording(sid);
    const greeting = loudFrames(rec.heard);
    const spoke = loudFrames(rec.said);
    const greetingEnd = greeting[greeting.length - 1];
    expect(spoke[0] - greetingEnd).toBeGreaterThanOrEqual(35);
    expect(spoke[0] - greetingEnd).toBeLessThanOrEqual(37);

    expect(await cli('digits', sid, '7')).toMatchObject({ code: 0 });
    await emu.waitFor((e) => e.type === 'webhook' && e.kind === 'action' && e.callSid === sid);
    expect(app.received.find((r) => r.path === '/gathered')?.params.Digits).toBe('7');

    const listed = await cli('calls');
    expect(listed.out).toContain(`${sid}  inbound      ${CALLER} -> ${NUMBER}  in-progress`);
    const saved = await cli('save', sid, '--dir', path.join(dir, 'out'));
    expect(saved.out.trim().split('\n')).toEqual([path.join(dir, 'out', `${sid}-heard.wav`), path.join(dir, 'out', `${sid}-said.wav`)]);
    const heard = new WaveFile(await readFile(path.join(dir, 'out', `${sid}-heard.wav`)));
    const samples = heard.getSamples(false, Int16Array) as unknown as Int16Array;
    expect(tonesAnywhereIn(samples, [440, 1000])).toEqual([440]);
    const said = new WaveFile(await readFile(path.join(dir, 'out', `${sid}-said.wav`)));
    expect(tonesAnywhereIn(said.getSamples(false, Int16Array) as unknown as Int16Array, [440, 1000])).toEqual([1000]);

    const json = await cli('--json', 'hangup', sid);
    expect(JSON.parse(json.out)).toMatchObject({ sid, status: 'completed' });
    expect(emu.call(sid)!.status).toBe('completed');
  });

  it('says more on a live call, at a delay from now', async () => {
    app.handle('/voice', '<Response><Pause length="60"/></Response>');
    const sid = (await cli('call', '--from', CALLER, '--to', NUMBER)).out.trim();
    await emu.waitForStatus(sid, 'in-progress');
    await elapse(emu, sid, 0.5);
    expect(await cli('say', sid, wav1000, '--in', '1s')).toMatchObject({ code: 0 });
    const asked = await emu.waitFor((e) => e.type === 'party.say' && e.callSid === sid);
    await elapse(emu, sid, 2.5);
    // The speech starts 1 s after the request reached the emulator, on the call's 20 ms timeline.
    const atSec = asked.type === 'party.say' ? asked.atSec : NaN;
    expect(atSec).toBeGreaterThanOrEqual(1.5);
    expect(loudFrames(emu.recording(sid).said)[0]).toBe(Math.round(atSec * 50));
  });

  it('people join a conference by name, hear each other, and the conference is listed', async () => {
    const a = await cli('join', 'book-club', '--from', '+15550000001', '--say', wav1000, '--at', '0.5s', '--label', 'ann', '--no-beep');
    const b = await cli('join', 'book-club', '--from', '+15550000002', '--no-beep');
    const [sa, sb] = [a.out.trim(), b.out.trim()];
    await emu.waitFor((e) => e.type === 'conference.update' && e.action === 'start');
    await elapse(emu, sb, 1.5);
    expect(tonesAnywhereIn(emu.recording(sb).heard, [1000])).toEqual([1000]);
    expect(tonesAnywhereIn(emu.recording(sa).heard, [1000])).toEqual([]);
    const listed = await cli('conferences');
    expect(listed.out).toMatch(/^CF[0-9a-f]{32} {2}book-club {2}in-progress\n/);
    expect(listed.out).toContain(`  ${sa}  connected  (label=ann)\n`);
    expect(listed.out).toContain(`  ${sb}  connected\n`);
  });

  it('speaks a synthetic voice of a pitch for tone:HZ[:DURATION], in place of a WAV file', async () => {
    app.handle('/voice', '<Response><Pause length="60"/></Response>');
    const sid = (await cli('call', '--from', CALLER, '--to', NUMBER, '--say', 'tone:700:1s')).out.trim();
    await emu.waitForStatus(sid, 'in-progress');
    expect(await cli('say', sid, 'tone:500', '--in', '1.5s')).toMatchObject({ code: 0 });
    await elapse(emu, sid, 5);
    const said = emu.recording(sid).said;
    // 1 s at 700 Hz, then (from 1.5 s after the say, at least 2 s in) 3 s at 500 Hz.
    expect(tonesAnywhereIn(said.subarray(0, 8000), [500, 700])).toEqual([700]);
    expect(tonesAnywhereIn(said.subarray(16_000, 40_000), [500, 700])).toEqual([500]);
    // 4 s of voice in all (200 frames), less the quietest of its syllables' troughs.
    expect(loudFrames(said).length).toBeGreaterThan(170);
    expect(loudFrames(said).length).toBeLessThanOrEqual(200);
    expect(await cli('say', sid, 'tone:9000')).toMatchObject({ code: 2, err: expect.stringContaining('the pitch is 50 to 3500 Hz') });
    expect(await cli('say', sid, 'tone:500:soon')).toMatchObject({ code: 2, err: expect.stringContaining('"soon" is not a duration') });
  });

  it('sets how a dialled number answers', async () => {
    expect(await cli('callee', '+15550009999', '--answer', 'busy')).toMatchObject({ code: 0, out: '+15550009999: busy\n' });
    expect(await cli('callee', '+15550008888', '--answer-after', '2s', '--say', 'tone:700', '--after-speech', '--hangup-after', '30s')).toMatchObject({
      code: 0,
      out: '+15550008888: answers after 2s, says tone:700 once the other party has spoken, hangs up 30s after answering\n',
    });
    expect(await cli('callee', '+15550007777', '--say', 'tone:700', '--at', '1s')).toMatchObject({ code: 0, out: '+15550007777: answers after 1s, says tone:700 1s after answering\n' });
    const client = sdkClientFor(emu.url, emu.accountSid, emu.authToken);
    const call = await client.calls.create({ to: '+15550009999', from: NUMBER, twiml: '<Response><Pause length="5"/></Response>' });
    await emu.waitForStatus(call.sid, 'busy', 5000);
  });

  it('answers mistakes clearly', async () => {
    expect(await cli('hangup', 'CA' + '0'.repeat(32))).toMatchObject({ code: 1, err: `emulator:twilio: no call CA${'0'.repeat(32)}\n` });
    expect(await cli('call', '--from', CALLER, '--to', '+15559999999')).toMatchObject({ code: 1, err: expect.stringContaining('+15559999999 is not a number of this account') });
    expect(await cli('call', '--from', 'me', '--to', NUMBER)).toMatchObject({ code: 1, err: expect.stringContaining('from: an E.164 number') });
    expect(await cli('call', '--from', CALLER, '--to', NUMBER, '--say', path.join(dir, 'missing.wav'))).toMatchObject({ code: 2, err: expect.stringContaining('cannot read') });
    expect(await cli('call', '--from', CALLER, '--to', NUMBER, '--say', wav1000, '--at', 'soon')).toMatchObject({ code: 2, err: expect.stringContaining('"soon" is not a duration') });
    expect(await cli('call', '--from', CALLER)).toMatchObject({ code: 2 });
    expect(await cli('--auth-token', 'wrong', 'calls')).toMatchObject({ code: 1, err: expect.stringContaining('refused the credentials') });
    const notWav = path.join(dir, 'not.wav');
    await writeFile(notWav, 'hello');
    expect(await cli('call', '--from', CALLER, '--to', NUMBER, '--say', notWav)).toMatchObject({ code: 1, err: expect.stringContaining('say[0].wav is not a WAV file') });

    // The raw API: JSON errors with the problems, and the Twilio API's credentials.
    const auth = 'Basic ' + Buffer.from(`${emu.accountSid}:${emu.authToken}`).toString('base64');
    const res = await fetch(`${emu.url}/emulator/calls`, { method: 'POST', headers: { Authorization: auth, 'Content-Type': 'application/json' }, body: JSON.stringify({ from: CALLER, to: NUMBER, extra: 1 }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ problems: [{ path: '(body)' }] });
    expect((await fetch(`${emu.url}/emulator/calls`)).status).toBe(401);
    expect((await fetch(`${emu.url}/emulator/nothing`, { headers: { Authorization: auth } })).status).toBe(404);
  });

  it('reads durations', () => {
    expect([parseDuration('2s'), parseDuration('1.5s'), parseDuration('500ms'), parseDuration('3')]).toEqual([2, 1.5, 0.5, 3]);
    expect(() => parseDuration('-1s')).toThrow(/not a duration/);
  });
});
