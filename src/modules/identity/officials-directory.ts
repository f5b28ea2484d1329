import type { Role } from '../../platform/auth/roles.js'
import type { Queryable } from '../../platform/db/database.js'
import { tablesOf } from '../../platform/db/tables.js'
import type { IdentityTables } from './identity.tables.js'

/** An active official and the roles they hold over one unit. */
export type UnitOfficial = { id: string; fullName: string; roles: Role[] }

/**
 * Who works in a unit, for choosing the reviewers and approvers of its documents: active officials with a
 * role held in the unit itself, or in a unit above it together with its subtree. Reads the identity tables
 * here, so other modules never do.
 */
export function officialsDirectory(db: Queryable) {
  return {
    async inUnit(unit: { id: string; path: string }): Promise<UnitOfficial[]> {
      const ancestors = unit.path.split('/').filter((id) => id && id !== unit.id)
      const rows = await tablesOf<IdentityTables>(db)
        .selectFrom('role_assignments as r')
        .innerJoin('users as u', 'u.id', 'r.user_id')
        .select(['u.id', 'u.full_name', 'r.role'])
        .where('u.kind', '=', 'official')
        .where('u.status', '=', 'active')
        .where((eb) =>
          eb.or([
            eb('r.unit_id', '=', unit.id),
            ...(ancestors.length
              ? [eb.and([eb('r.include_subtree', '=', true), eb('r.unit_id', 'in', ancestors)])]
              : []),
          ]),
        )
        .orderBy('u.full_name')
        .orderBy('u.id')
        .limit(2000)
        .execute()
      const byId = new Map<string, UnitOfficial>()
      for (const row of rows) {
        const official = byId.get(row.id) ?? { id: row.id, fullName: row.full_name, roles: [] }
        if (!official.roles.includes(row.role)) official.roles.push(row.role)
        byId.set(row.id, official)
      }
      return [...byId.values()]
    },

    /**
     * How to reach these officials (active ones only; others are left out): for the notifications module's
     * messages to officials, such as reminders of document deadlines.
     */
    async contacts(ids: readonly string[]): Promise<OfficialContact[]> {
      if (ids.length === 0) return []
      const rows = await tablesOf<IdentityTables>(db)
        .selectFrom('users')
        .select(['id', 'full_name', 'email', 'phone'])
        .where('id', 'in', [...ids])
        .where('kind', '=', 'official')
        .where('status', '=', 'active')
        .execute()
      return rows.map((u) => ({ id: u.id, fullName: u.full_name, email: u.email, phone: u.phone }))
    },
  }
}

/** An active official's name and contact details, as their account holds them. */
export type OfficialContact = { id: string; fullName: string; email: string | null; phone: string | null }

export type OfficialsDirectory = ReturnType<typeof officialsDirectory>
