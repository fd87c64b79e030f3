// Twilio-style SIDs: two-letter prefix + 32 lowercase hex digits.
import { randomBytes } from 'node:crypto';

export type SidFactory = (prefix: 'CA' | 'MZ' | 'PN' | 'CF' | 'AC' | 'SK' | 'AP') => string;

export const randomSid: SidFactory = (prefix) => prefix + randomBytes(16).toString('hex');
