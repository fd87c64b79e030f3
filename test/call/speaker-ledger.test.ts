import { SpokenTimes } from '../../src/call/spoken-times';
import { SpeakerLedger } from '../../src/call/speaker-ledger';

describe('the speaker ledger', () => {
  it('names the one party there who speaks the language', () => {
    const l = new SpeakerLedger(1000);
    l.joined('caller', 0, 'es');
    l.joined('agent', 0, 'en-US');
    expect(l.speakerOf('es', 5000, 7000)).toBe('caller');
    expect(l.speakerOf('en', 5000, 7000)).toBe('agent');
    expect(l.speakerOf('de', 5000, 7000)).toBeUndefined();
  });

  it('counts everyone there from the lead before the start to the finish, and no one gone before', () => {
    const l = new SpeakerLedger(1000);
    l.joined('agent', 0, 'en');
    l.joined('guest', 0, 'en');
    l.left('guest', 3500);
    expect(l.speakerOf('en', 4000, 6000)).toBeUndefined();
    expect(l.speakerOf('en', 4600, 6000)).toBe('agent');
    l.joined('late', 5500, 'en');
    expect(l.speakerOf('en', 4600, 6000)).toBeUndefined();
  });

  it('takes a party whose language is in doubt to have maybe said anything', () => {
    const l = new SpeakerLedger(1000);
    l.joined('agent', 0, 'en');
    l.joined('a', 0);
    l.joined('b', 0);
    expect(l.speakerOf('en', 2000, 3000)).toBeUndefined();
    // Spanish heard while two were in doubt: given to `a`, but `b` may have said it.
    l.detected('a', 'es', 3000);
    expect(l.speakerOf('es', 2000, 3000)).toBeUndefined();
    l.left('b', 4000);
    expect(l.speakerOf('es', 10_000, 11_000)).toBeUndefined();
    // Detected while no one else's language was in doubt: sure.
    l.joined('c', 12_000);
    l.left('a', 12_000);
    l.detected('c', 'de', 20_000);
    expect(l.speakerOf('de', 20_000, 21_000)).toBe('c');
    expect(l.speakerOf('en', 20_000, 21_000)).toBe('agent');
  });

  it('forgets a language with the party: one who comes back is as they are named then', () => {
    const l = new SpeakerLedger(0);
    l.joined('p', 0);
    l.detected('p', 'es', 100);
    l.left('p', 200);
    l.joined('p', 300);
    l.joined('agent', 0, 'en');
    expect(l.speakerOf('en', 400, 500)).toBeUndefined();
  });

  it('takes a party a line was put down to as speaking its language for sure: no longer a maybe for lines in another', () => {
    const l = new SpeakerLedger(1000);
    l.joined('caller', 0, 'es');
    l.joined('agent', 0, 'en');
    l.joined('guest', 0);
    expect(l.speakerOf('es', 2000, 3000)).toBeUndefined();
    l.identified('guest', 'en');
    expect(l.speakerOf('es', 4000, 5000)).toBe('caller');
    // Sharing English with the agent: who said an English line is for the speech reports to tell.
    expect(l.speakerOf('en', 4000, 5000)).toBeUndefined();
  });

  it('takes a language brought back as not sure to be in doubt, however it was named', () => {
    const l = new SpeakerLedger(1000);
    l.joined('agent', 0, 'en');
    l.joined('guest', 0, 'es', false);
    l.joined('other', 0, 'fr', false);
    expect(l.speakerOf('es', 2000, 3000)).toBeUndefined();
    expect(l.speakerOf('fr', 2000, 3000)).toBeUndefined();
    expect(l.speakerOf('en', 2000, 3000)).toBeUndefined();
  });

  it('keeps a party gone less than the lead plus the longest line ago, and forgets one gone longer', () => {
    const l = new SpeakerLedger(1000, 10_000);
    l.joined('agent', 0, 'en');
    l.joined('guest', 0, 'en');
    l.left('guest', 2000);
    l.joined('late', 12_500, 'de');
    expect(l.size).toBe(3);
    expect(l.speakerOf('en', 2500, 12_500)).toBeUndefined();
    l.joined('later', 13_500, 'fr');
    expect(l.size).toBe(3);
    expect(l.speakerOf('en', 3500, 13_500)).toBe('agent');
  });

  it('stays bounded through a long conference with many comings and goings', () => {
    const l = new SpeakerLedger(1000, 10_000);
    l.joined('agent', 0, 'en');
    for (let i = 0; i < 1000; i++) {
      l.joined(`guest-${i}`, i * 1000, 'es');
      l.left(`guest-${i}`, i * 1000 + 500);
      l.joined('agent', i * 1000 + 600);
    }
    // The agent (there throughout) and the 11 guests who left within the lead plus the longest line.
    expect(l.size).toBe(12);
    expect(l.speakerOf('en', 999_000, 999_500)).toBe('agent');
  });

  it('names, among those who may have said a line, the one whose reported speech clearly covers it', () => {
    const l = new SpeakerLedger(1000);
    l.joined('caller', 0, 'es');
    l.joined('agent', 0, 'en');
    l.joined('guest', 0, 'en');
    expect(l.speakerOf('en', 2000, 4500, 4000)).toBeUndefined();
    // Reports come a few hundred ms after the speech they tell of.
    l.speaking('agent', true, 2100);
    l.speaking('agent', false, 4500);
    l.speaking('guest', true, 6100);
    l.speaking('guest', false, 8500);
    expect(l.speakerOf('en', 2000, 4500, 4000)).toBe('agent');
    expect(l.speakerOf('en', 6000, 8500, 8000)).toBe('guest');
    // The caller, who speaks only Spanish, talking over the agent is no rival to an English line.
    l.speaking('caller', true, 10_100);
    l.speaking('agent', true, 10_100);
    l.speaking('caller', false, 12_500);
    l.speaking('agent', false, 12_500);
    expect(l.speakerOf('en', 10_000, 12_500, 12_000)).toBe('agent');
    // Agent and guest at once: no one.
    l.speaking('guest', true, 14_100);
    l.speaking('agent', true, 14_600);
    l.speaking('guest', false, 16_500);
    l.speaking('agent', false, 16_500);
    expect(l.speakerOf('en', 14_000, 16_500, 16_000)).toBeUndefined();
  });

  it('takes no speech reports for a party who is not there, and closes the speech of one who leaves', () => {
    const l = new SpeakerLedger(1000);
    l.joined('agent', 0, 'en');
    l.joined('guest', 0, 'en');
    l.speaking('stranger', true, 100);
    l.speaking('guest', true, 2100);
    l.left('guest', 3000);
    // The guest's speech ended with them: it covers the first line, not the second.
    expect(l.speakerOf('en', 2000, 2800, 3000)).toBe('guest');
    // Still a candidate for a line started within the lead of their leaving, but not speaking in it.
    l.speaking('guest', true, 3600);
    l.speaking('agent', true, 3600);
    expect(l.speakerOf('en', 3500, 5500, 5000)).toBe('agent');
  });

  it("names who said a line's end: a short Spanish reply after a guest whose language is unknown names the caller", () => {
    for (const guest of [
      // The reply comes 600 ms after the guest's turn, which the Spanish session let pass.
      { from: 10_000, to: 14_000, reply: 14_600 },
      // The reply comes within the room detector's hangover: one run of speech.
      { from: 10_000, to: 14_300, reply: 14_550 },
    ]) {
      const l = new SpeakerLedger();
      l.joined('caller', 0, 'es');
      l.joined('agent', 0, 'en');
      l.joined('guest', 0);
      // What the Spanish session's route heard: the guest's turn, then the caller's reply.
      const t = new SpokenTimes();
      t.started(guest.from);
      if (guest.to + 300 < guest.reply) {
        t.ended(guest.to);
        t.started(guest.reply);
      }
      t.ended(15_500);
      // Twilio's reports, each arriving 300 ms after the edge it tells of.
      l.speaking('guest', true, guest.from + 300, 1);
      l.speaking('guest', false, guest.to + 300, 2);
      l.speaking('caller', true, guest.reply + 300, 3);
      l.speaking('caller', false, 15_800, 4);
      // The transcript of the reply, placed: its start reaches back over the guest's turn.
      const said = t.place(15_000, 16_300);
      expect(said).toEqual({ startMs: guest.from, endMs: 15_500 });
      expect(l.speakerOf('es', said.startMs, 17_000, said.endMs)).toBe('caller');
    }
  });

  it('drops a speech report older than the last one of its party: a stop handled before its start leaves no one speaking', () => {
    const l = new SpeakerLedger();
    l.joined('caller', 0, 'es');
    l.joined('agent', 0, 'en');
    l.joined('guest', 0, 'en');
    // The agent says "ok" at [1 s, 1.4 s]: the stop (6) is handled before the start (5).
    l.speaking('agent', false, 1900, 6);
    l.speaking('agent', true, 1950, 5);
    // The guest then speaks [5 s, 8 s], reported in order.
    l.speaking('guest', true, 5300, 7);
    l.speaking('guest', false, 8300, 8);
    expect(l.speakerOf('en', 5000, 9000, 8000)).toBe('guest');
  });
});
