// List responses as api.twilio.com pages them: PageSize (default 50, at most 1000) and Page, with
// first/next/previous page URIs that keep the request's filters; the SDK follows next_page_uri.
import type { Request } from 'express';

export function pageJson(req: Request, key: string, items: unknown[]): Record<string, unknown> {
  const path = req.originalUrl.split('?')[0];
  const requested = Number(typeof req.query.PageSize === 'string' ? req.query.PageSize : 50);
  const size = Number.isInteger(requested) && requested > 0 ? Math.min(1000, requested) : 50;
  const asked = Number(typeof req.query.Page === 'string' ? req.query.Page : 0);
  const page = Number.isInteger(asked) && asked >= 0 ? asked : 0;
  const filters = new URLSearchParams();
  for (const [k, v] of Object.entries(req.query)) if (k !== 'Page' && k !== 'PageSize' && k !== 'PageToken' && typeof v === 'string') filters.append(k, v);
  const uri = (n: number): string => {
    const q = new URLSearchParams(filters);
    q.set('PageSize', String(size));
    q.set('Page', String(n));
    return `${path}?${q.toString()}`;
  };
  const start = page * size;
  const slice = items.slice(start, start + size);
  return {
    [key]: slice,
    first_page_uri: uri(0),
    next_page_uri: start + size < items.length ? uri(page + 1) : null,
    previous_page_uri: page > 0 ? uri(page - 1) : null,
    page,
    page_size: size,
    start,
    end: start + Math.max(0, slice.length - 1),
    uri: req.originalUrl,
  };
}
