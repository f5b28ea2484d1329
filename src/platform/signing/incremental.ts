import { PDFDocument, type PDFObject, type PDFRef } from 'pdf-lib'

/**
 * Changes a PDF by an incremental update (ISO 32000-1 §7.5.6): the original bytes are kept as they are and
 * the objects that changed, or are new, are appended after them with a cross-reference section pointing back
 * (/Prev) to the original's. Signatures already in the file stay valid: the bytes they cover are untouched.
 *
 * The edit is made with pdf-lib on a document loaded from the same bytes; every indirect object is serialised
 * before and after, and only those that differ (or did not exist) are written. A file whose last cross-reference
 * section is a stream (PDF 1.5 object streams, as pdf-lib itself saves) gets a cross-reference stream, a file
 * with a classic table a table.
 */
export async function appendUpdate(
  original: Uint8Array,
  edit: (doc: PDFDocument) => Promise<void> | void,
): Promise<Buffer> {
  const source = Buffer.from(original.buffer, original.byteOffset, original.byteLength)
  const previous = lastStartXref(source)
  if (previous === undefined) throw new IncrementalUpdateError('no startxref')
  const doc = await PDFDocument.load(source, { updateMetadata: false })
  if (doc.context.trailerInfo.Encrypt) throw new IncrementalUpdateError('encrypted')
  // pdf-lib drops the object and cross-reference streams it reads: new objects must be numbered after them.
  const size = previousSize(source, previous)
  doc.context.largestObjectNumber = Math.max(doc.context.largestObjectNumber, size - 1)
  const before = new Map<string, Buffer>()
  for (const [ref, object] of doc.context.enumerateIndirectObjects()) before.set(key(ref), serialise(object))

  await edit(doc)
  // Fonts, images and embedded pages are written into the context only when flushed.
  await doc.flush()

  const changed: [PDFRef, Buffer][] = []
  for (const [ref, object] of doc.context.enumerateIndirectObjects()) {
    const bytes = serialise(object)
    const old = before.get(key(ref))
    if (!old || !old.equals(bytes)) changed.push([ref, bytes])
  }
  changed.sort(([a], [b]) => a.objectNumber - b.objectNumber)

  const parts: Buffer[] = [source]
  let offset = source.length
  const push = (chunk: Buffer) => {
    parts.push(chunk)
    offset += chunk.length
  }
  if (source[source.length - 1] !== 0x0a && source[source.length - 1] !== 0x0d) push(Buffer.from('\n'))
  const entries: { number: number; generation: number; offset: number }[] = []
  for (const [ref, bytes] of changed) {
    entries.push({ number: ref.objectNumber, generation: ref.generationNumber, offset })
    push(Buffer.from(`${ref.objectNumber} ${ref.generationNumber} obj\n`, 'latin1'))
    push(bytes)
    push(Buffer.from('\nendobj\n', 'latin1'))
  }

  const { Root, Info, ID } = doc.context.trailerInfo
  const trailer = () =>
    [
      `/Size ${doc.context.largestObjectNumber + 1}`,
      `/Root ${text(Root)}`,
      Info ? `/Info ${text(Info)}` : '',
      ID ? `/ID ${text(ID)}` : '',
      `/Prev ${previous}`,
    ]
      .filter(Boolean)
      .join(' ')

  const xrefAt = offset
  if (isClassicTable(source, previous)) {
    const lines = ['xref']
    for (const run of runs(entries)) {
      lines.push(`${run[0]!.number} ${run.length}`)
      for (const e of run)
        lines.push(`${String(e.offset).padStart(10, '0')} ${String(e.generation).padStart(5, '0')} n\r`)
    }
    push(Buffer.from(`${lines.join('\n')}\ntrailer\n<< ${trailer()} >>\n`, 'latin1'))
  } else {
    // The cross-reference stream lists itself too: type 1, its own offset.
    const self = doc.context.nextRef()
    entries.push({ number: self.objectNumber, generation: 0, offset: xrefAt })
    entries.sort((a, b) => a.number - b.number)
    const data = Buffer.alloc(entries.length * 7)
    entries.forEach((e, i) => {
      data.writeUInt8(1, i * 7)
      data.writeUInt32BE(e.offset, i * 7 + 1)
      data.writeUInt16BE(e.generation, i * 7 + 5)
    })
    const index = runs(entries)
      .map((run) => `${run[0]!.number} ${run.length}`)
      .join(' ')
    push(
      Buffer.from(
        `${self.objectNumber} 0 obj\n<< /Type /XRef ${trailer()} /W [1 4 2] /Index [${index}] /Length ${data.length} >>\nstream\n`,
        'latin1',
      ),
    )
    push(data)
    push(Buffer.from('\nendstream\nendobj\n', 'latin1'))
  }
  push(Buffer.from(`startxref\n${xrefAt}\n%%EOF\n`, 'latin1'))
  return Buffer.concat(parts)
}

/** A PDF that cannot take an incremental update here (no cross-reference to point back to, or encrypted). */
export class IncrementalUpdateError extends Error {
  constructor(readonly reason: 'no startxref' | 'encrypted') {
    super(`cannot update this PDF incrementally: ${reason}`)
  }
}

const key = (ref: PDFRef) => `${ref.objectNumber} ${ref.generationNumber}`

function serialise(object: PDFObject): Buffer {
  const bytes = Buffer.alloc(object.sizeInBytes())
  object.copyBytesInto(bytes, 0)
  return bytes
}

const text = (object: PDFObject | undefined) => (object ? object.toString() : 'null')

/** The previous section's /Size, which the update's must not fall below (free entries at the end count too). */
function previousSize(pdf: Buffer, at: number): number {
  const from = isClassicTable(pdf, at) ? pdf.indexOf('trailer', at, 'latin1') : at
  if (from < 0) return 0
  const size = /\/Size\s+(\d+)/.exec(pdf.subarray(from, from + 2048).toString('latin1'))
  return size ? Number(size[1]) : 0
}

/** The byte offset the file's last `startxref` names. */
function lastStartXref(pdf: Buffer): number | undefined {
  const tail = pdf.subarray(Math.max(0, pdf.length - 2048)).toString('latin1')
  const matches = [...tail.matchAll(/startxref\s+(\d+)/g)]
  const last = matches[matches.length - 1]
  return last ? Number(last[1]) : undefined
}

function isClassicTable(pdf: Buffer, at: number): boolean {
  return pdf.subarray(at, at + 4).toString('latin1') === 'xref'
}

/** Consecutive object numbers grouped, for the subsections of a table or the /Index of a stream. */
function runs<T extends { number: number }>(entries: T[]): T[][] {
  const groups: T[][] = []
  for (const entry of entries) {
    const group = groups[groups.length - 1]
    if (group && group[group.length - 1]!.number + 1 === entry.number) group.push(entry)
    else groups.push([entry])
  }
  return groups
}
