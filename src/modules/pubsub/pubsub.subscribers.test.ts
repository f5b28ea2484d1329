import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiToken, createTestApp, Visitor, type TestApp } from '../../../test/app.js'
import { startReceiver, systemClient } from '../../../test/lgsp.js'

// A topic may name the only systems allowed to subscribe to it: subscribing, pulling and each push check it.
let t: TestApp
let adminToken: string
let publisher: { id: string; token: string }
let allowed: { id: string; token: string }
let other: { id: string; token: string }
const poll = { timeout: 20_000, interval: 50 }

const api = (method: 'GET' | 'POST' | 'PUT', url: string, token: string, payload?: unknown) =>
  t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${token}` },
    ...(payload === undefined ? {} : { payload: payload as object }),
  })

beforeAll(async () => {
  t = await createTestApp({ env: { PUBSUB_RETRY_MS: '30', PUBSUB_TIMEOUT_MS: '2000' } })
  await t.app.jobs.start()
  const admin = new Visitor(t.app)
  await admin.login('quantri')
  adminToken = await apiToken(t, 'quantri')
  publisher = await systemClient(t, admin, 'Hệ thống phát')
  allowed = await systemClient(t, admin, 'Hệ thống được nhận')
  other = await systemClient(t, admin, 'Hệ thống khác')
  expect((await api('POST', '/pubsub/webhook-hosts', adminToken, { host: '127.0.0.1' })).statusCode).toBe(201)
}, 120_000)

afterAll(async () => {
  await t?.close()
})

describe('allowed subscribers of a topic', () => {
  it('admits only the listed systems, and stops pulls and pushes of a system taken off the list', async () => {
    const unknown = await api('POST', '/pubsub/topics', adminToken, {
      name: 'thue.thongbao',
      publishers: [publisher.id],
      subscribers: ['khong-co-ung-dung'],
    })
    expect(unknown.statusCode).toBe(422)
    expect(unknown.json().error.details.fields.subscribers).toBe(
      'Không có ứng dụng (client_id) đã đăng ký: khong-co-ung-dung.',
    )
    const created = await api('POST', '/pubsub/topics', adminToken, {
      name: 'thue.thongbao',
      publishers: [publisher.id],
      subscribers: [allowed.id],
    })
    expect(created.statusCode, created.body).toBe(201)
    expect(created.json().subscribers).toEqual([allowed.id])

    const refused = await api('POST', '/pubsub/subscriptions', adminToken, {
      topic: 'thue.thongbao',
      clientId: other.id,
      mode: 'pull',
    })
    expect(refused.statusCode).toBe(422)
    expect(refused.json().error.details.fields.clientId).toBe(
      `Loại sự kiện "thue.thongbao" chỉ dành cho ${allowed.id}; ứng dụng "${other.id}" không được đăng ký nhận.`,
    )
    const pull = await api('POST', '/pubsub/subscriptions', adminToken, {
      topic: 'thue.thongbao',
      clientId: allowed.id,
      mode: 'pull',
    })
    expect(pull.statusCode, pull.body).toBe(201)
    // A receiver that fails at first, so a delivery is still open when the list changes.
    const receiver = await startReceiver(() => 503)
    const push = await api('POST', '/pubsub/subscriptions', adminToken, {
      topic: 'thue.thongbao',
      clientId: allowed.id,
      mode: 'push',
      endpoint: `${receiver.url}/nhan`,
      maxAttempts: 50,
    })
    expect(push.statusCode, push.body).toBe(201)
    const published = await api('POST', '/pubsub/topics/thue.thongbao/events', publisher.token, {
      payload: { maSoThue: '0100109106' },
      key: 'mst-0100109106',
    })
    expect(published.statusCode, published.body).toBe(201)
    const pulled = await api('GET', `/pubsub/subscriptions/${pull.json().id}/events`, allowed.token)
    expect(pulled.json().events).toHaveLength(1)
    await expect.poll(() => receiver.received.length, poll).toBeGreaterThan(0)

    // Taken off the list: its pull is refused, its open delivery ends without reaching it, new events skip it.
    const changed = await api('PUT', '/pubsub/topics/thue.thongbao', adminToken, {
      publishers: [publisher.id],
      subscribers: [other.id],
    })
    expect(changed.statusCode, changed.body).toBe(200)
    const denied = await api('GET', `/pubsub/subscriptions/${pull.json().id}/events`, allowed.token)
    expect(denied.statusCode).toBe(403)
    expect(denied.json().error.message).toBe(
      `Hệ thống "${allowed.id}" không còn được nhận loại sự kiện "thue.thongbao".`,
    )
    const deliveries = () =>
      sql<{ state: string; last_error: string | null }>`
        select state, last_error from pubsub_deliveries where subscription_id = ${push.json().id as string}
        order by id`.execute(t.database.db)
    await expect
      .poll(async () => (await deliveries()).rows, poll)
      .toEqual([{ state: 'dead', last_error: 'Hệ thống không còn được nhận loại sự kiện này' }])
    const afterwards = await api('POST', '/pubsub/topics/thue.thongbao/events', publisher.token, {
      payload: { maSoThue: '0100109107' },
    })
    expect(afterwards.statusCode).toBe(201)
    expect((await deliveries()).rows).toHaveLength(1)
    await receiver.close()

    // An empty list lifts the limit.
    const open = await api('PUT', '/pubsub/topics/thue.thongbao', adminToken, {
      publishers: [publisher.id],
      subscribers: [],
    })
    expect(open.json().subscribers).toBeNull()
    expect(
      (await api('GET', `/pubsub/subscriptions/${pull.json().id}/events`, allowed.token)).statusCode,
    ).toBe(200)
  }, 120_000)
})
