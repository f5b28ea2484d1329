import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiToken, createTestApp, html, Visitor, type TestApp } from '../../../test/app.js'
import { nationalStatus } from '../dossiers/index.js'
import { act, payCash, PROCEDURE, startReceiver, submitDossier } from '../../../test/lgsp.js'
import { portalDate } from './national-sync.messages.js'

type Call = { service: string; isUpdating?: string; data: Record<string, unknown>[] }

let t: TestApp
let portal: Awaited<ReturnType<typeof startReceiver>>
let failProgressOnce = true
const TOKEN = 'dvcqg-token-thu-nghiem-0001'
const poll = { timeout: 30_000, interval: 50 }
const call = (r: { body: string }) => JSON.parse(r.body) as Call

beforeAll(async () => {
  // The national endpoint answers 500 to the first progress update it gets, as a portal under maintenance would.
  portal = await startReceiver((request) => {
    if (call(request).service === 'CapNhatTienDoHoSoMC' && failProgressOnce) {
      failProgressOnce = false
      return 500
    }
    return 200
  })
  t = await createTestApp({
    env: {
      NATIONAL_PORTAL_URL: `${portal.url}/dvcqg/dongbo`,
      NATIONAL_PORTAL_TOKEN: TOKEN,
      NATIONAL_PORTAL_UNIT_CODES: 'phuong-thuc-phan=H14.TP01',
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
    portal.answer = () => 503
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

    portal.answer = () => 200
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
})
