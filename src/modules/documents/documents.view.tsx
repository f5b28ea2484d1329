import type { Lang } from '../../platform/i18n/index.js'

/** A multi-line field in the style of the kernel's TextField: label, hint, error, described-by. */
export function TextArea(props: {
  name: string
  /** When two forms of one page share a field name (the name otherwise). */
  id?: string
  label: string
  value?: string | null
  error?: string
  hint?: string
  rows?: number
  maxlength?: number
  required?: boolean
}) {
  const id = props.id ?? props.name
  const hintId = props.hint ? `${id}-hint` : undefined
  const errorId = props.error ? `${id}-error` : undefined
  return (
    <div class={props.error ? 'field field-error' : 'field'}>
      <label for={id} safe>
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
      <textarea
        id={id}
        name={props.name}
        rows={String(props.rows ?? 3)}
        maxlength={props.maxlength}
        required={props.required}
        aria-describedby={[hintId, errorId].filter(Boolean).join(' ') || undefined}
        aria-invalid={props.error ? 'true' : undefined}
        safe
      >
        {props.value ?? ''}
      </textarea>
    </div>
  )
}

export type TargetOption = { value: string; label: string }

/** A choice of units and people in two groups; `multiple` for the supporting assignees. */
export function AssigneeSelect(props: {
  name: string
  id?: string
  label: string
  units: readonly TargetOption[]
  people: readonly TargetOption[]
  unitsLabel: string
  peopleLabel: string
  selected?: readonly string[]
  error?: string
  multiple?: boolean
}) {
  const id = props.id ?? props.name
  const errorId = props.error ? `${id}-error` : undefined
  const option = (o: TargetOption) => (
    <option value={o.value} selected={props.selected?.includes(o.value)} safe>
      {o.label}
    </option>
  )
  return (
    <div class={props.error ? 'field field-error' : 'field'}>
      <label for={id} safe>
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
        id={id}
        name={props.name}
        multiple={props.multiple ? 'multiple' : undefined}
        size={props.multiple ? '6' : undefined}
        aria-describedby={errorId}
        aria-invalid={props.error ? 'true' : undefined}
      >
        {props.multiple ? '' : <option value="">—</option>}
        <optgroup label={props.unitsLabel}>{props.units.map(option)}</optgroup>
        {props.people.length > 0 ? (
          <optgroup label={props.peopleLabel}>{props.people.map(option)}</optgroup>
        ) : (
          ''
        )}
      </select>
    </div>
  )
}

export function formatSize(bytes: number, lang: Lang): string {
  const locale = lang === 'vi' ? 'vi-VN' : 'en-GB'
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024)).toLocaleString(locale)} KB`
  return `${(bytes / 1024 / 1024).toLocaleString(locale, { maximumFractionDigits: 1 })} MB`
}

/** Stored files go out as downloads, as everywhere in the platform. */
export { sendDownload as sendFile } from '../../platform/http/download.js'

/** "DD/MM/YYYY" of a day stored as YYYY-MM-DD. */
export const dayText = (day: string | null | undefined) => (day ? day.split('-').reverse().join('/') : '')
