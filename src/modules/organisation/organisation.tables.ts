import type { ColumnType, Generated, Selectable } from 'kysely'
import type { OrgUnitType } from './org-unit.js'

/** The tables this module owns; other modules reach them only through the service. */
export type OrgTables = {
  org_units: {
    // Set by the service, not the database: the path contains the id, so it must be known before insert.
    id: string
    parent_id: string | null
    path: string
    key: string | null
    name: string
    short_name: string | null
    type: OrgUnitType
    level: number
    agency_code: string | null
    admin_unit_code: string | null
    valid_from: string
    valid_to: string | null
    is_sample: ColumnType<boolean, boolean | undefined, boolean>
    require_totp: ColumnType<boolean, boolean | undefined, boolean>
    source: string | null
    seed_hash: string | null
    created_at: Generated<Date>
    updated_at: ColumnType<Date, Date | undefined, Date>
  }
}

export type OrgUnitRow = Selectable<OrgTables['org_units']>
