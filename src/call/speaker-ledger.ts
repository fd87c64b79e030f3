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
 * Pure: times are ms since the call started, given by the caller.
 */
import { sameLanguage } from './caller-language';

/**
 * How long before a line's start a party who was there may have said it. The start is when the
 * service's first transcript of the line arrived, which follows the first words by its
 * transcription delay; what arrives later only ever makes it later still.
 */
export const SPEAKER_LEAD_MS = 5000;

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

  constructor(private readonly leadMs = SPEAKER_LEAD_MS) {}

  /** Party `id` is in the conference from `atMs`, speaking `language` when it is given (one coming back is as named now). */
  joined(id: string, atMs: number, language?: string): void {
    const entry = this.parties.get(id);
    if (entry?.spans.some((s) => s.to === undefined)) return;
    const spans = [...(entry?.spans ?? []), { from: atMs }];
    this.parties.set(id, { spans, ...(language !== undefined ? { language } : {}), sure: language !== undefined });
  }

  left(id: string, atMs: number): void {
    const open = this.parties.get(id)?.spans.find((s) => s.to === undefined);
    if (open) open.to = atMs;
  }

  /**
   * `language` was heard at `atMs` and put down to party `id`, whose language was not known: sure
   * only if every other party there lately speaks a language known for sure.
   */
  detected(id: string, language: string, atMs: number): void {
    const entry = this.parties.get(id);
    if (!entry) return;
    const others = this.around(atMs, atMs).filter(([other]) => other !== id);
    entry.language = language;
    entry.sure = others.every(([, e]) => e.sure);
  }

  /** The one party who can have said a line in `language` started at `startMs` and finished at `nowMs`; undefined when that cannot be told. */
  speakerOf(language: string, startMs: number, nowMs: number): string | undefined {
    const could = this.around(startMs, nowMs).filter(([, e]) => !e.sure || e.language === undefined || sameLanguage(e.language, language));
    if (could.length !== 1) return undefined;
    const [id, entry] = could[0];
    return entry.sure ? id : undefined;
  }

  /** Parties there at some point from `startMs` less the lead to `nowMs`. */
  private around(startMs: number, nowMs: number): [string, Entry][] {
    const from = startMs - this.leadMs;
    return [...this.parties].filter(([, e]) => e.spans.some((s) => s.from <= nowMs && (s.to === undefined || s.to >= from)));
  }
}
