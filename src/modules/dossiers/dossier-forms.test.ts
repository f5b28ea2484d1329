import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiToken, createTestApp, html, multipartBody, Visitor, type TestApp } from '../../../test/app.js'
import { pdfQrCode, pdfsig, pdfText, skipWithoutPoppler } from '../../../test/pdf.js'
import { SigningKeys, verifyPdf } from '../../platform/signing/index.js'

// Friday 27/11/2026, 09:00 in Cao Bằng.
const now = new Date('2026-11-27T02:00:00Z')
let t: TestApp
let wardId = ''
let desk = ''
let specialist = ''
let trustedCa = ''
let options: Record<string, string[]> = {}

const as = (token: string) => ({ authorization: `Bearer ${token}` })

async function counterDossier(name: string): Promise<string> {
  const response = await t.app.inject({
    method: 'POST',
    url: '/api/v1/dossiers',
    headers: as(desk),
    payload: {
      procedureCode: '1.004873',
      unitId: wardId,
      channel: 'counter',
      applicant: { name, phone: '0912000002', address: 'Tổ 5, phường Thục Phán' },
      form: {
        applicantFullName: name,
        applicantIdNumber: '004090000001',
        applicantBirthDate: '1990-05-01',
        currentMaritalStatus: options.currentMaritalStatus![0]!,
        purpose: options.purpose![0]!,
      },
    },
  })
  expect(response.statusCode).toBe(201)
  return response.json().code as string
}

async function act(code: string, token: string, body: Record<string, unknown>) {
  const response = await t.app.inject({
    method: 'POST',
    url: `/api/v1/dossiers/${code}/actions`,
    headers: as(token),
    payload: body,
  })
  expect(response.statusCode, response.body).toBe(200)
}

async function form(code: string, no: string, token = desk) {
  return t.app.inject({ url: `/api/v1/dossiers/${code}/forms/${no}`, headers: as(token) })
}

/** The platform's own verdict: one signature, mathematically valid, untouched, whole, from the trial CA. */
function expectSignedByWard(pdf: Buffer) {
  const result = verifyPdf(pdf, [trustedCa])
  expect(result.signed).toBe(true)
  expect(result.signatures).toHaveLength(1)
  expect(result.signatures[0]).toMatchObject({
    valid: true,
    intact: true,
    coversWholeDocument: true,
    trusted: true,
    signerName: 'Ủy ban nhân dân phường Thục Phán',
  })
}

beforeAll(async () => {
  t = await createTestApp({ clock: () => now })
  const units = (await t.app.inject({ url: '/api/v1/units' })).json().items as { id: string; key: string }[]
  wardId = units.find((u) => u.key === 'phuong-thuc-phan')!.id
  const procedure = (await t.app.inject({ url: '/api/v1/procedures/1.004873' })).json()
  options = Object.fromEntries(
    procedure.form.map((f: { name: string; options: string[] }) => [f.name, f.options]),
  )
  desk = await apiToken(t, 'motcua.thucphan')
  specialist = await apiToken(t, 'chuyenvien.thucphan')
  const keys = new SigningKeys({
    dir: t.config.signingDir,
    passphrase: t.config.signingPassword,
    generateTestCertificates: true,
  })
  await counterDossier('Khởi tạo khóa')
  await form(await counterDossier('Khởi tạo khóa 2'), '01')
  trustedCa = (await keys.testCaPem())!
})
afterAll(() => t.close())

describe('the forms of TT 01/2018, signed by the unit', () => {
  let code = ''

  it('issues the receipt (Mẫu 01) signed, with the code in its text and its QR code', async () => {
    code = await counterDossier('Hà Thị Lan')
    const receipt = await form(code, '01')
    expect(receipt.statusCode).toBe(200)
    expect(receipt.headers['content-type']).toBe('application/pdf')
    expectSignedByWard(receipt.rawPayload)
    if (!skipWithoutPoppler) {
      const text = pdfText(receipt.rawPayload).replace(/\s+/g, ' ')
      expect(text).toContain('GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ')
      expect(text).toContain(code)
      expect(text).toContain('Hà Thị Lan')
      expect(pdfQrCode(receipt.rawPayload)).toBe(code)
      const report = pdfsig(receipt.rawPayload)
      expect(report).toContain('Signature is Valid.')
      expect(report).toContain('Total document signed')
    }
  })

  it('has no supplement request, refusal or apology before the dossier needed one', async () => {
    for (const no of ['02', '03', '04']) {
      const missing = await form(code, no)
      expect(missing.statusCode).toBe(404)
      expect(missing.json().error.message).toMatch(
        new RegExp(`^Hồ sơ ${code.replace(/\./g, '\\.')} không có`),
      )
    }
  })

  it('issues the supplement request (Mẫu 02) quoting what is missing', async () => {
    await act(code, desk, { action: 'request_supplement', note: 'Bổ sung bản sao Căn cước công dân rõ nét.' })
    const request = await form(code, '02')
    expect(request.statusCode).toBe(200)
    expectSignedByWard(request.rawPayload)
    if (!skipWithoutPoppler) {
      const text = pdfText(request.rawPayload).replace(/\s+/g, ' ')
      expect(text).toContain('PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ')
      expect(text).toContain('Bổ sung bản sao Căn cước công dân rõ nét.')
    }
  })

  it('issues the apology with the old and new appointment (Mẫu 04) after an extension', async () => {
    const late = await counterDossier('Nông Văn Minh')
    await act(late, desk, { action: 'forward' })
    await act(late, specialist, { action: 'extend', days: 2, note: 'Chờ xác minh thông tin cư trú.' })
    const apology = await form(late, '04')
    expectSignedByWard(apology.rawPayload)
    if (!skipWithoutPoppler) {
      const text = pdfText(apology.rawPayload).replace(/\s+/g, ' ')
      expect(text).toContain('PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ')
      expect(text).toContain('Chờ xác minh thông tin cư trú.')
      // Received Friday 27/11 09:00 with 3 working days: due Wednesday 2/12; two more days: Friday 4/12.
      expect(text).toContain('ngày 02 tháng 12 năm 2026')
      expect(text).toContain('ngày 04 tháng 12 năm 2026')
    }
  })

  it('issues the refusal (Mẫu 03) and the control slip (Mẫu 05) from the history', async () => {
    const refused = await counterDossier('Lục Văn Tài')
    await act(refused, desk, { action: 'reject', note: 'Người yêu cầu không cư trú trên địa bàn phường.' })
    const refusal = await form(refused, '03')
    expectSignedByWard(refusal.rawPayload)
    const slip = await form(refused, '05')
    expectSignedByWard(slip.rawPayload)
    if (!skipWithoutPoppler) {
      expect(pdfText(refusal.rawPayload).replace(/\s+/g, ' ')).toContain(
        'Người yêu cầu không cư trú trên địa bàn phường.',
      )
      const text = pdfText(slip.rawPayload).replace(/\s+/g, ' ')
      expect(text).toContain('PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ')
      expect(text).toContain('TÊN CƠ QUAN')
      expect(text).toMatch(/Từ chối/)
    }
  })

  it('refuses the forms to an officer of another unit and to anonymous visitors', async () => {
    const outsider = await apiToken(t, 'chuyenvien.sokhcn')
    expect((await form(code, '01', outsider)).statusCode).toBe(403)
    expect((await t.app.inject({ url: `/api/v1/dossiers/${code}/forms/01` })).statusCode).toBe(401)
    expect((await form(code, '07')).statusCode).toBe(400)
  })

  it('lists the forms a dossier has on its page', async () => {
    const officer = new Visitor(t.app)
    await officer.login('motcua.thucphan')
    const page = await officer.get(`/dossiers/${code}`)
    const links = html(page)
      .querySelectorAll('ul.forms a')
      .map((a) => a.text)
    expect(links).toEqual([
      'Mẫu 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả (PDF, có chữ ký số)',
      'Mẫu 02: Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (PDF, có chữ ký số)',
      'Mẫu 05: Phiếu kiểm soát quá trình giải quyết hồ sơ (PDF, có chữ ký số)',
    ])
  })
})

describe('the tracking book (Mẫu 06)', () => {
  it('lists the unit’s dossiers of the period on A4, signed', async () => {
    const officer = new Visitor(t.app)
    await officer.login('motcua.thucphan')
    const blank = await officer.get('/admin/dossiers/book')
    expect(html(blank).querySelector('h1')!.text).toBe('Sổ theo dõi hồ sơ')
    const bad = await officer.get(`/admin/dossiers/book?unitId=${wardId}&from=2026-11-30&to=2026-11-01`)
    expect(bad.statusCode).toBe(422)
    expect(html(bad).querySelector('.error-summary')!.text).toContain(
      'Ngày kết thúc không được trước ngày bắt đầu.',
    )

    const book = await officer.get(`/admin/dossiers/book?unitId=${wardId}&from=2026-11-27&to=2026-11-27`)
    expect(book.statusCode).toBe(200)
    expectSignedByWard(book.rawPayload)
    if (!skipWithoutPoppler) {
      const text = pdfText(book.rawPayload).replace(/\s+/g, ' ')
      expect(text).toContain('SỔ THEO DÕI HỒ SƠ')
      expect(text).toContain('Hà Thị Lan')
      expect(text).toMatch(/Tổng số: \d+ hồ sơ/)
    }
    const stranger = new Visitor(t.app)
    await stranger.login('chuyenvien.sokhcn')
    const denied = await stranger.get(`/admin/dossiers/book?unitId=${wardId}&from=2026-11-27&to=2026-11-27`)
    expect(denied.statusCode).toBe(403)
  })
})

describe('verifying a signed PDF', () => {
  async function check(pdf: Buffer) {
    const { payload, contentType } = multipartBody({}, [{ field: 'file', name: 'x.pdf', content: pdf }])
    return t.app.inject({
      method: 'POST',
      url: '/api/v1/verify',
      payload,
      headers: { 'content-type': contentType },
    })
  }

  it('accepts the platform’s own signature and names the signer', async () => {
    const code = await counterDossier('Đàm Thị Hòa')
    const receipt = (await form(code, '01')).rawPayload
    const result = await check(receipt)
    expect(result.statusCode).toBe(200)
    expect(result.json()).toMatchObject({
      signed: true,
      acceptable: true,
      signatures: [{ signerName: 'Ủy ban nhân dân phường Thục Phán', trusted: true, intact: true }],
    })
  })

  it('says a tampered PDF was changed, and an unsigned file is not signed', async () => {
    const code = await counterDossier('Đàm Văn Hùng')
    const receipt = Buffer.from((await form(code, '01')).rawPayload)
    const at = receipt.indexOf('Đàm Văn Hùng') > 0 ? receipt.indexOf('Đàm Văn Hùng') : 400
    receipt[at] = receipt[at]! ^ 0x01
    const tampered = (await check(receipt)).json()
    expect(tampered.acceptable).toBe(false)
    expect(tampered.signatures[0].intact).toBe(false)

    const page = new Visitor(t.app)
    await page.get('/verify')
    const shown = await page.upload('/verify', {}, [{ field: 'file', name: 'hong.pdf', content: receipt }])
    expect(html(shown).querySelector('#verdict')!.text).toBe(
      'Chữ ký số KHÔNG hợp lệ hoặc văn bản đã bị thay đổi sau khi ký.',
    )
    const plain = await page.upload('/verify', {}, [
      { field: 'file', name: 'ghi-chu.pdf', content: Buffer.from('%PDF-1.4\nkhông ký\n%%EOF') },
    ])
    expect(html(plain).querySelector('#verdict')!.text).toBe('Tệp này không có chữ ký số.')
    const none = await page.upload('/verify', {}, [])
    expect(none.statusCode).toBe(422)
  })
})
