import fc from 'fast-check';
import {
  connectedMessage,
  decodeBase64Strict,
  dtmfMessage,
  isStrictBase64,
  markMessage,
  mediaMessage,
  parseInboundMessage,
  plainStreamSid,
  startMessage,
  stopMessage,
  type ParseResult,
} from '../../src/twilio/media-messages';

const schemas: Record<string, { safeParse(v: unknown): { success: true; data: unknown } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }> = {
  connected: connectedMessage,
  start: startMessage,
  media: mediaMessage,
  dtmf: dtmfMessage,
  mark: markMessage,
  stop: stopMessage,
};

/** What a text frame parses to by the general path alone: JSON.parse, then the message's schema. */
function reference(text: string): ParseResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'invalid_json', detail: 'not JSON' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, reason: 'invalid_message', detail: 'not a JSON object' };
  const event = (raw as { event?: unknown }).event;
  if (typeof event !== 'string' || !Object.hasOwn(schemas, event)) {
    return { ok: false, reason: 'unknown_event', detail: typeof event === 'string' ? event.slice(0, 32) : 'missing event' };
  }
  const parsed = schemas[event].safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, reason: 'invalid_message', detail: `${event}: ${issue.path.join('.')} ${issue.message}` };
  }
  return { ok: true, message: parsed.data as never };
}

/** Parses as tolk does and, for a media message, decodes its payload as the media stream does. */
function judgedAlike(text: string): void {
  const got = parseInboundMessage(text);
  const want = reference(text);
  expect([text, got]).toEqual([text, want]);
  // Told the stream's id (as a session is), or one that is not the message's, it reads the same.
  for (const known of [SID, SID.slice(0, -1), `${SID}f`, 'M']) expect([text, known, parseInboundMessage(text, plainStreamSid(known))]).toEqual([text, known, want]);
  if (got.ok && got.message.event === 'media') {
    const p = got.message.media.payload;
    const bytes = decodeBase64Strict(p);
    if (isStrictBase64(p)) expect(bytes && Buffer.from(bytes).equals(Buffer.from(p, 'base64'))).toBe(true);
    else expect(bytes).toBeNull();
  }
}

const SID = 'MZ0123456789abcdef0123456789abcdef';
const payloadOf = (n: number, seed = 0): string => Buffer.from(Uint8Array.from({ length: n }, (_, i) => (i * 37 + seed) & 0xff)).toString('base64');

/** Twilio's media message, compact, its keys in Twilio's order. */
function twilioText(payload = payloadOf(160), seq = '4', chunk = '3', ts = '40'): string {
  return `{"event":"media","sequenceNumber":"${seq}","media":{"track":"inbound","chunk":"${chunk}","timestamp":"${ts}","payload":"${payload}"},"streamSid":"${SID}"}`;
}

const ODD = ['"', '\\', ',', '}', '{', ':', ' ', '\n', '\t', '\u0000', '\u001f', 'x', '0', '9', '=', '-', '_', '+', '/', '\u00e9', '\u0141', '\u012b', '\ud83d', 'u'];
const oddChar = fc.constantFrom(...ODD);
const someChar = fc.oneof(oddChar, fc.constantFrom(...'ABCabc0129+/=MZinbound'.split('')));

/** Optional fields, odd values, extra keys, any key order, serialised compactly (or indented). */
const messageText = fc
  .record({
    event: fc.oneof({ arbitrary: fc.constant('media'), weight: 5 }, fc.constantFrom('Media', 'mark', 'medi', 'media ', '', undefined)),
    streamSid: fc.oneof({ arbitrary: fc.constant(SID), weight: 5 }, fc.string({ unit: someChar, maxLength: 70 }), fc.constant('M'.repeat(64)), fc.constant('M'.repeat(65)), fc.integer()),
    sequenceNumber: fc.oneof(fc.constant(undefined), fc.constant('1'), fc.string({ unit: fc.constantFrom('0', '7', 'a', '-', '\u0661'), maxLength: 17 }), fc.constant('1'.repeat(15)), fc.constant('1'.repeat(16)), fc.integer(), fc.constant(null)),
    track: fc.oneof(fc.constant(undefined), fc.constant('inbound'), fc.string({ unit: someChar, maxLength: 12 }), fc.integer()),
    chunk: fc.oneof(fc.constant(undefined), fc.constant('12'), fc.string({ unit: fc.constantFrom('0', '5', 'x', ' '), maxLength: 17 }), fc.integer()),
    timestamp: fc.oneof({ arbitrary: fc.constant('40'), weight: 5 }, fc.constant(undefined), fc.string({ unit: fc.constantFrom('0', '5', 'x', '\n'), maxLength: 17 }), fc.integer()),
    payload: fc.oneof(
      { arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('base64')), weight: 5 },
      fc.string({ unit: someChar, maxLength: 40 }),
      fc.constant(''),
      fc.integer(),
      fc.constant(undefined),
    ),
    extraTop: fc.option(fc.constantFrom<[string, unknown]>(['extra', 1], ['media', { payload: 'AAAA' }], ['__proto__', 'x'], ['streamsid', 'y'], ['eventX', 'media'])),
    extraMedia: fc.option(fc.constantFrom<[string, unknown]>(['extra', 'x'], ['track2', 'x'], ['payloadX', 'AAAA'], ['event', 'media'])),
    media: fc.oneof({ arbitrary: fc.constant('object'), weight: 8 }, fc.constantFrom('array', 'null', 'string', 'missing')),
    order: fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
    indent: fc.constantFrom(undefined, undefined, undefined, 1, '\t'),
  })
  .map((r) => {
    const inner: [string, unknown][] = [['track', r.track], ['chunk', r.chunk], ['timestamp', r.timestamp], ['payload', r.payload]];
    if (r.extraMedia) inner.push(r.extraMedia);
    const top: [string, unknown][] = [['event', r.event], ['sequenceNumber', r.sequenceNumber], ['streamSid', r.streamSid]];
    const mediaValue = r.media === 'object' ? null : r.media === 'array' ? [] : r.media === 'null' ? null : r.media === 'string' ? 'x' : undefined;
    const shuffle = (entries: [string, unknown][]): [string, unknown][] =>
      entries.map((e, k) => [e, r.order[k % r.order.length] + k / 100] as const).sort((a, b) => a[1] - b[1]).map(([e]) => e);
    const innerText = `{${shuffle(inner).filter(([, v]) => v !== undefined).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
    const members = top.filter(([, v]) => v !== undefined).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
    if (r.media === 'object') members.push(`"media":${innerText}`);
    else if (r.media !== 'missing') members.push(`"media":${JSON.stringify(mediaValue)}`);
    if (r.extraTop) members.push(`${JSON.stringify(r.extraTop[0])}:${JSON.stringify(r.extraTop[1])}`);
    const order = r.order;
    const text = `{${members.map((m, k) => [m, order[k % order.length] - k] as const).sort((a, b) => a[1] - b[1]).map(([m]) => m).join(',')}}`;
    return r.indent === undefined ? text : JSON.stringify(JSON.parse(text), null, r.indent);
  });

/** A well-formed compact media message with one character replaced, inserted or removed. */
const editedText = fc
  .tuple(fc.nat({ max: 300 }), fc.nat(), fc.constantFrom('replace', 'insert', 'remove'), someChar, fc.boolean())
  .map(([bytes, at, how, c, twilioOrder]) => {
    const t = twilioOrder
      ? twilioText(payloadOf(bytes % 200, at))
      : `{"event":"media","streamSid":"${SID}","media":{"track":"inbound","payload":"${payloadOf(bytes % 200, at)}","chunk":"2","timestamp":"40"},"sequenceNumber":"3"}`;
    const i = at % t.length;
    if (how === 'replace') return t.slice(0, i) + c + t.slice(i + 1);
    if (how === 'insert') return t.slice(0, i) + c + t.slice(i);
    return t.slice(0, i) + t.slice(i + 1);
  });

describe('reading media messages without JSON.parse', () => {
  it('gives what JSON.parse and the schema give for Twilio\'s media message, and its payload decoded', () => {
    const text = twilioText();
    expect(parseInboundMessage(text)).toEqual({
      ok: true,
      message: { event: 'media', sequenceNumber: '4', streamSid: SID, media: { track: 'inbound', chunk: '3', timestamp: '40', payload: payloadOf(160) } },
    });
    judgedAlike(text);
  });

  it.each([
    ['duplicate key', twilioText().replace('"event":"media"', '"event":"media","event":"media"')],
    ['duplicate media key', twilioText().replace('"chunk":"3"', '"chunk":"3","chunk":"4"')],
    ['later duplicate wins', twilioText().replace('"timestamp":"40"', '"timestamp":"40","timestamp":"x"')],
    ['escaped key', twilioText().replace('"event"', '"ev\\u0065nt"')],
    ['escaped value', twilioText().replace('"inbound"', '"in\\nbound"')],
    ['escaped sid', twilioText().replace(SID, 'MZ\\"x')],
    ['control character in a value', twilioText().replace('"inbound"', '"in\u0001bound"')],
    ['control character in the sid', twilioText().replace(SID, 'MZ\u0000x')],
    ['whitespace', twilioText().replace(',"media"', ', "media"')],
    ['trailing garbage', `${twilioText()}x`],
    ['trailing whitespace', `${twilioText()}\n`],
    ['missing brace', twilioText().slice(0, -1)],
    ['non-ASCII track', twilioText().replace('"inbound"', '"inbound\u00e9"')],
    ['non-ASCII elsewhere, lifted payload character', twilioText().replace('"payload":"', '"payload":"\u0141AAA')],
    ['URL-safe payload', twilioText(`${payloadOf(159).slice(0, -4)}AB-_`)],
    ['payload with a space', twilioText(`AAAA ${payloadOf(6)}`)],
    ['payload not quads', twilioText('AAAAA')],
    ['empty payload', twilioText('')],
    ['sequenceNumber not digits', twilioText(undefined, '4a')],
    ['chunk empty', twilioText(undefined, '4', '')],
    ['timestamp 16 digits', twilioText(undefined, '4', '3', '1'.repeat(16))],
    ['timestamp 15 digits', twilioText(undefined, '4', '3', '1'.repeat(15))],
    ['media not an object', `{"event":"media","streamSid":"${SID}","media":"x"}`],
    ['media empty', `{"event":"media","streamSid":"${SID}","media":{}}`],
    ['no timestamp', `{"event":"media","streamSid":"${SID}","media":{"payload":"AAAA"}}`],
    ['least message', `{"event":"media","streamSid":"${SID}","media":{"timestamp":"0","payload":"AAAA"}}`],
    ['members after media', `{"media":{"timestamp":"0","payload":"AAAA"},"event":"media","streamSid":"x"}`],
    ['nested media in media', `{"event":"media","streamSid":"x","media":{"media":{},"timestamp":"0","payload":"AAAA"}}`],
    ['sid 64', twilioText().replace(SID, 'M'.repeat(64))],
    ['sid 65', twilioText().replace(SID, 'M'.repeat(65))],
    ['sid empty', twilioText().replace(SID, '')],
    ['no event', `{"streamSid":"${SID}","media":{"timestamp":"0","payload":"AAAA"}}`],
    ['no streamSid', `{"event":"media","media":{"timestamp":"0","payload":"AAAA"}}`],
    ['no media', `{"event":"media","streamSid":"${SID}"}`],
    ['event only inside media', `{"streamSid":"${SID}","media":{"event":"media","timestamp":"0","payload":"AAAA"}}`],
    ['two media objects', `{"event":"media","streamSid":"${SID}","media":{"timestamp":"0"},"media":{"payload":"AAAA"}}`],
    ['another event', `{"event":"mark","streamSid":"${SID}","mark":{"name":"x"}}`],
  ])('agrees with JSON.parse and the schema: %s', (_name, text) => {
    judgedAlike(text);
  });

  it('agrees with JSON.parse and the schema on generated messages', () => {
    fc.assert(fc.property(messageText, judgedAlike), { numRuns: 20_000 });
  });

  it('agrees with JSON.parse and the schema on a media message one edit away', () => {
    fc.assert(fc.property(editedText, judgedAlike), { numRuns: 20_000 });
  });

  it('hands out the payload decoded once; its bytes are the caller\'s own', () => {
    const payload = payloadOf(160, 9);
    const r = parseInboundMessage(twilioText(payload));
    if (!r.ok || r.message.event !== 'media') throw new Error('not parsed');
    const other = payloadOf(160, 10);
    expect(Buffer.from(decodeBase64Strict(other)!).equals(Buffer.from(other, 'base64'))).toBe(true);
    const first = decodeBase64Strict(r.message.media.payload)!;
    const second = decodeBase64Strict(r.message.media.payload)!;
    expect(Buffer.from(first).equals(Buffer.from(payload, 'base64'))).toBe(true);
    first.fill(0);
    expect(Buffer.from(second).equals(Buffer.from(payload, 'base64'))).toBe(true);
    expect(decodeBase64Strict(`${payload.slice(0, -4)}AB-_`)).toBeNull();
  });
});

describe('plainStreamSid (the stream id a session hands parseInboundMessage)', () => {
  it('takes an id the scan reads as it stands, and nothing else', () => {
    expect(plainStreamSid(SID)).toBe(SID);
    expect(plainStreamSid('M'.repeat(64))).toBe('M'.repeat(64));
    for (const odd of ['', 'M'.repeat(65), 'MZ"x', 'MZ\\x', 'MZ\u0000x', 'MZ\nx']) expect(plainStreamSid(odd)).toBeUndefined();
  });

  it('lets a message of the known id be read to that very string, and one of another id as before', () => {
    const got = parseInboundMessage(twilioText(), plainStreamSid(SID));
    expect(got.ok && got.message.event === 'media' && got.message.streamSid).toBe(SID);
    const other = twilioText().replace(SID, `${SID.slice(0, -1)}0`);
    expect(parseInboundMessage(other, plainStreamSid(SID))).toEqual(reference(other));
  });
});
