import type { NewCallRecord } from '../../../src/store/call-record';
import { CALLER_SID, NUMBER } from './fake-telephony';

/**
 * The record of call `id` on the two-party line (NUMBER): a Spanish-speaking caller on leg
 * CALLER_SID, bridged, started now; `over` sets anything else.
 */
export function bridgedCall(id: string, over: Partial<NewCallRecord> = {}): NewCallRecord {
  return {
    id,
    number: NUMBER.number,
    from: '+34600000000',
    destination: NUMBER.destination,
    languages: { caller: 'es', agent: 'en' },
    legs: [{ role: 'caller', callSid: CALLER_SID, language: 'es' }],
    state: 'bridged',
    startedAt: new Date(),
    ...over,
  };
}
