/**
 * A tiny strict XML parser for tests (elements, attributes, text, self-closing tags, the XML
 * declaration and the five predefined entities), enough to compare TwiML documents semantically.
 */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlNode[];
}
export type XmlNode = XmlElement | string;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(s: string): string {
  return s.replace(/&([a-z]+|#\d+|#x[0-9a-fA-F]+);|&/g, (m: string, name: string | undefined) => {
    if (!name) throw new Error('bare & in XML');
    if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10));
    const v = ENTITIES[name];
    if (v === undefined) throw new Error(`unknown entity ${m}`);
    return v;
  });
}

export function parseXml(source: string): XmlElement {
  let i = 0;
  const s = source.replace(/^\s*<\?xml[^?]*\?>/, '');
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < s.length) {
    if (s.startsWith('<!--', i)) {
      const end = s.indexOf('-->', i);
      if (end < 0) throw new Error('unterminated comment');
      i = end + 3;
    } else if (s.startsWith('</', i)) {
      const m = /^<\/([A-Za-z][\w.-]*)\s*>/.exec(s.slice(i));
      if (!m) throw new Error(`bad closing tag at ${i}`);
      const open = stack.pop();
      if (!open || open.name !== m[1]) throw new Error(`mismatched </${m[1]}>`);
      i += m[0].length;
    } else if (s[i] === '<') {
      const m = /^<([A-Za-z][\w.-]*)((?:\s+[A-Za-z][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/.exec(s.slice(i));
      if (!m) throw new Error(`bad tag at ${i}: ${s.slice(i, i + 40)}`);
      const el: XmlElement = { name: m[1], attributes: {}, children: [] };
      for (const a of m[2].matchAll(/([A-Za-z][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        if (a[1] in el.attributes) throw new Error(`duplicate attribute ${a[1]}`);
        el.attributes[a[1]] = decode(a[2] ?? a[3]);
      }
      if (stack.length) stack[stack.length - 1].children.push(el);
      else if (root) throw new Error('two root elements');
      else root = el;
      if (!m[3]) stack.push(el);
      i += m[0].length;
    } else {
      const end = s.indexOf('<', i);
      const text = s.slice(i, end < 0 ? s.length : end);
      if (stack.length) stack[stack.length - 1].children.push(decode(text));
      else if (text.trim()) throw new Error('text outside the root element');
      i = end < 0 ? s.length : end;
    }
  }
  if (stack.length || !root) throw new Error('unclosed element');
  return root;
}

/** Drops whitespace-only text and trims/collapses text, so layout does not matter. */
export function normalise(el: XmlElement): XmlElement {
  const children: XmlNode[] = [];
  for (const c of el.children) {
    if (typeof c === 'string') {
      const t = c.replace(/\s+/g, ' ').trim();
      if (t) children.push(t);
    } else children.push(normalise(c));
  }
  return { name: el.name, attributes: el.attributes, children };
}
