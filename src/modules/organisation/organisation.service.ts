import { randomUUID } from 'node:crypto'
import { appendAudit, type AuditContext } from '../../platform/audit/audit.js'
import { authorize, can, type Actor } from '../../platform/auth/actor.js'
import { Permission } from '../../platform/auth/roles.js'
import type { Clock } from '../../platform/clock.js'
import { inTransaction, type Db, type Tx } from '../../platform/db/database.js'
import { NotFoundError, ValidationError, type FieldErrors } from '../../platform/http/errors.js'
import {
  ancestorIds,
  buildTree,
  isUuid,
  levelFor,
  MAX_LEVEL,
  normaliseText,
  orderErrors,
  parseDate,
  parseUnitInput,
  placementProblem,
  vietnamDate,
  type OrgUnit,
  type UnitFields,
  type UnitNode,
} from './org-unit.js'
import * as repo from './organisation.repository.js'

export type UnitListFilter = { activeOn?: string; q?: string; parentId?: string }

export type OrganisationService = {
  /** Units by id whatever their validity (grants may point at a unit that has since ended). */
  findUnitsByIds(ids: string[]): Promise<OrgUnit[]>
  /** Throws NotFoundError for an unknown or malformed id. */
  getUnit(id: string): Promise<OrgUnit>
  findUnitByKey(key: string): Promise<OrgUnit | undefined>
  /** activeOn: YYYY-MM-DD; q: part of the name, accents and case ignored; parentId: direct children. */
  listUnits(filter?: UnitListFilter): Promise<OrgUnit[]>
  /** The matches of a search with their ancestors, so a tree can show where each match sits. */
  listUnitsWithAncestors(filter?: UnitListFilter): Promise<{ units: OrgUnit[]; matchIds: Set<string> }>
  createUnit(actor: Actor | null, ctx: AuditContext, input: unknown): Promise<OrgUnit>
  updateUnit(actor: Actor | null, ctx: AuditContext, id: string, input: unknown): Promise<OrgUnit>
  /** The unit, if the actor may manage it: for showing an edit form before anything is submitted. */
  getUnitToManage(actor: Actor | null, id: string): Promise<OrgUnit>
  /** Units the actor may put a unit under, in tree order; when editing, never the unit's own subtree. */
  listParentChoices(actor: Actor, editing?: OrgUnit): Promise<OrgUnit[]>
  canManage(actor: Actor | null, unit: Pick<OrgUnit, 'id' | 'path'>): boolean
  /** Today in Việt Nam, YYYY-MM-DD. */
  today(): string
}

export type OrganisationServiceDeps = { db: Db; clock: Clock }

// What an audit entry records of a unit: everything an official can change, plus the derived level.
const AUDITED = [
  'parentId',
  'name',
  'shortName',
  'type',
  'level',
  'agencyCode',
  'adminUnitCode',
  'validFrom',
  'validTo',
  'isSample',
  'requireTotp',
] as const satisfies readonly (keyof OrgUnit)[]

function snapshot(unit: OrgUnit): Record<string, unknown> {
  return Object.fromEntries(AUDITED.map((field) => [field, unit[field]]))
}

function diff(before: OrgUnit, after: OrgUnit) {
  const changed = AUDITED.filter((field) => before[field] !== after[field])
  return {
    before: Object.fromEntries(changed.map((field) => [field, before[field]])),
    after: Object.fromEntries(changed.map((field) => [field, after[field]])),
    changed,
  }
}

type PgError = { code?: string; constraint?: string }

/** A race the pre-checks lost still ends as a field message, not a 500. */
export function uniqueViolation(error: unknown): ValidationError | undefined {
  const pg = error as PgError
  if (pg?.code !== '23505') return undefined
  if (pg.constraint === 'org_units_agency_code') {
    return new ValidationError({ agencyCode: 'Mã định danh này đã được dùng cho một đơn vị khác.' })
  }
  if (pg.constraint === 'org_units_single_root') {
    return new ValidationError({ parentId: 'Đã có đơn vị gốc (UBND tỉnh); hãy chọn đơn vị cấp trên.' })
  }
  return undefined
}

async function withUniqueChecks<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    throw uniqueViolation(error) ?? error
  }
}

export function createOrganisationService({ db, clock }: OrganisationServiceDeps): OrganisationService {
  const today = () => vietnamDate(clock())

  function canManage(actor: Actor | null, unit: Pick<OrgUnit, 'id' | 'path'>): boolean {
    return can(actor, Permission.unitsManage, { id: unit.id, path: unit.path })
  }

  async function getUnit(id: string): Promise<OrgUnit> {
    const unit = isUuid(id) ? await repo.findUnitById(db, id.toLowerCase()) : undefined
    if (!unit) throw new NotFoundError('Không tìm thấy đơn vị.')
    return unit
  }

  function cleanFilter(filter: UnitListFilter): repo.UnitListFilter {
    const clean: repo.UnitListFilter = {}
    if (filter.activeOn !== undefined && filter.activeOn !== '') {
      const day = parseDate(filter.activeOn)
      if (!day)
        throw new ValidationError({ activeOn: 'Ngày không hợp lệ (dạng ngày/tháng/năm, ví dụ 01/07/2025).' })
      clean.activeOn = day
    }
    const q = filter.q === undefined ? '' : normaliseText(filter.q).slice(0, 200)
    if (q !== '') clean.q = q
    if (filter.parentId !== undefined) clean.parentId = filter.parentId
    return clean
  }

  async function listUnits(filter: UnitListFilter = {}): Promise<OrgUnit[]> {
    if (filter.parentId !== undefined && !isUuid(filter.parentId)) return []
    return repo.listUnits(db, cleanFilter(filter))
  }

  /** Shared by create and update: the placement rules, dates, unique codes. Adds to `errors`. */
  async function checkRules(
    tx: Tx,
    next: UnitFields,
    parent: OrgUnit | null,
    self: OrgUnit | null,
    errors: FieldErrors,
  ): Promise<void> {
    if (errors.type === undefined && errors.parentId === undefined) {
      const problem = placementProblem(next.type, parent)
      if (problem) errors.parentId = problem
    }
    if (next.type === 'province_committee' && errors.type === undefined && !parent) {
      const root = await repo.findRootUnit(tx)
      if (root && root.id !== self?.id) {
        errors.type = `Đã có đơn vị gốc “${root.name}”; tỉnh chỉ có một UBND tỉnh.`
      }
    }
    if (errors.validFrom === undefined && errors.validTo === undefined && next.validTo !== null) {
      if (next.validTo < next.validFrom) {
        errors.validTo = 'Ngày hết hiệu lực không được trước ngày bắt đầu hiệu lực.'
      }
    }
    if (errors.agencyCode === undefined && next.agencyCode !== null && next.agencyCode !== self?.agencyCode) {
      const holder = await repo.findUnitByAgencyCode(tx, next.agencyCode)
      if (holder && holder.id !== self?.id) {
        errors.agencyCode = `Mã định danh ${next.agencyCode} đã được dùng cho đơn vị “${holder.name}”.`
      }
    }
  }

  /** Resolves a parent id sent by the actor; a missing parent is a field error, not a 404. */
  async function resolveParent(
    tx: Tx,
    parentId: string | null,
    errors: FieldErrors,
  ): Promise<OrgUnit | null> {
    if (parentId === null) return null
    const parent = await repo.findUnitById(tx, parentId)
    if (!parent) errors.parentId = 'Đơn vị cấp trên không tồn tại.'
    return parent ?? null
  }

  async function createUnit(actor: Actor | null, ctx: AuditContext, input: unknown): Promise<OrgUnit> {
    authorize(actor, Permission.unitsManage)
    const { values, errors } = parseUnitInput(input)
    if (values.name === undefined && errors.name === undefined) errors.name = 'Nhập tên đơn vị.'
    if (values.type === undefined && errors.type === undefined) errors.type = 'Chọn loại đơn vị.'
    if (values.validFrom === undefined && errors.validFrom === undefined) {
      errors.validFrom = 'Nhập ngày bắt đầu hiệu lực.'
    }

    return withUniqueChecks(() =>
      inTransaction(db, async (tx) => {
        const parent = await resolveParent(tx, values.parentId ?? null, errors)
        // Nobody learns, field by field, what they could not have done anyway.
        if (parent) authorize(actor, Permission.unitsManage, parent)
        const next: UnitFields = {
          parentId: parent?.id ?? null,
          name: values.name ?? '',
          shortName: values.shortName ?? null,
          type: values.type ?? 'office',
          agencyCode: values.agencyCode ?? null,
          adminUnitCode: values.adminUnitCode ?? null,
          validFrom: values.validFrom ?? '',
          validTo: values.validTo ?? null,
          requireTotp: values.requireTotp ?? false,
        }
        await checkRules(tx, next, parent, null, errors)
        if (Object.keys(errors).length > 0) throw new ValidationError(orderErrors(errors))

        const id = randomUUID()
        const now = clock()
        const unit = await repo.insertUnit(tx, {
          id,
          parent_id: next.parentId,
          path: `${parent?.path ?? '/'}${id}/`,
          key: null,
          name: next.name,
          short_name: next.shortName,
          type: next.type,
          level: levelFor(next.type, parent?.level ?? null),
          agency_code: next.agencyCode,
          admin_unit_code: next.adminUnitCode,
          valid_from: next.validFrom,
          valid_to: next.validTo,
          require_totp: next.requireTotp,
          created_at: now,
          updated_at: now,
        })
        await appendAudit(
          tx,
          ctx,
          {
            action: 'unit.created',
            objectType: 'org_unit',
            objectId: unit.id,
            unitId: unit.id,
            details: { after: snapshot(unit) },
          },
          now,
        )
        return unit
      }),
    )
  }

  /**
   * New levels for everything below a unit whose level or place changes. An office follows its
   * parent; any other type keeps its tier, which must stay below its parent's.
   */
  async function relevelSubtree(
    tx: Tx,
    unit: OrgUnit,
    newLevel: number,
  ): Promise<{ changes: Map<string, number>; problem?: string }> {
    const levels = new Map<string, number>([[unit.id, newLevel]])
    const changes = new Map<string, number>()
    for (const child of (await repo.listSubtree(tx, unit.path)).filter((u) => u.id !== unit.id)) {
      const parentLevel = levels.get(child.parentId ?? '') ?? child.level - 1
      const level = levelFor(child.type, parentLevel)
      if (level > MAX_LEVEL || level <= parentLevel) {
        return {
          changes,
          problem: `Đơn vị trực thuộc “${child.name}” sẽ không còn đúng cấp (tối đa ${MAX_LEVEL} cấp).`,
        }
      }
      levels.set(child.id, level)
      if (level !== child.level) changes.set(child.id, level)
    }
    return { changes }
  }

  async function updateUnit(
    actor: Actor | null,
    ctx: AuditContext,
    id: string,
    input: unknown,
  ): Promise<OrgUnit> {
    authorize(actor, Permission.unitsManage)
    if (!isUuid(id)) throw new NotFoundError('Không tìm thấy đơn vị.')
    const { values, errors } = parseUnitInput(input)

    return withUniqueChecks(() =>
      inTransaction(db, async (tx) => {
        const current = await repo.findUnitById(tx, id.toLowerCase(), true)
        if (!current) throw new NotFoundError('Không tìm thấy đơn vị.')
        authorize(actor, Permission.unitsManage, current)

        const moving = values.parentId !== undefined && values.parentId !== current.parentId
        let parent: OrgUnit | null
        if (moving) {
          parent = await resolveParent(tx, values.parentId ?? null, errors)
          if (parent) {
            authorize(actor, Permission.unitsManage, parent)
            if (parent.path.startsWith(current.path)) {
              errors.parentId =
                'Không thể chọn chính đơn vị này hoặc một đơn vị trực thuộc nó làm đơn vị cấp trên.'
            }
          }
        } else {
          parent = current.parentId ? ((await repo.findUnitById(tx, current.parentId)) ?? null) : null
        }

        const next: UnitFields = {
          parentId: moving ? (parent?.id ?? null) : current.parentId,
          name: values.name ?? current.name,
          shortName: values.shortName !== undefined ? values.shortName : current.shortName,
          type: values.type ?? current.type,
          agencyCode: values.agencyCode !== undefined ? values.agencyCode : current.agencyCode,
          adminUnitCode: values.adminUnitCode !== undefined ? values.adminUnitCode : current.adminUnitCode,
          validFrom: values.validFrom ?? current.validFrom,
          validTo: values.validTo !== undefined ? values.validTo : current.validTo,
          requireTotp: values.requireTotp ?? current.requireTotp,
        }
        await checkRules(tx, next, parent, current, errors)

        const level = levelFor(next.type, parent?.level ?? null)
        let relevel = new Map<string, number>()
        if (Object.keys(errors).length === 0 && (level !== current.level || moving)) {
          const result = await relevelSubtree(tx, current, level)
          // Blame the field the official changed: the type if it changed, otherwise the move.
          if (result.problem) errors[next.type !== current.type ? 'type' : 'parentId'] = result.problem
          relevel = result.changes
        }
        if (Object.keys(errors).length > 0) throw new ValidationError(orderErrors(errors))

        const path = moving ? `${parent?.path ?? '/'}${current.id}/` : current.path
        // is_sample flags the agency code as made up; a code an official enters replaces the sample.
        const isSample = next.agencyCode === current.agencyCode ? current.isSample : false
        const candidate: OrgUnit = { ...current, ...next, level, path, isSample }
        const { before, after, changed } = diff(current, candidate)
        if (changed.length === 0) return current

        const now = clock()
        const unit = await repo.updateUnit(tx, current.id, {
          parent_id: next.parentId,
          path,
          name: next.name,
          short_name: next.shortName,
          type: next.type,
          level,
          agency_code: next.agencyCode,
          admin_unit_code: next.adminUnitCode,
          valid_from: next.validFrom,
          valid_to: next.validTo,
          is_sample: isSample,
          require_totp: next.requireTotp,
          updated_at: now,
        })
        const descendantsMoved = moving ? await repo.rewriteDescendantPaths(tx, current.path, path, now) : 0
        for (const [childId, childLevel] of relevel) await repo.setUnitLevel(tx, childId, childLevel, now)
        await appendAudit(
          tx,
          ctx,
          {
            action: 'unit.updated',
            objectType: 'org_unit',
            objectId: unit.id,
            unitId: unit.id,
            details: {
              before,
              after,
              ...(descendantsMoved > 0 ? { descendantsMoved } : {}),
              ...(relevel.size > 0 ? { descendantsReleveled: relevel.size } : {}),
            },
          },
          now,
        )
        return unit
      }),
    )
  }

  async function getUnitToManage(actor: Actor | null, id: string): Promise<OrgUnit> {
    authorize(actor, Permission.unitsManage)
    const unit = await getUnit(id)
    authorize(actor, Permission.unitsManage, unit)
    return unit
  }

  async function listParentChoices(actor: Actor, editing?: OrgUnit): Promise<OrgUnit[]> {
    const day = today()
    const all = await repo.listUnits(db)
    const choices = all.filter(
      (unit) =>
        unit.id === editing?.parentId ||
        ((unit.validTo === null || unit.validTo >= day) &&
          unit.level < MAX_LEVEL &&
          canManage(actor, unit) &&
          !(editing && unit.path.startsWith(editing.path))),
    )
    const ordered: OrgUnit[] = []
    const walk = (nodes: UnitNode[]) => {
      for (const node of nodes) {
        ordered.push(node.unit)
        walk(node.children)
      }
    }
    walk(buildTree(choices))
    return ordered
  }

  async function listUnitsWithAncestors(filter: UnitListFilter = {}) {
    const matches = await listUnits(filter)
    const matchIds = new Set(matches.map((u) => u.id))
    const missing = [...new Set(matches.flatMap(ancestorIds))].filter((id) => !matchIds.has(id))
    const ancestors = await repo.findUnitsByIds(db, missing)
    return { units: [...ancestors, ...matches], matchIds }
  }

  return {
    findUnitsByIds: (ids) =>
      repo.findUnitsByIds(db, [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))]),
    getUnit,
    findUnitByKey: (key) => repo.findUnitByKey(db, key),
    listUnits,
    listUnitsWithAncestors,
    createUnit,
    updateUnit,
    getUnitToManage,
    listParentChoices,
    canManage,
    today,
  }
}
