import { sql, type Insertable, type Updateable } from 'kysely'
import type { Queryable } from '../../platform/db/database.js'
import { tablesOf } from '../../platform/db/tables.js'
import type { OrgUnit } from './org-unit.js'
import type { OrgTables, OrgUnitRow } from './organisation.tables.js'

const t = (q: Queryable) => tablesOf<OrgTables>(q)

export type NewOrgUnitRow = Insertable<OrgTables['org_units']>
export type OrgUnitPatch = Updateable<OrgTables['org_units']>
export type UnitListFilter = {
  activeOn?: string | undefined
  q?: string | undefined
  parentId?: string | undefined
}

export function toOrgUnit(row: OrgUnitRow): OrgUnit {
  return {
    id: row.id,
    parentId: row.parent_id,
    path: row.path,
    key: row.key,
    name: row.name,
    shortName: row.short_name,
    type: row.type,
    level: row.level,
    agencyCode: row.agency_code,
    adminUnitCode: row.admin_unit_code,
    validFrom: row.valid_from,
    validTo: row.valid_to,
    isSample: row.is_sample,
    requireTotp: row.require_totp,
    source: row.source,
  }
}

const selectUnits = (q: Queryable) => t(q).selectFrom('org_units').selectAll()

export async function findUnitById(q: Queryable, id: string, lock = false): Promise<OrgUnit | undefined> {
  let query = selectUnits(q).where('id', '=', id)
  if (lock) query = query.forUpdate()
  const row = await query.executeTakeFirst()
  return row && toOrgUnit(row)
}

export async function findUnitsByIds(q: Queryable, ids: string[]): Promise<OrgUnit[]> {
  if (ids.length === 0) return []
  const rows = await selectUnits(q).where('id', 'in', ids).orderBy('path').execute()
  return rows.map(toOrgUnit)
}

export async function findUnitByKey(q: Queryable, key: string): Promise<OrgUnit | undefined> {
  const row = await selectUnits(q).where('key', '=', key).executeTakeFirst()
  return row && toOrgUnit(row)
}

/** The unit with the fingerprint of the values the seed last wrote to it. */
export async function findSeededUnit(
  q: Queryable,
  key: string,
): Promise<{ unit: OrgUnit; seedHash: string | null } | undefined> {
  const row = await selectUnits(q).where('key', '=', key).executeTakeFirst()
  return row && { unit: toOrgUnit(row), seedHash: row.seed_hash }
}

export async function findUnitByAgencyCode(q: Queryable, agencyCode: string): Promise<OrgUnit | undefined> {
  const row = await selectUnits(q).where('agency_code', '=', agencyCode).executeTakeFirst()
  return row && toOrgUnit(row)
}

export async function findRootUnit(q: Queryable): Promise<OrgUnit | undefined> {
  const row = await selectUnits(q).where('parent_id', 'is', null).executeTakeFirst()
  return row && toOrgUnit(row)
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`)
}

export async function listUnits(q: Queryable, filter: UnitListFilter = {}): Promise<OrgUnit[]> {
  let query = selectUnits(q)
  if (filter.activeOn) {
    const day = filter.activeOn
    query = query
      .where('valid_from', '<=', day)
      .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>=', day)]))
  }
  if (filter.q) {
    // Same expression as the org_units_name_search index, so the trigram index serves it.
    query = query.where(sql<boolean>`f_unaccent(name) like '%' || f_unaccent(${escapeLike(filter.q)}) || '%'`)
  }
  if (filter.parentId) query = query.where('parent_id', '=', filter.parentId)
  const rows = await query.orderBy('path').execute()
  return rows.map(toOrgUnit)
}

/** The unit and everything below it, shallowest first. */
export async function listSubtree(q: Queryable, path: string): Promise<OrgUnit[]> {
  const rows = await selectUnits(q)
    .where('path', 'like', `${escapeLike(path)}%`)
    .orderBy(sql`length(path)`)
    .orderBy('path')
    .execute()
  return rows.map(toOrgUnit)
}

export async function insertUnit(q: Queryable, row: NewOrgUnitRow): Promise<OrgUnit> {
  const inserted = await t(q).insertInto('org_units').values(row).returningAll().executeTakeFirstOrThrow()
  return toOrgUnit(inserted)
}

export async function updateUnit(q: Queryable, id: string, patch: OrgUnitPatch): Promise<OrgUnit> {
  const updated = await t(q)
    .updateTable('org_units')
    .set(patch)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
  return toOrgUnit(updated)
}

/** Rewrites the path prefix of every descendant after a move; returns how many rows moved. */
export async function rewriteDescendantPaths(
  q: Queryable,
  oldPath: string,
  newPath: string,
  now: Date,
): Promise<number> {
  const result = await t(q)
    .updateTable('org_units')
    .set({ path: sql<string>`${newPath} || substr(path, ${oldPath.length + 1})`, updated_at: now })
    .where('path', 'like', `${escapeLike(oldPath)}%`)
    .where('path', '<>', oldPath)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

export async function setUnitLevel(q: Queryable, id: string, level: number, now: Date): Promise<void> {
  await t(q).updateTable('org_units').set({ level, updated_at: now }).where('id', '=', id).execute()
}

export async function setSeedHash(q: Queryable, id: string, seedHash: string): Promise<void> {
  await t(q).updateTable('org_units').set({ seed_hash: seedHash }).where('id', '=', id).execute()
}
