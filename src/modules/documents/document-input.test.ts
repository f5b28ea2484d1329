import { describe, expect, it } from 'vitest'
import { dedupeKey, parseRegistration, prefixTsQuery } from './document-input.js'

const base = {
  issuerCode: null,
  issuerName: 'Ủy ban nhân dân tỉnh Cao Bằng',
  codeNumber: '0123',
  codeNotation: 'UBND-VP',
  issuedOn: '2026-11-20',
}

describe('duplicate key', () => {
  it('treats leading zeros, case, diacritics and punctuation of the notation as the same document', () => {
    expect(dedupeKey(base)).toBe(
      dedupeKey({
        ...base,
        issuerName: 'UY BAN NHAN DAN TINH CAO BANG',
        codeNumber: '123',
        codeNotation: 'ubnd vp',
      }),
    )
  })

  it('prefers the agency code to the name, and tells different dates or numbers apart', () => {
    expect(dedupeKey({ ...base, issuerCode: '000.00.00.H14' })).toBe(
      dedupeKey({ ...base, issuerCode: '000.00.00.H14', issuerName: 'UBND tỉnh' }),
    )
    expect(dedupeKey(base)).not.toBe(dedupeKey({ ...base, issuedOn: '2026-11-21' }))
    expect(dedupeKey(base)).not.toBe(dedupeKey({ ...base, codeNumber: '124' }))
  })
})

describe('search words', () => {
  it('drops diacritics and splits the notation, the last word a prefix', () => {
    expect(prefixTsQuery('Chuyển đổi số 123/UBND-VP')).toBe('chuyen & doi & so & 123 & ubnd & vp:*')
    expect(prefixTsQuery(' ;; ')).toBeNull()
  })
})

describe('registration input', () => {
  it('names each field in error in Vietnamese', () => {
    const { errors } = parseRegistration(
      {
        codeNumber: '12 34',
        issuedOn: '2026-12-01',
        issuerCode: 'H14',
        urgency: 'loud',
        dueOn: '2026-11-01',
      },
      '2026-11-27',
    )
    expect(errors).toMatchObject({
      codeNumber: expect.stringMatching(/^Số văn bản/),
      codeNotation: 'Nhập ký hiệu của văn bản (ví dụ UBND-VP).',
      issuedOn: 'Ngày ban hành không thể sau hôm nay.',
      issuerName: 'Nhập tên cơ quan ban hành.',
      issuerCode: 'Mã định danh cơ quan theo QCVN 102:2016 có dạng 000.00.00.H14.',
      typeCode: 'Chọn loại văn bản.',
      summary: 'Nhập trích yếu nội dung văn bản.',
      urgency: 'Chọn độ khẩn.',
      dueOn: 'Hạn xử lý không thể trước ngày ban hành.',
    })
  })

  it('normalises what is typed and defaults to an ordinary paper document', () => {
    const { value, errors } = parseRegistration(
      {
        codeNumber: ' 45 ',
        codeNotation: 'QĐ-UBND',
        issuedOn: '2026-11-20',
        issuerName: '  UBND   tỉnh  ',
        issuerCode: '000.00.00.h14',
        typeCode: 'quyet-dinh',
        summary: 'Về việc giao chỉ tiêu',
        confirmDifferent: 'on',
      },
      '2026-11-27',
    )
    expect(errors).toEqual({})
    expect(value).toMatchObject({
      codeNumber: '45',
      issuerName: 'UBND tỉnh',
      issuerCode: '000.00.00.H14',
      source: 'paper',
      urgency: 'normal',
      confidentiality: 'normal',
      confirmDifferent: true,
    })
  })
})
