import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from './app.js'
import { createIdentityModule } from '../src/modules/identity/index.js'
import { createOrganisationModule } from '../src/modules/organisation/index.js'
import { systemClock } from '../src/platform/clock.js'
import { chainAudit } from '../src/platform/audit/audit.js'

let t: TestApp
let token: string

beforeAll(async () => {
  t = await createTestApp()
  const deps = { db: t.database.db, config: t.config, clock: systemClock }
  const organisation = createOrganisationModule(deps)
  const identity = createIdentityModule({ ...deps, organisation: organisation.service })
  const actor = await identity.auth.loadActorByUsername('quantri')
  token = (
    await identity.auth.createToken(
      actor!,
      { name: 'test' },
      { actorId: actor!.userId, actorLabel: 'test', ip: null, requestId: null },
    )
  ).token
})
afterAll(() => t.close())

const auth = () => ({ authorization: `Bearer ${token}` })
const post = (url: string, payload: string, headers: Record<string, string> = {}) =>
  t.app.inject({
    method: 'POST',
    url,
    payload,
    headers: { ...auth(), 'content-type': 'application/json', ...headers },
  })

describe('health', () => {
  it('reports liveness and database readiness', async () => {
    expect((await t.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' })
    expect((await t.app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready', database: 'ok' })
  })
})

describe('OpenAPI', () => {
  it('publishes an OpenAPI 3 document with the v1 routes and a browsable page', async () => {
    const doc = (await t.app.inject({ url: '/api/openapi.json' })).json()
    expect(doc.openapi).toMatch(/^3\./)
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/me', '/users', '/users/{id}', '/units']))
    const page = await t.app.inject({ url: '/api/docs' })
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('/api/v1/users')
  })
})

describe('bad input gets a Vietnamese 4xx, never a 500', () => {
  it('malformed JSON', async () => {
    const response = await post('/api/v1/users', '{"username": ')
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({
      error: { code: 'invalid_json', message: 'Nội dung JSON không hợp lệ (sai cú pháp).' },
    })
  })

  it('wrong types and missing fields', async () => {
    const response = await post('/api/v1/users', JSON.stringify({ username: 12, fullName: 'A' }))
    expect(response.statusCode).toBe(400)
    const body = response.json()
    expect(body.error.code).toBe('validation_failed')
    expect(body.error.message).toContain('Trường "username" phải có kiểu chuỗi.')
    expect(body.error.message).toContain('Thiếu trường bắt buộc "homeUnitId".')
  })

  it('unknown fields', async () => {
    const response = await post('/api/v1/tokens', JSON.stringify({ name: 'x', admin: true }))
    expect(response.statusCode).toBe(400)
    expect(response.json().error.message).toContain('Trường "admin" không được chấp nhận.')
  })

  it('an oversized body', async () => {
    const response = await post('/api/v1/tokens', JSON.stringify({ name: 'x'.repeat(2_000_000) }))
    expect(response.statusCode).toBe(413)
    expect(response.json().error.message).toMatch(/quá lớn/)
  })

  it('an unsupported content type', async () => {
    const response = await post('/api/v1/tokens', '<x/>', { 'content-type': 'application/xml' })
    expect(response.statusCode).toBe(415)
  })

  it('a malformed id', async () => {
    const response = await t.app.inject({ url: '/api/v1/users/not-a-uuid', headers: auth() })
    expect(response.statusCode).toBe(400)
    expect(response.json().error.code).toBe('validation_failed')
  })

  it('an unknown path', async () => {
    const response = await t.app.inject({ url: '/api/v1/khong-co', headers: auth() })
    expect(response.statusCode).toBe(404)
    expect(response.json().error.message).toBe('Không tìm thấy tài nguyên được yêu cầu.')
  })

  it('an invalid citizen ID on user creation keeps nothing half-saved', async () => {
    const units = await sql<{ id: string }>`select id from org_units where key = 'so-khcn'`.execute(
      t.database.db,
    )
    const before = await sql<{ n: number }>`select count(*)::int as n from users`.execute(t.database.db)
    const response = await post(
      '/api/v1/users',
      JSON.stringify({
        username: 'moi.canbo',
        fullName: 'Cán Bộ Mới',
        homeUnitId: units.rows[0]!.id,
        password: 'matkhau12345',
        citizenId: '99',
      }),
    )
    expect(response.statusCode).toBe(422)
    expect(response.json().error.details.fields.citizenId).toBe(
      'Số định danh cá nhân phải gồm đúng 12 chữ số.',
    )
    const after = await sql<{ n: number }>`select count(*)::int as n from users`.execute(t.database.db)
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n)
  })
})

describe('users API', () => {
  it('creates an official, then finds them by a name typed without diacritics', async () => {
    const units = await sql<{ id: string }>`select id from org_units where key = 'so-khcn'`.execute(
      t.database.db,
    )
    const created = await post(
      '/api/v1/users',
      JSON.stringify({
        username: 'dinh.thi.nga',
        fullName: 'Đinh Thị Ngà',
        homeUnitId: units.rows[0]!.id,
        password: 'matkhau12345',
        role: 'specialist',
      }),
    )
    expect(created.statusCode).toBe(201)
    expect(created.json()).toMatchObject({ username: 'dinh.thi.nga', roles: [{ role: 'specialist' }] })
    const found = await t.app.inject({ url: '/api/v1/users?q=dinh%20thi%20nga', headers: auth() })
    expect(found.json().items.map((u: { username: string }) => u.username)).toEqual(['dinh.thi.nga'])
  })

  it('records a read of personal data in the audit log', async () => {
    const me = (await t.app.inject({ url: '/api/v1/me', headers: auth() })).json()
    await t.app.inject({ url: `/api/v1/users/${me.id}`, headers: auth() })
    await chainAudit(t.database.db)
    const rows = await sql<{
      n: number
    }>`select count(*)::int as n from audit_log where action = 'personal_data.viewed' and object_id = ${me.id}`.execute(
      t.database.db,
    )
    expect(rows.rows[0]!.n).toBe(1)
  })

  it('verifies the audit chain for an administrator', async () => {
    const response = await t.app.inject({ url: '/api/v1/audit/verify', headers: auth() })
    expect(response.json()).toMatchObject({ ok: true })
  })
})

describe('pages', () => {
  it('sends security headers with a CSP that forbids inline script', async () => {
    const response = await t.app.inject({ url: '/' })
    expect(response.headers['content-security-policy']).toContain("script-src 'self'")
    expect(response.headers['content-security-policy']).not.toContain('unsafe-inline')
    expect(response.headers['x-content-type-options']).toBe('nosniff')
    expect(response.headers['x-request-id']).toBeTruthy()
  })

  it('answers an unknown page with a Vietnamese 404 page', async () => {
    const response = await t.app.inject({ url: '/khong-ton-tai' })
    expect(response.statusCode).toBe(404)
    expect(response.body).toContain('Không tìm thấy trang')
  })

  it('switches to English and back', async () => {
    const switched = await t.app.inject({ url: '/lang/en?next=/login' })
    expect(switched.statusCode).toBe(303)
    expect(switched.headers.location).toBe('/login')
    const english = await t.app.inject({ url: '/login', cookies: { cb_lang: 'en' } })
    expect(english.body).toContain('<h1>Sign in</h1>')
    expect(english.body).toContain('lang="en"')
  })

  it('ignores an off-site address after switching language', async () => {
    const response = await t.app.inject({ url: '/lang/en?next=//evil.example' })
    expect(response.headers.location).toBe('/')
  })
})

describe('transfer size', () => {
  it('compresses pages for browsers that accept it', async () => {
    const plain = await t.app.inject({ url: '/api/v1/units' })
    const packed = await t.app.inject({ url: '/api/v1/units', headers: { 'accept-encoding': 'br, gzip' } })
    expect(packed.headers['content-encoding']).toBe('br')
    expect(packed.rawPayload.length).toBeLessThan(plain.rawPayload.length / 4)
  })
})
