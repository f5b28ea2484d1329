import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase } from '../../../test/database.js'
import { listAudit, verifyAudit, type AuditContext } from '../../platform/audit/audit.js'
import type { Actor } from '../../platform/auth/actor.js'
import type { Database } from '../../platform/db/database.js'
import { NotFoundError, ValidationError } from '../../platform/http/errors.js'
import type { OrgUnit } from './org-unit.js'
import {
  createOrganisationService,
  uniqueViolation,
  type OrganisationService,
} from './organisation.service.js'
import { seedOrgUnits } from './organisation.seed.js'

let database: Database
let service: OrganisationService
let root: OrgUnit
let admin: Actor
let ctx: AuditContext

const ADMIN_ID = '00000000-0000-4000-8000-000000000001'

beforeAll(async () => {
  database = await createTestDatabase()
  service = createOrganisationService({ db: database.db, clock: () => new Date('2025-08-01T03:00:00Z') })
  await seedOrgUnits(database.db)
  root = (await service.findUnitByKey('ubnd-tinh'))!
  admin = {
    userId: ADMIN_ID,
    username: 'quantri',
    fullName: 'Quản trị hệ thống',
    kind: 'official',
    homeUnitId: root.id,
    grants: [
      {
        role: 'system_admin',
        unitId: root.id,
        unitPath: root.path,
        unitName: root.name,
        includeSubtree: true,
      },
    ],
    via: 'cli',
  }
  ctx = { actorId: ADMIN_ID, actorLabel: 'quantri', ip: '127.0.0.1', requestId: 'test-request' }
})

afterAll(async () => {
  await database.close()
})

const byKey = async (key: string) => (await service.findUnitByKey(key))!

/** A valid department under the root, with overrides. */
const department = (overrides: Record<string, unknown> = {}) => ({
  parentId: root.id,
  name: 'Sở Thử nghiệm',
  type: 'department',
  validFrom: '2025-07-01',
  ...overrides,
})

async function fieldErrors(promise: Promise<unknown>): Promise<Record<string, string>> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(ValidationError)
  return (error as ValidationError).fields
}

describe('createUnit', () => {
  it('creates a department under the province committee with its level and path', async () => {
    const unit = await service.createUnit(
      admin,
      ctx,
      department({ name: 'Sở Thử nghiệm A', agencyCode: '000.80.00.H14' }),
    )
    expect(unit).toMatchObject({
      parentId: root.id,
      path: `${root.path}${unit.id}/`,
      name: 'Sở Thử nghiệm A',
      type: 'department',
      level: 2,
      agencyCode: '000.80.00.H14',
      validFrom: '2025-07-01',
      validTo: null,
      isSample: false,
      requireTotp: false,
      key: null,
    })
  })

  it('writes one unit.created audit entry naming the unit and its values', async () => {
    const unit = await service.createUnit(
      admin,
      ctx,
      department({ name: 'Sở Thử nghiệm B', requireTotp: true }),
    )
    const entries = await listAudit(database.db, { objectId: unit.id })
    expect(entries).toHaveLength(1)
    expect(entries[0]).toMatchObject({
      action: 'unit.created',
      outcome: 'ok',
      object_type: 'org_unit',
      object_id: unit.id,
      unit_id: unit.id,
      actor_id: ADMIN_ID,
      request_id: 'test-request',
    })
    expect(entries[0]?.details).toMatchObject({
      after: { name: 'Sở Thử nghiệm B', type: 'department', level: 2, parentId: root.id, requireTotp: true },
    })
    expect(await verifyAudit(database.db)).toMatchObject({ ok: true })
  })

  it('gives an office the level below its parent', async () => {
    const commune = await byKey('xa-bao-lam')
    const office = await service.createUnit(admin, ctx, {
      parentId: commune.id,
      name: 'Bộ phận một cửa xã Bảo Lâm',
      type: 'office',
      validFrom: '2025-07-01',
    })
    expect(office.level).toBe(4)
    const errors = await fieldErrors(
      service.createUnit(admin, ctx, {
        parentId: office.id,
        name: 'Tổ công tác',
        type: 'office',
        validFrom: '2025-07-01',
      }),
    )
    expect(errors).toEqual({
      parentId: 'Cây đơn vị chỉ có tối đa 4 cấp; không thể thêm đơn vị dưới đơn vị này.',
    })
  })

  it('reports every missing required field in form order', async () => {
    const errors = await fieldErrors(service.createUnit(admin, ctx, {}))
    expect(Object.keys(errors)).toEqual(['name', 'type', 'validFrom'])
    expect(errors).toEqual({
      name: 'Nhập tên đơn vị.',
      type: 'Chọn loại đơn vị.',
      validFrom: 'Nhập ngày bắt đầu hiệu lực.',
    })
  })

  it('asks for a parent when a department has none', async () => {
    const errors = await fieldErrors(service.createUnit(admin, ctx, department({ parentId: '' })))
    expect(errors).toEqual({ parentId: 'Chọn đơn vị cấp trên.' })
  })

  it('reports a parent that does not exist as a field error', async () => {
    const errors = await fieldErrors(
      service.createUnit(admin, ctx, department({ parentId: '00000000-0000-4000-8000-00000000dead' })),
    )
    expect(errors).toEqual({ parentId: 'Đơn vị cấp trên không tồn tại.' })
    expect(await fieldErrors(service.createUnit(admin, ctx, department({ parentId: 'abc' })))).toEqual({
      parentId: 'Đơn vị cấp trên không tồn tại.',
    })
  })

  it('refuses an agency code another unit already uses, naming that unit', async () => {
    const errors = await fieldErrors(
      service.createUnit(admin, ctx, department({ agencyCode: '000.00.00.H14' })),
    )
    expect(errors).toEqual({
      agencyCode: 'Mã định danh 000.00.00.H14 đã được dùng cho đơn vị “Ủy ban nhân dân tỉnh Cao Bằng”.',
    })
  })

  it('refuses an end date before the start date', async () => {
    const errors = await fieldErrors(
      service.createUnit(admin, ctx, department({ validFrom: '2025-07-01', validTo: '30/06/2025' })),
    )
    expect(errors).toEqual({ validTo: 'Ngày hết hiệu lực không được trước ngày bắt đầu hiệu lực.' })
  })

  it('refuses a second province committee', async () => {
    const errors = await fieldErrors(
      service.createUnit(admin, ctx, {
        name: 'UBND tỉnh thứ hai',
        type: 'province_committee',
        validFrom: '2025-07-01',
      }),
    )
    expect(errors).toEqual({
      type: 'Đã có đơn vị gốc “Ủy ban nhân dân tỉnh Cao Bằng”; tỉnh chỉ có một UBND tỉnh.',
    })
  })

  it('refuses a department placed under a commune', async () => {
    const commune = await byKey('xa-ly-bon')
    const errors = await fieldErrors(service.createUnit(admin, ctx, department({ parentId: commune.id })))
    expect(errors).toEqual({ parentId: 'Loại đơn vị này không thể trực thuộc đơn vị cấp trên đã chọn.' })
  })

  it('writes neither a row nor an audit entry when the input is refused', async () => {
    const before = (await service.listUnits()).length
    const audit = (await listAudit(database.db, { limit: 1000 })).length
    await fieldErrors(service.createUnit(admin, ctx, department({ name: 'Sở Lỗi', agencyCode: 'sai' })))
    expect(await service.listUnits()).toHaveLength(before)
    expect(await listAudit(database.db, { limit: 1000 })).toHaveLength(audit)
  })
})

describe('updateUnit', () => {
  it('changes only the fields sent and audits their values before and after', async () => {
    const unit = await service.createUnit(admin, ctx, department({ name: 'Sở Cũ', shortName: 'SC' }))
    const updated = await service.updateUnit(admin, ctx, unit.id, { name: 'Sở Mới', requireTotp: true })
    expect(updated).toMatchObject({ name: 'Sở Mới', shortName: 'SC', requireTotp: true, type: 'department' })
    const [entry] = await listAudit(database.db, { objectId: unit.id, action: 'unit.updated' })
    expect(entry?.details).toEqual({
      before: { name: 'Sở Cũ', requireTotp: false },
      after: { name: 'Sở Mới', requireTotp: true },
    })
  })

  it('writes no audit entry when nothing changed', async () => {
    const unit = await service.createUnit(admin, ctx, department({ name: 'Sở Không Đổi' }))
    await service.updateUnit(admin, ctx, unit.id, { name: ' Sở  Không Đổi ' })
    expect(await listAudit(database.db, { objectId: unit.id, action: 'unit.updated' })).toHaveLength(0)
  })

  it('lets a unit keep its own agency code but not take another unit’s', async () => {
    const unit = await byKey('so-y-te')
    await expect(
      service.updateUnit(admin, ctx, unit.id, { agencyCode: unit.agencyCode }),
    ).resolves.toBeTruthy()
    const errors = await fieldErrors(service.updateUnit(admin, ctx, unit.id, { agencyCode: '000.16.00.H14' }))
    expect(errors.agencyCode).toBe(
      'Mã định danh 000.16.00.H14 đã được dùng cho đơn vị “Sở Giáo dục và Đào tạo”.',
    )
  })

  it('closes a unit by setting an end date, which removes it from the list of that day onwards', async () => {
    const unit = await service.createUnit(
      admin,
      ctx,
      department({ name: 'Sở Sắp Giải Thể', validFrom: '2021-01-01' }),
    )
    await service.updateUnit(admin, ctx, unit.id, { validTo: '2025-12-31' })
    expect((await service.listUnits({ activeOn: '2025-12-31' })).map((u) => u.id)).toContain(unit.id)
    expect((await service.listUnits({ activeOn: '2026-01-01' })).map((u) => u.id)).not.toContain(unit.id)
  })

  it('moves a unit with its subtree, rewriting every path below it', async () => {
    const from = await service.createUnit(admin, ctx, department({ name: 'Sở Nguồn' }))
    const to = await service.createUnit(admin, ctx, department({ name: 'Sở Đích' }))
    const office = await service.createUnit(admin, ctx, {
      parentId: from.id,
      name: 'Phòng Di Chuyển',
      type: 'office',
      validFrom: '2025-07-01',
    })
    const team = await service.createUnit(admin, ctx, {
      parentId: office.id,
      name: 'Tổ Di Chuyển',
      type: 'office',
      validFrom: '2025-07-01',
    })
    const moved = await service.updateUnit(admin, ctx, office.id, { parentId: to.id })
    expect(moved.path).toBe(`${to.path}${office.id}/`)
    expect((await service.getUnit(team.id)).path).toBe(`${to.path}${office.id}/${team.id}/`)
    const [entry] = await listAudit(database.db, { objectId: office.id, action: 'unit.updated' })
    expect(entry?.details).toMatchObject({
      before: { parentId: from.id },
      after: { parentId: to.id },
      descendantsMoved: 1,
    })
  })

  it('re-levels offices below a unit that moves to a deeper place', async () => {
    const dept = await service.createUnit(admin, ctx, department({ name: 'Sở Có Phòng' }))
    const office = await service.createUnit(admin, ctx, {
      parentId: dept.id,
      name: 'Phòng Sẽ Chuyển',
      type: 'office',
      validFrom: '2025-07-01',
    })
    const commune = await byKey('xa-quang-lam')
    const moved = await service.updateUnit(admin, ctx, office.id, { parentId: commune.id })
    expect(moved.level).toBe(4)
  })

  it('refuses to move a unit under itself or under one of its own descendants', async () => {
    const parent = await service.createUnit(admin, ctx, department({ name: 'Sở Vòng Lặp' }))
    const child = await service.createUnit(admin, ctx, {
      parentId: parent.id,
      name: 'Phòng Vòng Lặp',
      type: 'office',
      validFrom: '2025-07-01',
    })
    const message = 'Không thể chọn chính đơn vị này hoặc một đơn vị trực thuộc nó làm đơn vị cấp trên.'
    expect(await fieldErrors(service.updateUnit(admin, ctx, parent.id, { parentId: child.id }))).toEqual({
      parentId: message,
    })
    expect(await fieldErrors(service.updateUnit(admin, ctx, parent.id, { parentId: parent.id }))).toEqual({
      parentId: message,
    })
    expect((await service.getUnit(parent.id)).parentId).toBe(root.id)
  })

  it('refuses a type change that would push an office below the fourth level', async () => {
    const dept = await service.createUnit(admin, ctx, department({ name: 'Sở Đổi Loại' }))
    const office = await service.createUnit(admin, ctx, {
      parentId: dept.id,
      name: 'Phòng Cấp Ba',
      type: 'office',
      validFrom: '2025-07-01',
    })
    await service.createUnit(admin, ctx, {
      parentId: office.id,
      name: 'Tổ Cấp Bốn',
      type: 'office',
      validFrom: '2025-07-01',
    })
    const errors = await fieldErrors(service.updateUnit(admin, ctx, dept.id, { type: 'commune_committee' }))
    expect(errors).toEqual({ type: 'Đơn vị trực thuộc “Tổ Cấp Bốn” sẽ không còn đúng cấp (tối đa 4 cấp).' })
  })

  it('does not let the province committee take a parent', async () => {
    const dept = await byKey('so-tu-phap')
    const errors = await fieldErrors(service.updateUnit(admin, ctx, root.id, { parentId: dept.id }))
    expect(errors.parentId).toBeDefined()
  })

  it('answers NotFoundError for an unknown or malformed id', async () => {
    await expect(
      service.updateUnit(admin, ctx, '00000000-0000-4000-8000-00000000beef', {}),
    ).rejects.toBeInstanceOf(NotFoundError)
    await expect(service.updateUnit(admin, ctx, 'not-a-uuid', {})).rejects.toBeInstanceOf(NotFoundError)
  })
})

describe('reading units', () => {
  it('answers NotFoundError from getUnit for an unknown or malformed id', async () => {
    await expect(service.getUnit('00000000-0000-4000-8000-00000000beef')).rejects.toBeInstanceOf(
      NotFoundError,
    )
    await expect(service.getUnit("1' or '1'='1")).rejects.toBeInstanceOf(NotFoundError)
  })

  it('finds units by id whatever their validity, ignoring malformed ids', async () => {
    const district = await byKey('huyen-ha-lang')
    const found = await service.findUnitsByIds([district.id, 'nonsense', district.id])
    expect(found.map((u) => u.key)).toEqual(['huyen-ha-lang'])
  })

  it('refuses an active date that is not a date', async () => {
    await expect(service.listUnits({ activeOn: '2025-13-01' })).rejects.toBeInstanceOf(ValidationError)
  })

  it('lists the children of a unit', async () => {
    const children = await service.listUnits({ parentId: root.id, activeOn: '2025-07-01' })
    expect(children.every((u) => u.parentId === root.id)).toBe(true)
    expect(children.length).toBeGreaterThan(56)
  })

  it('offers as parents only units not ended, never the unit itself or its subtree', async () => {
    const dept = await service.createUnit(admin, ctx, department({ name: 'Sở Chọn Cấp Trên' }))
    const office = await service.createUnit(admin, ctx, {
      parentId: dept.id,
      name: 'Phòng Con',
      type: 'office',
      validFrom: '2025-07-01',
    })
    const choices = (await service.listParentChoices(admin, dept)).map((u) => u.id)
    expect(choices).toContain(root.id)
    expect(choices).not.toContain(dept.id)
    expect(choices).not.toContain(office.id)
    expect(choices).not.toContain((await byKey('huyen-ha-lang')).id)
    expect(choices[0]).toBe(root.id)
  })
})

describe('a race the pre-checks lose', () => {
  it('turns the database’s unique agency-code refusal into a field error', async () => {
    const { insertUnit } = await import('./organisation.repository.js')
    const id = '00000000-0000-4000-8000-0000000000c1'
    const error = await insertUnit(database.db, {
      id,
      parent_id: root.id,
      path: `${root.path}${id}/`,
      key: null,
      name: 'Sở Trùng Mã',
      short_name: null,
      type: 'department',
      level: 2,
      agency_code: '000.01.00.H14',
      admin_unit_code: null,
      valid_from: '2025-07-01',
      valid_to: null,
      source: null,
    }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(uniqueViolation(error)?.fields).toEqual({
      agencyCode: 'Mã định danh này đã được dùng cho một đơn vị khác.',
    })
  })
})
