import type { MediaFrame, MediaLeg, MediaStreamOptions, TwilioCounterName } from '../../src/twilio';
import { ACCOUNT, AUTH_TOKEN, CALL, startEdge, type Edge } from './helpers/edge';
import { STREAM, connectMedia, waitFor, type MediaClient } from './helpers/media-client';

let edge: Edge;
let legs: MediaLeg[];
let clients: MediaClient[];

async function setup(opts: Parameters<typeof startEdge>[0] = {}): Promise<void> {
  legs = [];
  clients = [];
  edge = await startEdge({ handlers: { leg: (l) => void legs.push(l) }, ...opts });
}

async function client(opts?: Parameters<typeof connectMedia>[1]): Promise<MediaClient> {
  const c = await connectMedia(edge.port, opts);
  clients.push(c);
  return c;
}

afterEach(async () => {
  for (const c of clients) c.ws.terminate();
  await edge.close();
});

const bytes = (n: number, v: number) => new Uint8Array(n).fill(v);
const collect = (leg: MediaLeg) => {
  const frames: MediaFrame[] = [];
  leg.on('media', (f) => frames.push(f));
  return frames;
};

describe('WS /twilio/media: authentication', () => {
  it('hands the bridge a leg once start carries a valid token', async () => {
    await setup();
    const c = await client();
    c.start(edge.tokens.issue({ callSid: CALL, role: 'caller' }), { extra: { lang: 'nl' } });
    await waitFor(() => legs.length === 1);
    const leg = legs[0];
    expect(leg).toMatchObject({ callSid: CALL, streamSid: STREAM, accountSid: ACCOUNT, role: 'caller' });
    expect(leg.customParameters).toEqual({ role: 'caller', lang: 'nl' }); // token removed
    expect(edge.module.counters.get('legs_started')).toBe(1);
  });

  it('closes a connection that never sends start within a second, creating nothing', async () => {
    await setup();
    const c = await client();
    c.send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    c.media(2, 0, bytes(160, 0x11)); // audio before start is not accepted
    const t0 = Date.now();
    const closed = await c.closed;
    expect(closed.code).toBe(1008);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(legs).toHaveLength(0);
    expect(edge.module.counters.get('start_timeout')).toBe(1);
    expect(edge.module.counters.get('before_start')).toBe(1);
  });

  it.each([
    ['no token', () => undefined, {}, 'token_missing'],
    ['a token for another call', () => edge.tokens.issue({ callSid: 'CA' + 'e'.repeat(32), role: 'caller' }), {}, 'token_wrong_call'],
    ['an expired token', () => edge.tokens.issue({ callSid: CALL, role: 'caller', ttlMs: -5000 }), {}, 'token_expired'],
    ['a forged token', () => edge.tokens.issue({ callSid: CALL, role: 'caller' }).replace('.caller.', '.agent.'), {}, 'token_bad_signature'],
    ['another account', () => edge.tokens.issue({ callSid: CALL, role: 'caller' }), { accountSid: 'AC' + '9'.repeat(32) }, 'token_wrong_account'],
  ] as [string, () => string | undefined, { accountSid?: string }, TwilioCounterName][])('refuses %s', async (_label, token, startOpts, counter) => {
    await setup();
    const c = await client();
    c.start(token(), startOpts);
    c.media(2, 0, bytes(160, 0x11));
    expect((await c.closed).code).toBe(1008);
    expect(legs).toHaveLength(0);
    expect(edge.module.counters.get(counter)).toBe(1);
    expect(edge.logs.lines().filter((l) => l.event === 'twilio.media.auth_failed')).toHaveLength(1);
  });

  it.each([
    [{ encoding: 'audio/x-l16', sampleRate: 16000, channels: 1 }],
    [{ encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 2 }],
  ])('refuses a stream whose media format is not 8 kHz mono mu-law (%o)', async (mediaFormat) => {
    await setup();
    const c = await client();
    c.start(edge.tokens.issue({ callSid: CALL, role: 'caller' }), { mediaFormat });
    expect(await c.closed).toEqual({ code: 1003, reason: 'unsupported media format' });
    expect(legs).toHaveLength(0);
    expect(edge.module.counters.get('media_format_unsupported')).toBe(1);
    expect(edge.logs.lines().some((l) => l.event === 'twilio.media.unsupported_format')).toBe(true);
  });

  it('refuses a replayed token', async () => {
    await setup();
    const token = edge.tokens.issue({ callSid: CALL, role: 'caller' });
    const first = await client();
    first.start(token);
    await waitFor(() => legs.length === 1);
    const second = await client();
    second.start(token);
    expect((await second.closed).code).toBe(1008);
    expect(legs).toHaveLength(1);
    expect(edge.module.counters.get('token_replayed')).toBe(1);
  });

  it('enforce mode refuses a handshake without a valid signature with HTTP 403, before any WebSocket opens', async () => {
    await setup({ wsSignature: 'enforce' });
    for (const signature of [null, 'Zm9yZ2Vk']) {
      await expect(client({ signature })).rejects.toThrow(/Unexpected server response: 403/);
    }
    expect(edge.module.counters.get('ws_connections')).toBe(0);
    expect(legs).toHaveLength(0);
    expect(edge.module.counters.get('ws_signature_missing')).toBe(1);
    expect(edge.module.counters.get('ws_signature_invalid')).toBe(1);
    const good = await client(); // signed over wss://<PUBLIC_URL host>/twilio/media
    good.start(edge.tokens.issue({ callSid: CALL, role: 'caller' }));
    await waitFor(() => legs.length === 1);
  });

  it.each(['/twilio/media/', '/TWILIO/MEDIA', '/Twilio/Media/?x=1', '//twilio//media', '/twilio/%6Dedia', '/twilio/media//'])(
    'enforce mode checks the signature however the path is spelt (%s)',
    async (path) => {
      await setup({ wsSignature: 'enforce' });
      await expect(client({ signature: null, path })).rejects.toThrow(/Unexpected server response: 403/);
      await expect(client({ signature: 'Zm9yZ2Vk', path })).rejects.toThrow(/Unexpected server response: 403/);
      expect(edge.module.counters.get('ws_connections')).toBe(0);
      // Correctly signed, the same spelling reaches the media endpoint.
      const good = await client({ path });
      good.start(edge.tokens.issue({ callSid: CALL, role: 'caller' }));
      await waitFor(() => legs.length === 1);
    },
  );

  it('serves a stream for this instance whatever the case of its name, in the URL or in TOLK_INSTANCE_ID', async () => {
    await setup({ instance: 'Tolk-A' });
    for (const [path, callSid] of [['/twilio/media/Tolk-A', 'CA' + 'd'.repeat(32)], ['/twilio/media/tolk-a', 'CA' + 'e'.repeat(32)]]) {
      const c = await client({ path });
      c.start(edge.tokens.issue({ callSid, role: 'caller' }), { callSid });
    }
    await waitFor(() => legs.length === 2);
    expect(edge.logs.lines().some((l) => l.event === 'twilio.media.wrong_instance')).toBe(false);
  });

  it('refuses a handshake whose path is not valid percent-encoding with 400', async () => {
    await setup({ wsSignature: 'enforce' });
    await expect(client({ path: '/twilio/media%zz' })).rejects.toThrow(/Unexpected server response: 400/);
  });

  it('log mode only logs a bad handshake signature', async () => {
    await setup({ wsSignature: 'log' });
    const c = await client({ signature: 'Zm9yZ2Vk' });
    c.start(edge.tokens.issue({ callSid: CALL, role: 'caller' }));
    await waitFor(() => legs.length === 1);
    expect(edge.logs.lines().some((l) => l.event === 'twilio.media.signature_rejected' && l.mode === 'log')).toBe(true);
  });
});

describe('WS /twilio/media: messages', () => {
  async function activeLeg(media?: Partial<MediaStreamOptions>) {
    await setup({ media });
    const c = await client();
    const token = edge.tokens.issue({ callSid: CALL, role: 'caller' });
    c.start(token);
    await waitFor(() => legs.length === 1);
    return { c, leg: legs[0], frames: collect(legs[0]), token };
  }

  it('delivers audio, dtmf, marks and one stop', async () => {
    const { c, leg, frames } = await activeLeg();
    const events: string[] = [];
    leg.on('dtmf', (d) => events.push(`dtmf:${d}`));
    leg.on('mark', (m) => events.push(`mark:${m}`));
    leg.on('stop', () => events.push('stop'));
    c.media(2, 0, bytes(160, 0x01));
    c.media(3, 20, bytes(160, 0x02));
    c.send({ event: 'dtmf', streamSid: STREAM, sequenceNumber: '4', dtmf: { track: 'inbound_track', digit: '5' } });
    c.send({ event: 'mark', streamSid: STREAM, sequenceNumber: '5', mark: { name: 'm1' } });
    c.send({ event: 'stop', streamSid: STREAM, sequenceNumber: '6', stop: { accountSid: ACCOUNT, callSid: CALL } });
    await waitFor(() => events.includes('stop'));
    c.ws.close();
    await c.closed;
    await new Promise((r) => setTimeout(r, 20));
    expect(frames.map((f) => [f.timestampMs, f.payload[0], f.synthetic])).toEqual([
      [0, 0x01, false],
      [20, 0x02, false],
    ]);
    expect(events).toEqual(['dtmf:5', 'mark:m1', 'stop']);
  });

  it('a media listener removed while a frame is handed out, by itself or another, still gets that frame and no later one', async () => {
    const { c, leg, frames } = await activeLeg();
    const calls: string[] = [];
    const once = (f: MediaFrame): void => {
      calls.push(`once${f.timestampMs}`);
      leg.off('media', once);
    };
    const remover = (f: MediaFrame): void => {
      calls.push(`remover${f.timestampMs}`);
      leg.off('media', last);
    };
    const last = (f: MediaFrame): void => void calls.push(`last${f.timestampMs}`);
    leg.on('media', once).on('media', remover).on('media', last);
    c.media(2, 0, bytes(160, 0x01));
    c.media(3, 20, bytes(160, 0x02));
    await waitFor(() => frames.length === 2);
    expect(calls).toEqual(['once0', 'remover0', 'last0', 'remover20']);
    expect(frames.map((f) => f.timestampMs)).toEqual([0, 20]);
  });

  it('fills a gap in media timestamps with silence', async () => {
    const { c, frames } = await activeLeg();
    c.media(2, 0, bytes(160, 0x01));
    c.media(3, 20, bytes(160, 0x02));
    c.media(4, 100, bytes(160, 0x03)); // 60 ms missing
    await waitFor(() => frames.some((f) => f.payload[0] === 0x03));
    const silence = frames.filter((f) => f.synthetic);
    expect(silence.reduce((a, f) => a + f.payload.length, 0)).toBe(480);
    expect(silence.every((f) => f.payload.every((b) => b === 0xff))).toBe(true);
    expect(frames[frames.length - 1].timestampMs).toBe(100);
    expect(edge.module.counters.get('gap_fill_ms')).toBe(60);
  });

  it('logs, counts and drops every malformed class without corrupting the audio', async () => {
    const { c, frames, leg } = await activeLeg({ maxMessageBytes: 4096 });
    let stopped = false;
    leg.on('stop', () => (stopped = true));
    c.media(2, 0, bytes(160, 0x01));
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    c.send('{not json');
    c.send({ event: 'hello', streamSid: STREAM });
    c.send({ event: 'media', streamSid: STREAM, sequenceNumber: '3', media: { timestamp: 'soon', payload: 'AAAA' } });
    c.media(4, 20, '!!!not-base64!!!');
    c.media(5, 20, 'A'.repeat(5000)); // oversized
    c.send({ event: 'media', streamSid: 'MZ' + 'f'.repeat(32), sequenceNumber: '6', media: { timestamp: '20', payload: 'AAAA' } });
    c.media(2, 0, bytes(160, 0x09)); // duplicate sequence number
    c.media(7, 20, bytes(160, 0x02));
    await waitFor(() => frames.some((f) => f.payload[0] === 0x02));
    expect(frames.map((f) => [f.timestampMs, f.payload[0], f.payload.length, f.synthetic])).toEqual([
      [0, 0x01, 160, false],
      [20, 0x02, 160, false],
    ]);
    const counters = edge.module.counters;
    for (const name of ['binary_frame', 'invalid_json', 'unknown_event', 'invalid_message', 'bad_base64', 'oversized', 'wrong_stream', 'duplicate_message'] as const) {
      expect([name, counters.get(name)]).toEqual([name, 1]);
    }
    const reasons = edge.logs.lines().filter((l) => l.event === 'twilio.media.message_rejected').map((l) => l.reason);
    expect(reasons).toHaveLength(8);
    expect(stopped).toBe(false);
    expect(c.ws.readyState).toBe(c.ws.OPEN);
  });

  it('drops a message whose sequence number leaps ahead, and goes on with the ones after it', async () => {
    const { c, frames } = await activeLeg();
    c.media(2, 0, bytes(160, 0x01));
    c.send({ event: 'media', streamSid: STREAM, sequenceNumber: '999999999999999', media: { timestamp: '20', payload: Buffer.from(bytes(160, 0x0e)).toString('base64') } });
    c.media(3, 20, bytes(160, 0x02));
    c.media(4, 40, bytes(160, 0x03));
    await waitFor(() => frames.some((f) => f.payload[0] === 0x03));
    expect(frames.map((f) => [f.timestampMs, f.payload[0]])).toEqual([
      [0, 0x01],
      [20, 0x02],
      [40, 0x03],
    ]);
    expect(edge.module.counters.get('sequence_jump')).toBe(1);
    expect(edge.module.counters.get('duplicate_message')).toBe(0);
  });

  it('never inserts more silence than the stream has lasted, and closes a stream that keeps leaping ahead', async () => {
    const { c, frames, leg } = await activeLeg();
    let stopped = false;
    leg.on('stop', () => (stopped = true));
    const t0 = Date.now();
    c.media(2, 0, bytes(160, 0x01));
    // A hundred messages, each claiming ten more seconds have passed.
    for (let i = 1; i <= 100; i++) c.media(2 + i, i * 10_000, bytes(160, 0x02));
    const closed = await c.closed;
    expect(closed).toEqual({ code: 1008, reason: 'misbehaving media stream' });
    await waitFor(() => stopped);
    const filledMs = frames.filter((f) => f.synthetic).reduce((a, f) => a + f.payload.length / 8, 0);
    expect(filledMs).toBeLessThanOrEqual(Date.now() - t0 + 2000);
    expect(edge.module.counters.get('gap_fill_ms')).toBe(filledMs);
    expect(edge.module.counters.get('timestamp_jump')).toBeGreaterThan(0);
    expect(edge.module.counters.get('stream_closed_misbehaving')).toBe(1);
    expect(edge.logs.lines().filter((l) => l.event === 'twilio.media.misbehaving')).toHaveLength(1);
  });

  it('closes a stream that goes silent (a dead connection), ending its leg, and keeps one that talks', async () => {
    const { c, leg } = await activeLeg({ idleTimeoutMs: 200 });
    let stopped = false;
    leg.on('stop', () => (stopped = true));
    // Messages every 50 ms for 400 ms: twice the limit, never silent for long.
    for (let i = 0; i < 8; i++) {
      c.media(2 + i, i * 20, bytes(160, 0x01));
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(stopped).toBe(false);
    const t0 = Date.now();
    const closed = await c.closed;
    expect(closed).toEqual({ code: 1001, reason: 'no media' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
    await waitFor(() => stopped);
    expect(edge.module.counters.get('stream_idle')).toBe(1);
    expect(edge.logs.lines().filter((l) => l.event === 'twilio.media.idle')).toHaveLength(1);
  });

  it('counts a message over the server limit and ends the leg cleanly', async () => {
    const { c, leg } = await activeLeg();
    let stops = 0;
    leg.on('stop', () => stops++);
    c.media(2, 0, 'A'.repeat(70 * 1024));
    const closed = await c.closed;
    expect(closed.code).toBe(1009);
    await waitFor(() => stops === 1);
    expect(edge.module.counters.get('oversized')).toBe(1);
  });

  it('sends media, mark and clear with the streamSid, as text frames', async () => {
    const { c, leg } = await activeLeg();
    expect(leg.sendMedia(bytes(160, 0x7f))).toBe(true);
    leg.sendMark('utt-1');
    leg.clear();
    await waitFor(() => c.received.length === 3);
    expect(c.received).toEqual([
      { event: 'media', streamSid: STREAM, media: { payload: Buffer.from(bytes(160, 0x7f)).toString('base64') } },
      { event: 'mark', streamSid: STREAM, mark: { name: 'utt-1' } },
      { event: 'clear', streamSid: STREAM },
    ]);
  });

  it('closing the leg closes the socket and emits stop once', async () => {
    const { c, leg } = await activeLeg();
    let stops = 0;
    leg.on('stop', () => stops++);
    leg.close();
    expect((await c.closed).code).toBe(1000);
    await waitFor(() => stops === 1);
    expect(leg.sendMedia(bytes(10, 1))).toBe(false);
  });

  it('never logs the media token or the auth token', async () => {
    const { c, token } = await activeLeg();
    c.media(2, 0, bytes(160, 1));
    c.send('{bad');
    c.ws.close();
    await c.closed;
    const text = edge.logs.text();
    expect(text).toContain('twilio.media.leg_started');
    expect(text).not.toContain(token);
    expect(text).not.toContain(AUTH_TOKEN);
  });
});
