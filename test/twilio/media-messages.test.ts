import {
  decodeBase64Strict,
  isStrictBase64,
  mediaMessage,
  OutboundMediaWriter,
  parseInboundMessage,
} from '../../src/twilio/media-messages';

const STREAM = 'MZ' + 'a'.repeat(32);
const PAYLOAD = Buffer.from(new Uint8Array(160).fill(0x7f)).toString('base64');

function media(overrides: Record<string, unknown> = {}, mediaOverrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event: 'media',
    sequenceNumber: '3',
    streamSid: STREAM,
    media: { track: 'inbound', chunk: '2', timestamp: '40', payload: PAYLOAD, ...mediaOverrides },
    ...overrides,
  };
}

/** What the schema alone says about a message (the reference the fast path must agree with). */
function bySchema(raw: unknown): unknown {
  const r = mediaMessage.safeParse(raw);
  return r.success ? { ok: true, message: r.data } : { ok: false };
}

function byParser(raw: unknown): unknown {
  const r = parseInboundMessage(JSON.stringify(raw));
  return r.ok ? { ok: true, message: r.message } : { ok: false };
}

describe('inbound media messages', () => {
  it('accepts a well-formed media message as the schema does, keeping only known keys', () => {
    const raw = media({ extra: 1 }, { extra: 'x' });
    const parsed = parseInboundMessage(JSON.stringify(raw));
    expect(parsed).toEqual({
      ok: true,
      message: { event: 'media', sequenceNumber: '3', streamSid: STREAM, media: { track: 'inbound', chunk: '2', timestamp: '40', payload: PAYLOAD } },
    });
    expect(byParser(raw)).toEqual(bySchema(raw));
  });

  const variants: [string, Record<string, unknown>, Record<string, unknown>][] = [
    ['without optional fields', { sequenceNumber: undefined }, { track: undefined, chunk: undefined }],
    ['timestamp not digits', {}, { timestamp: 'soon' }],
    ['timestamp a number', {}, { timestamp: 40 }],
    ['timestamp empty', {}, { timestamp: '' }],
    ['timestamp too long', {}, { timestamp: '1'.repeat(16) }],
    ['timestamp 15 digits', {}, { timestamp: '1'.repeat(15) }],
    ['timestamp with a sign', {}, { timestamp: '-1' }],
    ['timestamp with a newline', {}, { timestamp: '12\n' }],
    ['timestamp with non-ASCII digits', {}, { timestamp: '١٢' }],
    ['sequenceNumber not digits', { sequenceNumber: '3a' }, {}],
    ['sequenceNumber null', { sequenceNumber: null }, {}],
    ['chunk a number', {}, { chunk: 2 }],
    ['track a number', {}, { track: 1 }],
    ['payload missing', {}, { payload: undefined }],
    ['payload a number', {}, { payload: 5 }],
    ['streamSid missing', { streamSid: undefined }, {}],
    ['streamSid empty', { streamSid: '' }, {}],
    ['streamSid too long', { streamSid: 'M'.repeat(65) }, {}],
    ['media missing', { media: undefined }, {}],
    ['media an array', { media: [] }, {}],
    ['media a string', { media: 'x' }, {}],
    ['media null', { media: null }, {}],
  ];

  it.each(variants)('agrees with the schema: %s', (_name, top, inner) => {
    const raw = media(top, inner);
    expect(byParser(raw)).toEqual(bySchema(raw));
  });

  it('names the problem of a malformed media message, as the schema does', () => {
    const r = parseInboundMessage(JSON.stringify(media({}, { timestamp: 'soon' })));
    expect(r).toEqual({ ok: false, reason: 'invalid_message', detail: expect.stringContaining('media.timestamp') as unknown });
  });

  it('still tells apart invalid JSON, unknown events and non-objects', () => {
    expect(parseInboundMessage('{"event":"media",')).toMatchObject({ ok: false, reason: 'invalid_json' });
    expect(parseInboundMessage('[1]')).toMatchObject({ ok: false, reason: 'invalid_message' });
    expect(parseInboundMessage('{"event":"medias"}')).toMatchObject({ ok: false, reason: 'unknown_event' });
  });
});

describe('strict base64', () => {
  const REGEX = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

  it.each(['', 'AAAA', 'AA==', 'AAA=', 'A===', '====', 'AA=A', 'A', 'AA', 'AAA', 'AA-_', 'AA A', 'AAAA\n', 'AAé=', '!!!not-base64!!!', PAYLOAD])(
    '%j is judged as the reference pattern judges it',
    (s) => {
      expect(isStrictBase64(s)).toBe(REGEX.test(s));
    },
  );

  it('agrees with the reference pattern on random strings over base64-like characters', () => {
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
    const chars = 'ABCxyz019+/=-_ \u00e9';
    for (let k = 0; k < 5000; k++) {
      const len = Math.floor(rnd() * 13);
      let s = '';
      for (let i = 0; i < len; i++) s += chars[Math.floor(rnd() * chars.length)];
      expect([s, isStrictBase64(s)]).toEqual([s, REGEX.test(s)]);
    }
  });

  it('decodes valid payloads and refuses invalid ones', () => {
    expect(Array.from(decodeBase64Strict('AQID') ?? [])).toEqual([1, 2, 3]);
    expect(decodeBase64Strict('AQI*')).toBeNull();
  });
});

describe('outbound media', () => {
  it('builds the same JSON message as serialising the object would', () => {
    const sid = 'MZ"odd\\sid';
    const bytes = Uint8Array.from({ length: 160 }, (_, i) => (i * 37) & 0xff);
    const text = new OutboundMediaWriter(sid).message(bytes.subarray(0, 159));
    expect(JSON.parse(text)).toEqual({ event: 'media', streamSid: sid, media: { payload: Buffer.from(bytes.subarray(0, 159)).toString('base64') } });
  });
});
