import { crc32, deflateRawSync } from 'node:zlib'
import { PDFDocument } from 'pdf-lib'
import { PNG } from 'pngjs'
import { describe, expect, it } from 'vitest'
import { acceptUpload, formatBytes, sniffType } from './sniff.js'

type ZipEntry = { name: string; data: string | Buffer; stored?: boolean }

/** A real zip, written the way Office (sizes in the header) or a streaming writer (data descriptors) does. */
function zip(entries: ZipEntry[], options: { streamed?: boolean } = {}): Buffer {
  const parts: Buffer[] = []
  for (const entry of entries) {
    const raw = Buffer.from(entry.data)
    const data = entry.stored ? raw : deflateRawSync(raw)
    const name = Buffer.from(entry.name)
    const header = Buffer.alloc(30)
    header.writeUInt32LE(0x04034b50, 0)
    header.writeUInt16LE(20, 4)
    header.writeUInt16LE(options.streamed ? 0x08 : 0, 6)
    header.writeUInt16LE(entry.stored ? 0 : 8, 8)
    header.writeUInt32LE(options.streamed ? 0 : crc32(raw), 14)
    header.writeUInt32LE(options.streamed ? 0 : data.length, 18)
    header.writeUInt32LE(options.streamed ? 0 : raw.length, 22)
    header.writeUInt16LE(name.length, 26)
    parts.push(header, name, data)
    if (options.streamed) {
      const descriptor = Buffer.alloc(16)
      descriptor.writeUInt32LE(0x08074b50, 0)
      descriptor.writeUInt32LE(crc32(raw), 4)
      descriptor.writeUInt32LE(data.length, 8)
      descriptor.writeUInt32LE(raw.length, 12)
      parts.push(descriptor)
    }
  }
  // The central directory is not needed by the sniffer, which only ever sees the head.
  return Buffer.concat(parts)
}

const CONTENT_TYPES =
  '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
const docx = (streamed = false) =>
  zip(
    [
      { name: '[Content_Types].xml', data: CONTENT_TYPES },
      { name: '_rels/.rels', data: '<Relationships/>' },
      { name: 'word/document.xml', data: '<w:document/>' },
    ],
    { streamed },
  )
const xlsx = zip([
  { name: '[Content_Types].xml', data: CONTENT_TYPES },
  { name: 'docProps/thumbnail.jpeg', data: Buffer.alloc(20_000, 7) },
  { name: 'xl/workbook.xml', data: '<workbook/>' },
])
const odt = zip([
  { name: 'mimetype', data: 'application/vnd.oasis.opendocument.text', stored: true },
  { name: 'content.xml', data: '<office:document-content/>' },
])
const plainZip = zip([{ name: 'anh-chup/trang-1.jpg', data: Buffer.alloc(100, 1) }])

/** An OLE2 compound file header with a directory sector holding the given stream names. */
function ole(streams: string[], options: { directorySector?: number } = {}): Buffer {
  const directorySector = options.directorySector ?? 0
  const file = Buffer.alloc(512 * (directorySector + 2))
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(file)
  file.writeUInt16LE(0x3e, 0x18)
  file.writeUInt16LE(3, 0x1a)
  file.writeUInt16LE(0xfffe, 0x1c)
  file.writeUInt16LE(9, 0x1e)
  file.writeUInt32LE(directorySector, 0x30)
  const directory = 512 * (directorySector + 1)
  ;['Root Entry', ...streams].forEach((name, i) => {
    const at = directory + i * 128
    file.write(name, at, 'utf16le')
    file.writeUInt16LE((name.length + 1) * 2, at + 64)
  })
  return file
}

async function pdf(): Promise<Buffer> {
  const doc = await PDFDocument.create()
  doc.addPage()
  return Buffer.from(await doc.save())
}
const png = () => {
  const image = new PNG({ width: 2, height: 2 })
  image.data.fill(255)
  return PNG.sync.write(image)
}
const JPEG = Buffer.from('ffd8ffe000104a46494600010100000100010000ffdb', 'hex')
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64')
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x24, 0, 0, 0]), Buffer.from('WEBPVP8 ')])
const TIFF_LE = Buffer.from([0x49, 0x49, 0x2a, 0x00, 0x08, 0x00, 0x00, 0x00])
const TIFF_BE = Buffer.from([0x4d, 0x4d, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x08])
const EDXML = Buffer.from(
  '<?xml version="1.0" encoding="UTF-8"?>\n<edXML:edXMLEnvelope xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">' +
    '<edXML:edXMLHeader><edXML:Subject>Công văn số 123/UBND-VP</edXML:Subject></edXML:edXMLHeader>',
)

describe('sniffType', () => {
  it('recognises documents and images by their magic bytes', async () => {
    expect(sniffType(await pdf())).toEqual({ mime: 'application/pdf', ext: 'pdf' })
    expect(sniffType(png())).toEqual({ mime: 'image/png', ext: 'png' })
    expect(sniffType(JPEG)).toEqual({ mime: 'image/jpeg', ext: 'jpg' })
    expect(sniffType(GIF)).toEqual({ mime: 'image/gif', ext: 'gif' })
    expect(sniffType(WEBP)).toEqual({ mime: 'image/webp', ext: 'webp' })
    expect(sniffType(TIFF_LE)?.ext).toBe('tif')
    expect(sniffType(TIFF_BE)?.ext).toBe('tif')
  })

  it('tells Office and OpenDocument zips from a plain zip by their entries', () => {
    expect(sniffType(docx())).toEqual({
      mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      ext: 'docx',
    })
    expect(sniffType(docx(true))?.ext).toBe('docx')
    expect(sniffType(xlsx)?.ext).toBe('xlsx')
    expect(sniffType(odt)).toEqual({ mime: 'application/vnd.oasis.opendocument.text', ext: 'odt' })
    expect(sniffType(plainZip)).toEqual({ mime: 'application/zip', ext: 'zip' })
  })

  it('tells Word from Excel 97–2003 by the main stream of the OLE2 container', () => {
    expect(sniffType(ole(['1Table', 'WordDocument']))).toEqual({ mime: 'application/msword', ext: 'doc' })
    expect(sniffType(ole(['Workbook']))).toEqual({ mime: 'application/vnd.ms-excel', ext: 'xls' })
    expect(sniffType(ole(['Book']))?.ext).toBe('xls')
    // The directory lies beyond the head given: only the container is known.
    expect(sniffType(ole(['WordDocument'], { directorySector: 200 }).subarray(0, 4096))?.ext).toBe('cfb')
  })

  it('takes XML with a declaration as XML, but SVG and HTML as what a browser would run', () => {
    expect(sniffType(EDXML)).toEqual({ mime: 'application/xml', ext: 'xml' })
    expect(sniffType(Buffer.from('\ufeff<?xml version="1.0"?><!-- x --><!DOCTYPE r><r/>'))?.ext).toBe('xml')
    expect(
      sniffType(Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'))?.ext,
    ).toBe('svg')
    expect(sniffType(Buffer.from('<?xml version="1.0"?><html><script>alert(1)</script></html>'))?.ext).toBe(
      'html',
    )
    expect(sniffType(Buffer.from('  <!DOCTYPE html><p>Xin chào</p>'))?.ext).toBe('html')
    expect(sniffType(Buffer.from('<script>alert(1)</script>'))?.ext).toBe('html')
  })

  it('takes UTF-8 without control characters as text, even cut in the middle of a character', () => {
    const text = Buffer.from('Họ và tên;Ngày sinh\nNông Thị Hà;01/02/1990\n')
    expect(sniffType(text)).toEqual({ mime: 'text/plain', ext: 'txt' })
    expect(sniffType(Buffer.from('Cao Bằng'))?.ext).toBe('txt')
    expect(sniffType(Buffer.from('Cao Bằng').subarray(0, 6))?.ext).toBe('txt')
    expect(sniffType(Buffer.from('Cao B\xe1ng', 'latin1'))).toBeUndefined()
    expect(sniffType(Buffer.from('MZ\x90\x00\x03\x00', 'latin1'))).toBeUndefined()
    expect(sniffType(Buffer.from('\x7fELF\x02\x01\x01\x00', 'latin1'))).toBeUndefined()
    expect(sniffType(Buffer.alloc(0))).toBeUndefined()
  })
})

describe('acceptUpload', () => {
  const check = (name: string, head: Buffer, allowed = ['pdf', 'jpg', 'png'], size = head.length) =>
    acceptUpload({ name, head, allowed, maxBytes: 10 * 1024 * 1024, size })

  it('accepts a file whose content is the type its name claims', async () => {
    expect(check('to-khai.pdf', await pdf())).toEqual({ ok: true, mime: 'application/pdf', ext: 'pdf' })
    expect(check('CCCD mat truoc.JPEG', JPEG)).toEqual({ ok: true, mime: 'image/jpeg', ext: 'jpg' })
    expect(check('C:\\fakepath\\anh.png', png(), ['image/png'])).toMatchObject({ ok: true, ext: 'png' })
  })

  it('refuses content that is not what the name claims', () => {
    expect(check('x.pdf', png())).toEqual({
      ok: false,
      problem: 'type',
      reason: 'Tệp "x.pdf" có nội dung không phải PDF',
    })
    expect(check('giay-phep.pdf', Buffer.from('MZ\x90\x00', 'latin1'))).toMatchObject({
      ok: false,
      reason: 'Tệp "giay-phep.pdf" có nội dung không phải PDF',
    })
    expect(check('bang.xls', ole(['WordDocument']), ['xls', 'doc'])).toMatchObject({
      ok: false,
      reason: 'Tệp "bang.xls" có nội dung không phải bảng tính Excel (XLS)',
    })
    expect(check('ghi-chu.txt', Buffer.from('<!DOCTYPE html><html>'), ['txt'])).toMatchObject({ ok: false })
  })

  it('refuses a name outside the allowed types, whatever its content', async () => {
    expect(check('virus.exe', await pdf())).toEqual({
      ok: false,
      problem: 'type',
      reason: 'Tệp "virus.exe" không thuộc loại được nhận (chỉ nhận: PDF, JPG, PNG)',
    })
    expect(check('khong-co-duoi', await pdf())).toMatchObject({ ok: false, problem: 'type' })
    expect(check('anh.svg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toMatchObject({
      ok: false,
    })
  })

  it('refuses a file over the limit and an empty one', async () => {
    expect(check('ban-ve.pdf', await pdf(), ['pdf'], 10 * 1024 * 1024 + 1)).toEqual({
      ok: false,
      problem: 'too_large',
      reason: 'Tệp "ban-ve.pdf" vượt quá dung lượng cho phép 10 MB',
    })
    expect(check('trong.pdf', Buffer.alloc(0))).toEqual({
      ok: false,
      problem: 'empty',
      reason: 'Tệp "trong.pdf" không có nội dung',
    })
  })

  it('lets the name decide between legacy Office types when only the container is known', () => {
    const head = ole(['WordDocument'], { directorySector: 200 }).subarray(0, 4096)
    expect(check('to-trinh.doc', head, ['doc'])).toEqual({ ok: true, mime: 'application/msword', ext: 'doc' })
    expect(check('so-lieu.xls', head, ['xls'])).toMatchObject({ ok: true, ext: 'xls' })
  })

  it('accepts text as CSV, XML as edXML, and Office documents inside a declared zip', () => {
    expect(check('danh-sach.csv', Buffer.from('a;b\n1;2\n'), ['csv'])).toEqual({
      ok: true,
      mime: 'text/csv',
      ext: 'csv',
    })
    expect(check('cong-van.xml', EDXML, ['xml'])).toEqual({ ok: true, mime: 'application/xml', ext: 'xml' })
    expect(check('ho-so.zip', docx(), ['zip'])).toMatchObject({ ok: true, mime: 'application/zip' })
    expect(check('ho-so.docx', plainZip, ['docx'])).toMatchObject({ ok: false })
  })

  it('rejects an allowed list naming a type it does not know, as a programming error', () => {
    expect(() => check('a.pdf', Buffer.from('%PDF-1.7'), ['pdf', 'exe'])).toThrow(/exe/)
  })

  it('writes sizes the Vietnamese way', () => {
    expect(formatBytes(10 * 1024 * 1024)).toBe('10 MB')
    expect(formatBytes(1.5 * 1024 * 1024)).toBe('1,5 MB')
    expect(formatBytes(512 * 1024)).toBe('512 KB')
  })
})
