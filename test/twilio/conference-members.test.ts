/**
 * Who is in a conference, as tolk's conference port reads it from Twilio (the emulator, through the
 * real SDK): a participant added by REST is listed while their phone rings, but is not in the room
 * yet (nobody can whisper to them: 16028), so tolk counts them once they answer.
 */
import type { ConferenceEvent } from '../../src/call/ports';
import { startTwilioEmulator, type TwilioEmulator } from '../../src/emulators/twilio/emulator';
import { TwilioConferences } from '../../src/twilio/conferences';
import { TwilioRestClient } from '../../src/twilio/rest-client';
import { InMemoryReplayStore, StreamTokens } from '../../src/twilio/stream-token';
import { startAppServer, sdkClientFor, type AppServer } from '../twilio-emulator/app-server';
import { captureLogger } from './helpers/logs';

const NUMBER = '+15550001111';
const CALLER = '+15557770001';
const AGENT = '+15550002222';

let emu: TwilioEmulator;
let app: AppServer;
afterEach(async () => {
  await emu?.close();
  await app?.close();
});

async function start(agentAnswersAfterSec: number) {
  app = await startAppServer();
  emu = await startTwilioEmulator({
    timeScale: 0.05,
    numbers: [{ phoneNumber: NUMBER, voiceUrl: app.base + '/voice' }],
    callees: { [AGENT]: { scenario: { kind: 'answer', afterSec: agentAnswersAfterSec } } },
  });
  app.handle('/voice', '<Response><Dial><Conference beep="false" waitUrl="">room-1</Conference></Dial></Response>');
  const rest = new TwilioRestClient({ accountSid: emu.accountSid, authToken: emu.authToken, apiUrl: emu.url, logger: captureLogger().logger });
  const tokens = new StreamTokens({ secret: 's'.repeat(32), replayStore: new InMemoryReplayStore() });
  const conferences = new TwilioConferences({ rest, tokens, publicUrl: app.base, appSid: 'AP' + 'a'.repeat(32), pollMs: 25 });
  const sdk = sdkClientFor(emu.url, emu.accountSid, emu.authToken);
  const callerSid = await emu.dial({ from: CALLER, to: NUMBER });
  await emu.waitFor((e) => e.type === 'conference' && e.action === 'join' && e.callSid === callerSid, 5000);
  return { conferences, sdk, callerSid };
}

describe('the members of a conference tolk joins', () => {
  it('leave out a participant whose phone still rings, and report them joined once they answer', async () => {
    const { conferences, sdk, callerSid } = await start(20);
    const agent = await sdk.conferences('room-1').participants.create({ from: NUMBER, to: AGENT, beep: 'false' });
    await emu.waitForStatus(agent.callSid, 'ringing', 5000);
    // Twilio lists the agent, ringing: not someone in the room.
    const listed = await sdk.conferences(agent.conferenceSid).participants.list();
    expect(listed.map((p) => [p.callSid, p.status])).toEqual(
      expect.arrayContaining([
        [callerSid, 'connected'],
        [agent.callSid, expect.stringMatching(/^(queued|connecting|ringing)$/)],
      ]),
    );

    const info = await conferences.find('room-1');
    expect(info?.members.map((m) => m.legRef)).toEqual([callerSid]);

    const events: ConferenceEvent[] = [];
    const stop = conferences.watch(info!, (e) => events.push(e));
    try {
      await emu.waitFor((e) => e.type === 'conference' && e.action === 'join' && e.callSid === agent.callSid, 5000);
      const deadline = Date.now() + 5000;
      while (!events.some((e) => e.type === 'joined') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    } finally {
      stop();
    }
    expect(events).toEqual([{ type: 'joined', conferenceRef: info!.ref, legRef: agent.callSid, whispering: false }]);
    expect((await conferences.find('room-1'))?.members.map((m) => m.legRef)).toEqual([callerSid, agent.callSid]);
  });
});
