import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, html, Visitor, type TestApp } from '../../../test/app.js'
import { act, payCash, submitDossier } from '../../../test/lgsp.js'
import {
  portalOk,
  startFakeServer,
  startTokenEndpoint,
  type Answer,
  type Exchange,
} from '../../../test/national-portal.js'

// The portal reached through an adapter that issues OAuth2 tokens (client credentials), as WSO2-based LGSP/NGSP
// adapters do: a fake token endpoint and a fake portal that takes only the tokens the endpoint issued and has not
// revoked, both real HTTP servers.
const CLIENT = { id: 'caobang-motcua', secret: 'bi-mat-thu-nghiem-0001' }
const poll = { timeout: 30_000, interval: 50 }

let t: TestApp
let tokens: Awaited<ReturnType<typeof startTokenEndpoint>>
let portal: Awaited<ReturnType<typeof startFakeServer>>
const revoked = new Set<string>()
const bearerOf = (r: Exchange) => (r.headers.authorization ?? '').replace(/^Bearer /, '')

beforeAll(async () => {
  tokens = await startTokenEndpoint(CLIENT)
  portal = await startFakeServer((request): Answer => {
    const token = bearerOf(request)
    const issued = /^tok-(\d+)$/.exec(token)
    if (!issued || Number(issued[1]) > tokens.issued() || revoked.has(token)) {
      return { status: 401, body: { error: 'invalid_token' } }
    }
    return portalOk()
  })
  t = await createTestApp({
    env: {
      NATIONAL_PORTAL_URL: `${portal.url}/dvcqg/dongbo`,
      NATIONAL_PORTAL_TOKEN_URL: `${tokens.url}/oauth2/token`,
      NATIONAL_PORTAL_CLIENT_ID: CLIENT.id,
      NATIONAL_PORTAL_CLIENT_SECRET: CLIENT.secret,
      PUBSUB_RETRY_MS: '30',
      PUBSUB_MAX_ATTEMPTS: '3',
    },
  })
  await t.app.jobs.start()
}, 120_000)

afterAll(async () => {
  await t?.close()
  await portal?.close()
  await tokens?.close()
})

const statusesFor = (code: string) =>
  portal.received
    .filter((r) => (JSON.parse(r.body) as { data: { MaHoSo: string }[] }).data[0]!.MaHoSo === code)
    .map((r) => [bearerOf(r), r.status])

describe('national portal synchronisation with OAuth2 client credentials', () => {
  let code: string

  it('asks the token endpoint once and uses that token for every call', async () => {
    code = await submitDossier(t)
    await payCash(t, code)
    await act(t, 'motcua.thucphan', code, { action: 'receive' })
    await expect.poll(() => statusesFor(code).length, poll).toBe(2)

    expect(statusesFor(code)).toEqual([
      ['tok-1', 200],
      ['tok-1', 200],
    ])
    expect(tokens.received).toHaveLength(1)
    const [request] = tokens.received
    expect(request!.url).toBe('/oauth2/token')
    expect(request!.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(Object.fromEntries(new URLSearchParams(request!.body))).toEqual({
      grant_type: 'client_credentials',
    })
    // The secret goes only to the token endpoint, never to the portal.
    for (const r of portal.received) expect(JSON.stringify(r.headers) + r.body).not.toContain(CLIENT.secret)
  })

  it('takes a new token when the portal refuses the cached one, and sends the call again at once', async () => {
    revoked.add('tok-1')
    await act(t, 'motcua.thucphan', code, { action: 'forward' })
    await expect.poll(() => statusesFor(code).length, poll).toBe(4)

    expect(statusesFor(code).slice(2)).toEqual([
      ['tok-1', 401],
      ['tok-2', 200],
    ])
    expect(tokens.received).toHaveLength(2)
    // Delivered by the first attempt of pub/sub: the renewal is not a retry with back-off.
    const deliveries = sql<{ state: string; attempts: number }>`
      select state, attempts from pubsub_deliveries where key = ${code} order by position`
    await expect
      .poll(async () => (await deliveries.execute(t.database.db)).rows, poll)
      .toEqual([
        { state: 'delivered', attempts: 1 },
        { state: 'delivered', attempts: 1 },
        { state: 'delivered', attempts: 1 },
      ])
    const log = await sql<{ http_status: number; ok: boolean; error: string | null }>`
      select http_status, ok, error from national_sync_calls where dossier_code = ${code} order by id`.execute(
      t.database.db,
    )
    expect(log.rows.slice(2)).toEqual([
      {
        http_status: 401,
        ok: false,
        error: 'Cổng DVC quốc gia không nhận token (HTTP 401): lấy token mới và gửi lại',
      },
      { http_status: 200, ok: true, error: null },
    ])
  })

  it('fails the event with a clear message when the token endpoint gives no usable token, and sends it after a re-drive', async () => {
    const bad: Answer[] = [
      { status: 401, body: { error: 'invalid_client', error_description: 'Client authentication failed' } },
      { body: '<html>Đăng nhập</html>', contentType: 'text/html' },
      { body: { token_type: 'Bearer', expires_in: 3600 } },
    ]
    tokens.answer = () => bad.shift() ?? { status: 500, body: 'unexpected' }
    revoked.add('tok-2')
    const sentBefore = portal.received.length
    const other = await submitDossier(t)
    const admin = new Visitor(t.app)
    await admin.login('quantri')
    const dead = async () =>
      html(await admin.get('/admin/lgsp/national-sync')).querySelectorAll('#dead tbody tr')
    await expect.poll(async () => (await dead()).length, poll).toBe(1)

    // The portal refused tok-2 once; after that no call reached it without a token.
    expect(portal.received.slice(sentBefore).map((r) => [bearerOf(r), r.status])).toEqual([['tok-2', 401]])
    const errors = await sql<{ error: string }>`
      select error from national_sync_calls where dossier_code = ${other} and not ok order by id`.execute(
      t.database.db,
    )
    expect(errors.rows.slice(-3).map((r) => r.error)).toEqual([
      'Máy chủ cấp token của Cổng DVC quốc gia từ chối cấp token: HTTP 401 invalid_client (Client authentication failed)',
      'Máy chủ cấp token của Cổng DVC quốc gia trả lời không phải JSON: "<html>Đăng nhập</html>"',
      'Máy chủ cấp token của Cổng DVC quốc gia trả lời không có access_token',
    ])
    const row = (await dead())[0]!
    expect(row.querySelectorAll('td')[1]!.text).toBe(other)
    expect(row.querySelectorAll('td')[3]!.text).toBe(
      'Máy chủ cấp token của Cổng DVC quốc gia trả lời không có access_token',
    )
    expect(html(await admin.get('/admin/lgsp/national-sync')).querySelector('#sync-auth')!.text).toContain(
      `${tokens.url}/oauth2/token`,
    )
    expect((await admin.get('/admin/lgsp/national-sync')).body).not.toContain(CLIENT.secret)

    tokens.behave()
    expect((await admin.post('/admin/lgsp/national-sync/redrive', {})).statusCode).toBe(303)
    await expect
      .poll(() => portal.received.slice(sentBefore + 1).map((r) => [bearerOf(r), r.status]), poll)
      .toEqual([['tok-3', 200]])
    const delivery = sql<{ state: string }>`select state from pubsub_deliveries where key = ${other}`
    await expect
      .poll(async () => (await delivery.execute(t.database.db)).rows, poll)
      .toEqual([{ state: 'delivered' }])
    expect(await dead()).toHaveLength(0)
  })
})
