import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  apiToken,
  createTestApp,
  html,
  multipartBody,
  requiredDocuments,
  Visitor,
  type TestApp,
} from '../../../test/app.js'
import { samplePdf } from '../../../test/files.js'
import { emitEvent } from '../../platform/events/outbox.js'
import { createIndicatorsConsumer, INDICATORS_CONSUMER, type Figures, type IndicatorEvent } from './index.js'
import { formatCount, formatPercent } from './indicators.pages.js'

// Friday 27/11/2026, 09:00 in Việt Nam: a dossier received now is due Wednesday 2/12 at 17:00.
let now = new Date('2026-11-27T02:00:00Z')
let t: TestApp
const tokens: Record<string, string> = {}
const units: Record<string, string> = {}
const codes: Record<string, string> = {}
const PERIOD = 'from=2026-11-01&to=2026-12-31'

const as = (username: string) => ({ authorization: `Bearer ${tokens[username]}` })
const form = (options: Record<string, string[]>) => ({
  applicantFullName: 'Nguyễn Văn An',
  applicantIdNumber: '004090000001',
  applicantBirthDate: '1990-05-01',
  currentMaritalStatus: options.currentMaritalStatus![0]!,
  purpose: options.purpose![0]!,
})
let options: Record<string, string[]> = {}

async function counter(documents: { document: number; fileId: string }[] = []) {
  const response = await t.app.inject({
    method: 'POST',
    url: '/api/v1/dossiers',
    headers: as('motcua.thucphan'),
    payload: {
      procedureCode: '1.004873',
      unitId: units.ward,
      channel: 'counter',
      applicant: { name: 'Nguyễn Văn An', phone: '0912 000 001' },
      form: form(options),
      documents,
    },
  })
  expect(response.statusCode).toBe(201)
  return response.json().code as string
}

async function online() {
  const response = await t.app.inject({
    method: 'POST',
    url: '/api/v1/dossiers',
    headers: as('congdan'),
    payload: {
      procedureCode: '1.004873',
      unitId: units.ward,
      form: form(options),
      documents: await requiredDocuments(t, tokens.congdan!, '1.004873', await samplePdf()),
    },
  })
  expect(response.statusCode).toBe(201)
  return response.json().code as string
}

async function act(code: string, username: string, action: string, note?: string) {
  const response = await t.app.inject({
    method: 'POST',
    url: `/api/v1/dossiers/${code}/actions`,
    headers: as(username),
    payload: note ? { action, note } : { action },
  })
  expect(response.statusCode, response.body).toBe(200)
}

async function cash(code: string) {
  const response = await t.app.inject({
    method: 'POST',
    url: `/api/v1/dossiers/${code}/cash-payment`,
    headers: as('motcua.thucphan'),
    payload: { reference: `BL-${code.slice(-4)}` },
  })
  expect(response.statusCode, response.body).toBe(200)
}

/**
 * Intake to result through every step of the standard workflow. A counter dossier pays in cash before its result;
 * an online one, paid already, gets an electronic result.
 */
async function resolve(code: string, online = false) {
  await act(code, 'motcua.thucphan', 'forward')
  await act(code, 'chuyenvien.thucphan', 'forward')
  await act(code, 'lanhdao.thucphan', 'approve')
  if (!online) await cash(code)
  else {
    // An online applicant gets the result online: signed, generated from the procedure's template.
    const { payload, contentType } = multipartBody({ generate: 'true', validUntil: '2027-12-31' }, [])
    const issued = await t.app.inject({
      method: 'POST',
      url: `/api/v1/dossiers/${code}/results`,
      headers: { ...as('motcua.thucphan'), 'content-type': contentType },
      payload,
    })
    expect(issued.statusCode, issued.body).toBe(201)
  }
  await act(code, 'motcua.thucphan', 'return_result')
}

/** Waits until the consumer has applied every committed event of the outbox (polling, with a time limit). */
async function caughtUp() {
  const deadline = Date.now() + 20_000
  for (;;) {
    const state = await sql<{ unsequenced: boolean; head: number; cursor: number | null }>`
      select exists (select 1 from outbox where seq is null) as unsequenced,
        (select coalesce(max(seq), 0) from outbox) as head,
        (select last_seq from outbox_cursors where consumer = ${INDICATORS_CONSUMER}) as cursor`.execute(
      t.database.db,
    )
    const { unsequenced, head, cursor } = state.rows[0]!
    if (!unsequenced && cursor !== null && cursor >= head) return
    if (Date.now() > deadline) throw new Error(`projection behind: cursor ${cursor}, head ${head}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

async function stats(username: string, query: string) {
  return t.app.inject({ url: `/api/v1/stats/dossiers?${query}`, headers: as(username) })
}

beforeAll(async () => {
  t = await createTestApp({ clock: () => now })
  for (const username of [
    'quantri',
    'motcua.thucphan',
    'chuyenvien.thucphan',
    'lanhdao.thucphan',
    'congdan',
    'chuyenvien.sokhcn',
  ]) {
    tokens[username] = await apiToken(t, username)
  }
  const rows = await sql<{ key: string; id: string }>`
    select key, id from org_units where key in ('ubnd-tinh', 'phuong-thuc-phan', 'so-khcn', 'xa-bao-lam')`.execute(
    t.database.db,
  )
  for (const row of rows.rows) units[row.key] = row.id
  units.province = units['ubnd-tinh']!
  units.ward = units['phuong-thuc-phan']!
  const procedure = (await t.app.inject({ url: '/api/v1/procedures/1.004873' })).json()
  options = Object.fromEntries(
    procedure.form.map((f: { name: string; options: string[] }) => [f.name, f.options]),
  )
  await t.app.jobs.start()

  // Friday 27/11: A (scanned at the counter) is resolved the same day, before its due day.
  codes.a = await counter(
    await requiredDocuments(t, tokens['motcua.thucphan']!, '1.004873', await samplePdf()),
  )
  await resolve(codes.a)
  codes.b = await counter()
  codes.d = await counter()
  codes.e = await counter()
  await act(codes.e, 'motcua.thucphan', 'withdraw', 'Người nộp xin rút hồ sơ')
  codes.g = await counter()
  await act(codes.g, 'motcua.thucphan', 'request_supplement', 'Bổ sung bản sao giấy khai sinh')
  // C online: the fee is due before intake, paid at the desk.
  codes.c = await online()
  await cash(codes.c)
  await act(codes.c, 'motcua.thucphan', 'receive')
  // F online, never taken in.
  codes.f = await online()

  // Wednesday 2/12, 15:00: B is resolved on its due day.
  now = new Date('2026-12-02T08:00:00Z')
  await resolve(codes.b)
  // Thursday 3/12, 09:00: C gets its signed electronic result a day late, and its applicant rates it; H arrives;
  // D is now overdue.
  now = new Date('2026-12-03T02:00:00Z')
  await resolve(codes.c, true)
  const rating = await t.app.inject({
    method: 'POST',
    url: `/api/v1/dossiers/${codes.c}/rating`,
    headers: as('congdan'),
    payload: { c1: 0, c2: 1, c3: 2, c4: 2, c6: 2, c7: 2 },
  })
  expect(rating.statusCode, rating.body).toBe(201)
  codes.h = await counter()

  // An online payment, as the payments module records it on the dossier (dossiers.recordPayment).
  await emitEvent(t.database.db, 'dossier.fee_paid', {
    code: codes.d,
    unitId: units.ward,
    amount: 15000,
    online: true,
    reference: 'SANDBOX-0001',
    at: '2026-11-30T02:00:00.000Z',
  })
  await caughtUp()
})
afterAll(() => t.close())

const EXPECTED = {
  received: { total: 7, online: 1, counter: 6 },
  resolved: { total: 3, early: 1, onTime: 1, late: 1 },
  rejected: 0,
  withdrawn: 1,
  inProgress: { total: 3, onTime: 1, overdue: 1, paused: 1 },
  awaitingIntake: 1,
  digitisation: { counterReceived: 6, digitised: 1 },
  results: { total: 3, electronic: 1 },
  fees: { dossiers: 7, paidOnline: 1 },
  ratings: { count: 1, total: 9, max: 12 },
}

describe('figures', () => {
  it('counts the dossiers moved through the workflow, for the ward and for the province above it', async () => {
    for (const [username, unit] of [
      ['motcua.thucphan', units.ward],
      ['quantri', units.province],
    ] as const) {
      const response = await stats(username, `unit=${unit}&${PERIOD}`)
      expect(response.statusCode).toBe(200)
      const figures = response.json<Figures>()
      expect(figures.measures).toMatchObject(EXPECTED)
      expect(figures.shares.onTime).toEqual({ numerator: 2, denominator: 3, percent: 66.7 })
      expect(figures.shares.online).toEqual({ numerator: 1, denominator: 7, percent: 14.3 })
      expect(figures.shares.digitised.percent).toBe(16.7)
      expect(figures.shares.paidOnline.percent).toBe(14.3)
      expect(figures.shares.electronicResults.percent).toBe(33.3)
      expect(figures.shares.satisfaction.percent).toBe(75)
      expect(figures.pendingEvents).toBe(0)
    }
  })

  it("defaults to the caller's own unit and the current month", async () => {
    const figures = (await stats('motcua.thucphan', '')).json<Figures>()
    expect(figures.unit.id).toBe(units.ward)
    expect(figures.period).toEqual({ from: '2026-12-01', to: '2026-12-31', days: 31 })
    // In December: B and C resolved with their results, H received; A, D, E, G were received in November.
    expect(figures.measures.received.total).toBe(1)
    expect(figures.measures.resolved).toEqual({ total: 2, early: 0, onTime: 1, late: 1 })
    expect(figures.measures.results).toEqual({ total: 2, electronic: 1 })
    expect(figures.measures.ratings.count).toBe(1)
    expect((await stats('quantri', '')).json<Figures>().unit.id).toBe(units.province)
  })

  it('counts each day in Việt Nam time: a period ending 27/11 holds only that day', async () => {
    const figures = (
      await stats('quantri', `unit=${units.ward}&from=2026-11-27&to=2026-11-27`)
    ).json<Figures>()
    expect(figures.measures.received).toEqual({ total: 6, online: 1, counter: 5 })
    expect(figures.measures.resolved.total).toBe(1)
    expect(figures.measures.ratings.count).toBe(0)
    expect(figures.measures.results).toEqual({ total: 1, electronic: 0 })
  })

  it('adds the days of partial months to the whole months in between', async () => {
    const figures = (
      await stats('quantri', `unit=${units.ward}&from=2026-10-31&to=2026-12-02`)
    ).json<Figures>()
    // 27/11 to 2/12: everything but H (received 3/12) and C's result (3/12).
    expect(figures.measures.received.total).toBe(6)
    expect(figures.measures.resolved).toEqual({ total: 2, early: 1, onTime: 1, late: 0 })
    const edges = (await stats('quantri', `unit=${units.ward}&from=2026-11-28&to=2026-12-02`)).json<Figures>()
    expect(edges.measures.received.total).toBe(0)
    expect(edges.measures.resolved.total).toBe(1)
  })

  it('reports the QĐ 766 groups with their maxima, and marks what is estimated or not measured', async () => {
    const { qd766 } = (await stats('quantri', `unit=${units.ward}&${PERIOD}`)).json<Figures>()
    expect(qd766.groups.map((g) => [g.id, g.maxPoints])).toEqual([
      ['1', 18],
      ['2', 20],
      ['3', 22],
      ['4a', 12],
      ['4b', 10],
      ['5', 18],
    ])
    expect(qd766.maxPoints).toBe(100)
    const byId = Object.fromEntries(qd766.groups.map((g) => [g.id, g]))
    expect(byId['1']!.points).toBeNull()
    expect(byId['1']!.components.every((c) => !c.measured && c.value === null)).toBe(true)
    expect(byId['2']!.points).toBe(13.34)
    expect(byId['4b']!.points).toBe(1.43)
    expect(byId['3']!.points).toBeNull()
    expect(qd766.groups.flatMap((g) => g.components).every((c) => c.confirmed === false)).toBe(true)
    expect(qd766.groups.every((g) => g.maxConfirmed)).toBe(true)
    expect(qd766.note).toMatch(/CHƯA được xác nhận/)
  })

  it('counts an event delivered twice once', async () => {
    const consumer = createIndicatorsConsumer({ db: t.database.db, clock: () => now })
    const measures = async () =>
      (await stats('quantri', `unit=${units.ward}&${PERIOD}`)).json<Figures>().measures
    const before = await measures()

    // Every event of C delivered again, each twice: all were applied already.
    const rows = await sql<{ id: number; seq: number; topic: string; payload: unknown; created_at: Date }>`
      select id, seq, topic, payload, created_at from outbox
      where payload->>'code' = ${codes.c} order by seq`.execute(t.database.db)
    expect(rows.rows.length).toBeGreaterThan(5)
    for (const row of rows.rows) {
      const event = {
        id: row.id,
        seq: row.seq,
        topic: row.topic,
        payload: row.payload,
        createdAt: row.created_at,
      } as IndicatorEvent
      await consumer.handle(event)
      await consumer.handle(event)
    }
    expect(await measures()).toEqual(before)

    // A new event (G paid online, after the last one the outbox holds), delivered twice: it counts once.
    const head = (await sql<{ head: number }>`select max(seq) as head from outbox`.execute(t.database.db))
      .rows[0]!.head
    const paid = {
      id: head + 1000,
      seq: head + 1000,
      topic: 'dossier.fee_paid',
      createdAt: now,
      payload: {
        code: codes.g!,
        unitId: units.ward!,
        amount: 15000,
        online: true,
        reference: 'SANDBOX-0002',
        at: now.toISOString(),
      },
    } satisfies IndicatorEvent
    await consumer.handle(paid)
    const once = await measures()
    await consumer.handle(paid)
    expect(await measures()).toEqual(once)
    expect(once.fees).toEqual({ dossiers: before.fees.dossiers, paidOnline: before.fees.paidOnline + 1 })
  })
})

describe('who sees what', () => {
  it("refuses another unit's figures to an officer, and all figures to citizens and anonymous callers", async () => {
    const stranger = await stats('chuyenvien.sokhcn', `unit=${units.ward}`)
    expect(stranger.statusCode).toBe(403)
    expect(stranger.json().error.message).toBe('Bạn không có quyền xem số liệu của đơn vị này.')
    expect((await stats('chuyenvien.sokhcn', `unit=${units.province}`)).statusCode).toBe(403)
    const own = (await stats('chuyenvien.sokhcn', '')).json<Figures>()
    expect(own.unit.id).toBe(units['so-khcn'])
    expect(own.measures.received.total).toBe(0)
    expect((await stats('congdan', '')).statusCode).toBe(403)
    expect((await t.app.inject({ url: '/api/v1/stats/dossiers' })).statusCode).toBe(401)

    const visitor = new Visitor(t.app)
    await visitor.login('chuyenvien.sokhcn')
    expect((await visitor.get(`/admin/indicators?unit=${units.ward}`)).statusCode).toBe(403)
  })

  it('answers bad dates, a reversed or too long period and an unknown unit in Vietnamese', async () => {
    const bad = await stats('quantri', 'from=2026-13-01')
    expect(bad.statusCode).toBe(422)
    expect(bad.json().error.details.fields.from).toBe(
      'Ngày bắt đầu (from) không hợp lệ: dùng dạng YYYY-MM-DD, ví dụ 2026-11-01.',
    )
    const reversed = await stats('quantri', 'from=2026-12-01&to=2026-11-01')
    expect(reversed.statusCode).toBe(422)
    expect(reversed.json().error.message).toBe('Ngày kết thúc (to) phải bằng hoặc sau ngày bắt đầu (from).')
    const long = await stats('quantri', 'from=2025-01-01&to=2026-01-02')
    expect(long.statusCode).toBe(422)
    expect(long.json().error.message).toBe('Khoảng thời gian tối đa 366 ngày; hãy chọn khoảng ngắn hơn.')
    expect((await stats('quantri', 'from=2024-01-01&to=2024-12-31')).statusCode).toBe(200)
    const unknown = await stats('quantri', 'unit=6f1c7a52-3f7e-4a53-9d0e-0c1b2a3d4e5f')
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json().error.message).toBe('Không tìm thấy đơn vị.')
    expect((await stats('quantri', 'unit=khong-phai-uuid')).statusCode).toBe(404)
  })
})

describe('the page', () => {
  it('shows exactly the numbers of the API, with accessible charts, under 50 KB', async () => {
    const visitor = new Visitor(t.app)
    await visitor.login('motcua.thucphan')
    const response = await visitor.get(`/admin/indicators?${PERIOD}`)
    expect(response.statusCode).toBe(200)
    expect(Buffer.byteLength(response.body)).toBeLessThan(50 * 1024)
    const page = html(response)
    const figures = (await stats('motcua.thucphan', PERIOD)).json<Figures>()
    expect(page.querySelector('h1')!.text).toBe(`Chỉ số phục vụ: ${figures.unit.name}`)

    const measure = (key: string) => page.querySelector(`tr[data-measure="${key}"] td`)!.text
    const m = figures.measures
    expect(measure('received.total')).toBe(formatCount(m.received.total, 'vi'))
    expect(measure('received.online')).toBe(formatCount(m.received.online, 'vi'))
    expect(measure('resolved.early')).toBe(formatCount(m.resolved.early, 'vi'))
    expect(measure('resolved.onTime')).toBe(formatCount(m.resolved.onTime, 'vi'))
    expect(measure('resolved.late')).toBe(formatCount(m.resolved.late, 'vi'))
    expect(measure('withdrawn')).toBe('1')
    expect(measure('inProgress.overdue')).toBe(formatCount(m.inProgress.overdue, 'vi'))
    expect(measure('inProgress.paused')).toBe('1')
    expect(measure('awaitingIntake')).toBe('1')
    expect(measure('digitisation.digitised')).toBe('1')
    expect(measure('ratings.points')).toBe('9 / 12')
    for (const [key, share] of Object.entries(figures.shares)) {
      const cells = page.querySelectorAll(`tr[data-share="${key}"] td`).map((td) => td.text)
      expect(cells).toEqual([
        formatCount(share.numerator, 'vi'),
        formatCount(share.denominator, 'vi'),
        formatPercent(share.percent, 'vi'),
      ])
    }
    expect(page.querySelector('tr[data-share="onTime"] td:last-child')!.text).toBe('66,7 %')
    expect(page.querySelectorAll('tbody[data-group="2"] tr')[0]!.querySelectorAll('td')[2]!.text).toBe(
      '13,34',
    )
    const criterion = (no: number) =>
      page.querySelectorAll(`tr[data-criterion="${no}"] td`).map((td) => td.text)
    expect(criterion(1)).toEqual(['1', '0'])
    expect(criterion(2)).toEqual(['1', '1'])
    expect(criterion(5)).toEqual(['0', '—'])

    const charts = page.querySelectorAll('svg[role="img"]')
    expect(charts.length).toBe(3)
    for (const chart of charts) {
      const [titleId, descId] = chart.getAttribute('aria-labelledby')!.split(' ')
      expect(chart.querySelector(`title#${titleId}`)!.text).not.toBe('')
      expect(chart.querySelector(`desc#${descId}`)!.text).toMatch(/^[^:]+: [^;]+(; [^:]+: [^;]+)+$/)
    }
    expect(page.querySelector('#shares-chart-desc')!.text).toContain('Hồ sơ giải quyết đúng hạn: 66,7 %')

    const english = html(
      await visitor.request({ url: `/admin/indicators?${PERIOD}`, cookies: { cb_lang: 'en' } }),
    )
    expect(english.querySelector('h1')!.text).toBe(`Service indicators: ${figures.unit.name}`)
    expect(english.querySelector('tr[data-share="onTime"] td:last-child')!.text).toBe('66.7%')
  })

  it('lists the departments and communes under the province, each linking to the same page for that unit', async () => {
    const visitor = new Visitor(t.app)
    await visitor.login('quantri')
    const response = await visitor.get(`/admin/indicators?${PERIOD}`)
    expect(response.statusCode).toBe(200)
    expect(Buffer.byteLength(response.body)).toBeLessThan(50 * 1024)
    const page = html(response)
    const rows = page.querySelectorAll('section[aria-labelledby="children"] tbody tr')
    const link = (unit: string) => page.querySelector(`tr[data-unit="${unit}"] a`)!
    expect(rows.length).toBeGreaterThan(70)
    expect(link(units['so-khcn']!).getAttribute('href')).toBe(
      `/admin/indicators?unit=${units['so-khcn']}&from=2026-11-01&to=2026-12-31`,
    )
    expect(link(units['xa-bao-lam']!).text).toBe('UBND xã Bảo Lâm')
    expect(page.querySelector(`tr[data-unit="${units.ward}"] td`)!.text).toBe('7')
    // Districts were abolished on 1/7/2025: not in a 2026 period.
    expect(
      page.querySelectorAll('section[aria-labelledby="children"] a').some((a) => a.text.includes('huyện')),
    ).toBe(false)

    const ward = await visitor.get(link(units.ward!).getAttribute('href')!)
    const wardPage = html(ward)
    expect(wardPage.querySelector('h1')!.text).toBe('Chỉ số phục vụ: Ủy ban nhân dân phường Thục Phán')
    expect(wardPage.querySelector('tr[data-measure="received.total"] td')!.text).toBe('7')
    expect(wardPage.querySelector('nav .breadcrumbs a')!.getAttribute('href')).toBe(
      `/admin/indicators?unit=${units.province}&from=2026-11-01&to=2026-12-31`,
    )
  })

  it('keeps the values and explains a bad date in an error summary', async () => {
    const visitor = new Visitor(t.app)
    await visitor.login('motcua.thucphan')
    const response = await visitor.get('/admin/indicators?from=31/02/2026&to=2026-12-01')
    expect(response.statusCode).toBe(400)
    const page = html(response)
    expect(page.querySelectorAll('.error-summary a').map((a) => a.getAttribute('href'))).toEqual(['#from'])
    expect(page.querySelector('input#from')!.getAttribute('value')).toBe('31/02/2026')
    expect(page.querySelector('input#to')!.getAttribute('value')).toBe('2026-12-01')
  })

  it('accepts a date typed as day/month/year and documents the API in OpenAPI', async () => {
    const figures = (await stats('quantri', 'from=1/11/2026&to=30/11/2026')).json<Figures>()
    expect(figures.period).toEqual({ from: '2026-11-01', to: '2026-11-30', days: 30 })
    const doc = (await t.app.inject({ url: '/api/openapi.json' })).json()
    expect(doc.paths['/stats/dossiers'].get.summary).toMatch(/^Chỉ số giải quyết hồ sơ/)
  })
})
