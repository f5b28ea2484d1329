import type { FieldErrors } from '../../platform/http/errors.js'
import { SelectField, TextField } from '../../platform/views/components.js'
import type { FormField } from '../catalogue/index.js'

/** A procedure's form, rendered from its data; `prefix` namespaces the inputs when the page has other fields. */
export function FormFields(props: {
  fields: readonly FormField[]
  values: Record<string, string | undefined>
  errors?: FieldErrors
  prefix?: string
}) {
  const prefix = props.prefix ?? ''
  return (
    <>
      {props.fields
        .filter((f) => f.type !== 'file')
        .map((f) => {
          const name = `${prefix}${f.name}`
          return f.type === 'select' ? (
            <SelectField
              name={name}
              label={f.label}
              options={f.options.map((o) => ({ value: o, label: o }))}
              emptyLabel="—"
              value={props.values[name]}
              error={props.errors?.[name]}
              required={f.required}
            />
          ) : (
            <TextField
              name={name}
              label={f.label}
              type={f.type === 'date' ? 'date' : f.type === 'number' ? 'number' : 'text'}
              value={props.values[name]}
              error={props.errors?.[name]}
              required={f.required}
            />
          )
        })}
    </>
  )
}
