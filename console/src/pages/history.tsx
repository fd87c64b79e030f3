/** History: past calls with filters (number, time, outcome); one call with its transcript and how far behind the speaker each line was heard. */
import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Field } from '../components/field';
import { LagChart } from '../components/lag-chart';
import { api, ApiError, problemsOf, type FieldProblem } from '../lib/api';
import { speakerLabel } from '../../../src/shared/speaker-label';
import { partiesText, spokenLanguages } from '../../../src/shared/call-languages';
import { startTimes } from '../../../src/shared/call-times';
import { badgeClass, callDuration, formatDuration, languagesCell, formatTime, interpretationStatus, listedTimeText, localToIso, seconds, OUTCOMES, statusLabel, type CallRecord, type CallWithTranscript } from '../lib/calls';
import { languageName, useLanguages } from '../lib/languages';
import { href } from '../lib/router';

export function History(props: { params: string[] }) {
  return props.params[0] ? <CallDetail id={props.params[0]} /> : <CallList />;
}

interface Filters {
  number: string;
  from: string;
  to: string;
  outcome: string;
}

function query(f: Filters, cursor?: string): string {
  const q = new URLSearchParams({ limit: '25' });
  if (f.number.trim()) q.set('number', f.number.trim());
  const from = localToIso(f.from);
  const to = localToIso(f.to);
  if (from) q.set('from', from);
  if (to) q.set('to', to);
  if (f.outcome) q.set('outcome', f.outcome);
  if (cursor) q.set('cursor', cursor);
  return `/api/calls?${q.toString()}`;
}

function CallList() {
  const [filters, setFilters] = useState<Filters>({ number: '', from: '', to: '', outcome: '' });
  const [calls, setCalls] = useState<CallRecord[] | undefined>();
  const [cursor, setCursor] = useState<string | undefined>();
  const [problems, setProblems] = useState<FieldProblem[]>([]);
  const [error, setError] = useState<string | undefined>();

  const load = async (more: boolean) => {
    setError(undefined);
    try {
      const page = await api.get<{ calls: CallRecord[]; nextCursor?: string }>(query(filters, more ? cursor : undefined));
      setProblems([]);
      setCalls(more ? [...(calls ?? []), ...page.calls] : page.calls);
      setCursor(page.nextCursor);
    } catch (e) {
      if (e instanceof ApiError && e.problems.length > 0) setProblems(e.problems);
      else setError((e as Error).message);
    }
  };
  useEffect(() => void load(false), []);

  const set = (p: Partial<Filters>) => setFilters({ ...filters, ...p });
  return (
    <section aria-labelledby="history-title">
      <h1 id="history-title">History</h1>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          void load(false);
        }}
      >
        <Field id="h-number" label="Number" errors={problemsOf(problems, 'number')}>
          {(a) => <input {...a} value={filters.number} placeholder="+15550001111" onInput={(e) => set({ number: e.currentTarget.value })} />}
        </Field>
        <Field id="h-from" label="From" errors={problemsOf(problems, 'from')}>
          {(a) => <input {...a} type="datetime-local" value={filters.from} onInput={(e) => set({ from: e.currentTarget.value })} />}
        </Field>
        <Field id="h-to" label="Until" errors={problemsOf(problems, 'to')}>
          {(a) => <input {...a} type="datetime-local" value={filters.to} onInput={(e) => set({ to: e.currentTarget.value })} />}
        </Field>
        <Field id="h-outcome" label="Outcome" errors={problemsOf(problems, 'outcome')}>
          {(a) => (
            <select {...a} value={filters.outcome} onChange={(e) => set({ outcome: e.currentTarget.value })}>
              <option value="">any</option>
              {OUTCOMES.map((o) => (
                <option key={o} value={o}>
                  {o}
                </option>
              ))}
            </select>
          )}
        </Field>
        <button type="submit">Show calls</button>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
      {calls === undefined && !error && <p>Loading…</p>}
      {calls?.length === 0 && <p role="status">No calls match.</p>}
      {calls && calls.length > 0 && (
        <table>
          <caption class="visually-hidden">Calls, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Number</th>
              <th scope="col">From</th>
              <th scope="col">Languages</th>
              <th scope="col">Talk time</th>
              <th scope="col">Outcome</th>
            </tr>
          </thead>
          <tbody>
            {calls.map((c) => (
              <tr key={c.id}>
                <th scope="row">
                  <a href={href('history', c.id)}>{listedTimeText(c)}</a>
                </th>
                <td>{c.number}</td>
                <td>{c.from}</td>
                <td>{languagesCell(c)}</td>
                <td>{callDuration(c)}</td>
                <td>
                  <span class={`badge ${badgeClass(c)}`}>{statusLabel(c)}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cursor && (
        <button type="button" class="secondary" onClick={() => void load(true)}>
          Show older calls
        </button>
      )}
    </section>
  );
}

function CallDetail(props: { id: string }) {
  const languages = useLanguages();
  const [call, setCall] = useState<CallWithTranscript | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    api.get<CallWithTranscript>(`/api/calls/${encodeURIComponent(props.id)}`).then(setCall, (e: Error) => setError(e.message));
  }, [props.id]);

  if (error) return <p class="error" role="alert">{error}</p>;
  if (!call) return <p>Loading…</p>;
  const points = call.transcript
    .map((u, i) => ({ label: `#${i + 1} ${u.source.text.slice(0, 40)}`, direction: u.direction, ms: u.lagMs }))
    .filter((p): p is { label: string; direction: string; ms: number } => typeof p.ms === 'number');
  return (
    <section aria-labelledby="call-title">
      <p>
        <a href={href('history')}>← All calls</a>
      </p>
      <h1 id="call-title">Call to {call.number}</h1>
      <dl class="summary">
        {startTimes(call).map((t) => (
          <Fragment key={t.label}>
            <dt>{t.label}</dt>
            <dd>{formatTime(t.at)}</dd>
          </Fragment>
        ))}
        <dt>Talk time</dt>
        <dd>{callDuration(call)}</dd>
        <dt>Outcome</dt>
        <dd>
          <span class={`badge ${badgeClass(call)}`}>{statusLabel(call)}</span>
          {call.endReason ? ` ${call.endReason}` : ''}
        </dd>
        {interpretationStatus(call) ? (
          <>
            <dt>Interpretation</dt>
            <dd>{interpretationStatus(call)}</dd>
          </>
        ) : null}
        <dt>From</dt>
        <dd>{call.from}</dd>
        <dt>Rang</dt>
        <dd>{call.destination}</dd>
        {call.kind === 'conference' ? (
          <>
            <dt>Conference</dt>
            <dd>{call.conference}</dd>
            <dt>Parties</dt>
            <dd>{partiesText(call.legs)}</dd>
          </>
        ) : (
          <>
            <dt>Languages</dt>
            <dd>
              {Object.entries(spokenLanguages(call))
                .map(([role, code]) => `${role}: ${languageName(languages, code)}`)
                .join(', ')}
            </dd>
          </>
        )}
        <dt>Call id</dt>
        <dd>
          <code>{call.id}</code>
        </dd>
      </dl>
      <h2>Lag per utterance</h2>
      <LagChart points={points} title="Start of speech to the start of its translation heard, per utterance" />
      <h2>Transcript</h2>
      {call.transcript.length === 0 && <p>Nobody spoke.</p>}
      <ol class="transcript">
        {call.transcript.map((u, i) => (
          <li key={i} class="utterance">
            <p class="meta">
              <span class="speaker">{speakerLabel(u)}</span> · <span class="direction">{u.direction}</span> at {formatDuration(u.startMs)}
              {typeof u.lagMs === 'number' && <> · heard {seconds(u.lagMs)} behind</>}
            </p>
            <p lang={u.source.languageCode}>
              <span class="lang">{u.source.languageCode}</span> {u.source.text}
            </p>
            <p lang={u.translation.languageCode} class="translation">
              <span class="lang">{u.translation.languageCode}</span> {u.translation.text}
            </p>
          </li>
        ))}
      </ol>
      {call.droppedUtterances > 0 && <p>{call.droppedUtterances} later utterances were not kept (transcript limit).</p>}
    </section>
  );
}
