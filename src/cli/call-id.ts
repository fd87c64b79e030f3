/**
 * A call id as people type it: the whole id, or its first characters (at least MIN_ID_PREFIX), as
 * git takes a commit's. The server finds the calls whose id starts with them (`idPrefix`), at
 * most a few, so the CLI never pages through calls.
 */
import type { AdminClient } from './api-client';
import { CliError, EXIT_FAILURE } from './errors';
import { callsTable } from './output';

/** Fewest characters taken as the beginning of an id; shorter ones are taken as a whole id. */
export const MIN_ID_PREFIX = 6;
/** Most calls an ambiguous beginning lists. */
export const MAX_MATCHES_SHOWN = 10;

export interface ResolveOptions {
  /** When no call's id starts with it: the text as given (a filter), instead of an error. */
  noneAsGiven?: boolean;
}

/**
 * The id of the call `given` names: `given` itself when a call has exactly that id, or when it is
 * too short to be a beginning; else the one call whose id starts with it. A CliError (exit 1)
 * when none does, or when several do (listing them).
 */
export async function resolveCallId(client: AdminClient, given: string, opts: ResolveOptions = {}): Promise<string> {
  if (given.length < MIN_ID_PREFIX) return given;
  let page;
  try {
    page = await client.listCalls({ idPrefix: given, limit: MAX_MATCHES_SHOWN });
  } catch (err) {
    // A server older than idPrefix, or text that cannot begin an id: the call route says what it makes of it.
    if (err instanceof CliError && err.status === 400) return given;
    throw err;
  }
  const matches = page.calls;
  if (matches.some((c) => c.id === given)) return given;
  if (matches.length === 1) return matches[0].id;
  if (matches.length === 0) {
    if (opts.noneAsGiven) return given;
    throw new CliError(`call '${given}' not found (no call's id is or begins with it)`, EXIT_FAILURE, [], 404);
  }
  // More than a page begins with it: a call may still have exactly this id.
  if (page.nextCursor && (await exists(client, given))) return given;
  const listed = callsTable(matches).replace(/^(?=.)/gm, '  ');
  const more = page.nextCursor ? '  ... and more\n' : '';
  throw new CliError(`'${given}' begins the id of more than one call; give more of it:\n${listed}${more}`.trimEnd(), EXIT_FAILURE);
}

/**
 * Runs `act` on the call `given` names (see resolveCallId). When a text too short to be taken as
 * the beginning of an id names no call, the error says how many characters are needed.
 */
export async function onCall<T>(client: AdminClient, given: string, act: (id: string) => Promise<T>, opts: ResolveOptions = {}): Promise<T> {
  const id = await resolveCallId(client, given, opts);
  try {
    return await act(id);
  } catch (err) {
    if (given.length < MIN_ID_PREFIX && err instanceof CliError && err.status === 404) {
      throw new CliError(`${err.message} (name a call by its id, or by at least its first ${MIN_ID_PREFIX} characters)`, err.exitCode, err.problems, err.status);
    }
    throw err;
  }
}

async function exists(client: AdminClient, id: string): Promise<boolean> {
  try {
    await client.getCall(id);
    return true;
  } catch (err) {
    if (err instanceof CliError && err.status === 404) return false;
    throw err;
  }
}
