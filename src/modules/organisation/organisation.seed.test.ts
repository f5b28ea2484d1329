import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase } from '../../../test/database.js'
import { listAudit, SYSTEM_CONTEXT, verifyAudit } from '../../platform/audit/audit.js'
import type { Actor } from '../../platform/auth/actor.js'
import type { Database } from '../../platform/db/database.js'
import { createOrganisationService, type OrganisationService } from './organisation.service.js'
import { ORG_UNITS_CSV, readSeedFile, seedOrgUnits } from './organisation.seed.js'

let database: Database
let service: OrganisationService
let first: { inserted: number; updated: number }

beforeAll(async () => {
  database = await createTestDatabase()
  service = createOrganisationService({ db: database.db, clock: () => new Date('2025-08-01T03:00:00Z') })
  first = await seedOrgUnits(database.db)
})

afterAll(async () => {
  await database.close()
})

describe('seedOrgUnits', () => {
  it('loads every row of the seed file', async () => {
    const rows = readSeedFile()
    expect(rows).toHaveLength(89)
    expect(first).toEqual({ inserted: 89, updated: 0 })
    expect(await service.listUnits()).toHaveLength(89)
  })

  it('inserts and changes nothing when run a second time', async () => {
    expect(await seedOrgUnits(database.db)).toEqual({ inserted: 0, updated: 0 })
    expect(await service.listUnits()).toHaveLength(89)
  })

  it('records the load in the audit log once, keeping the chain valid', async () => {
    const entries = await listAudit(database.db, { action: 'unit.seeded' })
    expect(entries).toHaveLength(1)
    expect((entries[0]?.details as { inserted: string[] }).inserted).toHaveLength(89)
    expect(await verifyAudit(database.db)).toMatchObject({ ok: true })
  })

  it('builds each path from the root down to the unit itself', async () => {
    const root = await service.findUnitByKey('ubnd-tinh')
    const ward = await service.findUnitByKey('phuong-thuc-phan')
    expect(root?.path).toBe(`/${root?.id}/`)
    expect(ward?.path).toBe(`/${root?.id}/${ward?.id}/`)
    expect(ward).toMatchObject({
      parentId: root?.id,
      level: 3,
      type: 'ward_committee',
      adminUnitCode: '01273',
    })
  })

  it('marks only the province committee as verified, every other agency code as sample', async () => {
    const units = await service.listUnits()
    expect(units.filter((u) => !u.isSample).map((u) => u.key)).toEqual(['ubnd-tinh'])
  })

  it('has the 56 communes and wards of the two-level structure active on 1 July 2025', async () => {
    const active = await service.listUnits({ activeOn: '2025-07-01' })
    const communes = active.filter((u) => u.type === 'commune_committee' || u.type === 'ward_committee')
    expect(communes).toHaveLength(56)
    expect(communes.filter((u) => u.type === 'ward_committee')).toHaveLength(3)
    expect(active.filter((u) => u.type === 'district_committee')).toHaveLength(0)
  })

  it('has the 10 districts active on 31 December 2024 and none of the new communes', async () => {
    const active = await service.listUnits({ activeOn: '2024-12-31' })
    expect(active.filter((u) => u.type === 'district_committee')).toHaveLength(10)
    expect(active.filter((u) => u.type === 'commune_committee' || u.type === 'ward_committee')).toHaveLength(
      0,
    )
  })

  it('shows the March 2025 department mergers: the old departments end, the new ones begin', async () => {
    const before = (await service.listUnits({ activeOn: '2025-02-28' })).map((u) => u.key)
    const after = (await service.listUnits({ activeOn: '2025-03-01' })).map((u) => u.key)
    expect(before).toContain('so-tttt')
    expect(before).not.toContain('so-nnmt')
    expect(after).not.toContain('so-tttt')
    expect(after).toContain('so-nnmt')
  })

  it('keeps an official’s correction of a seeded unit when seeding again', async () => {
    const ward = (await service.findUnitByKey('phuong-tan-giang'))!
    const root = (await service.findUnitByKey('ubnd-tinh'))!
    const admin: Actor = {
      userId: '00000000-0000-4000-8000-000000000001',
      username: 'quantri',
      fullName: 'Quản trị hệ thống',
      kind: 'official',
      homeUnitId: root.id,
      grants: [
        {
          role: 'system_admin',
          unitId: root.id,
          unitPath: root.path,
          unitName: root.name,
          includeSubtree: true,
        },
      ],
      via: 'cli',
    }
    await service.updateUnit(admin, SYSTEM_CONTEXT, ward.id, {
      agencyCode: '003.99.00.H14',
      requireTotp: true,
    })
    expect(await seedOrgUnits(database.db)).toEqual({ inserted: 0, updated: 0 })
    expect(await service.getUnit(ward.id)).toMatchObject({
      agencyCode: '003.99.00.H14',
      isSample: false,
      requireTotp: true,
    })
  })

  it('applies a corrected seed file to the rows nobody edited and adds its new rows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'org-seed-'))
    const file = join(dir, 'org-units.csv')
    const corrected = readFileSync(ORG_UNITS_CSV, 'utf8')
      .replace(',Sở Y tế,Sở YT,', ',Sở Y tế,SYT,')
      .replace(',Ủy ban nhân dân phường Tân Giang,', ',UBND phường Tân Giang (sửa),')
      .concat('so-y-te-ttyt,so-y-te,Trung tâm Kiểm soát bệnh tật tỉnh,CDC,office,3,,,2021-01-01,,false,\n')
    writeFileSync(file, corrected)
    try {
      expect(await seedOrgUnits(database.db, file)).toEqual({ inserted: 1, updated: 1 })
      expect(await service.findUnitByKey('so-y-te')).toMatchObject({ shortName: 'SYT' })
      expect(await service.findUnitByKey('phuong-tan-giang')).toMatchObject({
        name: 'Ủy ban nhân dân phường Tân Giang',
      })
      const office = await service.findUnitByKey('so-y-te-ttyt')
      const parent = await service.findUnitByKey('so-y-te')
      expect(office).toMatchObject({ parentId: parent?.id, level: 3, path: `${parent?.path}${office?.id}/` })
      const [entry] = await listAudit(database.db, { action: 'unit.seeded' })
      expect(entry?.details).toMatchObject({
        inserted: ['so-y-te-ttyt'],
        updated: ['so-y-te'],
        keptOfficialEdits: ['phuong-tan-giang'],
      })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('refuses a seed file whose level contradicts the type, naming the line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'org-seed-'))
    const file = join(dir, 'org-units.csv')
    writeFileSync(
      file,
      readFileSync(ORG_UNITS_CSV, 'utf8').replace(
        'so-tu-phap,ubnd-tinh,Sở Tư pháp,Sở TP,department,2',
        'so-tu-phap,ubnd-tinh,Sở Tư pháp,Sở TP,department,3',
      ),
    )
    try {
      await expect(seedOrgUnits(database.db, file)).rejects.toThrow(
        'Dòng 5 (so-tu-phap): level phải là 2 theo loại đơn vị.',
      )
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('search by name', () => {
  it('finds "Phường Thục Phán" when typed without diacritics', async () => {
    const found = await service.listUnits({ q: 'thuc phan' })
    expect(found.map((u) => u.key)).toEqual(['phuong-thuc-phan'])
    expect(found[0]?.name).toContain('phường Thục Phán')
  })

  it('matches đ typed as d and ignores case', async () => {
    const found = await service.listUnits({ q: 'DOC LAP' })
    expect(found.map((u) => u.key)).toEqual(['xa-doc-lap'])
    expect((await service.listUnits({ q: 'duc long' })).map((u) => u.key)).toEqual(['xa-duc-long'])
  })

  it('treats % and _ as ordinary characters', async () => {
    expect(await service.listUnits({ q: '%' })).toEqual([])
    expect(await service.listUnits({ q: '_' })).toEqual([])
  })

  it('combines the search with the active date', async () => {
    expect(await service.listUnits({ q: 'bao lam', activeOn: '2024-12-31' })).toMatchObject([
      { key: 'huyen-bao-lam' },
    ])
    expect(await service.listUnits({ q: 'bao lam', activeOn: '2025-07-01' })).toMatchObject([
      { key: 'xa-bao-lam' },
    ])
  })

  it('returns the ancestors of each match so the tree can show where it sits', async () => {
    const { units, matchIds } = await service.listUnitsWithAncestors({ q: 'thuc phan' })
    expect(units.map((u) => u.key).sort()).toEqual(['phuong-thuc-phan', 'ubnd-tinh'])
    expect(matchIds.size).toBe(1)
  })
})
