/**
 * A reader for the few PDF objects a signature dictionary is made of. It reads the one uncompressed
 * object that holds the dictionary, not the whole file: signature dictionaries are never inside object
 * streams, because their byte offsets must be real file offsets.
 */
export type PdfValue =
  | number
  | boolean
  | null
  | { name: string }
  | { bytes: Buffer }
  | { ref: number }
  | PdfValue[]
  | Map<string, PdfValue>

/** Thrown when the text is not a PDF object this reader understands. */
export class PdfSyntaxError extends Error {}

const WHITESPACE = new Set(['\0', '\t', '\n', '\f', '\r', ' '])
const DELIMITER = /[\s()<>[\]{}/%]/
const REF_TAIL = /\s+\d+\s+R(?=[\s()<>[\]{}/%]|$)/y
const NUMBER = /[+-]?(?:\d+\.?\d*|\.\d+)/y
const INTEGER = /\d+$/

export class PdfObjectReader {
  private at: number

  /** `text` is the file decoded as latin1, so that one character is one byte. */
  constructor(
    private readonly text: string,
    start: number,
  ) {
    this.at = start
  }

  read(): PdfValue {
    this.skipSpace()
    const c = this.text[this.at]
    if (c === undefined) throw new PdfSyntaxError('unexpected end of file')
    if (c === '<' && this.text[this.at + 1] === '<') return this.dictionary()
    if (c === '<') return this.hexString()
    if (c === '(') return this.literalString()
    if (c === '[') return this.array()
    if (c === '/') return { name: this.name() }
    NUMBER.lastIndex = this.at
    const number = NUMBER.exec(this.text)
    if (number) {
      this.at += number[0].length
      REF_TAIL.lastIndex = this.at
      const ref = INTEGER.test(number[0]) ? REF_TAIL.exec(this.text) : null
      if (!ref) return Number(number[0])
      this.at += ref[0].length
      return { ref: Number(number[0]) }
    }
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.text.startsWith(word, this.at)) {
        this.at += word.length
        return value
      }
    }
    throw new PdfSyntaxError(`unexpected ${JSON.stringify(c)} at ${this.at}`)
  }

  private skipSpace() {
    for (;;) {
      const c = this.text[this.at]
      if (c !== undefined && WHITESPACE.has(c)) this.at++
      else if (c === '%')
        while (this.text[this.at] !== undefined && !'\r\n'.includes(this.text[this.at]!)) this.at++
      else return
    }
  }

  private dictionary(): Map<string, PdfValue> {
    this.at += 2
    const entries = new Map<string, PdfValue>()
    for (;;) {
      this.skipSpace()
      if (this.text.startsWith('>>', this.at)) {
        this.at += 2
        return entries
      }
      if (this.text[this.at] !== '/') throw new PdfSyntaxError(`dictionary key expected at ${this.at}`)
      const key = this.name()
      entries.set(key, this.read())
    }
  }

  private array(): PdfValue[] {
    this.at++
    const items: PdfValue[] = []
    for (;;) {
      this.skipSpace()
      if (this.text[this.at] === ']') {
        this.at++
        return items
      }
      items.push(this.read())
    }
  }

  private name(): string {
    let end = this.at + 1
    while (end < this.text.length && !DELIMITER.test(this.text[end]!)) end++
    const raw = this.text.slice(this.at + 1, end)
    this.at = end
    return raw.replace(/#([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
  }

  private hexString(): { bytes: Buffer } {
    const end = this.text.indexOf('>', this.at)
    if (end < 0) throw new PdfSyntaxError('unterminated hex string')
    let hex = this.text.slice(this.at + 1, end).replace(/\s+/g, '')
    this.at = end + 1
    if (!/^[0-9a-fA-F]*$/.test(hex)) throw new PdfSyntaxError('bad hex string')
    if (hex.length % 2) hex += '0'
    return { bytes: Buffer.from(hex, 'hex') }
  }

  private literalString(): { bytes: Buffer } {
    const out: number[] = []
    let depth = 0
    for (this.at++; ; this.at++) {
      const c = this.text[this.at]
      if (c === undefined) throw new PdfSyntaxError('unterminated string')
      if (c === ')' && depth === 0) {
        this.at++
        return { bytes: Buffer.from(out) }
      }
      if (c === '(') depth++
      if (c === ')') depth--
      if (c === '\r') {
        // An unescaped end of line in a string reads as a single \n, whatever its bytes.
        if (this.text[this.at + 1] === '\n') this.at++
        out.push(10)
      } else if (c === '\\') {
        this.escape(out)
      } else {
        out.push(c.charCodeAt(0))
      }
    }
  }

  private escape(out: number[]) {
    const c = this.text[++this.at]
    const simple: Record<string, number> = { n: 10, r: 13, t: 9, b: 8, f: 12, '(': 40, ')': 41, '\\': 92 }
    if (c === undefined) return
    if (c in simple) out.push(simple[c]!)
    else if (/[0-7]/.test(c)) {
      let digits = c
      while (digits.length < 3 && /[0-7]/.test(this.text[this.at + 1] ?? '')) digits += this.text[++this.at]
      out.push(parseInt(digits, 8) & 0xff)
    } else if (c === '\r') {
      // A backslash before an end of line continues the string on the next line.
      if (this.text[this.at + 1] === '\n') this.at++
    } else if (c !== '\n') {
      out.push(c.charCodeAt(0))
    }
  }
}

/** A PDF text string: UTF-16BE or UTF-8 with a byte-order mark, else PDFDocEncoding (read as latin1). */
export function decodeText(value: PdfValue | undefined): string | null {
  if (!value || typeof value !== 'object' || !('bytes' in value)) return null
  const bytes = value.bytes
  if (bytes[0] === 0xfe && bytes[1] === 0xff)
    return Buffer.from(bytes.subarray(2)).swap16().toString('utf16le')
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.subarray(3).toString('utf8')
  return bytes.toString('latin1')
}

/** A PDF date, `D:YYYYMMDDHHmmSS+07'00'`; missing parts take their defaults, as the standard says. */
export function decodeDate(value: PdfValue | undefined): Date | null {
  const text = decodeText(value)
  const match =
    text && /^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:([Zz+-])(\d{2})?'?(\d{2})?'?)?/.exec(text)
  if (!match) return null
  const [, y, mo = '01', d = '01', h = '00', mi = '00', s = '00', sign, oh = '00', om = '00'] = match
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s))
  const offset = sign === '+' || sign === '-' ? (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) : 0
  return new Date(utc - offset * 60_000)
}
