/** Whether a number's callers are offered its keypad language menu, as the CLI and the console say it. */
import { languageMenuText, offeredLanguageMenu } from '../../src/shared/language-menu';

describe('the language menu a number offers', () => {
  it('is the menu in direct mode (the default)', () => {
    expect(offeredLanguageMenu({ languageMenu: ['es', 'de'] })).toEqual(['es', 'de']);
    expect(offeredLanguageMenu({ mode: 'direct', languageMenu: ['es', 'de'] })).toEqual(['es', 'de']);
    expect(languageMenuText({ languageMenu: ['es', 'de'] })).toBe('es, de');
    expect(languageMenuText({ languageMenu: ['es', 'de'] }, ',')).toBe('es,de');
  });

  it('is none in conference mode, and the menu kept in the settings is said not to be offered', () => {
    expect(offeredLanguageMenu({ mode: 'conference', languageMenu: ['es', 'de'] })).toBeUndefined();
    expect(languageMenuText({ mode: 'conference', languageMenu: ['es', 'de'] })).toBe('es, de (not offered in conference mode)');
  });

  it('is nothing to say for a number without a menu', () => {
    expect(languageMenuText({})).toBeUndefined();
    expect(languageMenuText({ mode: 'conference' })).toBeUndefined();
  });
});
