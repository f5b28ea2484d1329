import { describe, expect, it } from 'vitest'
import {
  buildTree,
  levelFor,
  parseDate,
  parseUnitInput,
  placementProblem,
  vietnamDate,
  type OrgUnit,
} from './org-unit.js'

describe('parseUnitInput', () => {
  it('trims, collapses spaces and NFC-normalises names typed in decomposed form', () => {
    const decomposed = '  Sở  Y te\u0302\u0301  '.normalize('NFD')
    const { values, errors } = parseUnitInput({ name: decomposed })
    expect(errors).toEqual({})
    expect(values.name).toBe('Sở Y tế')
    expect(values.name).toBe(values.name?.normalize('NFC'))
  })

  it('reads an empty optional form field as "none" and leaves unsent fields out', () => {
    const { values } = parseUnitInput({ shortName: '', agencyCode: '  ', validTo: '' })
    expect(values).toEqual({ shortName: null, agencyCode: null, validTo: null })
  })

  it('gives one Vietnamese message per field in error', () => {
    const { errors } = parseUnitInput({
      name: 'X',
      type: 'ministry',
      agencyCode: '000.00.00.h1',
      adminUnitCode: '0404',
      validFrom: '2025-02-30',
      validTo: 'ngày mai',
      requireTotp: 'maybe',
    })
    expect(errors).toEqual({
      name: 'Tên đơn vị phải có từ 2 đến 200 ký tự.',
      type: 'Loại đơn vị không nằm trong danh sách cho phép.',
      agencyCode: 'Mã định danh phải có dạng 000.00.00.H14 (theo QCVN 102:2016/BTTTT).',
      adminUnitCode: 'Mã đơn vị hành chính gồm 2, 3 hoặc 5 chữ số (ví dụ 04, 040, 01273).',
      validFrom: 'Ngày bắt đầu hiệu lực không phải ngày hợp lệ (dạng ngày/tháng/năm, ví dụ 01/07/2025).',
      validTo: 'Ngày hết hiệu lực không phải ngày hợp lệ (dạng ngày/tháng/năm, ví dụ 30/06/2025).',
      requireTotp: 'Giá trị "yêu cầu xác thực hai lớp" không hợp lệ.',
    })
  })

  it('upper-cases a lower-case agency code instead of refusing it', () => {
    expect(parseUnitInput({ agencyCode: '000.01.00.h14' }).values.agencyCode).toBe('000.01.00.H14')
  })

  it('refuses fields it does not know and values of the wrong kind', () => {
    const { errors } = parseUnitInput({ name: 42, isSample: true })
    expect(errors).toEqual({
      isSample: 'Trường "isSample" không được chấp nhận.',
      name: 'Tên đơn vị phải là chuỗi ký tự.',
    })
  })

  it('reads a ticked checkbox as true and an explicit boolean as itself', () => {
    expect(parseUnitInput({ requireTotp: 'on' }).values.requireTotp).toBe(true)
    expect(parseUnitInput({ requireTotp: false }).values.requireTotp).toBe(false)
  })
})

describe('parseDate', () => {
  it('accepts ISO dates and dates written day/month/year', () => {
    expect(parseDate('2025-07-01')).toBe('2025-07-01')
    expect(parseDate('1/7/2025')).toBe('2025-07-01')
    expect(parseDate('30/06/2025')).toBe('2025-06-30')
  })

  it('refuses days that do not exist', () => {
    expect(parseDate('2025-02-29')).toBeUndefined()
    expect(parseDate('31/04/2025')).toBeUndefined()
    expect(parseDate('2025-7-1')).toBeUndefined()
  })
})

describe('vietnamDate', () => {
  it('gives the calendar day in Việt Nam, seven hours ahead of UTC', () => {
    expect(vietnamDate(new Date('2025-06-30T16:59:59Z'))).toBe('2025-06-30')
    expect(vietnamDate(new Date('2025-06-30T17:00:00Z'))).toBe('2025-07-01')
  })
})

describe('levels and placement', () => {
  it('derives the level from the type, and an office from its parent', () => {
    expect(levelFor('province_committee', null)).toBe(1)
    expect(levelFor('department', 1)).toBe(2)
    expect(levelFor('ward_committee', 1)).toBe(3)
    expect(levelFor('office', 3)).toBe(4)
  })

  it('allows a commune directly under the province committee, as after 1 July 2025', () => {
    expect(placementProblem('commune_committee', { level: 1 })).toBeUndefined()
  })

  it('refuses a fifth level, a department under a commune and a province committee with a parent', () => {
    expect(placementProblem('office', { level: 4 })).toMatch(/tối đa 4 cấp/)
    expect(placementProblem('department', { level: 3 })).toBe(
      'Loại đơn vị này không thể trực thuộc đơn vị cấp trên đã chọn.',
    )
    expect(placementProblem('province_committee', { level: 1 })).toMatch(/không có đơn vị cấp trên/)
    expect(placementProblem('department', null)).toBe('Chọn đơn vị cấp trên.')
  })
})

describe('buildTree', () => {
  const unit = (id: string, parentId: string | null, type: OrgUnit['type'], name: string): OrgUnit => ({
    id,
    parentId,
    path: '',
    key: null,
    name,
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

  it('nests children under parents and lists departments before communes', () => {
    const tree = buildTree([
      unit('c', 'r', 'commune_committee', 'Xã A'),
      unit('r', null, 'province_committee', 'UBND tỉnh'),
      unit('d', 'r', 'department', 'Sở B'),
    ])
    expect(tree).toHaveLength(1)
    expect(tree[0]?.children.map((n) => n.unit.id)).toEqual(['d', 'c'])
  })

  it('lifts a unit whose parent is not in the list to the top level', () => {
    const tree = buildTree([unit('c', 'missing', 'commune_committee', 'Xã A')])
    expect(tree.map((n) => n.unit.id)).toEqual(['c'])
  })
})
