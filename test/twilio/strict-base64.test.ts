import fc from 'fast-check';
import { decodeBase64Strict } from '../../src/twilio/media-messages';

/** Standard padded base64, written out: whole quads of the alphabet, the last one may end in '=' or '=='. */
const REFERENCE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Characters Node's lenient decoder treats in ways of its own: the URL-safe digits, padding,
 * whitespace and punctuation it skips, and characters above 0xFF whose low byte is a digit ('A'+256,
 * '+'+256, '/'+256), '=' (+256), '-' (+256) or nothing it knows, and a lone surrogate.
 */
const ODD = ['-', '_', '=', ' ', '\n', '\t', '\0', '\\', '"', '*', '.', '\u007f', '\u0080', '\u00e9', '\u00ff', '\u0141', '\u012b', '\u012f', '\u013d', '\u012d', '\u0100', '\ud83d', '\uff21'];
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const anyChar = fc.oneof(fc.constantFrom(...ALPHABET.split('')), fc.constantFrom(...ODD));

/** Base64 of some bytes, with one character replaced, inserted or removed, or '=' added. */
const nearlyBase64 = fc
  .tuple(fc.uint8Array({ maxLength: 40 }), fc.nat(), fc.constantFrom('replace', 'insert', 'remove', 'pad', 'none'), anyChar)
  .map(([bytes, at, how, c]) => {
    const s = Buffer.from(bytes).toString('base64');
    const i = s.length === 0 ? 0 : at % s.length;
    if (how === 'replace') return s.slice(0, i) + c + s.slice(i + 1);
    if (how === 'insert') return s.slice(0, i) + c + s.slice(i);
    if (how === 'remove') return s.slice(0, i) + s.slice(i + 1);
    if (how === 'pad') return `${s}=`;
    return s;
  });

/** Whole quads of alphabet and odd characters, so the length alone rarely decides. */
const quads = fc.array(fc.tuple(anyChar, anyChar, anyChar, anyChar).map((q) => q.join('')), { maxLength: 6 }).map((q) => q.join(''));

function judgedAlike(s: string): void {
  const out = decodeBase64Strict(s);
  if (REFERENCE.test(s)) {
    expect(out).not.toBeNull();
    expect(Buffer.from(out!).equals(Buffer.from(s, 'base64'))).toBe(true);
  } else {
    expect([s, out]).toEqual([s, null]);
  }
}

describe('strict base64 decoding', () => {
  it('refuses what the strict pattern refuses and decodes what it accepts: fixed cases', () => {
    const cases = ['', 'AAAA', 'AA==', 'AAA=', 'A===', '====', 'AA=A', 'AA-A', 'QU==QUFB', 'QUFB=', 'AA-_', 'AA_A', 'AA A', 'AAAA\n',
      'Q\u0155FB', 'QU\u013d=', 'QUF\u0141', 'QUFB\u012bAAA', 'QR==', 'QQ==', 'AQID', 'AQI*'];
    for (const s of cases) judgedAlike(s);
    expect(Array.from(decodeBase64Strict('AQID') ?? [])).toEqual([1, 2, 3]);
  });

  it('agrees with the strict pattern on base64 one edit away from valid', () => {
    fc.assert(fc.property(nearlyBase64, judgedAlike), { numRuns: 20_000 });
  });

  it('agrees with the strict pattern on quads of alphabet and odd characters', () => {
    fc.assert(fc.property(quads, judgedAlike), { numRuns: 20_000 });
  });

  it('agrees with the strict pattern on arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 24 }), judgedAlike), { numRuns: 5_000 });
    fc.assert(fc.property(fc.string({ unit: anyChar, maxLength: 24 }), judgedAlike), { numRuns: 20_000 });
  });

  it('refuses a media payload with any one character made non-ASCII but keeping its low byte', () => {
    const payload = Buffer.from(Uint8Array.from({ length: 160 }, (_, i) => (i * 37) & 0xff)).toString('base64');
    expect(decodeBase64Strict(payload)).not.toBeNull();
    for (let i = 0; i < payload.length; i++) {
      const s = payload.slice(0, i) + String.fromCharCode(payload.charCodeAt(i) + 0x100) + payload.slice(i + 1);
      expect([i, decodeBase64Strict(s)]).toEqual([i, null]);
    }
  });
});
