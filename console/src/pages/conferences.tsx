/**
 * Conferences: join tolk's interpreter to a Twilio conference (by friendly name or SID), see what
 * it is doing, and make it leave, through `POST|GET|DELETE /api/conferences/{conference}/interpreter`.
 */
import { useState } from 'preact/hooks';
import { Field, FieldErrors } from '../components/field';
import { LanguageInput, LanguageOptions } from '../components/language-input';
import { api, ApiError, problemsOf, type FieldProblem } from '../lib/api';
import { seconds } from '../lib/calls';
import { useLanguages } from '../lib/languages';
import { href } from '../lib/router';

interface Interpreter {
  callId: string;
  state: string;
  mode: string;
  requestedMode?: string;
  fallback?: string;
  participants: { callSid: string; language?: string; role?: string }[];
  sessions: { language: string; state: string }[];
  lagMs?: Record<string, number>;
  legs: { endpoint: string; callSid?: string; whisperTo?: string; state: string }[];
}

interface ParticipantRow {
  callSid: string;
  language: string;
}

function path(conference: string): string {
  return `/api/conferences/${encodeURIComponent(conference.trim())}/interpreter`;
}

export function Conferences() {
  const languages = useLanguages();
  const [conference, setConference] = useState('');
  const [mode, setMode] = useState('whisper');
  const [rows, setRows] = useState<ParticipantRow[]>([]);
  const [languageList, setLanguageList] = useState('');
  const [shown, setShown] = useState<{ conference: string; interpreter: Interpreter } | undefined>();
  const [problems, setProblems] = useState<FieldProblem[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [status, setStatus] = useState<string | undefined>();

  const fail = (err: unknown) => {
    if (err instanceof ApiError && err.problems.length > 0) setProblems(err.problems);
    setError(err instanceof ApiError && err.status === 404 ? `No such conference, or no interpreter in it: ${err.message}` : (err as Error).message);
  };
  const reset = () => {
    setProblems([]);
    setError(undefined);
    setStatus(undefined);
  };

  const show = async () => {
    reset();
    try {
      setShown({ conference: conference.trim(), interpreter: await api.get<Interpreter>(path(conference)) });
    } catch (err) {
      setShown(undefined);
      fail(err);
    }
  };

  const join = async () => {
    reset();
    try {
      const participants = rows.filter((r) => r.callSid.trim() !== '').map((r) => ({ callSid: r.callSid.trim(), language: r.language.trim() }));
      const langs = languageList.split(/[\s,]+/).filter((l) => l !== '');
      await api.post(path(conference), { mode, ...(participants.length > 0 ? { participants } : {}), ...(langs.length > 0 ? { languages: langs } : {}) });
      setStatus(`The interpreter is joining ${conference.trim()}.`);
      await show();
    } catch (err) {
      fail(err);
    }
  };

  const leave = async () => {
    reset();
    try {
      await api.delete(path(conference));
      setShown(undefined);
      setStatus(`The interpreter left ${conference.trim()}.`);
    } catch (err) {
      fail(err);
    }
  };

  const act = (fn: () => Promise<void>) => (e: Event) => {
    e.preventDefault();
    if (conference.trim() === '') {
      setProblems([{ path: ['conference'], message: 'is required: the conference name or SID' }]);
      return;
    }
    void fn();
  };

  return (
    <section aria-labelledby="conf-title">
      <h1 id="conf-title">Conferences</h1>
      <p>Add tolk as the interpreter of a Twilio conference (a Flex task's conference is named after the task SID).</p>
      <LanguageOptions id="languages" languages={languages} />
      <form onSubmit={act(join)} noValidate>
        <Field id="c-conference" label="Conference (friendly name or SID)" errors={problemsOf(problems, 'conference')}>
          {(a) => <input {...a} value={conference} autoComplete="off" onInput={(e) => setConference(e.currentTarget.value)} />}
        </Field>
        <Field id="c-mode" label="Mode" help="Whisper: each party alone hears the translation meant for them. Open: translations are spoken into the room." errors={problemsOf(problems, 'mode')}>
          {(a) => (
            <select {...a} value={mode} onChange={(e) => setMode(e.currentTarget.value)}>
              <option value="whisper">whisper</option>
              <option value="open">open</option>
            </select>
          )}
        </Field>
        <Field
          id="c-languages"
          label="Languages (optional)"
          help="Language codes, separated by commas or spaces, to open sessions for from the start; other languages are detected as people speak."
          errors={problemsOf(problems, 'languages')}
        >
          {(a) => <input {...a} value={languageList} autoComplete="off" onInput={(e) => setLanguageList(e.currentTarget.value)} />}
        </Field>
        <fieldset>
          <legend>Participants (optional; languages not given are detected)</legend>
          <ol>
            {rows.map((r, i) => (
              <li key={i} class="check">
                <label for={`c-sid-${i}`}>Participant {i + 1} call SID</label>
                <input id={`c-sid-${i}`} value={r.callSid} autoComplete="off" onInput={(e) => setRows(rows.map((x, j) => (j === i ? { ...x, callSid: e.currentTarget.value } : x)))} />
                <label for={`c-lang-${i}`}>Participant {i + 1} language</label>
                <LanguageInput id={`c-lang-${i}`} list="languages" value={r.language} onChange={(v) => setRows(rows.map((x, j) => (j === i ? { ...x, language: v } : x)))} />
                <button type="button" class="link" aria-label={`Remove participant ${i + 1}`} onClick={() => setRows(rows.filter((_, j) => j !== i))}>
                  Remove
                </button>
                <FieldErrors id={`c-participant-${i}-error`} errors={problemsOf(problems, 'participants', i)} />
              </li>
            ))}
          </ol>
          <button type="button" class="secondary" onClick={() => setRows([...rows, { callSid: '', language: '' }])}>
            Add a participant
          </button>
        </fieldset>
        <div class="buttons">
          <button type="submit">Join</button>
          <button type="button" class="secondary" onClick={act(show)}>
            Show
          </button>
          <button type="button" class="danger" onClick={act(leave)}>
            Leave
          </button>
        </div>
      </form>
      <p role="status" class="status">{status}</p>
      {error && <p class="error" role="alert">{error}</p>}
      {shown && (
        <div class="card">
          <h2>Interpreter in {shown.conference}</h2>
          <dl class="summary">
            <dt>State</dt>
            <dd>{shown.interpreter.state}</dd>
            <dt>Mode</dt>
            <dd>
              {shown.interpreter.mode}
              {shown.interpreter.fallback && ` (asked for ${shown.interpreter.requestedMode ?? '?'}: ${shown.interpreter.fallback})`}
            </dd>
            <dt>Participants</dt>
            <dd>
              {shown.interpreter.participants.length === 0 ? (
                'none yet'
              ) : (
                <ul aria-label="Participants">
                  {shown.interpreter.participants.map((p, i) => (
                    <li key={p.callSid} aria-label={`Participant ${i + 1}: ${p.callSid}`}>
                      Participant {i + 1}: <code>{p.callSid}</code>
                      {p.role && p.role !== 'participant' && `, ${p.role}`}, {p.language ?? 'language not yet detected'}
                    </li>
                  ))}
                </ul>
              )}
            </dd>
            <dt>Sessions</dt>
            <dd>
              {shown.interpreter.sessions.map((s) => (
                <span key={s.language}>
                  <span class={`badge ${s.state}`}>
                    {s.language}: {s.state}
                    {shown.interpreter.lagMs?.[s.language] !== undefined && `, lag ${seconds(shown.interpreter.lagMs[s.language])}`}
                  </span>{' '}
                </span>
              ))}
            </dd>
            <dt>Interpreter legs</dt>
            <dd>
              {shown.interpreter.legs.length === 0 ? (
                'none yet'
              ) : (
                <ul aria-label="Interpreter legs">
                  {shown.interpreter.legs.map((l) => (
                    <li key={l.endpoint}>
                      {l.whisperTo ? (
                        <>
                          whispering to <code>{l.whisperTo}</code>
                        </>
                      ) : (
                        'speaking into the room'
                      )}
                      : {l.state}
                      {l.callSid && (
                        <>
                          {' '}
                          (<code>{l.callSid}</code>)
                        </>
                      )}
                    </li>
                  ))}
                </ul>
              )}
            </dd>
          </dl>
          <p>
            <a href={href('live', shown.interpreter.callId)}>Follow it live</a> (captions, the interpreter's legs and their state)
          </p>
        </div>
      )}
    </section>
  );
}
