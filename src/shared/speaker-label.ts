/**
 * Who said a transcript line or a caption, as the CLI and the web console name them. The console's
 * bundle imports this file too (console/src): it stays pure and imports nothing.
 */

/** A transcript line as the admin API returns it, as far as its speaker goes. */
export interface SpokenLine {
  /** The route: 'caller->agent', 'agent->caller' in a direct call; 'to:<language>' in a conference. */
  direction: string;
  /** The role and call SID of who said it; absent where tolk cannot tell. */
  speaker?: { role: string; callSid: string };
}

/** The roles only one party of a call can have: their role says who they are. */
const ONE_PARTY_ROLES: ReadonlySet<string> = new Set(['caller', 'agent']);

/** A speaker's label: the role, with the call SID for a participant (a conference may have several). */
export function partyLabel(role: string, callSid: string | undefined): string {
  return ONE_PARTY_ROLES.has(role) || !callSid ? role : `${role} ${callSid}`;
}

/** The party a direct call's route hears ('caller->agent': the caller); a conference's route ('to:en') hears anyone. */
export function routeSpeaker(routeId: string): string {
  const [from, to] = routeId.split('->');
  return to === undefined ? 'unknown speaker' : from;
}

/**
 * Who said a transcript line: the speaker tolk recorded; without one, the party of a direct call's
 * route (each route hears one party: 'caller->agent' is the caller's); else 'unknown speaker'.
 */
export function speakerLabel(u: SpokenLine): string {
  return u.speaker ? partyLabel(u.speaker.role, u.speaker.callSid) : routeSpeaker(u.direction);
}
