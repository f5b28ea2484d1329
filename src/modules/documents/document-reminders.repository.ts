import { sql, type Insertable, type Kysely } from 'kysely'
import type { Queryable } from '../../platform/db/database.js'
import { tablesOf, type PlatformTables } from '../../platform/db/tables.js'
import type { DocumentReminderTables, ReminderKind } from './document-reminders.tables.js'
import type { DocumentTables } from './documents.tables.js'

type All = PlatformTables & DocumentTables & DocumentReminderTables
const t = (q: Queryable): Kysely<All> => tablesOf<DocumentTables & DocumentReminderTables>(q)

/**
 * Open assignments with a deadline that have no reminder of this kind for that deadline yet, earliest deadline
 * first: overdue ones (`before` now), or those due between now and `until` (the caller checks the working time
 * left, which SQL cannot).
 */
export function candidates(
  q: Queryable,
  kind: ReminderKind,
  range: { from?: Date; before?: Date; until?: Date },
  limit: number,
) {
  let query = t(q)
    .selectFrom('document_assignments as a')
    .innerJoin('documents as d', 'd.id', 'a.document_id')
    .select([
      'a.id',
      'a.document_id',
      'a.assignee_unit_id',
      'a.assignee_user_id',
      'a.assignee_name',
      'a.role',
      'a.due_at',
      'a.forwarded_from',
      'a.assigned_by',
      'd.unit_id',
      'd.number',
      'd.code_number',
      'd.code_notation',
      'd.summary',
      'd.restricted',
    ])
    .where('a.status', '=', 'open')
    .where('a.due_at', 'is not', null)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('document_reminders as r')
            .select(sql.lit(1).as('one'))
            .whereRef('r.assignment_id', '=', 'a.id')
            .whereRef('r.due_at', '=', 'a.due_at')
            .where('r.kind', '=', kind),
        ),
      ),
    )
  if (range.from) query = query.where('a.due_at', '>=', range.from)
  if (range.before) query = query.where('a.due_at', '<', range.before)
  if (range.until) query = query.where('a.due_at', '<=', range.until)
  return query.orderBy('a.due_at').orderBy('a.id').limit(limit).execute()
}

export type Candidate = Awaited<ReturnType<typeof candidates>>[number] & { due_at: Date }

/**
 * The leader who assigned the work in the first place: a forwarded assignment was assigned by whoever
 * forwarded it, so the chain is followed back to the leader's own assignment.
 */
export async function originalAssigner(q: Queryable, assignmentId: string): Promise<string | null> {
  const result = await sql<{ assigned_by: string | null }>`
    with recursive chain as (
      select id, forwarded_from, assigned_by, 0 as depth from document_assignments where id = ${assignmentId}
      union all
      select a.id, a.forwarded_from, a.assigned_by, c.depth + 1
      from document_assignments a join chain c on a.id = c.forwarded_from
      where c.depth < 100
    )
    select assigned_by from chain where forwarded_from is null`.execute(q)
  return result.rows[0]?.assigned_by ?? null
}

/** Taken FOR UPDATE after the document's lock (the order assignee actions take), to see its current state. */
export function lockAssignment(q: Queryable, id: string) {
  return t(q)
    .selectFrom('document_assignments')
    .select(['id', 'status', 'due_at'])
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst()
}

/** Adds the reminder unless this assignment already had one of this kind for this deadline; its id if added. */
export async function insertReminder(
  q: Queryable,
  values: Insertable<DocumentReminderTables['document_reminders']>,
): Promise<string | undefined> {
  const row = await t(q)
    .insertInto('document_reminders')
    .values(values)
    .onConflict((oc) => oc.columns(['assignment_id', 'kind', 'due_at']).doNothing())
    .returning('id')
    .executeTakeFirst()
  return row?.id
}

export async function insertRecipients(
  q: Queryable,
  rows: Insertable<DocumentReminderTables['document_reminder_recipients']>[],
): Promise<void> {
  if (rows.length === 0) return
  await t(q).insertInto('document_reminder_recipients').values(rows).execute()
}

/**
 * A person's reminders not yet marked seen, newest first, for assignments still open on the deadline they
 * were for. Only those the person may still read: they hold the assignment, or lead the assigned unit or the
 * document's unit (`leaderUnits`), which is how they came to be told.
 */
export function unreadFor(q: Queryable, userId: string, leaderUnits: string[], limit: number) {
  return t(q)
    .selectFrom('document_reminder_recipients as rr')
    .innerJoin('document_reminders as r', 'r.id', 'rr.reminder_id')
    .innerJoin('document_assignments as a', 'a.id', 'r.assignment_id')
    .innerJoin('documents as d', 'd.id', 'r.document_id')
    .select([
      'r.id',
      'r.kind',
      'r.due_at',
      'r.created_at',
      'r.document_id',
      'r.assignment_id',
      'a.assignee_name',
      'a.role',
      'd.number',
      'd.code_number',
      'd.code_notation',
      'd.summary',
    ])
    .where('rr.user_id', '=', userId)
    .where('rr.read_at', 'is', null)
    .where('a.status', '=', 'open')
    .whereRef('a.due_at', '=', 'r.due_at')
    .where((eb) =>
      eb.or([
        eb('a.assignee_user_id', '=', userId),
        ...(leaderUnits.length
          ? [eb('a.assignee_unit_id', 'in', leaderUnits), eb('d.unit_id', 'in', leaderUnits)]
          : []),
      ]),
    )
    .orderBy('r.created_at', 'desc')
    .orderBy('r.id')
    .limit(limit)
    .execute()
}

export type UnreadRow = Awaited<ReturnType<typeof unreadFor>>[number]

export async function markAllRead(q: Queryable, userId: string, now: Date): Promise<number> {
  const result = await t(q)
    .updateTable('document_reminder_recipients')
    .set({ read_at: now })
    .where('user_id', '=', userId)
    .where('read_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}
