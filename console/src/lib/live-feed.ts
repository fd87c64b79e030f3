/**
 * The console's one connection to tolk's live events (`/api/live/events`, Server-Sent Events with
 * the session cookie), open while signed in, whichever page is shown; every call's updates come
 * through it (never a request per call). The browser reconnects by itself after a network error,
 * sending the last event's id so tolk replays what was missed; when tolk refuses the stream (the
 * session ended, too many viewers), it is opened again after a pause if the session still lives.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from './api';
import { applyEvent, forgetEnded, fromSnapshot, type LiveCalls, type WireEvent } from './live';

export type FeedStatus = 'connecting' | 'live' | 'reconnecting' | 'off';

export interface FeedState {
  calls: LiveCalls;
  status: FeedStatus;
}

const REOPEN_AFTER_MS = 5000;

let source: EventSource | undefined;
let reopen: ReturnType<typeof setTimeout> | undefined;
let state: FeedState = { calls: {}, status: 'off' };
const listeners = new Set<(s: FeedState) => void>();

function set(next: Partial<FeedState>): void {
  state = { ...state, ...next };
  for (const l of listeners) l(state);
}

function open(): void {
  const es = new EventSource('/api/live/events');
  source = es;
  set({ status: 'connecting' });
  es.addEventListener('snapshot', (m: MessageEvent<string>) => {
    const body = JSON.parse(m.data) as { events: WireEvent[] };
    set({ calls: fromSnapshot(body.events), status: 'live' });
  });
  es.addEventListener('message', (m: MessageEvent<string>) => {
    set({ calls: forgetEnded(applyEvent(state.calls, JSON.parse(m.data) as WireEvent), Date.now()), status: 'live' });
  });
  es.addEventListener('open', () => set({ status: 'live' }));
  es.addEventListener('error', () => {
    if (source !== es) return;
    set({ status: 'reconnecting' });
    if (es.readyState !== EventSource.CLOSED) return; // the browser retries by itself
    source = undefined;
    // Refused: a session that has ended signs the console out (api reports the 401); else retry.
    api.get('/console/api/session').then(
      () => {
        if (state.status === 'off') return;
        reopen = setTimeout(() => {
          reopen = undefined;
          open();
        }, REOPEN_AFTER_MS);
      },
      () => undefined,
    );
  });
}

/** Opens the feed (after sign-in). */
export function startLiveFeed(): void {
  if (source || reopen) return;
  open();
}

/** Closes the feed (sign-out) and forgets what it held. */
export function stopLiveFeed(): void {
  clearTimeout(reopen);
  reopen = undefined;
  source?.close();
  source = undefined;
  set({ calls: {}, status: 'off' });
}

/** The live calls and the feed's status, re-rendered on every update. */
export function useLiveFeed(): FeedState {
  const [s, setS] = useState(state);
  useEffect(() => {
    listeners.add(setS);
    setS(state);
    return () => {
      listeners.delete(setS);
    };
  }, []);
  return s;
}
