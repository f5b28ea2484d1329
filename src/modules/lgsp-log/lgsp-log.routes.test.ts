import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiToken, createTestApp, errorSummary, html, Visitor, type TestApp } from '../../../test/app.js'
import { SigningKeys } from '../../platform/signing/index.js'
import { createMessageLogService } from './lgsp-log.service.js'
import { exchange } from '../../../test/lgsp-log.js'

let t: TestApp
let admin: Visitor
let adminToken: string
const SECRET_BODY = '{"hoTen":"Nguyễn Văn Bình","soDinhDanh":"004088000111"}'
const CLIENT_A = 'CB/GOV/000.00.00.H14/dvc'
const CLIENT_B = 'CB/GOV/000.05.00.H14/qlvb'
const SERVICE_X = 'CB/GOV/000.02.00.H14/hr/employees'
const SERVICE_Y = 'CB/GOV/000.06.00.H14/land/parcels'

/** Row markers of a result table: the seq of each row shown. */
const seqs = (body: string, table = '#entries') =>
  html({ body } as never)
    .querySelectorAll(`${table} tbody tr`)
    .map((tr) => tr.getAttribute('data-seq'))

beforeAll(async () => {
  t = await createTestApp()
  const signing = new SigningKeys({
    dir: t.config.signingDir,
    passphrase: t.config.signingPassword,
    generateTestCertificates: true,
  })
  const log = createMessageLogService({
    db: t.database.db,
    config: t.config,
    clock: () => new Date(),
    signing,
  })
  // 60 exchanges: A calls X on 2026-11-20 (seq 1–40), B calls Y on 2026-11-25 (seq 41–60); every 10th fails.
  for (let i = 0; i < 60; i++) {
    const day = i < 40 ? '2026-11-20' : '2026-11-25'
    await log.recorder.record(
      exchange({
        client: i < 40 ? CLIENT_A : CLIENT_B,
        service: i < 40 ? SERVICE_X : SERVICE_Y,
        requestId: `req-${i}`,
        status: i % 10 === 9 ? 504 : 200,
        errorCode: i % 10 === 9 ? 'Server.ServerProxy.ServiceTimeout' : undefined,
        startedAt: new Date(`${day}T03:00:${String(i % 60).padStart(2, '0')}Z`),
        ...(i === 0
          ? { requestBody: Buffer.from(SECRET_BODY), responseBody: Buffer.from([0xff, 0x00, 0x81]) }
          : {}),
      }),
    )
  }
  await log.chain(25)
  // One more recorded but not yet chained: the page shows it as waiting.
  await log.recorder.record(exchange({ client: CLIENT_B, requestId: 'req-pending', service: SERVICE_Y }))
  admin = new Visitor(t.app)
  await admin.login('quantri')
  adminToken = await apiToken(t, 'quantri')
})
afterAll(() => t.close())

describe('admin page /admin/lgsp/log', () => {
  it('lists the newest chained entries first, 50 to a page, with the waiting ones above', async () => {
    const first = await admin.get('/admin/lgsp/log')
    expect(first.statusCode).toBe(200)
    expect(html(first).querySelector('h1')!.text).toBe('Nhật ký trao đổi LGSP')
    const shown = seqs(first.body)
    expect(shown).toHaveLength(50)
    expect(shown[0]).toBe('60')
    expect(shown.at(-1)).toBe('11')
    expect(seqs(first.body, '#pending-entries')).toEqual(['pending'])
    const older = html(first).querySelector('#older')!.getAttribute('href')!
    const second = await admin.get(older)
    expect(seqs(second.body)).toEqual(['10', '9', '8', '7', '6', '5', '4', '3', '2', '1'])
    expect(html(second).querySelector('#older')).toBeNull()
    // The waiting entries belong to the first page only.
    expect(html(second).querySelector('#pending')).toBeNull()
  })

  it('searches by client, service, request id, status and time range', async () => {
    const byClient = await admin.get(`/admin/lgsp/log?client=${encodeURIComponent(CLIENT_B)}`)
    expect(seqs(byClient.body)).toHaveLength(20)
    expect(seqs(byClient.body)[19]).toBe('41')
    const byService = await admin.get(`/admin/lgsp/log?service=${encodeURIComponent(SERVICE_X)}`)
    expect(seqs(byService.body)[0]).toBe('40')
    const byRequest = await admin.get('/admin/lgsp/log?requestId=req-7')
    expect(seqs(byRequest.body)).toEqual(['8'])
    const failed = await admin.get('/admin/lgsp/log?status=504')
    expect(seqs(failed.body)).toEqual(['60', '50', '40', '30', '20', '10'])
    expect(html(failed).querySelector('#entries')!.text).toContain('Server.ServerProxy.ServiceTimeout')
    const serverErrors = await admin.get('/admin/lgsp/log?status=5xx&client=' + encodeURIComponent(CLIENT_A))
    expect(seqs(serverErrors.body)).toEqual(['40', '30', '20', '10'])
    const day = await admin.get('/admin/lgsp/log?from=2026-11-25&to=2026-11-25')
    expect(seqs(day.body)).toHaveLength(20)
    const before = await admin.get('/admin/lgsp/log?to=2026-11-24')
    expect(seqs(before.body)).toHaveLength(40)
    const none = await admin.get('/admin/lgsp/log?client=CB/GOV/khong-co')
    expect(html(none).querySelector('#empty')).not.toBeNull()
    // The waiting entry is found by its request id too.
    const pending = await admin.get('/admin/lgsp/log?requestId=req-pending')
    expect(seqs(pending.body, '#pending-entries')).toEqual(['pending'])
  })

  it('keeps the filters on the older-page link', async () => {
    const page = await admin.get(`/admin/lgsp/log?service=${encodeURIComponent(SERVICE_X)}`)
    const older = html(page).querySelector('#older')
    expect(older).toBeNull() // 40 entries fit on one page
    const all = await admin.get('/admin/lgsp/log?status=2xx')
    const link = html(all).querySelector('#older')!.getAttribute('href')!
    expect(link).toContain('status=2xx')
    const next = await admin.get(link)
    expect(seqs(next.body).every((s) => Number(s) % 10 !== 0)).toBe(true)
  })

  it('re-shows the form with a Vietnamese message per bad field, keeping what was typed', async () => {
    const response = await admin.get('/admin/lgsp/log?status=abc&from=2026-13-01&client=CB%2FX')
    expect(response.statusCode).toBe(400)
    expect(errorSummary(response)).toEqual([
      'Mã trạng thái phải là một mã HTTP (ví dụ 200, 404) hoặc một nhóm (2xx, 4xx, 5xx).',
      'Thời điểm bắt đầu không hợp lệ (dạng 2026-11-27 hoặc 2026-11-27T08:00:00+07:00).',
    ])
    expect(html(response).querySelector('#client')!.getAttribute('value')).toBe('CB/X')
    expect(html(response).querySelector('#entries')).toBeNull()
    const reversed = await admin.get('/admin/lgsp/log?from=2026-11-26&to=2026-11-20')
    expect(errorSummary(reversed)).toEqual(['Thời điểm kết thúc phải sau thời điểm bắt đầu.'])
  })

  it('shows an entry, and decrypts its kept body for the administrator, audited', async () => {
    const entry = await admin.get('/admin/lgsp/log/1')
    expect(entry.statusCode).toBe(200)
    const page = html(entry)
    expect(page.querySelector('[data-field="client"]')!.text).toBe(CLIENT_A)
    expect(page.querySelector('[data-field="requestId"]')!.text).toBe('req-0')
    expect(entry.body).not.toContain('004088000111')
    const body = await admin.post('/admin/lgsp/log/1/body/request', {})
    expect(body.statusCode).toBe(200)
    expect(html(body).querySelector('#body')!.text).toBe(SECRET_BODY)
    expect(html(body).querySelector('#hash-check')!.getAttribute('data-matches')).toBe('true')
    expect(body.headers['cache-control']).toBe('no-store')
    const binary = await admin.post('/admin/lgsp/log/1/body/response', {})
    expect(html(binary).querySelector('#body')!.text).toBe(Buffer.from([0xff, 0x00, 0x81]).toString('base64'))
    const audit = await sql<{ n: number }>`
      select count(*)::int as n from (
        select action from audit_pending union all select action from audit_log) a
      where action = 'lgsp.log.body_read'`.execute(t.database.db)
    expect(audit.rows[0]!.n).toBe(2)
  })

  it('says when an entry keeps no body, and answers 404 for bodies, parts and entries that do not exist', async () => {
    const entry = await admin.get('/admin/lgsp/log/2')
    expect(entry.body).toContain('Dịch vụ này không lưu nội dung yêu cầu và phản hồi.')
    expect((await admin.post('/admin/lgsp/log/2/body/request', {})).statusCode).toBe(404)
    expect((await admin.post('/admin/lgsp/log/1/body/headers', {})).statusCode).toBe(404)
    expect((await admin.get('/admin/lgsp/log/999')).statusCode).toBe(404)
    expect((await admin.get('/admin/lgsp/log/abc')).statusCode).toBe(404)
  })

  it('refuses a body request without the form token', async () => {
    const response = await admin.post('/admin/lgsp/log/1/body/request', {}, { csrf: null })
    expect(response.statusCode).toBe(403)
  })
})

describe('who may read the log', () => {
  it('refuses officials without the permission, a unit administrator included', async () => {
    const unitAdmin = new Visitor(t.app)
    await unitAdmin.login('qt.sokhcn')
    expect((await unitAdmin.get('/admin/lgsp/log')).statusCode).toBe(403)
    expect((await unitAdmin.get('/admin/lgsp/log?status=abc')).statusCode).toBe(403)
    expect((await unitAdmin.get('/admin/lgsp/log/1')).statusCode).toBe(403)
    expect((await unitAdmin.post('/admin/lgsp/log/1/body/request', {})).statusCode).toBe(403)
    const token = await apiToken(t, 'chuyenvien.sokhcn')
    const api = await t.app.inject({ url: '/api/v1/lgsp/log', headers: { authorization: `Bearer ${token}` } })
    expect(api.statusCode).toBe(403)
    expect(api.json()).toMatchObject({ error: { code: 'forbidden' } })
  })

  it('sends visitors who are not signed in to the sign-in page, and programs without a token get 401', async () => {
    const page = await t.app.inject({ url: '/admin/lgsp/log' })
    expect(page.statusCode).toBe(303)
    expect(page.headers.location).toMatch(/^\/login\?next=/)
    expect((await t.app.inject({ url: '/api/v1/lgsp/log' })).statusCode).toBe(401)
  })
})

describe('GET /api/v1/lgsp/log', () => {
  const get = (query: string) =>
    t.app.inject({ url: `/api/v1/lgsp/log${query}`, headers: { authorization: `Bearer ${adminToken}` } })

  it('searches by each filter and pages with nextBefore', async () => {
    const first = await get('?limit=25')
    expect(first.statusCode).toBe(200)
    const body = first.json<{
      entries: { seq: number }[]
      pending: { requestId: string }[]
      nextBefore: number
    }>()
    expect(body.entries.map((e) => e.seq)).toEqual(Array.from({ length: 25 }, (_, i) => 60 - i))
    expect(body.pending.map((p) => p.requestId)).toEqual(['req-pending'])
    expect(body.nextBefore).toBe(36)
    const next = (await get(`?limit=25&before=${body.nextBefore}`)).json<{ entries: { seq: number }[] }>()
    expect(next.entries[0]!.seq).toBe(35)

    const byEach = async (query: string) =>
      (await get(query)).json<{ entries: { seq: number }[] }>().entries.map((e) => e.seq)
    expect(await byEach(`?client=${encodeURIComponent(CLIENT_B)}&limit=200`)).toHaveLength(20)
    expect(await byEach(`?service=${encodeURIComponent(SERVICE_X)}&limit=200`)).toHaveLength(40)
    expect(await byEach('?requestId=req-41')).toEqual([42])
    expect(await byEach('?status=504')).toEqual([60, 50, 40, 30, 20, 10])
    expect(await byEach('?from=2026-11-20T03:00:05Z&to=2026-11-20T03:00:08Z')).toEqual([8, 7, 6])
  })

  it('returns one entry with its hashes and batch', async () => {
    const response = await t.app.inject({
      url: '/api/v1/lgsp/log/1',
      headers: { authorization: `Bearer ${adminToken}` },
    })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toMatchObject({
      seq: 1,
      batch: 1,
      client: CLIENT_A,
      requestBodyKept: true,
      responseBodyKept: true,
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    })
  })

  it('decrypts a kept body for a program holding the permission', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/lgsp/log/1/body/request',
      headers: { authorization: `Bearer ${adminToken}` },
    })
    expect(response.statusCode).toBe(200)
    const body = response.json<{ base64: string; hashMatches: boolean; bytes: number }>()
    expect(Buffer.from(body.base64, 'base64').toString('utf8')).toBe(SECRET_BODY)
    expect(body.hashMatches).toBe(true)
  })

  it('answers bad searches with 422 and a Vietnamese message', async () => {
    const response = await get('?status=abc')
    expect(response.statusCode).toBe(422)
    expect(response.json()).toMatchObject({
      error: {
        code: 'validation_failed',
        details: { fields: { status: expect.stringMatching(/Mã trạng thái/) } },
      },
    })
    expect((await get('?from=yesterday')).statusCode).toBe(422)
    // What the schema refuses is a 400 with the kernel's Vietnamese message.
    const unknown = await get('?unknown=1')
    expect(unknown.statusCode).toBe(400)
    expect(unknown.json()).toMatchObject({ error: { code: 'validation_failed' } })
    expect((await get('?limit=1000')).statusCode).toBe(400)
  })
})
