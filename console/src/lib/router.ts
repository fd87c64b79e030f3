/** Hash routes (`#/numbers/+1555...`): the page and its path segments, decoded. */
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  page: string;
  params: string[];
}

export function parseHash(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  return { page: parts[0] ?? 'live', params: parts.slice(1) };
}

export function href(page: string, ...params: string[]): string {
  return `#/${[page, ...params.map(encodeURIComponent)].join('/')}`;
}

export function navigate(page: string, ...params: string[]): void {
  location.hash = href(page, ...params);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseHash(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}
