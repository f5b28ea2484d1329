import { createHash } from 'node:crypto'
import { sql } from 'kysely'
import type { Db, Queryable } from '../db/database.js'
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
 * Records one entry. Inside the caller's transaction when given one, so the audited change and its entry
 * commit together. The entry waits in audit_pending, taking no lock, until `chainAudit` links it into the
 * chain: audited writes no longer queue behind one another (decision 0005).
 */
export async function appendAudit(
  q: Queryable,
  context: AuditContext,
  entry: AuditEntry,
  now: Date = new Date(),
): Promise<void> {
  await q
    .insertInto('audit_pending')
    .values({
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
      details: JSON.stringify(entry.details ?? {}),
    })
    .execute()
}

/**
 * Moves committed pending entries into the hash chain, oldest first, in batches. One chainer at a time (the
 * advisory lock); a second caller waits and then finds nothing left, so after it returns every entry
 * committed before the call is chained. Returns how many entries it chained.
 */
export async function chainAudit(db: Db, batchSize = 500): Promise<number> {
  let total = 0
  for (;;) {
    const moved = await db.transaction().execute(async (tx) => {
      await sql`select pg_advisory_xact_lock(7301995)`.execute(tx)
      const pending = await tx
        .selectFrom('audit_pending')
        .selectAll()
        .orderBy('id')
        .limit(batchSize)
        .execute()
      if (pending.length === 0) return 0
      const last = await tx
        .selectFrom('audit_log')
        .select(['seq', 'hash'])
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst()
      let seq = last?.seq ?? 0
      let prevHash = last?.hash ?? GENESIS_HASH
      const rows = pending.map(({ id: _id, ...fields }) => {
        const row: ChainedFields = { ...fields, seq: ++seq }
        const hash = chainHash(prevHash, row)
        const chained = { ...row, details: JSON.stringify(row.details), prev_hash: prevHash, hash }
        prevHash = hash
        return chained
      })
      await tx.insertInto('audit_log').values(rows).execute()
      await tx
        .deleteFrom('audit_pending')
        .where(
          'id',
          'in',
          pending.map((p) => p.id),
        )
        .execute()
      return pending.length
    })
    total += moved
    if (moved < batchSize) return total
  }
}

export type AuditVerification =
  | { ok: true; count: number; headHash: string }
  | { ok: false; count: number; brokenAt: number; reason: string }

/** Walks the chain in order and reports the first row whose link or content does not hold. */
export async function verifyAudit(db: Db, batchSize = 2000): Promise<AuditVerification> {
  await chainAudit(db)
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

/** The chained log, newest first; entries still pending are chained first so none is missing. */
export async function listAudit(db: Db, query: AuditQuery) {
  await chainAudit(db)
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
