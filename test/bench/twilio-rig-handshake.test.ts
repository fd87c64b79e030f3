/**
 * A leg whose WebSocket handshake times out (tolk accepted the connection and never answered the
 * upgrade) is one of the rig's `errors` and its call is ended cleanly: the rig's process keeps
 * running and answering, and tolk hears the call completed.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { RigProcess, sleep } from '../../scripts/rig/load-rig';
import type { TwilioRigCommand, TwilioRigConfig, TwilioRigReply, TwilioRigStats } from '../../scripts/rig/protocol';

const listen = async <S extends net.Server>(server: S): Promise<number> => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
};

let silent: net.Server;
let silentUrl: string;
const held: net.Socket[] = [];
let tolk: http.Server;
let tolkBase: string;
/** CallSid and CallStatus of every status callback the stand-in for tolk received. */
const statuses: { sid: string; status: string }[] = [];
let rig: RigProcess<TwilioRigCommand, TwilioRigReply> | undefined;

beforeEach(async () => {
  statuses.length = 0;
  // Accepts the connection and never answers the upgrade.
  silent = net.createServer((s) => held.push(s));
  silentUrl = `ws://127.0.0.1:${await listen(silent)}/twilio/media`;
  // tolk's webhooks: the voice webhook connects the call's stream to the silent server.
  tolk = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      if (req.url === '/twilio/voice') {
        res.writeHead(200, { 'Content-Type': 'text/xml' }).end(`<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="${silentUrl}"/></Connect></Response>`);
        return;
      }
      statuses.push({ sid: form.get('CallSid') ?? '', status: form.get('CallStatus') ?? '' });
      res.writeHead(204).end();
    });
  });
  tolkBase = `http://127.0.0.1:${await listen(tolk)}`;
});

afterEach(async () => {
  await rig?.stop();
  rig = undefined;
  for (const s of held.splice(0)) s.destroy();
  await new Promise((r) => silent.close(r));
  await new Promise((r) => tolk.close(r));
});

async function startRig(): Promise<RigProcess<TwilioRigCommand, TwilioRigReply>> {
  const config: TwilioRigConfig = {
    accountSid: `AC${'0'.repeat(32)}`,
    authToken: 'rig-token',
    tolkBase,
    tolkNumber: '+15550001111',
    callSec: 20,
    answerAfterMs: 100,
    spacingMs: 10,
    sampleEvery: 1,
    modelLatencyMs: 300,
    record: false,
    handshakeTimeoutMs: 300,
  };
  const r = new RigProcess<TwilioRigCommand, TwilioRigReply>('twilio-rig', config, true);
  expect((await r.next(30_000)).type).toBe('ready');
  return r;
}

async function stats(r: RigProcess<TwilioRigCommand, TwilioRigReply>): Promise<TwilioRigStats> {
  const reply = await r.request({ type: 'stats' }, 5_000);
  if (reply.type !== 'stats') throw new Error(`answered ${reply.type}`);
  return reply.stats;
}

describe('the rig, when a leg cannot open', () => {
  it('counts each timed-out handshake in errors and ends its call; the rig runs on', async () => {
    rig = await startRig();
    expect((await rig.request({ type: 'dial', calls: 2 }, 30_000)).type).toBe('dialed');
    const deadline = Date.now() + 10_000;
    while (statuses.filter((s) => s.status === 'completed').length < 2 && Date.now() < deadline) await sleep(50);
    expect(statuses.filter((s) => s.status === 'completed')).toHaveLength(2);
    expect(await stats(rig)).toMatchObject({ errors: 2, legs: 0 });
    expect(rig.child.exitCode).toBeNull();
  }, 60_000);

  it('counts the floor legs whose handshake timed out, and still answers', async () => {
    rig = await startRig();
    expect((await rig.request({ type: 'floorDial', calls: 1, url: silentUrl }, 10_000)).type).toBe('dialed');
    expect(await stats(rig)).toMatchObject({ errors: 2, legs: 0 });
    await sleep(200);
    expect(rig.child.exitCode).toBeNull();
  }, 60_000);
});
