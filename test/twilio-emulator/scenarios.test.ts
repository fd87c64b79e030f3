import { startTwilioEmulator, type TwilioEmulator } from '../../src/emulators/twilio/emulator';
import { closedPortUrl, startAppServer, sdkClientFor, type AppServer } from './app-server';
import { rmsOf, tone } from './signal';


describe('Twilio emulator call scenarios', () => {
  let emu: TwilioEmulator;
  let app: AppServer;
  beforeEach(async () => {
    app = await startAppServer();
    emu = await startTwilioEmulator({
      timeScale: 0.02,
      numbers: [{ phoneNumber: '+15550001111', voiceUrl: app.base + '/voice', statusCallback: app.base + '/number-status' }],
      callees: {
        '+15550000486': { scenario: { kind: 'busy' } },
        '+15550000487': { scenario: { kind: 'no-answer' } },
        '+15550000404': { scenario: { kind: 'fail' } },
        '+15550000200': { scenario: { kind: 'answer', afterSec: 2 }, hangupAfterSec: 3 },
      },
    });
  });
  afterEach(async () => {
    await emu.close();
    await app.close();
  });

  const statusesFor = (sid: string) => app.received.filter((r) => r.path === '/status' && r.params.CallSid === sid);

  it.each([
    ['+15550000486', 'busy', '486'],
    ['+15550000487', 'no-answer', '487'],
    ['+15550000404', 'failed', '404'],
  ])('callee %s ends as %s with a signed completed callback', async (to, status, sip) => {
    const client = sdkClientFor(emu.url, emu.accountSid, emu.authToken);
    const call = await client.calls.create({
      to,
      from: '+15550001111',
      url: app.base + '/voice',
      timeout: 5,
      statusCallback: app.base + '/status',
      statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
    });
    await emu.waitFor((e) => e.type === 'webhook' && e.kind === 'status' && e.callSid === call.sid && e.params.CallStatus === status);
    const cbs = statusesFor(call.sid);
    expect(cbs.map((c) => c.params.CallStatus)).toEqual(['initiated', 'ringing', status]);
    const last = cbs[cbs.length - 1].params;
    expect(last).toMatchObject({ CallDuration: '0', SipResponseCode: sip, CallbackSource: 'call-progress-events', Direction: 'outbound-api' });
    expect(last.Timestamp).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    for (const r of cbs) expect(app.validSignature(r, emu.authToken)).toBe(true);
    expect(app.received.some((r) => r.path === '/voice')).toBe(false); // never answered: no TwiML fetched
    expect((await client.calls(call.sid).fetch()).status).toBe(status);
  });

  it('no-answer comes after the Timeout', async () => {
    const client = sdkClientFor(emu.url, emu.accountSid, emu.authToken);
    const call = await client.calls.create({ to: '+15550000487', from: '+15550001111', url: app.base + '/voice', timeout: 10 });
    const ringing = await emu.waitForStatus(call.sid, 'ringing');
    const noAnswer = await emu.waitForStatus(call.sid, 'no-answer');
    expect(noAnswer.t - ringing.t).toBeGreaterThanOrEqual(9900);
  });

  it('a callee answers after N seconds, hears <Say>, and hangs up after M seconds', async () => {
    app.handle('/voice', '<Response><Say>Hello there, this is a test</Say><Pause length="20"/></Response>');
    const client = sdkClientFor(emu.url, emu.accountSid, emu.authToken);
    const call = await client.calls.create({ to: '+15550000200', from: '+15550001111', url: app.base + '/voice', statusCallback: app.base + '/status' });
    const ringing = await emu.waitForStatus(call.sid, 'ringing');
    const answered = await emu.waitForStatus(call.sid, 'in-progress');
    expect(answered.t - ringing.t).toBeGreaterThanOrEqual(1950);
    await emu.waitForStatus(call.sid, 'completed');
    expect(emu.call(call.sid)!.durationSec).toBe(3);
    const rec = emu.recording(call.sid);
    expect(Math.abs(rec.durationSec - 3)).toBeLessThanOrEqual(0.1);
    // The 6-word <Say> is rendered as one 2.4 s tone (120 frames), after the TwiML fetch; then silence.
    const loud: number[] = [];
    for (let f = 0; f * 160 < rec.heard.length; f++) if (rmsOf(rec.heard.subarray(f * 160, f * 160 + 160)) > 1000) loud.push(f);
    expect(loud).toHaveLength(120);
    expect(loud[119] - loud[0]).toBe(119);
    const verbs = emu.events().filter((e) => e.type === 'twiml' && e.callSid === call.sid).map((e) => (e.type === 'twiml' ? e.verb : ''));
    expect(verbs).toEqual(['Say', 'Pause']);
    await emu.waitFor((e) => e.type === 'webhook' && e.kind === 'status' && e.callSid === call.sid);
    expect(statusesFor(call.sid).map((r) => [r.params.CallStatus, r.params.CallDuration])).toEqual([['completed', '3']]);
  });

  it('<Gather> collects DTMF and posts Digits to its action', async () => {
    app.handle('/voice', '<Response><Gather input="dtmf" numDigits="3" timeout="3" action="/gathered"><Say>Enter your code</Say></Gather><Say>No input</Say></Response>');
    app.handle('/gathered', (r) => (r.params.Digits === '425' ? '<Response><Hangup/></Response>' : '<Response><Say>wrong</Say></Response>'));
    const sid = await emu.dial({ from: '+15557778888', to: '+15550001111', party: { dtmf: [{ atSec: 0.5, digits: '42' }, { atSec: 2, digits: '59' }] } });
    await emu.waitForStatus(sid, 'completed');
    const action = app.received.find((r) => r.path === '/gathered')!;
    expect(action.params).toMatchObject({ Digits: '425', CallSid: sid });
    expect(app.validSignature(action, emu.authToken)).toBe(true);
    // The number's status callback gets the completed event.
    await emu.waitFor((e) => e.type === 'webhook' && e.kind === 'status' && e.callSid === sid);
    expect(app.received.find((r) => r.path === '/number-status')!.params.CallStatus).toBe('completed');
  });

  it('<Gather> without input times out and continues with the next verb', async () => {
    app.handle('/voice', '<Response><Gather numDigits="1" timeout="2" action="/gathered"/><Say>No input</Say></Response>');
    const sid = await emu.dial({ from: '+15557778888', to: '+15550001111' });
    await emu.waitForStatus(sid, 'completed');
    expect(app.received.some((r) => r.path === '/gathered')).toBe(false);
    const says = emu.events().filter((e) => e.type === 'twiml' && e.verb === 'Say');
    expect(says).toHaveLength(1);
  });

  it('TwiML that cannot be fetched (11200) or is not valid (12100) ends the call as an application error, with the request logged', async () => {
    app.handle('/not-twiml', '<Nope/>');
    app.handle('/redirects', '<Response><Redirect>/not-twiml</Redirect></Response>');
    const client = sdkClientFor(emu.url, emu.accountSid, emu.authToken);
    const missing = `${emu.url}/no-such-page`;
    const unreachable = await closedPortUrl('/voice');
    const cases = [
      { url: missing, code: 11200, message: `HTTP 404 from ${missing}`, answer: { status: 404 } },
      { url: unreachable, code: 11200, message: 'fetch failed', answer: { error: 'fetch failed' } },
      { url: `${app.base}/not-twiml`, code: 12100, message: 'TwiML root must be <Response>, got <Nope>', answer: { status: 200 } },
      { url: `${app.base}/redirects`, code: 12100, message: 'TwiML root must be <Response>, got <Nope>', answer: { status: 200 } },
    ];
    for (const c of cases) {
      const call = await client.calls.create({ to: '+15550009999', from: '+15550001111', url: c.url });
      await emu.waitForStatus(call.sid, 'completed', 5000);
      const events = emu.events().filter((e) => e.callSid === call.sid);
      expect(events.filter((e) => e.type === 'error')).toEqual([expect.objectContaining({ code: c.code, message: c.message })]);
      const fetches = events.filter((e) => e.type === 'webhook' && e.kind === 'voice');
      expect(fetches[0]).toMatchObject({ url: c.url, method: 'POST', params: expect.objectContaining({ CallSid: call.sid, CallStatus: 'in-progress' }), ...c.answer });
      expect(fetches[0]).not.toHaveProperty(c.answer.error === undefined ? 'error' : 'status');
    }
  });

  it('<Dial><Conference> mixes what participants say', async () => {
    // No join beep and no wait music, so A hears only what B says (nothing).
    app.handle('/voice', '<Response><Dial><Conference endConferenceOnExit="true" beep="false" waitUrl="">room-1</Conference></Dial></Response>');
    const a = await emu.dial({ from: '+15550000001', to: '+15550001111', party: { speech: tone(1, 500, 6000), speakAfterSec: 1, hangupAfterSec: 4 } });
    const b = await emu.dial({ from: '+15550000002', to: '+15550001111', party: {} });
    await emu.waitForStatus(a, 'completed');
    await emu.waitForStatus(b, 'completed'); // endConferenceOnExit ended b's <Dial>, then its TwiML ended
    const heardByB = emu.recording(b).heard;
    const heardByA = emu.recording(a).heard;
    expect(rmsOf(heardByB)).toBeGreaterThan(500);
    expect(rmsOf(heardByA)).toBe(0);
    const conf = emu.events().filter((e) => e.type === 'conference').map((e) => (e.type === 'conference' ? e.action : ''));
    expect(conf).toEqual(['join', 'join', 'leave', 'leave', 'end']);
  });
});
