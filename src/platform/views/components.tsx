import type { Children } from '@kitajs/html'
import type { FieldErrors } from '../http/errors.js'
import { CSRF_FIELD } from '../http/csrf.js'

export function CsrfField({ token }: { token: string }) {
  return <input type="hidden" name={CSRF_FIELD} value={token} />
}

/** GOV.UK-style summary: a list of links to each field in error, focused first by screen readers. */
export function ErrorSummary({ errors, title }: { errors: FieldErrors | undefined; title: string }) {
  const entries = Object.entries(errors ?? {})
  if (entries.length === 0) return ''
  return (
    <div class="error-summary" role="alert" tabindex="-1" aria-labelledby="error-summary-title">
      <h2 id="error-summary-title" safe>
        {title}
      </h2>
      <ul>
        {entries.map(([field, message]) => (
          <li>
            <a href={`#${field}`} lang="vi" safe>
              {message}
            </a>
          </li>
        ))}
      </ul>
    </div>
  )
}

type FieldProps = {
  name: string
  label: string
  value?: string | null | undefined
  error?: string | undefined
  hint?: string
  type?: string
  required?: boolean
  autocomplete?: string
  inputmode?: string
  maxlength?: number
}

export function TextField(props: FieldProps) {
  const hintId = props.hint ? `${props.name}-hint` : undefined
  const errorId = props.error ? `${props.name}-error` : undefined
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined
  return (
    <div class={props.error ? 'field field-error' : 'field'}>
      <label for={props.name} safe>
        {props.label}
      </label>
      {props.hint ? (
        <p class="hint" id={hintId} safe>
          {props.hint}
        </p>
      ) : (
        ''
      )}
      {props.error ? (
        <p class="error-message" id={errorId} lang="vi" safe>
          {props.error}
        </p>
      ) : (
        ''
      )}
      <input
        id={props.name}
        name={props.name}
        type={props.type ?? 'text'}
        value={props.value ?? ''}
        required={props.required}
        autocomplete={props.autocomplete}
        inputmode={props.inputmode}
        maxlength={props.maxlength}
        aria-describedby={describedBy}
        aria-invalid={props.error ? 'true' : undefined}
      />
    </div>
  )
}

export type Option = { value: string; label: string }

export function SelectField(props: Omit<FieldProps, 'type'> & { options: Option[]; emptyLabel?: string }) {
  const errorId = props.error ? `${props.name}-error` : undefined
  return (
    <div class={props.error ? 'field field-error' : 'field'}>
      <label for={props.name} safe>
        {props.label}
      </label>
      {props.error ? (
        <p class="error-message" id={errorId} lang="vi" safe>
          {props.error}
        </p>
      ) : (
        ''
      )}
      <select
        id={props.name}
        name={props.name}
        required={props.required}
        aria-describedby={errorId}
        aria-invalid={props.error ? 'true' : undefined}
      >
        {props.emptyLabel !== undefined ? (
          <option value="" safe>
            {props.emptyLabel}
          </option>
        ) : (
          ''
        )}
        {props.options.map((option) => (
          <option value={option.value} selected={option.value === props.value} safe>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  )
}

export function CheckboxField(props: { name: string; label: string; checked: boolean; hint?: string }) {
  return (
    <div class="field checkbox">
      <input
        id={props.name}
        name={props.name}
        type="checkbox"
        value="on"
        checked={props.checked}
        aria-describedby={props.hint ? `${props.name}-hint` : undefined}
      />
      <label for={props.name} safe>
        {props.label}
      </label>
      {props.hint ? (
        <p class="hint" id={`${props.name}-hint`} safe>
          {props.hint}
        </p>
      ) : (
        ''
      )}
    </div>
  )
}

/** A button that POSTs (logout, revoke): state changes never ride on a GET link. */
export function PostButton(props: {
  action: string
  csrf: string
  label: string
  variant?: 'danger' | 'link'
}) {
  return (
    <form method="post" action={props.action} class="inline-form">
      <CsrfField token={props.csrf} />
      <button type="submit" class={props.variant ?? ''} safe>
        {props.label}
      </button>
    </form>
  )
}

export function Notice({ children }: { children: Children }) {
  return (
    <div class="notice" role="status">
      {children}
    </div>
  )
}
