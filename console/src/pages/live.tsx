/** Live: the calls in progress right now, each opening to its record and transcript so far. */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/api';
import { formatDuration, formatTime, type CallRecord } from '../lib/calls';
import { href } from '../lib/router';

export function Live(_props: { params: string[] }) {
  const [calls, setCalls] = useState<CallRecord[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [at, setAt] = useState<Date | undefined>();

  const load = () =>
    api.get<{ calls: CallRecord[] }>('/api/calls?limit=200').then(
      (r) => {
        setCalls(r.calls.filter((c) => c.outcome === undefined));
        setAt(new Date());
        setError(undefined);
      },
      (e: Error) => setError(e.message),
    );
  useEffect(() => void load(), []);

  return (
    <section aria-labelledby="live-title">
      <div class="title-row">
        <h1 id="live-title">Live</h1>
        <button type="button" class="secondary" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      {at && <p class="help">As of {at.toLocaleTimeString()}.</p>}
      {error && <p class="error" role="alert">{error}</p>}
      {calls?.length === 0 && <p role="status">No calls in progress.</p>}
      {calls && calls.length > 0 && (
        <div class="cards">
          {calls.map((c) => (
            <article key={c.id} class="card" aria-labelledby={`live-${c.id}`}>
              <h2 id={`live-${c.id}`}>
                <a href={href('history', c.id)}>{c.number}</a>
              </h2>
              <p>
                {c.from} → {c.destination}
              </p>
              <p>{Object.entries(c.languages).map(([role, code]) => `${role}: ${code}`).join(', ')}</p>
              <p>
                <span class="badge live">{c.state}</span> since {formatTime(c.startedAt)} ({formatDuration(Date.now() - Date.parse(c.startedAt))})
              </p>
            </article>
          ))}
        </div>
      )}
    </section>
  );
}
