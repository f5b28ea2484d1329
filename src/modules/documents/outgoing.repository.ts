import {
  sql,
  type ExpressionBuilder,
  type Insertable,
  type Kysely,
  type Selectable,
  type Updateable,
} from 'kysely'
import type { Queryable } from '../../platform/db/database.js'
import { tablesOf, type PlatformTables } from '../../platform/db/tables.js'
import type { DocumentTables } from './documents.tables.js'
import type { OutgoingStatus } from './outgoing-rules.js'
import type { OutgoingTables } from './outgoing.tables.js'

export type OutgoingRow = Selectable<OutgoingTables['outgoing_documents']>
export type VersionRow = Selectable<OutgoingTables['outgoing_versions']>
export type CommentRow = Selectable<OutgoingTables['outgoing_comments']>
export type RecipientRow = Selectable<OutgoingTables['outgoing_recipients']>
export type StepRow = Selectable<OutgoingTables['outgoing_steps']>
export type OutgoingHistoryRow = Selectable<OutgoingTables['outgoing_history']>
export type OutgoingRegisterRow = Selectable<OutgoingTables['outgoing_registers']>

type All = PlatformTables & DocumentTables & OutgoingTables
const t = (q: Queryable): Kysely<All> => tablesOf<DocumentTables & OutgoingTables>(q)

const isUuid = (id: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)

/**
 * Who sees which outgoing documents: the drafter and everyone ever in its approval chain; the leaders of
 * the unit its ordinary ones; the unit's clerks those approved or issued (they number and send them,
 * classified ones included). Units are resolved by the service from the actor's grants.
 */
export type OutgoingScope = { userId: string; leaderUnits: string[]; clerkUnits: string[] }

function visibleTo(eb: ExpressionBuilder<All, 'outgoing_documents'>, scope: OutgoingScope) {
  const inChain = eb
    .selectFrom('outgoing_steps as s')
    .select(sql.lit(1).as('one'))
    .whereRef('s.outgoing_id', '=', 'outgoing_documents.id')
    .where('s.user_id', '=', scope.userId)
  return eb.or([
    eb('outgoing_documents.drafter_id', '=', scope.userId),
    eb.exists(inChain),
    ...(scope.leaderUnits.length
      ? [
          eb.and([
            eb('outgoing_documents.unit_id', 'in', scope.leaderUnits),
            eb('outgoing_documents.confidentiality', '=', 'normal'),
          ]),
        ]
      : []),
    ...(scope.clerkUnits.length
      ? [
          eb.and([
            eb('outgoing_documents.unit_id', 'in', scope.clerkUnits),
            eb('outgoing_documents.status', 'in', ['approved', 'issued']),
          ]),
        ]
      : []),
  ])
}

export function insertOutgoing(q: Queryable, values: Insertable<OutgoingTables['outgoing_documents']>) {
  return t(q).insertInto('outgoing_documents').values(values).returningAll().executeTakeFirstOrThrow()
}

export function updateOutgoing(
  q: Queryable,
  id: string,
  values: Updateable<OutgoingTables['outgoing_documents']>,
) {
  return t(q)
    .updateTable('outgoing_documents')
    .set(values)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
}

export function findOutgoing(q: Queryable, id: string) {
  if (!isUuid(id)) return Promise.resolve(undefined)
  return t(q).selectFrom('outgoing_documents').selectAll().where('id', '=', id).executeTakeFirst()
}

/** Taken FOR UPDATE: two people acting on one draft are served in turn. */
export function lockOutgoing(q: Queryable, id: string) {
  return t(q).selectFrom('outgoing_documents').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
}

export async function isVisible(q: Queryable, scope: OutgoingScope, id: string): Promise<boolean> {
  const row = await t(q)
    .selectFrom('outgoing_documents')
    .select('outgoing_documents.id')
    .where('outgoing_documents.id', '=', id)
    .where((eb) => visibleTo(eb, scope))
    .executeTakeFirst()
  return row !== undefined
}

export type OutgoingFilter = {
  tsquery: string | null
  status?: OutgoingStatus
  /** Only what waits for this person's step. */
  pendingFor?: string
  /** Only what this person drafted. */
  drafter?: string
  before?: { updatedAt: Date; id: string }
  limit: number
}

/** The documents the scope may see, most recently changed first. */
export function listOutgoing(q: Queryable, scope: OutgoingScope, f: OutgoingFilter) {
  let query = t(q)
    .selectFrom('outgoing_documents')
    .innerJoin('document_types', 'document_types.code', 'outgoing_documents.type_code')
    .selectAll('outgoing_documents')
    .select('document_types.name as type_name')
    .where((eb) => visibleTo(eb, scope))
    .orderBy('outgoing_documents.updated_at', 'desc')
    .orderBy('outgoing_documents.id', 'desc')
    .limit(f.limit)
  if (f.tsquery)
    query = query.where(sql<boolean>`outgoing_documents.search @@ to_tsquery('simple', ${f.tsquery})`)
  if (f.status) query = query.where('outgoing_documents.status', '=', f.status)
  if (f.drafter) query = query.where('outgoing_documents.drafter_id', '=', f.drafter)
  if (f.pendingFor) {
    const userId = f.pendingFor
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('outgoing_steps as p')
          .select(sql.lit(1).as('one'))
          .whereRef('p.outgoing_id', '=', 'outgoing_documents.id')
          .where('p.user_id', '=', userId)
          .where('p.status', '=', 'pending'),
      ),
    )
  }
  if (f.before) {
    const { updatedAt, id } = f.before
    query = query.where((eb) =>
      eb.or([
        eb('outgoing_documents.updated_at', '<', updatedAt),
        eb.and([eb('outgoing_documents.updated_at', '=', updatedAt), eb('outgoing_documents.id', '<', id)]),
      ]),
    )
  }
  return query.execute()
}

/** Sổ văn bản đi: the issued documents of a register, latest number first, as far as the scope may see. */
export function listIssued(
  q: Queryable,
  scope: OutgoingScope,
  registerId: string,
  limit: number,
  beforeNumber?: number,
) {
  let query = t(q)
    .selectFrom('outgoing_documents')
    .innerJoin('document_types', 'document_types.code', 'outgoing_documents.type_code')
    .selectAll('outgoing_documents')
    .select('document_types.name as type_name')
    .where('outgoing_documents.register_id', '=', registerId)
    .where('outgoing_documents.status', '=', 'issued')
    .where((eb) => visibleTo(eb, scope))
    .orderBy('outgoing_documents.number', 'desc')
    .limit(limit)
  if (beforeNumber !== undefined) query = query.where('outgoing_documents.number', '<', beforeNumber)
  return query.execute()
}

export function listRegisters(q: Queryable, unitIds: string[]) {
  if (unitIds.length === 0) return Promise.resolve([] as OutgoingRegisterRow[])
  return t(q)
    .selectFrom('outgoing_registers')
    .selectAll()
    .where('unit_id', 'in', unitIds)
    .orderBy('year', 'desc')
    .orderBy('is_default', 'desc')
    .orderBy('name')
    .execute()
}

export function findRegister(q: Queryable, id: string) {
  if (!isUuid(id)) return Promise.resolve(undefined)
  return t(q).selectFrom('outgoing_registers').selectAll().where('id', '=', id).executeTakeFirst()
}

/** The unit's outgoing register of a year, made on first use; two first uses at once get one. */
export async function defaultRegister(q: Queryable, unitId: string, year: number) {
  await t(q)
    .insertInto('outgoing_registers')
    .values({ unit_id: unitId, year, name: `Sổ văn bản đi năm ${year}`, is_default: true })
    .onConflict((oc) => oc.columns(['unit_id', 'year']).where('is_default', '=', true).doNothing())
    .execute()
  return t(q)
    .selectFrom('outgoing_registers')
    .selectAll()
    .where('unit_id', '=', unitId)
    .where('year', '=', year)
    .where('is_default', '=', true)
    .executeTakeFirstOrThrow()
}

/** The register's next number; inside the issuing transaction, so a failed issue gives it back. */
export async function nextNumber(q: Queryable, registerId: string): Promise<number> {
  const row = await t(q)
    .insertInto('outgoing_counters')
    .values({ register_id: registerId, last: 1 })
    .onConflict((oc) =>
      oc.column('register_id').doUpdateSet({ last: sql<number>`outgoing_counters.last + 1` }),
    )
    .returning('last')
    .executeTakeFirstOrThrow()
  return row.last
}

export async function findAbbreviation(q: Queryable, unitId: string): Promise<string | undefined> {
  const row = await t(q)
    .selectFrom('outgoing_unit_settings')
    .select('abbreviation')
    .where('unit_id', '=', unitId)
    .executeTakeFirst()
  return row?.abbreviation
}

export function saveAbbreviation(
  q: Queryable,
  unitId: string,
  abbreviation: string,
  userId: string,
  now: Date,
) {
  return t(q)
    .insertInto('outgoing_unit_settings')
    .values({ unit_id: unitId, abbreviation, updated_by: userId, updated_at: now })
    .onConflict((oc) =>
      oc.column('unit_id').doUpdateSet({ abbreviation, updated_by: userId, updated_at: now }),
    )
    .execute()
}

export function insertVersion(q: Queryable, values: Insertable<OutgoingTables['outgoing_versions']>) {
  return t(q).insertInto('outgoing_versions').values(values).returningAll().executeTakeFirstOrThrow()
}

export function listVersions(q: Queryable, outgoingId: string) {
  return t(q)
    .selectFrom('outgoing_versions')
    .selectAll()
    .where('outgoing_id', '=', outgoingId)
    .orderBy('version', 'desc')
    .execute()
}

export function findVersion(q: Queryable, outgoingId: string, version: number) {
  return t(q)
    .selectFrom('outgoing_versions')
    .selectAll()
    .where('outgoing_id', '=', outgoingId)
    .where('version', '=', version)
    .executeTakeFirst()
}

export function insertComment(q: Queryable, values: Insertable<OutgoingTables['outgoing_comments']>) {
  return t(q).insertInto('outgoing_comments').values(values).returningAll().executeTakeFirstOrThrow()
}

export function listComments(q: Queryable, outgoingId: string) {
  return t(q)
    .selectFrom('outgoing_comments')
    .selectAll()
    .where('outgoing_id', '=', outgoingId)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
}

/** The recipients of a draft are replaced as a whole when the drafter edits them. */
export async function replaceRecipients(
  q: Queryable,
  outgoingId: string,
  rows: Omit<Insertable<OutgoingTables['outgoing_recipients']>, 'outgoing_id'>[],
) {
  await t(q).deleteFrom('outgoing_recipients').where('outgoing_id', '=', outgoingId).execute()
  if (rows.length === 0) return
  await t(q)
    .insertInto('outgoing_recipients')
    .values(rows.map((r) => ({ ...r, outgoing_id: outgoingId })))
    .execute()
}

export function listRecipients(q: Queryable, outgoingId: string) {
  return t(q)
    .selectFrom('outgoing_recipients')
    .selectAll()
    .where('outgoing_id', '=', outgoingId)
    .orderBy('kind', 'desc')
    .orderBy('name')
    .execute()
}

export function updateRecipient(
  q: Queryable,
  id: string,
  values: Updateable<OutgoingTables['outgoing_recipients']>,
) {
  return t(q).updateTable('outgoing_recipients').set(values).where('id', '=', id).execute()
}

export function insertStep(q: Queryable, values: Insertable<OutgoingTables['outgoing_steps']>) {
  return t(q).insertInto('outgoing_steps').values(values).returningAll().executeTakeFirstOrThrow()
}

export function listSteps(q: Queryable, outgoingId: string) {
  return t(q)
    .selectFrom('outgoing_steps')
    .selectAll()
    .where('outgoing_id', '=', outgoingId)
    .orderBy('round')
    .orderBy('position')
    .execute()
}

export function updateStep(q: Queryable, id: string, values: Updateable<OutgoingTables['outgoing_steps']>) {
  return t(q).updateTable('outgoing_steps').set(values).where('id', '=', id).execute()
}

/** Makes room after a step: the later steps of the round move one place down. */
export function shiftSteps(q: Queryable, outgoingId: string, round: number, after: number) {
  return t(q)
    .updateTable('outgoing_steps')
    .set({ position: sql<number>`position + 1` })
    .where('outgoing_id', '=', outgoingId)
    .where('round', '=', round)
    .where('position', '>', after)
    .execute()
}

/** When a draft goes back to its drafter, the steps not yet reached no longer apply. */
export function cancelWaiting(q: Queryable, outgoingId: string, round: number) {
  return t(q)
    .updateTable('outgoing_steps')
    .set({ status: 'cancelled' })
    .where('outgoing_id', '=', outgoingId)
    .where('round', '=', round)
    .where('status', '=', 'waiting')
    .execute()
}

export async function appendHistory(
  q: Queryable,
  values: Omit<Insertable<OutgoingTables['outgoing_history']>, 'seq'>,
) {
  const last = await t(q)
    .selectFrom('outgoing_history')
    .select((eb) => eb.fn.coalesce(eb.fn.max('seq'), eb.lit(0)).as('seq'))
    .where('outgoing_id', '=', values.outgoing_id)
    .executeTakeFirstOrThrow()
  await t(q)
    .insertInto('outgoing_history')
    .values({ ...values, seq: Number(last.seq) + 1 })
    .execute()
}

export function listHistory(q: Queryable, outgoingId: string) {
  return t(q)
    .selectFrom('outgoing_history')
    .selectAll()
    .where('outgoing_id', '=', outgoingId)
    .orderBy('seq')
    .execute()
}

/** The outgoing documents answering an incoming one, as far as the scope may see them. */
export function listRepliesTo(q: Queryable, scope: OutgoingScope, documentId: string) {
  if (!isUuid(documentId)) return Promise.resolve([] as OutgoingRow[])
  return t(q)
    .selectFrom('outgoing_documents')
    .selectAll()
    .where('reply_to', '=', documentId)
    .where((eb) => visibleTo(eb, scope))
    .orderBy('created_at')
    .execute()
}

/** The outgoing document whose delivery created an incoming one (internal dispatch). */
export function findDeliveredFrom(q: Queryable, documentId: string) {
  if (!isUuid(documentId)) return Promise.resolve(undefined)
  return t(q)
    .selectFrom('outgoing_recipients')
    .innerJoin('outgoing_documents', 'outgoing_documents.id', 'outgoing_recipients.outgoing_id')
    .selectAll('outgoing_documents')
    .where('outgoing_recipients.document_id', '=', documentId)
    .executeTakeFirst()
}
