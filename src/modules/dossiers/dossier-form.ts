import type { FieldErrors } from '../../platform/http/errors.js'
import type { Fee, FormField } from '../catalogue/index.js'

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/

/**
 * Checks an application against the procedure's form, which is data: required fields, types, patterns and
 * the options of a select. Unknown fields are dropped, so nothing the form does not ask for is stored.
 */
export function validateForm(fields: readonly FormField[], raw: Record<string, unknown>) {
  const values: Record<string, string | number | boolean> = {}
  const errors: FieldErrors = {}
  for (const field of fields) {
    if (field.type === 'file') continue // documents are attached separately
    const input = raw[field.name]
    const text =
      typeof input === 'string'
        ? input.normalize('NFC').trim()
        : typeof input === 'number'
          ? String(input)
          : ''
    if (field.type === 'checkbox') {
      const checked = input === true || input === 'on' || input === 'true'
      if (field.required && !checked) errors[field.name] = `Cần xác nhận: ${field.label}.`
      values[field.name] = checked
      continue
    }
    if (text === '') {
      if (field.required) errors[field.name] = `Nhập ${field.label.toLowerCase()}.`
      continue
    }
    if (text.length > 2000) {
      errors[field.name] = `${field.label}: tối đa 2000 ký tự.`
      continue
    }
    switch (field.type) {
      case 'number': {
        const n = Number(text.replace(',', '.'))
        if (!Number.isFinite(n)) errors[field.name] = `${field.label} phải là một số.`
        else values[field.name] = n
        break
      }
      case 'date':
        if (!ISO_DATE.test(text) || Number.isNaN(Date.parse(`${text}T00:00:00Z`))) {
          errors[field.name] = `${field.label} phải là ngày hợp lệ (năm-tháng-ngày).`
        } else values[field.name] = text
        break
      case 'select':
        if (!field.options.includes(text))
          errors[field.name] = `Chọn ${field.label.toLowerCase()} trong danh sách.`
        else values[field.name] = text
        break
      case 'text':
      case 'textarea':
        if (field.pattern && !new RegExp(field.pattern, 'u').test(text)) {
          errors[field.name] = `${field.label} không đúng định dạng.`
        } else values[field.name] = text
        break
    }
  }
  return { values, errors }
}

/**
 * What the applicant owes: every fee that is not optional, times its quantity field when it has one (pages,
 * copies). Optional fees (an extra copy on request) are charged at the counter when asked for.
 */
export function feeDue(fees: readonly Fee[], values: Record<string, unknown>): number {
  return fees
    .filter((fee) => !fee.optional)
    .reduce((sum, fee) => {
      const quantity = fee.quantityField === null ? 1 : Number(values[fee.quantityField])
      return sum + fee.amountVnd * (Number.isFinite(quantity) && quantity > 0 ? Math.ceil(quantity) : 1)
    }, 0)
}
