import { readFileSync } from 'node:fs'
import { appendAudit, type AuditContext } from '../../platform/audit/audit.js'
import { localDateOf } from '../../platform/calendar/index.js'
import { CsvSyntaxError, parseCsv, toCsv } from '../../platform/csv.js'
import { inTransaction } from '../../platform/db/database.js'
import { NotFoundError, ValidationError } from '../../platform/http/errors.js'
import { isUuid } from '../../platform/ids.js'
import type { ModuleDeps } from '../../platform/module.js'
import type { OrganisationService } from '../organisation/index.js'
import * as repo from './catalogue.repository.js'
import {
  csvRowToRaw,
  CSV_COLUMNS,
  ONLINE_LEVELS,
  parseProcedure,
  prefixTsQuery,
  toCsvRow,
  type Procedure,
  type ProcedureData,
} from './procedure.js'

export type CatalogueDeps = ModuleDeps & { organisation: OrganisationService }

export type ProcedureFilter = { q?: string; field?: string; unitId?: string; level?: string; after?: string }
export type ImportRecord = { line: number; raw: unknown; problems?: string[] }
export type ImportReport = {
  inserted: number
  updated: number
  rejected: { line: number; code: string; problems: string[] }[]
}

const CODE = /^\d\.\d{6}$/

/** Reads an import file: JSON (an array, or `{ procedures: [...] }`) or CSV with the catalogue's columns. */
export function readImportFile(file: string, format: 'json' | 'csv'): ImportRecord[] {
  const text = readFileSync(file, 'utf8')
  if (format === 'json') {
    let data: unknown
    try {
      data = JSON.parse(text)
    } catch (error) {
      throw new ValidationError({ file: `Tệp JSON không hợp lệ: ${(error as Error).message}` })
    }
    const items = Array.isArray(data) ? data : (data as { procedures?: unknown })?.procedures
    if (!Array.isArray(items))
      throw new ValidationError({ file: 'Tệp JSON phải là một danh sách thủ tục hoặc có khóa "procedures".' })
    const lines = jsonItemLines(text, items.length)
    return items.map((raw, i) => ({ line: lines[i] ?? i + 1, raw }))
  }
  let records
  try {
    records = parseCsv(text, file)
  } catch (error) {
    if (error instanceof CsvSyntaxError) throw new ValidationError({ file: error.message })
    throw error
  }
  const [header, ...rows] = records
  const names = header?.fields.map((f) => f.trim()) ?? []
  if (names.join(',') !== CSV_COLUMNS.join(',')) {
    throw new ValidationError({ file: `Dòng tiêu đề CSV phải là: ${CSV_COLUMNS.join(',')}` })
  }
  return rows.map(({ line, fields }) => {
    const { raw, problems } = csvRowToRaw(fields)
    return { line, raw, problems }
  })
}

/** Line on which each top-level item of a `procedures` array starts, for error messages. */
function jsonItemLines(text: string, count: number): number[] {
  const lines: number[] = []
  const start = text.indexOf('[')
  let depth = 0
  let line = 1
  let inString = false
  for (let i = 0; i < text.length && lines.length < count; i++) {
    const c = text[i]
    if (c === '\n') line++
    if (i < start) continue
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') inString = false
      continue
    }
    if (c === '"') inString = true
    else if (c === '[' || c === '{') {
      if (depth === 1 && c === '{') lines.push(line)
      depth++
    } else if (c === ']' || c === '}') depth--
  }
  return lines
}

export function createCatalogueService({ db, clock, organisation }: CatalogueDeps) {
  const today = () => localDateOf(clock())

  async function search(filter: ProcedureFilter, limit = 20) {
    const level =
      filter.level && (ONLINE_LEVELS as readonly string[]).includes(filter.level) ? filter.level : undefined
    let unitType: string | undefined
    let unitKey: string | null = null
    if (filter.unitId && isUuid(filter.unitId)) {
      const [unit] = await organisation.findUnitsByIds([filter.unitId])
      if (unit) {
        unitType = unit.type
        unitKey = unit.key
      }
    }
    const after = filter.after ? decodeCursor(filter.after) : undefined
    const rows = await repo.searchProcedures(db, {
      tsquery: prefixTsQuery(filter.q ?? ''),
      field: filter.field || undefined,
      unitType,
      unitKey,
      onlineLevel: level,
      activeOn: today(),
      after,
      limit: limit + 1,
    })
    const items = rows.slice(0, limit).map(repo.toProcedure)
    const last = items[items.length - 1]
    return { items, next: rows.length > limit && last ? encodeCursor(last) : null }
  }

  async function getInForce(code: string, day = today()): Promise<Procedure> {
    const row = CODE.test(code) ? await repo.findInForce(db, code, day) : undefined
    if (!row) throw new NotFoundError('Không tìm thấy thủ tục hành chính với mã này.')
    return repo.toProcedure(row)
  }

  /** Units that carry out a procedure, as of today: named units plus every active unit of the named types. */
  async function performingUnits(procedure: Procedure) {
    const units = await organisation.listUnits({ activeOn: today() })
    return units.filter(
      (u) => procedure.unitKeys.includes(u.key ?? '') || procedure.unitTypes.includes(u.type),
    )
  }

  /**
   * Imports what is valid and reports the rest by line: one bad row never blocks the good ones.
   * Each row is its own transaction, so an interrupted import keeps what it already stored.
   */
  async function importProcedures(
    records: ImportRecord[],
    ctx: AuditContext,
    onProgress: (done: number, total: number) => void = () => {},
  ): Promise<ImportReport> {
    const report: ImportReport = { inserted: 0, updated: 0, rejected: [] }
    const knownKeys = new Set((await organisation.listUnits({})).map((u) => u.key).filter(Boolean))
    const codes: string[] = []
    for (const [index, record] of records.entries()) {
      const { value, problems } = parseProcedure(record.raw)
      const all = [...(record.problems ?? []), ...problems]
      for (const key of value?.unitKeys ?? []) {
        if (!knownKeys.has(key)) all.push(`unitKeys: không có đơn vị "${key}".`)
      }
      if (all.length > 0 || !value) {
        const code = String((record.raw as { code?: unknown } | null)?.code ?? '')
        report.rejected.push({ line: record.line, code, problems: all })
      } else {
        const outcome = await repo.upsertProcedure(db, value, clock())
        report[outcome]++
        codes.push(value.code)
      }
      onProgress(index + 1, records.length)
    }
    await appendAudit(db, ctx, {
      action: 'procedure.imported',
      objectType: 'procedure',
      details: {
        inserted: report.inserted,
        updated: report.updated,
        rejected: report.rejected.length,
        codes: codes.slice(0, 500),
      },
    })
    return report
  }

  async function exportAll(format: 'json' | 'csv'): Promise<string> {
    const all = (await repo.listAll(db)).map(repo.toProcedure).map(({ id: _id, ...data }) => data)
    if (format === 'csv') return toCsv([[...CSV_COLUMNS], ...all.map(toCsvRow)])
    return `${JSON.stringify({ version: 1, procedures: all.map(toJsonItem) }, null, 2)}\n`
  }

  return {
    today,
    search,
    getInForce,
    performingUnits,
    importProcedures,
    exportAll,
    fields: () => repo.listFields(db),
  }
}

export type CatalogueService = ReturnType<typeof createCatalogueService>

/** The JSON file format uses `sample`, like the seed file. */
function toJsonItem({ isSample, ...rest }: ProcedureData) {
  return { ...rest, sample: isSample }
}

function encodeCursor(p: Procedure): string {
  return Buffer.from(JSON.stringify([p.name, p.code])).toString('base64url')
}

function decodeCursor(cursor: string): { name: string; code: string } | undefined {
  try {
    const [name, code] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[]
    return typeof name === 'string' && typeof code === 'string' ? { name, code } : undefined
  } catch {
    return undefined
  }
}

/** Loads the shipped catalogue; versions already stored (perhaps edited since) are left alone. */
export async function seedProcedures(deps: CatalogueDeps, file: string): Promise<{ inserted: number }> {
  const records = readImportFile(file, 'json')
  const problems = records.flatMap((record) =>
    parseProcedure(record.raw).problems.map((problem) => `${file}, dòng ${record.line}: ${problem}`),
  )
  if (problems.length > 0) throw new Error(`Dữ liệu thủ tục mẫu không hợp lệ:\n${problems.join('\n')}`)
  let inserted = 0
  await inTransaction(deps.db, async (tx) => {
    for (const record of records) {
      if (await repo.insertProcedureIfMissing(tx, parseProcedure(record.raw).value!)) inserted++
    }
  })
  return { inserted }
}
