import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiToken, createTestApp, html, Visitor, type TestApp } from '../../../test/app.js'
import { nationalStatus } from '../dossiers/index.js'
import { act, payCash, PROCEDURE, submitDossier } from '../../../test/lgsp.js'
import {
  portalOk,
  portalRefusal,
  startFakeServer,
  tookIt,
  type Answer,
} from '../../../test/national-portal.js'
import { portalDate } from './national-sync.messages.js'

type Call = { service: string; isUpdating?: string; data: Record<string, unknown>[] }

let t: TestApp
let portal: Awaited<ReturnType<typeof startFakeServer>> & { accepted(): { body: string }[] }
let failProgressOnce = true
const TOKEN = 'dvcqg-token-thu-nghiem-0001'
const poll = { timeout: 30_000, interval: 50 }
const call = (r: { body: string }) => JSON.parse(r.body) as Call

beforeAll(async () => {
  // The national endpoint answers 500 to the first progress update it gets, as a portal under maintenance would.
  const server = await startFakeServer((request): Answer => {
    if (call(request).service === 'CapNhatTienDoHoSoMC' && failProgressOnce) {
      failProgressOnce = false
      return { status: 500, body: 'Internal Server Error' }
    }
    return portalOk()
  })
  portal = Object.assign(server, { accepted: () => server.received.filter(tookIt) })
  t = await createTestApp({
    env: {
      NATIONAL_PORTAL_URL: `${portal.url}/dvcqg/dongbo`,
      NATIONAL_PORTAL_TOKEN: TOKEN,
      NATIONAL_PORTAL_UNIT_CODES: 'phuong-thuc-phan=H14.TP01',
      NATIONAL_PORTAL_RETRY_CODES: '99',
      PUBSUB_RETRY_MS: '30',
      PUBSUB_MAX_ATTEMPTS: '3',
    },
  })
  await t.app.jobs.start()
}, 120_000)

afterAll(async () => {
  await t?.close()
  await portal?.close()
})

describe('synchronisation with the national public-service portal', () => {
  it('sends a dossier submitted and processed through the application, field by field, in order, retrying a 500 once', async () => {
    const code = await submitDossier(t)
    await payCash(t, code)
    const received = await act(t, 'motcua.thucphan', code, { action: 'receive' })
    const forwarded = await act(t, 'motcua.thucphan', code, { action: 'forward' })
    await expect.poll(() => portal.accepted().length, poll).toBe(3)
    // The portal has answered; the platform records the answer just after, so wait for it to settle.
    const bearer = await apiToken(t, 'quantri')
    await expect
      .poll(
        async () =>
          (
            await t.app.inject({
              url: '/api/v1/national-sync/status',
              headers: { authorization: `Bearer ${bearer}` },
            })
          ).json<{ pending: number; delivered: number }>(),
        poll,
      )
      .toMatchObject({ pending: 0, delivered: 3 })

    const dossier = (
      await t.app.inject({
        url: `/api/v1/dossiers/${code}`,
        headers: { authorization: `Bearer ${await apiToken(t, 'congdan')}` },
      })
    ).json()
    const procedure = (await t.app.inject({ url: `/api/v1/procedures/${PROCEDURE}` })).json()
    const ward = (
      await sql<{ name: string }>`select name from org_units where key = 'phuong-thuc-phan'`.execute(
        t.database.db,
      )
    ).rows[0]!

    for (const request of portal.received) {
      expect(request.url).toBe('/dvcqg/dongbo')
      expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`)
      expect(request.headers['content-type']).toContain('application/json')
    }
    const accepted = portal.accepted().map(call)
    expect(accepted.map((c) => c.service)).toEqual([
      'DongBoHoSoMC',
      'CapNhatTienDoHoSoMC',
      'CapNhatTienDoHoSoMC',
    ])

    const sync = accepted[0]!
    expect(sync.isUpdating).toBe('False')
    expect(sync.data).toHaveLength(1)
    const d = sync.data[0]!
    expect(d.MaHoSo).toBe(code)
    expect(d.MaTTHC).toBe(PROCEDURE)
    expect(d.TenTTHC).toBe(procedure.name)
    expect(d.TenLinhVuc).toBe(procedure.field)
    expect(d.KenhThucHien).toBe(2)
    expect(d.TrangThaiHoSo).toBe(1)
    expect(d.NgayTiepNhan).toMatch(/^\d{14}$/)
    expect(d.NgayTiepNhan).toBe(portalDate(dossier.receivedAt))
    expect(d.NgayHenTra).toBe(portalDate(dossier.dueAt))
    expect(d.NgayTra).toBe('')
    expect(d.DonViXuLy).toBe('H14.TP01')
    expect(d.TrichYeuHoSo).toBe(procedure.name)
    // The demo citizen's phone, from the event's internal part (never sent to outside subscribers).
    expect(d.SoDienThoai).toBe('0912000001')
    // The applicant from the verified account: name and personal ID number.
    expect(d.ChuHoSo).toBe('Nguyễn Văn An')
    expect(d.MaDoiTuong).toBe('004090000001')
    expect(d.LoaiDoiTuong).toBe(0)
    expect(d.TaiLieuNop).toEqual([])

    const [toReceived, toForwarded] = accepted.slice(1).map((c) => c.data[0]!)
    expect(toReceived).toMatchObject({
      MaHoSo: code,
      TrangThai: nationalStatus[received.status as keyof typeof nationalStatus],
      NoiDungXuLy: 'Tiếp nhận hồ sơ',
      PhongBanXuLy: ward.name,
    })
    expect(toReceived!.TrangThai).toBe(2)
    expect(toReceived!.ThoiDiemXuLy).toMatch(/^\d{14}$/)
    expect(toForwarded).toMatchObject({
      MaHoSo: code,
      TrangThai: nationalStatus[forwarded.status as keyof typeof nationalStatus],
      NoiDungXuLy: 'Chuyển xử lý',
    })
    expect(Number(toForwarded!.ThoiDiemXuLy)).toBeGreaterThanOrEqual(Number(toReceived!.ThoiDiemXuLy))

    // The refused update came again and was accepted once, before the next one: nothing lost, nothing doubled.
    expect(
      portal.received.map((r) => [
        call(r).service,
        call(r).data[0]!.TrangThai ?? call(r).data[0]!.TrangThaiHoSo,
        r.status,
      ]),
    ).toEqual([
      ['DongBoHoSoMC', 1, 200],
      ['CapNhatTienDoHoSoMC', 2, 500],
      ['CapNhatTienDoHoSoMC', 2, 200],
      ['CapNhatTienDoHoSoMC', toForwarded!.TrangThai, 200],
    ])
    const state = await sql<{ last_status: number; calls: number }>`
      select last_status, calls from national_sync_dossiers where code = ${code}`.execute(t.database.db)
    expect(state.rows).toEqual([{ last_status: toForwarded!.TrangThai, calls: 3 }])
    const log = await sql<{ ok: boolean; http_status: number }>`
      select ok, http_status from national_sync_calls where dossier_code = ${code} order by id`.execute(
      t.database.db,
    )
    expect(log.rows.map((r) => r.http_status)).toEqual([200, 500, 200, 200])
  })

  it('shows administrators the queue, the calls and their errors', async () => {
    const admin = new Visitor(t.app)
    await admin.login('quantri')
    const page = await admin.get('/admin/lgsp/national-sync')
    expect(page.statusCode).toBe(200)
    const doc = html(page)
    expect(doc.querySelector('#sync-state')!.text).toContain(`${portal.url}/dvcqg/dongbo`)
    expect(doc.querySelector('[data-count="delivered"]')!.text).toBe('3')
    expect(doc.querySelector('[data-count="dead"]')!.text).toBe('0')
    expect(doc.querySelectorAll('#calls tbody tr')).toHaveLength(4)
    expect(doc.querySelector('#calls tr[data-ok="false"]')!.text).toContain(
      'Cổng DVC quốc gia trả về HTTP 500',
    )
    // The portal's own result code and message of the calls it took.
    expect(doc.querySelector('#calls tr[data-ok="true"]')!.text).toContain('Đồng bộ thành công')
    expect(doc.querySelector('#sync-auth')!.text).toContain('token cố định')
    expect(page.body).not.toContain(TOKEN)
    const status = await t.app.inject({
      url: '/api/v1/national-sync/status',
      headers: { authorization: `Bearer ${await apiToken(t, 'quantri')}` },
    })
    expect(status.json()).toMatchObject({ enabled: true, pending: 0, delivered: 3, failed: 0, dossiers: 1 })

    const official = new Visitor(t.app)
    await official.login('qt.sokhcn')
    expect((await official.get('/admin/lgsp/national-sync')).statusCode).toBe(403)
  })

  it('keeps the events of a dossier while the portal is down, shows the failures, and sends them in order after a re-drive', async () => {
    portal.answer = () => ({ status: 503, body: 'Service Unavailable' })
    const before = portal.received.length
    const code = await submitDossier(t)
    await payCash(t, code)
    await act(t, 'motcua.thucphan', code, { action: 'receive' })
    const admin = new Visitor(t.app)
    await admin.login('quantri')
    const counts = async () => {
      const doc = html(await admin.get('/admin/lgsp/national-sync'))
      return {
        dead: doc.querySelector('[data-count="dead"]')!.text,
        pending: doc.querySelector('[data-count="pending"]')!.text,
      }
    }
    await expect.poll(counts, poll).toEqual({ dead: '2', pending: '0' })
    // Three attempts for each of the two events, none accepted.
    expect(portal.received.slice(before).map((r) => r.status)).toEqual([503, 503, 503, 503, 503, 503])
    const page = html(await admin.get('/admin/lgsp/national-sync'))
    expect(page.querySelectorAll('#dead tbody tr').map((row) => row.querySelectorAll('td')[1]!.text)).toEqual(
      [code, code],
    )
    expect(page.querySelector('#dead')!.text).toContain('Cổng DVC quốc gia trả về HTTP 503')

    portal.answer = () => portalOk()
    const redrive = await admin.post('/admin/lgsp/national-sync/redrive', {})
    expect(redrive.statusCode).toBe(303)
    await expect.poll(counts, poll).toEqual({ dead: '0', pending: '0' })
    const sent = portal
      .accepted()
      .map(call)
      .filter((c) => c.data[0]!.MaHoSo === code)
      .map((c) => [c.service, c.isUpdating ?? null, c.data[0]!.TrangThaiHoSo ?? c.data[0]!.TrangThai])
    expect(sent).toEqual([
      ['DongBoHoSoMC', 'False', 1],
      ['CapNhatTienDoHoSoMC', null, 2],
    ])
  })

  it("dead-letters at once a dossier the portal refuses, shows the portal's reason, and sends it after a re-drive", async () => {
    const REASON = 'Thủ tục 1.004873 chưa được công bố trên CSDL quốc gia về TTHC'
    portal.answer = (request) =>
      call(request).service === 'DongBoHoSoMC' ? portalRefusal('500', REASON) : portalOk()
    const admin = new Visitor(t.app)
    await admin.login('quantri')
    const bearer = await apiToken(t, 'quantri')
    const status = async () =>
      (
        await t.app.inject({
          url: '/api/v1/national-sync/status',
          headers: { authorization: `Bearer ${bearer}` },
        })
      ).json<{
        delivered: number
        deadLetters: { deliveryId: number; dossierCode: string; attempts: number; error: string }[]
      }>()
    const delivered = (await status()).delivered
    const before = portal.received.length
    const code = await submitDossier(t)
    const deadRow = async () =>
      html(await admin.get('/admin/lgsp/national-sync'))
        .querySelectorAll('#dead tbody tr')
        .find((row) => row.querySelectorAll('td')[1]!.text === code)
    await expect.poll(async () => (await deadRow()) !== undefined, poll).toBe(true)

    // One call, refused, not retried: the operator reads the portal's reason on the page and in the API.
    expect(portal.received.slice(before).map((r) => [call(r).service, r.status])).toEqual([
      ['DongBoHoSoMC', 200],
    ])
    const cells = (await deadRow())!.querySelectorAll('td').map((td) => td.text)
    expect(cells[2]).toBe('1')
    expect(cells[3]).toBe(`Cổng DVC quốc gia từ chối DongBoHoSoMC (mã 500): ${REASON}`)
    const api = await status()
    expect(api.delivered).toBe(delivered)
    expect(api.deadLetters.find((d) => d.dossierCode === code)).toMatchObject({
      attempts: 1,
      error: `Cổng DVC quốc gia từ chối DongBoHoSoMC (mã 500): ${REASON}`,
    })
    const known = sql<{
      n: number
    }>`select count(*)::int as n from national_sync_dossiers where code = ${code}`
    expect((await known.execute(t.database.db)).rows[0]!.n).toBe(0)
    const page = html(await admin.get('/admin/lgsp/national-sync'))
    const refusedCall = page
      .querySelectorAll('#calls tr[data-ok="false"]')
      .find((row) => row.text.includes(code))!
    expect(refusedCall.querySelectorAll('td').map((td) => td.text)).toEqual([
      expect.any(String),
      code,
      'DongBoHoSoMC',
      '200',
      '500',
      `Lỗi: Cổng DVC quốc gia từ chối DongBoHoSoMC (mã 500): ${REASON}`,
    ])

    // The procedure published at the national level, the operator sends it again: taken this time.
    portal.answer = () => portalOk()
    const deliveryId = (await deadRow())!.getAttribute('data-delivery')!
    expect((await admin.post('/admin/lgsp/national-sync/redrive', { deliveryId })).statusCode).toBe(303)
    await expect.poll(async () => (await known.execute(t.database.db)).rows[0]!.n, poll).toBe(1)
    await expect.poll(async () => (await status()).delivered, poll).toBe(delivered + 1)
    expect(await deadRow()).toBeUndefined()
  })

  it('retries an answer that says "later" or cannot be read, and delivers the dossier once the portal takes it', async () => {
    const answers: Answer[] = [
      portalRefusal('99', 'Hệ thống đang bảo trì, vui lòng gửi lại sau'),
      { body: '<html><body>Bảo trì hệ thống</body></html>', contentType: 'text/html' },
    ]
    portal.answer = () => answers.shift() ?? portalOk()
    const before = portal.received.length
    const code = await submitDossier(t)
    const delivery = sql<{ state: string; attempts: number }>`
      select state, attempts from pubsub_deliveries where key = ${code}`
    await expect
      .poll(async () => (await delivery.execute(t.database.db)).rows, poll)
      .toEqual([{ state: 'delivered', attempts: 3 }])

    expect(portal.received.slice(before).map((r) => [call(r).data[0]!.MaHoSo, tookIt(r)])).toEqual([
      [code, false],
      [code, false],
      [code, true],
    ])
    const log = await sql<{ ok: boolean; portal_code: string | null; error: string | null }>`
      select ok, portal_code, error from national_sync_calls where dossier_code = ${code} order by id`.execute(
      t.database.db,
    )
    expect(log.rows).toEqual([
      {
        ok: false,
        portal_code: '99',
        error:
          'Cổng DVC quốc gia tạm chưa nhận DongBoHoSoMC (mã 99): Hệ thống đang bảo trì, vui lòng gửi lại sau',
      },
      {
        ok: false,
        portal_code: null,
        error:
          'Cổng DVC quốc gia trả lời DongBoHoSoMC không phải JSON: "<html><body>Bảo trì hệ thống</body></html>"',
      },
      { ok: true, portal_code: '0', error: null },
    ])
    const state = await sql<{ last_status: number }>`
      select last_status from national_sync_dossiers where code = ${code}`.execute(t.database.db)
    expect(state.rows).toEqual([{ last_status: 1 }])
  })
})
