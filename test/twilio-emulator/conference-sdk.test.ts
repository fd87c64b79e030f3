/* eslint-disable @typescript-eslint/no-unsafe-argument -- tests read untyped JSON stream messages */
import { mulaw } from 'alawmulaw';
import { startTwilioEmulator, type TwilioEmulator, type TwilioEmulatorOptions } from '../../src/emulators/twilio/emulator';
import { concatInt16 } from '../audio/helpers/signals';
import { closedPortUrl, startAppServer, sdkClientFor, type AppServer, type StreamConn } from './app-server';
import { rmsOf, tone, tonesAnywhereIn, tonesIn } from './signal';
import { callTime, elapse } from './timeline';

const NUMBER = '+15550001111';
const CALLER = '+15557770001';
const AGENT = '+15550002222';
// Each party says (or plays) its own tone, so a recording tells exactly whom a listener heard.
const HZ = { caller: 500, agent: 700, toCaller: 1100, toAgent: 1300 };
const ALL_HZ = Object.values(HZ);

/** What a Media Stream received from the conference, as 8 kHz samples. */
const received = (s: StreamConn): Int16Array =>
  concatInt16(s.messages.filter((m) => m.event === 'media').map((m) => mulaw.decode(Buffer.from(m.media.payload, 'base64'))));
const playInto = (s: StreamConn, samples: Int16Array): void => {
  const streamSid = s.messages.find((m) => m.event === 'start')!.streamSid;
  s.ws.send(JSON.stringify({ event: 'media', streamSid, media: { payload: Buffer.from(mulaw.encode(samples)).toString('base64') } }));
};
/** The last `sec` seconds of a recording (all parties are talking by then). */
const tail = (s: Int16Array, sec: number): Int16Array => s.subarray(Math.max(0, s.length - sec * 8000));

describe('Twilio emulator conferences through the real twilio SDK', () => {
  let emu: TwilioEmulator;
  let app: AppServer;
  const start = async (opts: TwilioEmulatorOptions = {}) => {
    app = await startAppServer();
    emu = await startTwilioEmulator({
      timeScale: 0.05,
      numbers: [{ phoneNumber: NUMBER, voiceUrl: app.base + '/voice' }],
      callees: { [AGENT]: { scenario: { kind: 'answer', afterSec: 1 }, speech: tone(30, HZ.agent, 4000), speakAfterSec: 0.5 } },
      ...opts,
    });
    app.handle(
      '/voice',
      `<Response><Dial><Conference beep="false" waitUrl="" statusCallback="${app.base}/conference" statusCallbackEvent="start end join leave mute hold modify">room-7</Conference></Dial></Response>`,
    );
    app.handle('/interpreter', (r) => `<Response><Connect><Stream url="${app.wsBase}/interpreter"><Parameter name="token" value="${r.params.token ?? ''}"/></Stream></Connect></Response>`);
    return sdkClientFor(emu.url, emu.accountSid, emu.authToken);
  };
  afterEach(async () => {
    await emu?.close();
    await app?.close();
  });

  const joined = (callSid: string) => emu.waitFor((e) => e.type === 'conference' && e.action === 'join' && e.callSid === callSid, 5000);

  it('a caller, an agent added by number and two whispering TwiML App legs each hear exactly what they should', async () => {
    const client = await start();
    const callerSid = await emu.dial({ from: CALLER, to: NUMBER, party: { speech: tone(30, HZ.caller, 4000), speakAfterSec: 0.5 } });
    await joined(callerSid);
    const conf = (await client.conferences.list({ friendlyName: 'room-7', status: 'init' }))[0];
    expect(conf).toMatchObject({ friendlyName: 'room-7', status: 'init' });
    expect(await client.conferences.list({ friendlyName: 'room-7' })).toEqual([]); // the default lists in-progress ones

    // The agent is added by the conference's friendly name, as Flex does with a task SID.
    const agent = await client.conferences('room-7').participants.create({ from: NUMBER, to: AGENT, beep: 'false', label: 'agent', earlyMedia: true });
    expect(agent).toMatchObject({ conferenceSid: conf.sid, status: 'queued', coaching: false, label: 'agent' });
    await joined(agent.callSid);
    expect((await client.conferences(conf.sid).fetch()).status).toBe('in-progress');

    // The interpreter's TwiML App, and one whispering leg per party, each with its own token.
    const interpreterApp = await client.applications.create({ friendlyName: 'interpreter', voiceUrl: app.base + '/interpreter' });
    expect(interpreterApp.sid).toMatch(/^AP[0-9a-f]{32}$/);
    const legs: { sid: string; stream: StreamConn; hz: number }[] = [];
    for (const [coached, token, hz] of [[callerSid, 't1', HZ.toCaller], [agent.callSid, 't2', HZ.toAgent]] as const) {
      const streamP = app.nextStream();
      const leg = await client.conferences(conf.sid).participants.create({
        from: NUMBER,
        to: `app:${interpreterApp.sid}?token=${token}`,
        coaching: true,
        callSidToCoach: coached,
        beep: 'false',
        endConferenceOnExit: false,
      });
      expect(leg).toMatchObject({ coaching: true, callSidToCoach: coached });
      const stream = await streamP;
      await stream.next((m) => m.event === 'start');
      legs.push({ sid: leg.callSid, stream, hz });
    }
    // The app's Voice URL got the standard signed voice request plus the custom parameters.
    const hooks = app.received.filter((r) => r.path === '/interpreter');
    expect(hooks.map((r) => r.params.token)).toEqual(['t1', 't2']);
    expect(hooks[0].params).toMatchObject({ CallSid: legs[0].sid, AccountSid: emu.accountSid, ApplicationSid: interpreterApp.sid, To: `app:${interpreterApp.sid}`, From: NUMBER, Direction: 'outbound-api' });
    for (const r of hooks) expect(app.validSignature(r, emu.authToken)).toBe(true);
    expect(legs[0].stream.messages.find((m) => m.event === 'start')!.start.customParameters).toEqual({ token: 't1' });

    // Each interpreter leg speaks its own tone into the conference for a while.
    for (const l of legs) playInto(l.stream, tone(30, l.hz, 4000));
    await elapse(emu, callerSid, 2);

    const listed = await client.conferences(conf.sid).participants.list();
    expect(listed.map((p) => [p.callSid, p.coaching, p.callSidToCoach ?? null])).toEqual([
      [callerSid, false, null],
      [agent.callSid, false, null],
      [legs[0].sid, true, callerSid],
      [legs[1].sid, true, agent.callSid],
    ]);
    expect((await client.conferences('room-7').participants('agent').fetch()).callSid).toBe(agent.callSid);
    expect(await client.conferences(conf.sid).participants.list({ coaching: true })).toHaveLength(2);

    await client.conferences(conf.sid).update({ status: 'completed' });
    for (const sid of [callerSid, agent.callSid, ...legs.map((l) => l.sid)]) await emu.waitForStatus(sid, 'completed', 5000);
    await Promise.all(legs.map((l) => l.stream.closed));

    // Everyone hears the others' own voices; a whisper reaches only its party; nobody hears itself.
    const window = 1.5;
    expect(tonesIn(tail(emu.recording(callerSid).heard, window), ALL_HZ)).toEqual([HZ.agent, HZ.toCaller]);
    expect(tonesIn(tail(emu.recording(agent.callSid).heard, window), ALL_HZ)).toEqual([HZ.caller, HZ.toAgent]);
    // The interpreter legs hear the conference without themselves and without each other.
    for (const l of legs) expect(tonesIn(tail(received(l.stream), window), ALL_HZ)).toEqual([HZ.caller, HZ.agent]);

    const fetched = await client.conferences(conf.sid).fetch();
    expect(fetched).toMatchObject({ status: 'completed', reasonConferenceEnded: 'conference-ended-via-api' });
    expect(await client.conferences(conf.sid).participants.list()).toEqual([]);
    expect((await client.conferences.list({ status: 'completed' })).map((c) => c.sid)).toEqual([conf.sid]);

    // The conference status callbacks, signed, in order.
    await emu.waitFor((e) => e.type === 'webhook' && e.kind === 'conference-status' && e.params.StatusCallbackEvent === 'conference-end', 5000);
    const cbs = app.received.filter((r) => r.path === '/conference');
    for (const r of cbs) expect(app.validSignature(r, emu.authToken)).toBe(true);
    expect(cbs.map((r) => r.params.StatusCallbackEvent)).toEqual([
      'participant-join',
      'participant-join',
      'conference-start',
      'participant-join',
      'participant-join',
      'participant-leave',
      'participant-leave',
      'participant-leave',
      'participant-leave',
      'conference-end',
    ]);
    expect(cbs.map((r) => Number(r.params.SequenceNumber))).toEqual(cbs.map((_, i) => i));
    expect(cbs[3].params).toMatchObject({ ConferenceSid: conf.sid, FriendlyName: 'room-7', CallSid: legs[0].sid, Coaching: 'true', CallSidToCoach: callerSid, Muted: 'false', Hold: 'false' });
    expect(cbs[1].params).toMatchObject({ CallSid: agent.callSid, ParticipantLabel: 'agent', Coaching: 'false' });
    expect(cbs[5].params).toMatchObject({ ReasonParticipantLeft: 'conference_ended_via_api', ParticipantCallStatus: 'completed' });
    expect(cbs[9].params).toMatchObject({ ReasonConferenceEnded: 'conference-ended-via-api' });
  });

  it('mute, hold and remove through the Participants API', async () => {
    const client = await start();
    const callerSid = await emu.dial({ from: CALLER, to: NUMBER, party: { speech: tone(30, HZ.caller, 4000), speakAfterSec: 0.5 } });
    await joined(callerSid);
    const agent = await client.conferences('room-7').participants.create({ from: NUMBER, to: AGENT, beep: 'false' });
    await joined(agent.callSid);
    await elapse(emu, agent.callSid, 1.5); // both talking
    expect(tonesIn(tail(emu.recording(callerSid).heard, 0.5), ALL_HZ)).toEqual([HZ.agent]);

    const muted = await client.conferences('room-7').participants(agent.callSid).update({ muted: true });
    expect(muted.muted).toBe(true);
    await elapse(emu, callerSid, 1.2);
    expect(tonesIn(tail(emu.recording(callerSid).heard, 1), ALL_HZ)).toEqual([]);
    expect(tonesIn(tail(emu.recording(agent.callSid).heard, 1), ALL_HZ)).toEqual([HZ.caller]); // a muted party still hears

    await client.conferences('room-7').participants(agent.callSid).update({ muted: false, hold: true });
    await elapse(emu, agent.callSid, 1.2);
    const onHold = tail(emu.recording(agent.callSid).heard, 1);
    expect(tonesIn(onHold, ALL_HZ)).toEqual([]); // hold music, not the caller
    expect(rmsOf(onHold)).toBeGreaterThan(500);
    expect(tonesIn(tail(emu.recording(callerSid).heard, 1), ALL_HZ)).toEqual([]);

    await client.conferences('room-7').participants(agent.callSid).remove();
    await emu.waitForStatus(agent.callSid, 'completed', 5000);
    expect(emu.call(callerSid)!.status).toBe('in-progress'); // the conference goes on with the caller
    expect(emu.conference('room-7')!.participants.map((p) => p.callSid)).toEqual([callerSid]);

    await emu.waitFor((e) => e.type === 'webhook' && e.kind === 'conference-status' && e.params.StatusCallbackEvent === 'participant-leave', 5000);
    const events = app.received.filter((r) => r.path === '/conference').map((r) => [r.params.StatusCallbackEvent, r.params.ReasonParticipantLeft ?? '']);
    expect(events).toEqual([
      ['participant-join', ''],
      ['participant-join', ''],
      ['conference-start', ''],
      ['participant-mute', ''],
      ['participant-unmute', ''],
      ['participant-hold', ''],
      ['participant-leave', 'participant_updated_via_api'],
    ]);
  });

  it("plays a participant's AnnounceUrl to that participant alone: a signed fetch, its <Say> spoken over the conference, then announcement-end", async () => {
    const client = await start();
    app.handle('/voice', `<Response><Dial><Conference beep="false" waitUrl="" statusCallback="${app.base}/conference" statusCallbackEvent="join announcement">room-9</Conference></Dial></Response>`);
    app.handle('/announce', '<Response><Say language="es-ES">La interpretación no está disponible.</Say></Response>');
    const callerSid = await emu.dial({ from: CALLER, to: NUMBER, party: { speech: tone(30, HZ.caller, 4000), speakAfterSec: 0.5 } });
    await joined(callerSid);
    const agent = await client.conferences('room-9').participants.create({ from: NUMBER, to: AGENT, beep: 'false' });
    await joined(agent.callSid);
    await elapse(emu, agent.callSid, 1.5); // both talking

    const updated = await client.conferences('room-9').participants(callerSid).update({ announceUrl: `${app.base}/announce?lang=es`, announceMethod: 'POST' });
    expect(updated).toMatchObject({ callSid: callerSid, muted: false, hold: false });
    await emu.waitFor((e) => e.type === 'twiml' && e.verb === 'Say' && e.callSid === callerSid, 5000);
    const said = emu.events().filter((e) => e.type === 'twiml' && e.verb === 'Say');
    expect(said).toEqual([expect.objectContaining({ callSid: callerSid, detail: expect.objectContaining({ text: 'La interpretación no está disponible.', language: 'es-ES', in: 'announcement' }) })]);
    const fetched = app.received.filter((r) => r.path === '/announce');
    expect(fetched).toHaveLength(1);
    expect(fetched[0]).toMatchObject({ method: 'POST', params: expect.objectContaining({ AccountSid: emu.accountSid, CallSid: callerSid, ConferenceSid: emu.conference('room-9')!.sid }) });
    expect(app.validSignature(fetched[0], emu.authToken)).toBe(true);

    // The caller hears the announcement (a 440 Hz tone stands for speech) over the agent; the agent does not hear it.
    await elapse(emu, callerSid, 1);
    expect(tonesIn(tail(emu.recording(callerSid).heard, 0.8), [440, ...ALL_HZ])).toEqual([440, HZ.agent]);
    expect(tonesIn(tail(emu.recording(agent.callSid).heard, 0.8), [440, ...ALL_HZ])).toEqual([HZ.caller]);

    await emu.waitFor((e) => e.type === 'webhook' && e.kind === 'conference-status' && e.params.StatusCallbackEvent === 'announcement-end', 5000);
    const events = app.received.filter((r) => r.path === '/conference').map((r) => [r.params.StatusCallbackEvent, r.params.CallSid]);
    expect(events).toEqual([
      ['participant-join', callerSid],
      ['participant-join', agent.callSid],
      ['announcement-end', callerSid],
    ]);
    // Once it is over, the caller hears the agent alone again.
    await elapse(emu, callerSid, 0.5);
    expect(tonesIn(tail(emu.recording(callerSid).heard, 0.4), [440, ...ALL_HZ])).toEqual([HZ.agent]);
  });

  it('an announcement lasts as long as its <Say> and <Pause>; one that cannot be fetched (11200) or is not TwiML (12100) fails', async () => {
    const client = await start();
    app.handle('/voice', `<Response><Dial><Conference beep="false" waitUrl="" statusCallback="${app.base}/conference" statusCallbackEvent="announcement">room-10</Conference></Dial></Response>`);
    app.handle('/announce', '<Response><Say>one two three four five</Say><Pause length="1"/><Play>x.mp3</Play></Response>');
    app.handle('/not-twiml', '<Nope/>');
    const callerSid = await emu.dial({ from: CALLER, to: NUMBER, party: {} });
    await joined(callerSid);
    const participant = client.conferences('room-10').participants(callerSid);
    const outcome = (n: number) => emu.waitFor(() => emu.events().filter((e) => e.type === 'conference.update' && e.action.startsWith('announcement-')).length === n, 5000);
    const seen = () => emu.events().length;

    let from = seen();
    await participant.update({ announceUrl: `${app.base}/announce`, announceMethod: 'GET' });
    await outcome(1);
    let events = emu.events().slice(from);
    expect(events.filter((e) => e.type === 'twiml').map((e) => (e.type === 'twiml' ? [e.verb, e.detail] : []))).toEqual([
      ['Say', { text: 'one two three four five', loop: 1, voice: undefined, language: undefined, in: 'announcement' }],
      ['Pause', { length: 1, in: 'announcement' }],
      ['Play', { unsupported: true, in: 'announcement' }],
    ]);
    const say = events.find((e) => e.type === 'twiml')!;
    const end = events.find((e) => e.type === 'conference.update')!;
    expect(end).toMatchObject({ action: 'announcement-end', callSid: callerSid });
    // 2 s of <Say> (five words), then 1 s of <Pause>; its end may come late on a busy machine.
    expect(end.t - say.t).toBeGreaterThanOrEqual(3000);
    expect(end.t - say.t).toBeLessThan(8000);
    // The caller, alone in the room, heard the <Say> (a 440 Hz tone) for exactly 2 s: 100 frames of 20 ms.
    await elapse(emu, callerSid, 0.2);
    const heard = emu.recording(callerSid).heard;
    let loudFrames = 0;
    for (let f = 0; f * 160 < heard.length; f++) if (rmsOf(heard.subarray(f * 160, f * 160 + 160)) > 1000) loudFrames++;
    expect(loudFrames).toBe(100);
    expect(events.filter((e) => e.type === 'webhook' && e.kind === 'announce')).toEqual([
      expect.objectContaining({ callSid: callerSid, url: `${app.base}/announce`, method: 'GET', status: 200, params: expect.objectContaining({ CallSid: callerSid }) }),
    ]);

    const missing = `${emu.url}/no-such-page`;
    const unreachable = await closedPortUrl('/announce');
    const failures = [
      { url: missing, code: 11200, message: `announcement: HTTP 404 from ${missing}`, answer: { status: 404 } },
      { url: unreachable, code: 11200, message: 'announcement: fetch failed', answer: { error: 'fetch failed' } },
      { url: `${app.base}/not-twiml`, code: 12100, message: 'announcement: TwiML root must be <Response>, got <Nope>', answer: { status: 200 } },
    ];
    for (const [i, f] of failures.entries()) {
      from = seen();
      await participant.update({ announceUrl: f.url });
      await outcome(i + 2);
      events = emu.events().slice(from);
      expect(events.filter((e) => e.type === 'error')).toEqual([expect.objectContaining({ callSid: callerSid, code: f.code, message: f.message })]);
      expect(events.filter((e) => e.type === 'webhook' && e.kind === 'announce')).toEqual([expect.objectContaining({ callSid: callerSid, url: f.url, method: 'POST', ...f.answer })]);
      expect(events.filter((e) => e.type === 'conference.update')).toEqual([expect.objectContaining({ action: 'announcement-fail', callSid: callerSid })]);
      expect(events.some((e) => e.type === 'twiml')).toBe(false);
    }
    await emu.waitFor((e) => e.type === 'webhook' && e.kind === 'conference-status' && e.params.StatusCallbackEvent === 'announcement-fail' && app.received.filter((r) => r.path === '/conference').length === 4, 5000);
    expect(app.received.filter((r) => r.path === '/conference').map((r) => r.params.StatusCallbackEvent)).toEqual(['announcement-end', 'announcement-fail', 'announcement-fail', 'announcement-fail']);
  });

  it("logs each conference status callback with its answer's status, or why it got none", async () => {
    await start();
    const unreachable = await closedPortUrl('/conference');
    app.handle('/voice', `<Response><Dial><Conference beep="false" waitUrl="" statusCallback="${unreachable}" statusCallbackEvent="join">room-11</Conference></Dial></Response>`);
    const first = await emu.dial({ from: CALLER, to: NUMBER, party: {} });
    await emu.waitFor((e) => e.type === 'webhook' && e.kind === 'conference-status', 5000);
    app.handle('/voice', `<Response><Dial><Conference beep="false" waitUrl="" statusCallback="${app.base}/conference" statusCallbackEvent="join">room-12</Conference></Dial></Response>`);
    const second = await emu.dial({ from: AGENT, to: NUMBER, party: {} });
    await emu.waitFor((e) => e.type === 'webhook' && e.kind === 'conference-status' && e.callSid === second, 5000);
    const logged = emu.events().filter((e) => e.type === 'webhook' && e.kind === 'conference-status');
    expect(logged).toEqual([
      expect.objectContaining({ callSid: first, url: unreachable, method: 'POST', error: 'fetch failed', params: expect.objectContaining({ StatusCallbackEvent: 'participant-join' }) }),
      expect.objectContaining({ callSid: second, url: `${app.base}/conference`, method: 'POST', status: 200 }),
    ]);
    expect(logged[0]).not.toHaveProperty('status');
    expect(logged[1]).not.toHaveProperty('error');
  });

  it('waits with music, beeps on join, and ends when a participant with endConferenceOnExit leaves', async () => {
    const client = await start();
    app.handle('/voice', '<Response><Dial><Conference endConferenceOnExit="true">room-8</Conference></Dial></Response>');
    const callerSid = await emu.dial({ from: CALLER, to: NUMBER, party: {} });
    await joined(callerSid);
    await elapse(emu, callerSid, 2); // alone in the conference
    expect(rmsOf(tail(emu.recording(callerSid).heard, 1))).toBeGreaterThan(500); // Twilio's default wait music
    expect(emu.conference('room-8')!.status).toBe('init');
    const agent = await client.conferences('room-8').participants.create({ from: NUMBER, to: AGENT, waitUrl: '' });
    await joined(agent.callSid);
    const joinedAt = callTime(emu, callerSid);
    await elapse(emu, callerSid, 0.5);
    emu.hangup(callerSid);
    await emu.waitForStatus(agent.callSid, 'completed', 5000);
    const conference = emu.conferences().find((c) => c.friendlyName === 'room-8')!;
    expect(conference.status).toBe('completed');
    expect(await client.conferences(conference.sid).fetch()).toMatchObject({ reasonConferenceEnded: 'participant-with-end-conference-on-exit-left', callSidEndingConference: callerSid });
    // The agent's join beep (880 Hz) reached the caller.
    const heard = emu.recording(callerSid).heard;
    expect(tonesAnywhereIn(heard.subarray(Math.round(joinedAt * 8000) - 800), [880], 200)).toEqual([880]);
  });

  it('refuses participants while overloaded as Twilio does (429 20429, 503 20503), creating nothing, and adds them again once it recovers', async () => {
    const client = await start();
    const callerSid = await emu.dial({ from: CALLER, to: NUMBER, party: {} });
    await joined(callerSid);
    const conference = emu.conference('room-7')!;
    const appSid = (await client.applications.create({ friendlyName: 'interpreter', voiceUrl: app.base + '/interpreter' })).sid;
    emu.refuseParticipants({ toPrefix: 'app:', status: 429 });
    await expect(client.conferences(conference.sid).participants.create({ from: NUMBER, to: `app:${appSid}` })).rejects.toMatchObject({ status: 429, code: 20429 });
    emu.refuseParticipants({ toPrefix: 'app:', status: 503 });
    await expect(client.conferences(conference.sid).participants.create({ from: NUMBER, to: `app:${appSid}` })).rejects.toMatchObject({ status: 503, code: 20503 });
    // Only the targets named: a number is added meanwhile.
    await expect(client.conferences(conference.sid).participants.create({ from: NUMBER, to: AGENT })).resolves.toMatchObject({ conferenceSid: conference.sid });
    expect(emu.calls().filter((c) => c.to.startsWith('app:'))).toEqual([]);
    emu.refuseParticipants(undefined);
    await expect(client.conferences(conference.sid).participants.create({ from: NUMBER, to: `app:${appSid}` })).resolves.toMatchObject({ conferenceSid: conference.sid });
  });

  it('refuses coaching on an account without Agent Conference (16000), bad targets and unknown conferences', async () => {
    const client = await start({ agentConference: false });
    const callerSid = await emu.dial({ from: CALLER, to: NUMBER, party: {} });
    await joined(callerSid);
    const conference = emu.conference('room-7')!;
    const coach = client.conferences(conference.sid).participants.create({ from: NUMBER, to: AGENT, coaching: true, callSidToCoach: callerSid });
    await expect(coach).rejects.toMatchObject({ status: 400, code: 16000, message: expect.stringMatching(/^Whisper is only available on Agent Conference/) });
    const agent = await client.conferences(conference.sid).participants.create({ from: NUMBER, to: AGENT });
    await expect(client.conferences(conference.sid).participants(agent.callSid).update({ coaching: true, callSidToCoach: callerSid })).rejects.toMatchObject({ code: 16000 });
    await expect(client.conferences(conference.sid).participants.create({ from: NUMBER, to: 'app:AP' + '0'.repeat(32) })).rejects.toMatchObject({ status: 400, code: 21218 });
    await expect(client.conferences(conference.sid).participants.create({ from: NUMBER, to: '555' })).rejects.toMatchObject({ status: 400, code: 21211 });
    await expect(client.conferences(conference.sid).participants.create({ from: NUMBER, to: AGENT, beep: 'loud' })).rejects.toMatchObject({ status: 400 });
    await expect(client.conferences('CF' + '0'.repeat(32)).participants.create({ from: NUMBER, to: AGENT })).rejects.toMatchObject({ status: 404, code: 20404 });
    await expect(client.conferences('CF' + '0'.repeat(32)).fetch()).rejects.toMatchObject({ status: 404 });
    await expect(client.conferences('x'.repeat(129)).participants.create({ from: NUMBER, to: AGENT })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('at most 128') });
    await expect(client.conferences(conference.sid).participants('CA' + '0'.repeat(32)).fetch()).rejects.toMatchObject({ status: 404 });
    // <Conference coach> fails the same way: the call logs 16000 and moves past <Dial>.
    app.handle('/voice', `<Response><Dial><Conference coach="${callerSid}">room-7</Conference></Dial></Response>`);
    const second = await emu.dial({ from: '+15557770002', to: NUMBER, party: {} });
    await emu.waitForStatus(second, 'completed', 5000);
    expect(emu.events().some((e) => e.type === 'error' && e.callSid === second && e.code === 16000)).toBe(true);
  });

  it('delivers app: custom parameters on the query string or not at all when configured so', async () => {
    for (const appParameters of ['query', 'none'] as const) {
      if (appParameters === 'none') {
        await emu.close();
        await app.close();
      }
      const client = await start({ appParameters, applications: [{ sid: 'AP' + 'a'.repeat(32), voiceUrl: '' }] });
      const appRecord = await client.applications('AP' + 'a'.repeat(32)).update({ voiceUrl: app.base + '/interpreter?fixed=1', voiceMethod: 'POST' });
      expect(appRecord.voiceUrl).toBe(app.base + '/interpreter?fixed=1');
      expect((await client.applications.list()).map((a) => a.sid)).toEqual([appRecord.sid]);
      const callerSid = await emu.dial({ from: CALLER, to: NUMBER, party: {} });
      await joined(callerSid);
      const streamP = app.nextStream();
      await client.conferences('room-7').participants.create({ from: NUMBER, to: `app:${appRecord.sid}?token=abc&x=1` });
      await streamP;
      const hook = app.received.find((r) => r.path === '/interpreter')!;
      expect(app.validSignature(hook, emu.authToken)).toBe(true);
      if (appParameters === 'query') {
        expect(hook.url).toBe(app.base + '/interpreter?fixed=1&token=abc&x=1');
        expect(hook.params.token).toBeUndefined();
      } else {
        expect(hook.url).toBe(app.base + '/interpreter?fixed=1');
        expect(hook.params.token).toBeUndefined();
      }
    }
  });
});
