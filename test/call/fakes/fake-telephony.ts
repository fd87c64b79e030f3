import type { DialRequest, LegReport, Telephony } from '../../../src/call/ports';
import type { NumberSettings } from '../../../src/config/numbers';

export const CALLER_SID = 'CA' + '1'.repeat(32);
export const AGENT_SID = 'CA' + '2'.repeat(32);

/** A two-party line: a Spanish-speaking caller put through to an English-speaking agent. */
export const NUMBER: NumberSettings = {
  number: '+15550001111',
  destination: '+15550002222',
  callerLanguage: 'es',
  agentLanguage: 'en',
  echoTargetLanguage: false,
  originalVolume: 0.16,
};

/**
 * The phone network as the test sees it: every leg dialled answers as AGENT_SID (or the dialling
 * fails), and what tolk asks of it is noted.
 */
export class FakeTelephony implements Telephony {
  dials: DialRequest[] = [];
  hungUp: string[] = [];
  /** The legs of `hungUp` cancelled while they rang. */
  cancelled: string[] = [];
  said: { callSid: string; text: string; locale: string }[] = [];
  failDial = false;
  dial(req: DialRequest): Promise<string> {
    this.dials.push(req);
    return this.failDial ? Promise.reject(new Error('21217 invalid number')) : Promise.resolve(AGENT_SID);
  }
  hangUp(callSid: string, opts: { ringing?: boolean } = {}): Promise<void> {
    this.hungUp.push(callSid);
    if (opts.ringing) this.cancelled.push(callSid);
    return Promise.resolve();
  }
  sayAndHangUp(callSid: string, text: string, locale: string): Promise<void> {
    this.said.push({ callSid, text, locale });
    return Promise.resolve();
  }
  /** What the network says of each leg when asked (absent: it has no such leg). */
  legs = new Map<string, LegReport>();
  lookUps: string[] = [];
  lookUpFails = false;
  lookUp(callSid: string): Promise<LegReport | undefined> {
    this.lookUps.push(callSid);
    return this.lookUpFails ? Promise.reject(new Error('network down')) : Promise.resolve(this.legs.get(callSid));
  }
}
