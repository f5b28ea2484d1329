import { fileURLToPath } from 'node:url'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../../test/app.js'
import { SYSTEM_CONTEXT } from '../../platform/audit/audit.js'
import { parseCsv } from '../../platform/csv.js'
import { createOrganisationModule } from '../organisation/index.js'
import { createCatalogueModule, readImportFile } from './index.js'
import { parseProcedure, prefixTsQuery } from './procedure.js'
import { chainAudit } from '../../platform/audit/audit.js'

const fixture = (name: string) => fileURLToPath(new URL(`../../../test/fixtures/${name}`, import.meta.url))
let t: TestApp
let catalogue: ReturnType<typeof createCatalogueModule>['service']

beforeAll(async () => {
  t = await createTestApp({ clock: () => new Date('2026-11-27T02:00:00Z') })
  const deps = { db: t.database.db, config: t.config, clock: () => new Date('2026-11-27T02:00:00Z') }
  catalogue = createCatalogueModule({ ...deps, organisation: createOrganisationModule(deps).service }).service
})
afterAll(() => t.close())

describe('procedure data rules', () => {
  it('names each broken field in Vietnamese', () => {
    const { value, problems } = parseProcedure({
      code: '12',
      name: 'A',
      onlineLevel: 'x',
      processingDays: 'ba',
    })
    expect(value).toBeNull()
    expect(problems).toEqual(
      expect.arrayContaining([
        'code: mã thủ tục phải có dạng 1.001193 (một chữ số, dấu chấm, sáu chữ số).',
        'name: cần từ 3 đến 500 ký tự.',
        'onlineLevel: phải là một trong full, partial, none.',
        'processingDays: phải là số nguyên từ 0 đến 3650.',
      ]),
    )
  })

  it('turns a search into a diacritic-free prefix query', () => {
    expect(prefixTsQuery('Giấy phép XÂY dựng')).toBe('giay & phep & xay & dung:*')
    expect(prefixTsQuery("đăng ký ' | & !")).toBe('dang & ky:*')
    expect(prefixTsQuery('   ')).toBeNull()
  })
})

describe('import', () => {
  it('keeps the good rows of a JSON file and reports each bad one with its line and reasons', async () => {
    const records = readImportFile(fixture('procedures-import.json'), 'json')
    const report = await catalogue.importProcedures(records, SYSTEM_CONTEXT)
    expect(report.inserted).toBe(1)
    expect(report.rejected.map((r) => [r.line, r.code])).toEqual([
      [36, '9.00002'],
      [46, '9.000003'],
    ])
    expect(report.rejected[0]!.problems.join(' ')).toMatch(/onlineLevel.*processingDays/s)
    expect(report.rejected[1]!.problems).toContain('unitKeys: không có đơn vị "so-khong-co".')
    expect((await catalogue.getInForce('9.000001')).name).toBe('Thủ tục thử nghiệm nhập hợp lệ')
  })

  it('updates a version on a second import instead of duplicating it', async () => {
    const records = readImportFile(fixture('procedures-import.json'), 'json')
    const report = await catalogue.importProcedures(records.slice(0, 1), SYSTEM_CONTEXT)
    expect(report).toMatchObject({ inserted: 0, updated: 1 })
    const rows = await sql<{
      n: number
    }>`select count(*)::int as n from procedures where code = '9.000001'`.execute(t.database.db)
    expect(rows.rows[0]!.n).toBe(1)
  })

  it('reads CSV with JSON cells and reports bad cells and dates by line, reporting progress', async () => {
    const records = readImportFile(fixture('procedures-import.csv'), 'csv')
    const progress: number[] = []
    const report = await catalogue.importProcedures(records, SYSTEM_CONTEXT, (done) => progress.push(done))
    expect(progress).toEqual([1, 2, 3])
    expect(report.inserted).toBe(1)
    expect(report.rejected.map((r) => r.line)).toEqual([3, 4])
    expect(report.rejected[0]!.problems).toContain('documents: ô này phải chứa JSON hợp lệ.')
    expect(report.rejected[1]!.problems).toContain('effectiveFrom: phải là ngày dạng YYYY-MM-DD.')
    expect((await catalogue.getInForce('9.000011')).name).toBe('Thủ tục CSV, có dấu phẩy')
  })

  it('records the import in the audit log', async () => {
    await chainAudit(t.database.db)
    const rows = await sql<{
      n: number
    }>`select count(*)::int as n from audit_log where action = 'procedure.imported'`.execute(t.database.db)
    expect(rows.rows[0]!.n).toBe(3)
  })

  it('refuses a CSV file whose header is not the catalogue format', () => {
    expect(() => readImportFile(fixture('../../data/seed/org-units.csv'), 'csv')).toThrow()
  })
})

describe('export', () => {
  it('exports CSV and JSON that import back unchanged', async () => {
    const csv = await catalogue.exportAll('csv')
    const json = JSON.parse(await catalogue.exportAll('json')) as { procedures: { code: string }[] }
    const lines = parseCsv(csv)
    expect(lines.length - 1).toBe(json.procedures.length)
    expect(json.procedures.map((p) => p.code)).toContain('9.000011')
    const again = json.procedures.map((raw, i) => ({ line: i + 1, raw }))
    const report = await catalogue.importProcedures(again, SYSTEM_CONTEXT)
    expect(report.rejected).toEqual([])
    expect(report.inserted).toBe(0)
  })
})

describe('versions in force', () => {
  it('serves the version in force on the day asked', async () => {
    const base = JSON.parse(await catalogue.exportAll('json')).procedures.find(
      (p: { code: string }) => p.code === '9.000001',
    )
    await catalogue.importProcedures(
      [
        { line: 1, raw: { ...base, effectiveTo: '2025-06-30' } },
        {
          line: 2,
          raw: {
            ...base,
            effectiveFrom: '2025-07-01',
            processingDays: 2,
            name: 'Thủ tục thử nghiệm theo quy định mới',
          },
        },
      ],
      SYSTEM_CONTEXT,
    )
    expect((await catalogue.getInForce('9.000001', '2025-01-15')).processingDays).toBe(3)
    expect((await catalogue.getInForce('9.000001', '2025-07-01')).processingDays).toBe(2)
    expect((await catalogue.getInForce('9.000001')).name).toBe('Thủ tục thử nghiệm theo quy định mới')
  })
})
