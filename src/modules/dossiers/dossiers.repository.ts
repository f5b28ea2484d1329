import { sql, type Insertable, type Selectable, type Updateable } from 'kysely'
import type { Queryable } from '../../platform/db/database.js'
import { tablesOf } from '../../platform/db/tables.js'
import type { DossierTables } from './dossiers.tables.js'

export type DossierRow = Selectable<DossierTables['dossiers']>
export type ActionRow = Selectable<DossierTables['dossier_actions']>
const t = (q: Queryable) => tablesOf<DossierTables>(q)

/** The next number of the day for an agency; the upsert locks the counter row, so numbers never repeat. */
export async function nextSequence(q: Queryable, agencyCode: string, day: string): Promise<number> {
  const row = await t(q)
    .insertInto('dossier_counters')
    .values({ agency_code: agencyCode, day, last: 1 })
    .onConflict((oc) =>
      oc.columns(['agency_code', 'day']).doUpdateSet({ last: sql`dossier_counters.last + 1` }),
    )
    .returning('last')
    .executeTakeFirstOrThrow()
  return row.last
}

export function insertDossier(q: Queryable, values: Insertable<DossierTables['dossiers']>) {
  return t(q).insertInto('dossiers').values(values).returningAll().executeTakeFirstOrThrow()
}

export function updateDossier(q: Queryable, id: string, values: Updateable<DossierTables['dossiers']>) {
  return t(q)
    .updateTable('dossiers')
    .set(values)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
}

export function findByCode(q: Queryable, code: string) {
  return t(q).selectFrom('dossiers').selectAll().where('code', '=', code).executeTakeFirst()
}

/** Taken with FOR UPDATE inside a transaction, so two officers acting at once are served one after the other. */
export function lockByCode(q: Queryable, code: string) {
  return t(q).selectFrom('dossiers').selectAll().where('code', '=', code).forUpdate().executeTakeFirst()
}

export function findByIdempotencyKey(q: Queryable, createdBy: string, key: string) {
  return t(q)
    .selectFrom('dossiers')
    .selectAll()
    .where('created_by', '=', createdBy)
    .where('idempotency_key', '=', key)
    .executeTakeFirst()
}

export function insertAction(q: Queryable, values: Insertable<DossierTables['dossier_actions']>) {
  return t(q).insertInto('dossier_actions').values(values).execute()
}

export async function appendAction(
  q: Queryable,
  values: Omit<Insertable<DossierTables['dossier_actions']>, 'seq'>,
) {
  const last = await t(q)
    .selectFrom('dossier_actions')
    .select((eb) => eb.fn.coalesce(eb.fn.max('seq'), eb.lit(0)).as('seq'))
    .where('dossier_id', '=', values.dossier_id)
    .executeTakeFirstOrThrow()
  return t(q)
    .insertInto('dossier_actions')
    .values({ ...values, seq: Number(last.seq) + 1 })
    .returningAll()
    .executeTakeFirstOrThrow()
}

export function listActions(q: Queryable, dossierId: string) {
  return t(q)
    .selectFrom('dossier_actions')
    .selectAll()
    .where('dossier_id', '=', dossierId)
    .orderBy('seq')
    .execute()
}

/** Open dossiers of some units, earliest deadline first. */
export function listOpenForUnits(q: Queryable, unitIds: string[], limit: number) {
  if (unitIds.length === 0) return Promise.resolve([] as DossierRow[])
  return t(q)
    .selectFrom('dossiers')
    .selectAll()
    .where('unit_id', 'in', unitIds)
    .where('finished_at', 'is', null)
    .orderBy('due_at')
    .limit(limit)
    .execute()
}

export function listForApplicant(q: Queryable, userId: string, limit: number) {
  return t(q)
    .selectFrom('dossiers')
    .selectAll()
    .where('applicant_user_id', '=', userId)
    .orderBy('received_at', 'desc')
    .limit(limit)
    .execute()
}

export function findDraft(q: Queryable, userId: string, procedureCode: string) {
  return t(q)
    .selectFrom('dossier_drafts')
    .selectAll()
    .where('user_id', '=', userId)
    .where('procedure_code', '=', procedureCode)
    .executeTakeFirst()
}

/** Creates the draft or updates the parts given; returns the stored draft. */
export function saveDraft(
  q: Queryable,
  userId: string,
  procedureCode: string,
  changes: { unitId?: string; data?: Record<string, unknown> },
  now: Date,
) {
  const insert = {
    user_id: userId,
    procedure_code: procedureCode,
    unit_id: changes.unitId ?? null,
    data: JSON.stringify(changes.data ?? {}),
  }
  const update = {
    updated_at: now,
    ...(changes.unitId !== undefined ? { unit_id: changes.unitId } : {}),
    ...(changes.data !== undefined ? { data: JSON.stringify(changes.data) } : {}),
  }
  return t(q)
    .insertInto('dossier_drafts')
    .values(insert)
    .onConflict((oc) => oc.columns(['user_id', 'procedure_code']).doUpdateSet(update))
    .returningAll()
    .executeTakeFirstOrThrow()
}

export function deleteDraft(q: Queryable, id: string) {
  return t(q).deleteFrom('dossier_drafts').where('id', '=', id).execute()
}

/** The dossiers a unit received in [from, to), oldest first, with when their result was handed over. */
export function listReceivedBetween(q: Queryable, unitId: string, from: Date, to: Date, limit: number) {
  return t(q)
    .selectFrom('dossiers')
    .selectAll('dossiers')
    .select((eb) =>
      eb
        .selectFrom('dossier_actions')
        .select((a) => a.fn.max('dossier_actions.at').as('at'))
        .whereRef('dossier_actions.dossier_id', '=', 'dossiers.id')
        .where('dossier_actions.action', '=', 'return_result')
        .as('returned_at'),
    )
    .where('unit_id', '=', unitId)
    .where('received_at', '>=', from)
    .where('received_at', '<', to)
    .orderBy('received_at')
    .limit(limit)
    .execute()
}
