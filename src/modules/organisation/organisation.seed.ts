import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { appendAudit, SYSTEM_CONTEXT } from '../../platform/audit/audit.js'
import { inTransaction, type Db } from '../../platform/db/database.js'
import { levelFor, parseUnitInput, placementProblem, type OrgUnit, type OrgUnitType } from './org-unit.js'
import * as repo from './organisation.repository.js'

export const ORG_UNITS_CSV = fileURLToPath(new URL('../../../data/seed/org-units.csv', import.meta.url))

const COLUMNS = [
  'key',
  'parent_key',
  'name',
  'short_name',
  'type',
  'level',
  'agency_code',
  'admin_unit_code',
  'valid_from',
  'valid_to',
  'sample',
  'source',
] as const
type SeedRecord = Record<(typeof COLUMNS)[number], string> & { line: number }

export type SeedUnit = {
  key: string
  parentKey: string | null
  name: string
  shortName: string | null
  type: OrgUnitType
  level: number
  agencyCode: string | null
  adminUnitCode: string | null
  validFrom: string
  validTo: string | null
  isSample: boolean
  source: string | null
  line: number
}

/** Thrown when the seed file breaks a rule; names the line so it can be fixed by hand. */
export class SeedFileError extends Error {}

/** RFC 4180: comma-separated, fields with commas or quotes are quoted, a quote inside is doubled. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  const input = text.replace(/^\uFEFF/, '')
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!
    if (quoted) {
      if (c === '"' && input[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"' && field === '') quoted = true
    else if (c === ',') {
      row.push(field)
      field = ''
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && input[i + 1] === '\n') i++
      row.push(field)
      rows.push(row)
      row = []
      field = ''
    } else field += c
  }
  if (quoted) throw new SeedFileError('Tệp CSV có một trường mở ngoặc kép mà không đóng.')
  if (field !== '' || row.length > 0) {
    row.push(field)
    rows.push(row)
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''))
}

function readRecords(text: string): SeedRecord[] {
  const [header, ...rows] = parseCsv(text)
  if (!header || COLUMNS.some((column, i) => header[i] !== column) || header.length !== COLUMNS.length) {
    throw new SeedFileError(`Dòng tiêu đề phải là: ${COLUMNS.join(',')}`)
  }
  return rows.map((cells, index) => {
    const line = index + 2
    if (cells.length !== COLUMNS.length) {
      throw new SeedFileError(`Dòng ${line}: có ${cells.length} cột, cần ${COLUMNS.length}.`)
    }
    return Object.assign(Object.fromEntries(COLUMNS.map((c, i) => [c, cells[i]!.trim()])), {
      line,
    }) as unknown as SeedRecord
  })
}

/** The same field rules as a form, so the seed cannot hold what an official could not type. */
function toSeedUnit(record: SeedRecord): SeedUnit {
  const where = `Dòng ${record.line} (${record.key || 'không có key'})`
  if (!/^[a-z0-9][a-z0-9-]{0,99}$/.test(record.key)) throw new SeedFileError(`${where}: key không hợp lệ.`)
  const { values, errors } = parseUnitInput({
    name: record.name,
    shortName: record.short_name,
    type: record.type,
    agencyCode: record.agency_code,
    adminUnitCode: record.admin_unit_code,
    validFrom: record.valid_from,
    validTo: record.valid_to,
  })
  const problems = Object.entries(errors).map(([field, message]) => `${field}: ${message}`)
  if (!['true', 'false'].includes(record.sample)) problems.push('sample: phải là true hoặc false.')
  if (!/^[1-4]$/.test(record.level)) problems.push('level: phải là số từ 1 đến 4.')
  if (values.validTo && values.validFrom && values.validTo < values.validFrom) {
    problems.push('valid_to: không được trước valid_from.')
  }
  if (problems.length > 0 || !values.name || !values.type || !values.validFrom) {
    throw new SeedFileError(`${where}: ${problems.join(' ')}`)
  }
  return {
    key: record.key,
    parentKey: record.parent_key || null,
    name: values.name,
    shortName: values.shortName ?? null,
    type: values.type,
    level: Number(record.level),
    agencyCode: values.agencyCode ?? null,
    adminUnitCode: values.adminUnitCode ?? null,
    validFrom: values.validFrom,
    validTo: values.validTo ?? null,
    isSample: record.sample === 'true',
    source: record.source || null,
    line: record.line,
  }
}

/** Orders the rows so every parent comes before its children, whatever order the file uses. */
function parentsFirst(units: SeedUnit[]): SeedUnit[] {
  const byKey = new Map<string, SeedUnit>()
  for (const unit of units) {
    if (byKey.has(unit.key)) throw new SeedFileError(`Dòng ${unit.line}: key "${unit.key}" bị trùng.`)
    byKey.set(unit.key, unit)
  }
  const depth = new Map<string, number>()
  const depthOf = (unit: SeedUnit, seen: Set<string>): number => {
    const known = depth.get(unit.key)
    if (known !== undefined) return known
    if (seen.has(unit.key))
      throw new SeedFileError(`Dòng ${unit.line}: "${unit.key}" nằm trong một vòng lặp cấp trên.`)
    seen.add(unit.key)
    const parent = unit.parentKey ? byKey.get(unit.parentKey) : undefined
    const d = parent ? depthOf(parent, seen) + 1 : 0
    depth.set(unit.key, d)
    return d
  }
  return units
    .map((unit, index) => ({ unit, index, depth: depthOf(unit, new Set()) }))
    .sort((a, b) => a.depth - b.depth || a.index - b.index)
    .map(({ unit }) => unit)
}

export function readSeedFile(file = ORG_UNITS_CSV): SeedUnit[] {
  return parentsFirst(readRecords(readFileSync(file, 'utf8')).map(toSeedUnit))
}

/**
 * Loads the province's org units from the seed file, matching rows by key: new keys are inserted,
 * known keys get the file's values. require_totp is not in the file, so an official's choice survives.
 */
export async function seedOrgUnits(
  db: Db,
  file = ORG_UNITS_CSV,
): Promise<{ inserted: number; updated: number }> {
  const units = readSeedFile(file)
  return inTransaction(db, async (tx) => {
    const byKey = new Map<string, OrgUnit>()
    const inserted: string[] = []
    const updated: string[] = []
    const now = new Date()

    for (const seed of units) {
      let parent: OrgUnit | undefined
      if (seed.parentKey) {
        parent = byKey.get(seed.parentKey) ?? (await repo.findUnitByKey(tx, seed.parentKey))
        if (!parent)
          throw new SeedFileError(`Dòng ${seed.line}: không có đơn vị cấp trên "${seed.parentKey}".`)
      }
      const where = `Dòng ${seed.line} (${seed.key})`
      const problem = placementProblem(seed.type, parent ?? null)
      if (problem) throw new SeedFileError(`${where}: ${problem}`)
      const level = levelFor(seed.type, parent?.level ?? null)
      if (level !== seed.level) throw new SeedFileError(`${where}: level phải là ${level} theo loại đơn vị.`)

      const fields = {
        parent_id: parent?.id ?? null,
        name: seed.name,
        short_name: seed.shortName,
        type: seed.type,
        level,
        agency_code: seed.agencyCode,
        admin_unit_code: seed.adminUnitCode,
        valid_from: seed.validFrom,
        valid_to: seed.validTo,
        is_sample: seed.isSample,
        source: seed.source,
      }
      const existing = await repo.findUnitByKey(tx, seed.key)
      if (!existing) {
        const id = randomUUID()
        const unit = await repo.insertUnit(tx, {
          ...fields,
          id,
          key: seed.key,
          path: `${parent?.path ?? '/'}${id}/`,
          created_at: now,
          updated_at: now,
        })
        byKey.set(seed.key, unit)
        inserted.push(seed.key)
        continue
      }
      const path = `${parent?.path ?? '/'}${existing.id}/`
      const same =
        existing.parentId === fields.parent_id &&
        existing.path === path &&
        existing.name === fields.name &&
        existing.shortName === fields.short_name &&
        existing.type === fields.type &&
        existing.level === fields.level &&
        existing.agencyCode === fields.agency_code &&
        existing.adminUnitCode === fields.admin_unit_code &&
        existing.validFrom === fields.valid_from &&
        existing.validTo === fields.valid_to &&
        existing.isSample === fields.is_sample &&
        existing.source === fields.source
      if (same) {
        byKey.set(seed.key, existing)
        continue
      }
      const unit = await repo.updateUnit(tx, existing.id, { ...fields, path, updated_at: now })
      if (path !== existing.path) await repo.rewriteDescendantPaths(tx, existing.path, path, now)
      byKey.set(seed.key, unit)
      updated.push(seed.key)
    }

    if (inserted.length + updated.length > 0) {
      await appendAudit(
        tx,
        SYSTEM_CONTEXT,
        {
          action: 'unit.seeded',
          objectType: 'org_unit',
          details: { file: 'data/seed/org-units.csv', inserted, updated },
        },
        now,
      )
    }
    return { inserted: inserted.length, updated: updated.length }
  })
}
