import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, errorSummary, html, Visitor, type TestApp } from '../../../test/app.js'
import { pdfQrCode, pdfText, skipWithoutPoppler } from '../../../test/pdf.js'

let t: TestApp
let wardId = ''
let recorded = ''
beforeAll(async () => {
  t = await createTestApp({ clock: () => new Date('2026-11-27T02:00:00Z') })
  const units = (await t.app.inject({ url: '/api/v1/units' })).json().items as { id: string; key: string }[]
  wardId = units.find((u) => u.key === 'phuong-thuc-phan')!.id
})
afterAll(() => t.close())

describe('one-stop desk pages', () => {
  it('records a counter dossier through the form, re-showing errors with the values kept', async () => {
    const officer = new Visitor(t.app)
    await officer.login('motcua.thucphan')
    const first = await officer.get(`/admin/dossiers/new?procedureCode=1.001193&unitId=${wardId}`)
    expect(first.statusCode).toBe(200)
    expect(html(first).querySelector('#form\\.childFullName')).not.toBeNull()

    const form = {
      procedureCode: '1.001193',
      unitId: wardId,
      'applicant.name': 'Lục Văn Tài',
      'applicant.phone': '0987000111',
      'form.childFullName': 'Lục Thị Mai',
      'form.childBirthDate': '2026-11-20',
      'form.childSex': 'Nữ',
      'form.childBirthPlace': 'Bệnh viện Đa khoa tỉnh Cao Bằng',
      'form.applicantIdNumber': '004090012345',
    }
    const invalid = await officer.post('/admin/dossiers/new', { ...form, 'form.childFullName': '' })
    expect(invalid.statusCode).toBe(422)
    expect(errorSummary(invalid).length).toBeGreaterThan(0)
    expect(html(invalid).querySelector('#applicant\\.name')?.getAttribute('value')).toBe('Lục Văn Tài')

    const relationship = html(invalid)
      .querySelectorAll('#form\\.relationshipToChild option')
      .map((o) => o.getAttribute('value'))
      .find((v) => v)!
    const created = await officer.post('/admin/dossiers/new', {
      ...form,
      'form.relationshipToChild': relationship,
    })
    expect(created.statusCode).toBe(303)
    const code = decodeURIComponent(String(created.headers.location).split('/').pop()!)
    expect(code).toMatch(/-261127-\d{4}$/)
    recorded = code

    const page = await officer.get(created.headers.location as string)
    expect(html(page).querySelector('h1')?.text).toBe(code)
    expect(html(page).querySelector('main')!.text).toContain('Đã tiếp nhận')
    const receipt = await officer.get(`/dossiers/${code}/receipt`)
    expect(receipt.headers['content-type']).toBe('application/pdf')
    if (!skipWithoutPoppler) {
      const text = pdfText(receipt.rawPayload).replace(/\s+/g, ' ')
      expect(text).toContain('GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ')
      expect(text).toContain(`Mã hồ sơ: ${code}`)
      expect(text).toContain('Tiếp nhận hồ sơ của: Lục Văn Tài')
      expect(text).toContain('Thời gian trả kết quả giải quyết hồ sơ')
      expect(pdfQrCode(receipt.rawPayload)).toBe(code)
    }

    const queue = await officer.get('/admin/dossiers')
    expect(queue.body).toContain(code)

    const acted = await officer.post(`/dossiers/${code}/actions`, { action: 'return_result' })
    expect(acted.statusCode).toBe(409)
    expect(errorSummary(acted)[0]).toMatch(/^Hồ sơ đang ở trạng thái "Đã tiếp nhận"/)

    const tracking = new Visitor(t.app)
    await tracking.get('/track')
    const found = await tracking.post('/track', { code, secret: '0987000111' })
    expect(html(found).querySelector('#result-title')?.text).toBe(code)
    const wrong = await tracking.post('/track', { code, secret: '0900000000' })
    expect(wrong.statusCode).toBe(404)
    expect(wrong.body).not.toContain('Lục Văn Tài')
  })

  it('keeps another unit’s officer out of the dossier page and their queue', async () => {
    const stranger = new Visitor(t.app)
    await stranger.login('chuyenvien.sokhcn')
    expect((await stranger.get(`/dossiers/${recorded}`)).statusCode).toBe(403)
    const queue = await stranger.get('/admin/dossiers')
    expect(queue.statusCode).toBe(200)
    expect(queue.body).not.toContain(recorded)
  })
})
