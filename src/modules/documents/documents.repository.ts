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
import type { DocumentStatus } from './document-rules.js'
import { enqueueTextExtraction } from './document-text.queue.js'
import type { DocumentTables } from './documents.tables.js'

export type DocumentRow = Selectable<DocumentTables['documents']>
export type RegisterRow = Selectable<DocumentTables['document_registers']>
export type FileRow = Selectable<DocumentTables['document_files']>
export type AssignmentRow = Selectable<DocumentTables['document_assignments']>
export type HistoryRow = Selectable<DocumentTables['document_history']>
export type StatusMessageRow = Selectable<DocumentTables['document_status_messages']>
export type TypeRow = Selectable<DocumentTables['document_types']>

type All = PlatformTables & DocumentTables
const t = (q: Queryable): Kysely<All> => tablesOf<DocumentTables>(q)

/**
 * Who may see which documents, as unit ids resolved by the service from the actor's grants:
 * `readUnits` see the ordinary documents of their unit (clerks, leaders), `leaderUnits` every document of
 * their unit and of assignments to it, `processUnits` ordinary documents assigned to their unit; a person
 * always sees what was ever assigned to them.
 */
export type Scope = { userId: string; readUnits: string[]; leaderUnits: string[]; processUnits: string[] }

function visibleTo(eb: ExpressionBuilder<All, 'documents'>, scope: Scope) {
  const assigned = eb
    .selectFrom('document_assignments as a')
    .select(sql.lit(1).as('one'))
    .whereRef('a.document_id', '=', 'documents.id')
    .where((ab) =>
      ab.or([
        ab('a.assignee_user_id', '=', scope.userId),
        ...(scope.leaderUnits.length ? [ab('a.assignee_unit_id', 'in', scope.leaderUnits)] : []),
        ...(scope.processUnits.length
          ? [
              ab.and([
                ab('documents.restricted', '=', false),
                ab('a.assignee_unit_id', 'in', scope.processUnits),
              ]),
            ]
          : []),
      ]),
    )
  return eb.or([
    ...(scope.readUnits.length
      ? [eb.and([eb('documents.restricted', '=', false), eb('documents.unit_id', 'in', scope.readUnits)])]
      : []),
    ...(scope.leaderUnits.length ? [eb('documents.unit_id', 'in', scope.leaderUnits)] : []),
    eb.exists(assigned),
  ])
}

export function listTypes(q: Queryable) {
  return t(q).selectFrom('document_types').selectAll().orderBy('sort').execute()
}

export function findType(q: Queryable, code: string) {
  return t(q).selectFrom('document_types').selectAll().where('code', '=', code).executeTakeFirst()
}

export function findRegister(q: Queryable, id: string) {
  if (!/^[0-9a-f-]{36}$/.test(id)) return Promise.resolve(undefined)
  return t(q).selectFrom('document_registers').selectAll().where('id', '=', id).executeTakeFirst()
}

export function listRegisters(q: Queryable, unitIds: string[], year?: number) {
  if (unitIds.length === 0) return Promise.resolve([] as RegisterRow[])
  let query = t(q)
    .selectFrom('document_registers')
    .selectAll()
    .where('unit_id', 'in', unitIds)
    .orderBy('year', 'desc')
    .orderBy('is_default', 'desc')
    .orderBy('name')
  if (year !== undefined) query = query.where('year', '=', year)
  return query.execute()
}

export function insertRegister(q: Queryable, values: Insertable<DocumentTables['document_registers']>) {
  return t(q).insertInto('document_registers').values(values).returningAll().executeTakeFirstOrThrow()
}

/** The unit's default incoming register of a year, created on first use; two first uses at once get one. */
export async function defaultRegister(q: Queryable, unitId: string, year: number, name: string) {
  await t(q)
    .insertInto('document_registers')
    .values({ unit_id: unitId, year, direction: 'incoming', name, is_default: true })
    .onConflict((oc) =>
      oc.columns(['unit_id', 'year', 'direction']).where('is_default', '=', true).doNothing(),
    )
    .execute()
  return t(q)
    .selectFrom('document_registers')
    .selectAll()
    .where('unit_id', '=', unitId)
    .where('year', '=', year)
    .where('direction', '=', 'incoming')
    .where('is_default', '=', true)
    .executeTakeFirstOrThrow()
}

/**
 * The next number of a register. Call it inside the registration's transaction: the upsert locks the
 * counter row until commit, so parallel registrations queue and a failed one gives its number back.
 */
export async function nextNumber(q: Queryable, registerId: string): Promise<number> {
  const row = await t(q)
    .insertInto('document_counters')
    .values({ register_id: registerId, last: 1 })
    .onConflict((oc) =>
      oc.column('register_id').doUpdateSet({ last: sql<number>`document_counters.last + 1` }),
    )
    .returning('last')
    .executeTakeFirstOrThrow()
  return row.last
}

/** Serialises registrations of look-alike documents in a unit until the transaction ends. */
export async function lockDedupeKey(q: Queryable, unitId: string, key: string) {
  await sql`select pg_advisory_xact_lock(7302, hashtext(${`${unitId}|${key}`}))`.execute(q)
}

/** The earliest registration of the same document in the unit, with its register's name. */
export function findDuplicate(q: Queryable, unitId: string, dedupeKey: string) {
  return t(q)
    .selectFrom('documents')
    .innerJoin('document_registers', 'document_registers.id', 'documents.register_id')
    .select([
      'documents.id',
      'documents.number',
      'documents.received_at',
      'documents.restricted',
      'document_registers.name as register_name',
    ])
    .where('documents.unit_id', '=', unitId)
    .where('documents.dedupe_key', '=', dedupeKey)
    .orderBy('documents.received_at')
    .limit(1)
    .executeTakeFirst()
}

export function insertDocument(q: Queryable, values: Insertable<DocumentTables['documents']>) {
  return t(q).insertInto('documents').values(values).returningAll().executeTakeFirstOrThrow()
}

export function updateDocument(q: Queryable, id: string, values: Updateable<DocumentTables['documents']>) {
  return t(q)
    .updateTable('documents')
    .set(values)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
}

const isUuid = (id: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)

export function findDocument(q: Queryable, id: string) {
  if (!isUuid(id)) return Promise.resolve(undefined)
  return t(q).selectFrom('documents').selectAll().where('id', '=', id).executeTakeFirst()
}

/** Taken FOR UPDATE inside a transaction: two people acting on one document are served in turn. */
export function lockDocument(q: Queryable, id: string) {
  return t(q).selectFrom('documents').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
}

/**
 * Attaches a stored file. A PDF's text is extracted afterwards by a job enqueued in the same transaction
 * (`document-text.ts`), so the upload never waits for it and a rolled-back attachment queues nothing.
 */
export async function insertFile(q: Queryable, values: Insertable<DocumentTables['document_files']>) {
  const pdf = values.mime === 'application/pdf'
  const row = await t(q)
    .insertInto('document_files')
    .values({ ...values, text_state: pdf ? 'pending' : 'not_applicable' })
    .returningAll()
    .executeTakeFirstOrThrow()
  if (pdf) await enqueueTextExtraction(q, row.id)
  return row
}

export function listFiles(q: Queryable, documentId: string) {
  return t(q)
    .selectFrom('document_files')
    .selectAll()
    .where('document_id', '=', documentId)
    .orderBy('position')
    .execute()
}

export async function nextFilePosition(q: Queryable, documentId: string): Promise<number> {
  const row = await t(q)
    .selectFrom('document_files')
    .select((eb) => eb.fn.coalesce(eb.fn.max('position'), eb.lit(0)).as('last'))
    .where('document_id', '=', documentId)
    .executeTakeFirstOrThrow()
  return Number(row.last) + 1
}

export function findFile(q: Queryable, documentId: string, fileId: string) {
  if (!isUuid(fileId)) return Promise.resolve(undefined)
  return t(q)
    .selectFrom('document_files')
    .selectAll()
    .where('document_id', '=', documentId)
    .where('id', '=', fileId)
    .executeTakeFirst()
}

export function insertAssignment(q: Queryable, values: Insertable<DocumentTables['document_assignments']>) {
  return t(q).insertInto('document_assignments').values(values).returningAll().executeTakeFirstOrThrow()
}

export function updateAssignment(
  q: Queryable,
  id: string,
  values: Updateable<DocumentTables['document_assignments']>,
) {
  return t(q)
    .updateTable('document_assignments')
    .set(values)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
}

export function listAssignments(q: Queryable, documentId: string) {
  return t(q)
    .selectFrom('document_assignments')
    .selectAll()
    .where('document_id', '=', documentId)
    .orderBy('assigned_at')
    .orderBy('role')
    .execute()
}

/** Open work left on a document once its lead has finished: it is closed with the document. */
export function closeOpenAssignments(q: Queryable, documentId: string, now: Date) {
  return t(q)
    .updateTable('document_assignments')
    .set({ status: 'closed', finished_at: now })
    .where('document_id', '=', documentId)
    .where('status', '=', 'open')
    .execute()
}

export async function countOpenLeads(q: Queryable, documentId: string): Promise<number> {
  const row = await t(q)
    .selectFrom('document_assignments')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('document_id', '=', documentId)
    .where('role', '=', 'lead')
    .where('status', '=', 'open')
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

export async function appendHistory(
  q: Queryable,
  values: Omit<Insertable<DocumentTables['document_history']>, 'seq'>,
) {
  const last = await t(q)
    .selectFrom('document_history')
    .select((eb) => eb.fn.coalesce(eb.fn.max('seq'), eb.lit(0)).as('seq'))
    .where('document_id', '=', values.document_id)
    .executeTakeFirstOrThrow()
  await t(q)
    .insertInto('document_history')
    .values({ ...values, seq: Number(last.seq) + 1 })
    .execute()
}

export function listHistory(q: Queryable, documentId: string) {
  return t(q)
    .selectFrom('document_history')
    .selectAll()
    .where('document_id', '=', documentId)
    .orderBy('seq')
    .execute()
}

/** A status already reported for this document is not reported again. */
export function insertStatusMessage(
  q: Queryable,
  values: Insertable<DocumentTables['document_status_messages']>,
) {
  return t(q)
    .insertInto('document_status_messages')
    .values(values)
    .onConflict((oc) => oc.columns(['document_id', 'status_code']).doNothing())
    .execute()
}

export function listStatusMessages(q: Queryable, documentId: string) {
  return t(q)
    .selectFrom('document_status_messages')
    .selectAll()
    .where('document_id', '=', documentId)
    .orderBy('status_code')
    .execute()
}

export type SearchFilter = {
  tsquery: string | null
  registerId?: string
  typeCode?: string
  /** An agency code, or part of the issuer's name without diacritics. */
  issuer?: string
  /** Date of issue, YYYY-MM-DD, inclusive. */
  from?: string
  to?: string
  status?: DocumentStatus
  /** Keyset: documents received before this one (newest first). */
  before?: { receivedAt: Date; id: string }
  limit: number
}

/**
 * The documents the scope may see that match the filter, newest first. Words match the metadata
 * (`documents.search`) or the metadata and attached PDFs' text together (`document_texts`): two queries, each
 * served by its own index and stopping at the page size, merged here, instead of one OR that no index serves.
 */
export async function searchDocuments(q: Queryable, scope: Scope, f: SearchFilter) {
  let query = t(q)
    .selectFrom('documents')
    .innerJoin('document_types', 'document_types.code', 'documents.type_code')
    .innerJoin('document_registers', 'document_registers.id', 'documents.register_id')
    .selectAll('documents')
    .select(['document_types.name as type_name', 'document_registers.name as register_name'])
    .where((eb) => visibleTo(eb, scope))
    .orderBy('documents.received_at', 'desc')
    .orderBy('documents.id', 'desc')
    .limit(f.limit)
  if (f.registerId) query = query.where('documents.register_id', '=', f.registerId)
  if (f.typeCode) query = query.where('documents.type_code', '=', f.typeCode)
  if (f.status) query = query.where('documents.status', '=', f.status)
  if (f.from) query = query.where('documents.issued_on', '>=', f.from)
  if (f.to) query = query.where('documents.issued_on', '<=', f.to)
  if (f.issuer) {
    const issuer = f.issuer
    query = /^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$/.test(issuer)
      ? query.where('documents.issuer_code', '=', issuer)
      : query.where(sql<boolean>`f_unaccent(documents.issuer_name) like ${`%${issuer}%`}`)
  }
  if (f.before) {
    const { receivedAt, id } = f.before
    query = query.where((eb) =>
      eb.or([
        eb('documents.received_at', '<', receivedAt),
        eb.and([eb('documents.received_at', '=', receivedAt), eb('documents.id', '<', id)]),
      ]),
    )
  }
  if (!f.tsquery) return query.execute()
  const words = sql<boolean>`documents.search @@ to_tsquery('simple', ${f.tsquery})`
  const [byMetadata, byText] = await Promise.all([
    query.where(words).execute(),
    query
      .where(sql<boolean>`not (${words})`)
      .where(
        sql<boolean>`documents.id in (select x.document_id from document_texts x
          where x.search @@ to_tsquery('simple', ${f.tsquery}))`,
      )
      .execute(),
  ])
  if (byText.length === 0) return byMetadata
  return [...byMetadata, ...byText]
    .sort(
      (a, b) => b.received_at.getTime() - a.received_at.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
    )
    .slice(0, f.limit)
}

/** Whether the scope may see one document: the same rule as the lists. */
export async function isVisible(q: Queryable, scope: Scope, documentId: string): Promise<boolean> {
  const row = await t(q)
    .selectFrom('documents')
    .select('documents.id')
    .where('documents.id', '=', documentId)
    .where((eb) => visibleTo(eb, scope))
    .executeTakeFirst()
  return row !== undefined
}

/**
 * Open assignments for a person: their own, and those of units where they process documents (ordinary
 * documents) or lead (all), with the document each belongs to; earliest deadline first, none last.
 */
export function openAssignmentsFor(q: Queryable, scope: Scope, limit: number) {
  return (
    t(q)
      .selectFrom('document_assignments as a')
      .innerJoin('documents', 'documents.id', 'a.document_id')
      .selectAll('a')
      .select([
        'documents.number',
        'documents.code_number',
        'documents.code_notation',
        'documents.summary',
        'documents.issuer_name',
        'documents.urgency',
        'documents.confidentiality',
        'documents.unit_id',
      ])
      .where('a.status', '=', 'open')
      .where((eb) =>
        eb.or([
          eb('a.assignee_user_id', '=', scope.userId),
          ...(scope.leaderUnits.length ? [eb('a.assignee_unit_id', 'in', scope.leaderUnits)] : []),
          ...(scope.processUnits.length
            ? [
                eb.and([
                  eb('documents.restricted', '=', false),
                  eb('a.assignee_unit_id', 'in', scope.processUnits),
                ]),
              ]
            : []),
        ]),
      )
      .orderBy(sql`a.due_at asc nulls last`)
      .orderBy('a.assigned_at')
      // The lead's work before the supporting work on the same document.
      .orderBy('a.role')
      .orderBy('a.id')
      .limit(limit)
      .execute()
  )
}

/** Documents of the leader's units still waiting to be assigned, the most urgent deadline first. */
export function unassignedIn(q: Queryable, unitIds: string[], limit: number) {
  if (unitIds.length === 0) return Promise.resolve([] as DocumentRow[])
  return t(q)
    .selectFrom('documents')
    .selectAll()
    .where('unit_id', 'in', unitIds)
    .where('status', '=', 'registered')
    .orderBy(sql`due_on asc nulls last`)
    .orderBy('received_at')
    .limit(limit)
    .execute()
}

/** Open assignments past their deadline on documents of the leader's units: the unit's overdue list. */
export function overdueIn(q: Queryable, unitIds: string[], now: Date, limit: number) {
  if (unitIds.length === 0) return Promise.resolve([])
  return t(q)
    .selectFrom('document_assignments as a')
    .innerJoin('documents', 'documents.id', 'a.document_id')
    .selectAll('a')
    .select([
      'documents.number',
      'documents.code_number',
      'documents.code_notation',
      'documents.summary',
      'documents.unit_id',
    ])
    .where('documents.unit_id', 'in', unitIds)
    .where('a.status', '=', 'open')
    .where('a.due_at', '<', now)
    .orderBy('a.due_at')
    .limit(limit)
    .execute()
}
