import { sql, type Kysely } from 'kysely'
import type { Actor } from '../../platform/auth/actor.js'
import type { Clock } from '../../platform/clock.js'
import type { Config } from '../../platform/config.js'
import { inTransaction, type Db, type Queryable } from '../../platform/db/database.js'
import { tablesOf, type PlatformTables } from '../../platform/db/tables.js'
import type { ObjectStore } from '../../platform/files/index.js'
import { ForbiddenError } from '../../platform/auth/actor.js'
import { NotFoundError } from '../../platform/http/errors.js'
import type { OrganisationService } from '../organisation/index.js'
import type { FileTextStatus } from './document-files.js'
import type { OcrState } from './document-text-ocr.js'
import { extractPdfText, type Extraction } from './document-text.js'
import * as repo from './documents.repository.js'
import type { DocumentTables, TextState } from './documents.tables.js'
import { documentScope } from './work-files.scope.js'

type All = PlatformTables & DocumentTables
const t = (q: Queryable): Kysely<All> => tablesOf<DocumentTables>(q)

export type DocumentTextDeps = {
  db: Db
  clock: Clock
  store: ObjectStore
  organisation: OrganisationService
  config: Pick<Config, 'documentOcr' | 'documentOcrMaxPages'>
  /** Replaceable in tests; pdf.js in a worker thread, then Tesseract for scanned pages, by default. */
  extract?: (bytes: Uint8Array, signal?: AbortSignal) => Promise<Extraction>
}

/** OCR of an attachment's scanned pages, as an official sees it; null when every page had a text layer. */
export type FileOcr = { state: OcrState; scannedPages: number; recognisedPages: number }

/** What an attachment's text looks like to someone who may see its document. */
export type FileText = {
  fileId: string
  fileName: string
  state: TextState
  /** Where the text came from: the PDF's text layer only, or (partly) OCR of its scanned pages. */
  method: 'text_layer' | 'ocr' | null
  ocr: FileOcr | null
  pages: number | null
  error: string | null
  extractedAt: Date | null
  text: string | null
}

/**
 * The text job's own limit (`index.ts`): room for the 20 scanned pages of `DOCUMENT_OCR_MAX_PAGES` at about 13 s a
 * page on a busy two-core server (measured: 4.3 s to render, 8.5 s to recognise one A4 page at load ≈ 21).
 */
export const TEXT_JOB_TIMEOUT_MS = 10 * 60_000

/**
 * OCR stops beginning pages this long after the job started, and no step runs past it: a job that runs out is
 * tried again from the start, so the budget ends before the job's limit.
 */
const OCR_BUDGET_MS = TEXT_JOB_TIMEOUT_MS - 30_000

async function readAll(store: ObjectStore, key: string): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of await store.get(key)) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/**
 * Rewrites a document's search words from its metadata and the text of its extracted files, folded as the
 * metadata search is (f_unaccent, punctuation splits words); positions are dropped, search needs none.
 */
async function refreshDocumentText(q: Queryable, documentId: string, now: Date) {
  await sql`
    insert into document_texts (document_id, search, updated_at)
    select d.id,
      d.search || strip(to_tsvector('simple',
        regexp_replace(f_unaccent(string_agg(x.content, ' ')), '[^a-z0-9]+', ' ', 'g'))),
      ${now}
    from documents d join document_file_texts x on x.document_id = d.id
    where d.id = ${documentId}
    group by d.id, d.search
    on conflict (document_id) do update set search = excluded.search, updated_at = excluded.updated_at`.execute(
    q,
  )
}

/** Text extraction of attached PDFs: the job that reads them, and reading the result. */
export function createDocumentTextService(deps: DocumentTextDeps) {
  const { db, clock, store, organisation, config } = deps
  const extract =
    deps.extract ??
    ((bytes: Uint8Array, signal?: AbortSignal) =>
      extractPdfText(bytes, {
        ocr: config.documentOcr
          ? { maxPages: config.documentOcrMaxPages, deadline: Date.now() + OCR_BUDGET_MS, signal }
          : undefined,
      }))

  /**
   * The job: reads the file, extracts its text off the event loop, and records the outcome with the
   * document's search words in one transaction. Runs at least once: a file no longer pending is skipped.
   * A file that cannot be read as a PDF is an outcome (`failed`, with the reason), not a retry; a store
   * that does not answer is a retry. Scanned pages are recognised (OCR) when the server can; how that went is
   * kept with the file (`text_ocr`), and the text found is stored and searched like a text layer's.
   */
  async function extractFile(payload: { fileId: string }, job?: { signal?: AbortSignal }) {
    const file = await t(db)
      .selectFrom('document_files')
      .select(['id', 'document_id', 'object_key', 'text_state'])
      .where('id', '=', payload.fileId)
      .executeTakeFirst()
    if (!file || file.text_state !== 'pending') return
    const bytes = await readAll(store, file.object_key)
    const result = await extract(bytes, job?.signal)
    const ocr = result.state === 'failed' ? null : result.ocr
    const now = clock()
    await inTransaction(db, async (tx) => {
      const updated = await t(tx)
        .updateTable('document_files')
        .set({
          text_state: result.state,
          text_pages: result.state === 'failed' ? null : result.pages,
          text_error: result.state === 'failed' ? result.error : (ocr?.error ?? null),
          text_extracted_at: now,
          text_ocr: ocr?.state ?? null,
          text_scanned_pages: ocr?.scannedPages ?? null,
          text_ocr_pages: ocr?.recognisedPages ?? null,
        })
        .where('id', '=', file.id)
        .where('text_state', '=', 'pending')
        .executeTakeFirst()
      if (Number(updated.numUpdatedRows) === 0 || result.state !== 'extracted') return
      await t(tx)
        .insertInto('document_file_texts')
        .values({ file_id: file.id, document_id: file.document_id, content: result.text })
        .onConflict((oc) => oc.column('file_id').doUpdateSet({ content: result.text }))
        .execute()
      await refreshDocumentText(tx, file.document_id, now)
    })
  }

  /** An attachment's extracted text, for whoever may see its document (the documents' visibility rule). */
  async function fileText(actor: Actor, documentId: string, fileId: string): Promise<FileText> {
    const document = await repo.findDocument(db, documentId)
    if (!document) throw new NotFoundError('Không tìm thấy văn bản.')
    const { scope } = documentScope(actor, await organisation.listUnits({}))
    if (!(await repo.isVisible(db, scope, document.id))) {
      if (document.restricted) throw new NotFoundError('Không tìm thấy văn bản.')
      throw new ForbiddenError('documents.process', document.unit_id)
    }
    const file = await repo.findFile(db, document.id, fileId)
    if (!file) throw new NotFoundError('Không tìm thấy tệp.')
    const text = await t(db)
      .selectFrom('document_file_texts')
      .select('content')
      .where('file_id', '=', file.id)
      .executeTakeFirst()
    const ocr =
      file.text_ocr === null
        ? null
        : {
            state: file.text_ocr,
            scannedPages: file.text_scanned_pages ?? 0,
            recognisedPages: file.text_ocr_pages ?? 0,
          }
    return {
      fileId: file.id,
      fileName: file.file_name,
      state: file.text_state,
      method: file.text_state !== 'extracted' ? null : (ocr?.recognisedPages ?? 0) > 0 ? 'ocr' : 'text_layer',
      ocr,
      pages: file.text_pages,
      error: file.text_error,
      extractedAt: file.text_extracted_at,
      text: text?.content ?? null,
    }
  }

  return { extractFile, fileText }
}

export type DocumentTextService = ReturnType<typeof createDocumentTextService>

/** What each state means to an official (before OCR, or for a file every page of which had a text layer). */
export const textStateLabel: Record<TextState, string> = {
  not_applicable: 'Không áp dụng (không phải PDF)',
  pending: 'Đang đọc nội dung tệp',
  extracted: 'Đã đọc nội dung, tìm kiếm được',
  no_text: 'Tệp không có lớp chữ (bản quét); chưa nhận dạng chữ (OCR) nên không tìm theo nội dung được',
  failed: 'Không đọc được nội dung tệp',
}

const OCR = 'nhận dạng ký tự (OCR)'

/** Why scanned pages were not (all) recognised. */
const ocrShortfall: Record<Exclude<OcrState, 'done'>, string> = {
  page_limit: 'đã đến giới hạn số trang nhận dạng mỗi tệp',
  time_limit: `${OCR} dừng vì quá thời gian`,
  unavailable: `${OCR} không khả dụng trên máy chủ`,
  failed: `${OCR} không thành công`,
}

/** The state of an attachment's text in a sentence, saying how OCR of its scanned pages went. */
export function textStatusLabel(file: Pick<FileText, 'state' | 'ocr'>): string {
  const { state, ocr } = file
  if (!ocr || (state !== 'extracted' && state !== 'no_text')) return textStateLabel[state]
  const { scannedPages: scanned, recognisedPages: done } = ocr
  const why = ocr.state === 'done' ? '' : ocrShortfall[ocr.state]
  if (state === 'no_text') {
    const tried = done > 0 ? `${OCR} ${done} trang không thấy chữ${why ? ` (${why})` : ''}` : why
    return `Tệp không có lớp chữ (bản quét); ${tried || `${OCR} không thấy chữ`} nên chỉ tìm được theo thông tin văn bản`
  }
  if (done === 0)
    return `Đã đọc nội dung, tìm kiếm được; ${scanned} trang quét không tìm theo nội dung được (${why})`
  if (done === scanned) return `Đã đọc nội dung, tìm kiếm được; ${OCR} ${done} trang quét`
  return `Đã đọc nội dung, tìm kiếm được; ${OCR} ${done} trang quét đầu trong ${scanned} trang quét, ${scanned - done} trang sau không tìm theo nội dung được (${why})`
}

/** Why OCR stopped short of a file's scanned pages, as a clause. */
const ocrStopped: Record<Exclude<OcrState, 'done'>, string> = {
  page_limit: 'đã đến giới hạn số trang nhận dạng mỗi tệp',
  time_limit: 'nhận dạng chữ (OCR) dừng vì quá thời gian',
  unavailable: 'nhận dạng chữ (OCR) không khả dụng trên máy chủ',
  failed: 'nhận dạng chữ (OCR) không thành công',
}

/**
 * An attachment's text state in a few words for the clerk, beside the file on the document's page: "Đã trích xuất
 * văn bản (3 trang)", "Đã nhận dạng chữ (OCR) 2 trang", "Đang chờ trích xuất văn bản", "Không trích xuất được:
 * <reason>", and for a scan what OCR read and why it stopped.
 */
export function fileTextStateLabel(file: FileTextStatus): string {
  const { state, pages, ocr, error } = file
  const scanned = file.scannedPages ?? 0
  const read = file.recognisedPages ?? 0
  const reason = !ocr || ocr === 'done' ? '' : ocr === 'failed' && error ? error : ocrStopped[ocr]
  switch (state) {
    case 'not_applicable':
      return 'Không trích xuất văn bản (không phải tệp PDF)'
    case 'pending':
      return 'Đang chờ trích xuất văn bản'
    case 'failed':
      return `Không trích xuất được: ${error ?? 'không rõ lý do'}`
    case 'extracted': {
      const layer = `Đã trích xuất văn bản (${pages ?? 0} trang)`
      if (!ocr || scanned === 0) return layer
      if (!reason && read === scanned)
        return read === pages
          ? `Đã nhận dạng chữ (OCR) ${read} trang`
          : `${layer}, trong đó nhận dạng chữ (OCR) ${read} trang quét`
      return read > 0
        ? `${layer}; nhận dạng chữ (OCR) ${read}/${scanned} trang quét: ${reason}`
        : `${layer}; ${scanned} trang quét chưa đọc được: ${reason}`
    }
    case 'no_text': {
      const scan = `Bản quét không có lớp chữ (${pages ?? 0} trang)`
      if (!ocr) return `${scan}; chưa nhận dạng chữ (OCR)`
      if (read > 0 || !reason)
        return `${scan}; nhận dạng chữ (OCR)${read > 0 ? ` ${read} trang` : ''} không thấy chữ${reason ? `: ${reason}` : ''}`
      return `${scan}; ${reason}`
    }
  }
}
