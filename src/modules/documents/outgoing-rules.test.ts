import { describe, expect, it } from 'vitest'
import { vietnameseDate } from './outgoing-pdf.js'
import { allows, buildNotation, deriveAbbreviation, formatNumber } from './outgoing-rules.js'
import { parseExternalLines } from './outgoing.service.js'

describe('numbers and notations of NĐ 30/2020', () => {
  it('writes numbers under 10 with a leading zero', () => {
    expect([1, 9, 10, 123].map(formatNumber)).toEqual(['01', '09', '10', '123'])
  })

  it('builds a notation from the type and unit abbreviations, or the unit and division for a công văn', () => {
    expect(buildNotation({ typeAbbreviation: 'QĐ', unitAbbreviation: 'SKHCN', division: 'VP' })).toBe(
      'QĐ-SKHCN',
    )
    expect(buildNotation({ typeAbbreviation: null, unitAbbreviation: 'SKHCN', division: 'VP' })).toBe(
      'SKHCN-VP',
    )
    expect(buildNotation({ typeAbbreviation: null, unitAbbreviation: 'UBND', division: null })).toBe('UBND')
  })

  it('derives a unit abbreviation from its short name, keeping words written in capitals', () => {
    expect(deriveAbbreviation('Sở KH&CN', 'Sở Khoa học và Công nghệ')).toBe('SKHCN')
    expect(deriveAbbreviation('UBND phường Thục Phán', 'Ủy ban nhân dân phường Thục Phán')).toBe('UBNDPTP')
    expect(deriveAbbreviation(null, 'Đài Phát thanh')).toBe('DPT')
  })

  it('writes the date as NĐ 30 does, with zeros before days under 10 and months 1 and 2', () => {
    expect(vietnameseDate('2026-11-27')).toBe('ngày 27 tháng 11 năm 2026')
    expect(vietnameseDate('2027-02-05')).toBe('ngày 05 tháng 02 năm 2027')
    expect(vietnameseDate('2027-03-05')).toBe('ngày 05 tháng 3 năm 2027')
  })
})

describe('drafting rules', () => {
  it('lets a draft be edited only before review or after a return, and issued only once approved', () => {
    expect(allows('draft', 'edit')).toBe(true)
    expect(allows('in_review', 'edit')).toBe(false)
    expect(allows('returned', 'submit')).toBe(true)
    expect(allows('approved', 'issue')).toBe(true)
    expect(allows('in_review', 'issue')).toBe(false)
    expect(allows('issued', 'comment')).toBe(false)
  })

  it('reads external recipients one per line: the agency code, then the name', () => {
    expect(
      parseExternalLines('000.00.00.g22 Văn phòng Chính phủ\n\n000.00.00.H41 - UBND tỉnh Nghệ An'),
    ).toEqual([
      { agencyCode: '000.00.00.G22', name: 'Văn phòng Chính phủ', line: 1 },
      { agencyCode: '000.00.00.H41', name: 'UBND tỉnh Nghệ An', line: 3 },
    ])
  })
})
