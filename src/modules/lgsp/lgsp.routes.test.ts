import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiToken, createTestApp, errorSummary, html, Visitor, type TestApp } from '../../../test/app.js'

/** The registry's pages and admin API: who may use them, the forms, their errors, and the audit trail. */

let t: TestApp
let admin: Visitor
let ssoClientId: string

const location = (response: { headers: Record<string, unknown> }) => String(response.headers.location ?? '')

beforeAll(async () => {
  t = await createTestApp()
  admin = new Visitor(t.app)
  await admin.login('quantri')
  await admin.get('/admin/sso/clients/new')
  const created = await admin.post('/admin/sso/clients/new', {
    name: 'Hệ thống một cửa điện tử',
    kind: 'client_credentials',
    scopes: 'lgsp',
  })
  ssoClientId = html(created).querySelector('#client-id')!.text.trim()
}, 120_000)

afterAll(() => t.close())

describe('LGSP registry pages', { timeout: 60_000 }, () => {
  it('lets only an LGSP administrator in', async () => {
    const official = new Visitor(t.app)
    await official.login('qt.sokhcn')
    expect((await official.get('/admin/lgsp')).statusCode).toBe(403)
    expect((await official.get('/admin/lgsp/hosts')).statusCode).toBe(403)
    const forged = await official.post('/admin/lgsp/members/new', {
      memberClass: 'GOV',
      memberCode: '000.00.00.H14',
      name: 'X',
    })
    expect(forged.statusCode).toBe(403)
    const anonymous = await new Visitor(t.app).get('/admin/lgsp')
    expect(anonymous.statusCode).toBe(303)
    expect(location(anonymous)).toContain('/login')
    expect((await admin.get('/admin/lgsp')).statusCode).toBe(200)
  })

  it('registers a member, a subsystem, a service and an access right through the forms', async () => {
    // A bad agency code: the same form again, values kept, the error linked to its field.
    await admin.get('/admin/lgsp/members/new')
    const invalid = await admin.post('/admin/lgsp/members/new', {
      instance: 'VN',
      memberClass: 'GOV',
      memberCode: 'H14',
      name: 'UBND tỉnh Cao Bằng',
    })
    expect(invalid.statusCode).toBe(422)
    expect(errorSummary(invalid)).toEqual([
      'Mã cơ quan nhà nước phải theo QCVN 102:2016/BTTTT, dạng 000.00.00.H14.',
    ])
    expect(html(invalid).querySelector('#name')!.getAttribute('value')).toBe('UBND tỉnh Cao Bằng')

    const member = await admin.post('/admin/lgsp/members/new', {
      instance: 'VN',
      memberClass: 'GOV',
      memberCode: '000.00.00.H14',
      name: 'UBND tỉnh Cao Bằng',
    })
    expect(member.statusCode).toBe(303)
    const memberUrl = location(member)
    expect(memberUrl).toMatch(/^\/admin\/lgsp\/members\/[0-9a-f-]{36}$/)
    const duplicate = await admin.post('/admin/lgsp/members/new', {
      memberClass: 'GOV',
      memberCode: '000.00.00.H14',
      name: 'Trùng',
    })
    expect(duplicate.statusCode).toBe(422)
    expect(errorSummary(duplicate)[0]).toContain('đã được đăng ký')

    await admin.get(`${memberUrl}/subsystems/new`)
    const wrongClient = await admin.post(`${memberUrl}/subsystems/new`, {
      code: 'MOTCUA',
      name: 'Một cửa điện tử',
      ssoClientId: 'cb-khong-co',
    })
    expect(wrongClient.statusCode).toBe(422)
    expect(errorSummary(wrongClient)).toEqual(['Không có ứng dụng SSO với client_id cb-khong-co.'])
    const subsystem = await admin.post(`${memberUrl}/subsystems/new`, {
      code: 'MOTCUA',
      name: 'Một cửa điện tử',
      ssoClientId,
      rateLimitPerMinute: '1200',
    })
    expect(subsystem.statusCode).toBe(303)
    const subsystemUrl = location(subsystem)
    const subsystemPage = html(await admin.get(subsystemUrl))
    expect(subsystemPage.querySelector('#subsystem-id')!.text).toBe('VN/GOV/000.00.00.H14/MOTCUA')

    // A service may only point at a host on the allow-list.
    await admin.get(`${subsystemUrl}/services/new`)
    const service = {
      code: 'tra-cuu-ho-so',
      version: 'v1',
      title: 'Tra cứu hồ sơ',
      baseUrl: 'http://127.0.0.1:8080/api',
      openapi: JSON.stringify({ openapi: '3.0.3', info: { title: 'Tra cứu', version: '1' }, paths: {} }),
      timeoutMs: '5000',
      maxBodyBytes: '1048576',
      logBodies: 'on',
    }
    const forbidden = await admin.post(`${subsystemUrl}/services/new`, service)
    expect(forbidden.statusCode).toBe(422)
    expect(errorSummary(forbidden)).toEqual([
      'Máy chủ 127.0.0.1:8080 chưa có trong danh sách máy chủ được phép; quản trị viên cần thêm trước.',
    ])
    expect(html(forbidden).querySelector('#title')!.getAttribute('value')).toBe('Tra cứu hồ sơ')
    const withCredentials = await admin.post(`${subsystemUrl}/services/new`, {
      ...service,
      baseUrl: 'http://admin:secret@127.0.0.1:8080/api',
    })
    expect(errorSummary(withCredentials)[0]).toContain('tên đăng nhập')

    await admin.get('/admin/lgsp/hosts')
    const badHost = await admin.post('/admin/lgsp/hosts', { host: 'http://127.0.0.1:8080/' })
    expect(badHost.statusCode).toBe(422)
    const host = await admin.post('/admin/lgsp/hosts', { host: '127.0.0.1:8080', note: 'Máy chủ thử nghiệm' })
    expect(host.statusCode).toBe(303)
    expect(
      html(await admin.get('/admin/lgsp/hosts')).querySelector('tr[data-host="127.0.0.1:8080"]'),
    ).not.toBeNull()

    await admin.get(`${subsystemUrl}/services/new`)
    const created = await admin.post(`${subsystemUrl}/services/new`, service)
    expect(created.statusCode).toBe(303)
    const serviceUrl = location(created)
    const servicePage = html(await admin.get(serviceUrl))
    expect(servicePage.querySelector('#service-id')!.text).toBe('VN/GOV/000.00.00.H14/MOTCUA/tra-cuu-ho-so')
    expect(servicePage.querySelector('#service-health')!.getAttribute('data-state')).toBe('closed')
    expect(servicePage.querySelector('#logBodies')!.getAttribute('checked')).not.toBeUndefined()

    const subsystemId = subsystemUrl.split('/').pop()!
    const badRight = await admin.post(`${serviceUrl}/rights`, {
      client: subsystemId,
      methods: 'GET, FETCH',
      pathPattern: '/ho-so/*',
    })
    expect(badRight.statusCode).toBe(422)
    expect(errorSummary(badRight)[0]).toContain('Phương thức')
    const right = await admin.post(`${serviceUrl}/rights`, {
      client: subsystemId,
      methods: 'GET',
      pathPattern: '/ho-so/*',
    })
    expect(right.statusCode).toBe(303)
    const withRight = html(await admin.get(serviceUrl))
    const row = withRight.querySelector('#rights tr[data-client="VN/GOV/000.00.00.H14/MOTCUA"]')!
    expect(row.text).toContain('GET')
    expect(row.text).toContain('/ho-so/*')

    // Revoking takes the right away again.
    const revoke = row.querySelector('form')!.getAttribute('action')!
    expect((await admin.post(revoke, {})).statusCode).toBe(303)
    expect(html(await admin.get(serviceUrl)).querySelector('#rights')).toBeNull()

    // Removing the host leaves the service registered but no longer forwarded; re-saving it is refused.
    const removeHost = html(await admin.get('/admin/lgsp/hosts'))
      .querySelector('tr[data-host="127.0.0.1:8080"] form')!
      .getAttribute('action')!
    expect((await admin.post(removeHost, {})).statusCode).toBe(303)
    const resave = await admin.post(serviceUrl, { ...service, title: 'Tra cứu hồ sơ (v1)' })
    expect(resave.statusCode).toBe(422)

    const audit = await sql<{ action: string }>`
      select action from audit_pending where action like 'lgsp.%'
      union all select action from audit_log where action like 'lgsp.%'`.execute(t.database.db)
    expect(audit.rows.map((r) => r.action).sort()).toEqual(
      [
        'lgsp.access_granted',
        'lgsp.access_revoked',
        'lgsp.host_allowed',
        'lgsp.host_removed',
        'lgsp.member_created',
        'lgsp.service_created',
        'lgsp.subsystem_created',
      ].sort(),
    )
  })

  it('answers the admin API only to an LGSP administrator, with Vietnamese errors', async () => {
    const official = await apiToken(t, 'qt.sokhcn')
    const denied = await t.app.inject({
      method: 'POST',
      url: '/api/v1/lgsp/members',
      headers: { authorization: `Bearer ${official}` },
      payload: { memberClass: 'GOV', memberCode: '000.00.14.H14', name: 'Sở KH&CN' },
    })
    expect(denied.statusCode).toBe(403)
    const token = await apiToken(t, 'quantri')
    const invalid = await t.app.inject({
      method: 'POST',
      url: '/api/v1/lgsp/members',
      headers: { authorization: `Bearer ${token}` },
      payload: { memberClass: 'COM', memberCode: '12', name: 'Công ty' },
    })
    expect(invalid.statusCode).toBe(422)
    expect(invalid.json().error.details.fields.memberCode).toContain('mã số thuế')
    const registry = await t.app.inject({
      url: '/api/v1/lgsp/registry',
      headers: { authorization: `Bearer ${token}` },
    })
    expect(registry.statusCode).toBe(200)
    expect(registry.json().members.map((m: { identifier: string }) => m.identifier)).toContain(
      'VN/GOV/000.00.00.H14',
    )
    const badHost = await t.app.inject({
      method: 'POST',
      url: '/api/v1/lgsp/allowed-hosts',
      headers: { authorization: `Bearer ${token}` },
      payload: { host: 'file:///etc/passwd' },
    })
    expect(badHost.statusCode).toBe(422)
  })
})
