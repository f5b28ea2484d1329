import { sql, type Selectable } from 'kysely'
import type { Queryable } from '../../platform/db/database.js'
import { tablesOf } from '../../platform/db/tables.js'
import type { CatalogueTables } from './catalogue.tables.js'
import {
  DEFAULT_ACCEPT,
  type Fee,
  type FormField,
  type Procedure,
  type ProcedureData,
  type RequiredDocument,
} from './procedure.js'

type Row = Selectable<CatalogueTables['procedures']>
const t = (q: Queryable) => tablesOf<CatalogueTables>(q)

export function toProcedure(row: Row): Procedure {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    field: row.field,
    onlineLevel: row.online_level,
    legacyLevel: row.legacy_level,
    processingDays: row.processing_days,
    feeTiming: row.fee_timing,
    fees: (row.fees as Fee[]).map((f) => ({
      ...f,
      optional: f.optional ?? false,
      quantityField: f.quantityField ?? null,
    })),
    // Rows stored before documents named their file types take the default.
    documents: (row.documents as RequiredDocument[]).map((d) => ({
      ...d,
      accept: d.accept ?? [...DEFAULT_ACCEPT],
    })),
    form: row.form as FormField[],
    resultType: row.result_type,
    legalBasis: row.legal_basis,
    unitTypes: row.unit_types,
    unitKeys: row.unit_keys,
    workflow: row.workflow,
    effectiveFrom: row.effective_from,
    effectiveTo: row.effective_to,
    isSample: row.is_sample,
    sourceNote: row.source_note,
  }
}

function columns(p: ProcedureData) {
  return {
    code: p.code,
    name: p.name,
    field: p.field,
    online_level: p.onlineLevel,
    legacy_level: p.legacyLevel,
    processing_days: p.processingDays,
    fee_timing: p.feeTiming,
    fees: JSON.stringify(p.fees),
    documents: JSON.stringify(p.documents),
    form: JSON.stringify(p.form),
    result_type: p.resultType,
    legal_basis: JSON.stringify(p.legalBasis),
    unit_types: JSON.stringify(p.unitTypes),
    unit_keys: JSON.stringify(p.unitKeys),
    workflow: p.workflow,
    effective_from: p.effectiveFrom,
    effective_to: p.effectiveTo,
    is_sample: p.isSample,
    source_note: p.sourceNote,
  }
}

/** Inserts a version, or replaces the version with the same code and start date. */
export async function upsertProcedure(
  q: Queryable,
  p: ProcedureData,
  now: Date,
): Promise<'inserted' | 'updated'> {
  const values = columns(p)
  const row = await t(q)
    .insertInto('procedures')
    .values(values)
    .onConflict((oc) => oc.columns(['code', 'effective_from']).doUpdateSet({ ...values, updated_at: now }))
    .returning(sql<boolean>`xmax = 0`.as('inserted'))
    .executeTakeFirstOrThrow()
  return row.inserted ? 'inserted' : 'updated'
}

/** For the seed: a version already there (perhaps edited since) is left alone. */
export async function insertProcedureIfMissing(q: Queryable, p: ProcedureData): Promise<boolean> {
  const row = await t(q)
    .insertInto('procedures')
    .values(columns(p))
    .onConflict((oc) => oc.columns(['code', 'effective_from']).doNothing())
    .returning('id')
    .executeTakeFirst()
  return row !== undefined
}

export type SearchFilter = {
  tsquery: string | null
  field?: string
  unitType?: string
  unitKey?: string | null
  onlineLevel?: string
  activeOn: string
  after?: { name: string; code: string }
  limit: number
}

/** Versions in force on a day, matching the filters; keyset-paginated on (name, code). */
export function searchProcedures(q: Queryable, f: SearchFilter) {
  let query = t(q)
    .selectFrom('procedures')
    .selectAll()
    .where('effective_from', '<=', f.activeOn)
    .where((eb) => eb.or([eb('effective_to', 'is', null), eb('effective_to', '>=', f.activeOn)]))
    .orderBy('name')
    .orderBy('code')
    .limit(f.limit)
  if (f.tsquery) query = query.where(sql<boolean>`search @@ to_tsquery('simple', ${f.tsquery})`)
  if (f.field) query = query.where('field', '=', f.field)
  if (f.onlineLevel) query = query.where('online_level', '=', f.onlineLevel as Row['online_level'])
  if (f.unitType) {
    const type = f.unitType
    const key = f.unitKey ?? null
    query = query.where((eb) =>
      eb.or([
        sql<boolean>`unit_types @> jsonb_build_array(${type}::text)`,
        ...(key ? [sql<boolean>`unit_keys @> jsonb_build_array(${key}::text)`] : []),
      ]),
    )
  }
  if (f.after) {
    const { name, code } = f.after
    query = query.where((eb) =>
      eb.or([eb('name', '>', name), eb.and([eb('name', '=', name), eb('code', '>', code)])]),
    )
  }
  return query.execute()
}

export function findInForce(q: Queryable, code: string, day: string) {
  return t(q)
    .selectFrom('procedures')
    .selectAll()
    .where('code', '=', code)
    .where('effective_from', '<=', day)
    .where((eb) => eb.or([eb('effective_to', 'is', null), eb('effective_to', '>=', day)]))
    .orderBy('effective_from', 'desc')
    .limit(1)
    .executeTakeFirst()
}

export function listAll(q: Queryable) {
  return t(q).selectFrom('procedures').selectAll().orderBy('code').orderBy('effective_from').execute()
}

export async function listFields(q: Queryable): Promise<string[]> {
  const rows = await t(q).selectFrom('procedures').select('field').distinct().orderBy('field').execute()
  return rows.map((r) => r.field)
}
