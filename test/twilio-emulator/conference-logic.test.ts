import { Conference, DEFAULT_PARTICIPANT, type ConferenceError, type ConferenceEvent, type ParticipantSettings } from '../../src/emulators/twilio/conference/conference';
import { ConferenceMixer, hears, type MixRole } from '../../src/emulators/twilio/conference/mixer';
import { holdMusic, silence } from '../../src/emulators/twilio/conference/sounds';
import { conferenceCallbackParams, statusCallbackConfig, wantsConferenceEvent } from '../../src/emulators/twilio/conference/status-callback';

/** A frame whose every sample is `v`: sums of such frames show exactly who was mixed in. */
const dc = (v: number): Int16Array => new Int16Array(160).fill(v);
const role = (callSid: string, extra: Partial<MixRole> = {}): MixRole => ({ callSid, muted: false, hold: false, coaching: false, ...extra });
const quiet = { wait: silence, hold: silence };

describe('conference mixing', () => {
  it('hears(): never yourself, nobody muted or held, a coach only by the one it coaches', () => {
    const a = role('A');
    expect(hears(a, a)).toBe(false);
    expect(hears(a, role('B'))).toBe(true);
    expect(hears(a, role('B', { muted: true }))).toBe(false);
    expect(hears(a, role('B', { hold: true }))).toBe(false);
    expect(hears(role('A', { hold: true }), role('B'))).toBe(false);
    expect(hears(a, role('D', { coaching: true, callSidToCoach: 'A' }))).toBe(true);
    expect(hears(role('B'), role('D', { coaching: true, callSidToCoach: 'A' }))).toBe(false);
    // A coach hears everyone else, but not another coach whispering to someone else.
    expect(hears(role('D', { coaching: true, callSidToCoach: 'A' }), role('B'))).toBe(true);
    expect(hears(role('D', { coaching: true, callSidToCoach: 'A' }), role('E', { coaching: true, callSidToCoach: 'B' }))).toBe(false);
  });

  it('each listener hears exactly the sum of those it may hear, whatever the tick order', () => {
    // A and B talk; C is muted; D whispers to A; E whispers to B.
    const roles = [role('A'), role('B'), role('C', { muted: true }), role('D', { coaching: true, callSidToCoach: 'A' }), role('E', { coaching: true, callSidToCoach: 'B' })];
    const value: Record<string, number> = { A: 1, B: 10, C: 100, D: 1000, E: 10000 };
    const expected: Record<string, number> = { A: 10 + 1000, B: 1 + 10000, C: 1 + 10, D: 1 + 10, E: 1 + 10 };
    for (const order of [['A', 'B', 'C', 'D', 'E'], ['E', 'D', 'C', 'B', 'A'], ['C', 'A', 'E', 'B', 'D']]) {
      const mix = new ConferenceMixer();
      for (const r of roles) mix.add(r, quiet);
      mix.start();
      const heard: Record<string, number[]> = {};
      for (let tick = 0; tick < 6; tick++) {
        // Interleave speaking and listening in `order`, as calls tick one after another.
        for (const sid of order) {
          mix.speak(sid, dc(value[sid]));
          (heard[sid] ??= []).push(mix.listen(sid)[0]);
        }
      }
      // After the first tick (where a later speaker is not heard yet) every tick is the full sum.
      for (const sid of order) expect(heard[sid].slice(1)).toEqual(Array(5).fill(expected[sid]));
    }
  });

  it('can make a coach hear the participant it coaches louder than the rest', () => {
    const mix = new ConferenceMixer(2);
    for (const r of [role('A'), role('B'), role('D', { coaching: true, callSidToCoach: 'A' })]) mix.add(r, quiet);
    mix.start();
    mix.speak('A', dc(1));
    mix.speak('B', dc(10));
    expect([mix.listen('D')[0], mix.listen('B')[0]]).toEqual([2 + 10, 1]);
  });

  it('before the start everyone hears wait music and nobody else; on hold, hold music; beeps on top', () => {
    const mix = new ConferenceMixer();
    mix.add(role('A'), { wait: () => dc(7), hold: () => dc(9) });
    mix.add(role('B'), quiet);
    mix.speak('B', dc(10));
    expect(mix.listen('A')[0]).toBe(7);
    mix.start();
    mix.speak('B', dc(10));
    expect(mix.listen('A')[0]).toBe(10);
    const a = role('A', { hold: true });
    mix.remove('A');
    mix.add(a, { wait: () => dc(7), hold: () => dc(9) });
    mix.speak('B', dc(10));
    mix.speak('A', dc(3));
    expect(mix.listen('A')[0]).toBe(9);
    expect(mix.listen('B')[0]).toBe(0); // A on hold is not heard
    mix.overlay(['B'], [dc(5), dc(6)]);
    expect([mix.listen('B')[0], mix.listen('B')[0], mix.listen('B')[0]]).toEqual([5, 6, 0]);
  });

  it('hold music is a tune, silence is silence', () => {
    const m = holdMusic();
    const frames = Array.from({ length: 40 }, m);
    expect(Math.max(...frames[0])).toBeGreaterThan(1000);
    expect(frames[0]).not.toEqual(frames[25]);
    expect(Math.max(...silence())).toBe(0);
  });
});

/** The Twilio error code `fn` throws, if any. */
const codeOf = (fn: () => unknown): number | undefined => {
  try {
    fn();
  } catch (err) {
    return (err as ConferenceError).code;
  }
  return undefined;
};
const settings = (extra: Partial<ParticipantSettings> = {}): ParticipantSettings => ({ ...DEFAULT_PARTICIPANT, beep: 'false', ...extra });

describe('conference lifecycle', () => {
  const now = new Date(0);
  const setup = () => {
    const events: ConferenceEvent[] = [];
    const c = new Conference('CF1', 'room', now, (e) => events.push(e));
    const names = () => events.map((e) => ('participant' in e ? `${e.type}:${e.participant.callSid}` : e.type));
    return { c, events, names };
  };

  it('starts with the second participant when one has startConferenceOnEnter, and ends when the last leaves', () => {
    const { c, names } = setup();
    c.add('CA1', settings({ startConferenceOnEnter: false }), now);
    c.connect('CA1', now);
    expect(c.status).toBe('init');
    c.add('CA2', settings(), now);
    c.connect('CA2', now);
    expect(c.status).toBe('in-progress');
    c.leave('CA1', 'participant_hung_up', 'completed', now);
    expect(c.status).toBe('in-progress');
    c.leave('CA2', 'participant_hung_up', 'completed', now);
    expect(c.status).toBe('completed');
    expect(c.reasonEnded).toBe('last-participant-left');
    expect(names()).toEqual(['participant-join:CA1', 'participant-join:CA2', 'conference-start', 'participant-leave:CA1', 'participant-leave:CA2', 'conference-end']);
  });

  it('does not start with two participants that both have startConferenceOnEnter=false', () => {
    const { c } = setup();
    for (const sid of ['CA1', 'CA2']) {
      c.add(sid, settings({ startConferenceOnEnter: false }), now);
      c.connect(sid, now);
    }
    expect(c.status).toBe('init');
  });

  it('a participant with endConferenceOnExit ends it for everyone, who are told why', async () => {
    const { c, events } = setup();
    c.add('CA1', settings({ endConferenceOnExit: true, label: 'caller' }), now);
    const m1 = c.connect('CA1', now);
    c.add('CA2', settings(), now);
    const m2 = c.connect('CA2', now);
    c.add('CA3', settings(), now); // still ringing
    c.leave('CA1', 'participant_hung_up', 'completed', now);
    expect(await m1.ended).toBe('participant_hung_up');
    expect(await m2.ended).toBe('participant_with_end_conference_on_exit_left');
    expect(await c.whenRemoved('CA3')).toBe('participant_with_end_conference_on_exit_left');
    expect(c.participants()).toEqual([]);
    expect(events.at(-1)).toEqual({ type: 'conference-end', reason: 'participant-with-end-conference-on-exit-left', callSid: 'CA1', label: 'caller' });
    const ringing = events.find((e) => e.type === 'participant-leave' && e.participant.callSid === 'CA3');
    expect(ringing).toMatchObject({ callStatus: 'canceled', participant: { status: 'failed' } });
  });

  it('refuses coaching someone absent or on hold, and reports mute, hold and coaching changes', () => {
    const { c, names } = setup();
    c.add('CA1', settings(), now);
    expect(codeOf(() => c.add('CA9', settings({ coaching: true, callSidToCoach: 'CA1' }), now))).toBe(16028);
    c.connect('CA1', now);
    c.add('CA2', settings({ label: 'agent' }), now);
    c.connect('CA2', now);
    expect(() => c.add('CA3', settings({ label: 'agent' }), now)).toThrow(/Label agent/);
    expect(codeOf(() => c.add('CA3', settings({ coaching: true }), now))).toBe(20001);
    c.update('CA1', { hold: true }, now);
    expect(codeOf(() => c.add('CA3', settings({ coaching: true, callSidToCoach: 'CA1' }), now))).toBe(16027);
    c.update('CA1', { hold: false }, now);
    c.add('CA3', settings({ coaching: true, callSidToCoach: 'CA1' }), now);
    c.connect('CA3', now);
    c.update('CA2', { muted: true }, now);
    c.update('CA3', { callSidToCoach: 'CA2' }, now);
    c.update('CA3', { coaching: false }, now);
    expect(c.participant('agent')?.callSid).toBe('CA2');
    expect(names().slice(3)).toEqual([
      'participant-hold:CA1',
      'participant-unhold:CA1',
      'participant-join:CA3',
      'participant-mute:CA2',
      'participant-modify:CA3',
      'participant-modify:CA3',
    ]);
    expect(c.participant('CA3')).toMatchObject({ coaching: false, callSidToCoach: undefined });
  });

  it('the audio follows the state: beep on join, mix after start, a coach heard by one', () => {
    const { c } = setup();
    c.add('CA1', settings({ waitUrl: '' }), now);
    const a = c.connect('CA1', now);
    a.speak(dc(1));
    expect(a.listen()[0]).toBe(0); // alone and waiting, in silence
    c.add('CA2', settings({ beep: 'true' }), now);
    const b = c.connect('CA2', now);
    expect(Math.max(...a.listen())).toBeGreaterThan(1000); // B's join beep
    c.add('CA3', settings({ coaching: true, callSidToCoach: 'CA1' }), now);
    const coach = c.connect('CA3', now);
    const tick = () => {
      a.speak(dc(1));
      b.speak(dc(10));
      coach.speak(dc(100));
      return [a.listen()[0], b.listen()[0], coach.listen()[0]];
    };
    for (let i = 0; i < 20; i++) tick(); // let the beep finish
    expect(tick()).toEqual([110, 1, 11]);
  });
});

describe('conference status callbacks', () => {
  it('subscribes by word (default start and end) and sends the participant fields', () => {
    const c = new Conference('CF1', 'room', new Date(0), () => undefined);
    const config = statusCallbackConfig('https://app/cb', undefined, [])!;
    expect([...config.events]).toEqual(['start', 'end']);
    const joined: ConferenceEvent = { type: 'participant-join', participant: { ...settings({ label: 'agent', coaching: true, callSidToCoach: 'CA1' }), callSid: 'CA2', status: 'connected', dateCreated: new Date(0), dateUpdated: new Date(0) } };
    expect(wantsConferenceEvent(config, joined)).toBe(false);
    expect(wantsConferenceEvent(statusCallbackConfig('https://app/cb', 'GET', ['join'])!, joined)).toBe(true);
    expect(conferenceCallbackParams('AC1', c, joined, 3, new Date(0))).toEqual({
      AccountSid: 'AC1',
      ConferenceSid: 'CF1',
      FriendlyName: 'room',
      StatusCallbackEvent: 'participant-join',
      SequenceNumber: '3',
      Timestamp: 'Thu, 01 Jan 1970 00:00:00 +0000',
      CallSid: 'CA2',
      Muted: 'false',
      Hold: 'false',
      Coaching: 'true',
      CallSidToCoach: 'CA1',
      EndConferenceOnExit: 'false',
      StartConferenceOnEnter: 'true',
      ParticipantLabel: 'agent',
    });
    expect(conferenceCallbackParams('AC1', c, { type: 'conference-end', reason: 'conference-ended-via-api' }, 4, new Date(0))).toMatchObject({
      StatusCallbackEvent: 'conference-end',
      ReasonConferenceEnded: 'conference-ended-via-api',
    });
  });
});
