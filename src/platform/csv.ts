/** Thrown when a CSV file is not well-formed; names the file and line so it can be fixed by hand. */
export class CsvSyntaxError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly detail: string,
  ) {
    super(`Tệp CSV không hợp lệ: ${file}, dòng ${line}: ${detail}`)
    this.name = 'CsvSyntaxError'
  }
}

export interface CsvRecord {
  /** 1-based line on which the record starts. */
  line: number
  fields: string[]
}

/** Minimal RFC 4180 reader: quoted fields, "" escapes, CRLF or LF, blank lines skipped. */
export function parseCsv(text: string, file = '<csv>'): CsvRecord[] {
  const records: CsvRecord[] = []
  const input = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  let fields: string[] = []
  let field = ''
  let line = 1
  let recordLine = 1
  let quoted = false
  let fieldWasQuoted = false
  let i = 0

  const endRecord = (): void => {
    fields.push(field)
    const blank = fields.length === 1 && fields[0] === '' && !fieldWasQuoted
    if (!blank) records.push({ line: recordLine, fields })
    fields = []
    field = ''
    fieldWasQuoted = false
  }

  while (i < input.length) {
    const char = input[i]!
    if (quoted) {
      if (char === '"') {
        if (input[i + 1] === '"') {
          field += '"'
          i += 2
          continue
        }
        quoted = false
        i++
        const next = input[i]
        if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
          throw new CsvSyntaxError(file, line, 'ký tự thừa sau dấu ngoặc kép đóng')
        }
        continue
      }
      if (char === '\n') line++
      field += char
      i++
      continue
    }
    if (char === '"') {
      if (field !== '') throw new CsvSyntaxError(file, line, 'dấu ngoặc kép nằm giữa trường')
      quoted = true
      fieldWasQuoted = true
      i++
    } else if (char === ',') {
      fields.push(field)
      field = ''
      fieldWasQuoted = false
      i++
    } else if (char === '\r' || char === '\n') {
      endRecord()
      i += char === '\r' && input[i + 1] === '\n' ? 2 : 1
      line++
      recordLine = line
    } else {
      field += char
      i++
    }
  }
  if (quoted) throw new CsvSyntaxError(file, recordLine, 'thiếu dấu ngoặc kép đóng')
  if (field !== '' || fields.length > 0 || fieldWasQuoted) endRecord()
  return records
}

/** Writes RFC 4180 CSV: a field with a comma, quote or line break is quoted, quotes doubled. */
export function toCsv(rows: readonly (readonly string[])[]): string {
  const cell = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value)
  return rows.map((row) => row.map(cell).join(',')).join('\n') + '\n'
}
