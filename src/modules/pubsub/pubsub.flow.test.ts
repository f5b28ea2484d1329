import { createHmac } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiToken, createTestApp, html, Visitor, type TestApp } from '../../../test/app.js'
import { startReceiver, submitDossier, systemClient } from '../../../test/lgsp.js'

let t: TestApp
let admin: Visitor
let adminToken: string
let publisher: { id: string; token: string }
let outsider: { id: string; token: string }
let subscriber: { id: string; token: string }
const poll = { timeout: 20_000, interval: 50 }

const api = (
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  token?: string,
  payload?: unknown,
  headers = {},
) =>
  t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    ...(payload === undefined ? {} : { payload: payload as object }),
  })

async function createTopic(name: string, extra: Record<string, unknown> = {}) {
  const response = await api('POST', '/pubsub/topics', adminToken, {
    name,
    description: `Sự kiện thử ${name}`,
    publishers: [publisher.id],
    ...extra,
  })
  expect(response.statusCode, response.body).toBe(201)
}

async function subscribe(body: Record<string, unknown>) {
  const response = await api('POST', '/pubsub/subscriptions', adminToken, {
    clientId: subscriber.id,
    ...body,
  })
  expect(response.statusCode, response.body).toBe(201)
  return response.json<{ id: string; secret: string | null }>()
}

const publish = (topic: string, payload: unknown, key?: string, idem?: string) =>
  api(
    'POST',
    `/pubsub/topics/${topic}/events`,
    publisher.token,
    key === undefined ? { payload } : { payload, key },
    idem ? { 'idempotency-key': idem } : {},
  )

const bodyOf = (r: { body: string }) =>
  JSON.parse(r.body) as { id: string; position: number; key: string | null; payload: Record<string, unknown> }

beforeAll(async () => {
  t = await createTestApp({ env: { PUBSUB_RETRY_MS: '30', PUBSUB_TIMEOUT_MS: '2000' } })
  await t.app.jobs.start()
  admin = new Visitor(t.app)
  await admin.login('quantri')
  adminToken = await apiToken(t, 'quantri')
  publisher = await systemClient(t, admin, 'Hệ thống hộ tịch')
  outsider = await systemClient(t, admin, 'Hệ thống không có quyền phát')
  subscriber = await systemClient(t, admin, 'Hệ thống nhận sự kiện')
  const allowed = await api('POST', '/pubsub/webhook-hosts', adminToken, {
    host: '127.0.0.1',
    note: 'máy nhận thử',
  })
  expect(allowed.statusCode, allowed.body).toBe(201)
  await createTopic('hotich.khaisinh', {
    payloadSchema: {
      type: 'object',
      required: ['soDinhDanh', 'hoTen'],
      properties: { soDinhDanh: { type: 'string', pattern: '^\\d{12}$' }, hoTen: { type: 'string' } },
    },
  })
}, 120_000)

afterAll(async () => {
  await t?.close()
})

describe('publishing', () => {
  it('refuses a call without a token (401), a client without the right (403), an unknown topic (404), a payload off the schema (422)', async () => {
    const noToken = await api('POST', '/pubsub/topics/hotich.khaisinh/events', undefined, { payload: {} })
    expect(noToken.statusCode).toBe(401)
    expect(noToken.json().error.message).toContain('Authorization: Bearer')
    const badToken = await api('POST', '/pubsub/topics/hotich.khaisinh/events', 'khong-phai-token', {
      payload: {},
    })
    expect(badToken.statusCode).toBe(401)
    expect(badToken.json().error.message).toBe('Access token không hợp lệ hoặc đã hết hạn.')

    const notAllowed = await api('POST', '/pubsub/topics/hotich.khaisinh/events', outsider.token, {
      payload: { soDinhDanh: '004190000123', hoTen: 'A' },
    })
    expect(notAllowed.statusCode).toBe(403)
    expect(notAllowed.json().error.message).toContain('không được phép phát sự kiện loại "hotich.khaisinh"')
    const denied = await sql<{ n: number }>`select count(*)::int as n from audit_pending
      where action = 'permission.denied' and details->>'permission' = 'lgsp.pubsub.publish'`.execute(
      t.database.db,
    )
    const chained = await sql<{ n: number }>`select count(*)::int as n from audit_log
      where action = 'permission.denied' and details->>'permission' = 'lgsp.pubsub.publish'`.execute(
      t.database.db,
    )
    expect(denied.rows[0]!.n + chained.rows[0]!.n).toBe(1)

    const unknown = await publish('khong.co', { a: 1 })
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json().error.message).toBe('Không có loại sự kiện "khong.co".')

    const invalid = await publish('hotich.khaisinh', { soDinhDanh: '123', hoTen: 5 })
    expect(invalid.statusCode).toBe(422)
    const message = invalid.json().error.message as string
    expect(message).toContain('Nội dung sự kiện không khớp lược đồ của loại sự kiện "hotich.khaisinh"')
    expect(message).toContain('"soDinhDanh" không đúng định dạng')
    expect(message).toContain('"hoTen" phải có kiểu chuỗi')

    const platformTopic = await publish('dossier.status_changed', { code: 'x' })
    expect(platformTopic.statusCode).toBe(403)
    const events = await sql<{
      n: number
    }>`select count(*)::int as n from pubsub_events where topic = 'hotich.khaisinh'`.execute(t.database.db)
    expect(events.rows[0]!.n).toBe(0)
  })

  it('gives each event the next position of its topic and answers a retry with the same Idempotency-Key with the first event', async () => {
    const first = await publish(
      'hotich.khaisinh',
      { soDinhDanh: '004190000001', hoTen: 'Hoàng Văn Bình' },
      undefined,
      'kb-1',
    )
    expect(first.statusCode, first.body).toBe(201)
    const again = await publish(
      'hotich.khaisinh',
      { soDinhDanh: '004190000001', hoTen: 'Hoàng Văn Bình' },
      undefined,
      'kb-1',
    )
    expect(again.statusCode).toBe(200)
    expect(again.json().id).toBe(first.json().id)
    const second = await publish('hotich.khaisinh', { soDinhDanh: '004190000002', hoTen: 'Lý Thị Cúc' })
    expect(second.json().position).toBe(first.json().position + 1)
    const topic = await api('GET', '/pubsub/topics/hotich.khaisinh', publisher.token)
    expect(topic.json().headPosition).toBe(second.json().position)
  })
})

describe('push delivery', () => {
  it('refuses a webhook URL to a host not on the allow-list, with user info, or not http(s)', async () => {
    for (const [endpoint, text] of [
      ['http://10.0.0.5:5432/', 'Máy chủ "10.0.0.5" không nằm trong danh sách máy chủ được phép'],
      ['http://169.254.169.254/latest/meta-data', 'Máy chủ "169.254.169.254" không nằm trong danh sách'],
      ['http://2130706433/', null],
      ['http://user:pass@127.0.0.1/hook', 'không được chứa tên đăng nhập hoặc mật khẩu'],
      ['ftp://127.0.0.1/hook', 'chỉ được dùng http hoặc https'],
    ] as const) {
      const response = await api('POST', '/pubsub/subscriptions', adminToken, {
        topic: 'hotich.khaisinh',
        clientId: subscriber.id,
        mode: 'push',
        endpoint,
      })
      if (text === null) {
        // The decimal spelling of 127.0.0.1 is the allowed host once normalised: accepted, not a bypass of the list.
        expect(response.statusCode, response.body).toBe(201)
        await api('POST', `/pubsub/subscriptions/${response.json().id}/disable`, adminToken)
        continue
      }
      expect(response.statusCode, endpoint).toBe(422)
      expect(response.json().error.details.fields.endpoint).toContain(text)
    }
    const page = await admin.post('/admin/lgsp/subscriptions/new', {
      topic: 'hotich.khaisinh',
      clientId: subscriber.id,
      mode: 'push',
      endpoint: 'http://192.168.1.1/',
    })
    expect(page.statusCode, page.body.slice(0, 3000)).toBe(422)
    expect(html(page).querySelector('.error-summary')!.text).toContain(
      'Máy chủ "192.168.1.1" không nằm trong danh sách',
    )
  })

  it('pushes a published event to the webhook, signed with HMAC-SHA256 over the timestamp and body', async () => {
    await createTopic('thue.nop')
    const receiver = await startReceiver()
    try {
      const sub = await subscribe({
        topic: 'thue.nop',
        mode: 'push',
        endpoint: `${receiver.url}/lgsp/events?x=1`,
      })
      expect(sub.secret).toMatch(/^whsec_/)
      const published = await publish('thue.nop', { soTien: 150000, ghiChu: 'Lệ phí trước bạ' }, 'MST-0101')
      expect(published.statusCode).toBe(201)
      await expect.poll(() => receiver.accepted().length, poll).toBe(1)
      const [request] = receiver.received
      expect(request!.url).toBe('/lgsp/events?x=1')
      const timestamp = String(request!.headers['x-lgsp-timestamp'])
      const expected = `sha256=${createHmac('sha256', sub.secret!).update(`${timestamp}.${request!.body}`).digest('hex')}`
      expect(request!.headers['x-lgsp-signature']).toBe(expected)
      expect(Math.abs(Date.now() / 1000 - Number(timestamp))).toBeLessThan(60)
      expect(request!.headers['x-lgsp-event-id']).toBe(published.json().id)
      expect(request!.headers['x-lgsp-topic']).toBe('thue.nop')
      expect(request!.headers['x-lgsp-position']).toBe(String(published.json().position))
      expect(request!.headers['x-lgsp-key']).toBe('MST-0101')
      expect(request!.headers['x-lgsp-delivery-attempt']).toBe('1')
      expect(bodyOf(request!)).toMatchObject({
        id: published.json().id,
        topic: 'thue.nop',
        key: 'MST-0101',
        payload: { soTien: 150000, ghiChu: 'Lệ phí trước bạ' },
      })
      await expect
        .poll(
          async () => (await api('GET', `/pubsub/subscriptions/${sub.id}`, adminToken)).json().counts,
          poll,
        )
        .toEqual({ waiting: 0, queued: 0, delivered: 1, dead: 0 })
    } finally {
      await receiver.close()
    }
  })

  it('retries a failing receiver with back-off, dead-letters after the limit, and delivers on re-drive: nothing is lost', async () => {
    await createTopic('dat.dai')
    const receiver = await startReceiver(() => 500)
    try {
      const sub = await subscribe({
        topic: 'dat.dai',
        mode: 'push',
        endpoint: `${receiver.url}/hook`,
        maxAttempts: 3,
      })
      const events = []
      for (let i = 1; i <= 3; i++) events.push((await publish('dat.dai', { thuaDat: i })).json().id as string)
      const detail = () => api('GET', `/pubsub/subscriptions/${sub.id}`, adminToken).then((r) => r.json())
      await expect
        .poll(async () => (await detail()).counts, poll)
        .toEqual({ waiting: 0, queued: 0, delivered: 0, dead: 3 })
      // Three attempts each, with growing waits between them.
      expect(receiver.received).toHaveLength(9)
      const dead = (await detail()).deadLetters as {
        eventId: string
        attempts: number
        lastStatus: number
        lastError: string
      }[]
      expect(dead.map((d) => d.eventId).sort()).toEqual([...events].sort())
      expect(dead.every((d) => d.attempts === 3 && d.lastStatus === 500)).toBe(true)
      expect(dead[0]!.lastError).toBe('Máy chủ nhận trả về HTTP 500')

      const page = await admin.get(`/admin/lgsp/subscriptions/${sub.id}`)
      expect(html(page).querySelectorAll('#dead-letters tbody tr')).toHaveLength(3)
      expect(html(page).querySelector('#last-error')!.text).toContain('HTTP 500')

      receiver.answer = () => 200
      const redrive = await admin.post(`/admin/lgsp/subscriptions/${sub.id}/redrive`, {})
      expect(redrive.statusCode).toBe(303)
      await expect
        .poll(async () => (await detail()).counts, poll)
        .toEqual({ waiting: 0, queued: 0, delivered: 3, dead: 0 })
      expect(
        receiver
          .accepted()
          .map((r) => bodyOf(r).id)
          .sort(),
      ).toEqual([...events].sort())
      expect(receiver.accepted().map((r) => r.headers['x-lgsp-delivery-attempt'])).toEqual(['4', '4', '4'])
    } finally {
      await receiver.close()
    }
  })

  it('delivers the events of one key in order, even when the first of them has to be retried; other keys are not held up', async () => {
    await createTopic('ho.tich')
    let failuresLeft = 2
    const receiver = await startReceiver((request) => {
      const event = bodyOf(request)
      if (event.key === 'A' && event.payload.n === 1 && failuresLeft > 0) {
        failuresLeft--
        return 503
      }
      return 200
    })
    try {
      const sub = await subscribe({ topic: 'ho.tich', mode: 'push', endpoint: `${receiver.url}/hook` })
      await publish('ho.tich', { n: 1 }, 'A')
      await publish('ho.tich', { n: 2 }, 'A')
      await publish('ho.tich', { n: 1 }, 'B')
      await publish('ho.tich', { n: 3 }, 'A')
      await publish('ho.tich', { n: 2 }, 'B')
      await expect
        .poll(
          async () =>
            (await api('GET', `/pubsub/subscriptions/${sub.id}`, adminToken)).json().counts.delivered,
          poll,
        )
        .toBe(5)
      const seen = (key: string) =>
        receiver.received.filter((r) => bodyOf(r).key === key).map((r) => [bodyOf(r).payload.n, r.status])
      expect(seen('A')).toEqual([
        [1, 503],
        [1, 503],
        [1, 200],
        [2, 200],
        [3, 200],
      ])
      expect(seen('B')).toEqual([
        [1, 200],
        [2, 200],
      ])
      // B was not made to wait for A's retries.
      const firstB = receiver.received.findIndex((r) => bodyOf(r).key === 'B')
      const acceptedA1 = receiver.received.findIndex((r) => bodyOf(r).key === 'A' && r.status === 200)
      expect(firstB).toBeLessThan(acceptedA1)
    } finally {
      await receiver.close()
    }
  })
})

describe('pull delivery', () => {
  it('gives the next batch after the acknowledged position, acknowledges, and replays from a position', async () => {
    await createTopic('bhxh.thamgia')
    const sub = await subscribe({ topic: 'bhxh.thamgia', mode: 'pull' })
    const positions: number[] = []
    for (let i = 1; i <= 5; i++)
      positions.push((await publish('bhxh.thamgia', { so: i })).json().position as number)

    const pull = (max: number, token = subscriber.token) =>
      api('GET', `/pubsub/subscriptions/${sub.id}/events?max=${max}`, token)
    const first = await pull(2)
    expect(first.statusCode, first.body).toBe(200)
    expect(first.json().events.map((e: { payload: { so: number } }) => e.payload.so)).toEqual([1, 2])
    expect(first.json().headPosition).toBe(positions[4])
    // Not acknowledged: the same batch again.
    expect((await pull(2)).json().events.map((e: { position: number }) => e.position)).toEqual(
      positions.slice(0, 2),
    )

    const ack = await api('POST', `/pubsub/subscriptions/${sub.id}/ack`, subscriber.token, {
      position: positions[1],
    })
    expect(ack.json()).toEqual({ ackedPosition: positions[1] })
    expect((await pull(10)).json().events.map((e: { payload: { so: number } }) => e.payload.so)).toEqual([
      3, 4, 5,
    ])
    await api('POST', `/pubsub/subscriptions/${sub.id}/ack`, subscriber.token, { position: positions[4] })
    expect((await pull(10)).json().events).toEqual([])
    const tooFar = await api('POST', `/pubsub/subscriptions/${sub.id}/ack`, subscriber.token, {
      position: positions[4]! + 1,
    })
    expect(tooFar.statusCode).toBe(422)

    const seek = await api('POST', `/pubsub/subscriptions/${sub.id}/seek`, subscriber.token, {
      position: positions[2],
    })
    expect(seek.statusCode, seek.body).toBe(200)
    expect((await pull(10)).json().events.map((e: { payload: { so: number } }) => e.payload.so)).toEqual([
      3, 4, 5,
    ])

    expect((await pull(10, publisher.token)).statusCode).toBe(403)
    expect((await pull(0)).statusCode).toBe(400)
    expect((await api('GET', `/pubsub/subscriptions/${sub.id}/events`)).statusCode).toBe(401)
  })
})

describe('platform events', () => {
  it("republishes a dossier submitted through the application, keyed by its code, without the applicant's contact details", async () => {
    const receiver = await startReceiver()
    try {
      const sub = await subscribe({
        topic: 'dossier.status_changed',
        mode: 'push',
        endpoint: `${receiver.url}/dossiers`,
      })
      expect(sub.id).toBeTruthy()
      const code = await submitDossier(t)
      await expect.poll(() => receiver.accepted().length, poll).toBe(1)
      const event = bodyOf(receiver.accepted()[0]!)
      expect(event.key).toBe(code)
      expect(event.payload).toMatchObject({
        code,
        procedureCode: '1.004873',
        status: 'submitted',
        nationalStatus: 1,
        channel: 'online',
      })
      expect(event.payload).not.toHaveProperty('applicantEmail')
      expect(event.payload).not.toHaveProperty('applicantPhone')
      expect(event.payload).not.toHaveProperty('applicantUserId')
      expect(event.payload).not.toHaveProperty('applicantName')
      expect(event.payload).not.toHaveProperty('applicantIdNumber')
      expect(receiver.accepted()[0]!.body).not.toContain('0912000001')
    } finally {
      await receiver.close()
    }
  })

  it('shows the topics and subscriptions to a system administrator only', async () => {
    const list = await admin.get('/admin/lgsp/topics')
    expect(list.statusCode).toBe(200)
    const names = html(list)
      .querySelectorAll('#topics tbody tr')
      .map((row) => row.getAttribute('data-topic'))
    expect(names).toEqual(
      expect.arrayContaining(['dossier.status_changed', 'document.registered', 'hotich.khaisinh']),
    )
    const official = new Visitor(t.app)
    await official.login('qt.sokhcn')
    expect((await official.get('/admin/lgsp/topics')).statusCode).toBe(403)
    const officialToken = await apiToken(t, 'qt.sokhcn')
    expect((await api('POST', '/pubsub/topics', officialToken, { name: 'x.y' })).statusCode).toBe(403)
    expect((await api('POST', '/pubsub/topics', publisher.token, { name: 'x.y' })).statusCode).toBe(403)
  })

  it('registers an event type through the form: errors listed with the values kept, then saved and shown', async () => {
    await admin.get('/admin/lgsp/topics/new')
    const invalid = await admin.post('/admin/lgsp/topics/new', {
      name: 'Hộ Tịch!',
      description: 'Đăng ký khai tử',
      payloadSchema: '{"type": "object",',
      publishers: `${publisher.id}\ncb-khong-ton-tai`,
    })
    expect(invalid.statusCode).toBe(422)
    const doc = html(invalid)
    const summary = doc
      .querySelectorAll('.error-summary li a')
      .map((a) => [a.getAttribute('href'), a.text.trim()])
    expect(summary).toEqual([
      ['#name', expect.stringContaining('Tên loại sự kiện gồm 2–100 ký tự')],
      ['#payloadSchema', 'Lược đồ JSON không đọc được: kiểm tra lại cú pháp JSON.'],
      ['#publishers', 'Không có ứng dụng (client_id) đã đăng ký: cb-khong-ton-tai.'],
    ])
    expect(doc.querySelector('#description')!.getAttribute('value')).toBe('Đăng ký khai tử')
    expect(doc.querySelector('#payloadSchema')!.text).toBe('{"type": "object",')

    const created = await admin.post('/admin/lgsp/topics/new', {
      name: 'hotich.khaitu',
      description: 'Đăng ký khai tử',
      payloadSchema: '{"type": "object", "required": ["soDinhDanh"]}',
      publishers: publisher.id,
    })
    expect(created.statusCode).toBe(303)
    expect(created.headers.location).toBe('/admin/lgsp/topics/hotich.khaitu')
    const page = html(await admin.get('/admin/lgsp/topics/hotich.khaitu'))
    expect(page.querySelector('h1')!.text).toBe('hotich.khaitu')
    expect(page.querySelector('#publishers')!.text).toBe(publisher.id)
    const refused = await publish('hotich.khaitu', { hoTen: 'X' })
    expect(refused.statusCode).toBe(422)
    expect(refused.json().error.details.fields).toEqual({
      'payload.soDinhDanh': 'Thiếu trường bắt buộc "soDinhDanh".',
    })
    expect((await publish('hotich.khaitu', { soDinhDanh: '004190000009' })).statusCode).toBe(201)

    const hosts = await admin.post('/admin/lgsp/webhook-hosts', { host: 'http://x.vn/a' })
    expect(hosts.statusCode).toBe(422)
    expect(html(hosts).querySelector('.error-summary')!.text).toContain('Nhập tên máy chủ hoặc địa chỉ IP')
  })
})
