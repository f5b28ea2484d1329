import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  apiToken,
  createTestApp,
  errorSummary,
  html,
  multipartBody,
  requiredDocuments,
  Visitor,
  type TestApp,
} from '../../../test/app.js'
import { samplePdf, samplePng } from '../../../test/files.js'
import { pdfsig, pdfText, skipWithoutPoppler } from '../../../test/pdf.js'
import { SigningKeys, verifyPdf } from '../../platform/signing/index.js'

const now = new Date('2026-11-27T02:00:00Z')
let t: TestApp
let wardId = ''
const tokens: Record<string, string> = {}
let answers: Record<string, string> = {}
let pdf: Buffer

const as = (username: string) => ({ authorization: `Bearer ${tokens[username]}` })

async function act(code: string, username: string, body: Record<string, unknown>) {
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/dossiers/${code}/actions`,
    headers: as(username),
    payload: body,
  })
}

/** An online application by the demo citizen, paid and carried to the leader's approval. */
async function approvedOnlineDossier(): Promise<string> {
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/v1/dossiers',
    headers: as('congdan'),
    payload: {
      procedureCode: '1.004873',
      unitId: wardId,
      form: answers,
      documents: await requiredDocuments(t, tokens.congdan!, '1.004873', pdf),
    },
  })
  expect(created.statusCode).toBe(201)
  const code = created.json().code as string
  await t.app.inject({
    method: 'POST',
    url: `/api/v1/dossiers/${code}/cash-payment`,
    headers: as('motcua.thucphan'),
    payload: { reference: `BL-${code.slice(-4)}` },
  })
  for (const [user, action] of [
    ['motcua.thucphan', 'receive'],
    ['motcua.thucphan', 'forward'],
    ['chuyenvien.thucphan', 'forward'],
    ['lanhdao.thucphan', 'approve'],
  ] as const) {
    expect((await act(code, user, { action })).statusCode).toBe(200)
  }
  return code
}

beforeAll(async () => {
  t = await createTestApp({ clock: () => now })
  const units = (await t.app.inject({ url: '/api/v1/units' })).json().items as { id: string; key: string }[]
  wardId = units.find((u) => u.key === 'phuong-thuc-phan')!.id
  for (const u of ['congdan', 'motcua.thucphan', 'chuyenvien.thucphan', 'lanhdao.thucphan']) {
    tokens[u] = await apiToken(t, u)
  }
  const procedure = (await t.app.inject({ url: '/api/v1/procedures/1.004873' })).json()
  const options = Object.fromEntries(
    procedure.form.map((f: { name: string; options: string[] }) => [f.name, f.options]),
  ) as Record<string, string[]>
  answers = {
    applicantFullName: 'Nguyễn Văn An',
    applicantIdNumber: '004090000001',
    applicantBirthDate: '1990-05-01',
    currentMaritalStatus: options.currentMaritalStatus![0]!,
    purpose: options.purpose![0]!,
  }
  pdf = await samplePdf()
})
afterAll(() => t.close())

describe('results', () => {
  let code = ''
  let resultUrl = ''

  it('will not return an online dossier without an electronic result', async () => {
    code = await approvedOnlineDossier()
    const early = await act(code, 'motcua.thucphan', { action: 'return_result' })
    expect(early.statusCode).toBe(409)
    expect(early.json().error.message).toMatch(/^Hồ sơ nộp trực tuyến: cần phát hành kết quả điện tử/)
  })

  it('generates the result from the procedure template, signed by the unit, then returns it', async () => {
    const desk = new Visitor(t.app)
    await desk.login('motcua.thucphan')
    await desk.get(`/dossiers/${code}`)
    const generated = await desk.upload(
      `/dossiers/${code}/results`,
      { generate: '1', validUntil: '2027-05-27' },
      [],
    )
    expect(generated.statusCode).toBe(303)
    const page = await desk.get(`/dossiers/${code}`)
    const item = html(page).querySelector('ul.results li')!
    expect(item.text).toContain('có chữ ký số')
    expect(item.text).toContain('27/05/2027')
    resultUrl = item.querySelector('a')!.getAttribute('href')!

    const file = await desk.get(resultUrl)
    expect(file.headers['content-type']).toBe('application/pdf')
    const keys = new SigningKeys({
      dir: t.config.signingDir,
      passphrase: t.config.signingPassword,
      generateTestCertificates: true,
    })
    const verdict = verifyPdf(file.rawPayload, [(await keys.testCaPem())!])
    expect(verdict.signatures[0]).toMatchObject({ valid: true, intact: true, trusted: true })
    if (!skipWithoutPoppler) {
      expect(pdfsig(file.rawPayload)).toContain('Signature is Valid.')
      const text = pdfText(file.rawPayload).replace(/\s+/g, ' ')
      expect(text).toContain(code)
      expect(text).toContain('Nguyễn Văn An')
    }

    expect((await act(code, 'motcua.thucphan', { action: 'return_result' })).json().status).toBe('returned')
    const events = await sql<{ payload: { electronic: boolean } }>`
      select payload from outbox where topic = 'dossier.result_issued' and payload->>'code' = ${code}`.execute(
      t.database.db,
    )
    expect(events.rows.map((r) => r.payload.electronic)).toEqual([true])
  })

  it('puts the result in the citizen’s data store, with its validity, and lets them download it', async () => {
    const citizen = new Visitor(t.app)
    await citizen.login('congdan')
    const store = await citizen.get('/account/store')
    const row = html(store).querySelector('table tbody tr')!
    expect(row.text).toContain(code)
    expect(row.text).toContain('có giá trị đến 27/05/2027')
    expect(html(store).querySelector('ul.files')!.text).toContain('giay-to-0.pdf')
    const download = await citizen.get(resultUrl)
    expect(download.statusCode).toBe(200)
    const stranger = new Visitor(t.app)
    await stranger.login('chuyenvien.sokhcn')
    expect((await stranger.get(resultUrl)).statusCode).toBe(403)
  })

  it('reuses the result and a stored document in a new application, and pre-fills the form', async () => {
    const citizen = new Visitor(t.app)
    await citizen.login('congdan')
    await citizen.get('/procedures/1.004873/apply/unit')
    await citizen.post('/procedures/1.004873/apply/unit', { unitId: wardId })
    const form = await citizen.get('/procedures/1.004873/apply/form')
    expect(html(form).querySelector('#applicantIdNumber')!.getAttribute('value')).toBe('004090000001')
    await citizen.post('/procedures/1.004873/apply/form', answers)
    const step = await citizen.get('/procedures/1.004873/apply/documents')
    const options = html(step)
      .querySelectorAll('#reuse-1 option')
      .map((o) => o.getAttribute('value')!)
    const result = options.find((v) => v.startsWith('result:'))!
    const document = options.find((v) => v.startsWith('file:'))!
    expect(result).toBeDefined()
    const reused = await citizen.upload(
      '/procedures/1.004873/apply/documents',
      { 'reuse-0': document, 'reuse-1': result, 'reuse-3': document },
      [],
    )
    expect(reused.statusCode).toBe(303)
    const check = await citizen.get('/procedures/1.004873/apply/check')
    expect(html(check).querySelector('main')!.text).toContain(`ket-qua-${code}.pdf`)
    const submitted = await citizen.post('/procedures/1.004873/apply/check', {})
    expect(submitted.statusCode).toBe(303)
    const newCode = decodeURIComponent(String(submitted.headers.location).split('/').pop()!)
    const dossier = await t.app.inject({ url: `/api/v1/dossiers/${newCode}`, headers: as('congdan') })
    expect(dossier.json().files.map((f: { document: number }) => f.document)).toEqual([0, 1, 3])
  })

  it('stores the scan of a paper result for a counter dossier, unsigned', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/dossiers',
      headers: as('motcua.thucphan'),
      payload: {
        procedureCode: '1.004873',
        unitId: wardId,
        channel: 'counter',
        applicant: { name: 'Bế Văn Đông', phone: '0912000003' },
        form: answers,
      },
    })
    const counter = created.json().code as string
    const desk = new Visitor(t.app)
    await desk.login('motcua.thucphan')
    await desk.get(`/dossiers/${counter}`)
    const early = await desk.upload(`/dossiers/${counter}/results`, { kind: 'scan' }, [
      { field: 'file', name: 'ket-qua.png', content: samplePng() },
    ])
    expect(early.statusCode).toBe(409)
    expect(errorSummary(early)[0]).toMatch(/^Chỉ lưu bản quét kết quả khi hồ sơ đã được phê duyệt/)

    for (const [user, action] of [
      ['motcua.thucphan', 'forward'],
      ['chuyenvien.thucphan', 'forward'],
      ['lanhdao.thucphan', 'approve'],
    ] as const) {
      expect((await act(counter, user, { action })).statusCode).toBe(200)
    }
    await desk.get(`/dossiers/${counter}`)
    const bad = await desk.upload(`/dossiers/${counter}/results`, { kind: 'scan' }, [
      { field: 'file', name: 'ket-qua.png', content: Buffer.from('không phải ảnh') },
    ])
    expect(bad.statusCode).toBe(422)
    expect(html(bad).querySelector('#resultFile-error')!.text).toMatch(/ket-qua\.png/)
    const scan = await desk.upload(
      `/dossiers/${counter}/results`,
      { kind: 'scan', title: 'Bản quét giấy xác nhận' },
      [{ field: 'file', name: 'ket-qua.png', content: samplePng() }],
    )
    expect(scan.statusCode).toBe(303)
    const read = await t.app.inject({ url: `/api/v1/dossiers/${counter}`, headers: as('motcua.thucphan') })
    expect(read.statusCode).toBe(200)
    const page = await desk.get(`/dossiers/${counter}`)
    const item = html(page).querySelector('ul.results li')!.text
    expect(item).toContain('Bản quét giấy xác nhận')
    expect(item).toContain('bản quét kết quả giấy')
    expect(item).not.toContain('có chữ ký số')
  })
})

describe('ratings', () => {
  it('takes one rating per returned dossier, on the criteria of TT 01/2018', async () => {
    const code = await approvedOnlineDossier()
    const citizen = new Visitor(t.app)
    await citizen.login('congdan')
    await citizen.get(`/dossiers/${code}`)
    const tooEarly = await citizen.post(`/dossiers/${code}/rating`, { c1: '2' })
    expect(tooEarly.statusCode).toBe(409)

    const desk = new Visitor(t.app)
    await desk.login('motcua.thucphan')
    await desk.get(`/dossiers/${code}`)
    await desk.upload(`/dossiers/${code}/results`, { kind: 'electronic' }, [
      { field: 'file', name: 'giay-xac-nhan.pdf', content: pdf },
    ])
    expect((await act(code, 'motcua.thucphan', { action: 'return_result' })).statusCode).toBe(200)

    const page = await citizen.get(`/dossiers/${code}`)
    expect(html(page).querySelectorAll('fieldset input[type="radio"]')).toHaveLength(18)
    const incomplete = await citizen.post(`/dossiers/${code}/rating`, { c1: '2', c2: '1' })
    expect(incomplete.statusCode).toBe(422)
    expect(errorSummary(incomplete)[0]).toBe(
      'Chọn một mức cho: Số lần phải liên hệ với nơi tiếp nhận để hoàn thiện hồ sơ.',
    )
    const rated = await citizen.post(`/dossiers/${code}/rating`, {
      c1: '2',
      c2: '2',
      c3: '1',
      c4: '2',
      c6: '2',
      c7: '2',
      comment: 'Cán bộ hướng dẫn tận tình.',
    })
    expect(rated.statusCode).toBe(303)
    const after = await citizen.get(`/dossiers/${code}`)
    expect(html(after).querySelector('#rating')!.text).toBe('Bạn đã đánh giá hồ sơ này: 11/12 điểm.')
    const again = await citizen.post(`/dossiers/${code}/rating`, {
      c1: '0',
      c2: '0',
      c3: '0',
      c4: '0',
      c6: '0',
      c7: '0',
    })
    expect(again.statusCode).toBe(409)
    const events = await sql<{ n: number }>`
      select count(*)::int as n from outbox where topic = 'dossier.rated' and payload->>'code' = ${code}`.execute(
      t.database.db,
    )
    expect(events.rows[0]!.n).toBe(1)
    // The officer cannot rate on the citizen's behalf.
    const officer = await desk.post(`/dossiers/${code}/rating`, { c1: '2' })
    expect(officer.statusCode).toBe(404)
  })
})

describe('results and ratings through the API', () => {
  it('generates a result, returns it, lists it on the dossier, and takes one rating', async () => {
    const code = await approvedOnlineDossier()
    const { payload, contentType } = multipartBody({ generate: 'true', validUntil: '2027-01-31' }, [])
    const issued = await t.app.inject({
      method: 'POST',
      url: `/api/v1/dossiers/${code}/results`,
      headers: { ...as('motcua.thucphan'), 'content-type': contentType },
      payload,
    })
    expect(issued.statusCode).toBe(201)
    expect(issued.json()).toMatchObject({ kind: 'electronic', signed: true, validUntil: '2027-01-31' })
    const specialist = await t.app.inject({
      method: 'POST',
      url: `/api/v1/dossiers/${code}/results`,
      headers: { ...as('chuyenvien.thucphan'), 'content-type': contentType },
      payload,
    })
    expect(specialist.statusCode).toBe(403)
    expect((await act(code, 'motcua.thucphan', { action: 'return_result' })).statusCode).toBe(200)
    const read = await t.app.inject({ url: `/api/v1/dossiers/${code}`, headers: as('congdan') })
    expect(read.json().results).toHaveLength(1)
    const file = await t.app.inject({ url: read.json().results[0].url, headers: as('congdan') })
    expect(file.headers['content-type']).toBe('application/pdf')

    const rating = { c1: 2, c2: 2, c3: 2, c4: 2, c6: 1, c7: 2 }
    const rate = () =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/dossiers/${code}/rating`,
        headers: as('congdan'),
        payload: rating,
      })
    expect((await rate()).json()).toEqual({ total: 11, max: 12 })
    const twice = await rate()
    expect(twice.statusCode).toBe(409)
    expect(twice.json().error.message).toBe('Hồ sơ này đã được đánh giá; mỗi hồ sơ chỉ đánh giá một lần.')
  })
})
