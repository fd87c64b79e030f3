/**
 * Decides, from a WebSocket close (code + reason) or a refused upgrade, whether retrying can help.
 * Reasons are matched on prefixes/keywords because the service truncates them at 123 bytes.
 */
import type { SessionFailureKind } from '../call/ports/translation';

export interface CloseVerdict {
  retryable: boolean;
  kind: SessionFailureKind;
}

const RETRY: CloseVerdict = { retryable: true, kind: 'unknown' };

export function classifyClose(code: number, reason: string): CloseVerdict {
  const r = reason.toLowerCase();
  if (/quota|resource_exhausted|rate limit/.test(r)) return { retryable: false, kind: 'quota' };
  if (code === 1007) {
    if (/api key|api_key|token|location is not supported|permission/.test(r)) return { retryable: false, kind: 'auth' };
    return { retryable: false, kind: 'invalid_argument' };
  }
  if (code === 1008 && /not found|is not supported for|not supported for bidigeneratecontent/.test(r)) {
    return { retryable: false, kind: 'model' };
  }
  return RETRY;
}

/** The SDK reports a refused upgrade as "Unexpected server response: 403" in the error message. */
export function classifyConnectError(message: string): CloseVerdict {
  const m = /Unexpected server response: (\d{3})/.exec(message);
  if (!m) return RETRY;
  const status = Number(m[1]);
  if (status === 401 || status === 403) return { retryable: false, kind: 'auth' };
  if (status === 429) return { retryable: false, kind: 'quota' };
  if (status === 404) return { retryable: false, kind: 'model' };
  if (status === 400) return { retryable: false, kind: 'invalid_argument' };
  return RETRY;
}
