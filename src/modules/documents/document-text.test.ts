import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiToken, createTestApp, html, multipartBody, Visitor, type TestApp } from '../../../test/app.js'
import { samplePdf } from '../../../test/files.js'
import { PdfWriter } from '../../platform/pdf/pdf.js'
import { extractPdfText } from './document-text.js'
import { buildEnvelope, emptyOrgan } from './edxml.js'

/** A PDF with only an image on its page, as a scanner makes it: no text layer. */
async function scannedPdf(): Promise<Buffer> {
  const pdf = await PdfWriter.create('A4', 'Bản quét')
  await pdf.qr('https://caobang.gov.vn/van-ban/123', 60)
  return Buffer.from(await pdf.bytes())
}

describe('reading the text of a PDF', () => {
  it('reads Vietnamese text in NFC', async () => {
    const result = await extractPdfText(await samplePdf('Phê duyệt đề án du lịch thác Bản Giốc'))
    expect(result).toMatchObject({ state: 'extracted', pages: 1, truncated: false })
    if (result.state !== 'extracted') return
    expect(result.text).toBe('Phê duyệt đề án du lịch thác Bản Giốc')
    expect(result.text).toBe(result.text.normalize('NFC'))
  })

  it('marks a scan without a text layer as having no text (there is no OCR)', async () => {
    expect(await extractPdfText(await scannedPdf())).toEqual({ state: 'no_text', pages: 1 })
  })

  it('fails with a reason on a file that is not a readable PDF', async () => {
    const result = await extractPdfText(Buffer.from('%PDF-1.7\nnot really a pdf'))
    expect(result.state).toBe('failed')
  })

  it('keeps at most the configured number of characters', async () => {
    const result = await extractPdfText(await samplePdf('Một hai ba bốn năm sáu bảy tám chín mười'), {
      maxChars: 12,
    })
    expect(result).toMatchObject({ state: 'extracted', truncated: true })
    if (result.state === 'extracted') expect(result.text.length).toBeLessThanOrEqual(12)
  })
})

let t: TestApp
const tokens: Record<string, string> = {}
const users: Record<string, string> = {}
let counter = 500

const as = (username: string) => ({ authorization: `Bearer ${tokens[username]}` })
const api = (username: string, method: 'GET' | 'POST', url: string, payload?: unknown) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers: as(username), payload: payload as object })

async function registerWithPdf(overrides: Record<string, unknown>, pdf: Buffer) {
  const created = await api('vanthu.sokhcn', 'POST', '/documents', {
    codeNumber: String(++counter),
    codeNotation: 'SVHTTDL-QLDL',
    issuedOn: '2026-11-20',
    issuerName: 'Sở Văn hóa, Thể thao và Du lịch',
    typeCode: 'cong-van',
    summary: 'Về việc phối hợp tổ chức sự kiện',
    source: 'electronic',
    ...overrides,
  })
  expect(created.statusCode, created.body).toBe(201)
  const id = created.json().id as string
  const { payload, contentType } = multipartBody({}, [{ field: 'files', name: 'noi-dung.pdf', content: pdf }])
  const added = await t.app.inject({
    method: 'POST',
    url: `/api/v1/documents/${id}/files`,
    payload,
    headers: { ...as('vanthu.sokhcn'), 'content-type': contentType },
  })
  expect(added.statusCode, added.body).toBe(201)
  return { id, fileId: added.json()[0].id as string }
}

/** Waits for the background job to read a file, as the clerk would by reloading the page. */
async function textOf(username: string, id: string, fileId: string) {
  for (let i = 0; i < 200; i++) {
    const response = await api(username, 'GET', `/documents/${id}/files/${fileId}/text`)
    if (response.statusCode !== 200 || response.json().state !== 'pending') return response
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error('text extraction did not finish')
}

const found = async (username: string, q: string) =>
  (await api(username, 'GET', `/documents?q=${encodeURIComponent(q)}`))
    .json()
    .items.map((d: { id: string }) => d.id)

beforeAll(async () => {
  t = await createTestApp()
  for (const username of ['vanthu.sokhcn', 'lanhdao.sokhcn', 'chuyenvien.sokhcn', 'lanhdao.thucphan'])
    tokens[username] = await apiToken(t, username)
  for (const row of (
    await sql<{ id: string; username: string }>`select id, username from users`.execute(t.database.db)
  ).rows)
    users[row.username] = row.id
})

afterAll(async () => {
  await t.close()
})

describe('full-text search in attached PDFs', () => {
  it('finds a document by words of its PDF typed without diacritics, once the job has read it', async () => {
    const { id, fileId } = await registerWithPdf(
      {},
      await samplePdf('Kế hoạch tổ chức Lễ hội du lịch thác Bản Giốc năm 2027 tại xã Đàm Thủy'),
    )
    // The upload answered before the text was read: extraction waits for the job queue.
    const before = await api('vanthu.sokhcn', 'GET', `/documents/${id}/files/${fileId}/text`)
    expect(before.json()).toMatchObject({ state: 'pending', text: null })
    expect(await found('vanthu.sokhcn', 'thac ban gioc')).not.toContain(id)

    await t.app.jobs.start()
    const after = await textOf('vanthu.sokhcn', id, fileId)
    expect(after.json()).toMatchObject({
      state: 'extracted',
      pages: 1,
      stateLabel: 'Đã đọc nội dung, tìm kiếm được',
    })
    expect(after.json().text).toContain('thác Bản Giốc')

    expect(await found('vanthu.sokhcn', 'thac ban gioc')).toContain(id)
    expect(await found('vanthu.sokhcn', 'Thác Bản Giốc')).toContain(id)
    expect(await found('vanthu.sokhcn', 'dam thu')).toContain(id)
    // One word from the metadata (the issuer) and one from the PDF.
    expect(await found('vanthu.sokhcn', 'svhttdl le hoi')).toContain(id)
    expect(await found('vanthu.sokhcn', 'ban gioc phao hoa')).not.toContain(id)
    // The filters still apply to text matches.
    const filtered = await api('vanthu.sokhcn', 'GET', '/documents?q=ban%20gioc&status=completed')
    expect(filtered.json().items).toEqual([])
  })

  it('marks a scanned PDF as having no text, and an unreadable one as failed', async () => {
    const scan = await registerWithPdf({ summary: 'Về việc gửi bản quét' }, await scannedPdf())
    expect((await textOf('vanthu.sokhcn', scan.id, scan.fileId)).json()).toMatchObject({
      state: 'no_text',
      stateLabel: expect.stringContaining('bản quét'),
      text: null,
    })
    const broken = await registerWithPdf({ summary: 'Về việc gửi tệp hỏng' }, Buffer.from('%PDF-1.7\nhỏng'))
    const result = (await textOf('vanthu.sokhcn', broken.id, broken.fileId)).json()
    expect(result.state).toBe('failed')
    expect(result.error).toBeTruthy()
  })

  it('never shows the text of a confidential document to others, in search or directly', async () => {
    const { id, fileId } = await registerWithPdf(
      { summary: 'Về việc bảo đảm an toàn' },
      await samplePdf('Phương án bảo vệ mục tiêu trọng yếu Kỳ Lân Sơn Bắc'),
    )
    await textOf('vanthu.sokhcn', id, fileId)
    expect(await found('vanthu.sokhcn', 'ky lan son bac')).toContain(id)
    await sql`update documents set confidentiality = 'confidential' where id = ${id}`.execute(t.database.db)
    // The clerk of the unit, a specialist not assigned and a leader of another unit see nothing.
    for (const username of ['vanthu.sokhcn', 'chuyenvien.sokhcn', 'lanhdao.thucphan']) {
      expect(await found(username, 'ky lan son bac')).toEqual([])
      const direct = await api(username, 'GET', `/documents/${id}/files/${fileId}/text`)
      expect(direct.statusCode).toBe(404)
      expect(direct.body).not.toContain('Kỳ Lân')
    }
    // The unit's leader does.
    expect(await found('lanhdao.sokhcn', 'ky lan son bac')).toEqual([id])
    expect((await api('lanhdao.sokhcn', 'GET', `/documents/${id}/files/${fileId}/text`)).statusCode).toBe(200)
  })

  it('reads the PDF of a document received as edXML', async () => {
    const xml = buildEnvelope(
      {
        document: {
          from: emptyOrgan('000.00.00.H14', 'Ủy ban nhân dân tỉnh Cao Bằng'),
          to: [emptyOrgan('000.13.00.H14', 'Sở Khoa học và Công nghệ')],
          codeNumber: '4321',
          codeNotation: 'UBND-KT',
          place: 'Cao Bằng',
          promulgationDate: '2026-11-21',
          type: { code: 18, name: 'Công văn' },
          subject: 'V/v báo cáo định kỳ',
          content: '',
          signer: { competence: 'KT. CHỦ TỊCH', position: 'Phó Chủ tịch', fullName: 'Nông Văn Chí' },
          dueDate: null,
          toPlaces: [],
          priority: 0,
          sphereOfPromulgation: '',
          typerNotation: '',
          promulgationAmount: null,
          pageAmount: null,
          appendixes: [],
          responseFor: [],
          steeringType: 0,
          documentId: '000.00.00.H14,2026/11/21,4321/UBND-KT',
        },
        attachments: [
          {
            contentId: '3f2504e0-4f89-11d3-9a0c-0305e82c3301',
            name: 'Công văn 4321.pdf',
            contentType: 'application/pdf',
            description: 'Văn bản chính',
            bytes: await samplePdf('Đề nghị báo cáo sản lượng hồi Trùng Khánh trước ngày 15'),
          },
        ],
      },
      new Date(),
    )
    const imported = await t.app.inject({
      method: 'POST',
      url: '/api/v1/documents/import',
      payload: xml,
      headers: { ...as('vanthu.sokhcn'), 'content-type': 'application/xml' },
    })
    expect(imported.statusCode, imported.body).toBe(201)
    const id = imported.json().id as string
    const files = (await api('vanthu.sokhcn', 'GET', `/documents/${id}`)).json().files as { id: string }[]
    expect((await textOf('vanthu.sokhcn', id, files[0]!.id)).json().state).toBe('extracted')
    expect(await found('vanthu.sokhcn', 'san luong hoi trung khanh')).toEqual([id])
  })

  it('reads a PDF attached while registering on the page', async () => {
    const visitor = new Visitor(t.app)
    await visitor.login('vanthu.sokhcn')
    await visitor.get('/admin/documents/incoming/new')
    const response = await visitor.upload(
      '/admin/documents/incoming/new',
      {
        source: 'paper',
        codeNumber: '77',
        codeNotation: 'UBND-NC',
        issuedOn: '2026-11-24',
        issuerName: 'Ủy ban nhân dân xã Quảng Uyên',
        typeCode: 'bao-cao',
        summary: 'Báo cáo tình hình',
        urgency: 'normal',
        confidentiality: 'normal',
      },
      [
        {
          field: 'files',
          name: 'bao-cao.pdf',
          content: await samplePdf('Số hộ nghèo giảm còn ba trăm mười hai hộ'),
        },
      ],
    )
    expect(response.statusCode, response.body.slice(0, 500)).toBe(303)
    const row = await sql<{ id: string; file_id: string }>`
      select d.id, f.id as file_id from documents d join document_files f on f.document_id = d.id
      where d.code_number = '77' and d.code_notation = 'UBND-NC'`.execute(t.database.db)
    const { id, file_id } = row.rows[0]!
    expect((await textOf('vanthu.sokhcn', id, file_id)).json().state).toBe('extracted')
    const page = await visitor.get('/admin/documents/incoming?q=ho+ngheo+giam')
    expect(html(page).querySelector('#documents')?.text).toContain('77/UBND-NC')
  })
})
