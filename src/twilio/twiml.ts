/**
 * Renders the TwiML documents in `twiml/*.xml`, the single source of what tolk answers Twilio.
 * A template is plain TwiML with `{{name}}` (required) or `{{name|default text}}` placeholders in
 * attribute values and text. Rendering strips comments and layout whitespace, fills placeholders
 * with XML-escaped values, and caches each compiled file. A `<Say>` that renders empty (an optional
 * greeting left out) is dropped, since it would say nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

type Say = { language?: string; message?: string };
/** `statusCallback` (the `<Stream statusCallback>` URL) defaults to the renderer's `streamStatusCallback`. */
type Stream = { streamUrl: string; token: string; role?: string; statusCallback?: string };

/** Every document tolk serves, with the values each one takes. */
export interface TwimlDocuments {
  /** `greeting` (optional) is said in `language` before the stream opens. */
  'caller-stream': Stream & { greeting?: string; language?: string };
  'agent-stream': Stream;
  /** The caller into conference `name`; its events go to `statusCallback`. */
  'caller-conference': { name: string; statusCallback: string; greeting?: string; language?: string };
  /** Any message, then hang up (the bridge supplies localized text). */
  'say-hangup': { message: string; language?: string };
  /** An announcement to one conference participant: `message` in `language`; they stay in the conference. */
  announce: { message: string; language?: string };
  'party-unreachable': Say;
  'party-busy': Say;
  'party-no-answer': Say;
  'unknown-number': Say;
  /** Up to nine options: `option1`/`locale1` ... (empty ones are left out); digits go to `action`. */
  'language-menu': { action: string } & Partial<Record<`option${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9}` | `locale${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9}`, string>>;
}
export type TwimlDocumentName = keyof TwimlDocuments;
export const TWIML_DOCUMENT_NAMES: readonly TwimlDocumentName[] = [
  'caller-stream',
  'agent-stream',
  'caller-conference',
  'say-hangup',
  'announce',
  'party-unreachable',
  'party-busy',
  'party-no-answer',
  'unknown-number',
  'language-menu',
];

export interface TwimlRenderer {
  render<N extends TwimlDocumentName>(name: N, values: TwimlDocuments[N]): string;
}

const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';
const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*(?:\|([^}]*))?\}\}/g;

type Part = string | { name: string; fallback: string | undefined };

/** Compiles template text: strips the declaration, comments and layout whitespace. Exported for tests. */
export function compileTemplate(source: string): Part[] {
  const body = source
    .replace(/<\?xml[\s\S]*?\?>/g, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/\s+/g, ' ')
    .replace(/\s*(\/?>)\s*/g, '$1')
    .replace(/\s*</g, '<')
    .trim();
  const parts: Part[] = [];
  let last = 0;
  for (const m of body.matchAll(PLACEHOLDER)) {
    parts.push(body.slice(last, m.index));
    parts.push({ name: m[1], fallback: m[2]?.trim() });
    last = m.index + m[0].length;
  }
  parts.push(body.slice(last));
  return parts;
}

/** Escapes text for an XML attribute value or text node, dropping characters XML 1.0 forbids. */
export function escapeXml(value: string): string {
  return value
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export function fillTemplate(name: string, parts: Part[], values: Readonly<Record<string, string | undefined>>): string {
  let out = DECLARATION;
  for (const p of parts) {
    if (typeof p === 'string') {
      out += p;
      continue;
    }
    const v = values[p.name] ?? p.fallback;
    if (v === undefined) throw new Error(`twiml/${name}.xml: no value for {{${p.name}}}`);
    out += escapeXml(v);
  }
  return out.replace(/<Say(?:\s[^>]*)?><\/Say>|<Say(?:\s[^>]*)?\/>/g, '');
}

export interface TwimlRendererOptions {
  /** The folder of the `*.xml` templates. */
  dir: string;
  /** `<Stream statusCallback>` of the stream documents when a render call gives none
   * (`PUBLIC_URL/twilio/stream-status`); without either, rendering a stream document throws. */
  streamStatusCallback?: string;
}

export function createTwimlRenderer(opts: TwimlRendererOptions): TwimlRenderer {
  const cache = new Map<string, Part[]>();
  return {
    render(name, values) {
      let parts = cache.get(name);
      if (!parts) {
        parts = compileTemplate(readFileSync(path.join(opts.dir, `${name}.xml`), 'utf8'));
        cache.set(name, parts);
      }
      const given: Readonly<Record<string, string | undefined>> = values;
      return fillTemplate(name, parts, { ...given, statusCallback: given.statusCallback ?? opts.streamStatusCallback });
    },
  };
}

/** The `twiml/` folder at the repository root, from either `src/` (tsx) or `dist/src/` (build). */
export function defaultTwimlDir(): string {
  const candidates = [path.resolve(__dirname, '../../twiml'), path.resolve(__dirname, '../../../twiml')];
  const found = candidates.find((d) => existsSync(path.join(d, 'caller-stream.xml')));
  if (!found) throw new Error(`twiml/ folder not found (looked in ${candidates.join(', ')})`);
  return found;
}
