/**
 * The emulator's speech detector (participant-speech-start / -stop) and the conference events it
 * drives: sent only when the status callback subscribes to `speaker`, from what each participant
 * sends into the conference, never while it is muted or on hold.
 */
import { Conference, DEFAULT_PARTICIPANT, type ConferenceEvent } from '../../src/emulators/twilio/conference/conference';
import { GAP_FRAMES, SpeechActivity, START_FRAMES, STOP_FRAMES } from '../../src/emulators/twilio/conference/speech-activity';
import { conferenceCallbackParams, statusCallbackConfig, wantsConferenceEvent } from '../../src/emulators/twilio/conference/status-callback';

const loud = (): Int16Array => new Int16Array(160).fill(3000);
const quiet = (): Int16Array => new Int16Array(160).fill(20);

/** The frame numbers (from 0) at which each edge came, feeding `frames` in order. */
function edges(a: SpeechActivity, frames: (Int16Array | undefined)[]): string[] {
  const out: string[] = [];
  frames.forEach((f, i) => {
    const e = a.push(f);
    if (e) out.push(`${e}@${i}`);
  });
  return out;
}

const times = <T>(n: number, f: () => T): T[] => Array.from({ length: n }, f);

describe('the speech detector', () => {
  it('starts after 100 ms of voice and stops after 500 ms of quiet', () => {
    expect(START_FRAMES * 20).toBe(100);
    expect(STOP_FRAMES * 20).toBe(500);
    const a = new SpeechActivity();
    expect(edges(a, [...times(10, quiet), ...times(50, loud), ...times(30, quiet)])).toEqual([`start@${10 + START_FRAMES - 1}`, `stop@${60 + STOP_FRAMES - 1}`]);
    expect(a.speaking).toBe(false);
  });

  it('ignores a click shorter than the start, and keeps pauses shorter than the hangover inside one speech', () => {
    const a = new SpeechActivity();
    // A 60 ms click, then quiet long enough to forget it.
    expect(edges(a, [...times(3, loud), ...times(STOP_FRAMES, quiet)])).toEqual([]);
    // Speech with a 400 ms pause in it: one start, one stop.
    const speech = [...times(20, loud), ...times(20, quiet), ...times(20, loud), ...times(STOP_FRAMES, quiet)];
    expect(edges(a, speech).map((e) => e.split('@')[0])).toEqual(['start', 'stop']);
  });

  it('starts nothing on scattered clicks: a short quiet forgets the voiced frames before it', () => {
    const a = new SpeechActivity();
    const clicks = Array.from({ length: 10 }, () => [...times(START_FRAMES - 1, loud), ...times(GAP_FRAMES, quiet)]).flat();
    expect(edges(a, clicks)).toEqual([]);
    // A gap shorter than that does not break a start.
    expect(edges(a, [...times(3, loud), ...times(GAP_FRAMES - 1, quiet), ...times(2, loud)]).map((e) => e.split('@')[0])).toEqual(['start']);
  });

  it('takes a frame not sent into the conference for quiet', () => {
    const a = new SpeechActivity();
    expect(edges(a, [...times(10, loud), ...times(STOP_FRAMES, () => undefined)]).map((e) => e.split('@')[0])).toEqual(['start', 'stop']);
  });
});

describe('speech events of a conference', () => {
  const now = new Date(0);
  const settings = { ...DEFAULT_PARTICIPANT, beep: 'false' as const };
  const setup = (events: string[]) => {
    const got: ConferenceEvent[] = [];
    const c = new Conference('CF1', 'room', now, (e) => got.push(e));
    c.useStatusCallback(statusCallbackConfig('https://app/cb', 'POST', events));
    c.add('CA1', settings, now);
    const a = c.connect('CA1', now);
    c.add('CA2', settings, now);
    const b = c.connect('CA2', now);
    const speech = () => got.filter((e) => e.type === 'participant-speech-start' || e.type === 'participant-speech-stop').map((e) => ('participant' in e ? `${e.type}:${e.participant.callSid}` : e.type));
    return { c, a, b, got, speech };
  };

  it('reports each participant starting and stopping, from its own audio only', () => {
    const { a, b, speech } = setup(['start', 'end', 'join', 'leave', 'speaker']);
    for (let i = 0; i < 30; i++) {
      a.speak(loud());
      b.speak(quiet());
    }
    for (let i = 0; i < 60; i++) {
      a.speak(quiet());
      b.speak(i < 20 ? loud() : quiet());
    }
    // CA2 starts 100 ms after CA1 went quiet, before CA1's hangover ends.
    expect(speech()).toEqual([
      'participant-speech-start:CA1',
      'participant-speech-start:CA2',
      'participant-speech-stop:CA1',
      'participant-speech-stop:CA2',
    ]);
  });

  it('sends none unless the status callback subscribes to `speaker`', () => {
    const { a, speech } = setup(['start', 'end', 'join', 'leave']);
    for (let i = 0; i < 60; i++) a.speak(i < 30 ? loud() : quiet());
    expect(speech()).toEqual([]);
  });

  it('hears nothing from a muted participant: muted while speaking, it stops after the hangover', () => {
    const { c, a, speech, got } = setup(['speaker', 'mute']);
    for (let i = 0; i < 10; i++) a.speak(loud());
    c.update('CA1', { muted: true }, now);
    for (let i = 0; i < 40; i++) a.speak(loud());
    expect(speech()).toEqual(['participant-speech-start:CA1', 'participant-speech-stop:CA1']);
    const stop = got.find((e) => e.type === 'participant-speech-stop')!;
    expect(conferenceCallbackParams('AC1', c, stop, 7, now)).toMatchObject({ StatusCallbackEvent: 'participant-speech-stop', CallSid: 'CA1', Muted: 'true', Hold: 'false', SequenceNumber: '7' });
    expect(wantsConferenceEvent(statusCallbackConfig('https://app/cb', 'POST', ['speaker'])!, stop)).toBe(true);
    expect(wantsConferenceEvent(statusCallbackConfig('https://app/cb', 'POST', ['join'])!, stop)).toBe(false);
  });
});
