import { startTwilioEmulator, type TwilioEmulator } from '../../src/emulators/twilio/emulator';
import { startAppServer, sdkClientFor, type AppServer } from './app-server';

describe('Twilio emulator REST API through the real twilio SDK', () => {
  let emu: TwilioEmulator;
  let app: AppServer;
  beforeEach(async () => {
    app = await startAppServer();
    emu = await startTwilioEmulator({
      timeScale: 0.05,
      apiKeys: { ['SK' + 'a'.repeat(32)]: 'key-secret' },
      numbers: [{ phoneNumber: '+15550001111', voiceUrl: app.base + '/voice' }],
      callees: { '+15550009999': { scenario: { kind: 'answer', afterSec: 20 } } },
    });
    app.handle('/voice', '<Response><Pause length="30"/></Response>');
    app.handle('/other', '<Response><Say>Moved</Say><Pause length="30"/></Response>');
  });
  afterEach(async () => {
    await emu.close();
    await app.close();
  });

  it('creates, fetches, redirects and completes a call', async () => {
    const client = sdkClientFor(emu.url, emu.accountSid, emu.authToken);
    const call = await client.calls.create({
      to: '+15550002222',
      from: '+15550001111',
      url: app.base + '/voice',
      statusCallback: app.base + '/status',
      statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
    });
    expect(call.sid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(call.status).toBe('queued');
    expect(call.direction).toBe('outbound-api');
    await emu.waitForStatus(call.sid, 'in-progress');
    expect((await client.calls(call.sid).fetch()).status).toBe('in-progress');

    await client.calls(call.sid).update({ url: app.base + '/other' });
    await emu.waitFor((e) => e.type === 'twiml' && e.callSid === call.sid && e.verb === 'Say');
    expect(app.received.some((r) => r.path === '/other' && r.params.CallSid === call.sid)).toBe(true);

    const done = await client.calls(call.sid).update({ status: 'completed' });
    expect(done.status).toBe('completed');
    await emu.waitFor((e) => e.type === 'webhook' && e.kind === 'status' && e.params.CallStatus === 'completed');
    const statuses = app.received.filter((r) => r.path === '/status').map((r) => [r.params.CallStatus, r.params.SequenceNumber]);
    expect(statuses).toEqual([
      ['initiated', '0'],
      ['ringing', '1'],
      ['in-progress', '2'],
      ['completed', '3'],
    ]);
    for (const r of app.received) expect(app.validSignature(r, emu.authToken)).toBe(true);
  });

  it('cancels a ringing call and lists/updates incoming numbers with an API key', async () => {
    const client = sdkClientFor(emu.url, 'SK' + 'a'.repeat(32), 'key-secret', emu.accountSid);
    const call = await client.calls.create({ to: '+15550009999', from: '+15550001111', twiml: '<Response><Hangup/></Response>' });
    await emu.waitForStatus(call.sid, 'ringing');
    const canceled = await client.calls(call.sid).update({ status: 'canceled' });
    expect(canceled.status).toBe('canceled');

    const [pn] = await client.incomingPhoneNumbers.list({ phoneNumber: '+15550001111' });
    expect(pn.phoneNumber).toBe('+15550001111');
    const updated = await client.incomingPhoneNumbers(pn.sid).update({ voiceUrl: app.base + '/new', voiceMethod: 'POST', statusCallback: app.base + '/s' });
    expect(updated.voiceUrl).toBe(app.base + '/new');
    expect((await client.incomingPhoneNumbers.list({ phoneNumber: '+19999999999' })).length).toBe(0);
  });

  it('answers bad credentials and unknown calls with Twilio error bodies', async () => {
    const bad = sdkClientFor(emu.url, emu.accountSid, 'wrong');
    await expect(bad.calls.list()).rejects.toMatchObject({ status: 401, code: 20003 });
    const client = sdkClientFor(emu.url, emu.accountSid, emu.authToken);
    await expect(client.calls('CA' + '0'.repeat(32)).fetch()).rejects.toMatchObject({ status: 404, code: 20404 });
    await expect(client.calls.create({ to: '+15550002222', from: '+15550001111' })).rejects.toMatchObject({ status: 400, code: 21205 });
  });
});
