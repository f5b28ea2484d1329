import type { FieldErrors } from '../../platform/http/errors.js'

export const OrgUnitType = {
  provinceCommittee: 'province_committee',
  department: 'department',
  districtCommittee: 'district_committee',
  communeCommittee: 'commune_committee',
  wardCommittee: 'ward_committee',
  office: 'office',
} as const
export type OrgUnitType = (typeof OrgUnitType)[keyof typeof OrgUnitType]
export const ORG_UNIT_TYPES = Object.values(OrgUnitType)

export type OrgUnit = {
  id: string
  parentId: string | null
  /** '/<root id>/…/<own id>/': permission checks on a subtree are prefix matches. */
  path: string
  key: string | null
  name: string
  shortName: string | null
  type: OrgUnitType
  level: number
  agencyCode: string | null
  adminUnitCode: string | null
  /** YYYY-MM-DD */
  validFrom: string
  validTo: string | null
  isSample: boolean
  requireTotp: boolean
  source: string | null
}

export const MAX_LEVEL = 4

// An office sits one level below whatever it belongs to; every other type has the level of its tier.
const TIER_LEVEL = {
  province_committee: 1,
  department: 2,
  district_committee: 2,
  commune_committee: 3,
  ward_committee: 3,
} as const satisfies Record<Exclude<OrgUnitType, 'office'>, number>

export function levelFor(type: OrgUnitType, parentLevel: number | null): number {
  return type === 'office' ? (parentLevel ?? 0) + 1 : TIER_LEVEL[type]
}

/** Why a unit of this type cannot sit under this parent, or undefined when it can. */
export function placementProblem(type: OrgUnitType, parent: { level: number } | null): string | undefined {
  if (type === 'province_committee') {
    return parent ? 'UBND tỉnh là đơn vị gốc, không có đơn vị cấp trên.' : undefined
  }
  if (!parent) return 'Chọn đơn vị cấp trên.'
  const level = levelFor(type, parent.level)
  if (level > MAX_LEVEL)
    return `Cây đơn vị chỉ có tối đa ${MAX_LEVEL} cấp; không thể thêm đơn vị dưới đơn vị này.`
  if (level <= parent.level) return 'Loại đơn vị này không thể trực thuộc đơn vị cấp trên đã chọn.'
  return undefined
}

export const AGENCY_CODE = /^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$/
export const ADMIN_UNIT_CODE = /^(\d{2}|\d{3}|\d{5})$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function isUuid(value: string): boolean {
  return UUID.test(value)
}

/** The calendar day in Việt Nam at that instant, as YYYY-MM-DD. */
export function vietnamDate(at: Date): string {
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh' }).format(at)
}

/** Accepts YYYY-MM-DD (a date input) and D/M/YYYY (typed by hand where the browser has no date picker). */
export function parseDate(text: string): string | undefined {
  let y: number, m: number, d: number
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text)
  const vn = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text)
  if (iso) [y, m, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])]
  else if (vn) [d, m, y] = [Number(vn[1]), Number(vn[2]), Number(vn[3])]
  else return undefined
  if (y < 1900 || y > 2200) return undefined
  const date = new Date(Date.UTC(y, m - 1, d))
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return undefined
  return date.toISOString().slice(0, 10)
}

/** DD/MM/YYYY, as dates are written in Việt Nam. */
export function formatDate(iso: string): string {
  const [y, m, d] = iso.split('-')
  return `${d}/${m}/${y}`
}

export function isActiveOn(unit: Pick<OrgUnit, 'validFrom' | 'validTo'>, date: string): boolean {
  return unit.validFrom <= date && (unit.validTo === null || unit.validTo >= date)
}

/** Ids of the unit's ancestors, root first, read from its path. */
export function ancestorIds(unit: Pick<OrgUnit, 'id' | 'path'>): string[] {
  return unit.path.split('/').filter((id) => id !== '' && id !== unit.id)
}

/** Fields an official may set, in the order the form shows them (error summaries follow it). */
export const UNIT_FIELDS = [
  'parentId',
  'name',
  'shortName',
  'type',
  'agencyCode',
  'adminUnitCode',
  'validFrom',
  'validTo',
  'requireTotp',
] as const
export type UnitField = (typeof UNIT_FIELDS)[number]

export type UnitFields = {
  parentId: string | null
  name: string
  shortName: string | null
  type: OrgUnitType
  agencyCode: string | null
  adminUnitCode: string | null
  validFrom: string
  validTo: string | null
  requireTotp: boolean
}

export type ParsedUnitInput = { values: Partial<UnitFields>; errors: FieldErrors }

/** Trimmed, NFC, inner runs of spaces collapsed: "Sở  Y tế" typed twice must be one name. */
export function normaliseText(value: string): string {
  return value.normalize('NFC').replace(/\s+/g, ' ').trim()
}

function length(text: string): number {
  return [...text].length
}

// eslint-disable-next-line no-control-regex -- rejecting control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

/**
 * Reads what a form or a JSON body sent, field by field. A field that was not sent is left out, so
 * an update changes only what it names; an empty form field means "none" where "none" is allowed.
 */
export function parseUnitInput(input: unknown): ParsedUnitInput {
  const errors: FieldErrors = {}
  const values: Partial<UnitFields> = {}
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { values, errors: { name: 'Dữ liệu gửi lên không hợp lệ.' } }
  }
  const raw = input as Record<string, unknown>
  for (const key of Object.keys(raw)) {
    if (!(UNIT_FIELDS as readonly string[]).includes(key) && raw[key] !== undefined) {
      errors[key] = `Trường "${key}" không được chấp nhận.`
    }
  }

  // undefined: not sent; null: sent empty; string: sent, normalised.
  const text = (field: UnitField, label: string): string | null | undefined => {
    const value = raw[field]
    if (value === undefined) return undefined
    if (value === null) return null
    if (typeof value !== 'string') {
      errors[field] = `${label} phải là chuỗi ký tự.`
      return undefined
    }
    const normalised = normaliseText(value)
    if (CONTROL.test(normalised)) {
      errors[field] = `${label} không được chứa ký tự điều khiển.`
      return undefined
    }
    return normalised === '' ? null : normalised
  }

  const parentId = text('parentId', 'Đơn vị cấp trên')
  if (parentId !== undefined) {
    if (parentId !== null && !isUuid(parentId)) errors.parentId = 'Đơn vị cấp trên không tồn tại.'
    else values.parentId = parentId === null ? null : parentId.toLowerCase()
  }

  const name = text('name', 'Tên đơn vị')
  if (name === null) errors.name = 'Nhập tên đơn vị.'
  else if (name !== undefined) {
    if (length(name) < 2 || length(name) > 200) errors.name = 'Tên đơn vị phải có từ 2 đến 200 ký tự.'
    else values.name = name
  }

  const shortName = text('shortName', 'Tên viết tắt')
  if (shortName !== undefined) {
    if (shortName !== null && length(shortName) > 100)
      errors.shortName = 'Tên viết tắt chỉ được tối đa 100 ký tự.'
    else values.shortName = shortName
  }

  const type = text('type', 'Loại đơn vị')
  if (type === null) errors.type = 'Chọn loại đơn vị.'
  else if (type !== undefined) {
    if ((ORG_UNIT_TYPES as readonly string[]).includes(type)) values.type = type as OrgUnitType
    else errors.type = 'Loại đơn vị không nằm trong danh sách cho phép.'
  }

  const agencyCode = text('agencyCode', 'Mã định danh')
  if (agencyCode !== undefined) {
    const code = agencyCode?.toUpperCase() ?? null
    if (code !== null && !AGENCY_CODE.test(code)) {
      errors.agencyCode = 'Mã định danh phải có dạng 000.00.00.H14 (theo QCVN 102:2016/BTTTT).'
    } else values.agencyCode = code
  }

  const adminUnitCode = text('adminUnitCode', 'Mã đơn vị hành chính')
  if (adminUnitCode !== undefined) {
    if (adminUnitCode !== null && !ADMIN_UNIT_CODE.test(adminUnitCode)) {
      errors.adminUnitCode = 'Mã đơn vị hành chính gồm 2, 3 hoặc 5 chữ số (ví dụ 04, 040, 01273).'
    } else values.adminUnitCode = adminUnitCode
  }

  const validFrom = text('validFrom', 'Ngày bắt đầu hiệu lực')
  if (validFrom === null) errors.validFrom = 'Nhập ngày bắt đầu hiệu lực.'
  else if (validFrom !== undefined) {
    const date = parseDate(validFrom)
    if (date) values.validFrom = date
    else
      errors.validFrom =
        'Ngày bắt đầu hiệu lực không phải ngày hợp lệ (dạng ngày/tháng/năm, ví dụ 01/07/2025).'
  }

  const validTo = text('validTo', 'Ngày hết hiệu lực')
  if (validTo !== undefined) {
    const date = validTo === null ? null : parseDate(validTo)
    if (date === undefined) {
      errors.validTo = 'Ngày hết hiệu lực không phải ngày hợp lệ (dạng ngày/tháng/năm, ví dụ 30/06/2025).'
    } else values.validTo = date
  }

  const requireTotp = raw.requireTotp
  if (typeof requireTotp === 'boolean') values.requireTotp = requireTotp
  else if (requireTotp === null || requireTotp === '') values.requireTotp = false
  else if (
    typeof requireTotp === 'string' &&
    ['on', 'true', '1', 'false', '0', 'off'].includes(requireTotp)
  ) {
    // an HTML checkbox sends "on" when ticked and nothing at all when not
    values.requireTotp = ['on', 'true', '1'].includes(requireTotp)
  } else if (requireTotp !== undefined)
    errors.requireTotp = 'Giá trị "yêu cầu xác thực hai lớp" không hợp lệ.'

  return { values, errors }
}

/** Field errors in form order, so the summary reads top to bottom like the form. */
export function orderErrors(errors: FieldErrors): FieldErrors {
  const known = UNIT_FIELDS.filter((f) => errors[f] !== undefined).map((f) => [f, errors[f]!] as const)
  const other = Object.entries(errors).filter(([f]) => !(UNIT_FIELDS as readonly string[]).includes(f))
  return Object.fromEntries([...known, ...other])
}

export type UnitNode = { unit: OrgUnit; children: UnitNode[] }

const TYPE_ORDER: Record<OrgUnitType, number> = {
  province_committee: 0,
  department: 1,
  district_committee: 2,
  ward_committee: 3,
  commune_committee: 4,
  office: 5,
}

// Departments by agency code, communes by their national code: the order official lists use.
function compareUnits(a: OrgUnit, b: OrgUnit): number {
  return (
    TYPE_ORDER[a.type] - TYPE_ORDER[b.type] ||
    (a.adminUnitCode ?? '').localeCompare(b.adminUnitCode ?? '') ||
    (a.agencyCode ?? '~').localeCompare(b.agencyCode ?? '~') ||
    a.name.localeCompare(b.name, 'vi')
  )
}

/** Nests a list of units; a unit whose parent is not in the list becomes a top-level node. */
export function buildTree(units: OrgUnit[]): UnitNode[] {
  const nodes = new Map(units.map((unit) => [unit.id, { unit, children: [] as UnitNode[] }]))
  const roots: UnitNode[] = []
  for (const node of nodes.values()) {
    const parent = node.unit.parentId ? nodes.get(node.unit.parentId) : undefined
    if (parent) parent.children.push(node)
    else roots.push(node)
  }
  const sort = (list: UnitNode[]) => {
    list.sort((a, b) => compareUnits(a.unit, b.unit))
    for (const node of list) sort(node.children)
  }
  sort(roots)
  return roots
}
