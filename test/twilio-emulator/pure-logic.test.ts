import { JitterPlan } from '../../src/emulators/twilio/faults';
import { PlayoutBuffer } from '../../src/emulators/twilio/playout';
import { parseTwiml } from '../../src/emulators/twilio/twiml';
import { parseCliArgs } from '../../src/emulators/twilio/cli-args';
import { WaveFile } from 'wavefile';
import { decodeMulaw, encodeMulaw, toneVoice, wavBytesTo8k } from '../../src/emulators/twilio/audio';
import { PartyVoice } from '../../src/emulators/twilio/party';

describe('play-out buffer', () => {
  it('plays in order, echoes marks after their audio, at once when empty, and on clear', () => {
    const p = new PlayoutBuffer();
    expect(p.addMark('empty')).toEqual(['empty']);
    p.enqueue(new Uint8Array(200).fill(1));
    expect(p.addMark('a')).toEqual([]);
    p.enqueue(new Uint8Array(400).fill(2));
    expect(p.addMark('b')).toEqual([]);
    const f1 = p.nextFrame();
    expect(f1.marks).toEqual([]);
    const f2 = p.nextFrame();
    expect(f2.marks).toEqual(['a']);
    expect(f2.audio[39]).toBe(1);
    expect(f2.audio[40]).toBe(2);
    expect(p.clear()).toEqual(['b']);
    const f3 = p.nextFrame();
    expect(f3.playedBytes).toBe(0);
    expect(f3.audio.every((b) => b === 0xff)).toBe(true);
  });
});

describe('TwiML parsing', () => {
  it('reads Connect/Stream parameters, Gather and Conference with its attributes', () => {
    const verbs = parseTwiml(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Hi &amp; bye</Say><Connect action="/next"><Stream url="wss://x/m"><Parameter name="token" value="a&lt;b"/></Stream></Connect>' +
        '<Gather numDigits="2"><Say>x</Say></Gather><Dial><Conference endConferenceOnExit="true">r1</Conference></Dial><Play>u</Play></Response>',
    );
    expect(verbs.map((v) => v.verb)).toEqual(['Say', 'Connect', 'Gather', 'Dial', 'unsupported']);
    expect(verbs[0]).toMatchObject({ text: 'Hi & bye' });
    expect(verbs[1]).toMatchObject({ action: '/next', stream: { url: 'wss://x/m', parameters: { token: 'a<b' } } });
    expect(verbs[3]).toMatchObject({ conference: { name: 'r1', endConferenceOnExit: true } });
    const [conf] = parseTwiml(
      '<Response><Dial><Conference beep="onExit" waitUrl="" participantLabel="agent" coach="CA1" statusCallback="https://x/c" statusCallbackEvent="start join leave">r2</Conference></Dial></Response>',
    );
    expect(conf).toMatchObject({
      conference: { name: 'r2', beep: 'onExit', waitUrl: '', participantLabel: 'agent', coach: 'CA1', statusCallback: 'https://x/c', statusCallbackEvents: ['start', 'join', 'leave'], startConferenceOnEnter: true },
    });
    const [withCallback] = parseTwiml('<Response><Connect><Stream name="s1" url="wss://x/m" statusCallback="https://x/ss" statusCallbackMethod="GET"/></Connect></Response>');
    expect(withCallback).toMatchObject({ stream: { name: 's1', statusCallback: 'https://x/ss', statusCallbackMethod: 'GET' } });
    expect(() => parseTwiml('<Response><Say></Response>')).toThrow();
    expect(() => parseTwiml('<Foo/>')).toThrow();
  });
});

describe('CLI options', () => {
  it('parses numbers, callees, time scale, faults and conference options', () => {
    const c = parseCliArgs(['--port', '5000', '--time-scale', '0.1', '--number', '+1555=http://h/v', '--callee', '+1666=answer:3', '--loss', '0.1']);
    expect(c.options).toMatchObject({ port: 5000, timeScale: 0.1, numbers: [{ phoneNumber: '+1555', voiceUrl: 'http://h/v' }], callees: { '+1666': { scenario: { kind: 'answer', afterSec: 3 } } }, faults: { lossRate: 0.1 } });
    expect(() => parseCliArgs(['--bogus'])).toThrow(/unknown option/);
    const apps = parseCliArgs(['--app', 'http://h/interp', '--app', `AP${'a'.repeat(32)}=https://h/i2`, '--no-agent-conference', '--app-parameters', 'query', '--coached-gain-db', '6']);
    expect(apps.options).toMatchObject({
      applications: [{ voiceUrl: 'http://h/interp' }, { sid: `AP${'a'.repeat(32)}`, voiceUrl: 'https://h/i2' }],
      agentConference: false,
      appParameters: 'query',
      coachedPartyGainDb: 6,
    });
    expect(() => parseCliArgs(['--app', 'ftp://x'])).toThrow(/--app expects/);
    expect(() => parseCliArgs(['--app-parameters', 'body'])).toThrow(/params, query or none/);
    expect(parseCliArgs(['--jitter', '30']).options.faults).toEqual({ jitterMs: 30 });
    expect(() => parseCliArgs(['--jitter', '-5'])).toThrow(/--jitter needs ms >= 0/);
    expect(parseCliArgs(['--refuse-streams', '/twilio/media/b', '--refuse-streams', '/twilio/media/c:1']).options.faults).toEqual({
      refuseStreams: [{ urlContains: '/twilio/media/b' }, { urlContains: '/twilio/media/c', count: 1 }],
    });
  });
});

describe('network jitter', () => {
  it('delivers each message 0 to 2 x jitter ms after it was sent, in order, the same for a seed', () => {
    const plan = new JitterPlan(30, 3);
    const sent = Array.from({ length: 2000 }, (_, k) => 20 * k);
    const arrivals = sent.map((t) => plan.arrival(t));
    arrivals.forEach((a, k) => {
      expect(a - sent[k]).toBeGreaterThanOrEqual(0);
      expect(a - sent[k]).toBeLessThanOrEqual(60);
      if (k > 0) expect(a).toBeGreaterThanOrEqual(arrivals[k - 1]);
    });
    const delays = arrivals.map((a, k) => a - sent[k]);
    // Spread over the whole range, around a mean of 30 ms.
    expect(Math.min(...delays)).toBeLessThan(5);
    expect(Math.max(...delays)).toBeGreaterThan(55);
    expect(delays.reduce((x, y) => x + y, 0) / delays.length).toBeGreaterThan(25);
    const again = new JitterPlan(30, 3);
    expect(sent.map((t) => again.arrival(t))).toEqual(arrivals);
    expect(() => new JitterPlan(-1)).toThrow(RangeError);
  });
});

describe('an emulated party speaking', () => {
  const dc = (sec: number, v: number) => new Int16Array(Math.round(sec * 8000)).fill(v);
  /** The value of each 20 ms mic frame over `frames` ticks, hearing `heard(n)` on tick n. */
  const run = (p: PartyVoice, frames: number, heard: (n: number) => number = () => 0): number[] => {
    const out: number[] = [];
    let last: Int16Array | undefined;
    for (let n = 0; n < frames; n++) {
      out.push(p.micFrame(n, last)[0]);
      last = new Int16Array(160).fill(heard(n));
    }
    return out;
  };

  it('says clips at their times, one after another, never over itself', () => {
    const p = new PartyVoice({ speech: dc(0.1, 1), speakAfterSec: 0.2, utterances: [{ audio: dc(0.1, 2), atSec: 0.24 }, { audio: dc(0.06, 3), atSec: 0.5 }] });
    const frames = run(p, 30);
    // 0.2 s = frame 10: clip 1 (5 frames); clip 2 was due at frame 12 but waits for clip 1 to end.
    expect(frames.slice(8, 29)).toEqual([0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 3, 3, 3, 0]);
  });

  it('with afterSpeech waits until the other party has spoken and paused', () => {
    const p = new PartyVoice({ utterances: [{ audio: dc(0.06, 5), afterSpeech: true }] });
    // The other party speaks for 0.4 s from frame 5 (frames 5-24), then is quiet.
    const frames = run(p, 80, (n) => (n >= 5 && n < 25 ? 3000 : 0));
    const first = frames.indexOf(5);
    // A turn ends after 35 quiet frames (0.7 s): quiet from frame 25, so speech starts at frame 60 or 61.
    expect(first).toBeGreaterThanOrEqual(60);
    expect(first).toBeLessThanOrEqual(61);
    // A short blip is not a turn.
    const q = new PartyVoice({ utterances: [{ audio: dc(0.06, 5), afterSpeech: true }] });
    expect(run(q, 80, (n) => (n >= 5 && n < 8 ? 3000 : 0)).includes(5)).toBe(false);
  });

  it('says an 8 kHz mu-law WAV (the demo\'s fixtures) sample for sample as recorded, not resampled to the rate it has', () => {
    const mulaw = encodeMulaw(toneVoice(0.5, 440));
    const wav = new WaveFile();
    wav.fromScratch(1, 8000, '8m', mulaw);
    expect(Array.from(wavBytesTo8k(wav.toBuffer()))).toEqual(Array.from(decodeMulaw(mulaw)));
  });
});
