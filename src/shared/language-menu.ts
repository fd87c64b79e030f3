/**
 * Whether a number's keypad language menu is offered to its callers, as the CLI and the web console
 * show a number. The console's bundle imports this file too (console/src): it stays pure and
 * imports nothing.
 */

/** A number's settings, as far as its language menu goes. */
export interface MenuSettings {
  mode?: string;
  languageMenu?: readonly string[];
}

/** What a conference-mode number's menu is said to be: its callers go straight into the conference. */
export const MENU_NOT_OFFERED = 'not offered in conference mode';

/**
 * The menu a caller of this number is offered: none in conference mode, whose callers start in
 * the number's callerLanguage whatever languageMenu says (README: Which language does the caller
 * speak?).
 */
export function offeredLanguageMenu(s: MenuSettings): readonly string[] | undefined {
  return s.mode === 'conference' ? undefined : s.languageMenu;
}

/** The number's menu in words: its languages, or that a conference-mode number does not offer it. */
export function languageMenuText(s: MenuSettings, separator = ', '): string | undefined {
  if (!s.languageMenu || s.languageMenu.length === 0) return undefined;
  const offered = offeredLanguageMenu(s);
  return offered ? offered.join(separator) : `${s.languageMenu.join(separator)} (${MENU_NOT_OFFERED})`;
}
