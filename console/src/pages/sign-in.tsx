import { useState } from 'preact/hooks';
import { api, ApiError, type SessionInfo } from '../lib/api';

export function SignIn(props: { notice?: string; onSignedIn: (s: SessionInfo) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const session = await api.post<SessionInfo>('/console/api/session', { token });
      setToken('');
      props.onSignedIn(session);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'tolk did not answer; try again');
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <h1>tolk console</h1>
      {props.notice && <p role="status">{props.notice}</p>}
      <form onSubmit={(e) => void submit(e)} aria-describedby={error ? 'token-error' : undefined}>
        <label for="token">Admin token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="current-password"
          required
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'token-error' : 'token-help'}
        />
        <p id="token-help" class="help">The <code>ADMIN_TOKEN</code> tolk was started with.</p>
        {error && (
          <p id="token-error" class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
