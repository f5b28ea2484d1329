import { X509Certificate } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { appendAudit, type AuditContext } from '../../platform/audit/audit.js'
import { authorize, type Actor } from '../../platform/auth/actor.js'
import { Permission } from '../../platform/auth/roles.js'
import { sql } from 'kysely'
import type { Queryable } from '../../platform/db/database.js'
import { tablesOf } from '../../platform/db/tables.js'
import { NotFoundError, ValidationError, type FieldErrors } from '../../platform/http/errors.js'
import type { ModuleDeps } from '../../platform/module.js'
import type { Seal, SigningKeys } from '../../platform/signing/index.js'
import {
  archiveMessageLog,
  verifyArchiveFile,
  type ArchiveResult,
  type ArchiveVerification,
} from './lgsp-log.archive.js'
import { chainMessageLog, verifyMessageLog, type Trust, type Verification } from './lgsp-log.chain.js'
import { decryptBody, sha256Base64, type BodyPart } from './lgsp-log.crypto.js'
import { createRecorder } from './lgsp-log.recorder.js'
import type { ExchangeColumns, MessageLogTables } from './lgsp-log.tables.js'

const t = (q: Queryable) => tablesOf<MessageLogTables>(q)

/** The unit whose key signs the log: the Provincial People's Committee, which runs the LGSP. */
export const SEAL_UNIT = { code: '000.00.00.H14', name: 'Ủy ban nhân dân tỉnh Cao Bằng' } as const

export type MessageLogDeps = ModuleDeps & { signing: SigningKeys }

export const PAGE_SIZE = 50
const MAX_PAGE_SIZE = 200

/** A search, already checked: exact client, service and request id; a status or a class (4xx); a time range. */
export type LogFilters = {
  client?: string
  service?: string
  requestId?: string
  status?: { exact: number } | { from: number; to: number }
  /** started_at ≥ from and < to. */
  from?: Date
  to?: Date
}

export type LogEntry = Omit<ExchangeColumns, 'request_body' | 'response_body'> & {
  /** null while the entry waits for the chainer. */
  seq: number | null
  batch_no: number | null
  hash: string | null
  has_request_body: boolean
  has_response_body: boolean
}

export type LogPage = {
  /** Entries recorded but not chained yet: shown on the first page only. */
  pending: LogEntry[]
  entries: LogEntry[]
  /** The `before` of the next (older) page; null on the last. */
  nextBefore: number | null
}

const VN_OFFSET = '+07:00'

/** `2026-11-27` (a day in Việt Nam) or a full ISO date-time; `endOfDay` moves a plain day to the next midnight. */
export function parseTime(value: string, endOfDay: boolean): Date | null {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value)
  if (day) {
    const start = new Date(`${value}T00:00:00${VN_OFFSET}`)
    if (Number.isNaN(start.getTime()) || start.toISOString().slice(0, 10) === 'Invalid') return null
    // Reject days like 2026-02-31, which Date would roll over.
    const check = new Date(Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3])))
    if (check.getUTCDate() !== Number(day[3])) return null
    return endOfDay ? new Date(start.getTime() + 86_400_000) : start
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return null
  const at = new Date(value)
  return Number.isNaN(at.getTime()) ? null : at
}

export type RawFilters = Partial<
  Record<'client' | 'service' | 'requestId' | 'status' | 'from' | 'to', string>
>

/** Checks a search; every bad field gets its Vietnamese message (422), nothing is silently dropped. */
export function parseFilters(raw: RawFilters): LogFilters {
  const errors: FieldErrors = {}
  const filters: LogFilters = {}
  const text = (value: string | undefined) => value?.normalize('NFC').trim() || undefined
  const long = (field: string, value: string | undefined) => {
    if (value && value.length > 512) errors[field] = 'Giá trị quá dài (tối đa 512 ký tự).'
    return value
  }
  filters.client = long('client', text(raw.client))
  filters.service = long('service', text(raw.service))
  filters.requestId = long('requestId', text(raw.requestId))
  const status = text(raw.status)
  if (status) {
    const exact = /^[1-5]\d\d$/.exec(status)
    const klass = /^([1-5])xx$/i.exec(status)
    if (exact) filters.status = { exact: Number(status) }
    else if (klass) filters.status = { from: Number(klass[1]) * 100, to: Number(klass[1]) * 100 + 99 }
    else errors.status = 'Mã trạng thái phải là một mã HTTP (ví dụ 200, 404) hoặc một nhóm (2xx, 4xx, 5xx).'
  }
  const from = text(raw.from)
  if (from) {
    const at = parseTime(from, false)
    if (at) filters.from = at
    else errors.from = 'Thời điểm bắt đầu không hợp lệ (dạng 2026-11-27 hoặc 2026-11-27T08:00:00+07:00).'
  }
  const to = text(raw.to)
  if (to) {
    const at = parseTime(to, true)
    if (at) filters.to = at
    else errors.to = 'Thời điểm kết thúc không hợp lệ (dạng 2026-11-27 hoặc 2026-11-27T17:00:00+07:00).'
  }
  if (filters.from && filters.to && filters.from >= filters.to) {
    errors.to = 'Thời điểm kết thúc phải sau thời điểm bắt đầu.'
  }
  if (Object.keys(errors).length > 0) throw new ValidationError(errors)
  return filters
}

export type BodyView = {
  part: BodyPart
  body: Buffer
  /** Whether SHA-256 of the decrypted body is the hash the gateway recorded (false for a cut-short body). */
  hashMatches: boolean
}

/** Thrown when a kept body cannot be decrypted: SECRET_KEY changed, or the stored bytes were altered. */
export class BodyUnreadableError extends ValidationError {
  constructor() {
    super(
      {},
      'Không giải mã được nội dung đã lưu: khóa bí mật SECRET_KEY đã đổi hoặc dữ liệu đã bị sửa. Hãy chạy "lgsp log verify".',
    )
  }
}

/** How long the recorder gathers exchanges into one insert (see lgsp-log.recorder.ts). */
export const RECORD_GATHER_MS = 20

export function createMessageLogService(deps: MessageLogDeps) {
  const { db, config, clock, signing } = deps
  const recorder = createRecorder({ db, secretKey: config.secretKey, clock, gatherMs: RECORD_GATHER_MS })
  const seal = (): Promise<Seal> => signing.sealFor(SEAL_UNIT.code, SEAL_UNIT.name)

  /** The trial CA in trial mode, every PEM in SIGNING_DIR/trusted/, and the platform's own certificate. */
  async function trust(): Promise<Trust> {
    const pems: string[] = []
    const trial = await signing.testCaPem()
    if (trial) pems.push(trial)
    const dir = join(config.signingDir, 'trusted')
    for (const name of (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.pem'))) {
      pems.push(await readFile(join(dir, name), 'utf8'))
    }
    const anchors = pems.flatMap((pem) =>
      (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).flatMap((one) => {
        try {
          return [new X509Certificate(one)]
        } catch {
          return []
        }
      }),
    )
    const current = await seal().then(
      (s) => s.certificatePem,
      () => null,
    )
    return { anchors, current }
  }

  function chain(batchSize?: number): Promise<number> {
    return chainMessageLog(db, seal, clock, batchSize)
  }

  /** Chains what is pending first, so the check covers every exchange recorded before it. */
  async function verify(): Promise<Verification & { pending: number; chainError: string | null }> {
    // Without the signing key nothing can be chained, but what is chained can still be checked.
    const chainError = await chain().then(
      () => null,
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    )
    const result = await verifyMessageLog(db, await trust())
    const pending = await t(db)
      .selectFrom('lgsp_log_pending')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    return { ...result, pending: Number(pending.n), chainError }
  }

  /** For pages that must refuse before they validate anything. */
  function assertCanRead(actor: Actor | null): void {
    authorize(actor, Permission.lgspLogRead)
  }

  async function search(actor: Actor | null, filters: LogFilters, page: { before?: number; limit?: number }) {
    authorize(actor, Permission.lgspLogRead)
    const limit = Math.min(Math.max(page.limit ?? PAGE_SIZE, 1), MAX_PAGE_SIZE)
    const pick = <T extends 'lgsp_log' | 'lgsp_log_pending'>(table: T) =>
      t(db)
        .selectFrom(table as 'lgsp_log')
        .$if(filters.client !== undefined, (qb) => qb.where('client', '=', filters.client!))
        .$if(filters.service !== undefined, (qb) => qb.where('service', '=', filters.service!))
        .$if(filters.requestId !== undefined, (qb) =>
          qb.where((eb) =>
            eb.or([eb('request_id', '=', filters.requestId!), eb('message_id', '=', filters.requestId!)]),
          ),
        )
        .$if(filters.status !== undefined && 'exact' in filters.status, (qb) =>
          qb.where('status', '=', (filters.status as { exact: number }).exact),
        )
        .$if(filters.status !== undefined && 'from' in filters.status, (qb) => {
          const range = filters.status as { from: number; to: number }
          return qb.where('status', '>=', range.from).where('status', '<=', range.to)
        })
        .$if(filters.from !== undefined, (qb) => qb.where('started_at', '>=', filters.from!))
        .$if(filters.to !== undefined, (qb) => qb.where('started_at', '<', filters.to!))
    const columns = [
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
    ] as const
    const rows = await pick('lgsp_log')
      .select([...columns, 'seq', 'batch_no', 'hash'])
      .select((eb) => [
        eb('request_body', 'is not', null).as('has_request_body'),
        eb('response_body', 'is not', null).as('has_response_body'),
      ])
      .$if(page.before !== undefined, (qb) => qb.where('seq', '<', page.before!))
      .orderBy('seq', 'desc')
      .limit(limit + 1)
      .execute()
    const pending =
      page.before === undefined
        ? await pick('lgsp_log_pending')
            .select(columns)
            .select((eb) => [
              eb('request_body', 'is not', null).as('has_request_body'),
              eb('response_body', 'is not', null).as('has_response_body'),
            ])
            .orderBy(sql`id`, 'desc')
            .limit(limit)
            .execute()
        : []
    const entries = rows.slice(0, limit).map((r) => normalise(r))
    return {
      pending: pending.map((r) => normalise({ ...r, seq: null, batch_no: null, hash: null })),
      entries,
      nextBefore: rows.length > limit ? entries.at(-1)!.seq : null,
    } satisfies LogPage
  }

  async function getEntry(actor: Actor | null, seq: number): Promise<LogEntry> {
    authorize(actor, Permission.lgspLogRead)
    const row = await t(db).selectFrom('lgsp_log').selectAll().where('seq', '=', seq).executeTakeFirst()
    if (!row)
      throw new NotFoundError('Không tìm thấy bản ghi trong nhật ký trao đổi (có thể đã được lưu trữ).')
    const { request_body, response_body, prev_hash: _prev, ...rest } = row
    return normalise({ ...rest, has_request_body: !!request_body, has_response_body: !!response_body })
  }

  /** Decrypts a kept body for an administrator; every reading (and every failed one) is audited. */
  async function readBody(
    actor: Actor | null,
    seq: number,
    part: BodyPart,
    context: AuditContext,
  ): Promise<BodyView> {
    // A refusal is audited by the HTTP kernel (permission.denied), like every other one.
    authorize(actor, Permission.lgspLogDecrypt)
    const row = await t(db)
      .selectFrom('lgsp_log')
      .select(['message_id', 'request_body', 'response_body', 'request_hash', 'response_hash'])
      .where('seq', '=', seq)
      .executeTakeFirst()
    const stored = part === 'request' ? row?.request_body : row?.response_body
    if (!row || !stored)
      throw new NotFoundError('Bản ghi này không lưu nội dung (theo chính sách của dịch vụ).')
    let body: Buffer
    try {
      body = decryptBody(stored, config.secretKey, row.message_id, part)
    } catch {
      await appendAudit(db, context, {
        action: 'lgsp.log.body_read',
        outcome: 'failed',
        objectType: 'lgsp_log',
        objectId: String(seq),
        details: { part, messageId: row.message_id },
      })
      throw new BodyUnreadableError()
    }
    await appendAudit(db, context, {
      action: 'lgsp.log.body_read',
      objectType: 'lgsp_log',
      objectId: String(seq),
      details: { part, messageId: row.message_id, bytes: body.length },
    })
    const recorded = part === 'request' ? row.request_hash : row.response_hash
    return { part, body, hashMatches: sha256Base64(body) === recorded }
  }

  /** Chains what is pending, then moves the batches signed before `before` into a signed archive file. */
  async function archive(options: { before: Date; out: string }): Promise<ArchiveResult> {
    await chain()
    return archiveMessageLog(db, await seal(), await trust(), clock, options)
  }

  /** Checks an archive file; when it is valid, also says whether this database recorded archiving it. */
  async function verifyArchive(file: string): Promise<ArchiveVerification & { recorded?: boolean }> {
    const result = await verifyArchiveFile(file, await trust())
    if (!result.ok) return result
    const record = await t(db)
      .selectFrom('lgsp_log_archives')
      .select('id')
      .where('file_sha256', '=', result.fileSha256)
      .executeTakeFirst()
    return { ...result, recorded: record !== undefined }
  }

  return {
    recorder,
    seal,
    trust,
    chain,
    verify,
    archive,
    verifyArchive,
    assertCanRead,
    search,
    getEntry,
    readBody,
  }
}

type Selected = Omit<LogEntry, 'has_request_body' | 'has_response_body'> & {
  has_request_body: unknown
  has_response_body: unknown
}

function normalise(row: Selected): LogEntry {
  return {
    ...row,
    has_request_body: Boolean(row.has_request_body),
    has_response_body: Boolean(row.has_response_body),
    seq: row.seq === null ? null : Number(row.seq),
    batch_no: row.batch_no === null ? null : Number(row.batch_no),
    request_bytes: Number(row.request_bytes),
    response_bytes: Number(row.response_bytes),
  }
}

export type MessageLogService = ReturnType<typeof createMessageLogService>
