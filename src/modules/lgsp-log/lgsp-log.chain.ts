import { X509Certificate } from 'node:crypto'
import { sql } from 'kysely'
import type { Clock } from '../../platform/clock.js'
import type { Db, Queryable } from '../../platform/db/database.js'
import { tablesOf } from '../../platform/db/tables.js'
import type { Seal } from '../../platform/signing/index.js'
import {
  archiveSignedBytes,
  batchSignedBytes,
  certificateFingerprint,
  certificateTrusted,
  entryHash,
  GENESIS_HASH,
  signatureValid,
  type ChainedFields,
} from './lgsp-log.crypto.js'
import type { BatchRow, MessageLogTables } from './lgsp-log.tables.js'

const t = (q: Queryable) => tablesOf<MessageLogTables>(q)

/** One chainer (and archiver) at a time across processes. */
export const CHAIN_LOCK = 7301997

/** Remembers the certificate a batch or archive is signed with, so it verifies after the key changes. */
export async function rememberCertificate(q: Queryable, seal: Seal, now: Date): Promise<string> {
  const fingerprint = certificateFingerprint(seal.certificatePem)
  const certificate = new X509Certificate(seal.certificatePem)
  await t(q)
    .insertInto('lgsp_log_certificates')
    .values({
      fingerprint,
      certificate_pem: seal.certificatePem,
      subject: certificate.subject,
      not_after: new Date(certificate.validTo),
      first_used_at: now,
    })
    .onConflict((oc) => oc.column('fingerprint').doNothing())
    .execute()
  return fingerprint
}

/**
 * Moves committed pending exchanges into the chain, oldest first, one signed batch per transaction. One
 * chainer at a time (advisory lock); a concurrent caller waits and then finds the work done, so after it
 * returns every exchange recorded before the call is chained. Returns how many entries it chained.
 */
export async function chainMessageLog(
  db: Db,
  seal: () => Promise<Seal>,
  clock: Clock,
  batchSize = 500,
): Promise<number> {
  // Loaded before any transaction: embedded PGlite must not wait on file reads with a transaction open.
  const sealer = await seal()
  // Remembered once per call (in the first batch's transaction), not once per batch.
  let fingerprint: string | undefined
  let total = 0
  for (;;) {
    const batch = await db.transaction().execute(async (tx) => {
      await sql`select pg_advisory_xact_lock(${CHAIN_LOCK})`.execute(tx)
      // The bodies stay in the database: only their digests come out, and INSERT … SELECT moves them.
      const pending = await t(tx)
        .selectFrom('lgsp_log_pending')
        .select([
          'id',
          'message_id',
          'request_id',
          'client',
          'service',
          'token_client_id',
          'method',
          'path',
          'status',
          'error_code',
          'started_at',
          'finished_at',
          'recorded_at',
          'request_hash',
          'response_hash',
          'request_bytes',
          'response_bytes',
          sql<string | null>`encode(sha256(request_body), 'hex')`.as('request_body_sha256'),
          sql<string | null>`encode(sha256(response_body), 'hex')`.as('response_body_sha256'),
        ])
        .orderBy('id')
        .limit(batchSize)
        .execute()
      if (pending.length === 0) return { moved: 0, certificate: fingerprint }
      const head = await t(tx)
        .selectFrom('lgsp_log_batches')
        .select(['batch_no', 'last_seq', 'last_hash'])
        .orderBy('batch_no', 'desc')
        .limit(1)
        .executeTakeFirst()
      const batchNo = Number(head?.batch_no ?? 0) + 1
      const firstSeq = Number(head?.last_seq ?? 0) + 1
      let seq = firstSeq - 1
      let prevHash = head?.last_hash ?? GENESIS_HASH
      const ids: number[] = []
      const seqs: number[] = []
      const prevHashes: string[] = []
      const hashes: string[] = []
      for (const { id, ...fields } of pending) {
        const hash = entryHash(prevHash, { ...fields, seq: ++seq })
        ids.push(Number(id))
        seqs.push(seq)
        prevHashes.push(prevHash)
        hashes.push(hash)
        prevHash = hash
      }
      const now = clock()
      const certificate = fingerprint ?? (await rememberCertificate(tx, sealer, now))
      const header = { batchNo, firstSeq, lastSeq: seq, lastHash: prevHash, signedAt: now }
      await t(tx)
        .insertInto('lgsp_log_batches')
        .values({
          batch_no: batchNo,
          first_seq: firstSeq,
          last_seq: seq,
          last_hash: prevHash,
          signed_at: now,
          algorithm: sealer.algorithm,
          signature: sealer.sign(batchSignedBytes(header)).toString('base64'),
          certificate_fingerprint: certificate,
        })
        .execute()
      await sql`
        insert into lgsp_log (seq, batch_no, message_id, request_id, client, service, token_client_id, method, path,
          status, error_code, started_at, finished_at, recorded_at, request_hash, response_hash, request_bytes,
          response_bytes, request_body, response_body, prev_hash, hash)
        select c.seq, ${batchNo}, p.message_id, p.request_id, p.client, p.service, p.token_client_id, p.method, p.path,
          p.status, p.error_code, p.started_at, p.finished_at, p.recorded_at, p.request_hash, p.response_hash,
          p.request_bytes, p.response_bytes, p.request_body, p.response_body, c.prev_hash, c.hash
        from unnest(${ids}::bigint[], ${seqs}::bigint[], ${prevHashes}::text[], ${hashes}::text[])
          as c(id, seq, prev_hash, hash)
        join lgsp_log_pending p on p.id = c.id`.execute(tx)
      await sql`delete from lgsp_log_pending where id = any(${ids}::bigint[])`.execute(tx)
      return { moved: pending.length, certificate }
    })
    const { moved } = batch
    if (moved === 0) return total
    fingerprint = batch.certificate
    total += moved
    if (moved < batchSize) return total
  }
}

/** The certificates the verifier believes: the trust list, and the platform's current sealing certificate. */
export type Trust = { anchors: X509Certificate[]; current: string | null }

export type ProblemKind =
  | 'changed'
  | 'deleted'
  | 'reordered'
  | 'inserted'
  | 'batch_deleted'
  | 'batch_changed'
  | 'signature_invalid'
  | 'certificate_untrusted'
  | 'archive_invalid'

export type Verification =
  | {
      ok: true
      /** Entries checked in the database; archived ones are covered by their batch signatures. */
      entries: number
      batches: number
      archivedEntries: number
      headSeq: number
      headHash: string
    }
  | {
      ok: false
      kind: ProblemKind
      /** The first entry (seq) or batch that does not hold. */
      seq: number | null
      batchNo: number | null
      /** Entries verified before the break. */
      entries: number
      reason: string
    }

type EntryForCheck = ChainedFields & { batch_no: number; prev_hash: string; hash: string }

/** Reads one table in key order, a page at a time, with a look at the next row before taking it. */
class Cursor<T> {
  private page: T[] = []
  private index = 0
  private done = false
  constructor(
    private readonly fetch: (after: number | null) => Promise<T[]>,
    private readonly keyOf: (row: T) => number,
    private last: number | null,
  ) {}

  async peek(): Promise<T | undefined> {
    if (this.index < this.page.length) return this.page[this.index]
    if (this.done) return undefined
    this.page = await this.fetch(this.last)
    this.index = 0
    if (this.page.length === 0) this.done = true
    return this.page[0]
  }

  async take(): Promise<T | undefined> {
    const row = await this.peek()
    if (row) {
      this.index++
      this.last = this.keyOf(row)
    }
    return row
  }
}

const PAGE = 2000

function entriesAfter(db: Db) {
  return (after: number | null) =>
    t(db)
      .selectFrom('lgsp_log')
      .select([
        'seq',
        'batch_no',
        'message_id',
        'request_id',
        'client',
        'service',
        'token_client_id',
        'method',
        'path',
        'status',
        'error_code',
        'started_at',
        'finished_at',
        'recorded_at',
        'request_hash',
        'response_hash',
        'request_bytes',
        'response_bytes',
        'prev_hash',
        'hash',
        sql<string | null>`encode(sha256(request_body), 'hex')`.as('request_body_sha256'),
        sql<string | null>`encode(sha256(response_body), 'hex')`.as('response_body_sha256'),
      ])
      .$if(after !== null, (qb) => qb.where('seq', '>', after!))
      .orderBy('seq')
      .limit(PAGE)
      .execute() as Promise<EntryForCheck[]>
}

function batchesAfter(db: Db) {
  return (after: number | null) =>
    t(db)
      .selectFrom('lgsp_log_batches')
      .selectAll()
      .$if(after !== null, (qb) => qb.where('batch_no', '>', after!))
      .orderBy('batch_no')
      .limit(PAGE)
      .execute()
}

/**
 * Walks the archive records, the batches and the entries in order and reports the first thing that does not
 * hold: a changed field (the entry's hash), a deleted entry or batch (a gap in the numbers), entries moved
 * (the link to the previous hash), a batch or archive record whose signature fails or whose certificate is
 * not trusted. Archived entries are no longer in the database: their batches' signatures and the signed
 * archive record carry the chain across (the last archived hash is the anchor).
 */
export async function verifyMessageLog(db: Db, trust: Trust): Promise<Verification> {
  const certificates = new Map(
    (
      await t(db).selectFrom('lgsp_log_certificates').select(['fingerprint', 'certificate_pem']).execute()
    ).map((c) => [c.fingerprint, c.certificate_pem]),
  )
  const trustedCache = new Map<string, boolean>()
  const checkSigned = (
    fingerprint: string,
    data: Buffer,
    signature: string,
  ): 'ok' | 'signature_invalid' | 'certificate_untrusted' => {
    const pem = certificates.get(fingerprint)
    if (!pem || !signatureValid(pem, data, signature)) return 'signature_invalid'
    let trusted = trustedCache.get(fingerprint)
    if (trusted === undefined) {
      trusted = certificateTrusted(pem, trust.anchors, trust.current)
      trustedCache.set(fingerprint, trusted)
    }
    return trusted ? 'ok' : 'certificate_untrusted'
  }

  let verified = 0
  const fail = (kind: ProblemKind, reason: string, seq: number | null, batchNo: number | null) =>
    ({ ok: false, kind, seq, batchNo, entries: verified, reason }) as const

  // Archive records: contiguous from batch 1, each signed.
  const archives = await t(db).selectFrom('lgsp_log_archives').selectAll().orderBy('id').execute()
  let archivedThroughBatch = 0
  let archivedEntries = 0
  for (const archive of archives) {
    const header = {
      firstBatch: Number(archive.first_batch),
      lastBatch: Number(archive.last_batch),
      firstSeq: Number(archive.first_seq),
      lastSeq: Number(archive.last_seq),
      lastHash: archive.last_hash,
      entries: Number(archive.entries),
      fileName: archive.file_name,
      fileSha256: archive.file_sha256,
      archivedAt: archive.archived_at,
    }
    const signed = checkSigned(archive.certificate_fingerprint, archiveSignedBytes(header), archive.signature)
    if (signed !== 'ok' || header.firstBatch !== archivedThroughBatch + 1) {
      return fail(
        'archive_invalid',
        `bản ghi lưu trữ số ${archive.id} (tệp ${archive.file_name}) không hợp lệ: ${
          signed === 'ok' ? 'không nối tiếp lần lưu trữ trước' : 'chữ ký sai hoặc chứng thư không tin cậy'
        }`,
        header.firstSeq,
        header.firstBatch,
      )
    }
    archivedThroughBatch = header.lastBatch
    archivedEntries += header.entries
  }
  const lastArchive = archives.at(-1)

  const batches = new Cursor(batchesAfter(db), (b: BatchRow) => Number(b.batch_no), null)
  const anchorSeq = lastArchive ? Number(lastArchive.last_seq) : null
  const entries = new Cursor(entriesAfter(db), (e: EntryForCheck) => Number(e.seq), anchorSeq)
  let expectedBatch = 1
  let expectedSeq = 1
  let prevHash = GENESIS_HASH
  let batchCount = 0

  for (let batch = await batches.take(); batch; batch = await batches.take()) {
    const batchNo = Number(batch.batch_no)
    const firstSeq = Number(batch.first_seq)
    const lastSeq = Number(batch.last_seq)
    if (batchNo !== expectedBatch) {
      return fail(
        'batch_deleted',
        `lô số ${expectedBatch} đã bị xóa (bản ghi số ${expectedSeq} trở đi bị mất)`,
        expectedSeq,
        expectedBatch,
      )
    }
    if (firstSeq !== expectedSeq || lastSeq < firstSeq) {
      return fail(
        'batch_changed',
        `lô số ${batchNo} bị sửa: khoảng bản ghi ${firstSeq}–${lastSeq} không nối tiếp bản ghi số ${expectedSeq - 1}`,
        expectedSeq,
        batchNo,
      )
    }
    const archived = batchNo <= archivedThroughBatch
    if (!archived) {
      for (; expectedSeq <= lastSeq; expectedSeq++) {
        const row = await entries.peek()
        if (!row || Number(row.seq) !== expectedSeq) {
          return fail('deleted', `bản ghi số ${expectedSeq} đã bị xóa`, expectedSeq, batchNo)
        }
        await entries.take()
        if (row.prev_hash !== prevHash) {
          const moved = await t(db)
            .selectFrom('lgsp_log')
            .select('seq')
            .where('prev_hash', '=', prevHash)
            .where('seq', '<>', expectedSeq)
            .limit(1)
            .executeTakeFirst()
          return fail(
            'reordered',
            moved
              ? `bản ghi số ${expectedSeq} và số ${moved.seq} bị đổi thứ tự (liên kết với bản ghi trước sai)`
              : `bản ghi số ${expectedSeq} không nối với bản ghi trước (bị chèn thêm hoặc đổi chỗ)`,
            expectedSeq,
            batchNo,
          )
        }
        if (entryHash(prevHash, row) !== row.hash || Number(row.batch_no) !== batchNo) {
          return fail('changed', `nội dung bản ghi số ${expectedSeq} đã bị sửa`, expectedSeq, batchNo)
        }
        prevHash = row.hash
        verified++
      }
      if (batch.last_hash !== prevHash) {
        return fail(
          'batch_changed',
          `lô số ${batchNo} bị sửa: mã băm cuối lô không khớp với các bản ghi`,
          lastSeq,
          batchNo,
        )
      }
    }
    const header = { batchNo, firstSeq, lastSeq, lastHash: batch.last_hash, signedAt: batch.signed_at }
    const signed = checkSigned(batch.certificate_fingerprint, batchSignedBytes(header), batch.signature)
    if (signed !== 'ok') {
      return fail(
        signed,
        signed === 'signature_invalid'
          ? `chữ ký của lô số ${batchNo} không hợp lệ (bị sửa hoặc giả mạo)`
          : `lô số ${batchNo} được ký bằng chứng thư không được tin cậy`,
        firstSeq,
        batchNo,
      )
    }
    if (archived) {
      prevHash = batch.last_hash
      expectedSeq = lastSeq + 1
      if (batchNo === archivedThroughBatch && lastArchive && lastArchive.last_hash !== prevHash) {
        return fail(
          'archive_invalid',
          `mã băm neo của lần lưu trữ cuối không khớp với lô số ${batchNo}`,
          lastSeq,
          batchNo,
        )
      }
    }
    expectedBatch++
    batchCount++
  }
  if (archivedThroughBatch >= expectedBatch) {
    return fail(
      'batch_deleted',
      `lô số ${expectedBatch} đã được lưu trữ nhưng không còn trong cơ sở dữ liệu`,
      expectedSeq,
      expectedBatch,
    )
  }
  const stray = await entries.peek()
  if (stray) {
    return fail(
      'inserted',
      `bản ghi số ${stray.seq} không thuộc lô đã ký nào (bị chèn thêm)`,
      Number(stray.seq),
      null,
    )
  }
  return {
    ok: true,
    entries: verified,
    batches: batchCount,
    archivedEntries,
    headSeq: expectedSeq - 1,
    headHash: prevHash,
  }
}
