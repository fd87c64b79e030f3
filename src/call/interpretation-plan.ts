/**
 * Which interpreter legs and translation routes a conference needs, from who is in it and the
 * languages they speak: a pure function, so the conference call only carries out the difference
 * between the plan and what it has.
 *
 *   whisper  one leg per party, heard by that party alone; one route per language spoken, its
 *            translation fanned out to the legs of every party speaking that language. Each leg
 *            hears the whole room (but itself), so any leg of a language's parties can feed it.
 *   open     one leg speaking into the room; one route per language spoken, all played into it.
 *
 * With fewer than two languages known there is nothing to translate, and no route.
 */
export type InterpretationMode = 'whisper' | 'open';

export interface PlanParty {
  id: string;
  /** Undefined while it is not known. */
  language?: string;
}

export interface PlannedLeg {
  endpoint: string;
  /** Whisper: the party it is heard by. */
  whisperTo?: string;
}

export interface PlannedRoute {
  id: string;
  targetLanguage: string;
  /** Endpoints that may feed it, in order of preference (each hears the whole room). */
  sources: string[];
  listeners: string[];
}

export interface InterpretationPlan {
  legs: PlannedLeg[];
  routes: PlannedRoute[];
}

export const OPEN_ENDPOINT = 'room';

/** The endpoint of the leg whispering to `partyId`. */
export function whisperEndpoint(partyId: string): string {
  return `to-${partyId}`;
}

export function routeId(language: string): string {
  return `to:${language}`;
}

/** Distinct known languages in order of first appearance. */
export function languagesOf(parties: readonly PlanParty[]): string[] {
  return [...new Set(parties.map((p) => p.language).filter((l): l is string => l !== undefined))];
}

/**
 * `languages`: the languages to serve (default: the parties' own). While a party's language is not
 * known, every language served gets its route even if it is the only one: the sessions hear the
 * unknown speech and tell its language.
 */
export function planInterpretation(mode: InterpretationMode, parties: readonly PlanParty[], languages: readonly string[] = languagesOf(parties)): InterpretationPlan {
  const detecting = parties.some((p) => p.language === undefined);
  const translating = languages.length >= 2 || (detecting && languages.length >= 1);
  if (mode === 'open') {
    const legs = parties.length > 0 ? [{ endpoint: OPEN_ENDPOINT }] : [];
    const routes = !translating || legs.length === 0 ? [] : languages.map((l) => ({ id: routeId(l), targetLanguage: l, sources: [OPEN_ENDPOINT], listeners: [OPEN_ENDPOINT] }));
    return { legs, routes };
  }
  const legs = parties.map((p) => ({ endpoint: whisperEndpoint(p.id), whisperTo: p.id }));
  if (!translating || legs.length === 0) return { legs, routes: [] };
  const all = legs.map((l) => l.endpoint);
  const routes = languages.map((l) => {
    const own = parties.filter((p) => p.language === l).map((p) => whisperEndpoint(p.id));
    // A language no party is known to speak yet still has a session, fed by any leg, to detect with.
    return { id: routeId(l), targetLanguage: l, sources: own.length > 0 ? own : all, listeners: own };
  });
  return { legs, routes };
}
