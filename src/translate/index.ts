/** Public surface of the translation module. */
export { GeminiTranslatorFactory, DEFAULT_TRANSLATE_MODEL, type GeminiTranslatorConfig } from './gemini-translator';
export { SUPPORTED_LANGUAGES, isSupportedLanguage, nearestLanguages, languageName, assertSupportedLanguage, UnsupportedLanguageError } from './languages';
export { mintTranslateToken, type MintTranslateTokenOptions, type TranslateToken } from './ephemeral-token';
export type { BackoffPolicy } from './backoff';
