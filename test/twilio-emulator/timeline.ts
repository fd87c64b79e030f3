// Waiting on an emulated call's own 20 ms timeline rather than on the wall clock, so a test means
// the same on a busy machine.
import type { TwilioEmulator } from '../../src/emulators/twilio/emulator';

/** Emulated seconds of the call's recording so far. */
export const callTime = (emu: TwilioEmulator, callSid: string): number => emu.recording(callSid).durationSec;

/** Resolves once the call's timeline has advanced `sec` emulated seconds from now. */
export async function elapse(emu: TwilioEmulator, callSid: string, sec: number, timeoutMs = 10_000): Promise<void> {
  const until = callTime(emu, callSid) + sec;
  const deadline = Date.now() + timeoutMs;
  while (callTime(emu, callSid) < until) {
    if (Date.now() > deadline) throw new Error(`call ${callSid} did not advance ${sec} s within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
