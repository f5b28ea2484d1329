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
import { eicar, skipWithoutClamd, startClamd, type Clamd } from '../../../test/clamd.js'
import { samplePdf, samplePng } from '../../../test/files.js'

// 1.004873 (xác nhận tình trạng hôn nhân) requires documents 0 (the declaration) and 3 (an identity paper).
const PROCEDURE = '1.004873'
const apply = (step: string) => `/procedures/${PROCEDURE}/apply/${step}`
const MAX = 64 * 1024

let t: TestApp
let wardId = ''
let pdf: Buffer
let png: Buffer
let answers: Record<string, string> = {}

const token = (username: string) => apiToken(t, username)

async function startApplication(citizen: Visitor) {
  await citizen.get(apply('unit'))
  await citizen.post(apply('unit'), { unitId: wardId })
  await citizen.get(apply('form'))
  const form = await citizen.post(apply('form'), answers)
  expect(form.headers.location).toBe(apply('documents'))
}

async function storedObjects(): Promise<number> {
  const rows = await sql<{ n: number }>`select count(*)::int as n from dossier_files`.execute(t.database.db)
  return rows.rows[0]!.n
}

beforeAll(async () => {
  t = await createTestApp({
    clock: () => new Date('2026-11-27T02:00:00Z'),
    env: { UPLOAD_MAX_BYTES: String(MAX) },
  })
  const units = (await t.app.inject({ url: '/api/v1/units' })).json().items as { id: string; key: string }[]
  wardId = units.find((u) => u.key === 'phuong-thuc-phan')!.id
  const procedure = (await t.app.inject({ url: `/api/v1/procedures/${PROCEDURE}` })).json()
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
  png = samplePng()
})
afterAll(() => t.close())

describe('attaching documents to an online application', () => {
  let code = ''

  it('checks each file by its content and size, keeps the good ones, and names what is missing', async () => {
    const citizen = new Visitor(t.app)
    await citizen.login('congdan')
    await startApplication(citizen)
    const page = await citizen.get(apply('documents'))
    expect(html(page).querySelector('h1')!.text).toBe('Bước 3/4: Đính kèm giấy tờ')
    expect(html(page).querySelectorAll('input[type="file"]')).toHaveLength(5)

    const mixed = await citizen.upload(apply('documents'), {}, [
      { field: 'doc-0', name: 'to-khai.pdf', content: pdf, type: 'application/pdf' },
      {
        field: 'doc-3',
        name: 'cccd.pdf',
        content: Buffer.from('đây không phải là PDF'),
        type: 'application/pdf',
      },
      {
        field: 'doc-1',
        name: 'lon.png',
        content: Buffer.concat([png, Buffer.alloc(MAX)]),
        type: 'image/png',
      },
    ])
    expect(mixed.statusCode).toBe(422)
    const problems = errorSummary(mixed)
    expect(problems).toHaveLength(2)
    expect(problems.join(' ')).toMatch(/cccd\.pdf/)
    expect(problems.join(' ')).toMatch(/64 KB|dung lượng/)
    // The good file was kept and is listed under its document.
    expect(html(mixed).querySelector('fieldset')!.text).toContain('to-khai.pdf')

    const incomplete = await citizen.upload(apply('documents'), {}, [])
    expect(incomplete.statusCode).toBe(422)
    expect(errorSummary(incomplete)).toEqual([
      expect.stringMatching(/^Thiếu giấy tờ bắt buộc: Giấy tờ tùy thân/),
    ])

    const done = await citizen.upload(apply('documents'), {}, [
      { field: 'doc-3', name: 'CCCD mặt trước.png', content: png, type: 'image/png' },
    ])
    expect(done.statusCode).toBe(303)
    expect(done.headers.location).toBe(apply('check'))

    const check = await citizen.get(apply('check'))
    const text = html(check).querySelector('main')!.text
    expect(text).toContain('to-khai.pdf')
    expect(text).toContain('CCCD mặt trước.png')

    const submitted = await citizen.post(apply('check'), {})
    expect(submitted.statusCode).toBe(303)
    code = decodeURIComponent(String(submitted.headers.location).split('/').pop()!)
    const dossier = await citizen.get(`/dossiers/${code}`)
    const links = html(dossier).querySelectorAll('ul.files a')
    expect(links.map((a) => a.text)).toEqual(['to-khai.pdf', 'CCCD mặt trước.png'])

    const download = await citizen.get(links[0]!.getAttribute('href')!)
    expect(download.statusCode).toBe(200)
    expect(download.headers['content-type']).toBe('application/pdf')
    expect(download.headers['content-disposition']).toContain("filename*=UTF-8''to-khai.pdf")
    expect(download.rawPayload.equals(pdf)).toBe(true)
  })

  it('lets the unit’s officer download the files, audited, and nobody else', async () => {
    const officer = new Visitor(t.app)
    await officer.login('motcua.thucphan')
    const page = await officer.get(`/dossiers/${code}`)
    const href = html(page).querySelectorAll('ul.files a')[1]!.getAttribute('href')!
    const download = await officer.get(href)
    expect(download.statusCode).toBe(200)
    expect(download.rawPayload.equals(png)).toBe(true)
    const audited = await t.app.inject({ url: '/api/v1/units' })
    expect(audited.statusCode).toBe(200)
    const entries = await sql<{ n: number }>`
      select count(*)::int as n from audit_pending where action = 'personal_data.file_downloaded'`.execute(
      t.database.db,
    )
    const chained = await sql<{ n: number }>`
      select count(*)::int as n from audit_log where action = 'personal_data.file_downloaded'`.execute(
      t.database.db,
    )
    expect(entries.rows[0]!.n + chained.rows[0]!.n).toBe(1)

    const outsider = new Visitor(t.app)
    await outsider.login('chuyenvien.sokhcn')
    expect((await outsider.get(href)).statusCode).toBe(403)
    // A file id under another dossier's code is not found, whoever asks.
    expect((await officer.get(href.replace(code, code.replace(/\d{4}$/, '9999')))).statusCode).toBe(404)
  })
})

describe('files through the API', () => {
  let bearer = ''
  beforeAll(async () => {
    bearer = await token('motcua.thucphan')
  })

  async function uploadApi(content: Buffer, name: string) {
    const { payload, contentType } = multipartBody({}, [{ field: 'file', name, content }])
    return t.app.inject({
      method: 'POST',
      url: '/api/v1/files',
      payload,
      headers: { 'content-type': contentType, authorization: `Bearer ${bearer}` },
    })
  }

  it('uploads a file, then files a counter dossier with it as a scan of a required document', async () => {
    const uploaded = await uploadApi(pdf, 'ban-chinh.pdf')
    expect(uploaded.statusCode).toBe(201)
    const file = uploaded.json()
    expect(file).toMatchObject({ mime: 'application/pdf', size: pdf.length, fileName: 'ban-chinh.pdf' })
    expect(file.sha256).toMatch(/^[0-9a-f]{64}$/)

    const body = {
      procedureCode: '2.000815',
      unitId: wardId,
      channel: 'counter',
      applicant: { name: 'Lương Thị Hoa', phone: '0912345678' },
      form: {
        applicantFullName: 'Lương Thị Hoa',
        applicantIdNumber: '004090000001',
        documentTitle: 'Bằng tốt nghiệp',
        pageCount: 1,
        copyCount: 2,
      },
      documents: [{ document: 0, fileId: file.id }],
    }
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/dossiers',
      payload: body,
      headers: { authorization: `Bearer ${bearer}` },
    })
    expect(created.statusCode).toBe(201)
    const code = created.json().code as string
    const read = await t.app.inject({
      url: `/api/v1/dossiers/${code}`,
      headers: { authorization: `Bearer ${bearer}` },
    })
    expect(read.json().files).toEqual([
      expect.objectContaining({
        id: file.id,
        document: 0,
        purpose: 'application',
        fileName: 'ban-chinh.pdf',
      }),
    ])
    const download = await t.app.inject({
      url: read.json().files[0].url,
      headers: { authorization: `Bearer ${bearer}` },
    })
    expect(download.rawPayload.equals(pdf)).toBe(true)

    // The same file cannot serve a second dossier.
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/v1/dossiers',
      payload: body,
      headers: { authorization: `Bearer ${bearer}` },
    })
    expect(again.statusCode).toBe(422)
    expect(again.json().error.details.fields['doc-0']).toMatch(/đã được dùng cho hồ sơ khác/)
  })

  it('refuses a file whose content is not of any accepted type, and a document given the wrong type', async () => {
    const exe = await uploadApi(Buffer.from('MZ\x90\x00\x03 not really a program'), 'scan.pdf')
    expect(exe.statusCode).toBe(422)
    expect(exe.json().error.message).toMatch(/scan\.pdf/)

    const image = (await uploadApi(png, 'anh.png')).json()
    const withPng = await t.app.inject({
      method: 'POST',
      url: '/api/v1/dossiers',
      headers: { authorization: `Bearer ${bearer}` },
      payload: {
        procedureCode: '2.000815',
        unitId: wardId,
        channel: 'counter',
        applicant: { name: 'Lương Thị Hoa', phone: '0912345678' },
        form: {
          applicantFullName: 'Lương Thị Hoa',
          applicantIdNumber: '004090000001',
          documentTitle: 'Bằng',
          pageCount: 1,
          copyCount: 1,
        },
        documents: [{ document: 7, fileId: image.id }],
      },
    })
    expect(withPng.statusCode).toBe(422)
    expect(withPng.json().error.details.fields['doc-7']).toMatch(/không có trong thủ tục/)
  })

  it('requires every mandatory document of an online submission', async () => {
    const citizenToken = await token('congdan')
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/dossiers',
      headers: { authorization: `Bearer ${citizenToken}` },
      payload: { procedureCode: PROCEDURE, unitId: wardId, form: answers },
    })
    expect(response.statusCode).toBe(422)
    const fields = response.json().error.details.fields as Record<string, string>
    expect(Object.keys(fields).sort()).toEqual(['doc-0', 'doc-3'])
    expect(fields['doc-0']).toMatch(/^Thiếu giấy tờ bắt buộc: Tờ khai/)
  })
})

describe('counter intake with scans', () => {
  it('keeps the scans when the form comes back for corrections, then attaches them', async () => {
    const officer = new Visitor(t.app)
    await officer.login('motcua.thucphan')
    await officer.get(`/admin/dossiers/new?procedureCode=2.000815&unitId=${wardId}`)
    const form = {
      procedureCode: '2.000815',
      unitId: wardId,
      'applicant.name': 'Hoàng Văn Bình',
      'applicant.phone': '09123',
      'form.applicantFullName': 'Hoàng Văn Bình',
      'form.applicantIdNumber': '004090000001',
      'form.documentTitle': 'Học bạ',
      'form.pageCount': '3',
      'form.copyCount': '1',
    }
    const first = await officer.upload('/admin/dossiers/new', form, [
      { field: 'doc-0', name: 'hoc-ba.pdf', content: pdf },
    ])
    expect(first.statusCode).toBe(422)
    expect(errorSummary(first)).toEqual(['Số điện thoại phải gồm 10 chữ số, bắt đầu bằng 0.'])
    const kept = html(first).querySelector('input[name="kept"]')!.getAttribute('value')!
    expect(kept).toMatch(/^0:[0-9a-f-]{36}$/)
    expect(html(first).querySelector('fieldset')!.text).toContain('hoc-ba.pdf')

    const second = await officer.upload(
      '/admin/dossiers/new',
      { ...form, 'applicant.phone': '0912345679', kept },
      [],
    )
    expect(second.statusCode).toBe(303)
    const page = await officer.get(String(second.headers.location))
    expect(
      html(page)
        .querySelectorAll('ul.files a')
        .map((a) => a.text),
    ).toEqual(['hoc-ba.pdf'])
    expect(html(page).querySelector('main')!.text).toContain('Trực tiếp')
  })
})

describe('uploads and safety', () => {
  it('refuses a multipart body on a route that takes no files, in Vietnamese', async () => {
    const visitor = new Visitor(t.app)
    await visitor.login('congdan')
    const response = await visitor.upload('/account/password', { current: 'x' }, [
      { field: 'f', name: 'a.pdf', content: pdf },
    ])
    expect(response.statusCode).toBe(415)
    expect(html(response).querySelector('main')!.text).toContain('Biểu mẫu này không nhận tệp đính kèm.')
  })

  it('stores nothing from a forged form without the CSRF token', async () => {
    const citizen = new Visitor(t.app)
    await citizen.login('congdan')
    await startApplication(citizen)
    const before = await storedObjects()
    const { payload, contentType } = multipartBody({}, [{ field: 'doc-0', name: 'x.pdf', content: pdf }])
    const forged = await citizen.request({
      method: 'POST',
      url: apply('documents'),
      payload,
      headers: { 'content-type': contentType },
    })
    expect(forged.statusCode).toBe(403)
    expect(await storedObjects()).toBe(before)
  })

  it('takes supplement files with the applicant’s answer to a supplement request', async () => {
    const bearer = await token('congdan')
    const documents = await requiredDocuments(t, bearer, PROCEDURE, pdf)
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/dossiers',
      headers: { authorization: `Bearer ${bearer}` },
      payload: { procedureCode: PROCEDURE, unitId: wardId, form: answers, documents },
    })
    expect(created.statusCode).toBe(201)
    const code = created.json().code as string
    const officer = await token('motcua.thucphan')
    const paid = await t.app.inject({
      method: 'POST',
      url: `/api/v1/dossiers/${code}/cash-payment`,
      headers: { authorization: `Bearer ${officer}` },
      payload: { reference: 'BL 15' },
    })
    expect(paid.statusCode).toBe(200)
    for (const [action, note] of [
      ['receive', null],
      ['request_supplement', 'Ảnh giấy tờ tùy thân bị mờ, đề nghị chụp lại.'],
    ] as const) {
      const acted = await t.app.inject({
        method: 'POST',
        url: `/api/v1/dossiers/${code}/actions`,
        headers: { authorization: `Bearer ${officer}` },
        payload: note ? { action, note } : { action },
      })
      expect(acted.statusCode).toBe(200)
    }

    const citizen = new Visitor(t.app)
    await citizen.login('congdan')
    const page = await citizen.get(`/dossiers/${code}`)
    expect(html(page).querySelector('form[enctype="multipart/form-data"] input[name="files"]')).not.toBeNull()
    const refused = await citizen.upload(`/dossiers/${code}/actions`, { action: 'provide_supplement' }, [
      { field: 'files', name: 'cccd.jpg', content: Buffer.from('không phải ảnh') },
    ])
    expect(refused.statusCode).toBe(422)
    expect(html(refused).querySelector('#fileIds-error')!.text).toMatch(/cccd\.jpg/)
    expect(html(refused).querySelector('main')!.text).toContain('Yêu cầu bổ sung giấy tờ')

    const sent = await citizen.upload(
      `/dossiers/${code}/actions`,
      { action: 'provide_supplement', note: 'Đã chụp lại.' },
      [{ field: 'files', name: 'cccd-ro-net.png', content: png }],
    )
    expect(sent.statusCode).toBe(303)
    const after = await citizen.get(`/dossiers/${code}`)
    const files = html(after)
      .querySelectorAll('ul.files li')
      .map((li) => li.text)
    expect(files).toHaveLength(3)
    expect(files[2]).toContain('Tệp bổ sung: cccd-ro-net.png')
    expect(html(after).querySelector('main')!.text).toContain('Đã chụp lại.')
  })
})

describe.skipIf(skipWithoutClamd)('malware scanning of uploads (real clamd)', () => {
  let clamd: Clamd
  let scanned: TestApp
  beforeAll(async () => {
    clamd = await startClamd()
    scanned = await createTestApp({ env: { CLAMD_URL: `tcp://127.0.0.1:${clamd.port}` } })
  }, 30_000)
  afterAll(async () => {
    await scanned?.close()
    await clamd?.stop()
  })

  async function upload(content: Buffer, name: string) {
    const bearer = await apiToken(scanned, 'motcua.thucphan')
    const { payload, contentType } = multipartBody({}, [{ field: 'file', name, content }])
    return scanned.app.inject({
      method: 'POST',
      url: '/api/v1/files',
      payload,
      headers: { 'content-type': contentType, authorization: `Bearer ${bearer}` },
    })
  }

  it('refuses an infected file, stores nothing, and records clean files as scanned', async () => {
    const infected = await upload(Buffer.concat([pdf.subarray(0, 400), eicar()]), 'don-de-nghi.pdf')
    expect(infected.statusCode).toBe(422)
    expect(infected.json().error.message).toMatch(/don-de-nghi\.pdf.*mã độc/)
    const rows = await sql<{ n: number }>`select count(*)::int as n from dossier_files`.execute(
      scanned.database.db,
    )
    expect(rows.rows[0]!.n).toBe(0)

    const clean = await upload(pdf, 'don-de-nghi.pdf')
    expect(clean.statusCode).toBe(201)
    expect(clean.json().scanned).toBe(true)
  })

  it('refuses uploads with a clear 503 while the configured scanner is down', async () => {
    await clamd.stop()
    const response = await upload(pdf, 'don.pdf')
    expect(response.statusCode).toBe(503)
    expect(response.json().error.message).toMatch(/kiểm tra mã độc tạm thời không hoạt động/)
  })
})
