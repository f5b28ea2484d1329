import { sql, type Insertable, type Kysely, type Selectable, type Updateable } from 'kysely'
import type { Queryable } from '../../platform/db/database.js'
import { tablesOf, type PlatformTables } from '../../platform/db/tables.js'
import type { DocumentTables } from './documents.tables.js'
import type { MeetingTables } from './meetings.tables.js'

export type MeetingRow = Selectable<MeetingTables['meetings']>
export type AttendeeRow = Selectable<MeetingTables['meeting_attendees']>
export type MeetingDocumentRow = Selectable<MeetingTables['meeting_documents']>

type All = PlatformTables & DocumentTables & MeetingTables
const t = (q: Queryable): Kysely<All> => tablesOf<DocumentTables & MeetingTables>(q)
const isUuid = (id: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)

export function insertMeeting(q: Queryable, values: Insertable<MeetingTables['meetings']>) {
  return t(q).insertInto('meetings').values(values).returningAll().executeTakeFirstOrThrow()
}

export function findMeeting(q: Queryable, id: string) {
  if (!isUuid(id)) return Promise.resolve(undefined)
  return t(q).selectFrom('meetings').selectAll().where('id', '=', id).executeTakeFirst()
}

export function lockMeeting(q: Queryable, id: string) {
  return t(q).selectFrom('meetings').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
}

export function updateMeeting(q: Queryable, id: string, values: Updateable<MeetingTables['meetings']>) {
  return t(q)
    .updateTable('meetings')
    .set(values)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
}

export async function insertAttendees(q: Queryable, rows: Insertable<MeetingTables['meeting_attendees']>[]) {
  if (rows.length > 0) await t(q).insertInto('meeting_attendees').values(rows).execute()
}

export function listAttendees(q: Queryable, meetingId: string) {
  return t(q)
    .selectFrom('meeting_attendees')
    .selectAll()
    .where('meeting_id', '=', meetingId)
    .orderBy('name')
    .execute()
}

export function updateAttendee(
  q: Queryable,
  meetingId: string,
  userId: string,
  values: Updateable<MeetingTables['meeting_attendees']>,
) {
  return t(q)
    .updateTable('meeting_attendees')
    .set(values)
    .where('meeting_id', '=', meetingId)
    .where('user_id', '=', userId)
    .executeTakeFirst()
}

export async function deleteAttendees(q: Queryable, meetingId: string, userIds: readonly string[]) {
  if (userIds.length > 0)
    await t(q)
      .deleteFrom('meeting_attendees')
      .where('meeting_id', '=', meetingId)
      .where('user_id', 'in', userIds)
      .execute()
}

/** The time changed: earlier answers no longer hold, everyone is asked again. */
export async function resetResponses(q: Queryable, meetingId: string) {
  await t(q)
    .updateTable('meeting_attendees')
    .set({ response: 'pending', response_note: null, responded_at: null })
    .where('meeting_id', '=', meetingId)
    .execute()
}

/** The agenda is replaced as a whole when it is edited; the old one is in the meeting's history. */
export async function replaceAgenda(
  q: Queryable,
  meetingId: string,
  rows: Insertable<MeetingTables['meeting_agenda_items']>[],
) {
  await t(q).deleteFrom('meeting_agenda_items').where('meeting_id', '=', meetingId).execute()
  await insertAgenda(q, rows)
}

export async function insertAgenda(q: Queryable, rows: Insertable<MeetingTables['meeting_agenda_items']>[]) {
  if (rows.length > 0) await t(q).insertInto('meeting_agenda_items').values(rows).execute()
}

export function listAgenda(q: Queryable, meetingId: string) {
  return t(q)
    .selectFrom('meeting_agenda_items')
    .selectAll()
    .where('meeting_id', '=', meetingId)
    .orderBy('position')
    .execute()
}

export function insertMeetingDocument(q: Queryable, values: Insertable<MeetingTables['meeting_documents']>) {
  return t(q).insertInto('meeting_documents').values(values).returningAll().executeTakeFirstOrThrow()
}

export async function nextDocumentPosition(q: Queryable, meetingId: string) {
  const row = await t(q)
    .selectFrom('meeting_documents')
    .select((eb) => eb.fn.coalesce(eb.fn.max('position'), eb.lit(0)).as('last'))
    .where('meeting_id', '=', meetingId)
    .executeTakeFirstOrThrow()
  return Number(row.last) + 1
}

/** A meeting's documents; a linked one carries its document's number, notation and whether it is restricted. */
export function listMeetingDocuments(q: Queryable, meetingId: string) {
  return t(q)
    .selectFrom('meeting_documents as m')
    .leftJoin('documents', 'documents.id', 'm.document_id')
    .selectAll('m')
    .select([
      'documents.code_number',
      'documents.code_notation',
      'documents.summary',
      'documents.restricted',
      'documents.unit_id as document_unit_id',
    ])
    .where('m.meeting_id', '=', meetingId)
    .where('m.removed_at', 'is', null)
    .orderBy('m.position')
    .execute()
}

/**
 * Every registered document ever linked to a meeting (those taken off too: the history still names them),
 * with whether it is confidential or urgent now.
 */
export function linkedDocumentsOf(q: Queryable, meetingId: string) {
  return t(q)
    .selectFrom('meeting_documents as m')
    .innerJoin('documents', 'documents.id', 'm.document_id')
    .select(['documents.id', 'documents.restricted'])
    .distinct()
    .where('m.meeting_id', '=', meetingId)
    .execute()
}

/** How many documents a meeting shows (those taken off are not counted). */
export async function countMeetingDocuments(q: Queryable, meetingId: string) {
  const row = await t(q)
    .selectFrom('meeting_documents')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('meeting_id', '=', meetingId)
    .where('removed_at', 'is', null)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Takes a document off a meeting; undefined when it is not one of the meeting's documents (any more). */
export async function removeMeetingDocument(
  q: Queryable,
  meetingId: string,
  itemId: string,
  by: string,
  now: Date,
) {
  if (!isUuid(itemId)) return undefined
  return t(q)
    .updateTable('meeting_documents')
    .set({ removed_at: now, removed_by: by })
    .where('id', '=', itemId)
    .where('meeting_id', '=', meetingId)
    .where('removed_at', 'is', null)
    .returning(['id', 'title', 'document_id'])
    .executeTakeFirst()
}

/** The meetings a person organises, chairs or attends: upcoming first (soonest first), then past ones. */
export function meetingsOf(q: Queryable, userId: string, now: Date, limit: number) {
  return t(q)
    .selectFrom('meetings')
    .selectAll('meetings')
    .select((eb) =>
      eb
        .selectFrom('meeting_attendees')
        .select('response')
        .whereRef('meeting_attendees.meeting_id', '=', 'meetings.id')
        .where('meeting_attendees.user_id', '=', userId)
        .as('my_response'),
    )
    .where((eb) =>
      eb.or([
        eb('organiser_id', '=', userId),
        eb('chair_id', '=', userId),
        eb.exists(
          eb
            .selectFrom('meeting_attendees')
            .select(sql.lit(1).as('one'))
            .whereRef('meeting_attendees.meeting_id', '=', 'meetings.id')
            .where('meeting_attendees.user_id', '=', userId),
        ),
      ]),
    )
    .orderBy(sql`(starts_at < ${now})`)
    .orderBy(sql`case when starts_at >= ${now} then starts_at end asc`)
    .orderBy('starts_at', 'desc')
    .limit(limit)
    .execute()
}

export async function isAttendee(q: Queryable, meetingId: string, userId: string) {
  const row = await t(q)
    .selectFrom('meeting_attendees')
    .select('user_id')
    .where('meeting_id', '=', meetingId)
    .where('user_id', '=', userId)
    .executeTakeFirst()
  return row !== undefined
}

export async function appendMeetingHistory(
  q: Queryable,
  values: Omit<Insertable<MeetingTables['meeting_history']>, 'seq'>,
) {
  const last = await t(q)
    .selectFrom('meeting_history')
    .select((eb) => eb.fn.coalesce(eb.fn.max('seq'), eb.lit(0)).as('seq'))
    .where('meeting_id', '=', values.meeting_id)
    .executeTakeFirstOrThrow()
  await t(q)
    .insertInto('meeting_history')
    .values({ ...values, seq: Number(last.seq) + 1 })
    .execute()
}

export function listMeetingHistory(q: Queryable, meetingId: string) {
  return t(q)
    .selectFrom('meeting_history')
    .selectAll()
    .where('meeting_id', '=', meetingId)
    .orderBy('seq')
    .execute()
}
