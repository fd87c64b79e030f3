/**
 * When a webhook request reached this instance, marked before any awaited work (finding the
 * instance that serves its call, claiming it against replays), so what it reports is timed as
 * close to its arrival as this instance can tell. One passed on from another instance is timed
 * from when it came here. On the monotonic clock (`performance.now()`).
 */
import type { NextFunction, Request, Response } from 'express';

const arrivals = new WeakMap<Request, number>();

/** Middleware: marks the request's arrival, unless an earlier handler did. */
export function markArrival(req: Request, _res: Response, next: NextFunction): void {
  if (!arrivals.has(req)) arrivals.set(req, performance.now());
  next();
}

/** How many ms ago the request arrived (0 when it was not marked). */
export function msSinceArrival(req: Request): number {
  const at = arrivals.get(req);
  return at === undefined ? 0 : Math.max(0, performance.now() - at);
}
