/**
 * Which instance serves which call, for the other instances behind the same public URL: a request
 * about a call that reaches another instance is passed on to this one. A single instance needs none.
 */
export interface CallOwnership {
  /** This instance serves call `callId`; `legs` and `conferences` name it in requests other instances may receive. */
  claim(callId: string, refs: { legs?: readonly string[]; conferences?: readonly string[] }): Promise<void>;
  /**
   * Claims conference names for call `callId` unless an instance that is up holds one of them:
   * then nothing is claimed and that instance's name is returned.
   */
  claimConference(callId: string, names: readonly string[]): Promise<{ ok: true } | { ok: false; holder: string }>;
  /** Call `callId` has ended here: other instances stop sending its requests here. */
  release(callId: string): void;
  /**
   * Takes call `callId` over from instance `from`, compare-and-set: only while `from` (or this
   * instance already) serves it, so two instances never both own a call; `holder` serves it otherwise.
   */
  takeOver(callId: string, refs: { legs?: readonly string[]; conferences?: readonly string[] }, from: string): Promise<{ ok: true } | { ok: false; holder: string | null }>;
  /** Gives a call taken over back to instance `to` (the move stopped before its media moved). */
  handBack(callId: string, refs: { legs?: readonly string[]; conferences?: readonly string[] }, to: string): Promise<{ ok: true } | { ok: false; holder: string | null }>;
}
