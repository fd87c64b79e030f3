// Reading Twilio-style form parameters (repeated keys become arrays).
export type Form = Record<string, string | string[] | undefined>;

export function one(form: Form, key: string): string | undefined {
  const v = form[key];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

export function many(form: Form, key: string): string[] {
  const v = form[key];
  const list = v === undefined ? [] : Array.isArray(v) ? v : [v];
  return list.flatMap((s) => s.split(/[\s,]+/)).filter(Boolean);
}

export function formOf(body: unknown): Form {
  return typeof body === 'object' && body !== null ? (body as Form) : {};
}
