/** Call records as the admin API returns them (src/shared/call-json.ts), for the tests of what the CLI and the console show. */
import type { CallJson } from '../../src/shared/call-json';

/**
 * Call 'c1', a direct call on line +15550001111 from +34600000000 to +15550002222, Spanish to
 * English, with no legs listed: in `state` since `startedAt`, with `fields` over that.
 */
export function callJson(state: string, startedAt: string, fields: Partial<CallJson> = {}): CallJson {
  return { id: 'c1', number: '+15550001111', from: '+34600000000', destination: '+15550002222', legs: [], languages: { caller: 'es', agent: 'en' }, state, startedAt, ...fields };
}
