// A small, strict-enough XML reader for TwiML documents: elements, attributes, text, entities,
// comments, CDATA and the XML declaration. No namespaces or DTDs (TwiML uses neither).

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
}
export type XmlNode = XmlElement | string;

export class XmlSyntaxError extends Error {}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, ent: string) => {
    if (ent.startsWith('#x')) return String.fromCodePoint(parseInt(ent.slice(2), 16));
    if (ent.startsWith('#')) return String.fromCodePoint(parseInt(ent.slice(1), 10));
    return ENTITIES[ent] ?? whole;
  });
}

const NAME = /^[A-Za-z_][\w.:-]*/;
const ATTR = /^\s+([A-Za-z_][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/;

/** Parses one XML document and returns its root element. Throws XmlSyntaxError on malformed input. */
export function parseXml(source: string): XmlElement {
  let pos = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const fail = (msg: string): never => {
    throw new XmlSyntaxError(`${msg} at offset ${pos}`);
  };
  while (pos < source.length) {
    const lt = source.indexOf('<', pos);
    const text = source.slice(pos, lt === -1 ? source.length : lt);
    if (text.length > 0) {
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(decodeEntities(text));
      else if (text.trim() !== '') fail('text outside the root element');
    }
    if (lt === -1) break;
    pos = lt;
    if (source.startsWith('<?', pos)) {
      const end = source.indexOf('?>', pos);
      if (end === -1) fail('unterminated processing instruction');
      pos = end + 2;
    } else if (source.startsWith('<!--', pos)) {
      const end = source.indexOf('-->', pos);
      if (end === -1) fail('unterminated comment');
      pos = end + 3;
    } else if (source.startsWith('<![CDATA[', pos)) {
      const end = source.indexOf(']]>', pos);
      if (end === -1) fail('unterminated CDATA');
      stack[stack.length - 1]?.children.push(source.slice(pos + 9, end));
      pos = end + 3;
    } else if (source.startsWith('</', pos)) {
      const m = NAME.exec(source.slice(pos + 2));
      const open = stack.pop();
      if (!m || !open || open.name !== m[0]) fail(`mismatched closing tag ${m?.[0] ?? ''}`);
      const end = source.indexOf('>', pos);
      if (end === -1) fail('unterminated closing tag');
      pos = end + 1;
    } else {
      const m = NAME.exec(source.slice(pos + 1));
      if (!m) fail('invalid tag name');
      const el: XmlElement = { name: m![0], attrs: {}, children: [] };
      pos += 1 + m![0].length;
      for (;;) {
        const a = ATTR.exec(source.slice(pos));
        if (!a) break;
        el.attrs[a[1]] = decodeEntities(a[3] ?? a[4] ?? '');
        pos += a[0].length;
      }
      const rest = /^\s*(\/?)>/.exec(source.slice(pos));
      if (!rest) fail(`malformed tag <${el.name}>`);
      pos += rest![0].length;
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(el);
      else if (root) fail('more than one root element');
      else root = el;
      if (rest![1] !== '/') stack.push(el);
    }
  }
  if (stack.length > 0) fail(`unclosed element <${stack[stack.length - 1].name}>`);
  if (!root) fail('no root element');
  return root!;
}

/** Text safe inside an XML element or a double-quoted attribute. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&${({ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot', "'": 'apos' } as Record<string, string>)[c]};`);
}

export function textOf(el: XmlElement): string {
  return el.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
}

export function childElements(el: XmlElement): XmlElement[] {
  return el.children.filter((c): c is XmlElement => typeof c !== 'string');
}
