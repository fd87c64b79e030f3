/**
 * Numbers: every configured number, and a form to add or edit one with every setting. tolk checks
 * the settings; its per-field problems are shown beside the fields.
 */
import { useEffect, useState } from 'preact/hooks';
import { Field, FieldErrors, describedBy } from '../components/field';
import { LanguageInput, LanguageOptions } from '../components/language-input';
import { api, ApiError, problemsOf, type FieldProblem } from '../lib/api';
import { languageName, useLanguages, type Language } from '../lib/languages';
import { EMPTY_FORM, fromSettings, toSettings, type NumberForm, type NumberSettings } from '../lib/number-form';
import { href, navigate } from '../lib/router';
import { offeredLanguageMenu } from '../../../src/shared/language-menu';

export function Numbers(props: { params: string[] }) {
  const [which] = props.params;
  if (which === 'new') return <NumberEditor />;
  if (which) return <NumberEditor number={which} />;
  return <NumberList />;
}

function NumberList() {
  const languages = useLanguages();
  const [numbers, setNumbers] = useState<NumberSettings[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [confirming, setConfirming] = useState<string | undefined>();
  const [status, setStatus] = useState<string | undefined>();

  const load = () =>
    api.get<{ numbers: NumberSettings[] }>('/api/numbers').then(
      (r) => setNumbers(r.numbers),
      (e: Error) => setError(e.message),
    );
  useEffect(() => void load(), []);

  const remove = async (number: string) => {
    try {
      await api.delete(`/api/numbers/${encodeURIComponent(number)}`);
      setStatus(`Removed ${number}.`);
      setConfirming(undefined);
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <section aria-labelledby="numbers-title">
      <div class="title-row">
        <h1 id="numbers-title">Numbers</h1>
        <a class="button" href={href('numbers', 'new')}>
          Add a number
        </a>
      </div>
      <p role="status" class="status">{status}</p>
      {error && <p class="error" role="alert">{error}</p>}
      {numbers === undefined && !error && <p>Loading…</p>}
      {numbers?.length === 0 && <p>No numbers yet: every call is refused until you add one.</p>}
      {numbers && numbers.length > 0 && (
        <table>
          <caption class="visually-hidden">Configured numbers</caption>
          <thead>
            <tr>
              <th scope="col">Number</th>
              <th scope="col">Rings</th>
              <th scope="col">Caller speaks</th>
              <th scope="col">Agent speaks</th>
              <th scope="col">Mode</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {numbers.map((n) => (
              <tr key={n.number}>
                <th scope="row">
                  <a href={href('numbers', n.number)}>{n.number}</a>
                </th>
                <td>{n.destination}</td>
                <td>
                  {callerSpeaks(n, languages)}
                </td>
                <td>{languageName(languages, n.agentLanguage)}</td>
                <td>{n.mode === 'conference' ? `conference (${n.interpretation ?? 'whisper'})` : 'direct'}</td>
                <td class="actions">
                  <a href={href('numbers', n.number)} aria-label={`Edit ${n.number}`}>
                    Edit
                  </a>
                  {confirming === n.number ? (
                    <>
                      <button type="button" class="danger" onClick={() => void remove(n.number)}>
                        Remove {n.number}
                      </button>
                      <button type="button" class="link" onClick={() => setConfirming(undefined)}>
                        Keep
                      </button>
                    </>
                  ) : (
                    <button type="button" class="link" aria-label={`Remove ${n.number}`} onClick={() => setConfirming(n.number)}>
                      Remove
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function NumberEditor(props: { number?: string }) {
  const editing = props.number !== undefined;
  const languages = useLanguages();
  const [form, setForm] = useState<NumberForm | undefined>(editing ? undefined : { ...EMPTY_FORM });
  const [problems, setProblems] = useState<FieldProblem[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [status, setStatus] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!editing) return;
    api.get<NumberSettings>(`/api/numbers/${encodeURIComponent(props.number!)}`).then(
      (s) => setForm(fromSettings(s)),
      (e: Error) => setError(e.message),
    );
  }, [props.number]);

  if (!form) return error ? <p class="error" role="alert">{error}</p> : <p>Loading…</p>;
  const set = (patch: Partial<NumberForm>) => setForm({ ...form, ...patch });
  const errs = (field: string, index?: number) => problemsOf(problems, field, index);
  const known = new Set(['number', 'destination', 'callerLanguage', 'agentLanguage', 'defaultLanguage', 'languageMenu', 'rememberLanguage', 'echoTargetLanguage', 'originalVolume', 'greeting', 'mode', 'interpretation']);
  const other = problems.filter((p) => !known.has(String(p.path[0])));

  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setStatus(undefined);
    setError(undefined);
    try {
      const number = form.number.trim();
      const saved = await api.put<NumberSettings>(`/api/numbers/${encodeURIComponent(number)}`, toSettings(form));
      setProblems([]);
      setForm(fromSettings(saved));
      setStatus(`Saved ${saved.number}. The next call to it uses these settings.`);
      if (!editing) navigate('numbers', saved.number);
    } catch (err) {
      if (err instanceof ApiError && err.problems.length > 0) {
        setProblems(err.problems);
        setError(`${err.message}: see the fields marked below.`);
        const first = err.problems[0];
        const id = first.path[0] === 'languageMenu' && typeof first.path[1] === 'number' ? `f-languageMenu-${first.path[1]}` : `f-${String(first.path[0])}`;
        document.getElementById(id)?.focus();
      } else setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="number-title">
      <p>
        <a href={href('numbers')}>← All numbers</a>
      </p>
      <h1 id="number-title">{editing ? `Number ${props.number}` : 'Add a number'}</h1>
      <LanguageOptions id="languages" languages={languages} />
      <LanguageOptions id="caller-languages" languages={languages} extra={[{ code: 'auto', name: 'Detect from the first words' }]} />
      <form onSubmit={(e) => void save(e)} noValidate>
        {error && <p class="error" role="alert">{error}</p>}
        <FieldErrors id="f-other-error" errors={other.map((p) => p.message)} />
        <Field id="f-number" label="Number (E.164)" help="The Twilio number callers dial, e.g. +15550001111." errors={errs('number')}>
          {(a) => <input {...a} value={form.number} required disabled={editing} autoComplete="off" onInput={(e) => set({ number: e.currentTarget.value })} />}
        </Field>
        <Field id="f-destination" label="Destination" help="Who tolk rings: +15550002222, sip:agent@pbx.example.com or client:alice." errors={errs('destination')}>
          {(a) => <input {...a} value={form.destination} required autoComplete="off" onInput={(e) => set({ destination: e.currentTarget.value })} />}
        </Field>
        <fieldset>
          <legend>Languages</legend>
          <Field id="f-callerLanguage" label="Caller speaks" help="A language code, or auto to detect it from the caller's first words." errors={errs('callerLanguage')}>
            {(a) => <LanguageInput {...a} list="caller-languages" required value={form.callerLanguage} onChange={(v) => set({ callerLanguage: v })} />}
          </Field>
          <Field id="f-defaultLanguage" label="Default caller language" help="With auto: the language used if the caller stays silent." errors={errs('defaultLanguage')}>
            {(a) => <LanguageInput {...a} list="languages" value={form.defaultLanguage} onChange={(v) => set({ defaultLanguage: v })} />}
          </Field>
          <Field id="f-agentLanguage" label="Agent speaks" errors={errs('agentLanguage')}>
            {(a) => <LanguageInput {...a} list="languages" required value={form.agentLanguage} onChange={(v) => set({ agentLanguage: v })} />}
          </Field>
          <MenuEditor form={form} set={set} errs={errs} />
          <div class="check">
            <input id="f-rememberLanguage" type="checkbox" checked={form.rememberLanguage} onChange={(e) => set({ rememberLanguage: e.currentTarget.checked })} aria-describedby={describedBy('f-rememberLanguage', false, errs('rememberLanguage').length > 0)} />
            <label for="f-rememberLanguage">Remember each caller's language for their next call</label>
            <FieldErrors id="f-rememberLanguage-error" errors={errs('rememberLanguage')} />
          </div>
          <div class="check">
            <input id="f-echoTargetLanguage" type="checkbox" checked={form.echoTargetLanguage} onChange={(e) => set({ echoTargetLanguage: e.currentTarget.checked })} aria-describedby={describedBy('f-echoTargetLanguage', false, errs('echoTargetLanguage').length > 0)} />
            <label for="f-echoTargetLanguage">Also speak when the speaker already uses the listener's language</label>
            <FieldErrors id="f-echoTargetLanguage-error" errors={errs('echoTargetLanguage')} />
          </div>
        </fieldset>
        <fieldset>
          <legend>Call</legend>
          <Field id="f-mode" label="Mode" help="Direct: tolk rings the destination and bridges the two legs. Conference: the call joins a Twilio conference that tolk interprets." errors={errs('mode')}>
            {(a) => (
              <select {...a} value={form.mode || 'direct'} onChange={(e) => set({ mode: e.currentTarget.value })}>
                <option value="direct">direct</option>
                <option value="conference">conference</option>
              </select>
            )}
          </Field>
          <Field id="f-interpretation" label="Interpretation" help="In a conference. Whisper: each party hears only the translation meant for them. Open: everyone hears every translation." errors={errs('interpretation')}>
            {(a) => (
              <select {...a} value={form.interpretation || 'whisper'} onChange={(e) => set({ interpretation: e.currentTarget.value })}>
                <option value="whisper">whisper</option>
                <option value="open">open</option>
              </select>
            )}
          </Field>
          <Field id="f-originalVolume" label="Original voice volume" help="0 (off) to 1 (full): the other party's own voice under the translation." errors={errs('originalVolume')}>
            {(a) => <input {...a} type="number" min="0" max="1" step="0.01" inputMode="decimal" value={form.originalVolume} onInput={(e) => set({ originalVolume: e.currentTarget.value })} />}
          </Field>
          <Field id="f-greeting" label="Greeting" help="Spoken to the caller in their language before the agent is rung; leave empty for none." errors={errs('greeting')}>
            {(a) => <textarea {...a} rows={2} maxLength={1000} value={form.greeting} onInput={(e) => set({ greeting: e.currentTarget.value })} />}
          </Field>
        </fieldset>
        <div class="buttons">
          <button type="submit" disabled={busy}>
            {editing ? 'Save changes' : 'Add number'}
          </button>
        </div>
        <p role="status" class="status">{status}</p>
      </form>
    </section>
  );
}

function MenuEditor(props: { form: NumberForm; set: (p: Partial<NumberForm>) => void; errs: (f: string, i?: number) => string[] }) {
  const { form, set, errs } = props;
  const menu = form.languageMenu;
  const whole = problemsOfMenu(errs);
  return (
    <fieldset class="menu" aria-describedby={describedBy('f-languageMenu', true, whole.length > 0)}>
      <legend>Language menu</legend>
      <p id="f-languageMenu-help" class="help">
        Optional: callers press 1 for the first language, 2 for the second… (two to nine languages).
      </p>
      <ol>
        {menu.map((code, i) => (
          <li key={i}>
            <LanguageInput
              id={`f-languageMenu-${i}`}
              list="languages"
              aria-label={`Menu option ${i + 1}`}
              value={code}
              aria-invalid={errs('languageMenu', i).length > 0 ? true : undefined}
              aria-describedby={errs('languageMenu', i).length > 0 ? `f-languageMenu-${i}-error` : undefined}
              onChange={(v) => set({ languageMenu: menu.map((c, j) => (j === i ? v : c)) })}
            />
            <button type="button" class="link" aria-label={`Remove menu option ${i + 1}`} onClick={() => set({ languageMenu: menu.filter((_, j) => j !== i) })}>
              Remove
            </button>
            <FieldErrors id={`f-languageMenu-${i}-error`} errors={errs('languageMenu', i)} />
          </li>
        ))}
      </ol>
      <button type="button" class="secondary" disabled={menu.length >= 9} onClick={() => set({ languageMenu: [...menu, ''] })}>
        Add a menu language
      </button>
      <FieldErrors id="f-languageMenu-error" errors={whole} />
    </fieldset>
  );
}

/** Problems about the menu as a whole (not about one of its entries). */
function problemsOfMenu(errs: (f: string, i?: number) => string[]): string[] {
  const all = errs('languageMenu');
  const perEntry = new Set<string>();
  for (let i = 0; i < 9; i++) for (const m of errs('languageMenu', i)) perEntry.add(m);
  return all.filter((m) => !perEntry.has(m));
}

/**
 * The Numbers table's "Caller speaks": the keypad menu the callers are offered (none in conference
 * mode), else detection or the configured language.
 */
function callerSpeaks(n: NumberSettings, languages: readonly Language[]): string {
  const menu = offeredLanguageMenu(n);
  if (menu) return `menu: ${menu.join(', ')}`;
  return n.callerLanguage === 'auto' ? `detected (else ${n.defaultLanguage ?? '?'})` : languageName(languages, n.callerLanguage);
}
