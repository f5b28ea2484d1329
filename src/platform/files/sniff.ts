/** How many leading bytes sniffType wants: enough to see the first entries of an Office zip. */
export const SNIFF_BYTES = 64 * 1024

export type SniffedType = { mime: string; ext: string }

type FileKind = {
  mime: string
  /** Shown to people: "Tệp "x.pdf" có nội dung không phải PDF". */
  label: string
  /** File-name extensions that claim this kind; the first is the canonical one. */
  names: readonly string[]
  /** Sniffed kinds whose content is acceptable under this name (besides the kind itself). */
  accepts?: readonly string[]
}

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
const PPTX = 'application/vnd.openxmlformats-officedocument.presentationml.presentation'
const ODT = 'application/vnd.oasis.opendocument.text'
const ODS = 'application/vnd.oasis.opendocument.spreadsheet'
const ODP = 'application/vnd.oasis.opendocument.presentation'

/** Every kind the platform can recognise, keyed by canonical extension. */
export const FILE_KINDS = {
  pdf: { mime: 'application/pdf', label: 'PDF', names: ['pdf'] },
  png: { mime: 'image/png', label: 'ảnh PNG', names: ['png'] },
  jpg: { mime: 'image/jpeg', label: 'ảnh JPEG', names: ['jpg', 'jpeg'] },
  gif: { mime: 'image/gif', label: 'ảnh GIF', names: ['gif'] },
  webp: { mime: 'image/webp', label: 'ảnh WebP', names: ['webp'] },
  tif: { mime: 'image/tiff', label: 'ảnh TIFF', names: ['tif', 'tiff'] },
  docx: { mime: DOCX, label: 'văn bản Word (DOCX)', names: ['docx'] },
  xlsx: { mime: XLSX, label: 'bảng tính Excel (XLSX)', names: ['xlsx'] },
  pptx: { mime: PPTX, label: 'trình chiếu PowerPoint (PPTX)', names: ['pptx'] },
  odt: { mime: ODT, label: 'văn bản OpenDocument (ODT)', names: ['odt'] },
  ods: { mime: ODS, label: 'bảng tính OpenDocument (ODS)', names: ['ods'] },
  odp: { mime: ODP, label: 'trình chiếu OpenDocument (ODP)', names: ['odp'] },
  zip: {
    mime: 'application/zip',
    label: 'tệp nén ZIP',
    names: ['zip'],
    accepts: ['docx', 'xlsx', 'pptx', 'odt', 'ods', 'odp'],
  },
  // Legacy Office files are OLE2 containers; when the directory is beyond the sniffed bytes only the
  // container is known ('cfb'), and the name decides between them.
  doc: { mime: 'application/msword', label: 'văn bản Word (DOC)', names: ['doc'], accepts: ['cfb'] },
  xls: { mime: 'application/vnd.ms-excel', label: 'bảng tính Excel (XLS)', names: ['xls'], accepts: ['cfb'] },
  ppt: {
    mime: 'application/vnd.ms-powerpoint',
    label: 'trình chiếu PowerPoint (PPT)',
    names: ['ppt'],
    accepts: ['cfb'],
  },
  cfb: { mime: 'application/x-cfb', label: 'tệp OLE2', names: [] },
  xml: { mime: 'application/xml', label: 'XML', names: ['xml'] },
  txt: { mime: 'text/plain', label: 'văn bản thuần (TXT)', names: ['txt'], accepts: ['xml'] },
  csv: { mime: 'text/csv', label: 'CSV', names: ['csv'], accepts: ['txt'] },
  // Recognised so that they can be refused: a browser would run their scripts.
  svg: { mime: 'image/svg+xml', label: 'ảnh SVG', names: ['svg'] },
  html: { mime: 'text/html', label: 'HTML', names: ['html', 'htm'] },
} as const satisfies Record<string, FileKind>

export type FileKindName = keyof typeof FILE_KINDS

const kindOf = (ext: FileKindName): SniffedType => ({ mime: FILE_KINDS[ext].mime, ext })

const startsWith = (head: Buffer, bytes: readonly number[], at = 0) =>
  head.length >= at + bytes.length && bytes.every((byte, i) => head[at + i] === byte)
const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0))

/**
 * The type of a file from its first bytes (give it SNIFF_BYTES of them), never from its name.
 * Undefined when the bytes match nothing the platform knows.
 */
export function sniffType(head: Buffer): SniffedType | undefined {
  if (head.length === 0) return undefined
  if (startsWith(head, ascii('%PDF-'))) return kindOf('pdf')
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return kindOf('png')
  if (startsWith(head, [0xff, 0xd8, 0xff])) return kindOf('jpg')
  if (startsWith(head, ascii('GIF87a')) || startsWith(head, ascii('GIF89a'))) return kindOf('gif')
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) return kindOf('webp')
  if (startsWith(head, [0x49, 0x49, 0x2a, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2a]))
    return kindOf('tif')
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return kindOf(zipKind(head))
  if (startsWith(head, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) return kindOf(oleKind(head))
  return textKind(head)
}

const LOCAL_HEADER = Buffer.from([0x50, 0x4b, 0x03, 0x04])

/**
 * Office Open XML and OpenDocument files are zips told apart by their entries: OpenDocument stores an
 * uncompressed 'mimetype' entry first; OOXML has 'word/', 'xl/' or 'ppt/' parts near the start.
 * Entry names are never compressed, so walking the local headers is enough.
 */
function zipKind(head: Buffer): FileKindName {
  let offset = 0
  for (let entry = 0; entry < 64 && offset + 30 <= head.length; entry++) {
    if (head.readUInt32LE(offset) !== 0x04034b50) break
    const flags = head.readUInt16LE(offset + 6)
    const method = head.readUInt16LE(offset + 8)
    const compressedSize = head.readUInt32LE(offset + 18)
    const nameLength = head.readUInt16LE(offset + 26)
    const extraLength = head.readUInt16LE(offset + 28)
    const dataStart = offset + 30 + nameLength + extraLength
    if (dataStart > head.length) break
    const name = head.toString('latin1', offset + 30, offset + 30 + nameLength)
    if (entry === 0 && name === 'mimetype' && method === 0) {
      const declared = head.toString('latin1', dataStart, Math.min(dataStart + compressedSize, head.length))
      if (declared === ODT) return 'odt'
      if (declared === ODS) return 'ods'
      if (declared === ODP) return 'odp'
    }
    if (name.startsWith('word/')) return 'docx'
    if (name.startsWith('xl/')) return 'xlsx'
    if (name.startsWith('ppt/')) return 'pptx'
    // Streamed zips put the sizes after the data (flag bit 3): find the next header instead.
    const sizeKnown = (flags & 0x08) === 0 && compressedSize !== 0xffffffff
    offset = sizeKnown ? dataStart + compressedSize : head.indexOf(LOCAL_HEADER, dataStart)
    if (offset < 0) break
  }
  return 'zip'
}

const utf16 = (text: string) => Buffer.from(text, 'utf16le')
const OLE_STREAMS: readonly [Buffer, FileKindName][] = [
  [utf16('WordDocument'), 'doc'],
  [utf16('Workbook'), 'xls'],
  [utf16('Book'), 'xls'],
  [utf16('PowerPoint Document'), 'ppt'],
]

/**
 * Word, Excel and PowerPoint 97–2003 files are OLE2 compound files told apart by the name of their main
 * stream. The directory's first sector is read when it lies within the head; otherwise the head is
 * searched for the names, which are stored as UTF-16.
 */
function oleKind(head: Buffer): FileKindName {
  const shift = head.length >= 0x34 ? head.readUInt16LE(0x1e) : 0
  if (shift === 9 || shift === 12) {
    const sectorSize = 1 << shift
    const start = (head.readUInt32LE(0x30) + 1) * sectorSize
    for (let at = start; at + 128 <= Math.min(head.length, start + sectorSize); at += 128) {
      const nameBytes = Math.max(0, Math.min(64, head.readUInt16LE(at + 64)) - 2)
      const name = head.subarray(at, at + nameBytes)
      const found = OLE_STREAMS.find(([stream]) => stream.equals(name))
      if (found) return found[1]
    }
  }
  for (const [stream, kind] of OLE_STREAMS) {
    if (head.includes(Buffer.concat([stream, Buffer.from([0, 0])]))) return kind
  }
  return 'cfb'
}

// The patterns a browser's sniffer takes for HTML (WHATWG MIME Sniffing §7.1): such "text" is refused.
const HTML_START =
  /^(?:<!doctype html|<html|<head|<script|<iframe|<h1|<div|<font|<table|<a|<style|<title|<b|<body|<br|<p|<!--)[\s>]/i

/** XML (edXML packages among them), plain UTF-8 text, or nothing. */
function textKind(head: Buffer): SniffedType | undefined {
  const body = startsWith(head, [0xef, 0xbb, 0xbf]) ? head.subarray(3) : head
  const text = decodeUtf8Prefix(body)
  if (text === undefined) return undefined
  const start = text.trimStart()
  if (/^<\?xml[\s?]/.test(start)) {
    const root = rootElement(start)
    if (root === 'svg') return kindOf('svg')
    if (root === 'html') return kindOf('html')
    return kindOf('xml')
  }
  if (HTML_START.test(start) || /^<svg[\s>]/i.test(start))
    return kindOf(/^<svg/i.test(start) ? 'svg' : 'html')
  return kindOf('txt')
}

/**
 * The head as text when it is UTF-8 with no control characters but tab, line breaks and form feed;
 * a character cut at the end of the head is not held against it.
 */
function decodeUtf8Prefix(bytes: Buffer): string | undefined {
  let end = bytes.length
  for (let back = 1; back <= 3 && end - back >= 0; back++) {
    const byte = bytes[end - back]!
    if ((byte & 0xc0) !== 0x80) {
      const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1
      if (length > back) end -= back
      break
    }
  }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end))
  } catch {
    return undefined
  }
  // eslint-disable-next-line no-control-regex
  return /[\x00-\x08\x0b\x0e-\x1f\x7f]/.test(text) ? undefined : text
}

/** The local name of the first element after the prolog (declaration, comments, doctype). */
function rootElement(xml: string): string | undefined {
  const prolog = /^(?:\s+|<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE(?:[^[>]|\[[\s\S]*?\])*>)*/i.exec(xml)
  const tag = /^<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)/.exec(xml.slice(prolog?.[0].length ?? 0))
  return tag?.[2]?.toLowerCase()
}

export type UploadCheck =
  | { ok: true; mime: string; ext: string }
  | { ok: false; problem: 'too_large' | 'empty' | 'type'; reason: string }

/** 10485760 → "10 MB", 1572864 → "1,5 MB", 524288 → "512 KB" (Vietnamese decimal comma). */
export function formatBytes(bytes: number): string {
  const [value, unit] = bytes >= 1_048_576 ? [bytes / 1_048_576, 'MB'] : [bytes / 1024, 'KB']
  const rounded = Math.round(value * 10) / 10
  return `${String(rounded).replace('.', ',')} ${unit}`
}

const KIND_BY_NAME = new Map<string, FileKindName>(
  Object.entries(FILE_KINDS).flatMap(([kind, { names }]) =>
    names.map((name) => [name, kind as FileKindName] as const),
  ),
)

/** The canonical kinds an allowed list names, by extension ("jpeg", ".pdf") or by MIME type. */
function allowedKinds(allowed: readonly string[]): Set<FileKindName> {
  const kinds = new Set<FileKindName>()
  for (const entry of allowed) {
    const value = entry.trim().toLowerCase().replace(/^\./, '')
    const matches = value.includes('/')
      ? (Object.keys(FILE_KINDS) as FileKindName[]).filter((kind) => FILE_KINDS[kind].mime === value)
      : [KIND_BY_NAME.get(value)].filter((kind) => kind !== undefined)
    if (matches.length === 0) throw new Error(`unknown file type in an allowed list: ${entry}`)
    for (const kind of matches) kinds.add(kind)
  }
  return kinds
}

/** The name without any client-side path ("C:\fakepath\x.pdf" → "x.pdf"). */
const baseName = (name: string) => name.split(/[\\/]/).pop() ?? name

/**
 * Decides whether an upload may be kept: its size within maxBytes, its name's extension among the
 * allowed types, and its content (the head, SNIFF_BYTES of it) of the type the name claims.
 * The reason is written for the person who uploaded it.
 */
export function acceptUpload(input: {
  name: string
  head: Buffer
  allowed: readonly string[]
  maxBytes: number
  size: number
}): UploadCheck {
  const name = baseName(input.name)
  const kinds = allowedKinds(input.allowed)
  if (input.size > input.maxBytes) {
    return {
      ok: false,
      problem: 'too_large',
      reason: `Tệp "${name}" vượt quá dung lượng cho phép ${formatBytes(input.maxBytes)}`,
    }
  }
  if (input.size === 0) return { ok: false, problem: 'empty', reason: `Tệp "${name}" không có nội dung` }
  const dot = name.lastIndexOf('.')
  const declared = dot > 0 ? KIND_BY_NAME.get(name.slice(dot + 1).toLowerCase()) : undefined
  if (!declared || !kinds.has(declared)) {
    const list = [...kinds].map((kind) => FILE_KINDS[kind].names[0]?.toUpperCase()).filter(Boolean)
    return {
      ok: false,
      problem: 'type',
      reason: `Tệp "${name}" không thuộc loại được nhận (chỉ nhận: ${list.join(', ')})`,
    }
  }
  const sniffed = sniffType(input.head)?.ext
  const kind: FileKind = FILE_KINDS[declared]
  if (sniffed !== declared && !(sniffed && kind.accepts?.includes(sniffed))) {
    return { ok: false, problem: 'type', reason: `Tệp "${name}" có nội dung không phải ${kind.label}` }
  }
  return { ok: true, mime: kind.mime, ext: declared }
}
