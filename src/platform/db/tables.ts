import type { ColumnType, Generated, Kysely, Transaction } from 'kysely'
import type { JobsTables } from '../jobs/jobs.tables.js'

/** Tables owned by the platform kernel. Modules declare their own and widen with `tablesOf`. */
export type PlatformTables = {
  schema_migrations: { version: string; applied_at: ColumnType<Date, Date | undefined, never> }
  audit_log: AuditLogTable
  audit_pending: AuditPendingTable
  outbox: OutboxTable
} & JobsTables

export type AuditLogTable = {
  seq: number
  at: Date
  actor_id: string | null
  actor_label: string | null
  action: string
  outcome: 'ok' | 'denied' | 'failed'
  object_type: string | null
  object_id: string | null
  unit_id: string | null
  ip: string | null
  request_id: string | null
  details: ColumnType<Record<string, unknown>, string, never>
  prev_hash: string
  hash: string
}

/** An entry written but not yet chained: the chained fields without seq and hashes. */
export type AuditPendingTable = Omit<AuditLogTable, 'seq' | 'prev_hash' | 'hash'> & { id: Generated<number> }

/** Domain events written with the change they report; `seq` is their delivery order (0010_platform_jobs). */
export type OutboxTable = {
  id: Generated<number>
  topic: string
  payload: ColumnType<unknown, string, never>
  created_at: Generated<Date>
  delivered_at: Date | null
  seq: number | null
}

export type Timestamps = {
  created_at: Generated<Date>
  updated_at: Generated<Date>
}

/**
 * Widens a database handle (pool or transaction) with a module's own table types; the handle is
 * the same object, so a transaction stays a transaction.
 */
export function tablesOf<T>(
  q: Kysely<PlatformTables> | Transaction<PlatformTables>,
): Kysely<PlatformTables & T> {
  return q as unknown as Kysely<PlatformTables & T>
}
