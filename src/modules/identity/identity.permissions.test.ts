import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, html, Visitor, type TestApp } from '../../../test/app.js'
import { chainAudit } from '../../platform/audit/audit.js'

let t: TestApp
const ids: Record<string, string> = {}

beforeAll(async () => {
  t = await createTestApp()
  const users = await sql<{ id: string; username: string }>`select id, username from users`.execute(
    t.database.db,
  )
  for (const u of users.rows) ids[u.username] = u.id
  const units = await sql<{
    id: string
    key: string
  }>`select id, key from org_units where key in ('so-khcn', 'phuong-thuc-phan', 'so-tai-chinh')`.execute(
    t.database.db,
  )
  for (const u of units.rows) ids[u.key] = u.id
})
afterAll(() => t.close())

async function deniedCount(): Promise<number> {
  await chainAudit(t.database.db)
  const result = await sql<{
    n: number
  }>`select count(*)::int as n from audit_log where action = 'permission.denied'`.execute(t.database.db)
  return result.rows[0]!.n
}

describe('back-office access', () => {
  it('sends an anonymous visitor to the login page', async () => {
    const response = await new Visitor(t.app).get('/admin/users')
    expect(response.statusCode).toBe(303)
    expect(response.headers.location).toBe('/login?next=%2Fadmin%2Fusers')
  })

  it('shows a citizen a 403 page and records the denial', async () => {
    const before = await deniedCount()
    const visitor = new Visitor(t.app)
    await visitor.login('congdan')
    const response = await visitor.get('/admin')
    expect(response.statusCode).toBe(403)
    expect(html(response).querySelector('h1')?.text).toBe('Không có quyền truy cập')
    expect(await deniedCount()).toBe(before + 1)
  })

  it('shows the LGSP pages on the back-office home to the provincial administrator only', async () => {
    const links = async (username: string) => {
      const visitor = new Visitor(t.app)
      await visitor.login(username)
      const home = await visitor.get('/admin')
      return html(home)
        .querySelectorAll('a')
        .map((a) => a.getAttribute('href'))
        .filter((href) => href?.startsWith('/admin/lgsp'))
    }
    expect(await links('quantri')).toEqual([
      '/admin/lgsp',
      '/admin/lgsp/log',
      '/admin/lgsp/topics',
      '/admin/lgsp/national-sync',
    ])
    expect(await links('qt.sokhcn')).toEqual([])
    expect(await links('chuyenvien.sokhcn')).toEqual([])
  })

  it('does not let a specialist open the user administration', async () => {
    const visitor = new Visitor(t.app)
    await visitor.login('chuyenvien.sokhcn')
    expect((await visitor.get('/admin/users')).statusCode).toBe(403)
    expect((await visitor.get('/admin/audit')).statusCode).toBe(403)
  })
})

describe('unit administrators', () => {
  it('lets the administrator of unit A edit a user of unit A', async () => {
    const visitor = new Visitor(t.app)
    await visitor.login('qt.sokhcn')
    const page = await visitor.get(`/admin/users/${ids['chuyenvien.sokhcn']}`)
    expect(page.statusCode).toBe(200)
    const response = await visitor.post(`/admin/users/${ids['chuyenvien.sokhcn']}`, {
      fullName: 'Bế Thị Hạnh',
      email: 'hanh@caobang.gov.vn',
      phone: '',
      citizenId: '',
      homeUnitId: ids['so-khcn']!,
      status: 'active',
    })
    expect(response.statusCode).toBe(303)
  })

  it('refuses the administrator of unit A changing a user of unit B', async () => {
    const before = await deniedCount()
    const visitor = new Visitor(t.app)
    await visitor.login('qt.sokhcn')
    const view = await visitor.get(`/admin/users/${ids['motcua.thucphan']}`)
    expect(view.statusCode).toBe(403)
    await visitor.get('/admin')
    const response = await visitor.post(`/admin/users/${ids['motcua.thucphan']}`, {
      fullName: 'Bị sửa trái phép',
      homeUnitId: ids['phuong-thuc-phan']!,
      status: 'disabled',
    })
    expect(response.statusCode).toBe(403)
    const row = await sql<{
      full_name: string
      status: string
    }>`select full_name, status from users where username = 'motcua.thucphan'`.execute(t.database.db)
    expect(row.rows[0]).toEqual({ full_name: 'Đàm Văn Lực', status: 'active' })
    expect(await deniedCount()).toBeGreaterThanOrEqual(before + 2)
  })

  it('refuses the administrator of unit A creating a user in unit B', async () => {
    const visitor = new Visitor(t.app)
    await visitor.login('qt.sokhcn')
    await visitor.get('/admin/users/new')
    const response = await visitor.post('/admin/users/new', {
      fullName: 'Người Lạ',
      username: 'nguoi.la',
      homeUnitId: ids['phuong-thuc-phan']!,
      password: 'matkhau12345',
    })
    expect(response.statusCode).toBe(422)
    expect(html(response).querySelector('.error-summary')!.text).toContain('Bạn không quản lý đơn vị này.')
  })

  it('does not let a unit administrator grant the system administrator role', async () => {
    const visitor = new Visitor(t.app)
    await visitor.login('qt.sokhcn')
    await visitor.get(`/admin/users/${ids['chuyenvien.sokhcn']}`)
    const response = await visitor.post(`/admin/users/${ids['chuyenvien.sokhcn']}/roles`, {
      role: 'system_admin',
      unitId: ids['so-khcn']!,
    })
    expect(response.statusCode).toBe(422)
    const roles = await sql<{
      role: string
    }>`select role from role_assignments where user_id = ${ids['chuyenvien.sokhcn']}`.execute(t.database.db)
    expect(roles.rows.map((r) => r.role)).toEqual(['specialist'])
  })

  it('lets the system administrator manage users anywhere in the province', async () => {
    const visitor = new Visitor(t.app)
    await visitor.login('quantri')
    expect((await visitor.get(`/admin/users/${ids['motcua.thucphan']}`)).statusCode).toBe(200)
    expect((await visitor.get('/admin/audit')).statusCode).toBe(200)
  })
})

describe('API permissions', () => {
  it('answers 401 in the JSON error shape without a token', async () => {
    const response = await t.app.inject({ url: '/api/v1/users' })
    expect(response.statusCode).toBe(401)
    expect(response.json()).toMatchObject({ error: { code: 'unauthenticated' } })
  })

  it('answers 403 when a unit administrator reads a user of another unit through the API', async () => {
    const visitor = new Visitor(t.app)
    await visitor.login('qt.sokhcn')
    await visitor.get('/account')
    const page = await visitor.post('/account/tokens', { name: 'api', expiresInDays: '1' })
    const token = html(page).querySelector('.notice .secret')!.text.trim()
    const response = await t.app.inject({
      url: `/api/v1/users/${ids['motcua.thucphan']}`,
      headers: { authorization: `Bearer ${token}` },
    })
    expect(response.statusCode).toBe(403)
    expect(response.json().error.message).toBe('Bạn không có quyền thực hiện thao tác này.')
  })
})

describe('tokens of other users', () => {
  it("lets a unit administrator revoke a token of their unit's official, and refuses another unit's", async () => {
    const owner = new Visitor(t.app)
    await owner.login('chuyenvien.sokhcn')
    await owner.get('/account')
    const created = await owner.post('/account/tokens', { name: 'Máy tính cũ', expiresInDays: '30' })
    const token = html(created).querySelector('.notice .secret')!.text.trim()

    const other = new Visitor(t.app)
    await other.login('qt.thucphan')
    const tokenId = (
      await sql<{ id: string }>`select id from access_tokens where name = 'Máy tính cũ'`.execute(
        t.database.db,
      )
    ).rows[0]!.id
    await other.get('/account')
    const refused = await other.post(`/admin/users/${ids['chuyenvien.sokhcn']}/tokens/${tokenId}/revoke`, {})
    expect(refused.statusCode).toBe(403)

    const admin = new Visitor(t.app)
    await admin.login('qt.sokhcn')
    const page = await admin.get(`/admin/users/${ids['chuyenvien.sokhcn']}`)
    expect(html(page).querySelector('#user-tokens')).not.toBeNull()
    const revoked = await admin.post(`/admin/users/${ids['chuyenvien.sokhcn']}/tokens/${tokenId}/revoke`, {})
    expect(revoked.statusCode).toBe(303)
    const api = await t.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } })
    expect(api.statusCode).toBe(401)
  })
})
