import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase } from '../../../test/database.js'
import type { AuditContext } from '../../platform/audit/audit.js'
import { ForbiddenError, UnauthenticatedError, type Actor } from '../../platform/auth/actor.js'
import type { Role } from '../../platform/auth/roles.js'
import type { Database } from '../../platform/db/database.js'
import type { OrgUnit } from './org-unit.js'
import { createOrganisationService, type OrganisationService } from './organisation.service.js'
import { seedOrgUnits } from './organisation.seed.js'

let database: Database
let service: OrganisationService
let root: OrgUnit
let unitA: OrgUnit // Sở Nội vụ
let unitB: OrgUnit // Sở Tư pháp
let officeOfA: OrgUnit
let officeOfB: OrgUnit

const ctx: AuditContext = { actorId: null, actorLabel: 'test', ip: null, requestId: null }

/** An official holding one role in one unit. */
function official(role: Role, unit: OrgUnit, includeSubtree = true): Actor {
  return {
    userId: '00000000-0000-4000-8000-0000000000a1',
    username: `${role}.${unit.key ?? unit.id}`,
    fullName: 'Cán bộ thử nghiệm',
    kind: 'official',
    homeUnitId: unit.id,
    grants: [{ role, unitId: unit.id, unitPath: unit.path, unitName: unit.name, includeSubtree }],
    via: 'cli',
  }
}

const office = (parent: OrgUnit, name: string) => ({
  parentId: parent.id,
  name,
  type: 'office',
  validFrom: '2025-07-01',
})

beforeAll(async () => {
  database = await createTestDatabase()
  service = createOrganisationService({ db: database.db, clock: () => new Date('2025-08-01T03:00:00Z') })
  await seedOrgUnits(database.db)
  root = (await service.findUnitByKey('ubnd-tinh'))!
  unitA = (await service.findUnitByKey('so-noi-vu'))!
  unitB = (await service.findUnitByKey('so-tu-phap'))!
  const admin = official('system_admin', root)
  officeOfA = await service.createUnit(admin, ctx, office(unitA, 'Phòng Tổ chức biên chế'))
  officeOfB = await service.createUnit(admin, ctx, office(unitB, 'Phòng Phổ biến pháp luật'))
})

afterAll(async () => {
  await database.close()
})

describe('a unit admin of unit A', () => {
  const adminOfA = () => official('unit_admin', unitA)

  it('may create a unit under A', async () => {
    const created = await service.createUnit(adminOfA(), ctx, office(unitA, 'Phòng Cải cách hành chính'))
    expect(created.path.startsWith(unitA.path)).toBe(true)
  })

  it('may create a unit under a unit inside A’s subtree', async () => {
    const created = await service.createUnit(adminOfA(), ctx, office(officeOfA, 'Tổ Biên chế'))
    expect(created.parentId).toBe(officeOfA.id)
  })

  it('may not create a unit under unit B', async () => {
    await expect(service.createUnit(adminOfA(), ctx, office(unitB, 'Phòng Lạ'))).rejects.toBeInstanceOf(
      ForbiddenError,
    )
    expect((await service.listUnits({ q: 'Phòng Lạ' })).length).toBe(0)
  })

  it('may not create a department beside A under the province committee', async () => {
    const input = { parentId: root.id, name: 'Sở Mới', type: 'department', validFrom: '2025-07-01' }
    await expect(service.createUnit(adminOfA(), ctx, input)).rejects.toBeInstanceOf(ForbiddenError)
  })

  it('is refused before the input is checked, so a forbidden parent reveals nothing about the rest', async () => {
    const input = { parentId: unitB.id, name: 'X', type: 'office', validFrom: 'hôm qua' }
    await expect(service.createUnit(adminOfA(), ctx, input)).rejects.toBeInstanceOf(ForbiddenError)
  })

  it('may edit A and the units under it', async () => {
    await expect(service.updateUnit(adminOfA(), ctx, unitA.id, { requireTotp: true })).resolves.toMatchObject(
      {
        requireTotp: true,
      },
    )
    await expect(
      service.updateUnit(adminOfA(), ctx, officeOfA.id, { shortName: 'P.TCBC' }),
    ).resolves.toMatchObject({
      shortName: 'P.TCBC',
    })
  })

  it('may not edit unit B or a unit under B', async () => {
    await expect(service.updateUnit(adminOfA(), ctx, unitB.id, { name: 'Sở Bị Sửa' })).rejects.toBeInstanceOf(
      ForbiddenError,
    )
    await expect(
      service.updateUnit(adminOfA(), ctx, officeOfB.id, { name: 'Phòng Bị Sửa' }),
    ).rejects.toBeInstanceOf(ForbiddenError)
    expect((await service.getUnit(unitB.id)).name).toBe('Sở Tư pháp')
  })

  it('may not move a unit of A under unit B', async () => {
    await expect(
      service.updateUnit(adminOfA(), ctx, officeOfA.id, { parentId: unitB.id }),
    ).rejects.toBeInstanceOf(ForbiddenError)
    expect((await service.getUnit(officeOfA.id)).parentId).toBe(unitA.id)
  })

  it('may not open unit B’s edit form', async () => {
    await expect(service.getUnitToManage(adminOfA(), unitB.id)).rejects.toBeInstanceOf(ForbiddenError)
    await expect(service.getUnitToManage(adminOfA(), unitA.id)).resolves.toMatchObject({ id: unitA.id })
  })

  it('is offered only A and its subtree as parents', async () => {
    const choices = await service.listParentChoices(adminOfA())
    expect(choices.length).toBeGreaterThan(1)
    expect(choices.every((u) => u.path.startsWith(unitA.path))).toBe(true)
  })

  it('is offered A’s current parent when editing A, though it may not put anything else there', async () => {
    const choices = await service.listParentChoices(adminOfA(), unitA)
    expect(choices.map((u) => u.id)).toEqual([root.id])
  })
})

describe('a unit admin whose grant does not include the subtree', () => {
  it('may edit the unit itself but not the units under it', async () => {
    const admin = official('unit_admin', unitA, false)
    await expect(service.updateUnit(admin, ctx, unitA.id, { shortName: 'SNV' })).resolves.toMatchObject({
      shortName: 'SNV',
    })
    await expect(service.updateUnit(admin, ctx, officeOfA.id, { shortName: 'X' })).rejects.toBeInstanceOf(
      ForbiddenError,
    )
  })
})

describe('officials without units.manage and anonymous callers', () => {
  it('refuses a specialist of A, even under A', async () => {
    const specialist = official('specialist', unitA)
    await expect(
      service.createUnit(specialist, ctx, office(unitA, 'Phòng Không Quyền')),
    ).rejects.toBeInstanceOf(ForbiddenError)
    await expect(service.updateUnit(specialist, ctx, unitA.id, { name: 'Sở Sửa' })).rejects.toBeInstanceOf(
      ForbiddenError,
    )
  })

  it('asks an anonymous caller to sign in', async () => {
    await expect(service.createUnit(null, ctx, office(unitA, 'Phòng Ẩn Danh'))).rejects.toBeInstanceOf(
      UnauthenticatedError,
    )
    await expect(service.updateUnit(null, ctx, unitA.id, {})).rejects.toBeInstanceOf(UnauthenticatedError)
  })

  it('lets nobody but a holder of units.manage on the unit see an edit link', () => {
    expect(service.canManage(official('unit_admin', unitA), officeOfA)).toBe(true)
    expect(service.canManage(official('unit_admin', unitA), officeOfB)).toBe(false)
    expect(service.canManage(official('unit_leader', unitA), officeOfA)).toBe(false)
    expect(service.canManage(null, officeOfA)).toBe(false)
  })
})
