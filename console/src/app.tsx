/**
 * The console's shell: sign-in gate, navigation and the page for the current route. The session
 * (its CSRF token) lives in memory only; a reload asks tolk for it again with the cookie.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, useSession, whenSignedOut, type SessionInfo } from './lib/api';
import { startLiveFeed, stopLiveFeed } from './lib/live-feed';
import { href, useRoute } from './lib/router';
import { SignIn } from './pages/sign-in';
import { Live } from './pages/live';
import { History } from './pages/history';
import { Numbers } from './pages/numbers';
import { Conferences } from './pages/conferences';
import { TryIt } from './pages/try-it';

const PAGES = [
  { id: 'live', title: 'Live' },
  { id: 'history', title: 'History' },
  { id: 'numbers', title: 'Numbers' },
  { id: 'conferences', title: 'Conferences' },
  { id: 'try', title: 'Try it' },
] as const;

type SessionState = { kind: 'checking' } | { kind: 'signed-out'; reason?: string } | { kind: 'signed-in'; session: SessionInfo };

export function App() {
  const [state, setState] = useState<SessionState>({ kind: 'checking' });
  const route = useRoute();

  useEffect(() => {
    whenSignedOut(() => {
      stopLiveFeed();
      useSession(undefined);
      setState({ kind: 'signed-out', reason: 'Your session has ended. Sign in again.' });
    });
    api
      .get<SessionInfo>('/console/api/session')
      .then((session) => {
        useSession(session);
        setState({ kind: 'signed-in', session });
      })
      .catch(() => setState({ kind: 'signed-out' }));
  }, []);

  // One live-events connection for the whole console while signed in.
  const signedIn = state.kind === 'signed-in';
  useEffect(() => {
    if (signedIn) startLiveFeed();
    else stopLiveFeed();
  }, [signedIn]);

  useEffect(() => {
    const page = PAGES.find((p) => p.id === route.page);
    document.title = page ? `${page.title} · tolk console` : 'tolk console';
  }, [route.page]);

  if (state.kind === 'checking') return <p class="loading">Loading…</p>;
  if (state.kind === 'signed-out') {
    return (
      <SignIn
        notice={state.reason}
        onSignedIn={(session) => {
          useSession(session);
          setState({ kind: 'signed-in', session });
        }}
      />
    );
  }

  const signOut = async () => {
    stopLiveFeed();
    await api.delete('/console/api/session').catch(() => undefined);
    useSession(undefined);
    setState({ kind: 'signed-out', reason: 'Signed out.' });
  };

  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <span class="brand">tolk</span>
        <nav aria-label="Console">
          <ul>
            {PAGES.map((p) => (
              <li key={p.id}>
                <a href={href(p.id)} aria-current={route.page === p.id ? 'page' : undefined}>
                  {p.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" class="link" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {route.page === 'live' && <Live params={route.params} />}
        {route.page === 'history' && <History params={route.params} />}
        {route.page === 'numbers' && <Numbers params={route.params} />}
        {route.page === 'conferences' && <Conferences />}
        {route.page === 'try' && <TryIt />}
        {!PAGES.some((p) => p.id === route.page) && <p>No such page. <a href={href('live')}>Go to Live</a>.</p>}
      </main>
    </>
  );
}
