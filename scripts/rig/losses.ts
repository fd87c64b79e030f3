/**
 * What tolk lost, from its metrics scraped at the window's start (`a`), its end (`b`) and once every
 * call was over (`end`): the window's own count, as the bench's other figures, and apart from it
 * what the set-up (calls placed 20 a second) and the end (every call hung up at once) lost.
 */
import { get } from './load-rig';

type Scrape = Map<string, number>;

/** Frames lost by a scrape: what tolk counted from its start to then. */
export function framesLostBy(m: Scrape): number {
  const edge = (kind: string): number => get(m, `tolk_twilio_edge_events{kind="${kind}"}`);
  return (
    Math.round((edge('gap_fill_ms') + edge('gap_skipped_ms')) / 20) +
    edge('outbound_dropped_frames') +
    get(m, 'tolk_clock_skipped_frames_total') +
    Math.round(get(m, 'tolk_playout_dropped_seconds_total') * 50)
  );
}

export interface Losses {
  framesLost: number;
  clockSkips: number;
  translationGaps: number;
  translationConcealments: number;
  framesLostOutsideWindow: number;
  translationGapsOutsideWindow: number;
  translationConcealmentsOutsideWindow: number;
}

export function losses(a: Scrape, b: Scrape, end: Scrape): Losses {
  const inWindow = (name: string): number => get(b, name) - get(a, name);
  const outside = (name: string): number => get(end, name) - inWindow(name);
  const framesLost = framesLostBy(b) - framesLostBy(a);
  return {
    framesLost,
    clockSkips: inWindow('tolk_clock_skipped_frames_total'),
    translationGaps: inWindow('tolk_playout_underruns_total'),
    translationConcealments: inWindow('tolk_playout_concealments_total'),
    framesLostOutsideWindow: framesLostBy(end) - framesLost,
    translationGapsOutsideWindow: outside('tolk_playout_underruns_total'),
    translationConcealmentsOutsideWindow: outside('tolk_playout_concealments_total'),
  };
}
