import { sql, type Insertable, type Kysely, type Selectable, type Updateable } from 'kysely'
import type { Queryable } from '../../platform/db/database.js'
import { tablesOf, type PlatformTables } from '../../platform/db/tables.js'
import type { DocumentTables } from './documents.tables.js'
import type { OutgoingTables } from './outgoing.tables.js'
import type { WorkFileStatus } from './work-files.rules.js'
import type { WorkFileTables } from './work-files.tables.js'

export type WorkFileRow = Selectable<WorkFileTables['work_files']>
export type WorkFileHistoryRow = Selectable<WorkFileTables['work_file_history']>

type All = PlatformTables & DocumentTables & OutgoingTables & WorkFileTables
const t = (q: Queryable): Kysely<All> => tablesOf<DocumentTables & OutgoingTables & WorkFileTables>(q)

/** A filed document: incoming (`documents`) or outgoing (`outgoing_documents`). */
export type FiledRef = { kind: 'incoming' | 'outgoing'; id: string }
const column = (ref: FiledRef) => (ref.kind === 'incoming' ? 'document_id' : 'outgoing_id')
const isUuid = (id: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)

export function insertWorkFile(q: Queryable, values: Insertable<WorkFileTables['work_files']>) {
  return t(q).insertInto('work_files').values(values).returningAll().executeTakeFirstOrThrow()
}

export function findWorkFile(q: Queryable, id: string) {
  if (!isUuid(id)) return Promise.resolve(undefined)
  return t(q).selectFrom('work_files').selectAll().where('id', '=', id).executeTakeFirst()
}

/** Taken FOR UPDATE: two people closing or filing into one work file are served in turn. */
export function lockWorkFile(q: Queryable, id: string) {
  return t(q).selectFrom('work_files').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
}

export function updateWorkFile(q: Queryable, id: string, values: Updateable<WorkFileTables['work_files']>) {
  return t(q)
    .updateTable('work_files')
    .set(values)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
}

export type WorkFileFilter = {
  unitIds: string[]
  year?: number
  status?: WorkFileStatus
  /** Folded words of the code or title. */
  q?: string
  limit: number
}

/** Work files of the units, by year (newest first) and code, with how many documents each holds. */
export function listWorkFiles(q: Queryable, f: WorkFileFilter) {
  if (f.unitIds.length === 0) return Promise.resolve([])
  let query = t(q)
    .selectFrom('work_files')
    .selectAll('work_files')
    .select((eb) =>
      eb
        .selectFrom('work_file_documents')
        .select(eb.fn.countAll<number>().as('n'))
        .whereRef('work_file_documents.work_file_id', '=', 'work_files.id')
        .as('document_total'),
    )
    .where('unit_id', 'in', f.unitIds)
    .orderBy('year', 'desc')
    .orderBy('code')
    .limit(f.limit)
  if (f.year !== undefined) query = query.where('year', '=', f.year)
  if (f.status) query = query.where('status', '=', f.status)
  if (f.q) {
    const like = `%${f.q}%`
    query = query.where(sql<boolean>`f_unaccent(work_files.code || ' ' || work_files.title) like ${like}`)
  }
  return query.execute()
}

export function fileDocument(q: Queryable, values: Insertable<WorkFileTables['work_file_documents']>) {
  return t(q).insertInto('work_file_documents').values(values).execute()
}

export async function unfileDocument(q: Queryable, workFileId: string, ref: FiledRef) {
  const result = await t(q)
    .deleteFrom('work_file_documents')
    .where('work_file_id', '=', workFileId)
    .where(column(ref), '=', ref.id)
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

/** The work file of a unit that already holds a document, if any. */
export function workFileHolding(q: Queryable, unitId: string, ref: FiledRef) {
  return t(q)
    .selectFrom('work_file_documents')
    .innerJoin('work_files', 'work_files.id', 'work_file_documents.work_file_id')
    .select(['work_files.id', 'work_files.code', 'work_files.year'])
    .where('work_file_documents.unit_id', '=', unitId)
    .where(`work_file_documents.${column(ref)}`, '=', ref.id)
    .executeTakeFirst()
}

/**
 * Whether an incoming document was handled electronically (the module README): it came as an electronic
 * file, an edXML package or from a unit of the platform, or has at least one attached file; and none of its
 * assignments is still open, so all the processing that was assigned was done in the platform.
 */
const incomingElectronic = sql<boolean>`((documents.source <> 'paper'
      or exists (select 1 from document_files f where f.document_id = documents.id))
    and not exists (select 1 from document_assignments a where a.document_id = documents.id and a.status = 'open'))`

/** An outgoing document is handled electronically once issued with the unit's digital signature. */
const outgoingElectronic = sql<boolean>`(o.status = 'issued' and o.signed_object_key is not null)`

/** One document of a work file as its page shows it; the service drops those the actor may not see. */
export type FiledDocument = {
  kind: 'incoming' | 'outgoing'
  id: string
  code_number: string | null
  code_notation: string | null
  issued_on: string | null
  /** For an outgoing document, the issuing unit's id; the service names it. */
  issuer_name: string
  issuer_unit_id: string | null
  summary: string
  status: string
  restricted: boolean
  electronic: boolean
  added_at: Date
}

/** The documents of a work file, incoming and outgoing, by date of issue. */
export async function filedDocuments(q: Queryable, workFileId: string): Promise<FiledDocument[]> {
  const [incoming, outgoing] = await Promise.all([
    t(q)
      .selectFrom('work_file_documents as l')
      .innerJoin('documents', 'documents.id', 'l.document_id')
      .select([
        'documents.id',
        'documents.code_number',
        'documents.code_notation',
        'documents.issued_on',
        'documents.issuer_name',
        'documents.summary',
        'documents.status',
        'documents.restricted',
        'l.added_at',
      ])
      .select(incomingElectronic.as('electronic'))
      .where('l.work_file_id', '=', workFileId)
      .execute(),
    t(q)
      .selectFrom('work_file_documents as l')
      .innerJoin('outgoing_documents as o', 'o.id', 'l.outgoing_id')
      .select([
        'o.id',
        'o.code_number',
        'o.code_notation',
        'o.issued_on',
        'o.unit_id as issuer_unit_id',
        'o.summary',
        'o.status',
        'l.added_at',
      ])
      .select(sql<boolean>`o.confidentiality <> 'normal'`.as('restricted'))
      .select(outgoingElectronic.as('electronic'))
      .where('l.work_file_id', '=', workFileId)
      .execute(),
  ])
  const rows: FiledDocument[] = [
    ...incoming.map((d) => ({
      ...d,
      kind: 'incoming' as const,
      issuer_unit_id: null,
      electronic: Boolean(d.electronic),
    })),
    ...outgoing.map((d) => ({
      ...d,
      kind: 'outgoing' as const,
      issuer_name: '',
      electronic: Boolean(d.electronic),
    })),
  ]
  return rows.sort(
    (a, b) =>
      (a.issued_on ?? '9999').localeCompare(b.issued_on ?? '9999') ||
      a.added_at.getTime() - b.added_at.getTime(),
  )
}

/** How many documents a work file holds and how many of them were handled electronically. */
export async function measure(q: Queryable, workFileId: string) {
  const result = await sql<{ total: number; electronic: number }>`
    select count(*)::int as total,
      count(*) filter (where case
        when l.document_id is not null
          then (select ${incomingElectronic} from documents where documents.id = l.document_id)
        else (select ${outgoingElectronic} from outgoing_documents o where o.id = l.outgoing_id) end)::int
        as electronic
    from work_file_documents l where l.work_file_id = ${workFileId}`.execute(q)
  const row = result.rows[0]!
  return { total: Number(row.total), electronic: Number(row.electronic) }
}

export async function appendWorkFileHistory(
  q: Queryable,
  values: Omit<Insertable<WorkFileTables['work_file_history']>, 'seq'>,
) {
  const last = await t(q)
    .selectFrom('work_file_history')
    .select((eb) => eb.fn.coalesce(eb.fn.max('seq'), eb.lit(0)).as('seq'))
    .where('work_file_id', '=', values.work_file_id)
    .executeTakeFirstOrThrow()
  await t(q)
    .insertInto('work_file_history')
    .values({ ...values, seq: Number(last.seq) + 1 })
    .execute()
}

export function listWorkFileHistory(q: Queryable, workFileId: string) {
  return t(q)
    .selectFrom('work_file_history')
    .selectAll()
    .where('work_file_id', '=', workFileId)
    .orderBy('seq')
    .execute()
}

/** Per unit for a year: open files, finished (closed or archived) files and those processed electronically. */
export async function countsByUnit(q: Queryable, year: number) {
  const rows = await t(q)
    .selectFrom('work_files')
    .select((eb) => [
      'unit_id',
      sql<number>`count(*) filter (where status = 'open')`.as('open'),
      sql<number>`count(*) filter (where status <> 'open')`.as('finished'),
      sql<number>`count(*) filter (where status <> 'open' and processed_electronically)`.as('electronic'),
      eb.fn.countAll<number>().as('total'),
    ])
    .where('year', '=', year)
    .groupBy('unit_id')
    .execute()
  return rows.map((r) => ({
    unitId: r.unit_id,
    open: Number(r.open),
    finished: Number(r.finished),
    electronic: Number(r.electronic),
  }))
}
