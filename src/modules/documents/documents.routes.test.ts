import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, errorSummary, html, Visitor, type TestApp } from '../../../test/app.js'
import { samplePdf } from '../../../test/files.js'
import { edxmlHeader, pdfAttachment } from '../../../test/documents.js'
import { buildEnvelope, emptyOrgan } from './edxml.js'

let t: TestApp
let pdf: Buffer
let specialistId = ''
let registered = ''

beforeAll(async () => {
  t = await createTestApp({ clock: () => new Date('2026-11-27T02:00:00Z') })
  pdf = await samplePdf('Bản quét công văn')
  specialistId = (
    await sql<{ id: string }>`select id from users where username = 'chuyenvien.sokhcn'`.execute(
      t.database.db,
    )
  ).rows[0]!.id
})
afterAll(() => t.close())

const form = {
  source: 'paper',
  codeNumber: '318',
  codeNotation: 'UBND-TH',
  issuedOn: '2026-11-24',
  issuerName: 'Ủy ban nhân dân tỉnh Cao Bằng',
  issuerCode: '000.00.00.H14',
  typeCode: 'cong-van',
  summary: 'V/v tổng kết công tác khoa học và công nghệ năm 2026',
  signerName: 'Nông Văn Chí',
  urgency: 'normal',
  confidentiality: 'normal',
}

describe('registering on the clerk’s pages', () => {
  it('records a paper document with its scan, re-showing errors with the values kept', async () => {
    const clerk = new Visitor(t.app)
    await clerk.login('vanthu.sokhcn')
    const blank = await clerk.get('/admin/documents/incoming/new')
    expect(blank.statusCode).toBe(200)
    expect(html(blank).querySelector('h1')?.text).toBe('Vào sổ văn bản đến')

    const invalid = await clerk.upload('/admin/documents/incoming/new', { ...form, summary: '' }, [
      { field: 'files', name: 'scan.pdf', content: pdf },
    ])
    expect(invalid.statusCode).toBe(422)
    expect(errorSummary(invalid)).toEqual([
      'Nhập trích yếu nội dung văn bản.',
      'Vui lòng chọn lại tệp đính kèm trước khi gửi lại.',
    ])
    expect(html(invalid).querySelector('#codeNotation')?.getAttribute('value')).toBe('UBND-TH')
    expect(await sql`select 1 from document_files`.execute(t.database.db).then((r) => r.rows.length)).toBe(0)

    const created = await clerk.upload('/admin/documents/incoming/new', form, [
      { field: 'files', name: 'Bản quét CV 318.pdf', content: pdf },
    ])
    expect(created.statusCode).toBe(303)
    const page = await clerk.get(created.headers.location as string)
    registered = String(created.headers.location).split('/').pop()!
    expect(html(page).querySelector('h1')?.text).toBe('Công văn số 318/UBND-TH')
    expect(html(page).querySelector('.notice')?.text).toContain('Đã vào sổ văn bản đến, số đến 1.')
    const link = html(page).querySelector('#files-list a')!
    expect(link.text).toBe('Bản quét CV 318.pdf')
    const file = await clerk.get(link.getAttribute('href')!)
    expect(file.rawPayload.equals(pdf)).toBe(true)
    expect(file.headers['content-disposition']).toMatch(/^attachment;/)
  })

  it('asks the clerk to confirm a document that looks registered already', async () => {
    const clerk = new Visitor(t.app)
    await clerk.login('vanthu.sokhcn')
    await clerk.get('/admin/documents/incoming/new')
    const twice = await clerk.upload('/admin/documents/incoming/new', { ...form, codeNumber: '0318' }, [])
    expect(twice.statusCode).toBe(409)
    expect(errorSummary(twice)[0]).toMatch(
      /đã được vào sổ "Sổ văn bản đến năm 2026", số đến 1, ngày 27\/11\/2026\.$/,
    )
    expect(html(twice).querySelector('#confirmDifferent')).not.toBeNull()
    const confirmed = await clerk.upload(
      '/admin/documents/incoming/new',
      { ...form, codeNumber: '0318', confirmDifferent: 'on' },
      [],
    )
    expect(confirmed.statusCode).toBe(303)
  })

  it('sends the clerk back to the register after recording a confidential document they may not open', async () => {
    const clerk = new Visitor(t.app)
    await clerk.login('vanthu.sokhcn')
    await clerk.get('/admin/documents/incoming/new')
    const created = await clerk.upload(
      '/admin/documents/incoming/new',
      { ...form, codeNumber: '77', confidentiality: 'secret' },
      [],
    )
    expect(created.headers.location).toBe('/admin/documents/incoming')
    const list = await clerk.get('/admin/documents/incoming')
    expect(html(list).querySelector('.notice')?.text).toMatch(/số đến 3\. Văn bản mật hoặc khẩn/)
  })

  it('finds the document without diacritics from the register page', async () => {
    const clerk = new Visitor(t.app)
    await clerk.login('vanthu.sokhcn')
    const found = await clerk.get('/admin/documents/incoming?q=tong+ket+khoa+hoc')
    expect(html(found).querySelectorAll('#documents tbody tr').length).toBe(2)
    const none = await clerk.get('/admin/documents/incoming?q=tong+ket+nong+nghiep')
    expect(html(none).querySelector('#no-results')).not.toBeNull()
  })
})

describe('assignment on the leader’s and assignee’s pages', () => {
  it('a leader assigns, the assignee sees it in the queue and completes it', async () => {
    const leader = new Visitor(t.app)
    await leader.login('lanhdao.sokhcn')
    const queue = await leader.get('/admin/documents')
    expect(html(queue).querySelector('#unassigned')?.text).toContain('318/UBND-TH')
    const page = await leader.get(`/admin/documents/${registered}`)
    const options = html(page)
      .querySelectorAll('#lead option')
      .map((o) => o.getAttribute('value'))
    expect(options).toContain(`user:${specialistId}`)
    const missing = await leader.post(`/admin/documents/${registered}/assign`, { lead: '', days: '2' })
    expect(missing.statusCode).toBe(422)
    expect(errorSummary(missing)).toEqual(['Chọn đơn vị hoặc người chủ trì xử lý.'])
    const assigned = await leader.post(`/admin/documents/${registered}/assign`, {
      lead: `user:${specialistId}`,
      days: '2',
      note: 'Đồng chí Hạnh chủ trì, báo cáo trước 01/12.',
    })
    expect(assigned.statusCode).toBe(303)

    const assignee = new Visitor(t.app)
    await assignee.login('chuyenvien.sokhcn')
    const mine = await assignee.get('/admin/documents')
    const row = html(mine).querySelector('#my-assignments tbody tr')!
    expect(row.text).toContain('318/UBND-TH')
    expect(row.querySelector('.tag')?.text).toBe('Trong hạn')
    const documentPage = await assignee.get(`/admin/documents/${registered}`)
    const act = html(documentPage).querySelector('form.act-form')!
    const action = act.getAttribute('action')!
    const noteField = act.querySelector('textarea')!.getAttribute('name')!
    const empty = await assignee.post(action, { action: 'report', [noteField]: '' })
    expect(empty.statusCode).toBe(422)
    expect(errorSummary(empty)).toEqual(['Nhập nội dung ý kiến hoặc báo cáo.'])
    const done = await assignee.post(action, { action: 'complete', [noteField]: 'Đã xây dựng báo cáo.' })
    expect(done.statusCode).toBe(303)
    const finished = await assignee.get(`/admin/documents/${registered}`)
    expect(html(finished).querySelector('#metadata')?.text).toContain('Hoàn thành')
    expect(
      html(finished)
        .querySelectorAll('#history tbody tr td:nth-child(2)')
        .map((td) => td.text),
    ).toEqual(['Vào sổ văn bản đến', 'Phân công xử lý', 'Hoàn thành', 'Văn bản hoàn thành xử lý'])
  })
})

describe('receiving an edXML package on the clerk’s page', () => {
  it('refuses a broken package in Vietnamese and registers a good one', async () => {
    const clerk = new Visitor(t.app)
    await clerk.login('vanthu.thucphan')
    await clerk.get('/admin/documents/import')
    const broken = await clerk.upload('/admin/documents/import', {}, [
      { field: 'edxml', name: 'goi-tin.xml', content: Buffer.from('<edXML><oops></edXML>') },
    ])
    expect(broken.statusCode).toBe(422)
    expect(errorSummary(broken)[0]).toMatch(/^Tệp không phải XML hợp lệ: lỗi cú pháp ở dòng 1/)

    const xml = buildEnvelope(
      {
        document: edxmlHeader({
          from: emptyOrgan('000.00.00.H14', 'Ủy ban nhân dân tỉnh Cao Bằng'),
          codeNumber: '45',
          codeNotation: 'UBND-NC',
          place: 'Cao Bằng',
          promulgationDate: '2026-11-26',
          type: { code: 7, name: 'Thông báo' },
          subject: 'Thông báo lịch tiếp công dân tháng 12',
        }),
        attachments: [pdfAttachment(pdf, 'TB 45.pdf')],
      },
      new Date('2026-11-26T03:00:00Z'),
    )
    const good = await clerk.upload('/admin/documents/import', {}, [
      { field: 'edxml', name: 'goi-tin.xml', content: Buffer.from(xml) },
    ])
    expect(good.statusCode).toBe(303)
    const page = await clerk.get(good.headers.location as string)
    expect(html(page).querySelector('h1')?.text).toBe('Thông báo số 45/UBND-NC')
    expect(
      html(page)
        .querySelectorAll('#status-messages li')
        .map((li) => li.text.slice(0, 7)),
    ).toEqual(['01 — Đã', '03 — Đã'])
  })
})
