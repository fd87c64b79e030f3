// How a call's audio meets the conference it is in. A person (a phone, client or SIP participant,
// or a caller in <Dial><Conference>) talks into the conference and hears its mix: the membership
// is the call's activity. A TwiML App participant is the other way round: the conference is the
// far end of a leg whose TwiML (<Connect><Stream>) runs as usual, so the stream receives the
// conference mix for this leg and what the application plays goes into the conference.
import { silentFrame } from '../audio';
import type { AudioActivity, MicSource } from '../call-media';
import type { ConferenceMembership } from './conference';

export function membershipActivity(m: ConferenceMembership): AudioActivity {
  return { mic: (frame) => m.speak(frame), hear: () => m.listen() };
}

/** The far end of a TwiML App participant leg: silent until the leg is in the conference. */
export class ConferenceEndpoint implements MicSource {
  private membership: ConferenceMembership | undefined;

  attach(m: ConferenceMembership | undefined): void {
    this.membership = m;
  }

  /** What the leg's TwiML side receives this tick; `heardBefore` (what it played last tick) goes into the conference. */
  micFrame(_n: number, heardBefore: Int16Array | undefined): Int16Array {
    const m = this.membership;
    if (!m) return silentFrame();
    if (heardBefore) m.speak(heardBefore);
    return m.listen();
  }
}
