/** A procedure (thủ tục hành chính) as the catalogue keeps it, and the rules its data must meet. */

export const ONLINE_LEVELS = ['full', 'partial', 'none'] as const
export type OnlineLevel = (typeof ONLINE_LEVELS)[number]
export const FEE_TIMINGS = ['before_intake', 'before_result', 'none'] as const
export type FeeTiming = (typeof FEE_TIMINGS)[number]
export const DOCUMENT_KINDS = ['original', 'copy', 'original_or_copy', 'certified_copy'] as const
export type DocumentKind = (typeof DOCUMENT_KINDS)[number]
/** File types an applicant may attach, named by the extension their content is detected as. */
export const FILE_TYPES = ['pdf', 'jpg', 'png', 'tif', 'docx', 'doc', 'xlsx', 'xls', 'odt', 'xml'] as const
export type FileType = (typeof FILE_TYPES)[number]
/** Scans and PDFs: what a phone camera or a scanner produces, and what every officer can open. */
export const DEFAULT_ACCEPT: readonly FileType[] = ['pdf', 'jpg', 'png']
export const FIELD_TYPES = ['text', 'textarea', 'number', 'date', 'select', 'checkbox', 'file'] as const
export type FieldType = (typeof FIELD_TYPES)[number]
export const UNIT_TYPES = [
  'province_committee',
  'department',
  'commune_committee',
  'ward_committee',
  'office',
] as const

export type Fee = {
  name: string
  amountVnd: number
  note: string | null
  /** Charged only when the applicant asks for what it pays for (an extra copy…): not in the amount due. */
  optional: boolean
  /** A number field of the form that multiplies the amount (pages, copies), or null for a flat fee. */
  quantityField: string | null
}
export type RequiredDocument = {
  name: string
  kind: DocumentKind
  copies: number
  required: boolean
  template: string | null
  /** The file types accepted for this document (DEFAULT_ACCEPT when the catalogue says nothing). */
  accept: FileType[]
}
export type FormField = {
  name: string
  label: string
  type: FieldType
  required: boolean
  pattern: string | null
  options: string[]
}

export type ProcedureData = {
  code: string
  name: string
  field: string
  onlineLevel: OnlineLevel
  legacyLevel: number | null
  processingDays: number
  feeTiming: FeeTiming
  fees: Fee[]
  documents: RequiredDocument[]
  form: FormField[]
  resultType: string | null
  legalBasis: string[]
  unitTypes: string[]
  unitKeys: string[]
  workflow: string
  effectiveFrom: string
  effectiveTo: string | null
  isSample: boolean
  sourceNote: string | null
}

export type Procedure = ProcedureData & { id: string }

const CODE = /^\d\.\d{6}$/
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/
const IDENT = /^[a-z][A-Za-z0-9]{0,49}$/

type Problems = string[]

function text(
  raw: unknown,
  field: string,
  problems: Problems,
  opts: { min?: number; max: number; optional?: boolean },
) {
  const value =
    typeof raw === 'string' ? raw.normalize('NFC').trim().replace(/\s+/g, ' ') : raw == null ? '' : null
  if (value === null) {
    problems.push(`${field}: phải là chuỗi ký tự.`)
    return ''
  }
  if (value === '' && opts.optional) return ''
  if (value.length < (opts.min ?? 1) || value.length > opts.max) {
    problems.push(`${field}: cần từ ${opts.min ?? 1} đến ${opts.max} ký tự.`)
  }
  return value
}

function oneOf<T extends string>(raw: unknown, allowed: readonly T[], field: string, problems: Problems): T {
  if (typeof raw === 'string' && (allowed as readonly string[]).includes(raw)) return raw as T
  problems.push(`${field}: phải là một trong ${allowed.join(', ')}.`)
  return allowed[0]!
}

function integer(raw: unknown, field: string, problems: Problems, min: number, max: number): number {
  const value = typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    problems.push(`${field}: phải là số nguyên từ ${min} đến ${max}.`)
    return min
  }
  return value
}

function bool(raw: unknown, field: string, problems: Problems, fallback: boolean): boolean {
  if (raw === undefined || raw === null || raw === '') return fallback
  if (raw === true || raw === 'true') return true
  if (raw === false || raw === 'false') return false
  problems.push(`${field}: phải là true hoặc false.`)
  return fallback
}

function list(raw: unknown, field: string, problems: Problems): unknown[] {
  if (raw === undefined || raw === null || raw === '') return []
  if (Array.isArray(raw)) return raw
  problems.push(`${field}: phải là một danh sách.`)
  return []
}

function date(raw: unknown, field: string, problems: Problems, optional: boolean): string | null {
  if ((raw === undefined || raw === null || raw === '') && optional) return null
  if (typeof raw === 'string' && ISO_DATE.test(raw) && !Number.isNaN(Date.parse(`${raw}T00:00:00Z`))) {
    if (new Date(`${raw}T00:00:00Z`).toISOString().slice(0, 10) === raw) return raw
  }
  problems.push(`${field}: phải là ngày dạng YYYY-MM-DD.`)
  return null
}

/**
 * Checks one procedure from an import file, the seed or the API. Returns every problem, each prefixed with
 * the field it concerns, so an operator can fix a whole row at once.
 */
export function parseProcedure(raw: unknown): { value: ProcedureData | null; problems: string[] } {
  const problems: Problems = []
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { value: null, problems: ['thủ tục phải là một đối tượng JSON.'] }
  }
  const r = raw as Record<string, unknown>
  const code = typeof r.code === 'string' ? r.code.trim() : ''
  if (!CODE.test(code))
    problems.push('code: mã thủ tục phải có dạng 1.001193 (một chữ số, dấu chấm, sáu chữ số).')

  const fees = list(r.fees, 'fees', problems).map((item, i): Fee => {
    const f = (item ?? {}) as Record<string, unknown>
    return {
      name: text(f.name, `fees[${i}].name`, problems, { max: 300 }),
      amountVnd: integer(f.amountVnd, `fees[${i}].amountVnd`, problems, 0, 1_000_000_000),
      note: text(f.note, `fees[${i}].note`, problems, { max: 500, optional: true }) || null,
      optional: bool(f.optional, `fees[${i}].optional`, problems, false),
      quantityField: typeof f.quantityField === 'string' && f.quantityField !== '' ? f.quantityField : null,
    }
  })
  const documents = list(r.documents, 'documents', problems).map((item, i): RequiredDocument => {
    const d = (item ?? {}) as Record<string, unknown>
    return {
      name: text(d.name, `documents[${i}].name`, problems, { max: 500 }),
      kind: oneOf(d.kind, DOCUMENT_KINDS, `documents[${i}].kind`, problems),
      copies: integer(d.copies ?? 1, `documents[${i}].copies`, problems, 1, 20),
      required: bool(d.required, `documents[${i}].required`, problems, true),
      template: text(d.template, `documents[${i}].template`, problems, { max: 500, optional: true }) || null,
      accept:
        d.accept === undefined || d.accept === null
          ? [...DEFAULT_ACCEPT]
          : list(d.accept, `documents[${i}].accept`, problems).map((type, j) =>
              oneOf(type, FILE_TYPES, `documents[${i}].accept[${j}]`, problems),
            ),
    }
  })
  const seen = new Set<string>()
  const form = list(r.form, 'form', problems).map((item, i): FormField => {
    const f = (item ?? {}) as Record<string, unknown>
    const name = typeof f.name === 'string' ? f.name.trim() : ''
    if (!IDENT.test(name))
      problems.push(`form[${i}].name: tên trường phải là định danh ASCII dạng camelCase.`)
    else if (seen.has(name)) problems.push(`form[${i}].name: trùng tên trường "${name}".`)
    seen.add(name)
    const type = oneOf(f.type, FIELD_TYPES, `form[${i}].type`, problems)
    const options = list(f.options, `form[${i}].options`, problems).map((o) =>
      String(o).normalize('NFC').trim(),
    )
    if (type === 'select' && options.length === 0)
      problems.push(`form[${i}].options: trường chọn cần danh sách lựa chọn.`)
    const pattern = typeof f.pattern === 'string' && f.pattern !== '' ? f.pattern : null
    if (pattern !== null) {
      try {
        new RegExp(pattern, 'u')
      } catch {
        problems.push(`form[${i}].pattern: biểu thức chính quy không hợp lệ.`)
      }
    }
    return {
      name,
      label: text(f.label, `form[${i}].label`, problems, { max: 300 }),
      type,
      required: bool(f.required, `form[${i}].required`, problems, false),
      pattern,
      options,
    }
  })
  const legalBasis = list(r.legalBasis, 'legalBasis', problems).map((item, i) =>
    text(item, `legalBasis[${i}]`, problems, { max: 500 }),
  )
  const unitTypes = list(r.unitTypes, 'unitTypes', problems).map((item, i) =>
    oneOf(item, UNIT_TYPES, `unitTypes[${i}]`, problems),
  )
  const unitKeys = list(r.unitKeys, 'unitKeys', problems).map((item, i) => {
    const key = typeof item === 'string' ? item.trim() : ''
    if (!/^[a-z0-9][a-z0-9-]{0,99}$/.test(key)) problems.push(`unitKeys[${i}]: mã đơn vị không hợp lệ.`)
    return key
  })
  fees.forEach((fee, i) => {
    const field = form.find((f) => f.name === fee.quantityField)
    if (fee.quantityField !== null && field?.type !== 'number') {
      problems.push(`fees[${i}].quantityField: phải là tên một trường kiểu số của biểu mẫu.`)
    }
  })
  if (unitTypes.length === 0 && unitKeys.length === 0) {
    problems.push('unitTypes/unitKeys: cần ít nhất một loại đơn vị hoặc một đơn vị thực hiện.')
  }
  const workflow = typeof r.workflow === 'string' ? r.workflow.trim() : ''
  if (!/^[a-z0-9-]{2,50}$/.test(workflow)) problems.push('workflow: tên quy trình không hợp lệ.')
  const effectiveFrom = date(r.effectiveFrom, 'effectiveFrom', problems, false)
  const effectiveTo = date(r.effectiveTo, 'effectiveTo', problems, true)
  if (effectiveFrom && effectiveTo && effectiveTo < effectiveFrom) {
    problems.push('effectiveTo: không được trước effectiveFrom.')
  }
  const legacy = r.legacyLevel === null || r.legacyLevel === undefined || r.legacyLevel === ''
  const value: ProcedureData = {
    code,
    name: text(r.name, 'name', problems, { min: 3, max: 500 }),
    field: text(r.field, 'field', problems, { min: 2, max: 200 }),
    onlineLevel: oneOf(r.onlineLevel, ONLINE_LEVELS, 'onlineLevel', problems),
    legacyLevel: legacy ? null : integer(r.legacyLevel, 'legacyLevel', problems, 1, 4),
    processingDays: integer(r.processingDays, 'processingDays', problems, 0, 3650),
    feeTiming: oneOf(r.feeTiming ?? 'none', FEE_TIMINGS, 'feeTiming', problems),
    fees,
    documents,
    form,
    resultType: text(r.resultType, 'resultType', problems, { max: 500, optional: true }) || null,
    legalBasis,
    unitTypes,
    unitKeys,
    workflow,
    effectiveFrom: effectiveFrom ?? '',
    effectiveTo,
    isSample: bool(r.sample ?? r.isSample, 'sample', problems, false),
    sourceNote: text(r.sourceNote, 'sourceNote', problems, { max: 2000, optional: true }) || null,
  }
  return { value: problems.length ? null : value, problems }
}

/** Lower-case ASCII words, diacritics removed: what the search index holds. */
export function searchWords(query: string): string[] {
  return query
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .split(/[^a-z0-9.]+/)
    .map((w) => w.replace(/^\.+|\.+$/g, ''))
    .filter((w) => w.length > 0)
    .slice(0, 12)
}

/** A tsquery for "all these words, the last one as a prefix", safe to pass as a parameter. */
export function prefixTsQuery(query: string): string | null {
  const words = searchWords(query)
  if (words.length === 0) return null
  return words.map((w, i) => (i === words.length - 1 ? `${w}:*` : w)).join(' & ')
}

// CSV: one row per procedure; the lists travel as JSON in their cells.
export const CSV_COLUMNS = [
  'code',
  'name',
  'field',
  'onlineLevel',
  'legacyLevel',
  'processingDays',
  'feeTiming',
  'fees',
  'documents',
  'form',
  'resultType',
  'legalBasis',
  'unitTypes',
  'unitKeys',
  'workflow',
  'effectiveFrom',
  'effectiveTo',
  'sample',
  'sourceNote',
] as const
const JSON_COLUMNS = new Set(['fees', 'documents', 'form', 'legalBasis', 'unitTypes', 'unitKeys'])

export function csvRowToRaw(fields: string[]): { raw: Record<string, unknown>; problems: string[] } {
  const problems: string[] = []
  const raw: Record<string, unknown> = {}
  CSV_COLUMNS.forEach((column, i) => {
    const cell = fields[i] ?? ''
    if (JSON_COLUMNS.has(column) && cell.trim() !== '') {
      try {
        raw[column] = JSON.parse(cell)
      } catch {
        problems.push(`${column}: ô này phải chứa JSON hợp lệ.`)
      }
    } else {
      raw[column] = cell
    }
  })
  if (fields.length !== CSV_COLUMNS.length) {
    problems.push(`có ${fields.length} cột, cần ${CSV_COLUMNS.length}.`)
  }
  return { raw, problems }
}

export function toCsvRow(p: ProcedureData): string[] {
  const values: Record<(typeof CSV_COLUMNS)[number], unknown> = {
    code: p.code,
    name: p.name,
    field: p.field,
    onlineLevel: p.onlineLevel,
    legacyLevel: p.legacyLevel ?? '',
    processingDays: p.processingDays,
    feeTiming: p.feeTiming,
    fees: p.fees,
    documents: p.documents,
    form: p.form,
    resultType: p.resultType ?? '',
    legalBasis: p.legalBasis,
    unitTypes: p.unitTypes,
    unitKeys: p.unitKeys,
    workflow: p.workflow,
    effectiveFrom: p.effectiveFrom,
    effectiveTo: p.effectiveTo ?? '',
    sample: p.isSample,
    sourceNote: p.sourceNote ?? '',
  }
  return CSV_COLUMNS.map((c) => {
    const v = values[c]
    return JSON_COLUMNS.has(c) ? JSON.stringify(v) : String(v)
  })
}
