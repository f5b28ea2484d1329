import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pdflibAddPlaceholder } from '@signpdf/placeholder-pdf-lib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PdfWriter } from '../pdf/pdf.js'
import { SigningKeys, verifyPdf } from './index.js'
import { decodeDate, decodeText, PdfObjectReader } from './pdf-objects.js'

let dir: string
let caPem: string
let unsigned: Uint8Array
let signed: Buffer

async function letter(): Promise<PdfWriter> {
  const writer = await PdfWriter.create('A4', 'Công văn')
  writer.text('V/v triển khai dịch vụ công trực tuyến toàn trình trên địa bàn tỉnh Cao Bằng')
  return writer
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cb-verify-'))
  const keys = new SigningKeys({ dir, passphrase: 'thu-nghiem', generateTestCertificates: true })
  const signer = await keys.signerFor('000.00.00.H14', 'Văn phòng UBND tỉnh Cao Bằng')
  caPem = (await keys.testCaPem())!
  unsigned = await (await letter()).bytes()
  signed = Buffer.from(await signer.sign(unsigned, { reason: 'Ban hành văn bản', location: 'Cao Bằng' }))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The signature's /ByteRange numbers and where its text sits, to rewrite it in place. */
function byteRange(pdf: Buffer) {
  const match = /\/ByteRange \[(\d+) (\d+) (\d+) (\d+)\] */.exec(pdf.toString('latin1'))!
  return {
    at: match.index,
    text: match[0],
    numbers: match.slice(1).map(Number) as [number, number, number, number],
  }
}

describe('verifying PDF signatures', () => {
  it('reports a file that is not a PDF as unsigned, without throwing', () => {
    expect(verifyPdf(Buffer.from('Xin chào, đây không phải PDF'), [caPem])).toEqual({
      signed: false,
      signatures: [],
    })
    expect(verifyPdf(new Uint8Array(0), [])).toEqual({ signed: false, signatures: [] })
  })

  it('reports an unsigned PDF as unsigned', () => {
    expect(verifyPdf(unsigned, [caPem])).toEqual({ signed: false, signatures: [] })
  })

  it('reports a signature field whose placeholder was never filled', async () => {
    const writer = await letter()
    pdflibAddPlaceholder({ pdfDoc: writer.doc, reason: 'x', location: 'x', contactInfo: '', name: 'x' })
    const result = verifyPdf(await writer.bytes(), [caPem])
    expect(result.signed).toBe(true)
    expect(result.signatures[0]).toMatchObject({ valid: false, intact: false, coversWholeDocument: false })
    expect(result.signatures[0]!.problems).toEqual([
      'Chữ ký chưa hoàn tất: vùng dữ liệu được ký (ByteRange) chưa được điền.',
    ])
  })

  it('rejects a byte range that leaves more than the signature itself unsigned', () => {
    const { at, text, numbers } = byteRange(signed)
    const [start, length, contentsEnd, rest] = numbers
    const widened = `/ByteRange [${start} ${length - 40} ${contentsEnd} ${rest}]`.padEnd(text.length, ' ')
    const forged = Buffer.concat([
      signed.subarray(0, at),
      Buffer.from(widened),
      signed.subarray(at + text.length),
    ])
    const [signature] = verifyPdf(forged, [caPem]).signatures
    expect(signature).toMatchObject({
      valid: false,
      intact: false,
      coversWholeDocument: false,
      trusted: false,
    })
    expect(signature!.problems).toContain(
      'Vùng dữ liệu được ký (ByteRange) không khớp với tệp: có nội dung nằm ngoài phạm vi chữ ký.',
    )
  })

  it('finds a forged signature value although the document digest still matches', () => {
    const [, contentsStart] = byteRange(signed).numbers
    const hexStart = contentsStart + 1
    // The CMS is a SEQUENCE with a two-byte length; the RSA signature value is its last 256 bytes.
    const cmsLength = 4 + parseInt(signed.toString('latin1', hexStart + 4, hexStart + 8), 16)
    const forged = Buffer.from(signed)
    const at = hexStart + 2 * (cmsLength - 100)
    forged[at] = forged[at] === 0x30 ? 0x31 : 0x30
    const [signature] = verifyPdf(forged, [caPem]).signatures
    expect(signature).toMatchObject({ valid: false, intact: true, trusted: false, coversWholeDocument: true })
    expect(signature!.problems).toEqual(['Chữ ký số không khớp với chứng thư số của người ký.'])
  })

  it('reports a signature whose contents are not CMS', () => {
    const [, contentsStart, contentsEnd] = byteRange(signed).numbers
    const forged = Buffer.from(signed)
    forged.fill('0', contentsStart + 1, contentsEnd - 1)
    const [signature] = verifyPdf(forged, [caPem]).signatures
    expect(signature).toMatchObject({ valid: false, intact: false, signerName: null })
    expect(signature!.problems).toEqual(['Không đọc được dữ liệu chữ ký (CMS/PKCS#7).'])
  })

  it('ignores trust-list entries that are not certificates', () => {
    const [signature] = verifyPdf(signed, ['không phải PEM', caPem]).signatures
    expect(signature).toMatchObject({
      valid: true,
      trusted: true,
      signerName: 'Văn phòng UBND tỉnh Cao Bằng',
    })
  })
})

describe('reading signature dictionary values', () => {
  it('reads literal strings with nested parentheses, escapes and octal codes', () => {
    const value = new PdfObjectReader(String.raw`(a (b) \(c\) \101\n\\)`, 0).read()
    expect(decodeText(value)).toBe('a (b) (c) A\n\\')
  })

  it('reads UTF-16 text strings from hex and dictionaries with references', () => {
    const dictionary = new PdfObjectReader(
      '<< /Reason <FEFF0053 1EDF> /P 12 0 R /Rect [0 0 0 0] >>',
      0,
    ).read()
    expect(dictionary).toBeInstanceOf(Map)
    const entries = dictionary as Map<string, unknown>
    expect(decodeText(entries.get('Reason') as never)).toBe('Sở')
    expect(entries.get('P')).toEqual({ ref: 12 })
    expect(entries.get('Rect')).toEqual([0, 0, 0, 0])
  })

  it('reads PDF dates with a time zone offset', () => {
    const date = decodeDate(new PdfObjectReader("(D:20260302101500+07'00')", 0).read())
    expect(date).toEqual(new Date('2026-03-02T03:15:00Z'))
    expect(decodeDate(new PdfObjectReader('(D:2026)', 0).read())).toEqual(new Date('2026-01-01T00:00:00Z'))
  })
})
