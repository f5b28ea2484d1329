import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, requiredDocuments, type TestApp } from '../../../test/app.js'
import { samplePdf } from '../../../test/files.js'
import { createIdentityModule } from '../identity/index.js'
import { createOrganisationModule } from '../organisation/index.js'

// 2026-11-27 is a Friday; 09:00 local time is before the 15:00 cut-off.
let now = new Date('2026-11-27T02:00:00Z')
let t: TestApp
const tokens: Record<string, string> = {}
let wardId = ''
let options: Record<string, string[]> = {}

beforeAll(async () => {
  t = await createTestApp({ clock: () => now })
  const deps = { db: t.database.db, config: t.config, clock: () => now }
  const organisation = createOrganisationModule(deps)
  const identity = createIdentityModule({ ...deps, organisation: organisation.service })
  for (const username of [
    'motcua.thucphan',
    'chuyenvien.thucphan',
    'lanhdao.thucphan',
    'congdan',
    'chuyenvien.sokhcn',
  ]) {
    const actor = await identity.auth.loadActorByUsername(username)
    tokens[username] = (
      await identity.auth.createToken(
        actor!,
        { name: 'test' },
        { actorId: actor!.userId, actorLabel: username, ip: null, requestId: null },
      )
    ).token
  }
  wardId = (
    await sql<{ id: string }>`select id from org_units where key = 'phuong-thuc-phan'`.execute(t.database.db)
  ).rows[0]!.id
  const procedure = (await t.app.inject({ url: '/api/v1/procedures/1.004873' })).json()
  options = Object.fromEntries(
    procedure.form.map((f: { name: string; options: string[] }) => [f.name, f.options]),
  )
})
afterAll(() => t.close())

const as = (username: string) => ({ authorization: `Bearer ${tokens[username]}` })
const form = () => ({
  applicantFullName: 'Nguyễn Văn An',
  applicantIdNumber: '004090000001',
  applicantBirthDate: '1990-05-01',
  currentMaritalStatus: options.currentMaritalStatus![0]!,
  purpose: options.purpose![0]!,
})
const counter = (extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  t.app.inject({
    method: 'POST',
    url: '/api/v1/dossiers',
    headers: { ...as('motcua.thucphan'), ...headers },
    payload: {
      procedureCode: '1.004873',
      unitId: wardId,
      channel: 'counter',
      applicant: { name: 'Nguyễn Văn An', phone: '0912 000 001' },
      form: form(),
      ...extra,
    },
  })
const cash = (code: string, username: string, reference: string) =>
  t.app.inject({
    method: 'POST',
    url: `/api/v1/dossiers/${code}/cash-payment`,
    headers: as(username),
    payload: { reference },
  })

const act = (code: string, username: string, body: Record<string, unknown>) =>
  t.app.inject({
    method: 'POST',
    url: `/api/v1/dossiers/${code}/actions`,
    headers: as(username),
    payload: body,
  })

describe('counter intake', () => {
  it('gives a TT 01/2018 code and a due date three working days on', async () => {
    const response = await counter()
    expect(response.statusCode).toBe(201)
    const body = response.json()
    expect(body.code).toMatch(/^\d{3}\.\d{2}\.\d{2}\.H14-261127-0001$/)
    expect(body).toMatchObject({
      status: 'received',
      nationalStatus: 2,
      channel: 'counter',
      countsFrom: '2026-11-27',
    })
    // Counting starts Monday 30/11; the third working day is Wednesday 2/12, due at 17:00.
    expect(body.dueAt).toBe('2026-12-02T10:00:00.000Z')
  })

  it('counts an intake after the cut-off from the next working day', async () => {
    now = new Date('2026-11-27T08:30:00Z') // 15:30 local
    try {
      const body = (await counter()).json()
      expect(body.countsFrom).toBe('2026-11-30')
      expect(body.code).toMatch(/-261130-0001$/)
      expect(body.dueAt).toBe('2026-12-03T10:00:00.000Z')
    } finally {
      now = new Date('2026-11-27T02:00:00Z')
    }
  })

  it('never gives two dossiers the same number under parallel submissions', async () => {
    const responses = await Promise.all(Array.from({ length: 12 }, () => counter()))
    const codes = responses.map((r) => r.json().code as string)
    expect(responses.every((r) => r.statusCode === 201)).toBe(true)
    expect(new Set(codes).size).toBe(12)
  })

  it('returns the first dossier when a submission is retried with the same Idempotency-Key', async () => {
    const first = await counter({}, { 'idempotency-key': 'thu-lai-0001' })
    const again = await counter({}, { 'idempotency-key': 'thu-lai-0001' })
    expect(first.statusCode).toBe(201)
    expect(again.statusCode).toBe(200)
    expect(again.json().code).toBe(first.json().code)
  })

  it('refuses missing applicant data and form fields with Vietnamese messages, saving nothing', async () => {
    const before = (await sql<{ n: number }>`select count(*)::int as n from dossiers`.execute(t.database.db))
      .rows[0]!.n
    const response = await counter({ applicant: { name: '' }, form: { applicantIdNumber: '12' } })
    expect(response.statusCode).toBe(422)
    const fields = response.json().error.details.fields
    expect(fields['applicant.name']).toBe('Nhập họ tên người nộp hồ sơ.')
    expect(fields['form.applicantFullName']).toMatch(/^Nhập /)
    expect(fields['form.applicantIdNumber']).toMatch(/không đúng định dạng/)
    const after = (await sql<{ n: number }>`select count(*)::int as n from dossiers`.execute(t.database.db))
      .rows[0]!.n
    expect(after).toBe(before)
  })

  it('refuses an unknown procedure', async () => {
    const response = await counter({ procedureCode: '9.888888' })
    expect(response.statusCode).toBe(422)
    expect(response.json().error.details.fields.procedureCode).toMatch(/Không có thủ tục/)
  })
})

describe('workflow', () => {
  it('moves a dossier through every step with the right roles and keeps the control slip', async () => {
    const code = (await counter()).json().code as string
    expect((await act(code, 'chuyenvien.thucphan', { action: 'forward' })).statusCode).toBe(403)
    expect((await act(code, 'motcua.thucphan', { action: 'forward' })).json().status).toBe('in_progress')
    expect((await act(code, 'chuyenvien.thucphan', { action: 'forward' })).json().step).toBe(2)
    const approved = await act(code, 'lanhdao.thucphan', { action: 'approve' })
    expect(approved.json()).toMatchObject({ status: 'approved', nationalStatus: 9 })
    // 1.004873 charges 15,000 đồng before intake; at the counter it may be paid later, but the result waits for it.
    const unpaid = await act(code, 'motcua.thucphan', { action: 'return_result' })
    expect(unpaid.statusCode).toBe(409)
    expect(unpaid.json().error.message).toBe(
      'Hồ sơ chưa nộp phí, lệ phí (15.000 đồng); chỉ trả kết quả sau khi đã nộp.',
    )
    const cashByExpert = await cash(code, 'chuyenvien.thucphan', 'BL-0001')
    expect(cashByExpert.statusCode).toBe(403)
    const paid = await cash(code, 'motcua.thucphan', 'BL-0001')
    expect(paid.json()).toMatchObject({ feeAmount: 15000, feePaidOnline: false })
    expect((await cash(code, 'motcua.thucphan', 'BL-0002')).statusCode).toBe(409)
    const returned = await act(code, 'motcua.thucphan', { action: 'return_result' })
    expect(returned.json()).toMatchObject({ status: 'returned', nationalStatus: 10 })
    const slip = await sql<{ action: string; on_time: boolean }>`
      select a.action, a.on_time from dossier_actions a join dossiers d on d.id = a.dossier_id
      where d.code = ${code} order by a.seq`.execute(t.database.db)
    expect(slip.rows.map((r) => r.action)).toEqual([
      'receive',
      'forward',
      'forward',
      'approve',
      'return_result',
    ])
    const events = await sql<{ n: number }>`
      select count(*)::int as n from outbox where topic = 'dossier.status_changed' and payload->>'code' = ${code}`.execute(
      t.database.db,
    )
    expect(events.rows[0]!.n).toBe(4)
  })

  it('answers an action the status does not allow with 409 naming the status and what is allowed', async () => {
    const code = (await counter()).json().code as string
    const response = await act(code, 'motcua.thucphan', { action: 'return_result' })
    expect(response.statusCode).toBe(409)
    expect(response.json().error.message).toMatch(
      /^Hồ sơ đang ở trạng thái "Đã tiếp nhận"; không thể "return_result". Các thao tác được phép: forward/,
    )
    expect(response.json().error.details.allowed).toContain('forward')
  })

  it('pauses for a supplement the applicant provides online, then restarts the clock', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/dossiers',
      headers: as('congdan'),
      payload: {
        procedureCode: '1.004873',
        unitId: wardId,
        form: form(),
        documents: await requiredDocuments(t, tokens.congdan!, '1.004873', await samplePdf()),
      },
    })
    expect(created.statusCode).toBe(201)
    const code = created.json().code as string
    expect(created.json()).toMatchObject({ status: 'submitted', nationalStatus: 1, channel: 'online' })
    // The fee of 1.004873 is due before intake.
    expect(created.json()).toMatchObject({ feeAmount: 15000, feeTiming: 'before_intake', feePaidAt: null })
    const early = await act(code, 'motcua.thucphan', { action: 'receive' })
    expect(early.statusCode).toBe(409)
    expect(early.json().error.message).toMatch(/^Hồ sơ chưa nộp phí, lệ phí \(15\.000 đồng\)/)
    await cash(code, 'motcua.thucphan', 'BL-0003')
    expect((await act(code, 'motcua.thucphan', { action: 'receive' })).statusCode).toBe(200)
    const noReason = await act(code, 'motcua.thucphan', { action: 'request_supplement' })
    expect(noReason.statusCode).toBe(422)
    const paused = await act(code, 'motcua.thucphan', {
      action: 'request_supplement',
      note: 'Bổ sung bản sao giấy khai sinh',
    })
    expect(paused.json()).toMatchObject({ status: 'supplement_requested', nationalStatus: 5 })
    // The officer cannot answer for the citizen.
    expect((await act(code, 'motcua.thucphan', { action: 'provide_supplement' })).statusCode).toBe(403)
    now = new Date('2026-12-01T02:00:00Z') // Tuesday
    try {
      const resumed = await act(code, 'congdan', { action: 'provide_supplement' })
      expect(resumed.json().status).toBe('received')
      expect(resumed.json().dueAt).toBe('2026-12-04T10:00:00.000Z')
    } finally {
      now = new Date('2026-11-27T02:00:00Z')
    }
  })
})

describe('who sees what', () => {
  it('keeps a dossier from an officer of another unit and lets the applicant see their own', async () => {
    const code = (await counter()).json().code as string
    const stranger = await t.app.inject({ url: `/api/v1/dossiers/${code}`, headers: as('chuyenvien.sokhcn') })
    expect(stranger.statusCode).toBe(403)
    const officer = await t.app.inject({
      url: `/api/v1/dossiers/${code}`,
      headers: as('chuyenvien.thucphan'),
    })
    expect(officer.statusCode).toBe(200)
    const citizen = await t.app.inject({ url: `/api/v1/dossiers/${code}`, headers: as('congdan') })
    expect(citizen.statusCode).toBe(403)
  })

  it('tracks publicly with the phone number, and refuses a wrong one without saying why', async () => {
    const code = (await counter()).json().code as string
    const found = await t.app.inject({ url: `/api/v1/track/${code}?phone=0912000001` })
    expect(found.statusCode).toBe(200)
    expect(found.json()).toMatchObject({ code, statusLabel: 'Đã tiếp nhận', nationalStatus: 2 })
    expect(JSON.stringify(found.json())).not.toContain('Nguyễn Văn An')
    const wrong = await t.app.inject({ url: `/api/v1/track/${code}?phone=0999999999` })
    expect(wrong.statusCode).toBe(404)
    expect(wrong.json().error.message).toMatch(/^Không tìm thấy hồ sơ/)
  })
})
