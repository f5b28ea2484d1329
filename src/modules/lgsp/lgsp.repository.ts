import type { Insertable, Kysely, Selectable, Updateable } from 'kysely'
import type { Queryable } from '../../platform/db/database.js'
import { sqlSignal } from '../../platform/db/signals.js'
import { tablesOf, type PlatformTables } from '../../platform/db/tables.js'
import type { LgspTables } from './lgsp.tables.js'

export type MemberRow = Selectable<LgspTables['lgsp_members']>
export type SubsystemRow = Selectable<LgspTables['lgsp_subsystems']>
export type ServiceRow = Selectable<LgspTables['lgsp_services']>
export type AccessRightRow = Selectable<LgspTables['lgsp_access_rights']>
export type AllowedHostRow = Selectable<LgspTables['lgsp_allowed_hosts']>

const t = (q: Queryable): Kysely<PlatformTables & LgspTables> => tablesOf<LgspTables>(q)

export const listMembers = (q: Queryable) =>
  t(q).selectFrom('lgsp_members').selectAll().orderBy('name').orderBy('member_code').execute()

export const findMember = (q: Queryable, id: string) =>
  t(q).selectFrom('lgsp_members').selectAll().where('id', '=', id).executeTakeFirst()

export const findMemberByCode = (q: Queryable, instance: string, memberClass: string, code: string) =>
  t(q)
    .selectFrom('lgsp_members')
    .selectAll()
    .where('instance', '=', instance)
    .where('member_class', '=', memberClass as MemberRow['member_class'])
    .where('member_code', '=', code)
    .executeTakeFirst()

export const insertMember = (q: Queryable, row: Insertable<LgspTables['lgsp_members']>) =>
  t(q).insertInto('lgsp_members').values(row).returningAll().executeTakeFirstOrThrow()

export const updateMember = (q: Queryable, id: string, row: Updateable<LgspTables['lgsp_members']>) =>
  t(q).updateTable('lgsp_members').set(row).where('id', '=', id).returningAll().executeTakeFirst()

export const listSubsystems = (q: Queryable) =>
  t(q).selectFrom('lgsp_subsystems').selectAll().orderBy('code').execute()

export const findSubsystem = (q: Queryable, id: string) =>
  t(q).selectFrom('lgsp_subsystems').selectAll().where('id', '=', id).executeTakeFirst()

export const findSubsystemByCode = (q: Queryable, memberId: string, code: string) =>
  t(q)
    .selectFrom('lgsp_subsystems')
    .selectAll()
    .where('member_id', '=', memberId)
    .where('code', '=', code)
    .executeTakeFirst()

export const findSubsystemBySsoClient = (q: Queryable, clientId: string) =>
  t(q).selectFrom('lgsp_subsystems').selectAll().where('sso_client_id', '=', clientId).executeTakeFirst()

export const insertSubsystem = (q: Queryable, row: Insertable<LgspTables['lgsp_subsystems']>) =>
  t(q).insertInto('lgsp_subsystems').values(row).returningAll().executeTakeFirstOrThrow()

export const updateSubsystem = (q: Queryable, id: string, row: Updateable<LgspTables['lgsp_subsystems']>) =>
  t(q).updateTable('lgsp_subsystems').set(row).where('id', '=', id).returningAll().executeTakeFirst()

export const listServices = (q: Queryable) =>
  t(q).selectFrom('lgsp_services').selectAll().orderBy('code').execute()

export const findService = (q: Queryable, id: string) =>
  t(q).selectFrom('lgsp_services').selectAll().where('id', '=', id).executeTakeFirst()

export const findServiceByCode = (q: Queryable, subsystemId: string, code: string) =>
  t(q)
    .selectFrom('lgsp_services')
    .selectAll()
    .where('subsystem_id', '=', subsystemId)
    .where('code', '=', code)
    .executeTakeFirst()

export const insertService = (q: Queryable, row: Insertable<LgspTables['lgsp_services']>) =>
  t(q).insertInto('lgsp_services').values(row).returningAll().executeTakeFirstOrThrow()

export const updateService = (q: Queryable, id: string, row: Updateable<LgspTables['lgsp_services']>) =>
  t(q).updateTable('lgsp_services').set(row).where('id', '=', id).returningAll().executeTakeFirst()

export const listAccessRights = (q: Queryable) =>
  t(q).selectFrom('lgsp_access_rights').selectAll().orderBy('created_at').orderBy('id').execute()

export const findAccessRight = (q: Queryable, id: string) =>
  t(q).selectFrom('lgsp_access_rights').selectAll().where('id', '=', id).executeTakeFirst()

export const insertAccessRight = (q: Queryable, row: Insertable<LgspTables['lgsp_access_rights']>) =>
  t(q).insertInto('lgsp_access_rights').values(row).returningAll().executeTakeFirstOrThrow()

export const deleteAccessRight = (q: Queryable, id: string) =>
  t(q).deleteFrom('lgsp_access_rights').where('id', '=', id).returningAll().executeTakeFirst()

/** Sent with every change of the registry or of a shared circuit: the other processes read the registry again. */
export const REGISTRY_CHANGED = 'lgsp_registry_changed'

export const signalRegistryChanged = (q: Queryable, what: 'registry' | 'circuit') =>
  sqlSignal(REGISTRY_CHANGED, what).execute(q)

export const listOpenCircuits = (q: Queryable) =>
  t(q).selectFrom('lgsp_service_circuits').select(['service_id', 'open_until', 'reason']).execute()

/** A circuit this process opened, for the others; a later opening moves the time on. */
export const saveOpenCircuit = (q: Queryable, serviceId: string, openUntil: Date, reason: string, at: Date) =>
  t(q)
    .insertInto('lgsp_service_circuits')
    .values({ service_id: serviceId, open_until: openUntil, reason: reason.slice(0, 200), opened_at: at })
    .onConflict((oc) =>
      oc.column('service_id').doUpdateSet((eb) => ({
        open_until: eb.ref('excluded.open_until'),
        reason: eb.ref('excluded.reason'),
        opened_at: eb.ref('excluded.opened_at'),
      })),
    )
    .execute()

export const deleteCircuit = (q: Queryable, serviceId: string) =>
  t(q).deleteFrom('lgsp_service_circuits').where('service_id', '=', serviceId).execute()

export const listAllowedHosts = (q: Queryable) =>
  t(q).selectFrom('lgsp_allowed_hosts').selectAll().orderBy('host').execute()

export const insertAllowedHost = (q: Queryable, row: Insertable<LgspTables['lgsp_allowed_hosts']>) =>
  t(q)
    .insertInto('lgsp_allowed_hosts')
    .values(row)
    .onConflict((oc) => oc.column('host').doNothing())
    .returningAll()
    .executeTakeFirst()

export const deleteAllowedHost = (q: Queryable, host: string) =>
  t(q).deleteFrom('lgsp_allowed_hosts').where('host', '=', host).returningAll().executeTakeFirst()
