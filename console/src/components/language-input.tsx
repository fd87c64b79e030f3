/**
 * A language field: free text with the supported languages offered as suggestions (a datalist),
 * so any code can be typed and tolk's answer (e.g. "unknown language 'german'; did you mean de?")
 * appears beside the field.
 */
import type { Language } from '../lib/languages';

export function LanguageOptions(props: { id: string; languages: readonly Language[]; extra?: readonly Language[] }) {
  return (
    <datalist id={props.id}>
      {[...(props.extra ?? []), ...props.languages].map((l) => (
        <option key={l.code} value={l.code}>
          {l.name}
        </option>
      ))}
    </datalist>
  );
}

export interface LanguageInputProps {
  id: string;
  list: string;
  value: string;
  required?: boolean;
  onChange: (v: string) => void;
  'aria-invalid'?: boolean;
  'aria-describedby'?: string;
  'aria-label'?: string;
}

export function LanguageInput(p: LanguageInputProps) {
  return (
    <input
      id={p.id}
      list={p.list}
      value={p.value}
      required={p.required}
      autoComplete="off"
      spellcheck={false}
      class="language"
      aria-invalid={p['aria-invalid']}
      aria-describedby={p['aria-describedby']}
      aria-label={p['aria-label']}
      onInput={(e) => p.onChange(e.currentTarget.value)}
    />
  );
}
