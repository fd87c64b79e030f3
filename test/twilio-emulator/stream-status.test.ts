// <Stream statusCallback>: the emulator reports stream-started, stream-stopped and stream-error as
// Twilio documents them (form-encoded, signed, GET or POST).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTwilioEmulator, type TwilioEmulator } from '../../src/emulators/twilio/emulator';
import { startAppServer, type AppServer, type Received } from './app-server';

const NUMBER = '+15550001111';
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe('Twilio emulator <Stream statusCallback>', () => {
  let emu: TwilioEmulator;
  let app: AppServer;
  beforeEach(async () => {
    app = await startAppServer();
    emu = await startTwilioEmulator({ timeScale: 0.1, numbers: [{ phoneNumber: NUMBER, voiceUrl: app.base + '/voice' }] });
  });
  afterEach(async () => {
    await emu.close();
    await app.close();
  });

  const streamStatuses = (): Received[] => app.received.filter((r) => r.path === '/stream-status');
  /** Waits until the emulator has had an answer to the stream status request for `event`. */
  const sent = (event: string) =>
    emu.waitFor((e) => e.type === 'webhook' && e.kind === 'stream-status' && e.params.StreamEvent === event && (e.status !== undefined || e.error !== undefined));

  it('POSTs stream-started when the WebSocket opens and stream-stopped when it ends, signed', async () => {
    app.handle('/voice', `<Response><Connect><Stream url="${app.wsBase}/media" statusCallback="${app.base}/stream-status"/></Connect></Response>`);
    const streamP = app.nextStream();
    const callSid = await emu.dial({ from: '+15557778888', to: NUMBER, party: { hangupAfterSec: 2 } });
    const s = await streamP;
    const start = await s.next((m) => m.event === 'start');
    await sent('stream-started');
    expect(streamStatuses()).toHaveLength(1);
    await s.closed;
    await sent('stream-stopped');

    const [started, stopped] = streamStatuses();
    expect(streamStatuses()).toHaveLength(2);
    for (const r of [started, stopped]) {
      expect(r.method).toBe('POST');
      expect(r.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
      expect(app.validSignature(r, emu.authToken)).toBe(true);
      expect(Object.keys(r.params).sort()).toEqual(['AccountSid', 'CallSid', 'StreamEvent', 'StreamName', 'StreamSid', 'Timestamp']);
      expect(r.params).toMatchObject({ AccountSid: emu.accountSid, CallSid: callSid, StreamSid: start.streamSid, StreamName: start.streamSid });
      expect(r.params.Timestamp).toMatch(ISO_8601);
    }
    expect(started.params.StreamEvent).toBe('stream-started');
    expect(stopped.params.StreamEvent).toBe('stream-stopped');
    expect(Date.parse(stopped.params.Timestamp)).toBeGreaterThanOrEqual(Date.parse(started.params.Timestamp));
  });

  it('uses GET with the parameters in the signed query string when statusCallbackMethod="GET", and the stream name', async () => {
    app.handle(
      '/voice',
      `<Response><Connect><Stream name="caller-leg" url="${app.wsBase}/media" statusCallback="${app.base}/stream-status?leg=a" statusCallbackMethod="GET"/></Connect></Response>`,
    );
    const streamP = app.nextStream();
    const callSid = await emu.dial({ from: '+15557778888', to: NUMBER });
    const s = await streamP;
    await sent('stream-started');
    s.ws.close(); // the application ends the stream
    await sent('stream-stopped');

    const reqs = streamStatuses();
    expect(reqs.map((r) => r.method)).toEqual(['GET', 'GET']);
    for (const r of reqs) expect(app.validSignature(r, emu.authToken)).toBe(true);
    const query = reqs.map((r) => Object.fromEntries(new URL(r.url).searchParams));
    expect(query.map((q) => q.StreamEvent)).toEqual(['stream-started', 'stream-stopped']);
    for (const q of query) expect(q).toMatchObject({ leg: 'a', CallSid: callSid, StreamName: 'caller-leg' });
    expect(query[0].StreamSid).toMatch(/^MZ[0-9a-f]{32}$/);
  });

  it('reports a failed handshake as stream-error with the error text, and nothing else', async () => {
    // A server that refuses every WebSocket upgrade with 404 (Twilio error 31920).
    const refusing: Server = createServer((_req, res) => res.writeHead(404).end());
    refusing.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'));
    await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', () => r()));
    const wsUrl = `ws://127.0.0.1:${(refusing.address() as AddressInfo).port}/media`;
    try {
      app.handle(
        '/voice',
        `<Response><Connect><Stream url="${wsUrl}" statusCallback="${app.base}/stream-status"/></Connect><Say>after the stream</Say></Response>`,
      );
      const callSid = await emu.dial({ from: '+15557778888', to: NUMBER });
      await sent('stream-error');
      await emu.waitFor((e) => e.type === 'twiml' && e.callSid === callSid && e.verb === 'Say');
      const reqs = streamStatuses();
      expect(reqs).toHaveLength(1);
      expect(app.validSignature(reqs[0], emu.authToken)).toBe(true);
      expect(reqs[0].params).toMatchObject({ CallSid: callSid, AccountSid: emu.accountSid, StreamEvent: 'stream-error' });
      expect(reqs[0].params.StreamError).toMatch(/HTTP 404/);
      expect(reqs[0].params.StreamName).toBe(reqs[0].params.StreamSid);
      expect(emu.events().some((e) => e.type === 'error' && e.callSid === callSid && e.code === 31920)).toBe(true);
    } finally {
      refusing.closeAllConnections();
      await new Promise<void>((r) => refusing.close(() => r()));
    }
  });

  it('fails the handshakes it is told to refuse, as many as asked, and the call runs the TwiML after <Connect>', async () => {
    app.handle(
      '/voice',
      `<Response><Connect><Stream url="${app.wsBase}/media/b" statusCallback="${app.base}/stream-status"/></Connect><Redirect>${app.base}/again</Redirect></Response>`,
    );
    app.handle('/again', `<Response><Connect><Stream url="${app.wsBase}/media/b" statusCallback="${app.base}/stream-status"/></Connect></Response>`);
    emu.refuseStreams({ urlContains: '/media/b', count: 1 });
    const streamP = app.nextStream();
    const callSid = await emu.dial({ from: '+15557778888', to: NUMBER });
    await sent('stream-error');
    // The second handshake to the same URL is not refused: the count was used up.
    const s = await streamP;
    await s.next((m) => m.event === 'start');
    const reqs = streamStatuses();
    expect(reqs[0].params).toMatchObject({ CallSid: callSid, StreamEvent: 'stream-error' });
    expect(reqs[0].params.StreamError).toMatch(/HTTP 502/);
    expect(emu.events().filter((e) => e.type === 'error' && e.callSid === callSid && e.code === 31920)).toHaveLength(1);
    expect(emu.call(callSid)?.status).toBe('in-progress');
    expect(emu.call(callSid)?.streams).toHaveLength(1);
  });

  it('sends no stream status requests when <Stream> has no statusCallback', async () => {
    app.handle('/voice', `<Response><Connect><Stream url="${app.wsBase}/media"/></Connect></Response>`);
    const streamP = app.nextStream();
    const callSid = await emu.dial({ from: '+15557778888', to: NUMBER, party: { hangupAfterSec: 0.5 } });
    const s = await streamP;
    await s.closed;
    await emu.waitForStatus(callSid, 'completed');
    await emu.close(); // settles every webhook the call had to send
    expect(emu.events().filter((e) => e.type === 'webhook' && e.kind === 'stream-status')).toEqual([]);
    expect(streamStatuses()).toEqual([]);
  });
});
