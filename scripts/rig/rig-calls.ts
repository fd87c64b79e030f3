/** How many calls the rig's Twilio side drove over a measured window, from its stats. */
import type { TwilioRigStats } from './protocol';

/**
 * The calls the rig drove, on average over the window: the legs it drove on each tick of its clock
 * (sent a frame, or had to skip one), two legs to a call. A caller whose other party never came is
 * half a call: the rig carried its leg all the same.
 */
export function callsDriven(stats: Pick<TwilioRigStats, 'framesSent' | 'sendSkipped' | 'ticks'>): number {
  return stats.ticks > 0 ? (stats.framesSent + stats.sendSkipped) / stats.ticks / 2 : 0;
}
