/** The supported languages, fetched once from tolk (`GET /api/languages`). */
import { useEffect, useState } from 'preact/hooks';
import { api } from './api';

export interface Language {
  code: string;
  name: string;
}

let cached: Promise<Language[]> | undefined;

export function loadLanguages(): Promise<Language[]> {
  cached ??= api.get<{ languages: Language[] }>('/api/languages').then((r) => r.languages);
  cached.catch(() => (cached = undefined));
  return cached;
}

export function useLanguages(): Language[] {
  const [languages, setLanguages] = useState<Language[]>([]);
  useEffect(() => {
    loadLanguages().then(setLanguages, () => undefined);
  }, []);
  return languages;
}

export function languageName(languages: readonly Language[], code: string): string {
  return languages.find((l) => l.code === code)?.name ?? code;
}
