import { EventEmitter } from 'node:events';
import type { MediaEnd, PcmFrame } from '../../src/call/ports';
import type { MediaFrame, MediaLeg, MediaLegEvents } from '../../src/twilio/media-leg';
import { TwilioParticipantMedia } from '../../src/twilio/participant-media';

/** A leg whose events the test emits. */
class FakeLeg implements MediaLeg {
  readonly callSid = 'CA1';
  readonly streamSid = 'MZ1';
  readonly accountSid = 'AC1';
  readonly role = 'caller';
  readonly customParameters = {};
  readonly bufferedBytes = 0;
  private readonly emitter = new EventEmitter();
  sendMedia(): boolean {
    return true;
  }
  sendMark(): void {}
  clear(): void {}
  close(): void {}
  on<E extends keyof MediaLegEvents>(event: E, listener: MediaLegEvents[E]): this {
    this.emitter.on(event, listener);
    return this;
  }
  off<E extends keyof MediaLegEvents>(event: E, listener: MediaLegEvents[E]): this {
    this.emitter.off(event, listener);
    return this;
  }
  media(frame: MediaFrame): void {
    this.emitter.emit('media', frame);
  }
  stop(why: MediaEnd): void {
    this.emitter.emit('stop', why);
  }
}

const frame = (timestampMs: number): MediaFrame => ({ payload: new Uint8Array(160).fill(0xff), timestampMs, synthetic: false });

describe('TwilioParticipantMedia audio listeners', () => {
  it('are called in the order added, each time it was added; off removes the last one added', () => {
    const leg = new FakeLeg();
    const media = new TwilioParticipantMedia(leg);
    const calls: string[] = [];
    const a = (f: PcmFrame): void => void calls.push(`a${f.atMs}`);
    const b = (f: PcmFrame): void => void calls.push(`b${f.atMs}:${f.samples.length}`);
    media.on('audio', a).on('audio', b).on('audio', a);
    leg.media(frame(20));
    expect(calls).toEqual(['a20', 'b20:160', 'a20']);
    media.off('audio', a);
    calls.length = 0;
    leg.media(frame(40));
    expect(calls).toEqual(['a40', 'b40:160']);
    media.off('audio', a).off('audio', b).off('audio', b);
    calls.length = 0;
    leg.media(frame(60));
    expect(calls).toEqual([]);
  });

  it('a listener removed while a frame is handed out still gets that frame, as with an EventEmitter, and no later one', () => {
    const leg = new FakeLeg();
    const media = new TwilioParticipantMedia(leg);
    const calls: string[] = [];
    const second = (f: PcmFrame): void => void calls.push(`second${f.atMs}`);
    media.on('audio', (f) => {
      calls.push(`first${f.atMs}`);
      media.off('audio', second);
    });
    media.on('audio', second);
    leg.media(frame(20));
    leg.media(frame(40));
    expect(calls).toEqual(['first20', 'second20', 'first40']);
  });

  it('after the stream ends, emits end once and hands out no more audio', () => {
    const leg = new FakeLeg();
    const media = new TwilioParticipantMedia(leg);
    const audio = jest.fn();
    const end = jest.fn();
    media.on('audio', audio).on('end', end);
    leg.stop({ cause: 'ended' });
    leg.media(frame(20));
    expect(audio).not.toHaveBeenCalled();
    expect(end).toHaveBeenCalledTimes(1);
    expect(end).toHaveBeenCalledWith({ cause: 'ended' });
  });
});
