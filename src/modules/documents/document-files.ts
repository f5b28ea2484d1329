import type { Readable } from 'node:stream'
import {
  storeUpload,
  UploadRejectedError,
  type MalwareScanner,
  type ObjectStore,
} from '../../platform/files/index.js'
import { ValidationError } from '../../platform/http/errors.js'
import type { OcrState } from './document-text-ocr.js'
import type { FileRow } from './documents.repository.js'
import type { TextState } from './documents.tables.js'

export type FileStoreDeps = { store: ObjectStore; scanner: MalwareScanner | undefined; maxBytes: number }

/** What official documents come as: scans, office files, and the XML of electronic forms. */
export const ACCEPTED_TYPES = [
  'pdf',
  'jpg',
  'png',
  'tif',
  'docx',
  'doc',
  'xlsx',
  'xls',
  'odt',
  'xml',
] as const

/** An upload already in the object store, not yet part of any document; the caller owns its cleanup. */
export type StoredAttachment = {
  key: string
  fileName: string
  mime: string
  size: number
  sha256: string
  scanned: boolean
  contentId?: string
  description?: string
}

/**
 * Where reading an attachment's text stands, as the text job recorded it (migrations 0024 and 0033): `pages` of
 * the PDF, `scannedPages` without a text layer and `recognisedPages` of those read by OCR (null without OCR), and
 * the reason a reading failed or OCR stopped.
 */
export type FileTextStatus = {
  state: TextState
  pages: number | null
  ocr: OcrState | null
  scannedPages: number | null
  recognisedPages: number | null
  error: string | null
}

/** An attachment as pages and the API show it: never the object key. */
export type DocumentFile = {
  id: string
  position: number
  kind: 'scan' | 'electronic'
  fileName: string
  description: string | null
  mime: string
  size: number
  sha256: string
  scanned: boolean
  uploadedAt: Date
  text: FileTextStatus
}

export function describeFile(row: FileRow): DocumentFile {
  return {
    id: row.id,
    position: row.position,
    kind: row.kind,
    fileName: row.file_name,
    description: row.description,
    mime: row.mime,
    size: row.size,
    sha256: row.sha256,
    scanned: row.scanned,
    uploadedAt: row.uploaded_at,
    text: {
      state: row.text_state,
      pages: row.text_pages,
      ocr: row.text_ocr,
      scannedPages: row.text_scanned_pages,
      recognisedPages: row.text_ocr_pages,
      error: row.text_error,
    },
  }
}

/** A file name safe to show and to put in a Content-Disposition header: no path, no control characters. */
export function cleanFileName(name: string): string {
  const base = name.normalize('NFC').split(/[\\/]/).pop() ?? ''
  // eslint-disable-next-line no-control-regex
  const cleaned = base.replace(/[\x00-\x1f\x7f"]/g, '').trim()
  return (cleaned || 'van-ban').slice(0, 200)
}

/**
 * Puts one attachment into the object store: type decided by content, size limited, scanned when a scanner
 * is configured. A refusal is a ValidationError naming the file; nothing is left behind.
 */
export async function storeAttachment(
  deps: FileStoreDeps,
  body: Readable | Buffer,
  fileName: string,
  now: Date,
): Promise<StoredAttachment> {
  const name = cleanFileName(fileName)
  const stored = await storeUpload(deps.store, deps.scanner, body, {
    name,
    allowed: ACCEPTED_TYPES,
    maxBytes: deps.maxBytes,
    keyPrefix: 'documents',
    now,
  }).catch((error: unknown) => {
    if (error instanceof UploadRejectedError)
      throw new ValidationError({ files: error.message }, error.message)
    throw error
  })
  return {
    key: stored.key,
    fileName: name,
    mime: stored.mime,
    size: stored.size,
    sha256: stored.sha256,
    scanned: stored.scanned,
  }
}

/** Removes uploads whose document was not saved; a failure to delete must not hide the first error. */
export async function discardAttachments(store: ObjectStore, files: readonly StoredAttachment[]) {
  await Promise.all(files.map((f) => store.delete(f.key).catch(() => undefined)))
}
