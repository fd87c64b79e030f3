/**
 * A translation session's failure in plain words, with the setting an operator should check: in
 * tolk's log and wherever a call's interpretation failure is shown. Pure, imports nothing (the
 * console's bundle imports it).
 */

/** The kinds of failure a session reports (SessionFailureKind), as plain strings. */
const WORDS: Record<string, string> = {
  auth: 'Gemini refused the API key: check GEMINI_API_KEY',
  quota: "Gemini refused for quota: check the quota of GEMINI_API_KEY's project",
  model: 'Gemini does not serve the model: check GEMINI_MODEL',
  invalid_argument: 'Gemini refused the session setup',
  retries_exhausted: 'Gemini could not be reached again after the connection dropped',
  setup_timeout: 'Gemini did not set the session up in time',
};

/** The setting behind a failure every call would meet until it is fixed; undefined for the others. */
export function settingToCheck(kind: string): string | undefined {
  return kind === 'auth' || kind === 'quota' ? 'GEMINI_API_KEY' : kind === 'model' ? 'GEMINI_MODEL' : undefined;
}

export function interpretationFailureText(kind: string): string {
  return WORDS[kind] ?? 'the translation session failed';
}

/**
 * What a call's record says of its interpretation where it failed (`failed (WHY)`), as `tolk calls
 * show` (Interpretation) and the console's History show it; undefined while it has not failed.
 */
export function interpretationStatus(c: { interpretationFailure?: { message: string } }): string | undefined {
  return c.interpretationFailure && `failed (${c.interpretationFailure.message})`;
}
