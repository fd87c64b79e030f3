/**
 * What the call core keeps beyond a call: its record (legs, languages, times, outcome, transcript)
 * and callers' remembered languages. The stores in src/store/ implement both.
 */
import type { CallRecordStore } from '../../store/call-record-store';

/** The writes a call makes to its record, and reading it back (a call adopted from another instance). */
export type CallRecords = Pick<CallRecordStore, 'create' | 'update' | 'updateLive' | 'updateLegs' | 'close' | 'appendUtterance' | 'get'>;

/** Remembered caller languages per tolk number. */
export interface LanguageMemory {
  recall(number: string, caller: string): Promise<string | undefined>;
  remember(number: string, caller: string, language: string): Promise<void>;
}
