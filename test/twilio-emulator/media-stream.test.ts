/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-argument -- tests read untyped JSON stream messages */
import { mulaw } from 'alawmulaw';
import { WaveFile } from 'wavefile';
import { startTwilioEmulator, type TwilioEmulator } from '../../src/emulators/twilio/emulator';
import { startAppServer, type AppServer } from './app-server';
import { tone } from './signal';
import twilio from 'twilio';

/** Indexes of 20 ms frames whose level is above a threshold. */
const loudFrames = (s: Int16Array, threshold = 500): number[] => {
  const out: number[] = [];
  for (let f = 0; f * 160 < s.length; f++) {
    let acc = 0;
    for (let i = f * 160; i < (f + 1) * 160 && i < s.length; i++) acc += s[i] * s[i];
    if (Math.sqrt(acc / 160) > threshold) out.push(f);
  }
  return out;
};

/** Names the step whose wait failed. */
const step = <T>(name: string, p: Promise<T>): Promise<T> => p.catch((err: unknown) => Promise.reject(new Error(`${name}: ${(err as Error).message}`)));

describe('Twilio emulator Media Streams', () => {
  let emu: TwilioEmulator;
  let app: AppServer;
  beforeEach(async () => {
    app = await startAppServer();
    emu = await startTwilioEmulator({
      timeScale: 0.1,
      numbers: [{ phoneNumber: '+15550001111', voiceUrl: app.base + '/voice', statusCallback: app.base + '/status' }],
    });
    app.handle(
      '/voice',
      `<Response><Connect><Stream url="${app.wsBase}/media"><Parameter name="token" value="t0k&amp;en"/><Parameter name="role" value="caller"/></Stream></Connect></Response>`,
    );
  });
  afterEach(async () => {
    await emu.close();
    await app.close();
  });

  it('streams the caller, plays server audio on the timeline, echoes marks, clears and stops', async () => {
    const streamP = app.nextStream();
    const callSid = await emu.dial({ from: '+15557778888', to: '+15550001111', party: { speech: tone(1, 1000, 8000), speakAfterSec: 0.5 } });
    const s = await streamP;

    // The voice webhook was signed and carried Twilio's parameters.
    const voice = app.received.find((r) => r.path === '/voice')!;
    expect(app.validSignature(voice, emu.authToken)).toBe(true);
    expect(voice.params).toMatchObject({ CallSid: callSid, AccountSid: emu.accountSid, From: '+15557778888', To: '+15550001111', Direction: 'inbound', CallStatus: 'ringing', ApiVersion: '2010-04-01' });
    // The handshake is signed over the stream URL with no params.
    expect(twilio.validateRequest(emu.authToken, String(s.headers['x-twilio-signature']), `${app.wsBase}/media`, {})).toBe(true);

    const connected = await s.next((m) => m.event === 'connected');
    expect(connected).toEqual({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    const start = await s.next((m) => m.event === 'start');
    const streamSid: string = start.streamSid;
    expect(start.start).toEqual({
      accountSid: emu.accountSid,
      streamSid,
      callSid,
      tracks: ['inbound'],
      customParameters: { token: 't0k&en', role: 'caller' },
      mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
    });
    expect(s.messages.indexOf(connected)).toBe(0);

    // 20 ms frames of 160 bytes; the caller's speech starts 0.5 s in.
    await s.next((m) => m.event === 'media' && Number(m.media.timestamp) >= 1600);
    const media = s.messages.filter((m) => m.event === 'media');
    expect(media[0].media).toMatchObject({ track: 'inbound', chunk: '1', timestamp: '0' });
    expect(media[1].media).toMatchObject({ chunk: '2', timestamp: '20' });
    for (const m of media) expect(Buffer.from(m.media.payload, 'base64').length).toBe(160);
    const level = (m: Record<string, any>) => Math.max(...Array.from(mulaw.decode(Buffer.from(m.media.payload, 'base64'))).map(Math.abs));
    const firstLoud = media.find((m) => level(m) > 4000)!;
    // Timestamps count from the stream start (the answer plus the webhook and handshake); the
    // speech began 0.5 s after the answer.
    const { callOffsetMs } = emu.call(callSid)!.streams[0];
    expect(Math.abs(Number(firstLoud.media.timestamp) + callOffsetMs - 500)).toBeLessThanOrEqual(20);

    // Send back 0.5 s of audio and a mark: the mark comes back when that audio has played.
    let playedAtEcho = -1;
    const off = emu.onEvent((e) => {
      if (e.type === 'stream.mark-echoed' && e.name === 'm1') playedAtEcho = emu.call(callSid)!.streams[0].bytesPlayed;
    });
    const reply = Buffer.from(mulaw.encode(tone(0.5, 600, 8000)));
    s.ws.send(JSON.stringify({ event: 'media', streamSid, media: { payload: reply.toString('base64') } }));
    s.ws.send(JSON.stringify({ event: 'mark', streamSid, mark: { name: 'm1' } }));
    const recv = await emu.waitFor((e) => e.type === 'stream.received' && e.event === 'media');
    const echo = await emu.waitFor((e) => e.type === 'stream.mark-echoed' && e.name === 'm1');
    await s.next((m) => m.event === 'mark' && m.mark.name === 'm1');
    off();
    expect(echo).toMatchObject({ reason: 'played' });
    expect(playedAtEcho).toBe(reply.length); // echoed right when the 0.5 s had played, not before
    expect(echo.t).toBeGreaterThan(recv.t);

    // A long reply, then clear: the pending mark returns at once and the audio stops.
    const long = Buffer.from(mulaw.encode(tone(10, 600, 8000)));
    s.ws.send(JSON.stringify({ event: 'media', streamSid, media: { payload: long.toString('base64') } }));
    s.ws.send(JSON.stringify({ event: 'mark', streamSid, mark: { name: 'm2' } }));
    await emu.waitFor((e) => e.type === 'stream.received' && e.event === 'mark' && e.name === 'm2');
    await new Promise((r) => setTimeout(r, 50)); // ~0.5 s emulated of the long reply
    s.ws.send(JSON.stringify({ event: 'clear', streamSid }));
    const cleared = await emu.waitFor((e) => e.type === 'stream.mark-echoed' && e.name === 'm2');
    expect(cleared).toMatchObject({ reason: 'cleared' });
    await new Promise((r) => setTimeout(r, 30));

    emu.hangup(callSid);
    const stop = await s.next((m) => m.event === 'stop');
    expect(stop).toMatchObject({ streamSid, stop: { accountSid: emu.accountSid, callSid } });
    await s.closed;

    // What the caller heard: silence, then exactly 0.5 s of reply where it was played, then the long
    // reply cut short by clear.
    const rec = emu.recording(callSid);
    const loud = loudFrames(rec.heard);
    const firstHeard = loud[0];
    expect(firstHeard).toBeGreaterThanOrEqual(callOffsetMs / 20);
    // The 0.5 s reply is one contiguous run of 25 frames, followed by silence until the long reply.
    expect(loud.slice(0, 25)).toEqual(Array.from({ length: 25 }, (_, i) => firstHeard + i));
    expect(loud[25] - loud[24]).toBeGreaterThan(1);
    expect(rec.heard.length).toBeLessThan(8000 * 5); // the 10 s reply did not play out
    // What the caller said is there too, 0.5 s after answer.
    expect(loudFrames(rec.said)[0]).toBeGreaterThanOrEqual(24);
    const wav = new WaveFile(rec.heardWav());
    expect((wav.fmt as { sampleRate: number }).sampleRate).toBe(8000);

    const stats = emu.call(callSid)!.streams[0];
    expect(stats.mediaBytesReceived).toBe(reply.length + long.length);
    expect(stats.marksEchoed).toEqual(['m1', 'm2']);
    expect(stats.clears).toBe(1);
    await emu.waitFor((e) => e.type === 'webhook' && e.kind === 'status' && e.params.CallStatus === 'completed');
  });

  it('reports malformed server messages without breaking the stream, and injects faults', async () => {
    await emu.close();
    emu = await startTwilioEmulator({
      timeScale: 0.1,
      numbers: [{ phoneNumber: '+15550001111', voiceUrl: app.base + '/voice' }],
      faults: { lossRate: 0.2, malformedEvery: 5, seed: 7 },
      streamSignature: 'none',
    });
    const streamP = app.nextStream();
    const callSid = await emu.dial({ from: '+15557778888', to: '+15550001111' });
    const s = await streamP;
    expect(s.headers['x-twilio-signature']).toBeUndefined();
    const start = await s.next((m) => m.event === 'start');
    s.ws.send(Buffer.from([1, 2, 3]));
    s.ws.send('not json');
    s.ws.send(JSON.stringify({ event: 'media', streamSid: 'MZother', media: { payload: '' } }));
    s.ws.send(JSON.stringify({ event: 'dance', streamSid: start.streamSid }));
    s.ws.send(JSON.stringify({ event: 'mark', streamSid: start.streamSid, mark: { name: 'ok' } }));
    await s.next((m) => m.event === 'mark');
    await s.next((m) => m.event === '<binary>');
    await s.next((m) => m.event === 'media' && Number(m.media.chunk) >= 40);
    const stats = emu.call(callSid)!.streams[0];
    expect(stats.invalidMessages.map((i) => i.code)).toEqual([31950, 31951, 31951, 31951]);
    expect(stats.framesDropped).toBeGreaterThan(0);
    // Dropped frames leave timestamp gaps while chunks stay consecutive.
    const media = s.messages.filter((m) => m.event === 'media' && m.streamSid === start.streamSid && m.media.payload.length < 1000);
    const gaps = media.slice(1).filter((m, i) => Number(m.media.timestamp) - Number(media[i].media.timestamp) > 20 && Number(m.media.chunk) - Number(media[i].media.chunk) === 1);
    expect(gaps.length).toBeGreaterThan(0);
    expect(s.messages.some((m) => m.event === '<invalid-json>')).toBe(true);
  });

  it('in a lean load run keeps no recording and logs no per-frame media, but still plays, echoes marks and counts', async () => {
    await emu.close();
    emu = await startTwilioEmulator({
      timeScale: 0.1,
      recordAudio: false,
      logMediaFrames: false,
      numbers: [{ phoneNumber: '+15550001111', voiceUrl: app.base + '/voice', statusCallback: app.base + '/status' }],
    });
    const streamP = app.nextStream();
    const callSid = await emu.dial({ from: '+15557778888', to: '+15550001111', party: { speech: tone(1, 1000, 8000) } });
    const s = await streamP;
    const start = await s.next((m) => m.event === 'start');
    const reply = Buffer.from(mulaw.encode(tone(0.2, 600, 8000)));
    s.ws.send(JSON.stringify({ event: 'media', streamSid: start.streamSid, media: { payload: reply.toString('base64') } }));
    s.ws.send(JSON.stringify({ event: 'mark', streamSid: start.streamSid, mark: { name: 'lean' } }));
    await emu.waitFor((e) => e.type === 'stream.mark-echoed' && e.name === 'lean');
    emu.hangup(callSid);
    await s.closed;
    const stats = emu.call(callSid)!.streams[0];
    expect(stats.mediaBytesReceived).toBe(reply.length);
    expect(stats.bytesPlayed).toBe(reply.length);
    expect(emu.events().some((e) => e.type === 'stream.received' && e.event === 'media')).toBe(false);
    expect(emu.events().some((e) => e.type === 'stream.received' && e.event === 'mark')).toBe(true);
    expect(emu.recording(callSid).heard).toHaveLength(0);
  });

  it('with all-zero masking keys (load runs) still delivers the caller\'s audio intact', async () => {
    await emu.close();
    emu = await startTwilioEmulator({
      timeScale: 0.1,
      streamMaskKey: 'zero',
      numbers: [{ phoneNumber: '+15550001111', voiceUrl: app.base + '/voice', statusCallback: app.base + '/status' }],
    });
    const speech = tone(0.5, 440, 8000);
    const streamP = app.nextStream();
    const callSid = await emu.dial({ from: '+15557778888', to: '+15550001111', party: { speech, hangupAfterSec: 1 } });
    const s = await streamP;
    await s.closed;
    await emu.waitForStatus(callSid, 'completed');
    const payload = Buffer.concat(s.messages.filter((m) => m.event === 'media').map((m) => Buffer.from(m.media.payload, 'base64')));
    // The stream opens a few frames into the call: what the caller said before that is not in it.
    const expected = mulaw.encode(speech).subarray(emu.call(callSid)!.streams[0].callOffsetMs * 8);
    expect(expected.length).toBeGreaterThan(2000);
    expect([...payload.subarray(0, expected.length)]).toEqual([...expected]);
  });
  it('on a live-call update with new TwiML stops the running stream (a `stop` message, then the socket closes) and runs the new TwiML', async () => {
    const first = app.nextStream();
    const callSid = await emu.dial({ from: '+15557778888', to: '+15550001111', party: { speech: tone(1, 1000, 8000), speakAfterSec: 0.2 } });
    const s1 = await first;
    const start1 = await step('start 1', s1.next((m) => m.event === 'start'));
    await step('media 1', s1.next((m) => m.event === 'media'));

    const second = app.nextStream();
    const twiml = `<Response><Connect><Stream url="${app.wsBase}/elsewhere"><Parameter name="token" value="fresh"/></Stream></Connect></Response>`;
    const res = await fetch(`${emu.url}/2010-04-01/Accounts/${emu.accountSid}/Calls/${callSid}.json`, {
      method: 'POST',
      headers: { authorization: 'Basic ' + Buffer.from(`${emu.accountSid}:${emu.authToken}`).toString('base64'), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ Twiml: twiml }).toString(),
    });
    expect(res.status).toBe(200);

    // The running stream hears `stop` for its own stream and call, last, and is closed.
    const stop = await step('stop 1', s1.next((m) => m.event === 'stop'));
    expect(stop).toMatchObject({ streamSid: start1.streamSid, stop: { accountSid: emu.accountSid, callSid } });
    expect(s1.messages[s1.messages.length - 1]).toBe(stop);
    await s1.closed;
    // The new TwiML runs: a new stream, with its own parameters, on the same call, which goes on.
    const s2 = await step('stream 2', second);
    expect(s2.url).toBe('/elsewhere');
    const start2 = await step('start 2', s2.next((m) => m.event === 'start'));
    expect(start2.start).toMatchObject({ callSid, customParameters: { token: 'fresh' } });
    expect(start2.streamSid).not.toBe(start1.streamSid);
    await step('media 2', s2.next((m) => m.event === 'media'));
    expect(emu.call(callSid)?.status).toBe('in-progress');
  });

  it('keeps the new TwiML streaming the caller when the running stream is slow to close after a live-call update', async () => {
    const first = app.nextStream();
    const callSid = await emu.dial({ from: '+15557778888', to: '+15550001111', party: { speech: tone(1, 1000, 8000), speakAfterSec: 0.2 } });
    const s1 = await first;
    await step('media 1', s1.next((m) => m.event === 'media'));
    // The application stops reading the running stream until the new one has begun: the old one's
    // close handshake completes only then.
    const socket1 = (s1.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket1.pause();
    const second = app.nextStream();
    const twiml = `<Response><Connect><Stream url="${app.wsBase}/elsewhere"/></Connect></Response>`;
    const res = await fetch(`${emu.url}/2010-04-01/Accounts/${emu.accountSid}/Calls/${callSid}.json`, {
      method: 'POST',
      headers: { authorization: 'Basic ' + Buffer.from(`${emu.accountSid}:${emu.authToken}`).toString('base64'), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ Twiml: twiml }).toString(),
    });
    expect(res.status).toBe(200);
    const s2 = await step('stream 2', second);
    await step('media 2', s2.next((m) => m.event === 'media'));
    socket1.resume();
    await s1.closed;
    // Once the old stream is gone, the caller's microphone still reaches the new one.
    const before = s2.messages.length;
    await step('media after the old stream closed', s2.next((m) => m.event === 'media' && s2.messages.indexOf(m) >= before));
    expect(emu.call(callSid)?.status).toBe('in-progress');
  });
});
