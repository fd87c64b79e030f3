/**
 * A labelled form field with its help text and the API's problems for it, tied together with
 * aria-describedby / aria-invalid so a screen reader announces the error with the field.
 */
import type { ComponentChildren } from 'preact';

export interface FieldProps {
  id: string;
  label: string;
  help?: ComponentChildren;
  errors?: readonly string[];
  children: (aria: { id: string; 'aria-invalid'?: boolean; 'aria-describedby'?: string }) => ComponentChildren;
}

export function describedBy(id: string, hasHelp: boolean, hasErrors: boolean): string | undefined {
  const ids = [hasHelp ? `${id}-help` : '', hasErrors ? `${id}-error` : ''].filter(Boolean);
  return ids.length > 0 ? ids.join(' ') : undefined;
}

export function Field(props: FieldProps) {
  const errors = props.errors ?? [];
  return (
    <div class={errors.length > 0 ? 'field invalid' : 'field'}>
      <label for={props.id}>{props.label}</label>
      {props.children({
        id: props.id,
        'aria-invalid': errors.length > 0 ? true : undefined,
        'aria-describedby': describedBy(props.id, props.help !== undefined, errors.length > 0),
      })}
      {props.help !== undefined && (
        <p id={`${props.id}-help`} class="help">
          {props.help}
        </p>
      )}
      <FieldErrors id={`${props.id}-error`} errors={errors} />
    </div>
  );
}

export function FieldErrors(props: { id: string; errors: readonly string[] }) {
  if (props.errors.length === 0) return null;
  return (
    <p id={props.id} class="error">
      {props.errors.join('; ')}
    </p>
  );
}
