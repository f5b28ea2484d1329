import type { Readable } from 'node:stream'
import type { Selectable } from 'kysely'
import type { Actor } from '../../platform/auth/actor.js'
import type { Queryable } from '../../platform/db/database.js'
import { tablesOf } from '../../platform/db/tables.js'
import {
  storeUpload,
  UploadRejectedError,
  type MalwareScanner,
  type ObjectStore,
} from '../../platform/files/index.js'
import { NotFoundError, ValidationError, type FieldErrors } from '../../platform/http/errors.js'
import type { FileType, RequiredDocument } from '../catalogue/index.js'
import type { DossierTables } from './dossiers.tables.js'

export type DossierFileRow = Selectable<DossierTables['dossier_files']>
export type FilePurpose = DossierFileRow['purpose']

const t = (q: Queryable) => tablesOf<DossierTables>(q)

/** Every type an applicant may ever attach; a document narrows it with its own list. */
const ANY_TYPE: readonly FileType[] = ['pdf', 'jpg', 'png', 'tif', 'docx', 'doc', 'xlsx', 'xls', 'odt', 'xml']
/** Enough for a multi-page document photographed page by page. */
export const MAX_FILES_PER_DOCUMENT = 10

/** A file as the dossier pages show it: never the object key. */
export type DossierFile = {
  id: string
  documentIndex: number | null
  documentName: string
  purpose: FilePurpose
  fileName: string
  mime: string
  size: number
  sha256: string
  scanned: boolean
  uploadedAt: Date
}

export function describeFile(row: DossierFileRow): DossierFile {
  return {
    id: row.id,
    documentIndex: row.document_index,
    documentName: row.document_name,
    purpose: row.purpose,
    fileName: row.file_name,
    mime: row.mime,
    size: row.size,
    sha256: row.sha256,
    scanned: row.scanned,
    uploadedAt: row.uploaded_at,
  }
}

/** A file name safe to show and to put in a Content-Disposition header: no path, no control characters. */
export function cleanFileName(name: string): string {
  const base = name.normalize('NFC').split(/[\\/]/).pop() ?? ''
  // eslint-disable-next-line no-control-regex
  const cleaned = base.replace(/[\x00-\x1f\x7f"]/g, '').trim()
  return (cleaned || 'tep-dinh-kem').slice(0, 200)
}

export type FileStoreDeps = {
  store: ObjectStore
  scanner: MalwareScanner | undefined
  maxBytes: number
}

/**
 * Stores one uploaded file for a dossier, a draft, or (API) for later use by its owner. The content decides
 * the type, never the name; the scanner, when configured, must pass it; a refused file leaves nothing behind.
 */
export async function storeDossierFile(
  q: Queryable,
  deps: FileStoreDeps,
  input: {
    owner: Actor
    stream: Readable
    fileName: string
    purpose: FilePurpose
    document: { index: number; doc: RequiredDocument } | null
    draftId?: string | null
    dossierId?: string | null
    now: Date
  },
): Promise<DossierFileRow> {
  const fileName = cleanFileName(input.fileName)
  const stored = await storeUpload(deps.store, deps.scanner, input.stream, {
    name: fileName,
    allowed: [...(input.document?.doc.accept ?? ANY_TYPE)],
    maxBytes: deps.maxBytes,
  }).catch((error: unknown) => {
    if (error instanceof UploadRejectedError)
      throw new ValidationError({ file: error.message }, error.message)
    throw error
  })
  try {
    return await t(q)
      .insertInto('dossier_files')
      .values({
        dossier_id: input.dossierId ?? null,
        draft_id: input.draftId ?? null,
        owner_id: input.owner.userId,
        document_index: input.document?.index ?? null,
        document_name: input.document?.doc.name ?? '',
        purpose: input.purpose,
        file_name: fileName,
        mime: stored.mime,
        size: stored.size,
        sha256: stored.sha256,
        object_key: stored.key,
        scanned: stored.scanned,
        uploaded_at: input.now,
      })
      .returningAll()
      .executeTakeFirstOrThrow()
  } catch (error) {
    await deps.store.delete(stored.key).catch(() => undefined)
    throw error
  }
}

/** One error per mandatory document that has no file among the given document positions. */
export function missingRequired(documents: readonly RequiredDocument[], present: readonly (number | null)[]) {
  const errors: FieldErrors = {}
  documents.forEach((doc, index) => {
    if (doc.required && !present.includes(index))
      errors[`doc-${index}`] = `Thiếu giấy tờ bắt buộc: ${doc.name}.`
  })
  return errors
}

export function listDraftFiles(q: Queryable, draftId: string) {
  return t(q)
    .selectFrom('dossier_files')
    .selectAll()
    .where('draft_id', '=', draftId)
    .where('dossier_id', 'is', null)
    .orderBy('document_index')
    .orderBy('uploaded_at')
    .execute()
}

export function listDossierFiles(q: Queryable, dossierId: string) {
  return t(q)
    .selectFrom('dossier_files')
    .selectAll()
    .where('dossier_id', '=', dossierId)
    .orderBy('uploaded_at')
    .orderBy('document_index')
    .execute()
}

/**
 * The documents an applicant submitted with their dossiers (online or as supplements), one row per distinct
 * content, newest first. Files of a draft are not stored documents yet.
 */
export async function listStoredFiles(q: Queryable, ownerId: string) {
  const rows = await t(q)
    .selectFrom('dossier_files')
    .selectAll()
    .where('owner_id', '=', ownerId)
    .where('dossier_id', 'is not', null)
    .where('purpose', 'in', ['application', 'supplement'])
    .orderBy('uploaded_at', 'desc')
    .limit(500)
    .execute()
  const seen = new Set<string>()
  return rows.filter((row) => !seen.has(row.sha256) && seen.add(row.sha256))
}

/** A stored document or result attached again, to a draft's required document, without a new upload. */
export function reuseFile(
  q: Queryable,
  input: {
    owner: Actor
    draftId: string
    index: number
    documentName: string
    file: { fileName: string; mime: string; size: number; sha256: string; scanned?: boolean }
    objectKey: string
    now: Date
  },
) {
  return t(q)
    .insertInto('dossier_files')
    .values({
      draft_id: input.draftId,
      owner_id: input.owner.userId,
      document_index: input.index,
      document_name: input.documentName,
      purpose: 'application',
      file_name: input.file.fileName,
      mime: input.file.mime,
      size: input.file.size,
      sha256: input.file.sha256,
      object_key: input.objectKey,
      // As checked when it first arrived; a result was made (and signed) by the platform itself.
      scanned: input.file.scanned ?? true,
      uploaded_at: input.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
}

export async function countFiles(q: Queryable, dossierId: string): Promise<number> {
  const row = await t(q)
    .selectFrom('dossier_files')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('dossier_id', '=', dossierId)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

export function findFile(q: Queryable, id: string) {
  if (!/^[0-9a-f-]{36}$/.test(id)) return Promise.resolve(undefined)
  return t(q).selectFrom('dossier_files').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function deleteUnattachedFile(q: Queryable, store: ObjectStore, row: DossierFileRow) {
  if (row.dossier_id) throw new NotFoundError('Không tìm thấy tệp.')
  await t(q).deleteFrom('dossier_files').where('id', '=', row.id).where('dossier_id', 'is', null).execute()
  // The same stored object may serve another dossier (a document reused from the citizen's data store).
  const shared = await t(q)
    .selectFrom('dossier_files')
    .select('id')
    .where('object_key', '=', row.object_key)
    .executeTakeFirst()
  if (!shared) await store.delete(row.object_key).catch(() => undefined)
}

/**
 * Checks that the files chosen for a submission belong to the applicant, are not used by another dossier,
 * match the document they are given for, and that every mandatory document has at least one file.
 * Returns the rows to attach with the document each one is for.
 */
export async function checkDocuments(
  q: Queryable,
  input: {
    owner: Actor
    documents: readonly RequiredDocument[]
    chosen: readonly { index: number; fileId: string }[]
    requireAll: boolean
  },
): Promise<{ rows: { row: DossierFileRow; index: number }[]; errors: FieldErrors }> {
  const errors: FieldErrors = {}
  const rows: { row: DossierFileRow; index: number }[] = []
  const seen = new Set<string>()
  for (const choice of input.chosen) {
    const doc = input.documents[choice.index]
    const row = await findFile(q, choice.fileId)
    const key = `doc-${choice.index}`
    if (!doc) errors[key] = `Thành phần hồ sơ số ${choice.index + 1} không có trong thủ tục.`
    else if (!row || row.owner_id !== input.owner.userId || row.dossier_id || seen.has(row.id)) {
      errors[key] = `Không tìm thấy tệp ${choice.fileId} (hoặc tệp đã được dùng cho hồ sơ khác).`
    } else if (!doc.accept.some((type) => extensionOf(row.mime) === type)) {
      errors[key] =
        `Tệp "${row.file_name}" không thuộc loại được nhận cho "${doc.name}" (${doc.accept.join(', ')}).`
    } else {
      seen.add(row.id)
      rows.push({ row, index: choice.index })
    }
  }
  if (input.requireAll) {
    const missing = missingRequired(
      input.documents,
      rows.map((r) => r.index),
    )
    for (const [key, message] of Object.entries(missing)) errors[key] ??= message
  }
  input.documents.forEach((_doc, index) => {
    if (rows.filter((r) => r.index === index).length > MAX_FILES_PER_DOCUMENT) {
      errors[`doc-${index}`] = `Mỗi thành phần hồ sơ tối đa ${MAX_FILES_PER_DOCUMENT} tệp.`
    }
  })
  return { rows, errors }
}

/** Attaches checked files to the dossier, inside the submission's transaction. */
export async function attachFiles(
  q: Queryable,
  dossierId: string,
  documents: readonly RequiredDocument[],
  chosen: readonly { row: DossierFileRow; index: number }[],
) {
  for (const { row, index } of chosen) {
    const attached = await t(q)
      .updateTable('dossier_files')
      .set({
        dossier_id: dossierId,
        draft_id: null,
        document_index: index,
        document_name: documents[index]!.name,
      })
      .where('id', '=', row.id)
      .where('dossier_id', 'is', null)
      .executeTakeFirst()
    // Another submission took the file between the check and now: refuse rather than share it.
    if (Number(attached.numUpdatedRows) !== 1) {
      throw new ValidationError({ documents: `Tệp "${row.file_name}" vừa được dùng cho hồ sơ khác.` })
    }
  }
}

/** Files sent with a supplement or an officer's action: extra to the procedure's list of documents. */
export async function attachExtraFiles(q: Queryable, dossierId: string, rows: readonly DossierFileRow[]) {
  for (const row of rows) {
    const attached = await t(q)
      .updateTable('dossier_files')
      .set({ dossier_id: dossierId, draft_id: null })
      .where('id', '=', row.id)
      .where('dossier_id', 'is', null)
      .executeTakeFirst()
    if (Number(attached.numUpdatedRows) !== 1) {
      throw new ValidationError({ fileIds: `Tệp "${row.file_name}" vừa được dùng cho hồ sơ khác.` })
    }
  }
}

const MIME_EXT: Record<string, FileType> = {
  'application/pdf': 'pdf',
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/tiff': 'tif',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/msword': 'doc',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.oasis.opendocument.text': 'odt',
  'application/xml': 'xml',
}

export function extensionOf(mime: string): FileType | undefined {
  return MIME_EXT[mime]
}
