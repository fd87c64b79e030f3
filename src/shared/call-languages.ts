/**
 * The languages a call's parties spoke, as the CLI and the web console show them. The console's
 * bundle imports this file too (console/src): it stays pure and imports nothing.
 */

/** A call record as the admin API returns it, as far as its languages go. */
export interface CallLanguages {
  /** The languages configured for the call when it started, by role (`caller`, `agent`). */
  languages: Readonly<Record<string, string>>;
  legs: readonly { role: string; language?: string; dialledAt?: string }[];
}

/**
 * Each role's language as spoken: its leg's (the caller's choice in the menu, the one detected or
 * remembered: what the translation used) where the record has one, else the one configured.
 */
export function spokenLanguages(c: CallLanguages): Record<string, string> {
  const out: Record<string, string> = { ...c.languages };
  for (const role of Object.keys(out)) {
    const leg = c.legs.find((l) => l.role === role && l.language);
    if (leg?.language) out[role] = leg.language;
  }
  return out;
}

/** A leg as the admin API returns it, as far as a conference's parties go. */
export interface PartyLeg {
  role: string;
  callSid: string;
  language?: string;
  /** How the language became known where it was not given ('detected': it may be another party's). */
  languageSource?: string;
  /** Set while nobody has joined on the leg tolk dialled (it rings, or rang unanswered): not a party yet. */
  dialledAt?: string;
}

/** A conference's parties: its legs but tolk's interpreter legs. */
export function partiesOf<L extends { role: string }>(legs: readonly L[]): L[] {
  return legs.filter((l) => l.role !== 'interpreter');
}

/**
 * A conference's parties in a line: each one's role, call SID and language, a detected one marked;
 * one tolk dialled who has not joined (ringing, or never answered) is said to be so, without a language.
 */
export function partiesText(legs: readonly PartyLeg[]): string {
  const parties = partiesOf(legs);
  if (parties.length === 0) return 'none yet';
  const language = (l: PartyLeg): string =>
    l.dialledAt !== undefined ? 'dialled, not joined' : l.language ? `${l.language}${l.languageSource === 'detected' ? ', detected' : ''}` : 'language not known';
  return parties.map((l) => `${l.role} ${l.callSid} (${language(l)})`).join('; ');
}

/**
 * The languages a list of calls shows for a call (`tolk calls list`, the console's History): a
 * direct call's caller and agent languages as spoken, in that order; a conference's parties'
 * languages, each once, a third party's included.
 */
export function listedLanguages(c: CallLanguages & { kind?: string }): string[] {
  if (c.kind !== 'conference') {
    const spoken = spokenLanguages(c);
    return [spoken.caller, spoken.agent];
  }
  return [...new Set(partiesOf(c.legs).flatMap((l) => (l.language && l.dialledAt === undefined ? [l.language] : [])))];
}
