import type { DialRequest, LegReport, Telephony } from '../../../src/call/ports';

/** The phone network as the dial queue's tests see it: each leg placed answers as `CA-<callId>` and is noted with when. */
export class RecordingTelephony implements Telephony {
  readonly placed: { callId: string; at: number }[] = [];
  /** How many dials to refuse with Twilio's 429 before placing any. */
  failFirst = 0;
  dial(req: DialRequest): Promise<string> {
    if (this.failFirst > 0) {
      this.failFirst--;
      return Promise.reject(Object.assign(new Error('Too Many Requests'), { status: 429 }));
    }
    this.placed.push({ callId: req.callId, at: Date.now() });
    return Promise.resolve(`CA-${req.callId}`);
  }
  async hangUp(): Promise<void> {}
  async sayAndHangUp(): Promise<void> {}
  lookUp(): Promise<LegReport | undefined> {
    return Promise.resolve(undefined);
  }
}

/** Which refusals the dial queue retries: Twilio's 429. */
export const retryable = (err: unknown): boolean => (err as { status?: number }).status === 429;
