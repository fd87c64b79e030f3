/**
 * The rig's CPU per call is divided by the calls the rig drove, not by the calls tolk bridged: a
 * run where calls failed to bridge still had the rig carry their callers' legs.
 */
import { callsDriven } from '../../scripts/rig/rig-calls';

describe('callsDriven', () => {
  it('counts two legs driven on each tick as one call', () => {
    // 10 calls, both legs up, over 500 ticks (10 s of a 20 ms clock).
    expect(callsDriven({ framesSent: 20 * 500, sendSkipped: 0, ticks: 500 })).toBe(10);
  });

  it('counts the lone legs of calls that were never bridged as the half calls the rig carried', () => {
    // 10 calls placed, 4 bridged (8 legs), 6 callers left waiting for their other party (6 legs).
    expect(callsDriven({ framesSent: 14 * 500, sendSkipped: 0, ticks: 500 })).toBe(7);
  });

  it('counts a leg whose frame was skipped as driven', () => {
    expect(callsDriven({ framesSent: 2 * 500 - 3, sendSkipped: 3, ticks: 500 })).toBe(1);
  });

  it('averages legs that came and went over the window', () => {
    // 2 legs for the first half of the window, 4 for the second: 1.5 calls on average.
    expect(callsDriven({ framesSent: 2 * 250 + 4 * 250, sendSkipped: 0, ticks: 500 })).toBe(1.5);
  });

  it('is 0 when the clock never ticked', () => {
    expect(callsDriven({ framesSent: 0, sendSkipped: 0, ticks: 0 })).toBe(0);
  });
});
