import { EventEmitter } from 'node:events';
import path from 'node:path';
import { decodeMulaw, encodeMulaw } from '../../src/audio';
import type { CallAnswer, ConferenceEvent, LegStatus, ParticipantMedia, PcmFrame } from '../../src/call/ports';
import { createCallAnswerRenderer } from '../../src/twilio/call-answers';
import { callWebhookHandlers, type CallWebhookTarget } from '../../src/twilio/call-webhooks';
import type { MediaLeg } from '../../src/twilio/media-leg';
import { InMemoryReplayStore, StreamTokens } from '../../src/twilio/stream-token';
import { createTwimlRenderer } from '../../src/twilio/twiml';
import type { TwilioConferenceParams, TwilioStatusParams, TwilioVoiceParams } from '../../src/twilio/webhook-params';
import { normalise, parseXml, type XmlElement } from './helpers/xml';

const CALLER = 'CA' + '1'.repeat(32);
const AGENT = 'CA' + '2'.repeat(32);
const ACCOUNT = 'AC' + '0'.repeat(32);
const CONF = 'CF' + '3'.repeat(32);
const PUBLIC_URL = 'https://tolk.example.com';

function rig(answers: Partial<Record<'incoming' | 'answered' | 'menu', CallAnswer>> = {}) {
  const calls: string[] = [];
  const statuses: [string, LegStatus, string | undefined][] = [];
  const attached: ParticipantMedia[] = [];
  const target: CallWebhookTarget = {
    incoming: (req) => (calls.push(`incoming ${req.legRef} ${req.from} ${req.to}`), Promise.resolve(answers.incoming!)),
    otherPartyAnswered: (callId, legRef, endpoint) => (calls.push(`answered ${callId} ${legRef} ${endpoint}`), answers.answered!),
    languageChosen: (callId, digits) => (calls.push(`menu ${callId} ${digits}`), answers.menu!),
    legStatus: (legRef, status, callId) => void statuses.push([legRef, status, callId]),
    attach: (media) => void attached.push(media),
  };
  const tokens = new StreamTokens({ secret: 's'.repeat(32), replayStore: new InMemoryReplayStore() });
  const twiml = createTwimlRenderer({ dir: path.resolve(__dirname, '../../twiml'), streamStatusCallback: `${PUBLIC_URL}/twilio/stream-status` });
  const render = createCallAnswerRenderer({ twiml, tokens, publicUrl: PUBLIC_URL, streamUrl: 'wss://tolk.example.com/twilio/media' });
  return { handlers: callWebhookHandlers(target, render), calls, statuses, attached, tokens, target, render };
}

const voice = (p: Partial<TwilioVoiceParams>): TwilioVoiceParams => ({ CallSid: CALLER, AccountSid: ACCOUNT, ...p });
const streamOf = (xml: string): XmlElement => ((normalise(parseXml(xml)).children.find((c) => (c as XmlElement).name === 'Connect') as XmlElement).children[0] as XmlElement);
const paramsOf = (stream: XmlElement): Record<string, string> =>
  Object.fromEntries(stream.children.map((c) => [(c as XmlElement).attributes.name, (c as XmlElement).attributes.value]));

describe('Twilio webhooks routed to the call service', () => {
  it('a caller on a tolk number is an incoming call; connecting it says the greeting and opens the caller stream with a token for that leg', async () => {
    const r = rig({ incoming: { type: 'connect', callId: 'call-1', legRef: CALLER, endpoint: 'caller', announce: { greeting: 'Un momento.', locale: 'es-ES' } } });
    const xml = await r.handlers.voice(voice({ From: '+34911234567', To: '+15550001111' }), { query: {} });
    expect(r.calls).toEqual([`incoming ${CALLER} +34911234567 +15550001111`]);
    expect(xml).toContain('<Say language="es-ES">Un momento.</Say>');
    const params = paramsOf(streamOf(xml));
    expect(params.role).toBe('caller');
    await expect(r.tokens.verify(params.token, CALLER)).resolves.toMatchObject({ ok: true, role: 'caller' });
  });

  it('the dialled party picking up (?leg=agent&call=) finds its call and endpoint; its stream says nothing first', async () => {
    const r = rig({ answered: { type: 'connect', callId: 'call-1', legRef: AGENT, endpoint: 'agent' } });
    const xml = await r.handlers.voice(voice({ CallSid: AGENT }), { query: { leg: 'agent', call: 'call-1' } });
    expect(r.calls).toEqual([`answered call-1 ${AGENT} agent`]);
    expect(xml).not.toContain('<Say');
    const params = paramsOf(streamOf(xml));
    await expect(r.tokens.verify(params.token, AGENT)).resolves.toMatchObject({ ok: true, role: 'agent' });
  });

  it('a language menu posts its answer back with ?step=language&call=, and the digits pressed reach the service', async () => {
    const menu: CallAnswer = { type: 'language-menu', callId: 'call 1', options: [{ digit: '1', text: 'Para español, pulse 1.', locale: 'es-ES' }, { digit: '2', text: 'Po polsku, naciśnij 2.', locale: 'pl-PL' }] };
    const r = rig({ incoming: menu, menu: { type: 'say-and-hang-up', text: 'Adiós.', locale: 'es-ES' } });
    const xml = await r.handlers.voice(voice({}), { query: {} });
    expect(xml).toContain(`action="${PUBLIC_URL}/twilio/voice?step=language&amp;call=call%201"`);
    expect(xml).toContain('<Say language="pl-PL">Po polsku, naciśnij 2.</Say>');
    const bye = await r.handlers.voice(voice({ Digits: '2' }), { query: { step: 'language', call: 'call 1' } });
    await r.handlers.voice(voice({}), { query: { step: 'language', call: 'call 1' } });
    expect(r.calls.slice(1)).toEqual(['menu call 1 2', 'menu call 1 undefined']);
    expect(bye).toContain('<Say language="es-ES">Adiós.</Say>');
    expect(bye).toContain('<Hangup/>');
  });

  it('status callbacks become leg statuses, with the call id their URL carried; undocumented statuses are ignored', async () => {
    const r = rig();
    const status = (s: string): TwilioStatusParams => ({ CallSid: AGENT, AccountSid: ACCOUNT, CallStatus: s });
    for (const s of ['initiated', 'ringing', 'in-progress', 'no-answer', 'completed', 'something-new']) await r.handlers.status(status(s), { query: { call: 'call-1' } });
    await r.handlers.status(status('busy'), { query: {} });
    expect(r.statuses).toEqual([
      [AGENT, { state: 'dialing' }, 'call-1'],
      [AGENT, { state: 'ringing' }, 'call-1'],
      [AGENT, { state: 'answered' }, 'call-1'],
      [AGENT, { state: 'ended', reason: 'no-answer' }, 'call-1'],
      [AGENT, { state: 'ended', reason: 'completed' }, 'call-1'],
      [AGENT, { state: 'ended', reason: 'busy' }, undefined],
    ]);
  });

  it("a conference's participant events, speech starting and stopping included, reach the call its URL named", async () => {
    const r = rig();
    const events: [string, ConferenceEvent][] = [];
    const handlers = callWebhookHandlers({ ...r.target, conferenceEvent: (callId, e) => void events.push([callId, e]) }, r.render);
    const conference = (event: string): TwilioConferenceParams => ({ AccountSid: ACCOUNT, ConferenceSid: CONF, StatusCallbackEvent: event, CallSid: AGENT, Coaching: 'false', SequenceNumber: '4' });
    const ctx = { query: { call: 'call-1' }, sinceArrivalMs: () => 40 };
    for (const e of ['participant-join', 'participant-speech-start', 'participant-speech-stop', 'participant-mute', 'participant-leave']) await handlers.conference!(conference(e), ctx);
    expect(events).toEqual([
      ['call-1', { type: 'joined', conferenceRef: CONF, legRef: AGENT, whispering: false }],
      // Numbered, and timed from when the report reached tolk.
      ['call-1', { type: 'speech', conferenceRef: CONF, legRef: AGENT, speaking: true, sequence: 4, sinceArrivalMs: 40 }],
      ['call-1', { type: 'speech', conferenceRef: CONF, legRef: AGENT, speaking: false, sequence: 4, sinceArrivalMs: 40 }],
      ['call-1', { type: 'left', conferenceRef: CONF, legRef: AGENT }],
    ]);
  });

  it("says why a party left and whose leaving ended the conference, where Twilio does", async () => {
    const r = rig();
    const events: ConferenceEvent[] = [];
    const handlers = callWebhookHandlers({ ...r.target, conferenceEvent: (_callId, e) => void events.push(e) }, r.render);
    const ctx = { query: { call: 'call-1' }, sinceArrivalMs: () => 0 };
    const send = (p: Partial<TwilioConferenceParams>) => handlers.conference!({ AccountSid: ACCOUNT, ConferenceSid: CONF, StatusCallbackEvent: 'participant-leave', ...p }, ctx);
    await send({ CallSid: CALLER, ReasonParticipantLeft: 'participant_hung_up' });
    await send({ CallSid: AGENT, ReasonParticipantLeft: 'participant_with_end_conference_on_exit_left' });
    await send({ CallSid: AGENT, ReasonParticipantLeft: 'conference_ended_via_api' });
    await send({ CallSid: AGENT, ReasonParticipantLeft: 'participant_updated_via_api' });
    await send({ CallSid: AGENT, ReasonParticipantLeft: 'something_new' });
    await send({ StatusCallbackEvent: 'conference-end', ReasonConferenceEnded: 'participant-with-end-conference-on-exit-left', CallSidEndingConference: CALLER });
    await send({ StatusCallbackEvent: 'conference-end', ReasonConferenceEnded: 'conference-ended-via-api' });
    expect(events).toEqual([
      { type: 'left', conferenceRef: CONF, legRef: CALLER, cause: 'hung-up' },
      { type: 'left', conferenceRef: CONF, legRef: AGENT, cause: 'conference-ended' },
      { type: 'left', conferenceRef: CONF, legRef: AGENT, cause: 'conference-ended' },
      { type: 'left', conferenceRef: CONF, legRef: AGENT, cause: 'removed' },
      { type: 'left', conferenceRef: CONF, legRef: AGENT },
      { type: 'ended', conferenceRef: CONF, endedBy: CALLER },
      { type: 'ended', conferenceRef: CONF },
    ]);
  });

  it('an authenticated media stream reaches the call as 8 kHz PCM media, and what the call sends goes out as mu-law', () => {
    const r = rig();
    const leg = new FakeStreamLeg();
    r.handlers.leg(leg);
    const media = r.attached[0];
    expect([media.endpoint, media.legRef, media.streamRef, media.sampleRate]).toEqual(['agent', AGENT, 'MZ' + '3'.repeat(32), 8000]);
    const heard: { samples: number[]; atMs: number }[] = [];
    let ended = 0;
    media.on('audio', (f: PcmFrame) => heard.push({ samples: Array.from(f.samples), atMs: f.atMs }));
    media.on('end', () => ended++);
    const voiceFrame = Int16Array.from({ length: 160 }, (_, i) => Math.round(8000 * Math.sin(i / 3)));
    leg.emit('media', { payload: encodeMulaw(voiceFrame), timestampMs: 40, synthetic: false });
    expect(heard).toEqual([{ samples: Array.from(decodeMulaw(encodeMulaw(voiceFrame))), atMs: 40 }]);
    expect(media.send(voiceFrame)).toBe(true);
    expect(leg.sent).toEqual([encodeMulaw(voiceFrame)]);
    leg.emit('stop');
    leg.emit('media', { payload: encodeMulaw(voiceFrame), timestampMs: 60, synthetic: false });
    expect([ended, heard.length]).toEqual([1, 1]);
  });
});

class FakeStreamLeg extends EventEmitter implements MediaLeg {
  readonly callSid = AGENT;
  readonly streamSid = 'MZ' + '3'.repeat(32);
  readonly accountSid = ACCOUNT;
  readonly role = 'agent';
  readonly customParameters = {};
  readonly bufferedBytes = 0;
  readonly sent: Uint8Array[] = [];
  sendMedia(mulaw: Uint8Array): boolean {
    this.sent.push(mulaw.slice());
    return true;
  }
  sendMark(): void {}
  clear(): void {}
  close(): void {}
}
