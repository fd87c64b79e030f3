// What Twilio plays into a conference besides the participants: the join/leave beep, the music
// heard while waiting for the conference to start or while on hold (the emulator has no MP3s to
// fetch, so any music is one synthetic tune), and silence (`waitUrl=""`). Pure.
import { FRAME_SAMPLES, silentFrame, toneFrame } from '../audio';

/** A continuous sound, one 20 ms frame per call. */
export type FrameSource = () => Int16Array;

export const silence: FrameSource = silentFrame;

const BEEP_FRAMES = 15; // 300 ms

/** The notification beep: 300 ms of 880 Hz. */
export function beepFrames(): Int16Array[] {
  return Array.from({ length: BEEP_FRAMES }, (_, i) => toneFrame(880, 6000, i * FRAME_SAMPLES));
}

// Two notes alternating every 400 ms, quiet enough to be background.
const NOTES_HZ = [392, 523];
const NOTE_FRAMES = 20;

/** Hold music, starting at the first note. Each listener gets its own source. */
export function holdMusic(): FrameSource {
  let n = 0;
  return () => {
    const note = NOTES_HZ[Math.floor(n / NOTE_FRAMES) % NOTES_HZ.length];
    return toneFrame(note, 2000, n++ * FRAME_SAMPLES);
  };
}

/** What `waitUrl` / `holdUrl` sound like: absent = Twilio's default music, "" = silence, a URL = music. */
export function musicFor(url: string | undefined): FrameSource {
  return url === '' ? silence : holdMusic();
}
