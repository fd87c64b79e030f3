/**
 * Target languages supported by Gemini Live translate, as listed in the API documentation
 * ("Supported languages", live-translate guide). Kept once, as data; everything else derives from it.
 */
export interface SupportedLanguage {
  /** BCP-47 code exactly as the service expects it. */
  code: string;
  /** English name, for messages and UIs. */
  name: string;
}

export const SUPPORTED_LANGUAGES: readonly SupportedLanguage[] = [
  { code: 'af', name: 'Afrikaans' },
  { code: 'ak', name: 'Akan' },
  { code: 'sq', name: 'Albanian' },
  { code: 'am', name: 'Amharic' },
  { code: 'ar', name: 'Arabic' },
  { code: 'hy', name: 'Armenian' },
  { code: 'az', name: 'Azerbaijani' },
  { code: 'eu', name: 'Basque' },
  { code: 'be', name: 'Belarusian' },
  { code: 'bn', name: 'Bengali' },
  { code: 'bg', name: 'Bulgarian' },
  { code: 'my', name: 'Burmese (Myanmar)' },
  { code: 'ca', name: 'Catalan' },
  { code: 'zh-Hans', name: 'Chinese (Simplified)' },
  { code: 'zh-Hant', name: 'Chinese (Traditional)' },
  { code: 'hr', name: 'Croatian' },
  { code: 'cs', name: 'Czech' },
  { code: 'da', name: 'Danish' },
  { code: 'nl', name: 'Dutch' },
  { code: 'en', name: 'English' },
  { code: 'et', name: 'Estonian' },
  { code: 'fil', name: 'Filipino' },
  { code: 'fi', name: 'Finnish' },
  { code: 'fr', name: 'French' },
  { code: 'gl', name: 'Galician' },
  { code: 'ka', name: 'Georgian' },
  { code: 'de', name: 'German' },
  { code: 'el', name: 'Greek' },
  { code: 'gu', name: 'Gujarati' },
  { code: 'ha', name: 'Hausa' },
  { code: 'he', name: 'Hebrew' },
  { code: 'hi', name: 'Hindi' },
  { code: 'hu', name: 'Hungarian' },
  { code: 'is', name: 'Icelandic' },
  { code: 'id', name: 'Indonesian' },
  { code: 'it', name: 'Italian' },
  { code: 'ja', name: 'Japanese' },
  { code: 'jv', name: 'Javanese' },
  { code: 'kn', name: 'Kannada' },
  { code: 'kk', name: 'Kazakh' },
  { code: 'km', name: 'Khmer' },
  { code: 'rw', name: 'Kinyarwanda' },
  { code: 'ko', name: 'Korean' },
  { code: 'lo', name: 'Lao' },
  { code: 'lv', name: 'Latvian' },
  { code: 'lt', name: 'Lithuanian' },
  { code: 'mk', name: 'Macedonian' },
  { code: 'ms', name: 'Malay' },
  { code: 'ml', name: 'Malayalam' },
  { code: 'mr', name: 'Marathi' },
  { code: 'mn', name: 'Mongolian' },
  { code: 'ne', name: 'Nepali' },
  { code: 'no', name: 'Norwegian' },
  { code: 'nb', name: 'Norwegian' },
  { code: 'fa', name: 'Persian' },
  { code: 'pl', name: 'Polish' },
  { code: 'pt-BR', name: 'Portuguese (Brazil)' },
  { code: 'pt-PT', name: 'Portuguese (Portugal)' },
  { code: 'pa', name: 'Punjabi' },
  { code: 'ro', name: 'Romanian' },
  { code: 'ru', name: 'Russian' },
  { code: 'sr', name: 'Serbian' },
  { code: 'sd', name: 'Sindhi' },
  { code: 'si', name: 'Sinhala' },
  { code: 'sk', name: 'Slovak' },
  { code: 'sl', name: 'Slovenian' },
  { code: 'es', name: 'Spanish' },
  { code: 'su', name: 'Sundanese' },
  { code: 'sw', name: 'Swahili' },
  { code: 'sv', name: 'Swedish' },
  { code: 'ta', name: 'Tamil' },
  { code: 'te', name: 'Telugu' },
  { code: 'th', name: 'Thai' },
  { code: 'tr', name: 'Turkish' },
  { code: 'uk', name: 'Ukrainian' },
  { code: 'ur', name: 'Urdu' },
  { code: 'uz', name: 'Uzbek' },
  { code: 'vi', name: 'Vietnamese' },
  { code: 'zu', name: 'Zulu' },
];

const BY_CODE = new Map(SUPPORTED_LANGUAGES.map((l) => [l.code, l]));

/** Exact (case-sensitive) match against the documented codes: the service is given the code as is. */
export function isSupportedLanguage(code: string): boolean {
  return BY_CODE.has(code);
}

export function languageName(code: string): string | undefined {
  return BY_CODE.get(code)?.name;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

const MAX_SUGGESTION_INPUT = 64;

/**
 * Supported codes a user probably meant by `input` (best first, at most `max`): a case-insensitive
 * match (`EN` -> `en`, `pt-br` -> `pt-BR`), codes sharing the primary subtag (`pt` -> `pt-BR`, `pt-PT`;
 * `zh-TW` -> `zh-Hant`...), an English name (`german` -> `de`), then codes within edit distance 1.
 */
export function nearestLanguages(input: string, max = 3): string[] {
  // No code or name is longer than this: a longer input matches nothing, and costs nothing.
  if (input.length > MAX_SUGGESTION_INPUT) return [];
  const q = input.trim().toLowerCase().replace(/_/g, '-');
  if (q === '') return [];
  const scored: { code: string; score: number }[] = [];
  const primary = q.split('-')[0];
  for (const { code, name } of SUPPORTED_LANGUAGES) {
    const c = code.toLowerCase();
    const n = name.toLowerCase();
    let score: number;
    if (c === q) score = 0;
    else if (n === q || n.split(' (')[0] === q) score = 1;
    else if (c.split('-')[0] === primary) score = 2;
    else if (n.startsWith(q) && q.length >= 2) score = 3; // 'sp' -> Spanish, 'ger' -> German
    else {
      const d = editDistance(c, q);
      if (d > 1 || Math.min(c.length, q.length) < 2) continue;
      score = 3 + d;
    }
    scored.push({ code, score });
  }
  scored.sort((x, y) => x.score - y.score);
  // Spelling-distance guesses only when nothing closer (case, subtag, name) matched.
  const close = scored.filter((s) => s.score <= 3);
  return (close.length > 0 ? close : scored).slice(0, max).map((s) => s.code);
}

export class UnsupportedLanguageError extends Error {
  constructor(
    public readonly code: string,
    public readonly suggestions: string[],
  ) {
    const hint = suggestions.length > 0 ? ` Did you mean ${suggestions.map((s) => `'${s}'`).join(' or ')}?` : '';
    super(`Target language '${code}' is not supported by Gemini Live translate.${hint} Supported codes: ${SUPPORTED_LANGUAGES.map((l) => l.code).join(', ')}.`);
    this.name = 'UnsupportedLanguageError';
  }
}

/** Throws UnsupportedLanguageError (with suggestions) unless `code` is a documented target code. */
export function assertSupportedLanguage(code: string): void {
  if (!isSupportedLanguage(code)) throw new UnsupportedLanguageError(code, nearestLanguages(code));
}
