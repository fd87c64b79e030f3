import { InMemoryReplayStore, MediaStreamSession, StreamTokens, TwilioCounters, type MediaLeg, type MediaSocket } from '../../src/twilio';
import { ACCOUNT, CALL, SECRET } from './helpers/edge';
import { captureLogger } from './helpers/logs';
import { STREAM, waitFor } from './helpers/media-client';

/** A socket whose buffer only empties when the test says so. */
class SlowSocket implements MediaSocket {
  readyState = 1;
  bufferedAmount = 0;
  sent: string[] = [];
  private inFlight: { bytes: number; cb?: (err?: Error) => void }[] = [];
  closedWith: number | undefined;

  send(data: string, cb?: (err?: Error) => void): void {
    this.sent.push(data);
    this.bufferedAmount += data.length;
    this.inFlight.push({ bytes: data.length, cb });
  }
  close(code?: number): void {
    this.readyState = 3;
    this.closedWith = code;
  }
  /** Writes out every queued message. */
  flush(): void {
    for (const m of this.inFlight.splice(0)) {
      this.bufferedAmount -= m.bytes;
      m.cb?.();
    }
  }
}

async function legOn(socket: SlowSocket, counters: TwilioCounters): Promise<{ leg: MediaLeg; session: MediaStreamSession }> {
  const tokens = new StreamTokens({ secret: SECRET, replayStore: new InMemoryReplayStore() });
  let leg: MediaLeg | undefined;
  const session = new MediaStreamSession({
    socket,
    logger: captureLogger().logger,
    counters,
    tokens,
    accountSid: ACCOUNT,
    onLeg: (l) => (leg = l),
    options: { highWaterBytes: 2000, lowWaterBytes: 500, hardCapBytes: 5000 },
  });
  session.handleMessage(
    JSON.stringify({
      event: 'start',
      streamSid: STREAM,
      start: { streamSid: STREAM, accountSid: ACCOUNT, callSid: CALL, customParameters: { token: tokens.issue({ callSid: CALL, role: 'agent' }) } },
    }),
    false,
  );
  await waitFor(() => leg !== undefined);
  return { leg: leg!, session };
}

describe('outbound backpressure', () => {
  it('signals backpressure, emits drain when the buffer empties, and drops above the hard cap', async () => {
    const socket = new SlowSocket();
    const counters = new TwilioCounters();
    const { leg, session } = await legOn(socket, counters);
    expect(leg.role).toBe('agent');
    const frame = new Uint8Array(640).fill(0x55); // ~900 bytes as JSON
    const results: boolean[] = [];
    for (let i = 0; i < 8; i++) results.push(leg.sendMedia(frame));
    expect(results.slice(0, 2)).toEqual([true, true]);
    expect(results.slice(2).every((r) => !r)).toBe(true);
    expect(leg.bufferedBytes).toBeLessThanOrEqual(5000 + 1000);
    const dropped = counters.get('outbound_dropped_frames');
    expect(dropped).toBeGreaterThan(0);
    expect(counters.get('outbound_dropped_bytes')).toBe(dropped * 640);
    expect(socket.sent).toHaveLength(8 - dropped);

    let drains = 0;
    leg.on('drain', () => drains++);
    socket.flush();
    expect(drains).toBe(1);
    expect(leg.sendMedia(frame)).toBe(true);
    session.handleClose(1000);
  });

  it('keeps sending while under the high-water mark', async () => {
    const socket = new SlowSocket();
    const { leg, session } = await legOn(socket, new TwilioCounters());
    for (let i = 0; i < 100; i++) {
      expect(leg.sendMedia(new Uint8Array(160))).toBe(true);
      socket.flush();
    }
    session.handleClose(1000);
  });
});
