// Checks on REST form parameters shared by several resources.
import type { Form } from './form';
import { one } from './form';

/** Thrown by a parameter check; the route answers it as a Twilio error. */
export class ParamError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** `true`/`false` as twilio-node serializes booleans (case-insensitive); undefined when absent. */
export function boolParam(f: Form, key: string): boolean | undefined {
  const v = one(f, key);
  if (v === undefined) return undefined;
  if (/^true$/i.test(v)) return true;
  if (/^false$/i.test(v)) return false;
  throw new ParamError(20001, `${key} must be true or false, got "${v}"`);
}

/** An absolute http(s) URL; '' is kept when `allowEmpty` (e.g. WaitUrl="" for silence). */
export function urlParam(f: Form, key: string, code: number, allowEmpty = false): string | undefined {
  const v = one(f, key);
  if (v === undefined || (allowEmpty && v === '')) return v;
  if (!/^https?:\/\/[^\s]+$/.test(v)) throw new ParamError(code, `${key} is not a valid URL: ${v}`);
  return v;
}

export function methodParam(f: Form, key: string, dflt: 'GET' | 'POST'): 'GET' | 'POST' {
  const v = one(f, key);
  if (v === undefined) return dflt;
  const m = v.toUpperCase();
  if (m !== 'GET' && m !== 'POST') throw new ParamError(20001, `${key} must be GET or POST, got "${v}"`);
  return m;
}

const E164 = /^\+[1-9]\d{1,14}$/;

/** A call endpoint: an E.164 number, or a sip:, client: or app: address. */
export const isAddress = (s: string): boolean => E164.test(s) || /^(sip:|client:|app:)\S+$/.test(s);
