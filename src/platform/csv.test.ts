import { describe, expect, it } from 'vitest'
import { parseCsv } from './csv.js'

describe('CSV reader', () => {
  it('reads quoted fields with commas, doubled quotes, CRLF, a BOM and blank lines', () => {
    const text = '\ufeffa,b\r\n"x, y","say ""hi"""\r\n\r\n"multi\nline",z'
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, y', 'say "hi"'] },
      { line: 4, fields: ['multi\nline', 'z'] },
    ])
  })

  it('rejects an unterminated quote and text after a closing quote', () => {
    expect(() => parseCsv('a,"b\n', 'x.csv')).toThrow(/x\.csv, dòng 1/)
    expect(() => parseCsv('a\n"b"c\n', 'x.csv')).toThrow(/x\.csv, dòng 2/)
  })
  it('reads a Vietnamese field holding a comma', () => {
    expect(parseCsv('a,b\r\n"Sở Văn hóa, Thể thao","say ""hi"""\n').map((r) => r.fields)).toEqual([
      ['a', 'b'],
      ['Sở Văn hóa, Thể thao', 'say "hi"'],
    ])
  })
})

describe('CSV writer', () => {
  it('quotes what needs quoting and reads back the same', async () => {
    const { toCsv } = await import('./csv.js')
    const rows = [
      ['code', 'documents'],
      ['1.001193', '[{"name":"Tờ khai, bản chính"}]'],
    ]
    expect(parseCsv(toCsv(rows)).map((r) => r.fields)).toEqual(rows)
  })
})
