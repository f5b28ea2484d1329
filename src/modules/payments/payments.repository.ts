import { sql, type Insertable, type Selectable, type Updateable } from 'kysely'
import type { Queryable } from '../../platform/db/database.js'
import { tablesOf } from '../../platform/db/tables.js'
import type { PaymentTables } from './payments.tables.js'

export type PaymentRow = Selectable<PaymentTables['payments']>
export type CallbackRow = Selectable<PaymentTables['payment_callbacks']>
const t = (q: Queryable) => tablesOf<PaymentTables>(q)

export function insertPayment(q: Queryable, values: Insertable<PaymentTables['payments']>) {
  return t(q).insertInto('payments').values(values).returningAll().executeTakeFirstOrThrow()
}

export function updatePayment(q: Queryable, id: string, values: Updateable<PaymentTables['payments']>) {
  return t(q)
    .updateTable('payments')
    .set(values)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
}

export async function nextAttempt(q: Queryable, dossierCode: string): Promise<number> {
  const row = await t(q)
    .selectFrom('payments')
    .select(sql<number>`coalesce(max(attempt), 0)::int + 1`.as('next'))
    .where('dossier_code', '=', dossierCode)
    .executeTakeFirstOrThrow()
  return row.next
}

export function findByReference(q: Queryable, reference: string) {
  return t(q).selectFrom('payments').selectAll().where('reference', '=', reference).executeTakeFirst()
}

/** Taken FOR UPDATE inside a transaction: two notices of one attempt are applied one after the other. */
export function lockPayment(q: Queryable, id: string) {
  return t(q).selectFrom('payments').selectAll().where('id', '=', id).forUpdate().executeTakeFirstOrThrow()
}

export function listForDossier(q: Queryable, dossierCode: string) {
  return t(q)
    .selectFrom('payments')
    .selectAll()
    .where('dossier_code', '=', dossierCode)
    .orderBy('attempt', 'desc')
    .execute()
}

/** Pending attempts, oldest first; `unitIds` null means every unit. */
export async function listPending(
  q: Queryable,
  unitIds: readonly string[] | null,
  limit: number,
  createdBefore?: Date,
) {
  if (unitIds?.length === 0) return []
  let query = t(q).selectFrom('payments').selectAll().where('status', '=', 'pending')
  if (unitIds) query = query.where('unit_id', 'in', unitIds)
  if (createdBefore) query = query.where('created_at', '<', createdBefore)
  return query.orderBy('created_at').limit(limit).execute()
}

/** Succeeded attempts whose recording on the dossier was interrupted (neither done nor refused). */
export async function listUnrecorded(q: Queryable, unitIds: readonly string[] | null, limit: number) {
  if (unitIds?.length === 0) return []
  let query = t(q)
    .selectFrom('payments')
    .selectAll()
    .where('status', '=', 'succeeded')
    .where('recorded', '=', false)
    .where('record_problem', 'is', null)
  if (unitIds) query = query.where('unit_id', 'in', unitIds)
  return query.orderBy('created_at').limit(limit).execute()
}

export async function listForDay(q: Queryable, from: Date, to: Date, unitIds: readonly string[] | null) {
  if (unitIds?.length === 0) return []
  let query = t(q)
    .selectFrom('payments')
    .selectAll()
    .where('created_at', '>=', from)
    .where('created_at', '<', to)
  if (unitIds) query = query.where('unit_id', 'in', unitIds)
  return query.orderBy('created_at').limit(5000).execute()
}

/**
 * Notices of the day that something was wrong with: a bad signature, an unknown reference, an amount that
 * differs. Officers see those naming a payment of their units; `unitIds` null (administrators) sees all.
 */
export async function listSuspiciousCallbacks(
  q: Queryable,
  from: Date,
  to: Date,
  unitIds: readonly string[] | null,
) {
  if (unitIds?.length === 0) return []
  let query = t(q)
    .selectFrom('payment_callbacks as c')
    .leftJoin('payments as p', 'p.id', 'c.payment_id')
    .select([
      'c.id',
      'c.received_at',
      'c.source',
      'c.reference',
      'c.signature_ok',
      'c.outcome',
      'c.remote_ip',
      'p.dossier_code',
    ])
    .where('c.received_at', '>=', from)
    .where('c.received_at', '<', to)
    .where((eb) =>
      eb.or([
        eb('c.signature_ok', '=', false),
        eb('c.outcome', 'in', ['unknown_reference', 'amount_mismatch']),
      ]),
    )
  if (unitIds) query = query.where('p.unit_id', 'in', unitIds)
  return query.orderBy('c.received_at').limit(1000).execute()
}

/** The attempt written on the dossier as its fee payment, if it was paid online. */
export function findRecorded(q: Queryable, dossierCode: string) {
  return t(q)
    .selectFrom('payments')
    .selectAll()
    .where('dossier_code', '=', dossierCode)
    .where('recorded', '=', true)
    .executeTakeFirst()
}

export async function logCallback(q: Queryable, values: Insertable<PaymentTables['payment_callbacks']>) {
  await t(q).insertInto('payment_callbacks').values(values).execute()
}
