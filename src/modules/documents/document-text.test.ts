import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { PDFDocument, StandardFonts } from 'pdf-lib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, html, Visitor, type TestApp } from '../../../test/app.js'
import { documentsFixture, edxmlHeader } from '../../../test/documents.js'
import { samplePdf, samplePng } from '../../../test/files.js'
import { ConfigError, loadConfig } from '../../platform/config.js'
import { PAGE_SIZES, PdfWriter } from '../../platform/pdf/pdf.js'
import { extractPdfText } from './document-text.js'
import { buildEnvelope, emptyOrgan } from './edxml.js'

/** A PDF with only an image on its page, as a scanner makes it: no text layer. */
async function scannedPdf(): Promise<Buffer> {
  const pdf = await PdfWriter.create('A4', 'Bản quét')
  await pdf.qr('https://caobang.gov.vn/van-ban/123', 60)
  return Buffer.from(await pdf.bytes())
}

/**
 * A clerk's scan of a paper document: each page's Vietnamese text printed to a PDF, rendered to a PNG by pdftoppm,
 * and only that image put on a page of a new PDF (pdf-lib): no text layer at all.
 */
async function paperScan(pages: string[][], stamp?: string): Promise<Buffer> {
  const scan = await PDFDocument.create()
  const font = await scan.embedFont(StandardFonts.Helvetica)
  const dir = mkdtempSync(join(tmpdir(), 'cb-scan-'))
  try {
    for (const lines of pages) {
      const printed = await PdfWriter.create('A4', 'Văn bản giấy')
      for (const line of lines) printed.text(line, { size: 16 })
      writeFileSync(join(dir, 'printed.pdf'), await printed.bytes())
      execFileSync('pdftoppm', ['-r', '150', '-gray', '-png', '-singlefile', 'printed.pdf', 'page'], {
        cwd: dir,
      })
      const image = await scan.embedPng(readFileSync(join(dir, 'page.png')))
      const page = scan.addPage([...PAGE_SIZES.A4])
      page.drawImage(image, { x: 0, y: 0, width: page.getWidth(), height: page.getHeight() })
      // A scanning app's line of text at the foot of the page: a text layer of a few words.
      if (stamp) page.drawText(stamp, { x: 40, y: 20, size: 8, font })
    }
    return Buffer.from(await scan.save())
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Words as a search folds them: no diacritics, lower case. */
const folded = (text: string) =>
  text.normalize('NFD').replace(/\p{M}/gu, '').replace(/đ/gi, 'd').toLowerCase().replace(/\s+/g, ' ')

const FLOOD_PLAN = ['KẾ HOẠCH', 'Phòng chống lũ quét và sạt lở đất', 'tại xã Hạ Lang năm 2027']
const EVACUATION = ['DANH SÁCH', 'Hộ dân di dời khẩn cấp', 'khỏi vùng nguy hiểm']

describe('reading the text of a PDF', () => {
  it('reads Vietnamese text in NFC', async () => {
    const result = await extractPdfText(await samplePdf('Phê duyệt đề án du lịch thác Bản Giốc'))
    expect(result).toMatchObject({ state: 'extracted', pages: 1, truncated: false })
    if (result.state !== 'extracted') return
    expect(result.text).toBe('Phê duyệt đề án du lịch thác Bản Giốc')
    expect(result.text).toBe(result.text.normalize('NFC'))
  })

  it('marks a scan without a text layer as having no text when OCR is not asked for', async () => {
    expect(await extractPdfText(await scannedPdf())).toEqual({
      state: 'no_text',
      pages: 1,
      ocr: { state: 'unavailable', scannedPages: 1, recognisedPages: 0, error: null },
    })
  })

  it('recognises the Vietnamese text of a scanned page with OCR, in NFC', async () => {
    const result = await extractPdfText(await paperScan([FLOOD_PLAN]), {
      ocr: { maxPages: 20, deadline: Date.now() + 120_000 },
    })
    expect(result).toMatchObject({
      state: 'extracted',
      pages: 1,
      ocr: { state: 'done', scannedPages: 1, recognisedPages: 1, error: null },
    })
    if (result.state !== 'extracted') return
    expect(folded(result.text)).toContain('phong chong lu quet')
    expect(folded(result.text)).toContain('ha lang')
    expect(result.text).toBe(result.text.normalize('NFC'))
  }, 120_000)

  it("recognises a scanned page that carries a scanning app's stamp as text", async () => {
    const result = await extractPdfText(await paperScan([FLOOD_PLAN], 'Scanned with CamScanner'), {
      ocr: { maxPages: 20, deadline: Date.now() + 120_000 },
    })
    expect(result).toMatchObject({
      state: 'extracted',
      ocr: { state: 'done', scannedPages: 1, recognisedPages: 1 },
    })
    if (result.state !== 'extracted') return
    expect(result.text).toContain('Scanned with CamScanner')
    expect(folded(result.text)).toContain('phong chong lu quet')
  }, 120_000)

  it('does not OCR a typed page with a few words and no image', async () => {
    const result = await extractPdfText(await samplePdf('Tờ trình'), {
      ocr: { maxPages: 20, deadline: Date.now() + 120_000 },
    })
    expect(result).toMatchObject({ state: 'extracted', text: 'Tờ trình', ocr: null })
  })

  it('leaves the pages after the time limit unrecognised', async () => {
    const result = await extractPdfText(await paperScan([FLOOD_PLAN]), {
      ocr: { maxPages: 20, deadline: Date.now() - 1 },
    })
    expect(result).toMatchObject({
      state: 'no_text',
      ocr: { state: 'time_limit', scannedPages: 1, recognisedPages: 0 },
    })
  })

  it('refuses an OCR page cap that is not a number from 1 to 500, in Vietnamese', () => {
    for (const value of ['0', '501', 'hai mươi']) {
      expect(() => loadConfig({ DOCUMENT_OCR_MAX_PAGES: value })).toThrow(ConfigError)
      expect(() => loadConfig({ DOCUMENT_OCR_MAX_PAGES: value })).toThrow(
        /DOCUMENT_OCR_MAX_PAGES=.*phải là số nguyên từ 1 đến 500/,
      )
    }
    expect(() => loadConfig({ DOCUMENT_OCR: 'có' })).toThrow(/DOCUMENT_OCR=.*phải là true hoặc false/)
    expect(loadConfig({})).toMatchObject({ documentOcr: true, documentOcrMaxPages: 20 })
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
const { as, api, signIn, registerIncoming, addFiles } = documentsFixture(() => t)
let counter = 500

async function registerWithPdf(overrides: Record<string, unknown>, pdf: Buffer) {
  const id = await registerIncoming('vanthu.sokhcn', {
    codeNumber: String(++counter),
    codeNotation: 'SVHTTDL-QLDL',
    issuedOn: '2026-11-20',
    issuerName: 'Sở Văn hóa, Thể thao và Du lịch',
    typeCode: 'cong-van',
    summary: 'Về việc phối hợp tổ chức sự kiện',
    source: 'electronic',
    ...overrides,
  })
  const added = await addFiles('vanthu.sokhcn', id, [{ name: 'noi-dung.pdf', content: pdf }])
  expect(added.statusCode, added.body).toBe(201)
  return { id, fileId: added.json()[0].id as string }
}

/**
 * Waits for the background job to read a file, as the clerk would by reloading the page; OCR takes seconds a page
 * on a busy machine.
 */
async function textOf(username: string, id: string, fileId: string, call = api) {
  for (const until = Date.now() + 90_000; Date.now() < until;) {
    const response = await call(username, 'GET', `/documents/${id}/files/${fileId}/text`)
    if (response.statusCode !== 200 || response.json().state !== 'pending') return response
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error('text extraction did not finish')
}

/** The text state the document's page shows beside each attachment, as the clerk of the unit reads it. */
async function statesOnPage(id: string, app = t) {
  const visitor = new Visitor(app.app)
  await visitor.login('vanthu.sokhcn')
  const page = await visitor.get(`/admin/documents/${id}`)
  expect(page.statusCode).toBe(200)
  return html(page)
    .querySelectorAll('#files-list li .text-state')
    .map((span) => span.text.trim())
}

/** OCR tests wait for Tesseract. */
const OCR_TIMEOUT = 120_000

const found = async (username: string, q: string) =>
  (await api(username, 'GET', `/documents?q=${encodeURIComponent(q)}`))
    .json()
    .items.map((d: { id: string }) => d.id)

beforeAll(async () => {
  // The province's setting here: one scanned page recognised per file.
  t = await createTestApp({ env: { DOCUMENT_OCR_MAX_PAGES: '1' } })
  await signIn(['vanthu.sokhcn', 'lanhdao.sokhcn', 'chuyenvien.sokhcn', 'lanhdao.thucphan'])
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
    expect(await statesOnPage(id)).toEqual(['Đang chờ trích xuất văn bản'])

    await t.app.jobs.start()
    const after = await textOf('vanthu.sokhcn', id, fileId)
    expect(after.json()).toMatchObject({
      state: 'extracted',
      pages: 1,
      stateLabel: 'Đã đọc nội dung, tìm kiếm được',
    })
    expect(after.json().text).toContain('thác Bản Giốc')
    expect(await statesOnPage(id)).toEqual(['Đã trích xuất văn bản (1 trang)'])

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

  it('says on the document page how many pages of each PDF were read, and that an image is not read', async () => {
    // A report long enough for two pages, with its text layer, and a photo beside it.
    const report = await PdfWriter.create('A4', 'Báo cáo')
    for (let line = 1; line <= 60; line++)
      report.text(`Mục ${line}: kết quả chuyển đổi số tại xã Quảng Hòa`, { size: 14 })
    const { id, fileId } = await registerWithPdf(
      { summary: 'Về việc báo cáo chuyển đổi số' },
      Buffer.from(await report.bytes()),
    )
    const photo = await addFiles('vanthu.sokhcn', id, [{ name: 'anh-hien-truong.png', content: samplePng() }])
    expect(photo.statusCode, photo.body).toBe(201)
    await t.app.jobs.start()
    expect((await textOf('vanthu.sokhcn', id, fileId)).json()).toMatchObject({ state: 'extracted', pages: 2 })
    expect(await statesOnPage(id)).toEqual([
      'Đã trích xuất văn bản (2 trang)',
      'Không trích xuất văn bản (không phải tệp PDF)',
    ])
  })

  it(
    'marks a scanned PDF as having no text, and an unreadable one as failed',
    async () => {
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
      expect(await statesOnPage(scan.id)).toEqual([
        expect.stringMatching(/^Bản quét không có lớp chữ \(1 trang\); /),
      ])
      expect(await statesOnPage(broken.id)).toEqual([`Không trích xuất được: ${result.error as string}`])
    },
    OCR_TIMEOUT,
  )

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
        document: edxmlHeader({
          from: emptyOrgan('000.00.00.H14', 'Ủy ban nhân dân tỉnh Cao Bằng'),
          to: [emptyOrgan('000.13.00.H14', 'Sở Khoa học và Công nghệ')],
          codeNumber: '4321',
          codeNotation: 'UBND-KT',
          place: 'Cao Bằng',
          promulgationDate: '2026-11-21',
          subject: 'V/v báo cáo định kỳ',
          signer: { competence: 'KT. CHỦ TỊCH', position: 'Phó Chủ tịch', fullName: 'Nông Văn Chí' },
        }),
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

describe('OCR of scanned PDFs', () => {
  it(
    'finds a scanned paper document by words of its image typed without diacritics, marked as OCR',
    async () => {
      const { id, fileId } = await registerWithPdf(
        { summary: 'Về việc gửi kế hoạch bằng bản giấy', source: 'paper' },
        await paperScan([FLOOD_PLAN]),
      )
      await t.app.jobs.start()
      const text = (await textOf('vanthu.sokhcn', id, fileId)).json()
      expect(text).toMatchObject({
        state: 'extracted',
        method: 'ocr',
        pages: 1,
        ocr: { state: 'done', scannedPages: 1, recognisedPages: 1 },
        stateLabel: 'Đã đọc nội dung, tìm kiếm được; nhận dạng ký tự (OCR) 1 trang quét',
      })
      expect(folded(text.text)).toContain('sat lo dat')
      expect(text.text).toBe(text.text.normalize('NFC'))
      expect(await statesOnPage(id)).toEqual(['Đã nhận dạng chữ (OCR) 1 trang'])

      // The register page's search, as the clerk types it.
      const visitor = new Visitor(t.app)
      await visitor.login('vanthu.sokhcn')
      const page = await visitor.get('/admin/documents/incoming?q=lu+quet+sat+lo+ha+lang')
      expect(html(page).querySelector('#documents')?.text).toContain('Về việc gửi kế hoạch bằng bản giấy')
      expect(await found('vanthu.sokhcn', 'lu quet sat lo ha lang')).toEqual([id])
      // A word from the metadata and one from the scan.
      expect(await found('vanthu.sokhcn', 'ban giay phong chong')).toEqual([id])
    },
    OCR_TIMEOUT,
  )

  it(
    'recognises the first pages up to the cap and says the others were left',
    async () => {
      const { id, fileId } = await registerWithPdf(
        { summary: 'Về việc gửi hồ sơ di dân bằng bản giấy', source: 'paper' },
        await paperScan([FLOOD_PLAN, EVACUATION]),
      )
      await t.app.jobs.start()
      const text = (await textOf('vanthu.sokhcn', id, fileId)).json()
      expect(text).toMatchObject({
        state: 'extracted',
        method: 'ocr',
        pages: 2,
        ocr: { state: 'page_limit', scannedPages: 2, recognisedPages: 1 },
      })
      expect(text.stateLabel).toBe(
        'Đã đọc nội dung, tìm kiếm được; nhận dạng ký tự (OCR) 1 trang quét đầu trong 2 trang quét, 1 trang sau ' +
          'không tìm theo nội dung được (đã đến giới hạn số trang nhận dạng mỗi tệp)',
      )
      expect(await found('vanthu.sokhcn', 'lu quet sat lo')).toContain(id)
      expect(await found('vanthu.sokhcn', 'khan cap nguy hiem')).toEqual([])
      expect(await statesOnPage(id)).toEqual([
        'Đã trích xuất văn bản (2 trang); nhận dạng chữ (OCR) 1/2 trang quét: đã đến giới hạn số trang nhận dạng mỗi tệp',
      ])
    },
    OCR_TIMEOUT,
  )
})

describe('with OCR turned off', () => {
  let off: TestApp
  const offFixture = documentsFixture(() => off)

  beforeAll(async () => {
    off = await createTestApp({ env: { DOCUMENT_OCR: 'false' } })
    await offFixture.signIn(['vanthu.sokhcn'])
    await off.app.jobs.start()
  })

  afterAll(async () => {
    await off.close()
  })

  it(
    'keeps a scan with its status saying OCR is unavailable, found by its metadata only',
    async () => {
      const id = await offFixture.registerIncoming('vanthu.sokhcn', {
        codeNumber: '915',
        codeNotation: 'UBND-PCTT',
        issuedOn: '2026-11-20',
        issuerName: 'Ủy ban nhân dân xã Hạ Lang',
        typeCode: 'cong-van',
        summary: 'Về việc báo cáo thiệt hại do mưa đá',
        source: 'paper',
      })
      const added = await offFixture.addFiles('vanthu.sokhcn', id, [
        { name: 'ban-quet.pdf', content: await paperScan([FLOOD_PLAN]) },
      ])
      expect(added.statusCode, added.body).toBe(201)
      const fileId = added.json()[0].id as string
      const text = await textOf('vanthu.sokhcn', id, fileId, offFixture.api)
      expect(text.json()).toMatchObject({
        state: 'no_text',
        method: null,
        text: null,
        error: null,
        ocr: { state: 'unavailable', scannedPages: 1, recognisedPages: 0 },
        stateLabel:
          'Tệp không có lớp chữ (bản quét); nhận dạng ký tự (OCR) không khả dụng trên máy chủ nên chỉ tìm được theo ' +
          'thông tin văn bản',
      })
      expect((await offFixture.api('vanthu.sokhcn', 'GET', `/documents/${id}`)).statusCode).toBe(200)
      expect(await statesOnPage(id, off)).toEqual([
        'Bản quét không có lớp chữ (1 trang); nhận dạng chữ (OCR) không khả dụng trên máy chủ',
      ])
      const search = async (q: string) =>
        (await offFixture.api('vanthu.sokhcn', 'GET', `/documents?q=${encodeURIComponent(q)}`))
          .json()
          .items.map((d: { id: string }) => d.id)
      expect(await search('thiet hai mua da')).toEqual([id])
      expect(await search('lu quet sat lo')).toEqual([])
    },
    OCR_TIMEOUT,
  )
})
