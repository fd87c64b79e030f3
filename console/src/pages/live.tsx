/**
 * Live: the calls in progress, pushed by tolk's live events (lib/live-feed.ts), each with how long
 * it has been connected (from its answer) and any interpretation tolk could not give; each opens to live
 * captions of every party (original and translation, the partial text while it is spoken), the
 * detected languages, the lag behind the speaker and the translation session's state per direction.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/api';
import { badgeClass, formatDuration, formatTime, seconds } from '../lib/calls';
import { average, connectedHow, partialSpeaker, sessionLabel, stateLabel, talkText, unavailableTexts, type LiveCall, type LiveRoute } from '../lib/live';
import { useLiveFeed, type FeedStatus } from '../lib/live-feed';
import { href } from '../lib/router';

const STATUS_TEXT: Record<FeedStatus, string> = {
  connecting: 'Connecting to live updates…',
  live: 'Live updates on.',
  reconnecting: 'Live updates interrupted: reconnecting…',
  off: 'Live updates off.',
};

/** Re-renders every second (talk times); no request is made. */
function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return now;
}

export function Live(props: { params: string[] }) {
  const { calls, status } = useLiveFeed();
  const now = useNow();
  const id = props.params[0];
  if (id) return <CallLive call={calls[id]} id={id} status={status} now={now} />;
  const all = Object.values(calls).sort((a, b) => b.startedAt - a.startedAt);
  const inProgress = all.filter((c) => !c.ended);
  const ended = all.filter((c) => c.ended);
  return (
    <section aria-labelledby="live-title">
      <h1 id="live-title">Live</h1>
      <p role="status" class={`help feed ${status}`}>
        {STATUS_TEXT[status]}
      </p>
      <h2>Calls in progress ({inProgress.length})</h2>
      {inProgress.length === 0 && <p>No calls in progress.</p>}
      <CallCards calls={inProgress} now={now} />
      {ended.length > 0 && (
        <>
          <h2>Ended lately</h2>
          <CallCards calls={ended} now={now} />
        </>
      )}
    </section>
  );
}

function CallCards(props: { calls: LiveCall[]; now: number }) {
  if (props.calls.length === 0) return null;
  return (
    <ul class="cards plain">
      {props.calls.map((c) => (
        <li key={c.id} class="card">
          <h3>
            <a href={href('live', c.id)}>{title(c)}</a>
          </h3>
          {(c.from || c.destination) && (
            <p>
              {c.from ?? 'unknown'} → {c.destination ?? 'unknown'}
            </p>
          )}
          {c.mode && <p>Interpretation: {interpretation(c)}</p>}
          <Unavailable call={c} />
          <p>{languages(c) || 'languages not known yet'}</p>
          <p>
            <CallState call={c} /> {talkText(c, props.now)}
          </p>
          <ul class="plain routes-brief">
            {Object.values(c.routes).map((r) => (
              <li key={r.id}>
                {r.id}: <SessionBadge route={r} />
                {r.lagMs !== undefined && <> · lag {seconds(r.lagMs)}</>}
              </li>
            ))}
          </ul>
        </li>
      ))}
    </ul>
  );
}

function title(c: LiveCall): string {
  if (c.conference || c.conferenceId) return `Conference ${c.conference ?? c.conferenceId}`;
  return c.number ? `Call to ${c.number}` : `Call ${c.id}`;
}

function interpretation(c: LiveCall): string {
  return c.fallback ? `${c.mode ?? '?'} (asked for ${c.requestedMode ?? '?'}: ${c.fallback})` : (c.mode ?? '');
}

function languages(c: LiveCall): string {
  return Object.values(c.participants)
    .map((p) => `${p.role}: ${p.language ?? 'detecting…'}`)
    .join(', ');
}

/** Interpretation tolk could not give, to everyone or to one party. */
function Unavailable(props: { call: LiveCall }) {
  const texts = unavailableTexts(props.call);
  if (texts.length === 0) return null;
  return (
    <ul class="plain unavailable">
      {texts.map((t) => (
        <li key={t}>{t}</li>
      ))}
    </ul>
  );
}

function CallState(props: { call: LiveCall }) {
  const { call } = props;
  if (call.ended) return <span class={`badge ${call.ended.outcome}`}>ended: {call.ended.outcome}</span>;
  return <span class={`badge ${badgeClass(call)}`}>{stateLabel(call)}</span>;
}

function SessionBadge(props: { route: LiveRoute }) {
  const label = sessionLabel(props.route.session);
  return <span class={`badge ${label.replace(' ', '-')}`}>{label}</span>;
}

function CallLive(props: { call: LiveCall | undefined; id: string; status: FeedStatus; now: number }) {
  const { call } = props;
  if (!call) {
    return (
      <section aria-labelledby="call-live-title">
        <p>
          <a href={href('live')}>← All live calls</a>
        </p>
        <h1 id="call-live-title">Call {props.id}</h1>
        <p role="status">{props.status === 'live' ? 'This call is not in progress.' : STATUS_TEXT[props.status]}</p>
        <p>
          <a href={href('history', props.id)}>Look for it in History</a>
        </p>
      </section>
    );
  }
  const routes = Object.values(call.routes).sort((a, b) => a.id.localeCompare(b.id));
  return (
    <section aria-labelledby="call-live-title">
      <p>
        <a href={href('live')}>← All live calls</a>
      </p>
      <h1 id="call-live-title">{title(call)}</h1>
      <p role="status" class="help">
        {call.ended ? (
          <>
            The call has ended ({call.ended.outcome}). <a href={href('history', call.id)}>Open it in History</a>
          </>
        ) : (
          STATUS_TEXT[props.status]
        )}
      </p>
      {!call.ended && <HangUp id={call.id} />}
      <Unavailable call={call} />
      <dl class="summary">
        <dt>State</dt>
        <dd>
          <CallState call={call} />
        </dd>
        <dt>Started</dt>
        <dd>{formatTime(new Date(call.startedAt).toISOString())}</dd>
        <dt>Connected</dt>
        <dd>
          {call.connectedAt === undefined ? talkText(call, props.now) : `${formatTime(new Date(call.connectedAt).toISOString())} (${[connectedHow(call), talkText(call, props.now)].filter(Boolean).join('; ')})`}
        </dd>
        <dt>From</dt>
        <dd>{call.from ?? 'unknown'}</dd>
        <dt>Rang</dt>
        <dd>{call.destination ?? 'unknown'}</dd>
        <dt>Languages</dt>
        <dd>{languages(call) || 'not known yet'}</dd>
        {call.mode && (
          <>
            <dt>Interpretation</dt>
            <dd>{interpretation(call)}</dd>
            <dt>Interpreter legs</dt>
            <dd>
              {Object.entries(call.legs ?? {})
                .map(([endpoint, leg]) => (leg.whisperTo ? `${endpoint} (heard by ${leg.whisperTo} only)` : endpoint))
                .join(', ') || 'none yet'}
            </dd>
          </>
        )}
      </dl>
      <h2>Directions</h2>
      {routes.length === 0 && <p>No translation yet.</p>}
      {routes.length > 0 && (
        <table class="routes">
          <caption class="visually-hidden">Translation per direction</caption>
          <thead>
            <tr>
              <th scope="col">Direction</th>
              <th scope="col">Session</th>
              <th scope="col">Detected language</th>
              <th scope="col">Into</th>
              <th scope="col">Lag (last)</th>
              <th scope="col">Lag (average)</th>
            </tr>
          </thead>
          <tbody>
            {routes.map((r) => {
              const avg = average(r.lags);
              return (
                <tr key={r.id}>
                  <th scope="row">{r.id}</th>
                  <td>
                    <SessionBadge route={r} />
                  </td>
                  <td>{r.detectedLanguage ?? '—'}</td>
                  <td>{r.targetLanguage ?? '—'}</td>
                  <td>{r.lagMs === undefined ? '—' : seconds(r.lagMs)}</td>
                  <td>{avg === undefined ? '—' : `${seconds(avg)} (${r.lags.length})`}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <h2>Captions</h2>
      {call.captions.length === 0 && !routes.some((r) => r.partial) && <p>Nobody has spoken yet.</p>}
      <ol class="transcript captions" aria-live="polite" aria-relevant="additions">
        {call.captions.map((c) => (
          <li key={c.key} class="utterance final" data-direction={c.routeId}>
            <p class="meta">
              <span class="speaker">{c.speaker}</span> · {c.routeId} at {formatDuration(c.startMs)}
            </p>
            <p lang={c.source.languageCode || undefined}>
              <span class="lang">{c.source.languageCode || '…'}</span> {c.source.text}
            </p>
            <p lang={c.translation.languageCode || undefined} class="translation">
              <span class="lang">{c.translation.languageCode || '…'}</span> {c.translation.text}
            </p>
          </li>
        ))}
      </ol>
      {routes
        .filter((r) => r.partial)
        .map((r) => (
          <div key={r.id} class="utterance partial" data-direction={r.id} aria-live="off">
            <p class="meta">
              <span class="speaker">{partialSpeaker(call, r)}</span> · {r.id} · speaking…
            </p>
            <p lang={r.partial?.sourceLanguage}>
              <span class="lang">{r.partial?.sourceLanguage ?? '…'}</span> {r.partial?.source}
            </p>
            <p lang={r.partial?.translationLanguage} class="translation">
              <span class="lang">{r.partial?.translationLanguage ?? '…'}</span> {r.partial?.translation}
            </p>
          </div>
        ))}
    </section>
  );
}

/** Ends the call for everyone (`POST /api/calls/{id}/hangup`), after a confirmation. */
function HangUp(props: { id: string }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const hangUp = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api.post(`/api/calls/${encodeURIComponent(props.id)}/hangup`);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };
  return (
    <div class="actions">
      {confirming ? (
        <>
          <button type="button" class="danger" disabled={busy} onClick={() => void hangUp()}>
            Hang up for everyone
          </button>
          <button type="button" class="link" onClick={() => setConfirming(false)}>
            Keep the call
          </button>
        </>
      ) : (
        <button type="button" class="secondary" onClick={() => setConfirming(true)}>
          Hang up…
        </button>
      )}
      {error && <p class="error" role="alert">{error}</p>}
    </div>
  );
}
