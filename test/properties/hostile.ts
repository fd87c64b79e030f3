/**
 * Generators of hostile input for tolk's input surfaces (fast-check arbitraries): values that are
 * too long, of the wrong type, almost right, encoded oddly, or plain garbage, mixed with values
 * that are right, so generated requests reach every layer of validation.
 */
import fc from 'fast-check';

/** Strings people and programs send by mistake or on purpose. */
export const nasty = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  '\u202e',
  '%00',
  '%zz',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  "'; drop table calls; --",
  '{{token}}',
  'NaN',
  'Infinity',
  '-1',
  '1e999',
  '0x10',
  '9'.repeat(40),
  'null',
  'undefined',
  '__proto__',
  'constructor',
  'auto',
  'es',
  'EN',
  'pt-br',
  'zh_Hans',
  '+15550001111',
  '+1 555-000-1111',
  'sip:+15550001111@example.com',
  'client:alice',
  '2025-02-30',
  '2025-01-01T10:00:00Z',
  'CA' + 'a'.repeat(32),
  'AC' + '0'.repeat(32),
  'MZ' + 'f'.repeat(32),
);

/** Anything from a nasty constant to a long run of one character (up to `maxLength`). */
export function hostileString(maxLength = 100_000): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: nasty },
    { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('x', '9', '+', '%', 'é', '😀'), fc.integer({ min: Math.min(100, maxLength), max: maxLength })).map(([c, n]) => c.repeat(Math.floor(n / c.length))) },
  );
}

/** A JSON value of any shape, hostile strings included. */
export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: hostileString(60_000) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, Number.MAX_SAFE_INTEGER + 2) },
  { weight: 1, arbitrary: fc.array(hostileString(1000), { maxLength: 30 }) },
);

/** An object shaped like a number's settings, each field right, wrong, or missing. */
export const settingsLike: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    number: fc.oneof(fc.constant('+15550001111'), hostileJson),
    destination: fc.oneof(fc.constant('+15550002222'), hostileJson),
    callerLanguage: fc.oneof(fc.constantFrom('es', 'auto', 'de'), hostileJson),
    agentLanguage: fc.oneof(fc.constant('en'), hostileJson),
    defaultLanguage: fc.oneof(fc.constant('es'), hostileJson),
    languageMenu: fc.oneof(fc.constant(['es', 'en']), fc.array(fc.oneof(fc.constantFrom('es', 'en', 'de'), hostileString(200)), { maxLength: 3000 }), hostileJson),
    rememberLanguage: fc.oneof(fc.boolean(), hostileJson),
    echoTargetLanguage: fc.oneof(fc.boolean(), hostileJson),
    originalVolume: fc.oneof(fc.double({ noNaN: true }), hostileJson),
    greeting: fc.oneof(fc.constant('Hola.'), hostileJson),
    extra: hostileJson,
  },
  { requiredKeys: [] },
);

/** A path segment: mostly URL-encoded hostile text, sometimes raw broken encoding. */
export const pathSegment: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: hostileString(5000).map((s) => encodeURIComponent(s).slice(0, 6000) || 'x') },
  { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '%E0%A4%A', '..', '%2F', '%2B15550001111') },
);

export interface HostileRequest {
  method: 'get' | 'put' | 'post' | 'delete';
  path: string;
  query: Record<string, string | string[]>;
  body: unknown;
  contentType: string | undefined;
}

/** A request to any admin API route, or near one. */
export const adminRequest: fc.Arbitrary<HostileRequest> = fc.record({
  method: fc.constantFrom('get', 'put', 'post', 'delete'),
  path: fc.oneof(
    fc.constantFrom('/api/numbers', '/api/calls', '/api/languages', '/api/tokens', '/api/openapi.json', '/api', '/api/nothing'),
    pathSegment.map((p) => `/api/numbers/${p}`),
    fc.tuple(pathSegment, pathSegment).map(([n, c]) => `/api/numbers/${n}/callers/${c}/language`),
    pathSegment.map((p) => `/api/calls/${p}`),
  ),
  query: fc.dictionary(
    fc.oneof(fc.constantFrom('number', 'from', 'to', 'outcome', 'state', 'limit', 'cursor'), fc.string({ maxLength: 10 })),
    fc.oneof(hostileString(3000), fc.array(fc.string({ maxLength: 10 }), { minLength: 2, maxLength: 3 })),
    { maxKeys: 4 },
  ),
  body: fc.option(
    fc.oneof(
      settingsLike,
      hostileJson,
      fc.record({ targetLanguage: hostileJson, echoTargetLanguage: hostileJson }, { requiredKeys: [] }),
      fc.record(
        {
          line: fc.oneof(fc.constant('+15550001111'), hostileJson),
          to: fc.oneof(fc.constant('+34600000000'), hostileJson),
          at: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), hostileJson),
          destination: hostileJson,
          callerLanguage: hostileJson,
          agentLanguage: hostileJson,
          retries: hostileJson,
          retryAfterSec: hostileJson,
        },
        { requiredKeys: [] },
      ),
    ),
    { nil: undefined },
  ),
  contentType: fc.constantFrom('application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded', undefined),
});

/** Form parameters of a Twilio webhook: the ones tolk reads, hostile or right, plus strangers. */
export function webhookParams(account: string): fc.Arbitrary<Record<string, string>> {
  const hex = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 32, maxLength: 32 });
  const sid = (prefix: string) => fc.oneof(hex.map((h) => prefix + h), hostileString(300));
  return fc
    .record(
      {
        CallSid: sid('CA'),
        AccountSid: fc.oneof(fc.constant(account), sid('AC')),
        From: hostileString(400),
        To: hostileString(400),
        CallStatus: fc.oneof(fc.constantFrom('ringing', 'in-progress', 'completed', 'busy', 'no-answer', 'failed', 'canceled', 'initiated'), hostileString(100)),
        SequenceNumber: fc.oneof(fc.nat().map(String), hostileString(50)),
        Digits: hostileString(100),
        StreamSid: sid('MZ'),
        StreamEvent: fc.oneof(fc.constantFrom('stream-started', 'stream-stopped', 'stream-error'), hostileString(100)),
        StreamError: hostileString(3000),
        Timestamp: hostileString(100),
      },
      { requiredKeys: [] },
    )
    .chain((known) => fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), hostileString(200), { maxKeys: 5 }).map((extra) => ({ ...extra, ...known })));
}

/** A Media Streams message: Twilio's shapes with hostile fields, random JSON, or not JSON at all. */
export function mediaMessage(streamSid: string): fc.Arbitrary<string | Buffer> {
  const digits = fc.oneof(fc.nat({ max: 2_000_000 }).map(String), fc.constantFrom('999999999999999', '0', '00001', '-1', '1.5', '1e3', ''), hostileString(40));
  const payload = fc.oneof(fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b).toString('base64')), hostileString(40_000));
  const sidArb = fc.oneof(fc.constant(streamSid), hostileString(100));
  const shaped = fc.oneof(
    fc.record({ event: fc.constant('media'), sequenceNumber: digits, streamSid: sidArb, media: fc.record({ track: fc.constant('inbound'), chunk: digits, timestamp: digits, payload }, { requiredKeys: ['timestamp', 'payload'] }) }, { requiredKeys: ['event', 'media'] }),
    fc.record({ event: fc.constant('dtmf'), sequenceNumber: digits, streamSid: sidArb, dtmf: fc.record({ digit: hostileString(5) }) }),
    fc.record({ event: fc.constant('mark'), sequenceNumber: digits, streamSid: sidArb, mark: fc.record({ name: hostileString(2000) }) }),
    fc.record({ event: fc.constantFrom('stop', 'start', 'connected', 'clear', 'hello'), sequenceNumber: digits, streamSid: sidArb, start: hostileJson, stop: hostileJson }, { requiredKeys: ['event'] }),
  );
  return fc.oneof(
    { weight: 5, arbitrary: shaped.map((m) => JSON.stringify(m)) },
    { weight: 1, arbitrary: hostileJson.map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: hostileString(80_000) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)) },
  );
}

/** A numbers file: YAML built from hostile entries, or hostile text. */
export const numbersFileText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.array(settingsLike, { maxLength: 5 }).map((entries) => JSON.stringify({ numbers: entries })) },
  { weight: 1, arbitrary: fc.dictionary(hostileString(100), hostileJson, { maxKeys: 3 }).map((d) => JSON.stringify(d)) },
  { weight: 2, arbitrary: hostileString(20_000) },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.tuple(fc.constantFrom('number', 'destination', 'callerLanguage', 'agentLanguage', 'languageMenu', 'greeting', 'x'), hostileString(2000)), { maxLength: 6 })
      .map((pairs) => `numbers:\n  - ${pairs.map(([k, v]) => `${k}: ${v}`).join('\n    ')}\n`),
  },
);
