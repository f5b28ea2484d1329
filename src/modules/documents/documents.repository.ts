import {
  sql,
  type ExpressionBuilder,
  type Insertable,
  type Kysely,
  type RawBuilder,
  type Selectable,
  type Updateable,
} from 'kysely'
import type { Queryable } from '../../platform/db/database.js'
import { tablesOf, type PlatformTables } from '../../platform/db/tables.js'
import type { DocumentStatus } from './document-rules.js'
import { queueStatusSend } from './document-exchange.queue.js'
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

/**
 * A status already reported for this document (for the same request) is not reported again. A new one is
 * queued for sending to the sender over the LGSP in the same transaction (`document-exchange.service.ts`).
 */
export async function insertStatusMessage(
  q: Queryable,
  values: Insertable<DocumentTables['document_status_messages']>,
) {
  const row = await t(q)
    .insertInto('document_status_messages')
    .values(values)
    .onConflict((oc) => oc.columns(['document_id', 'status_code', 'request']).doNothing())
    .returning('id')
    .executeTakeFirst()
  if (row) await queueStatusSend(q, values.document_id, Number(row.id))
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
 * How far the search walks before it asks the word indexes (see `searchDocuments`): a first walk of
 * `probeRows` rows over all branches; a second of `walkRows` when the first found the words common enough to
 * fill the page within it; at most `branchRows` in any one branch. A row costs about 5 µs on an idle server (a
 * document page, and its PDF text's index). Tests pass small figures to reach every pass with a few documents.
 */
export type SearchPasses = { probeRows: number; walkRows: number; branchRows: number }
const PASSES: SearchPasses = { probeRows: 300, walkRows: 2000, branchRows: 1000 }

/** A unit whose register a scope reads: all its documents, or only the ordinary ones. */
type UnitAccess = { id: string; all: boolean }

/**
 * Documents of `unit` assigned to a person or a unit (`kind`, `assignee`) that the scope sees through that
 * assignment: all of them, or only the ordinary ones.
 */
type AssignedAccess = { kind: 'user' | 'unit'; assignee: string; unit: string; all: boolean }

/**
 * A position in the newest-first order: received_at to the microsecond (UTC, fixed width, so the text sorts
 * like the time) and the id. Positions travel as text so the second pass starts exactly where the first one
 * stopped, whatever precision the times have.
 */
type Position = { at: string; id: string }
const atText = (column: string) =>
  sql<string>`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`

/** Newest first: negative when a comes before b. */
function byNewest(a: Position, b: Position): number {
  if (a.at !== b.at) return a.at < b.at ? 1 : -1
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0
}

/**
 * The branches of a scope. Registers: the units whose register it reads, each with all its documents (a unit
 * the actor leads) or its ordinary ones. Assignments: for the person and for each unit whose assignments they
 * read, the units whose documents were ever assigned there — read from the assignment index by skipping from one
 * unit to the next, a handful of probes — less those the registers already cover (any document of a unit the
 * actor leads, the ordinary ones of a unit whose register they read). Without this a leader would read every
 * assignment inside their own unit a second time.
 */
async function branchesOf(q: Queryable, scope: Scope) {
  const leads = new Set(scope.leaderUnits)
  const access = (ids: string[]) => [...new Set(ids)].map((id) => ({ id, all: leads.has(id) }))
  const registers = access([...scope.readUnits, ...scope.leaderUnits])
  const assignedUnits = access([...scope.leaderUnits, ...scope.processUnits])
  const allOf = new Set(registers.filter((u) => u.all).map((u) => u.id))
  const ordinaryOf = new Set(registers.filter((u) => !u.all).map((u) => u.id))
  // Loose index scans: the smallest unit, then the next one above it, until there is none.
  const next = (who: RawBuilder<boolean>, after: RawBuilder<unknown> | null) =>
    sql`(select a.document_unit_id from document_assignments a
      where ${who}${after ? sql` and a.document_unit_id > ${after}` : sql``}
      order by a.document_unit_id limit 1)`
  const mine = sql<boolean>`a.assignee_user_id = ${scope.userId}::uuid`
  const found = await sql<{ kind: 'user' | 'unit'; assignee: string; unit: string }>`
    with recursive mine(unit) as (
      select ${next(mine, null)}
      union all
      select ${next(mine, sql`m.unit`)} from mine m where m.unit is not null),
    units(assignee, unit) as (
      ${
        assignedUnits.length > 0
          ? sql`select v.id, ${next(sql`a.assignee_unit_id = v.id`, null)}
              from (values ${sql.join(assignedUnits.map((u) => sql`(${u.id}::uuid)`))}) as v(id)`
          : sql`select null::uuid, null::uuid where false`
      }
      union all
      select u.assignee, ${next(sql`a.assignee_unit_id = u.assignee`, sql`u.unit`)}
      from units u where u.unit is not null)
    select 'user' as kind, ${scope.userId}::uuid as assignee, unit from mine where unit is not null
    union all
    select 'unit', assignee, unit from units where unit is not null`.execute(q)
  const assigned: AssignedAccess[] = found.rows
    .map((row) => ({ ...row, all: row.kind === 'user' || leads.has(row.assignee) }))
    .filter((a) => !allOf.has(a.unit) && !(ordinaryOf.has(a.unit) && !a.all))
  return { registers, assigned }
}

/** `(values (unit, all), …) as u(id, all_docs)`: the units a branch runs once for. */
function registerValues(units: UnitAccess[]) {
  return sql`(values ${sql.join(units.map((u) => sql`(${u.id}::uuid, ${u.all}::boolean)`))}) as u(id, all_docs)`
}

/** `(values (assignee, unit, all), …) as p(assignee, unit, all_docs)` for the assignments of one kind. */
function assignedValues(pairs: AssignedAccess[]) {
  return sql`(values ${sql.join(
    pairs.map((p) => sql`(${p.assignee}::uuid, ${p.unit}::uuid, ${p.all}::boolean)`),
  )}) as p(assignee, unit, all_docs)`
}

/** The assignment row `a` is one of pair `p`. */
const ofPair = (kind: 'user' | 'unit') =>
  kind === 'user'
    ? sql<boolean>`a.assignee_user_id = p.assignee and a.document_unit_id = p.unit`
    : sql<boolean>`a.assignee_unit_id = p.assignee and a.document_unit_id = p.unit`

/** The filters other than words and the cursor, over the columns of `d`. */
function filtersOn(d: string, f: SearchFilter) {
  const col = (name: string) => sql.ref(`${d}.${name}`)
  const parts = [sql<boolean>`true`]
  if (f.registerId) parts.push(sql`${col('register_id')} = ${f.registerId}::uuid`)
  if (f.typeCode) parts.push(sql`${col('type_code')} = ${f.typeCode}`)
  if (f.status) parts.push(sql`${col('status')} = ${f.status}`)
  if (f.from) parts.push(sql`${col('issued_on')} >= ${f.from}::date`)
  if (f.to) parts.push(sql`${col('issued_on')} <= ${f.to}::date`)
  if (f.issuer) {
    parts.push(
      /^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$/.test(f.issuer)
        ? sql`${col('issuer_code')} = ${f.issuer}`
        : sql`f_unaccent(${col('issuer_name')}) like ${`%${f.issuer}%`}`,
    )
  }
  return sql.join(parts, sql` and `)
}

/**
 * Words in the metadata of `d` or in the metadata and PDF text kept for it, tested row by row. The text is a
 * scalar subquery so that it stays a primary-key probe per row: written as EXISTS, PostgreSQL may first hash
 * every PDF that has the words, which for a common word is most of them.
 */
function wordsOn(d: string, tsquery: string | null) {
  if (!tsquery) return sql<boolean>`true`
  const words = sql`to_tsquery('simple', ${tsquery})`
  return sql<boolean>`(${sql.ref(`${d}.search`)} @@ ${words} or coalesce((select x.search @@ ${words}
    from document_texts x where x.document_id = ${sql.ref(`${d}.id`)}), false))`
}

/** Strictly after a position in the newest-first order: an index condition on (time, id). */
function afterOn(at: string, id: string, cursor: Position | undefined) {
  if (!cursor) return sql<boolean>`true`
  return sql<boolean>`(${sql.ref(at)}, ${sql.ref(id)}) < (${cursor.at}::timestamp at time zone 'UTC', ${cursor.id}::uuid)`
}

/**
 * The part of a tsquery the word index is asked: its whole words and, of the prefix the user is still typing,
 * only one with a digit (a number, rare by nature). A prefix of letters such as `cao:*` makes GIN gather every
 * word that starts with it, in the whole province, before it can intersect anything (tens of milliseconds for a
 * common one), while whole words are intersected cheaply starting from the unit; the full query is then tested
 * on the rows found. A query that is only a prefix is asked as it is.
 */
function indexedWords(tsquery: string): string {
  if (/[|!()<]/.test(tsquery)) return tsquery
  const kept = tsquery.split(' & ').filter((w) => !w.endsWith(':*') || /\d/.test(w))
  return kept.length > 0 ? kept.join(' & ') : tsquery
}

type Branches = Awaited<ReturnType<typeof branchesOf>>
type FirstPassRow = Position & { branch: string; hit: boolean; rn: number }

/**
 * A walk: every branch reads its index newest first, tests each row, and stops at `limit` hits or after
 * `budget` rows; it returns its hits and, when its budget stopped it, the last row it read. The branches of a
 * kind run per unit in one lateral join, so planning does not grow with the number of units.
 */
async function walk(
  q: Queryable,
  { registers, assigned }: Branches,
  f: SearchFilter,
  cursor: Position | undefined,
  budget: number,
): Promise<FirstPassRow[]> {
  const test = sql<boolean>`${filtersOn('s', f)} and ${wordsOn('s', f.tsquery)}`
  // The rows a branch reads, numbered; kept: the hits, and the row at the budget, up to `limit` of them.
  const scan = (source: RawBuilder<unknown>, hit: RawBuilder<boolean>) => sql`
    select w.id, w.received_at, w.at, w.hit, w.rn from (
      select s.id, s.received_at, ${atText('s.received_at')} as at, ${hit} as hit,
        row_number() over (order by s.received_at desc, s.id desc) as rn
      from (${source}) s) w
    where w.hit or w.rn = ${budget}
    order by w.received_at desc, w.id desc
    limit ${f.limit}`
  const columns = sql`d.restricted, d.search, d.register_id, d.type_code, d.status, d.issued_on,
    d.issuer_code, d.issuer_name`
  const parts: RawBuilder<unknown>[] = []
  if (registers.length > 0) {
    parts.push(sql`
      select 'register:' || u.id as branch, b.* from ${registerValues(registers)}
      cross join lateral (${scan(
        sql`select d.id, d.received_at, ${columns} from documents d
          where d.unit_id = u.id and ${afterOn('d.received_at', 'd.id', cursor)}
          order by d.received_at desc, d.id desc limit ${budget}`,
        sql`(u.all_docs or not s.restricted) and ${test}`,
      )}) b`)
  }
  for (const kind of ['user', 'unit'] as const) {
    const pairs = assigned.filter((p) => p.kind === kind)
    if (pairs.length > 0) {
      // Each document once (a person may hold two assignments on one), newest first; the document row by row.
      parts.push(sql`
        select ${`${kind}:`} || p.assignee || ':' || p.unit as branch, b.* from ${assignedValues(pairs)}
        cross join lateral (${scan(
          sql`select a.document_id as id, a.document_received_at as received_at, d.*
            from (select distinct a.document_received_at, a.document_id from document_assignments a
                  where ${ofPair(kind)} and ${afterOn('a.document_received_at', 'a.document_id', cursor)}
                  order by a.document_received_at desc, a.document_id desc limit ${budget}) a
            cross join lateral (select ${columns} from documents d where d.id = a.document_id) d`,
          sql`(p.all_docs or not s.restricted) and ${test}`,
        )}) b`)
    }
  }
  const all = sql.join(
    parts.map((part) => sql`(${part})`),
    sql` union all `,
  )
  const result = await sql<FirstPassRow>`select m.branch, m.id, m.at, m.hit, m.rn from (${all}) m`.execute(q)
  return result.rows.map((r) => ({ ...r, rn: Number(r.rn) }))
}

/**
 * Second pass, when the first could not tell the page: the rows after `cursor`, up to `limit`, from each
 * branch's best index. With words, each branch asks the word indexes that begin with the unit (documents, and
 * the PDF text of documents); an assigned document found there is then checked for its assignment. Without
 * words (a filter the newest rows seldom pass), each branch walks on.
 */
async function secondPass(
  q: Queryable,
  { registers, assigned }: Branches,
  f: SearchFilter,
  cursor: Position | undefined,
  limit: number,
): Promise<Position[]> {
  const after = afterOn('d.received_at', 'd.id', cursor)
  const select = sql`select d.id, ${atText('d.received_at')} as at`
  const newest = sql`order by d.received_at desc, d.id desc limit ${limit}`
  const units = (kind: 'user' | 'unit') => assigned.filter((p) => p.kind === kind)
  const branches: RawBuilder<unknown>[] = []
  if (!f.tsquery) {
    if (registers.length > 0) {
      branches.push(sql`select b.* from ${registerValues(registers)} cross join lateral (
        ${select} from documents d
        where d.unit_id = u.id and (u.all_docs or not d.restricted) and ${after} and ${filtersOn('d', f)}
        ${newest}) b`)
    }
    for (const kind of ['user', 'unit'] as const) {
      if (units(kind).length === 0) continue
      branches.push(sql`select b.* from ${assignedValues(units(kind))} cross join lateral (
        ${select} from (select distinct a.document_received_at, a.document_id from document_assignments a
              where ${ofPair(kind)} and ${afterOn('a.document_received_at', 'a.document_id', cursor)}) a
        join documents d on d.id = a.document_id
        where (p.all_docs or not d.restricted) and ${filtersOn('d', f)}
        order by a.document_received_at desc, a.document_id desc limit ${limit}) b`)
    }
  } else {
    // The index is asked for whole words; the full query, prefix included, is tested on what it finds.
    const indexed = sql`to_tsquery('simple', ${indexedWords(f.tsquery)})`
    const words = sql`to_tsquery('simple', ${f.tsquery})`
    /** Documents of `unit` with the words, in their metadata or their PDFs, that pass `extra`. */
    const byWords = (values: RawBuilder<unknown>, unit: string, extra: RawBuilder<boolean>) =>
      [
        sql`${select} from documents d
          where d.unit_id = ${sql.ref(unit)} and d.search @@ ${indexed} and ts_match_vq(d.search, ${words})
            and ${extra} and ${after} and ${filtersOn('d', f)} ${newest}`,
        sql`${select} from document_texts x join documents d on d.id = x.document_id
          where x.unit_id = ${sql.ref(unit)} and x.search @@ ${indexed} and ts_match_vq(x.search, ${words})
            and ${extra} and ${after} and ${filtersOn('d', f)} ${newest}`,
      ].map((part) => sql`select b.* from ${values} cross join lateral (${part}) b`)
    if (registers.length > 0) {
      branches.push(...byWords(registerValues(registers), 'u.id', sql`(u.all_docs or not d.restricted)`))
    }
    for (const kind of ['user', 'unit'] as const) {
      if (units(kind).length === 0) continue
      const assignee = kind === 'user' ? sql`a.assignee_user_id` : sql`a.assignee_unit_id`
      branches.push(
        ...byWords(
          assignedValues(units(kind)),
          'p.unit',
          sql`(p.all_docs or not d.restricted)
            and exists (select 1 from document_assignments a where a.document_id = d.id and ${assignee} = p.assignee)`,
        ),
      )
    }
  }
  if (branches.length === 0) return []
  const result = await sql<Position>`${sql.join(
    branches.map((b) => sql`(${b})`),
    sql` union all `,
  )}`.execute(q)
  return result.rows
}

/**
 * The documents the scope may see that match the filter, newest first, `before` continuing a page.
 *
 * What a person may see is a union (see `Scope`): the ordinary documents of the units whose register they read,
 * every document of the units they lead, what was assigned to them, and what was assigned to their units
 * (ordinary ones, or any for a leader). One OR over all of it keeps PostgreSQL off every index, so each part is
 * a branch of its own, read newest first along an index: a unit's documents by `(unit_id, received_at, id)`, and
 * assignments by person or unit and the document's unit, with the document's time copied onto them (migration
 * 0028).
 *
 * Words match the metadata (`documents.search`) or the metadata and attached PDFs' text together
 * (`document_texts`). Words common among the rows a branch reads are found fastest by walking newest first and
 * testing each row; rare ones through the word index. The planner cannot tell which from its statistics
 * (Vietnamese words are syllables that come together, and it multiplies their frequencies as if they were
 * independent), so the search finds out by walking a little (`passes`): the hits at or before the newest place
 * where a branch stopped unfinished are certain. When they fill the page, that is the answer (no words, common
 * words); when the share of hits promises to fill it within a longer walk, the walk goes on from that place;
 * otherwise the word indexes, which begin with the unit, give the rest of the page after it.
 *
 * The passes run with JIT compilation off (`set local`, in a transaction of their own unless the caller's):
 * the planner's estimates for a branch per unit easily pass `jit_above_cost`, and compiling then takes seconds
 * for a query that runs in milliseconds.
 */
export function searchDocuments(q: Queryable, scope: Scope, f: SearchFilter, passes = PASSES) {
  const run = async (tx: Queryable) => {
    await sql`set local jit = off`.execute(tx)
    return search(tx, scope, f, passes)
  }
  return q.isTransaction ? run(q) : q.transaction().execute(run)
}

/**
 * What a walk found: the hits that are certain (at or before the newest place where a branch stopped unfinished:
 * every branch has read everything down to there), that place, and the share of hits among the rows read by the
 * branches that stopped there or deeper.
 */
function settle(rows: FirstPassRow[], budget: number, limit: number) {
  const hitsOf = new Map<string, number>()
  for (const row of rows) if (row.hit) hitsOf.set(row.branch, (hitsOf.get(row.branch) ?? 0) + 1)
  // Where each unfinished branch stopped: at its last hit when it filled the page, else at its budget.
  const stops = new Map<string, FirstPassRow>()
  for (const row of rows) {
    const stopped = row.rn === budget || (row.hit && hitsOf.get(row.branch) === limit)
    const known = stops.get(row.branch)
    if (stopped && (!known || byNewest(row, known) > 0)) stops.set(row.branch, row)
  }
  let hits = 0
  let read = 0
  for (const [branch, row] of stops) {
    if (row.rn !== budget) continue
    hits += hitsOf.get(branch) ?? 0
    read += row.rn
  }
  const stop = [...stops.values()].sort(byNewest)[0]
  return {
    certain: rows.filter((r) => r.hit && (!stop || byNewest(r, stop) <= 0)),
    stop: stop && { at: stop.at, id: stop.id },
    density: read > 0 ? hits / read : 0,
  }
}

async function search(q: Queryable, scope: Scope, f: SearchFilter, passes: SearchPasses) {
  const limit = Math.max(1, f.limit)
  // A register id that is no uuid names no register: nothing matches (and PostgreSQL is not asked to cast it).
  if (f.registerId && !isUuid(f.registerId)) return []
  const branches = await branchesOf(q, scope)
  const count = branches.registers.length + branches.assigned.length
  if (count === 0) return []
  // The caller's cursor is an instant in milliseconds; as text it compares exactly with the positions.
  let cursor: Position | undefined = f.before && {
    at: f.before.receivedAt.toISOString().replace('Z', '000'),
    id: isUuid(f.before.id) ? f.before.id : '00000000-0000-0000-0000-000000000000',
  }
  const page = new Map<string, Position>()
  const take = (rows: Position[]) => {
    for (const row of rows.sort(byNewest)) if (page.size < limit) page.set(row.id, row)
  }
  const share = (total: number, perBranch: number) =>
    Math.max(1, Math.min(perBranch, Math.ceil(total / count)))
  // A short walk; a longer one from where it stopped if the words proved common enough to fill the page within
  // it; else (or then) the word indexes for the rest.
  let budget = share(passes.probeRows, passes.branchRows)
  let settled = false
  for (let round = 1; round <= 2; round++) {
    const need = limit - page.size
    const rows = await walk(q, branches, { ...f, limit: need }, cursor, budget)
    const { certain, stop, density } = settle(rows, budget, need)
    take(certain)
    cursor = stop
    if (page.size >= limit || !stop) {
      settled = true
      break
    }
    if (density === 0 || (limit - page.size) / density > passes.walkRows) break
    budget = share(passes.walkRows, passes.branchRows)
  }
  if (!settled) take(await secondPass(q, branches, f, cursor, limit - page.size))
  if (page.size === 0) return []
  return t(q)
    .selectFrom('documents')
    .innerJoin('document_types', 'document_types.code', 'documents.type_code')
    .innerJoin('document_registers', 'document_registers.id', 'documents.register_id')
    .selectAll('documents')
    .select(['document_types.name as type_name', 'document_registers.name as register_name'])
    .where('documents.id', 'in', [...page.keys()])
    .orderBy('documents.received_at', 'desc')
    .orderBy('documents.id', 'desc')
    .execute()
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
