/**
 * Response headers of every console page and console API answer: a strict Content-Security-Policy
 * (scripts, styles and workers from tolk only, no inline code, no framing), plus helmet's other
 * defaults and a Permissions-Policy that allows the microphone to the console itself only.
 */
import type { RequestHandler } from 'express';
import helmet from 'helmet';

/** `connectSources`: origins the browser may open connections to besides tolk (the Gemini Live endpoint). */
export function consoleSecurityHeaders(connectSources: readonly string[]): RequestHandler {
  const headers = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'", ...connectSources],
        mediaSrc: ["'self'", 'blob:'],
        workerSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    crossOriginEmbedderPolicy: false,
  });
  return (req, res, next) => {
    res.set('Permissions-Policy', 'microphone=(self), camera=(), geolocation=()');
    headers(req, res, next);
  };
}

/** The WebSocket origin (`wss://host`) of an http(s) base URL, for `connect-src`. */
export function websocketOrigin(baseUrl: string): string {
  const u = new URL(baseUrl);
  return `${u.protocol === 'https:' ? 'wss:' : 'ws:'}//${u.host}`;
}
