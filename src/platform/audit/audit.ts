import { createHash } from 'node:crypto'
import { sql } from 'kysely'
import type { Db, Queryable, Tx } from '../db/database.js'
import type { AuditLogTable } from '../db/tables.js'

export const GENESIS_HASH = '0'.repeat(64)

/** Who did it and from where; taken from the request, or a CLI/system label. */
export type AuditContext = {
  actorId: string | null
  actorLabel: string | null
  ip: string | null
  requestId: string | null
}

export const SYSTEM_CONTEXT: AuditContext = { actorId: null, actorLabel: 'system', ip: null, requestId: null }

export type AuditEntry = {
  action: string
  outcome?: 'ok' | 'denied' | 'failed'
  objectType?: string
  objectId?: string
  unitId?: string | null
  details?: Record<string, unknown>
}

type ChainedFields = Omit<AuditLogTable, 'prev_hash' | 'hash' | 'details'> & {
  details: Record<string, unknown>
}

/** Same bytes for the same content, whatever order jsonb gives the keys back in. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null)
  if (value instanceof Date) return JSON.stringify(value.toISOString())
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
}

export function chainHash(prevHash: string, row: ChainedFields): string {
  const content = canonicalJson({ ...row, at: row.at.toISOString() })
  return createHash('sha256').update(prevHash).update('\n').update(content).digest('hex')
}

/**
 * Appends one entry. Inside the caller's transaction when given one, so the audited change and its
 * entry commit together; the advisory lock orders concurrent writers so the chain never forks.
 */
export async function appendAudit(
  q: Queryable,
  context: AuditContext,
  entry: AuditEntry,
  now: Date = new Date(),
): Promise<void> {
  if (!q.isTransaction) {
    await q.transaction().execute((tx) => appendAudit(tx, context, entry, now))
    return
  }
  const tx = q as Tx
  await sql`select pg_advisory_xact_lock(7301995)`.execute(tx)
  const last = await tx
    .selectFrom('audit_log')
    .select(['seq', 'hash'])
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst()
  const row: ChainedFields = {
    seq: (last?.seq ?? 0) + 1,
    at: now,
    actor_id: context.actorId,
    actor_label: context.actorLabel,
    action: entry.action,
    outcome: entry.outcome ?? 'ok',
    object_type: entry.objectType ?? null,
    object_id: entry.objectId ?? null,
    unit_id: entry.unitId ?? null,
    ip: context.ip,
    request_id: context.requestId,
    details: entry.details ?? {},
  }
  const prevHash = last?.hash ?? GENESIS_HASH
  await tx
    .insertInto('audit_log')
    .values({
      ...row,
      details: JSON.stringify(row.details),
      prev_hash: prevHash,
      hash: chainHash(prevHash, row),
    })
    .execute()
}

export type AuditVerification =
  | { ok: true; count: number; headHash: string }
  | { ok: false; count: number; brokenAt: number; reason: string }

/** Walks the chain in order and reports the first row whose link or content does not hold. */
export async function verifyAudit(db: Db, batchSize = 2000): Promise<AuditVerification> {
  let expectedSeq = 1
  let prevHash = GENESIS_HASH
  for (;;) {
    const rows = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>=', expectedSeq)
      .orderBy('seq')
      .limit(batchSize)
      .execute()
    for (const row of rows) {
      const count = expectedSeq - 1
      if (row.seq !== expectedSeq) {
        return {
          ok: false,
          count,
          brokenAt: expectedSeq,
          reason: `bản ghi số ${expectedSeq} đã bị xóa (row deleted)`,
        }
      }
      if (row.prev_hash !== prevHash) {
        return {
          ok: false,
          count,
          brokenAt: row.seq,
          reason: 'liên kết với bản ghi trước bị sai (broken link)',
        }
      }
      const { prev_hash: _p, hash, ...fields } = row
      if (chainHash(prevHash, fields) !== hash) {
        return { ok: false, count, brokenAt: row.seq, reason: 'nội dung đã bị sửa (content changed)' }
      }
      prevHash = hash
      expectedSeq++
    }
    if (rows.length < batchSize) return { ok: true, count: expectedSeq - 1, headHash: prevHash }
  }
}

export type AuditQuery = {
  actorId?: string
  action?: string
  objectId?: string
  beforeSeq?: number
  limit?: number
}

export function listAudit(db: Db, query: AuditQuery) {
  let q = db
    .selectFrom('audit_log')
    .selectAll()
    .orderBy('seq', 'desc')
    .limit(query.limit ?? 50)
  if (query.actorId) q = q.where('actor_id', '=', query.actorId)
  if (query.action) q = q.where('action', '=', query.action)
  if (query.objectId) q = q.where('object_id', '=', query.objectId)
  if (query.beforeSeq) q = q.where('seq', '<', query.beforeSeq)
  return q.execute()
}
