/**
 * Who may have said a line of a conference's transcript. Every interpreter leg hears the whole
 * room, so nothing in the audio tells one voice from another: a line's speaker can only be
 * reasoned from its language and from who was in the conference while it was said. A line names a
 * party only where that party is the one person who can have said it:
 *
 *   - there at some point between the line's start (less `leadMs`) and its finishing: a party who
 *     spoke and hung up before the line was finished still counts, as does one who joined since;
 *   - speaking the line's language, or speaking a language not known for sure: a party whose
 *     language was never named or detected, or was detected while someone else's was in doubt too
 *     (the detection tells a language, not who spoke it), may have said anything.
 *
 * Where the telephony reports who is speaking (Twilio's speech events, in a conference tolk owns)
 * and language and presence leave more than one party who can have said a line, the line names the
 * one of them whose speech clearly covers its end (speech-intervals.ts); otherwise no one. A party
 * whose language was not known, named so, speaks the line's (`identified`): a third party who
 * shares a language already served (a supervisor speaking the agent's) gets it no other way.
 *
 * A party is forgotten once the last time they were there ended more than the lead plus
 * `SPEAKER_LINE_MS` (the longest line this allows for) before someone joins: no line asked about
 * since can have been said while they were there, so a long conference with many comings and
 * goings keeps a bounded ledger.
 *
 * Pure: times are ms since the call started, given by the caller, and never go back.
 */
import { sameLanguage } from './caller-language';
import { SpeechIntervals } from './speech-intervals';

/**
 * How long before a line's start a party who was there may have said it. The start is where tolk's
 * speech detector heard the line's speech begin or, where it heard none, when the service's first
 * transcript of the line arrived, which follows the first words by its transcription delay.
 */
export const SPEAKER_LEAD_MS = 5000;

/**
 * The longest a line is taken to last, from its start to the moment its speaker is asked for. A
 * line runs from a speaker's first words to their pause; five minutes is far beyond any one turn
 * in a conversation. A longer line may name a party while someone who left more than this (plus
 * the lead) before it finished, having been there at its start, is forgotten.
 */
export const SPEAKER_LINE_MS = 5 * 60_000;

/** How a language heard and put down to a party whose language was not known became theirs. */
export const DETECTED = 'detected';
/** Heard while every other party's language was known for sure: it can only be theirs. */
export const DEDUCED = 'deduced';
/**
 * Heard in lines the conference's speech reports put down to them (they were the one talking when
 * each ended): theirs, although others speak it too (a supervisor who shares the agent's language).
 */
export const SPOKEN = 'spoken';

interface Span {
  from: number;
  /** Undefined while the party is there. */
  to?: number;
}

interface Entry {
  spans: Span[];
  language?: string;
  /** The language was given, or detected while no other party's was in doubt. */
  sure: boolean;
}

export class SpeakerLedger {
  private readonly parties = new Map<string, Entry>();
  private readonly speech = new SpeechIntervals();

  constructor(
    private readonly leadMs = SPEAKER_LEAD_MS,
    private readonly lineMs = SPEAKER_LINE_MS,
  ) {}

  /**
   * Party `id` is in the conference from `atMs`, speaking `language` when it is known (one coming
   * back is as known now): known for sure unless `sure` says otherwise (a language detected while
   * someone else's was in doubt, brought back on the instance a call moved to).
   */
  joined(id: string, atMs: number, language?: string, sure = language !== undefined): void {
    this.forget(atMs);
    const entry = this.parties.get(id);
    if (entry?.spans.some((s) => s.to === undefined)) return;
    const spans = [...(entry?.spans ?? []), { from: atMs }];
    this.parties.set(id, { spans, ...(language !== undefined ? { language } : {}), sure: language !== undefined && sure });
  }

  /** How many parties the ledger holds (those there lately, and those there now). */
  get size(): number {
    return this.parties.size;
  }

  left(id: string, atMs: number): void {
    const open = this.parties.get(id)?.spans.find((s) => s.to === undefined);
    if (open) open.to = atMs;
    this.speech.stopped(id, atMs);
  }

  /**
   * Party `id`, there now, was reported speaking (`speaking`) or quiet at `atMs`, in the report
   * numbered `sequence` where the telephony numbers them (an older one than the last is dropped).
   */
  speaking(id: string, speaking: boolean, atMs: number, sequence?: number): void {
    if (!this.parties.get(id)?.spans.some((s) => s.to === undefined)) return;
    this.speech.report(id, speaking, atMs, sequence);
  }

  /**
   * `language` was heard at `atMs` and put down to party `id`, whose language was not known: sure
   * only if every other party there lately speaks a language known for sure. Says whether it is.
   */
  detected(id: string, language: string, atMs: number): boolean {
    const entry = this.parties.get(id);
    if (!entry) return false;
    const others = this.around(atMs, atMs).filter(([other]) => other !== id);
    entry.language = language;
    entry.sure = others.every(([, e]) => e.sure);
    return entry.sure;
  }

  /**
   * A line in `language` was put down to party `id` (there now, or lately), whose language was not
   * known: it is theirs, for sure.
   */
  identified(id: string, language: string): void {
    const entry = this.parties.get(id);
    if (!entry) return;
    entry.language = language;
    entry.sure = true;
  }

  /**
   * Who said a line in `language` spoken from `startMs` to `endMs` and finished at `nowMs`: the
   * one party who can have, or else the one of those whose reported speech clearly covers its end;
   * undefined when that cannot be told.
   */
  speakerOf(language: string, startMs: number, nowMs: number, endMs = nowMs): string | undefined {
    const could = this.around(startMs, nowMs).filter(([, e]) => !e.sure || e.language === undefined || sameLanguage(e.language, language));
    if (could.length === 1 && could[0][1].sure) return could[0][0];
    return this.speech.clearSpeaker(could.map(([id]) => id), startMs, endMs, nowMs);
  }

  /** Drops the spans that ended before any line asked about from `nowMs` on can have started, and the parties left with none. */
  private forget(nowMs: number): void {
    const before = nowMs - this.lineMs - this.leadMs;
    for (const [id, entry] of this.parties) {
      entry.spans = entry.spans.filter((s) => s.to === undefined || s.to >= before);
      if (entry.spans.length > 0) continue;
      this.parties.delete(id);
      this.speech.forget(id);
    }
  }

  /** Parties there at some point from `startMs` less the lead to `nowMs`. */
  private around(startMs: number, nowMs: number): [string, Entry][] {
    const from = startMs - this.leadMs;
    return [...this.parties].filter(([, e]) => e.spans.some((s) => s.from <= nowMs && (s.to === undefined || s.to >= from)));
  }
}
