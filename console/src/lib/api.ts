/**
 * The console's calls to tolk: same-origin fetches that carry the session cookie, with the CSRF
 * token on every state-changing request. Errors keep the API's per-field problems so forms can
 * show each beside its field. A 401 tells the app the session is over.
 */

export interface FieldProblem {
  path: (string | number)[];
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly problems: FieldProblem[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface SessionInfo {
  csrfToken: string;
  expiresAt: string;
}

let csrfToken: string | undefined;
let onSignedOut: () => void = () => undefined;

export function useSession(session: SessionInfo | undefined): void {
  csrfToken = session?.csrfToken;
}

/** Called when any request finds the session gone (expired, signed out elsewhere). */
export function whenSignedOut(fn: () => void): void {
  onSignedOut = fn;
}

async function errorOf(res: Response): Promise<ApiError> {
  let message = `${res.status} ${res.statusText}`;
  let problems: FieldProblem[] = [];
  try {
    const body = (await res.json()) as { error?: unknown; problems?: unknown };
    if (typeof body.error === 'string') message = body.error;
    if (Array.isArray(body.problems)) problems = body.problems as FieldProblem[];
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(res.status, message, problems);
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  if (res.status === 401 && !path.startsWith('/console/api/session')) onSignedOut();
  if (!res.ok) throw await errorOf(res);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  delete: (path: string) => request<void>('DELETE', path),
};

/** The problems of one field (`path[0] === field`, optionally at one list index). */
export function problemsOf(problems: readonly FieldProblem[], field: string, index?: number): string[] {
  return problems.filter((p) => p.path[0] === field && (index === undefined ? true : p.path[1] === index)).map((p) => p.message);
}
