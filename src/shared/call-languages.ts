/**
 * The languages a call's parties spoke, as the CLI and the web console show them. The console's
 * bundle imports this file too (console/src): it stays pure and imports nothing.
 */

/** A call record as the admin API returns it, as far as its languages go. */
export interface CallLanguages {
  /** The languages configured for the call when it started, by role (`caller`, `agent`). */
  languages: Readonly<Record<string, string>>;
  legs: readonly { role: string; language?: string }[];
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
