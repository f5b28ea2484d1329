import { Permission, Role, rolePermissions } from './roles.js'

export type RoleGrant = {
  role: Role
  unitId: string | null
  /** '/<root>/…/<unit>/' of the unit the role is held in. */
  unitPath: string | null
  unitName: string | null
  includeSubtree: boolean
}

/** The acting user of a request or a CLI command; services take it first. */
export type Actor = {
  userId: string
  username: string
  fullName: string
  kind: 'official' | 'citizen' | 'business'
  homeUnitId: string | null
  grants: RoleGrant[]
  via: 'session' | 'token' | 'cli'
}

/** A unit, as far as permission checks need to know it. */
export type UnitRef = { id: string; path: string }

/** Thrown when the actor may not do what was asked; the HTTP layer answers 403 and audits it. */
export class ForbiddenError extends Error {
  constructor(
    readonly permission: string,
    readonly unitId: string | null = null,
    message = 'Bạn không có quyền thực hiện thao tác này.',
  ) {
    super(message)
  }
}

/** Thrown when a request needs a signed-in user and has none. */
export class UnauthenticatedError extends Error {
  constructor(message = 'Vui lòng đăng nhập để tiếp tục.') {
    super(message)
  }
}

function grantCovers(grant: RoleGrant, unit: UnitRef): boolean {
  if (!grant.unitId || !grant.unitPath) return false
  if (grant.unitId === unit.id) return true
  return grant.includeSubtree && unit.path.startsWith(grant.unitPath)
}

/** The one permission check. Without a unit: does any grant carry the permission at all. */
export function can(actor: Actor | null, permission: Permission, unit?: UnitRef): boolean {
  if (!actor) return false
  return actor.grants.some(
    (grant) =>
      (rolePermissions[grant.role] as readonly Permission[]).includes(permission) &&
      (unit === undefined || grantCovers(grant, unit)),
  )
}

export function authorize(
  actor: Actor | null,
  permission: Permission,
  unit?: UnitRef,
): asserts actor is Actor {
  if (!actor) throw new UnauthenticatedError()
  if (!can(actor, permission, unit)) throw new ForbiddenError(permission, unit?.id ?? null)
}

/** Grants that carry a permission: used to scope lists ("the units I may manage"). */
export function grantsWith(actor: Actor, permission: Permission): RoleGrant[] {
  return actor.grants.filter((g) => (rolePermissions[g.role] as readonly Permission[]).includes(permission))
}

export function hasRole(actor: Actor, role: Role): boolean {
  return actor.grants.some((g) => g.role === role)
}
