import type { Insertable, Selectable } from 'kysely'
import type { Queryable } from '../../platform/db/database.js'
import { tablesOf } from '../../platform/db/tables.js'
import type { Contact } from './notification-plan.js'
import type { NotificationStatus, NotificationTables } from './notifications.tables.js'

export type NotificationRow = Selectable<NotificationTables['notifications']>
const t = (q: Queryable) => tablesOf<NotificationTables>(q)

export async function saveContact(q: Queryable, contact: Contact, now: Date): Promise<void> {
  const values = {
    unit_id: contact.unitId,
    channel: contact.channel,
    user_id: contact.userId,
    email: contact.email,
    phone: contact.phone,
    procedure_name: contact.procedureName,
    updated_at: now,
  }
  await t(q)
    .insertInto('notification_contacts')
    .values({ dossier_code: contact.dossierCode, ...values })
    .onConflict((oc) => oc.column('dossier_code').doUpdateSet(values))
    .execute()
}

export async function findContact(q: Queryable, dossierCode: string): Promise<Contact | undefined> {
  const row = await t(q)
    .selectFrom('notification_contacts')
    .selectAll()
    .where('dossier_code', '=', dossierCode)
    .executeTakeFirst()
  return (
    row && {
      dossierCode: row.dossier_code,
      unitId: row.unit_id,
      channel: row.channel,
      userId: row.user_id,
      email: row.email,
      phone: row.phone,
      procedureName: row.procedure_name,
    }
  )
}

/** Adds a message unless this event already gave one for the channel and recipient; returns its id if added. */
export async function insertNotification(
  q: Queryable,
  values: Insertable<NotificationTables['notifications']>,
): Promise<string | undefined> {
  const row = await t(q)
    .insertInto('notifications')
    .values(values)
    .onConflict((oc) => oc.columns(['event_seq', 'channel', 'recipient']).doNothing())
    .returning('id')
    .executeTakeFirst()
  return row?.id
}

export function findNotification(q: Queryable, id: string) {
  return t(q).selectFrom('notifications').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function countAttempt(q: Queryable, id: string, now: Date): Promise<void> {
  await t(q)
    .updateTable('notifications')
    .set((eb) => ({ attempts: eb('attempts', '+', 1), updated_at: now }))
    .where('id', '=', id)
    .execute()
}

export async function markSent(q: Queryable, id: string, now: Date): Promise<void> {
  await t(q)
    .updateTable('notifications')
    .set({ status: 'sent', sent_at: now, last_error: null, updated_at: now })
    .where('id', '=', id)
    .execute()
}

/** After a failed attempt: still `queued` while attempts remain, `failed` after the last. */
export async function markAttemptFailed(
  q: Queryable,
  id: string,
  status: 'queued' | 'failed',
  error: string,
  now: Date,
): Promise<void> {
  await t(q)
    .updateTable('notifications')
    .set({ status, last_error: error, updated_at: now })
    .where('id', '=', id)
    .where('status', '<>', 'sent')
    .execute()
}

export async function markSkipped(q: Queryable, id: string, reason: string, now: Date): Promise<void> {
  await t(q)
    .updateTable('notifications')
    .set({ status: 'skipped', last_error: reason, updated_at: now })
    .where('id', '=', id)
    .execute()
}

/** A failed message back in the queue; false when it is no longer failed (retried already, or sent). */
export async function requeue(q: Queryable, id: string, now: Date): Promise<boolean> {
  const result = await t(q)
    .updateTable('notifications')
    .set({ status: 'queued', updated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'failed')
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

export type Cursor = { at: Date; id: string }
export type ListFilter = {
  userId?: string
  status?: NotificationStatus
  /** null: every unit. */
  unitIds?: readonly string[] | null
  before?: Cursor
}

/** Newest first, `limit` rows after the cursor. */
export async function listNotifications(q: Queryable, filter: ListFilter, limit: number) {
  if (filter.unitIds?.length === 0) return []
  let query = t(q).selectFrom('notifications').selectAll()
  if (filter.userId) query = query.where('user_id', '=', filter.userId)
  if (filter.status) query = query.where('status', '=', filter.status)
  if (filter.unitIds) query = query.where('unit_id', 'in', filter.unitIds)
  const before = filter.before
  if (before) {
    query = query.where((eb) =>
      eb.or([
        eb('created_at', '<', before.at),
        eb.and([eb('created_at', '=', before.at), eb('id', '<', before.id)]),
      ]),
    )
  }
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute()
}
