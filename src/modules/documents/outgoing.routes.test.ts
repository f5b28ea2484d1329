import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiToken, createTestApp, errorSummary, html, Visitor, type TestApp } from '../../../test/app.js'
import { samplePdf } from '../../../test/files.js'
import { edxmlHeader, pdfAttachment } from '../../../test/documents.js'
import { buildEnvelope, emptyOrgan } from './edxml.js'

let t: TestApp
let pdf: Buffer
const ids: Record<string, string> = {}

beforeAll(async () => {
  t = await createTestApp({ clock: () => new Date('2026-11-27T02:00:00Z') })
  pdf = await samplePdf('Dự thảo kế hoạch')
  const users = await sql<{ id: string; username: string }>`select id, username from users`.execute(
    t.database.db,
  )
  for (const row of users.rows) ids[row.username] = row.id
  const units = await sql<{ id: string; key: string }>`select id, key from org_units`.execute(t.database.db)
  for (const row of units.rows) ids[row.key] = row.id
})
afterAll(() => t.close())

const form = () => ({
  typeCode: 'ke-hoach',
  summary: 'Kế hoạch ứng dụng công nghệ thông tin năm 2027',
  urgency: 'normal',
  confidentiality: 'normal',
  external: '',
})

describe('outgoing documents on the officials’ pages', () => {
  let page = ''

  it('re-shows the draft form with errors and the values kept, then saves a draft with its PDF', async () => {
    const drafter = new Visitor(t.app)
    await drafter.login('chuyenvien.sokhcn')
    const blank = await drafter.get('/admin/documents/outgoing/new')
    expect(blank.statusCode).toBe(200)
    expect(html(blank).querySelector('h1')?.text).toBe('Soạn dự thảo văn bản')
    const invalid = await drafter.upload(
      '/admin/documents/outgoing/new',
      { ...form(), summary: '', division: 'vp', external: 'H14 Ủy ban' },
      [],
    )
    expect(invalid.statusCode).toBe(422)
    expect(errorSummary(invalid)).toEqual([
      'Nhập trích yếu (2 đến 2000 ký tự).',
      'Dòng 1: "H14" không phải mã định danh cơ quan theo QCVN 102:2016 (dạng 000.00.00.H14).',
    ])
    expect(html(invalid).querySelector('#division')?.getAttribute('value')).toBe('vp')
    expect(html(invalid).querySelector('#external')?.text).toBe('H14 Ủy ban')

    const created = await drafter.upload(
      '/admin/documents/outgoing/new',
      {
        ...form(),
        [`internal_${ids['phuong-thuc-phan']}`]: '1',
        external: '000.00.00.G22 Văn phòng Chính phủ',
      },
      [{ field: 'file', name: 'Dự thảo kế hoạch.pdf', content: pdf }],
    )
    expect(created.statusCode).toBe(303)
    page = String(created.headers.location)
    const view = await drafter.get(page)
    expect(html(view).querySelector('h1')?.text).toBe('Kế hoạch (Dự thảo)')
    expect(html(view).querySelector('#versions a')?.text).toBe('Dự thảo kế hoạch.pdf')
    expect(
      html(view)
        .querySelectorAll('#recipients-table tbody tr')
        .map((r) => r.text),
    ).toEqual([
      expect.stringContaining('Ủy ban nhân dân phường Thục Phán'),
      expect.stringContaining('Văn phòng Chính phủ (000.00.00.G22)'),
    ])
    expect(html(view).querySelector('#submit-form')).not.toBeNull()
  })

  it('takes the draft through the chain, refuses an out-of-turn decision, and the clerk issues it', async () => {
    const drafter = new Visitor(t.app)
    await drafter.login('chuyenvien.sokhcn')
    await drafter.get(page)
    const submitted = await drafter.post(`${page}/submit`, { chain: ids['lanhdao.sokhcn']! })
    expect(submitted.statusCode).toBe(303)
    // The drafter cannot decide in the leader's place.
    const early = await drafter.post(`${page}/step`, { action: 'approve' })
    expect(early.statusCode).toBe(403)

    const leader = new Visitor(t.app)
    await leader.login('lanhdao.sokhcn')
    const pending = await leader.get('/admin/documents/outgoing?box=pending')
    expect(html(pending).querySelectorAll('#outgoing tbody tr')).toHaveLength(1)
    const view = await leader.get(page)
    expect(html(view).querySelector('#step-form option[value="approve"]')?.text).toBe('Duyệt ban hành')
    const comment = await leader.post(`${page}/comments`, { body: '' })
    expect(comment.statusCode).toBe(422)
    expect(errorSummary(comment)).toEqual(['Nhập nội dung góp ý.'])
    const approved = await leader.post(`${page}/step`, { action: 'approve', signerPosition: 'Giám đốc' })
    expect(approved.statusCode).toBe(303)

    const clerk = new Visitor(t.app)
    await clerk.login('vanthu.sokhcn')
    const ready = await clerk.get(page)
    expect(html(ready).querySelector('#issue-form button')?.text).toBe('Cấp số, ký số và phát hành')
    const issued = await clerk.post(`${page}/issue`, {})
    expect(issued.statusCode).toBe(303)
    const done = await clerk.get(page)
    expect(html(done).querySelector('h1')?.text).toBe('Kế hoạch số 01/KH-SKHCN')
    expect(html(done).querySelector('.notice')?.text).toContain('Đã phát hành văn bản số 01/KH-SKHCN.')
    expect(html(done).querySelector('#edxml-package')).not.toBeNull()
    const signed = await clerk.get(html(done).querySelector('#signed a')!.getAttribute('href')!)
    expect(signed.headers['content-type']).toBe('application/pdf')
    const again = await clerk.post(`${page}/issue`, {})
    expect(again.statusCode).toBe(409)

    const register = await clerk.get('/admin/documents/outgoing/register')
    expect(
      html(register)
        .querySelectorAll('#register tbody tr')
        .map((r) => r.querySelector('a')?.text),
    ).toEqual(['01/KH-SKHCN'])
    // The ward finds it in its incoming register; the Sở's page is not theirs to see.
    const ward = new Visitor(t.app)
    await ward.login('vanthu.thucphan')
    const incoming = await ward.get('/admin/documents/incoming?q=ung dung cong nghe')
    expect(html(incoming).querySelector('#documents tbody tr')?.text).toContain('01/KH-SKHCN')
    expect((await ward.get(page)).statusCode).toBe(403)
  })

  it('edits a draft on its page as a new version, keeping the recipients chosen', async () => {
    const drafter = new Visitor(t.app)
    await drafter.login('chuyenvien.sokhcn')
    await drafter.get('/admin/documents/outgoing/new')
    const created = await drafter.upload(
      '/admin/documents/outgoing/new',
      {
        ...form(),
        summary: 'Báo cáo kết quả năm 2026',
        typeCode: 'bao-cao',
        [`internal_${ids['ubnd-tinh']}`]: '1',
      },
      [],
    )
    expect(created.statusCode).toBe(303)
    const draftPage = String(created.headers.location)
    const edit = await drafter.get(`${draftPage}/edit`)
    expect(html(edit).querySelector('h1')?.text).toBe('Sửa dự thảo (Phiên bản 2)')
    expect(
      html(edit).querySelector(`input[name="internal_${ids['ubnd-tinh']}"]`)?.hasAttribute('checked'),
    ).toBe(true)
    expect(html(edit).querySelector('#summary')?.text).toBe('Báo cáo kết quả năm 2026')
    const invalid = await drafter.upload(`${draftPage}/edit`, { ...form(), summary: '' }, [])
    expect(invalid.statusCode).toBe(422)
    expect(errorSummary(invalid)).toEqual([
      'Nhập trích yếu (2 đến 2000 ký tự).',
      'Chọn ít nhất một nơi nhận: đơn vị trên nền tảng hoặc cơ quan ngoài (mã định danh và tên).',
    ])
    const saved = await drafter.upload(
      `${draftPage}/edit`,
      {
        ...form(),
        typeCode: 'bao-cao',
        summary: 'Báo cáo kết quả thực hiện năm 2026',
        [`internal_${ids['ubnd-tinh']}`]: '1',
        note: 'Thêm số liệu',
      },
      [{ field: 'file', name: 'bao-cao-v2.pdf', content: pdf }],
    )
    expect(saved.statusCode).toBe(303)
    const view = await drafter.get(draftPage)
    expect(html(view).querySelector('.notice')?.text).toContain('Đã lưu phiên bản 2.')
    expect(
      html(view)
        .querySelectorAll('#versions tbody tr')
        .map((r) => r.querySelector('td')?.text),
    ).toEqual(['2', '1'])
    expect(html(view).querySelector('#versions a')?.text).toBe('bao-cao-v2.pdf')
    // Someone else cannot open the edit form.
    const colleague = new Visitor(t.app)
    await colleague.login('lanhdao.sokhcn')
    const redirected = await colleague.get(`${draftPage}/edit`)
    expect(redirected.statusCode).toBe(303)
  })

  it('lets the clerk set the unit’s abbreviation, refusing a malformed one', async () => {
    const clerk = new Visitor(t.app)
    await clerk.login('vanthu.sokhcn')
    await clerk.get('/admin/documents/outgoing/register')
    const bad = await clerk.post('/admin/documents/outgoing/abbreviation', {
      unitId: ids['so-khcn']!,
      abbreviation: 'Sở KH',
    })
    expect(bad.statusCode).toBe(422)
    expect(errorSummary(bad)).toEqual([
      'Chữ viết tắt gồm chữ in hoa và chữ số, 1 đến 20 ký tự (ví dụ SKHCN).',
    ])
    const ok = await clerk.post('/admin/documents/outgoing/abbreviation', {
      unitId: ids['so-khcn']!,
      abbreviation: 'khcn',
    })
    expect(ok.statusCode).toBe(303)
    const page = await clerk.get(String(ok.headers.location))
    expect(html(page).querySelector('#abbreviation')?.getAttribute('value')).toBe('KHCN')
    const specialist = new Visitor(t.app)
    await specialist.login('chuyenvien.sokhcn')
    expect((await specialist.get('/admin/documents/outgoing/register')).statusCode).toBe(403)
  })

  it('lets the clerk refuse a document received as edXML, with a reason', async () => {
    const xml = buildEnvelope(
      {
        document: edxmlHeader({
          to: [emptyOrgan('000.13.00.H14', 'Sở Khoa học và Công nghệ')],
          codeNumber: '55',
          codeNotation: 'VPCP-KGVX',
          promulgationDate: '2026-11-25',
          subject: 'V/v gửi nhầm',
        }),
        attachments: [pdfAttachment(pdf, 'cv.pdf', 'x1')],
      },
      new Date('2026-11-27T02:00:00Z'),
    )
    const token = await apiToken(t, 'vanthu.sokhcn')
    const imported = await t.app.inject({
      method: 'POST',
      url: '/api/v1/documents/import',
      payload: xml,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/xml' },
    })
    const id = imported.json().id as string
    const clerk = new Visitor(t.app)
    await clerk.login('vanthu.sokhcn')
    const documentPage = await clerk.get(`/admin/documents/${id}`)
    const link = html(documentPage).querySelector('#outgoing-links a.danger')
    expect(link?.getAttribute('href')).toBe(`/admin/documents/${id}/refuse`)
    await clerk.get(`/admin/documents/${id}/refuse`)
    const empty = await clerk.post(`/admin/documents/${id}/refuse`, { reason: '' })
    expect(empty.statusCode).toBe(422)
    expect(errorSummary(empty)).toEqual(['Nhập lý do từ chối (5 đến 2000 ký tự), nơi gửi sẽ nhận được.'])
    const refused = await clerk.post(`/admin/documents/${id}/refuse`, { reason: 'Văn bản gửi nhầm cơ quan' })
    expect(refused.statusCode).toBe(303)
    const after = await clerk.get(`/admin/documents/${id}`)
    expect(html(after).querySelector('#metadata')?.text).toContain('Từ chối tiếp nhận')
    expect(html(after).querySelector('#status-messages')?.text).toContain(
      '02 — Từ chối tiếp nhận: Văn bản gửi nhầm cơ quan',
    )
    expect(html(after).querySelector('#outgoing-links')).toBeNull()
  })
})
