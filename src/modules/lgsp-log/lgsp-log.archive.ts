import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { link, open, unlink } from 'node:fs/promises'
import { basename } from 'node:path'
import { createInterface } from 'node:readline'
import { sql } from 'kysely'
import type { Clock } from '../../platform/clock.js'
import type { Db, Queryable } from '../../platform/db/database.js'
import { tablesOf } from '../../platform/db/tables.js'
import type { Seal } from '../../platform/signing/index.js'
import { CHAIN_LOCK, rememberCertificate, type Trust } from './lgsp-log.chain.js'
import {
  archiveSignedBytes,
  batchSignedBytes,
  certificateFingerprint,
  certificateTrusted,
  entryHash,
  GENESIS_HASH,
  sha256Hex,
  signatureValid,
  type ChainedFields,
} from './lgsp-log.crypto.js'
import type { BatchRow, LogRow, MessageLogTables } from './lgsp-log.tables.js'

const t = (q: Queryable) => tablesOf<MessageLogTables>(q)

export const ARCHIVE_FORMAT = 'cb-lgsp-log-archive/v1'

/**
 * The archive file, JSON Lines: a header (range, anchor, certificates), then each batch followed by its
 * entries (bodies still encrypted, base64), then one signature line over the SHA-256 of every byte before it.
 */
type HeaderLine = {
  type: 'header'
  format: typeof ARCHIVE_FORMAT
  firstBatch: number
  lastBatch: number
  firstSeq: number
  lastSeq: number
  /** The hash the first entry links to: the anchor left by the previous archive, or the genesis hash. */
  prevHash: string
  lastHash: string
  entries: number
  createdAt: string
  /** PEM of every certificate that signed a batch in the file (batches name theirs by SHA-256 fingerprint). */
  certificates: string[]
}
type BatchLine = {
  type: 'batch'
  batchNo: number
  firstSeq: number
  lastSeq: number
  lastHash: string
  signedAt: string
  algorithm: string
  signature: string
  certificate: string
}
type EntryLine = {
  type: 'entry'
  seq: number
  batchNo: number
  messageId: string
  requestId: string
  client: string
  service: string
  tokenClientId: string
  method: string
  path: string
  status: number
  errorCode: string | null
  startedAt: string
  finishedAt: string
  recordedAt: string
  requestHash: string
  responseHash: string
  requestBytes: number
  responseBytes: number
  requestBody: string | null
  responseBody: string | null
  prevHash: string
  hash: string
}
type SignatureLine = {
  type: 'signature'
  /** SHA-256 (hex) of every byte of the file before this line. */
  sha256: string
  algorithm: string
  certificate: string
  signature: string
}

function entryLine(row: LogRow): EntryLine {
  const b64 = (value: Uint8Array | null) => (value ? Buffer.from(value).toString('base64') : null)
  return {
    type: 'entry',
    seq: Number(row.seq),
    batchNo: Number(row.batch_no),
    messageId: row.message_id,
    requestId: row.request_id,
    client: row.client,
    service: row.service,
    tokenClientId: row.token_client_id,
    method: row.method,
    path: row.path,
    status: row.status,
    errorCode: row.error_code,
    startedAt: row.started_at.toISOString(),
    finishedAt: row.finished_at.toISOString(),
    recordedAt: row.recorded_at.toISOString(),
    requestHash: row.request_hash,
    responseHash: row.response_hash,
    requestBytes: Number(row.request_bytes),
    responseBytes: Number(row.response_bytes),
    requestBody: b64(row.request_body),
    responseBody: b64(row.response_body),
    prevHash: row.prev_hash,
    hash: row.hash,
  }
}

function chainedFieldsOf(line: EntryLine): ChainedFields {
  const digest = (value: string | null) => (value === null ? null : sha256Hex(Buffer.from(value, 'base64')))
  return {
    seq: line.seq,
    message_id: line.messageId,
    request_id: line.requestId,
    client: line.client,
    service: line.service,
    token_client_id: line.tokenClientId,
    method: line.method,
    path: line.path,
    status: line.status,
    error_code: line.errorCode,
    started_at: new Date(line.startedAt),
    finished_at: new Date(line.finishedAt),
    recorded_at: new Date(line.recordedAt),
    request_hash: line.requestHash,
    response_hash: line.responseHash,
    request_bytes: line.requestBytes,
    response_bytes: line.responseBytes,
    request_body_sha256: digest(line.requestBody),
    response_body_sha256: digest(line.responseBody),
  }
}

export type ArchiveVerification =
  | {
      ok: true
      firstBatch: number
      lastBatch: number
      firstSeq: number
      lastSeq: number
      prevHash: string
      lastHash: string
      entries: number
      fileSha256: string
    }
  | { ok: false; line: number; reason: string }

/** Reads an archive line by line and checks every link, every batch signature and the file signature. */
export async function verifyArchiveFile(file: string, trust: Trust): Promise<ArchiveVerification> {
  const fail = (line: number, reason: string) => ({ ok: false, line, reason }) as const
  const digest = createHash('sha256')
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity })
  let number = 0
  let header: HeaderLine | undefined
  let signatureLine: SignatureLine | undefined
  let signedDigest = ''
  const certificates = new Map<string, string>()
  let batch: BatchLine | undefined
  let expectedBatch = 0
  let expectedSeq = 0
  let prevHash = ''
  let entries = 0
  const trusted = new Map<string, boolean>()
  const believe = (pem: string) => {
    const fingerprint = certificateFingerprint(pem)
    let ok = trusted.get(fingerprint)
    if (ok === undefined) {
      ok = certificateTrusted(pem, trust.anchors, trust.current)
      trusted.set(fingerprint, ok)
    }
    return ok
  }
  const closeBatch = (at: number): string | null => {
    if (!batch) return null
    if (expectedSeq !== batch.lastSeq + 1) return `lô số ${batch.batchNo} thiếu bản ghi số ${expectedSeq}`
    if (prevHash !== batch.lastHash) return `lô số ${batch.batchNo}: mã băm cuối lô không khớp (dòng ${at})`
    return null
  }

  try {
    for await (const text of lines) {
      number++
      if (signatureLine) return fail(number, 'có dữ liệu sau dòng chữ ký của tệp')
      let parsed: HeaderLine | BatchLine | EntryLine | SignatureLine
      try {
        parsed = JSON.parse(text) as typeof parsed
      } catch {
        return fail(number, 'dòng không phải JSON hợp lệ')
      }
      if (parsed.type === 'signature') {
        signedDigest = digest.digest('hex')
        signatureLine = parsed
        const problem = closeBatch(number)
        if (problem) return fail(number, problem)
        continue
      }
      digest.update(text).update('\n')
      if (number === 1) {
        if (parsed.type !== 'header' || parsed.format !== ARCHIVE_FORMAT) {
          return fail(1, `không phải tệp lưu trữ nhật ký LGSP (${ARCHIVE_FORMAT})`)
        }
        header = parsed
        for (const pem of header.certificates) certificates.set(certificateFingerprint(pem), pem)
        expectedBatch = header.firstBatch
        expectedSeq = header.firstSeq
        prevHash = header.prevHash
        continue
      }
      if (parsed.type === 'batch') {
        const problem = closeBatch(number)
        if (problem) return fail(number, problem)
        if (parsed.batchNo !== expectedBatch || parsed.firstSeq !== expectedSeq) {
          return fail(number, `lô số ${expectedBatch} bị thiếu hoặc sai thứ tự (gặp lô số ${parsed.batchNo})`)
        }
        const pem = certificates.get(parsed.certificate)
        const bytes = batchSignedBytes({
          batchNo: parsed.batchNo,
          firstSeq: parsed.firstSeq,
          lastSeq: parsed.lastSeq,
          lastHash: parsed.lastHash,
          signedAt: new Date(parsed.signedAt),
        })
        if (!pem || !signatureValid(pem, bytes, parsed.signature)) {
          return fail(number, `chữ ký của lô số ${parsed.batchNo} không hợp lệ`)
        }
        if (!believe(pem)) return fail(number, `lô số ${parsed.batchNo} được ký bằng chứng thư không tin cậy`)
        batch = parsed
        expectedBatch++
        continue
      }
      if (parsed.type === 'entry') {
        if (!batch || parsed.seq > batch.lastSeq) {
          return fail(number, `bản ghi số ${parsed.seq} không thuộc lô nào trong tệp`)
        }
        if (parsed.seq !== expectedSeq) {
          return fail(
            number,
            parsed.seq > expectedSeq
              ? `bản ghi số ${expectedSeq} đã bị xóa khỏi tệp`
              : `bản ghi số ${parsed.seq} sai thứ tự`,
          )
        }
        if (parsed.prevHash !== prevHash) {
          return fail(number, `bản ghi số ${parsed.seq} không nối với bản ghi trước (bị đổi chỗ hoặc chèn)`)
        }
        if (
          entryHash(prevHash, chainedFieldsOf(parsed)) !== parsed.hash ||
          parsed.batchNo !== batch.batchNo
        ) {
          return fail(number, `nội dung bản ghi số ${parsed.seq} đã bị sửa`)
        }
        prevHash = parsed.hash
        expectedSeq++
        entries++
        continue
      }
      return fail(number, 'dòng không thuộc định dạng tệp lưu trữ')
    }
  } catch (error) {
    return fail(number, `không đọc được tệp: ${(error as Error).message}`)
  }
  if (!header) return fail(0, 'tệp rỗng')
  if (!signatureLine) return fail(number + 1, 'tệp thiếu dòng chữ ký ở cuối (bị cắt ngắn?)')
  if (signatureLine.sha256 !== signedDigest)
    return fail(number, 'tệp đã bị sửa sau khi ký (mã băm của tệp không khớp)')
  const signed = Buffer.from(`${ARCHIVE_FORMAT}\n${signedDigest}`, 'utf8')
  if (!signatureValid(signatureLine.certificate, signed, signatureLine.signature)) {
    return fail(number, 'chữ ký của tệp không hợp lệ')
  }
  if (!believe(signatureLine.certificate)) return fail(number, 'tệp được ký bằng chứng thư không tin cậy')
  if (
    expectedBatch !== header.lastBatch + 1 ||
    expectedSeq !== header.lastSeq + 1 ||
    prevHash !== header.lastHash ||
    entries !== header.entries
  ) {
    return fail(number, 'phần đầu tệp không khớp với nội dung (số lô, số bản ghi hoặc mã băm cuối)')
  }
  return {
    ok: true,
    firstBatch: header.firstBatch,
    lastBatch: header.lastBatch,
    firstSeq: header.firstSeq,
    lastSeq: header.lastSeq,
    prevHash: header.prevHash,
    lastHash: header.lastHash,
    entries,
    fileSha256: await fileSha256(file),
  }
}

async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

export type ArchiveResult =
  | { archived: false; reason: string }
  | {
      archived: true
      file: string
      firstBatch: number
      lastBatch: number
      firstSeq: number
      lastSeq: number
      entries: number
      fileSha256: string
    }

/** Thrown when the archive cannot be made; nothing was deleted. The message is for the operator. */
export class ArchiveError extends Error {}

/**
 * Writes every batch signed before `before` (and not yet archived) to a signed archive file, checks the file
 * as `verify-archive` would, and only then records the archive (signed) and deletes its entries from the
 * database, in one transaction. The batch rows stay: the chain keeps verifying across the boundary.
 */
export async function archiveMessageLog(
  db: Db,
  seal: Seal,
  trust: Trust,
  clock: Clock,
  { before, out }: { before: Date; out: string },
): Promise<ArchiveResult> {
  const lastArchive = await t(db)
    .selectFrom('lgsp_log_archives')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst()
  const afterBatch = Number(lastArchive?.last_batch ?? 0)
  // The archive is a prefix of the chain: up to the first batch signed on or after `before`.
  const bounds = await t(db)
    .selectFrom('lgsp_log_batches')
    .select((eb) => [
      eb.fn.max('batch_no').as('last'),
      sql<number | null>`min(batch_no) filter (where signed_at >= ${before})`.as('stop'),
    ])
    .where('batch_no', '>', afterBatch)
    .executeTakeFirstOrThrow()
  const stop = bounds.stop === null ? null : Number(bounds.stop)
  const lastBatch = stop === null ? Number(bounds.last ?? afterBatch) : stop - 1
  if (lastBatch <= afterBatch) {
    return { archived: false, reason: 'Không có lô nào được ký trước thời điểm đã cho mà chưa lưu trữ.' }
  }
  const firstBatch = afterBatch + 1
  const range = await t(db)
    .selectFrom('lgsp_log_batches')
    .selectAll()
    .where('batch_no', 'in', [firstBatch, lastBatch])
    .orderBy('batch_no')
    .execute()
  const first = range[0]!
  const last = range.at(-1)!
  const prevHash =
    firstBatch === 1
      ? GENESIS_HASH
      : (
          await t(db)
            .selectFrom('lgsp_log_batches')
            .select('last_hash')
            .where('batch_no', '=', firstBatch - 1)
            .executeTakeFirstOrThrow()
        ).last_hash
  const firstSeq = Number(first.first_seq)
  const lastSeq = Number(last.last_seq)
  const pems = await t(db)
    .selectFrom('lgsp_log_certificates')
    .select(['fingerprint', 'certificate_pem'])
    .where(
      'fingerprint',
      'in',
      t(db)
        .selectFrom('lgsp_log_batches')
        .select('certificate_fingerprint')
        .where('batch_no', '>=', firstBatch)
        .where('batch_no', '<=', lastBatch),
    )
    .execute()
  const certificates = [...new Set([...pems.map((p) => p.certificate_pem), seal.certificatePem])]

  // Written beside the target and linked into place only when complete: an existing file is never replaced.
  const temporary = `${out}.${process.pid}.partial`
  const handle = await open(temporary, 'wx', 0o600)
  const digest = createHash('sha256')
  let written = false
  let verified: Extract<ArchiveVerification, { ok: true }> | undefined
  try {
    const write = async (value: object, signed = true) => {
      const text = `${JSON.stringify(value)}\n`
      if (signed) digest.update(text)
      await handle.write(text)
    }
    await write({
      type: 'header',
      format: ARCHIVE_FORMAT,
      firstBatch,
      lastBatch,
      firstSeq,
      lastSeq,
      prevHash,
      lastHash: last.last_hash,
      entries: lastSeq - firstSeq + 1,
      createdAt: clock().toISOString(),
      certificates,
    } satisfies HeaderLine)
    let batchNo = firstBatch
    while (batchNo <= lastBatch) {
      const batches: BatchRow[] = await t(db)
        .selectFrom('lgsp_log_batches')
        .selectAll()
        .where('batch_no', '>=', batchNo)
        .where('batch_no', '<=', lastBatch)
        .orderBy('batch_no')
        .limit(200)
        .execute()
      for (const b of batches) {
        await write({
          type: 'batch',
          batchNo: Number(b.batch_no),
          firstSeq: Number(b.first_seq),
          lastSeq: Number(b.last_seq),
          lastHash: b.last_hash,
          signedAt: b.signed_at.toISOString(),
          algorithm: b.algorithm,
          signature: b.signature,
          certificate: b.certificate_fingerprint,
        } satisfies BatchLine)
        // Entries a page at a time: a batch may hold large bodies.
        let after = Number(b.first_seq) - 1
        for (;;) {
          const rows = await t(db)
            .selectFrom('lgsp_log')
            .selectAll()
            .where('seq', '>', after)
            .where('seq', '<=', Number(b.last_seq))
            .orderBy('seq')
            .limit(500)
            .execute()
          for (const row of rows) await write(entryLine(row))
          if (rows.length < 500) break
          after = Number(rows.at(-1)!.seq)
        }
        batchNo = Number(b.batch_no) + 1
      }
    }
    const sha256 = digest.digest('hex')
    await write(
      {
        type: 'signature',
        sha256,
        algorithm: seal.algorithm,
        certificate: seal.certificatePem,
        signature: seal.sign(Buffer.from(`${ARCHIVE_FORMAT}\n${sha256}`, 'utf8')).toString('base64'),
      } satisfies SignatureLine,
      false,
    )
    await handle.sync()
    await handle.close()
    written = true
    // The file is checked as a stranger would check it before it is put in place or anything is deleted.
    const check = await verifyArchiveFile(temporary, trust)
    if (!check.ok) {
      throw new ArchiveError(
        `Tệp lưu trữ vừa ghi không kiểm tra được (dòng ${check.line}: ${check.reason}); không xóa gì khỏi cơ sở dữ liệu.`,
      )
    }
    if (check.entries !== lastSeq - firstSeq + 1 || check.lastHash !== last.last_hash) {
      throw new ArchiveError('Tệp lưu trữ không khớp với cơ sở dữ liệu; không xóa gì khỏi cơ sở dữ liệu.')
    }
    await link(temporary, out)
    verified = check
  } catch (error) {
    if (!written) await handle.close().catch(() => undefined)
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ArchiveError(`Tệp ${out} đã tồn tại; chọn tên khác (không ghi đè tệp lưu trữ).`)
    }
    throw error
  } finally {
    await unlink(temporary).catch(() => undefined)
  }
  const check = verified

  const archivedAt = clock()
  await db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(${CHAIN_LOCK})`.execute(tx)
    const latest = await t(tx)
      .selectFrom('lgsp_log_archives')
      .select('last_batch')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst()
    if (Number(latest?.last_batch ?? 0) !== afterBatch) {
      throw new ArchiveError('Một lần lưu trữ khác vừa chạy cùng lúc; hãy chạy lại lệnh.')
    }
    const fingerprint = await rememberCertificate(tx, seal, archivedAt)
    const header = {
      firstBatch,
      lastBatch,
      firstSeq,
      lastSeq,
      lastHash: last.last_hash,
      entries: check.entries,
      fileName: basename(out),
      fileSha256: check.fileSha256,
      archivedAt,
    }
    await t(tx)
      .insertInto('lgsp_log_archives')
      .values({
        first_batch: firstBatch,
        last_batch: lastBatch,
        first_seq: firstSeq,
        last_seq: lastSeq,
        last_hash: last.last_hash,
        entries: check.entries,
        file_name: header.fileName,
        file_sha256: check.fileSha256,
        archived_at: archivedAt,
        signature: seal.sign(archiveSignedBytes(header)).toString('base64'),
        certificate_fingerprint: fingerprint,
      })
      .execute()
    await sql`set local lgsp_log.archiving = 'on'`.execute(tx)
    await t(tx).deleteFrom('lgsp_log').where('seq', '>=', firstSeq).where('seq', '<=', lastSeq).execute()
  })
  return {
    archived: true,
    file: out,
    firstBatch,
    lastBatch,
    firstSeq,
    lastSeq,
    entries: check.entries,
    fileSha256: check.fileSha256,
  }
}
