import { sql, type Insertable, type Kysely, type Selectable, type Updateable } from 'kysely'
import type { Queryable } from '../../platform/db/database.js'
import { tablesOf, type PlatformTables } from '../../platform/db/tables.js'
import { queuePackageSend } from './document-exchange.queue.js'
import type { DocumentTables } from './documents.tables.js'
import type { OutgoingTables } from './outgoing.tables.js'

/** SQL of the exchange with agencies outside the platform: the outbox, and finding what a message is about. */
type All = PlatformTables & DocumentTables & OutgoingTables
const t = (q: Queryable): Kysely<All> => tablesOf<DocumentTables & OutgoingTables>(q)

export type OutboxRow = Selectable<OutgoingTables['document_exchange_outbox']>

/**
 * The document a recall, update or replacement package refers to: received in the unit as edXML from that
 * sender, under that DocumentId. Copies delivered inside the platform are amended by the platform itself, never
 * by a package (which anyone could write claiming a unit of the platform as its sender).
 */
export function findReceived(q: Queryable, unitId: string, senderCode: string, documentId: string) {
  return t(q)
    .selectFrom('documents')
    .selectAll()
    .where('unit_id', '=', unitId)
    .where('issuer_code', '=', senderCode)
    .where('source', '=', 'edxml')
    .where(sql<string>`edxml ->> 'documentId'`, '=', documentId)
    .orderBy('received_at', 'desc')
    .limit(1)
    .executeTakeFirst()
}

/** Whether a request (a package, by its key) was already applied to a document. */
export async function requestSeen(q: Queryable, documentId: string, request: string): Promise<boolean> {
  const row = await t(q)
    .selectFrom('document_history')
    .select('id')
    .where('document_id', '=', documentId)
    .where(sql<string>`details ->> 'request'`, '=', request)
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}

/** Writes a package for an agency and queues its sending, in the caller's transaction. */
export async function insertOutbox(
  q: Queryable,
  values: Omit<Insertable<OutgoingTables['document_exchange_outbox']>, 'state'>,
): Promise<number> {
  const row = await t(q)
    .insertInto('document_exchange_outbox')
    .values({ ...values, state: 'queued' })
    .returning('id')
    .executeTakeFirstOrThrow()
  await queuePackageSend(q, Number(row.id))
  return Number(row.id)
}

export function findOutbox(q: Queryable, id: number) {
  return t(q).selectFrom('document_exchange_outbox').selectAll().where('id', '=', id).executeTakeFirst()
}

/** Packages for the same agency and document still to send, oldest first: they go in that order. */
export function queuedFor(q: Queryable, agencyCode: string, documentKey: string) {
  return t(q)
    .selectFrom('document_exchange_outbox')
    .selectAll()
    .where('agency_code', '=', agencyCode)
    .where('document_key', '=', documentKey)
    .where('state', '=', 'queued')
    .orderBy('id')
    .execute()
}

export function updateOutbox(
  q: Queryable,
  id: number,
  values: Updateable<OutgoingTables['document_exchange_outbox']>,
) {
  return t(q).updateTable('document_exchange_outbox').set(values).where('id', '=', id).execute()
}

/** Closes a queued package; false when another job closed it first. */
export async function finishOutbox(
  q: Queryable,
  id: number,
  values: Updateable<OutgoingTables['document_exchange_outbox']>,
): Promise<boolean> {
  const result = await t(q)
    .updateTable('document_exchange_outbox')
    .set(values)
    .where('id', '=', id)
    .where('state', '=', 'queued')
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

export function listOutbox(q: Queryable, outgoingId: string) {
  return t(q)
    .selectFrom('document_exchange_outbox')
    .selectAll()
    .where('outgoing_id', '=', outgoingId)
    .orderBy('id')
    .execute()
}

/** Packages that did not go over the LGSP (the agency had no subscription, or it failed): to try again. */
export function unsentOf(q: Queryable, outgoingId: string) {
  return t(q)
    .selectFrom('document_exchange_outbox')
    .selectAll()
    .where('outgoing_id', '=', outgoingId)
    .where('state', 'in', ['unreachable', 'failed'])
    .orderBy('id')
    .execute()
}

/** The status messages of a received document not sent yet, oldest first. */
export function unsentStatusMessages(q: Queryable, documentId: string) {
  return t(q)
    .selectFrom('document_status_messages')
    .selectAll()
    .where('document_id', '=', documentId)
    .where('sent_at', 'is', null)
    .orderBy('id')
    .execute()
}

/** The agencies still owed a status message (the partial index of unsent messages holds only these). */
export async function agenciesOwedStatus(q: Queryable): Promise<string[]> {
  const rows = await t(q)
    .selectFrom('document_status_messages')
    .select('to_organ_id')
    .distinct()
    .where('sent_at', 'is', null)
    .execute()
  return rows.map((r) => r.to_organ_id)
}

/**
 * The received documents owing an agency status messages, the longest waiting first, each with its latest
 * unsent message (the job for it sends the earlier ones first); at most `limit`, the rest on the next scan.
 */
export function documentsOwedStatus(q: Queryable, agencyCode: string, limit: number) {
  return t(q)
    .selectFrom('document_status_messages')
    .select(['document_id', (eb) => eb.fn.max('id').as('last_id')])
    .where('sent_at', 'is', null)
    .where('to_organ_id', '=', agencyCode)
    .groupBy('document_id')
    .orderBy(sql`min(id)`)
    .limit(limit)
    .execute()
}

/** The packages of one recipient of an outgoing document, oldest first. */
export function outboxOfRecipient(q: Queryable, outgoingId: string, recipientId: string) {
  return t(q)
    .selectFrom('document_exchange_outbox')
    .selectAll()
    .where('outgoing_id', '=', outgoingId)
    .where('recipient_id', '=', recipientId)
    .orderBy('id')
    .execute()
}

export function updateStatusMessage(
  q: Queryable,
  id: number,
  values: Updateable<DocumentTables['document_status_messages']>,
) {
  return t(q).updateTable('document_status_messages').set(values).where('id', '=', id).execute()
}

/** An issued outgoing document of one of these units, by the parts of its DocumentId. */
export function findIssued(
  q: Queryable,
  unitIds: readonly string[],
  ref: { date: string; codeNumber: string; codeNotation: string },
) {
  if (unitIds.length === 0) return Promise.resolve(undefined)
  return t(q)
    .selectFrom('outgoing_documents')
    .selectAll()
    .where('unit_id', 'in', unitIds)
    .where('issued_on', '=', ref.date)
    .where('code_number', '=', ref.codeNumber)
    .where('code_notation', '=', ref.codeNotation)
    .where('number', 'is not', null)
    .executeTakeFirst()
}

/** Whether a status message (agency, code and timestamp) was already taken in: deliveries repeat. */
export async function statusSeen(q: Queryable, outgoingId: string, key: string): Promise<boolean> {
  const row = await t(q)
    .selectFrom('outgoing_history')
    .select('id')
    .where('outgoing_id', '=', outgoingId)
    .where(sql<string>`details ->> 'statusKey'`, '=', key)
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}

/** Every copy received from a sender under a DocumentId, in any unit (a recall asked by status 13). */
export function findReceivedAnywhere(q: Queryable, senderCode: string, documentId: string) {
  return t(q)
    .selectFrom('documents')
    .selectAll()
    .where('issuer_code', '=', senderCode)
    .where('source', '=', 'edxml')
    .where(sql<string>`edxml ->> 'documentId'`, '=', documentId)
    .execute()
}
