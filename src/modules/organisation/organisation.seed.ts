import { createHash, randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { appendAudit, SYSTEM_CONTEXT } from '../../platform/audit/audit.js'
import { inTransaction, type Db } from '../../platform/db/database.js'
import { CsvSyntaxError, parseCsv, type CsvRecord } from '../../platform/csv.js'
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

function readRecords(text: string, file: string): SeedRecord[] {
  let records: CsvRecord[]
  try {
    records = parseCsv(text, file)
  } catch (error) {
    if (error instanceof CsvSyntaxError) throw new SeedFileError(`Dòng ${error.line}: ${error.detail}.`)
    throw error
  }
  const [header, ...rows] = records
  const names = header?.fields ?? []
  if (COLUMNS.some((column, i) => names[i] !== column) || names.length !== COLUMNS.length) {
    throw new SeedFileError(`Dòng tiêu đề phải là: ${COLUMNS.join(',')}`)
  }
  return rows.map(({ line, fields }) => {
    if (fields.length !== COLUMNS.length) {
      throw new SeedFileError(`Dòng ${line}: có ${fields.length} cột, cần ${COLUMNS.length}.`)
    }
    return Object.assign(Object.fromEntries(COLUMNS.map((c, i) => [c, fields[i]!.trim()])), {
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
  return parentsFirst(readRecords(readFileSync(file, 'utf8'), file).map(toSeedUnit))
}

// The columns the seed file decides; require_totp is not among them, so it is always the officials' choice.
type SeededValues = Pick<
  OrgUnit,
  | 'parentId'
  | 'name'
  | 'shortName'
  | 'type'
  | 'level'
  | 'agencyCode'
  | 'adminUnitCode'
  | 'validFrom'
  | 'validTo'
  | 'isSample'
  | 'source'
>

function fingerprint(v: SeededValues): string {
  const values: unknown[] = [v.parentId, v.name, v.shortName, v.type, v.level, v.agencyCode, v.adminUnitCode]
  values.push(v.validFrom, v.validTo, v.isSample, v.source)
  return createHash('sha256').update(JSON.stringify(values)).digest('hex')
}

/**
 * Loads the province's org units from the seed file, matching rows by key. It runs at every start:
 * new keys are inserted; a known row takes the file's new values only while nobody has edited it
 * since the seed last wrote it, so an official's correction (say, the real agency code) survives.
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
    const keptOfficialEdits: string[] = []
    const now = new Date()

    for (const seed of units) {
      const where = `Dòng ${seed.line} (${seed.key})`
      let parent: OrgUnit | undefined
      if (seed.parentKey) {
        parent = byKey.get(seed.parentKey) ?? (await repo.findUnitByKey(tx, seed.parentKey))
        if (!parent) throw new SeedFileError(`${where}: không có đơn vị cấp trên "${seed.parentKey}".`)
      }
      const problem = placementProblem(seed.type, parent ?? null)
      if (problem) throw new SeedFileError(`${where}: ${problem}`)
      const level = levelFor(seed.type, parent?.level ?? null)
      if (level !== seed.level) throw new SeedFileError(`${where}: level phải là ${level} theo loại đơn vị.`)

      const wanted: SeededValues = {
        parentId: parent?.id ?? null,
        name: seed.name,
        shortName: seed.shortName,
        type: seed.type,
        level,
        agencyCode: seed.agencyCode,
        adminUnitCode: seed.adminUnitCode,
        validFrom: seed.validFrom,
        validTo: seed.validTo,
        isSample: seed.isSample,
        source: seed.source,
      }
      const existing = await repo.findSeededUnit(tx, seed.key)
      const wantedHash = fingerprint(wanted)
      if (existing) {
        const currentHash = fingerprint(existing.unit)
        const editedByOfficial = existing.seedHash !== null && currentHash !== existing.seedHash
        if (currentHash === wantedHash || editedByOfficial) {
          if (currentHash === wantedHash && existing.seedHash !== wantedHash) {
            // The file caught up with the official's edit: from now on the file's next change applies again.
            await repo.setSeedHash(tx, existing.unit.id, wantedHash)
          }
          if (currentHash !== wantedHash) keptOfficialEdits.push(seed.key)
          byKey.set(seed.key, existing.unit)
          continue
        }
      }
      if (wanted.agencyCode) {
        const holder = await repo.findUnitByAgencyCode(tx, wanted.agencyCode)
        if (holder && holder.key !== seed.key) {
          throw new SeedFileError(
            `${where}: mã định danh ${wanted.agencyCode} đã được dùng cho “${holder.name}”.`,
          )
        }
      }
      const row = {
        parent_id: wanted.parentId,
        name: wanted.name,
        short_name: wanted.shortName,
        type: wanted.type,
        level,
        agency_code: wanted.agencyCode,
        admin_unit_code: wanted.adminUnitCode,
        valid_from: wanted.validFrom,
        valid_to: wanted.validTo,
        is_sample: wanted.isSample,
        source: wanted.source,
        seed_hash: wantedHash,
        updated_at: now,
      }
      if (!existing) {
        const id = randomUUID()
        const path = `${parent?.path ?? '/'}${id}/`
        byKey.set(seed.key, await repo.insertUnit(tx, { ...row, id, key: seed.key, path, created_at: now }))
        inserted.push(seed.key)
        continue
      }
      const path = `${parent?.path ?? '/'}${existing.unit.id}/`
      const unit = await repo.updateUnit(tx, existing.unit.id, { ...row, path })
      if (path !== existing.unit.path) await repo.rewriteDescendantPaths(tx, existing.unit.path, path, now)
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
          details: { file: 'data/seed/org-units.csv', inserted, updated, keptOfficialEdits },
        },
        now,
      )
    }
    return { inserted: inserted.length, updated: updated.length }
  })
}
