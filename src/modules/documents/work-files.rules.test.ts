import { describe, expect, it } from 'vitest'
import type { OrgUnit } from '../organisation/index.js'
import { allows, levelOf, share, targetsFor, WORK_FILE_CODE, workFileActions } from './work-files.rules.js'

const unit = (id: string, type: OrgUnit['type'], parentId: string | null): OrgUnit => ({
  id,
  parentId,
  path: '',
  key: id,
  name: id,
  shortName: null,
  type,
  level: 1,
  agencyCode: null,
  adminUnitCode: null,
  validFrom: '2021-01-01',
  validTo: null,
  isSample: false,
  requireTotp: false,
  source: null,
})

describe('work-file rules', () => {
  const units = [
    unit('tinh', 'province_committee', null),
    unit('so', 'department', 'tinh'),
    unit('phong', 'office', 'so'),
    unit('huyen', 'district_committee', 'tinh'),
    unit('phong-huyen', 'office', 'huyen'),
    unit('phuong', 'ward_committee', 'tinh'),
    unit('xa', 'commune_committee', 'tinh'),
  ]
  const byId = new Map(units.map((u) => [u.id, u]))
  const level = (id: string) => levelOf(byId.get(id)!, byId)

  it('counts departments and their offices with the province, an office with the unit it belongs to', () => {
    expect(['tinh', 'so', 'phong'].map(level)).toEqual(['province', 'province', 'province'])
    expect(['huyen', 'phong-huyen'].map(level)).toEqual(['district', 'district'])
    expect(['phuong', 'xa'].map(level)).toEqual(['commune', 'commune'])
  })

  it("holds the plan's targets as data: 95% province, 85% district, 80% commune", () => {
    expect(targetsFor(2025)?.targets).toEqual({ province: 0.95, district: 0.85, commune: 0.8 })
    expect(targetsFor(2027)?.source).toMatch(/2893\/QĐ-UBND/)
    expect(targetsFor(2020)).toBeUndefined()
  })

  it('allows nothing on an archived file, and no filing in a closed one', () => {
    expect(workFileActions.archived).toEqual([])
    expect(allows('closed', 'add_document')).toBe(false)
    expect(allows('closed', 'archive')).toBe(true)
    expect(allows('open', 'archive')).toBe(false)
  })

  it('gives no share when nothing was measured', () => {
    expect(share(0, 0)).toBeNull()
    expect(share(17, 20)).toBe(0.85)
  })

  it('accepts file codes as units write them', () => {
    for (const code of ['01.VP', '15/KHCN', 'HS-2026_03', 'Đ1']) expect(WORK_FILE_CODE.test(code)).toBe(true)
    for (const code of ['', ' 01', '01 VP', '.01', 'x'.repeat(51)])
      expect(WORK_FILE_CODE.test(code)).toBe(false)
  })
})
