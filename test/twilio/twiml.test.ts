import path from 'node:path';
import twilio from 'twilio';
import {
  TWIML_DOCUMENT_NAMES,
  compileTemplate,
  createTwimlRenderer,
  defaultTwimlDir,
  escapeXml,
  fillTemplate,
} from '../../src/twilio/twiml';
import { normalise, parseXml } from './helpers/xml';

const { VoiceResponse } = twilio.twiml;
const TWIML_DIR = path.resolve(__dirname, '../../twiml');
const STREAM_STATUS_URL = 'https://tolk.example.com/twilio/stream-status';
const renderer = createTwimlRenderer({ dir: TWIML_DIR, streamStatusCallback: STREAM_STATUS_URL });
const same = (a: string, b: string): void => expect(normalise(parseXml(a))).toEqual(normalise(parseXml(b)));

const STREAM_URL = 'wss://tolk.example.com/twilio/media';
const TOKEN = 'v1.CAxx.caller.1700000000.nonce.mac-_';

function streamResponse(role: string, token: string, statusCallback = STREAM_STATUS_URL): string {
  const r = new VoiceResponse();
  const s = r.connect().stream({ url: STREAM_URL, statusCallback, statusCallbackMethod: 'POST' });
  s.parameter({ name: 'token', value: token });
  s.parameter({ name: 'role', value: role });
  return r.toString();
}

function sayAndHang(message: string, language: 'en-US' | 'fr-FR' | 'nl-NL', pause: boolean): string {
  const r = new VoiceResponse();
  r.say({ language }, message);
  if (pause) r.pause({ length: 1 });
  r.hangup();
  return r.toString();
}

describe('TwiML documents', () => {
  it('finds the twiml folder and has a file for every document', () => {
    expect(defaultTwimlDir()).toBe(path.resolve(__dirname, '../../twiml'));
    for (const name of TWIML_DOCUMENT_NAMES) expect(() => parseXml(renderer.render(name, { streamUrl: 'wss://x', token: 't', message: 'm', action: 'https://x/twilio/voice', name: 'room' }))).not.toThrow();
  });

  it('caller-stream equals what VoiceResponse builds', () => {
    same(renderer.render('caller-stream', { streamUrl: STREAM_URL, token: TOKEN }), streamResponse('caller', TOKEN));
  });

  it('caller-stream says an optional greeting first', () => {
    const r = new VoiceResponse();
    r.say({ language: 'nl-NL' }, 'Een ogenblik, u wordt verbonden.');
    const s = r.connect().stream({ url: STREAM_URL, statusCallback: STREAM_STATUS_URL, statusCallbackMethod: 'POST' });
    s.parameter({ name: 'token', value: TOKEN });
    s.parameter({ name: 'role', value: 'caller' });
    same(
      renderer.render('caller-stream', { streamUrl: STREAM_URL, token: TOKEN, greeting: 'Een ogenblik, u wordt verbonden.', language: 'nl-NL' }),
      r.toString(),
    );
    expect(renderer.render('caller-stream', { streamUrl: STREAM_URL, token: TOKEN, greeting: '' })).not.toContain('<Say');
  });

  it('language-menu announces each option in its own language inside a DTMF Gather, then moves on', () => {
    const action = 'https://tolk.example.com/twilio/voice?step=language&call=c1';
    const r = new VoiceResponse();
    const g = r.gather({ input: ['dtmf'], numDigits: 1, timeout: 6, action, method: 'POST' });
    g.say({ language: 'es-ES' }, 'Para español, pulse 1.');
    g.say({ language: 'pl-PL' }, 'Aby kontynuować po polsku, naciśnij 2.');
    r.redirect({ method: 'POST' }, action);
    same(
      renderer.render('language-menu', { action, option1: 'Para español, pulse 1.', locale1: 'es-ES', option2: 'Aby kontynuować po polsku, naciśnij 2.', locale2: 'pl-PL' }),
      r.toString(),
    );
  });

  it('say-hangup says the given message in the given language and hangs up', () => {
    same(renderer.render('say-hangup', { message: 'Tot ziens', language: 'nl-NL' }), sayAndHang('Tot ziens', 'nl-NL', true));
  });

  it('agent-stream equals what VoiceResponse builds', () => {
    same(renderer.render('agent-stream', { streamUrl: STREAM_URL, token: TOKEN }), streamResponse('agent', TOKEN));
  });

  it.each(['caller-stream', 'agent-stream'] as const)('%s asks Twilio to POST the stream\'s status to the statusCallback given, else the renderer\'s', (name) => {
    const other = 'https://other.example.com/base/twilio/stream-status';
    same(renderer.render(name, { streamUrl: STREAM_URL, token: TOKEN, statusCallback: other }), streamResponse(name === 'caller-stream' ? 'caller' : 'agent', TOKEN, other));
    const stream = /<Stream [^>]*>/.exec(renderer.render(name, { streamUrl: STREAM_URL, token: TOKEN }))![0];
    expect(stream).toContain(`statusCallback="${STREAM_STATUS_URL}"`);
    expect(stream).toContain('statusCallbackMethod="POST"');
    // A renderer told no status URL cannot render a stream without one: no stream goes unreported.
    const bare = createTwimlRenderer({ dir: TWIML_DIR });
    expect(() => bare.render(name, { streamUrl: STREAM_URL, token: TOKEN })).toThrow(/statusCallback/);
    expect(bare.render(name, { streamUrl: STREAM_URL, token: TOKEN, statusCallback: other })).toContain(`statusCallback="${other}"`);
  });

  it.each([
    ['party-unreachable', 'Sorry, the person you are calling could not be reached. Please try again later.'],
    ['party-busy', 'Sorry, the line of the person you are calling is busy. Please try again later.'],
    ['party-no-answer', 'Sorry, the person you are calling did not answer. Please try again later.'],
  ] as const)('%s says its default message, pauses and hangs up', (name, message) => {
    same(renderer.render(name, {}), sayAndHang(message, 'en-US', true));
  });

  it('unknown-number says the number is not in service and hangs up', () => {
    same(renderer.render('unknown-number', {}), sayAndHang('Sorry, this number is not in service.', 'en-US', false));
  });

  it('fills language and message, escaping XML specials exactly as VoiceResponse does', () => {
    const message = `Désolé <"Bob" & 'Alice'> ne répond pas`;
    const out = renderer.render('party-no-answer', { language: 'fr-FR', message });
    same(out, sayAndHang(message, 'fr-FR', true));
    expect(out).not.toContain('<"Bob"');
  });

  it('escapes values in attributes so they cannot inject markup', () => {
    const evil = `x"/><Hangup/><Parameter name="a`;
    const doc = normalise(parseXml(renderer.render('caller-stream', { streamUrl: STREAM_URL, token: evil })));
    const stream = (doc.children[0] as { children: { attributes: Record<string, string>; children: unknown[] }[] }).children[0];
    expect(stream.children).toHaveLength(2);
    expect((stream.children[0] as { attributes: Record<string, string> }).attributes.value).toBe(evil);
  });

  it('starts with the XML declaration and carries no comments or layout whitespace', () => {
    const out = renderer.render('caller-stream', { streamUrl: STREAM_URL, token: 't' });
    expect(out.startsWith('<?xml version="1.0" encoding="UTF-8"?><Response><Connect>')).toBe(true);
    expect(out).not.toMatch(/<!--|>\s+</);
  });

  it('refuses to render with a required value missing', () => {
    expect(() => renderer.render('caller-stream', { streamUrl: STREAM_URL } as never)).toThrow(/token/);
  });
});

describe('template helpers', () => {
  it('escapes the five XML specials and drops control characters', () => {
    expect(escapeXml(`<a href="x">&'\u0001`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;');
  });

  it('compiles placeholders with defaults', () => {
    const parts = compileTemplate('<!-- c -->\n<Response>\n  <Say>{{ msg | Hi there }}</Say>\n</Response>');
    expect(fillTemplate('t', parts, {})).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Say>Hi there</Say></Response>');
    expect(fillTemplate('t', parts, { msg: 'Yo' })).toContain('<Say>Yo</Say>');
  });
});
