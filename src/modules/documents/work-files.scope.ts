import { can, type Actor } from '../../platform/auth/actor.js'
import { Permission } from '../../platform/auth/roles.js'
import type { OrgUnit } from '../organisation/index.js'
import type { Scope } from './documents.repository.js'

/**
 * The actor's document scope (the same rule as the documents service): clerks and leaders read a unit's
 * ordinary documents, leaders all of them, processors ordinary documents assigned to their unit, and a
 * person what was ever assigned to them. Work files and meetings check documents with it.
 */
export function documentScope(actor: Actor, units: readonly OrgUnit[]) {
  const ids = (permission: Permission) => units.filter((u) => can(actor, permission, u)).map((u) => u.id)
  const leaderUnits = ids(Permission.documentsAssign)
  const registerUnits = ids(Permission.documentsRegister)
  const processUnits = ids(Permission.documentsProcess)
  const scope: Scope = {
    userId: actor.userId,
    readUnits: [...new Set([...registerUnits, ...leaderUnits])],
    leaderUnits,
    processUnits,
  }
  /** Units whose officials keep work files: anyone handling the unit's documents. */
  const officialUnits = [...new Set([...registerUnits, ...leaderUnits, ...processUnits])]
  return { scope, leaderUnits, registerUnits, processUnits, officialUnits }
}

/** Who works in a unit (app.ts gives the identity module's directory): keepers and meeting attendees. */
export type UnitOfficials = {
  inUnit(unit: { id: string; path: string }): Promise<{ id: string; fullName: string }[]>
}

/** The officials of several units, each once, in the order the units come. */
export async function officialsOf(directory: UnitOfficials, units: readonly { id: string; path: string }[]) {
  const seen = new Map<string, { id: string; fullName: string }>()
  for (const unit of units) {
    for (const person of await directory.inUnit(unit)) if (!seen.has(person.id)) seen.set(person.id, person)
  }
  return [...seen.values()]
}
