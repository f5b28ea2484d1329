import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../../test/app.js'
import { systemClock } from '../../platform/clock.js'
import { createIdentityModule } from '../identity/index.js'
import { createOrganisationModule } from './index.js'
import type { OrgUnit } from './org-unit.js'
import { organisationPaths as paths } from './organisation.paths.js'

let t: TestApp
const tokens: Record<string, string> = {}
let root: OrgUnit
let soKhcn: OrgUnit

beforeAll(async () => {
  t = await createTestApp()
  const deps = { db: t.database.db, config: t.config, clock: systemClock }
  const organisation = createOrganisationModule(deps)
  const identity = createIdentityModule({ ...deps, organisation: organisation.service })
  for (const username of ['quantri', 'qt.sokhcn', 'chuyenvien.sokhcn']) {
    const actor = (await identity.auth.loadActorByUsername(username))!
    const ctx = { actorId: actor.userId, actorLabel: username, ip: null, requestId: null }
    tokens[username] = (await identity.auth.createToken(actor, { name: 'test' }, ctx)).token
  }
  root = (await organisation.service.findUnitByKey('ubnd-tinh'))!
  soKhcn = (await organisation.service.findUnitByKey('so-khcn'))!
})
afterAll(() => t.close())

const send = (method: 'POST' | 'PATCH', url: string, body: unknown, username?: string) =>
  t.app.inject({
    method,
    url,
    payload: JSON.stringify(body),
    headers: {
      'content-type': 'application/json',
      ...(username ? { authorization: `Bearer ${tokens[username]}` } : {}),
    },
  })

const office = (overrides: Record<string, unknown> = {}) => ({
  parentId: soKhcn.id,
  name: 'Trung tâm Thông tin và Chuyển đổi số',
  type: 'office',
  validFrom: '2025-03-01',
  ...overrides,
})

describe('reading the tree', () => {
  it('lists every unit to anyone, without signing in', async () => {
    const response = await t.app.inject({ url: paths.api.list })
    expect(response.statusCode).toBe(200)
    const { items } = response.json<{ items: OrgUnit[] }>()
    expect(items.length).toBeGreaterThanOrEqual(89)
    expect(items.find((u) => u.key === 'ubnd-tinh')).toMatchObject({
      agencyCode: '000.00.00.H14',
      adminUnitCode: '04',
      parentId: null,
      level: 1,
      isSample: false,
      validTo: null,
    })
  })

  it('filters by active date and by a name typed without diacritics', async () => {
    const active = (await t.app.inject({ url: `${paths.api.list}?activeOn=2024-12-31` })).json<{
      items: OrgUnit[]
    }>()
    expect(active.items.filter((u) => u.type === 'district_committee')).toHaveLength(10)
    const found = (await t.app.inject({ url: `${paths.api.list}?q=thuc%20phan` })).json<{
      items: OrgUnit[]
    }>()
    expect(found.items.map((u) => u.key)).toEqual(['phuong-thuc-phan'])
  })

  it('answers 400 for an active date that is not a date', async () => {
    const response = await t.app.inject({ url: `${paths.api.list}?activeOn=31-12-2024` })
    expect(response.statusCode).toBe(400)
    expect(response.json().error.code).toBe('validation_failed')
  })

  it('returns one unit, 404 for an unknown id and 400 for a malformed one', async () => {
    expect((await t.app.inject({ url: paths.api.one(root.id) })).json()).toMatchObject({ id: root.id })
    const unknown = await t.app.inject({ url: paths.api.one('00000000-0000-4000-8000-000000000000') })
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json()).toEqual({ error: { code: 'not_found', message: 'Không tìm thấy đơn vị.' } })
    expect((await t.app.inject({ url: paths.api.one('abc') })).statusCode).toBe(400)
  })
})

describe('changing the tree', () => {
  it('asks an anonymous caller to authenticate', async () => {
    const response = await send('POST', paths.api.list, office())
    expect(response.statusCode).toBe(401)
    expect((await send('POST', paths.api.list, {})).statusCode).toBe(401)
  })

  it('forbids an official without units.manage', async () => {
    expect((await send('POST', paths.api.list, office(), 'chuyenvien.sokhcn')).statusCode).toBe(403)
  })

  it('forbids a unit admin from adding under another unit', async () => {
    const response = await send(
      'POST',
      paths.api.list,
      office({ parentId: root.id, type: 'department' }),
      'qt.sokhcn',
    )
    expect(response.statusCode).toBe(403)
    expect(response.json().error.code).toBe('forbidden')
  })

  it('creates a unit under the admin’s own unit with 201', async () => {
    const response = await send('POST', paths.api.list, office({ agencyCode: '000.13.01.H14' }), 'qt.sokhcn')
    expect(response.statusCode).toBe(201)
    expect(response.json()).toMatchObject({
      parentId: soKhcn.id,
      level: 3,
      type: 'office',
      agencyCode: '000.13.01.H14',
      validFrom: '2025-03-01',
      requireTotp: false,
    })
  })

  it('refuses unknown fields', async () => {
    const response = await send('POST', paths.api.list, office({ isSample: true }), 'quantri')
    expect(response.statusCode).toBe(400)
    expect(response.json().error.details.fields).toEqual([
      { field: 'isSample', message: 'Trường "isSample" không được chấp nhận.' },
    ])
  })

  it('answers 422 with one Vietnamese message per field', async () => {
    const response = await send(
      'POST',
      paths.api.list,
      office({ name: ' ', agencyCode: '000.13.01.H14', adminUnitCode: '1', validFrom: '2025-13-01' }),
      'quantri',
    )
    expect(response.statusCode).toBe(422)
    expect(response.json()).toEqual({
      error: {
        code: 'validation_failed',
        message: 'Dữ liệu chưa hợp lệ. Vui lòng kiểm tra lại.',
        details: {
          fields: {
            name: 'Nhập tên đơn vị.',
            agencyCode:
              'Mã định danh 000.13.01.H14 đã được dùng cho đơn vị “Trung tâm Thông tin và Chuyển đổi số”.',
            adminUnitCode: 'Mã đơn vị hành chính gồm 2, 3 hoặc 5 chữ số (ví dụ 04, 040, 01273).',
            validFrom:
              'Ngày bắt đầu hiệu lực không phải ngày hợp lệ (dạng ngày/tháng/năm, ví dụ 01/07/2025).',
          },
        },
      },
    })
  })

  it('changes only the fields a PATCH names', async () => {
    const created = (
      await send('POST', paths.api.list, office({ name: 'Phòng Vá' }), 'quantri')
    ).json<OrgUnit>()
    const response = await send(
      'PATCH',
      paths.api.one(created.id),
      { requireTotp: true, validTo: null },
      'qt.sokhcn',
    )
    expect(response.statusCode).toBe(200)
    expect(response.json()).toMatchObject({ name: 'Phòng Vá', requireTotp: true, validTo: null })
  })

  it('refuses a PATCH that would make a unit its own ancestor', async () => {
    const response = await send('PATCH', paths.api.one(soKhcn.id), { parentId: soKhcn.id }, 'quantri')
    expect(response.statusCode).toBe(422)
    expect(response.json().error.details.fields.parentId).toMatch(/^Không thể chọn chính đơn vị này/)
  })

  it('answers 404 to a PATCH of an unknown unit', async () => {
    const response = await send('PATCH', paths.api.one('00000000-0000-4000-8000-000000000000'), {}, 'quantri')
    expect(response.statusCode).toBe(404)
  })
})

describe('the OpenAPI document', () => {
  it('lists the unit endpoints under the tag Đơn vị with Vietnamese summaries', async () => {
    const doc = (await t.app.inject({ url: '/api/openapi.json' })).json()
    expect(doc.paths['/units'].get).toMatchObject({
      tags: ['Đơn vị'],
      summary: 'Danh sách đơn vị',
      security: [],
    })
    expect(doc.paths['/units'].post.tags).toEqual(['Đơn vị'])
    expect(doc.paths['/units/{id}'].patch.summary).toBe('Sửa đơn vị')
  })
})
