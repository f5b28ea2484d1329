import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiToken, createTestApp, errorSummary, html, Visitor, type TestApp } from '../../../test/app.js'
import { documentsFixture, OFFICIALS } from '../../../test/documents.js'
import { samplePdf } from '../../../test/files.js'

let t: TestApp
const { users, units, api, signIn, registerIncoming } = documentsFixture(() => t)
let counter = 100

/** Registers an incoming document in a unit through the API; with a PDF when `withFile`. */
async function register(clerk: string, overrides: Record<string, unknown> = {}, withFile = false) {
  return registerIncoming(
    clerk,
    {
      codeNumber: String(++counter),
      codeNotation: 'UBND-VP',
      issuedOn: '2026-11-20',
      issuerName: 'Ủy ban nhân dân tỉnh Cao Bằng',
      typeCode: 'cong-van',
      summary: `Về việc triển khai chuyển đổi số số ${counter}`,
      ...overrides,
    },
    withFile ? [{ name: 'van-ban.pdf', content: await samplePdf('Văn bản điện tử') }] : [],
  )
}

async function openFile(username: string, body: Record<string, unknown>) {
  const response = await api(username, 'POST', '/documents/work-files', {
    title: 'Hồ sơ triển khai chuyển đổi số năm 2026',
    retention: 10,
    ...body,
  })
  expect(response.statusCode, response.body).toBe(201)
  return response.json().id as string
}

beforeAll(async () => {
  t = await createTestApp({ clock: () => new Date('2026-11-27T02:00:00Z') })
  await signIn([...OFFICIALS, 'quantri'])
})

afterAll(async () => {
  await t.close()
})

describe('work files (hồ sơ công việc)', () => {
  it('opens a work file for the unit and lists it to its officials only', async () => {
    const id = await openFile('chuyenvien.sokhcn', { code: '01.KHCN' })
    const mine = await api('chuyenvien.sokhcn', 'GET', `/documents/work-files/${id}`)
    expect(mine.statusCode).toBe(200)
    expect(mine.json().workFile).toMatchObject({
      code: '01.KHCN',
      year: 2026,
      keeperId: users['chuyenvien.sokhcn'],
      retentionYears: 10,
      permanent: false,
      status: 'open',
      openedOn: '2026-11-27',
    })
    const list = await api('lanhdao.sokhcn', 'GET', '/documents/work-files?year=2026')
    expect(list.json().items.map((f: { code: string }) => f.code)).toContain('01.KHCN')
    // An official of another unit learns nothing about it.
    expect((await api('lanhdao.thucphan', 'GET', `/documents/work-files/${id}`)).statusCode).toBe(404)
    const theirs = await api('lanhdao.thucphan', 'GET', '/documents/work-files?year=2026')
    expect(theirs.json().items.map((f: { code: string }) => f.code)).not.toContain('01.KHCN')
  })

  it('refuses bad input with a Vietnamese message per field', async () => {
    const response = await api('chuyenvien.sokhcn', 'POST', '/documents/work-files', {
      code: 'có dấu cách',
      title: 'x',
      retention: 0,
      year: 2031,
      keeperId: users['chuyenvien.thucphan'],
      openedOn: '2026-02-30',
    })
    expect(response.statusCode).toBe(422)
    const fields = response.json().error.details.fields
    expect(fields).toMatchObject({
      year: 'Năm của hồ sơ từ 2025 đến 2027.',
      code: expect.stringContaining('Số và ký hiệu hồ sơ'),
      title: 'Tiêu đề hồ sơ từ 2 đến 500 ký tự.',
      keeperId: 'Chọn người lập hồ sơ trong danh sách.',
      retention: 'Chọn thời hạn bảo quản: vĩnh viễn hoặc từ 1 đến 99 năm.',
      openedOn: 'Ngày mở hồ sơ không hợp lệ (năm-tháng-ngày).',
    })
    await openFile('chuyenvien.sokhcn', { code: '02.KHCN' })
    const again = await api('lanhdao.sokhcn', 'POST', '/documents/work-files', {
      code: '02.KHCN',
      title: 'Hồ sơ khác',
      retention: 'permanent',
    })
    expect(again.statusCode).toBe(422)
    expect(again.json().error.details.fields.code).toBe('Đơn vị đã có hồ sơ số 02.KHCN năm 2026.')
    // A citizen has no back office.
    const citizen = await apiToken(t, 'congdan')
    const denied = await t.app.inject({
      method: 'POST',
      url: '/api/v1/documents/work-files',
      headers: { authorization: `Bearer ${citizen}` },
      payload: { code: '03.KHCN', title: 'Hồ sơ', retention: 5 },
    })
    expect(denied.statusCode).toBe(403)
  })

  it('lets the leader name a keeper of the unit, not one of another unit', async () => {
    const id = await openFile('lanhdao.sokhcn', { code: '04.KHCN', keeperId: users['vanthu.sokhcn'] })
    expect(
      (await api('lanhdao.sokhcn', 'GET', `/documents/work-files/${id}`)).json().workFile.keeperName,
    ).toBeTruthy()
    const other = await api('lanhdao.sokhcn', 'POST', '/documents/work-files', {
      code: '05.KHCN',
      title: 'Hồ sơ',
      retention: 5,
      keeperId: users['lanhdao.thucphan'],
    })
    expect(other.statusCode).toBe(422)
  })

  it('measures a closed file: processed electronically only when every document was handled electronically', async () => {
    const file = await openFile('lanhdao.sokhcn', { code: '10.KHCN' })
    const electronic = await register('vanthu.sokhcn', { source: 'electronic' })
    const scanned = await register('vanthu.sokhcn', {}, true)
    const paper = await register('vanthu.sokhcn')
    for (const documentId of [electronic, scanned, paper]) {
      const added = await api('lanhdao.sokhcn', 'POST', `/documents/work-files/${file}/documents`, {
        documentId,
      })
      expect(added.statusCode, added.body).toBe(204)
    }
    const open = await api('lanhdao.sokhcn', 'GET', `/documents/work-files/${file}`)
    expect(open.json().measured).toEqual({ total: 3, electronic: 2 })
    expect(
      open.json().documents.map((d: { id: string; electronic: boolean }) => [d.id === paper, d.electronic]),
    ).toContainEqual([true, false])
    // A document is filed once per unit.
    const other = await openFile('lanhdao.sokhcn', { code: '11.KHCN' })
    const twice = await api('lanhdao.sokhcn', 'POST', `/documents/work-files/${other}/documents`, {
      documentId: paper,
    })
    expect(twice.statusCode).toBe(422)
    expect(twice.json().error.details.fields.documentId).toMatch(/đã nằm trong hồ sơ 10\.KHCN năm 2026/)

    const closed = await api('lanhdao.sokhcn', 'POST', `/documents/work-files/${file}/close`, {})
    expect(closed.statusCode, closed.body).toBe(200)
    expect(closed.json()).toMatchObject({
      status: 'closed',
      closedOn: '2026-11-27',
      documentsCount: 3,
      electronicCount: 2,
      processedElectronically: false,
    })
    // Closed: no more documents.
    const late = await api('lanhdao.sokhcn', 'POST', `/documents/work-files/${file}/documents`, {
      documentId: await register('vanthu.sokhcn', { source: 'electronic' }),
    })
    expect(late.statusCode).toBe(409)
    expect(late.json().error.message).toMatch(/Đã kết thúc/)
  })

  it('counts a document whose assignment is still open as not yet processed electronically', async () => {
    const file = await openFile('lanhdao.sokhcn', { code: '12.KHCN' })
    const documentId = await register('vanthu.sokhcn', { source: 'electronic' })
    const assigned = await api('lanhdao.sokhcn', 'POST', `/documents/${documentId}/assignments`, {
      lead: { kind: 'user', id: users['chuyenvien.sokhcn'] },
      days: 3,
    })
    expect(assigned.statusCode, assigned.body).toBe(201)
    await api('lanhdao.sokhcn', 'POST', `/documents/work-files/${file}/documents`, { documentId })
    expect((await api('lanhdao.sokhcn', 'GET', `/documents/work-files/${file}`)).json().measured).toEqual({
      total: 1,
      electronic: 0,
    })
    const assignment = assigned.json()[0].id as string
    const done = await api(
      'chuyenvien.sokhcn',
      'POST',
      `/documents/${documentId}/assignments/${assignment}/actions`,
      {
        action: 'complete',
        note: 'Đã xử lý xong',
      },
    )
    expect(done.statusCode, done.body).toBe(200)
    const closed = await api('lanhdao.sokhcn', 'POST', `/documents/work-files/${file}/close`, {})
    expect(closed.json()).toMatchObject({
      documentsCount: 1,
      electronicCount: 1,
      processedElectronically: true,
    })
  })

  it('refuses to close an empty file, and lets only the keeper or a leader close it', async () => {
    const file = await openFile('vanthu.sokhcn', { code: '13.KHCN' })
    const empty = await api('vanthu.sokhcn', 'POST', `/documents/work-files/${file}/close`, {})
    expect(empty.statusCode).toBe(422)
    expect(empty.json().error.details.fields.documentId).toBe(
      'Hồ sơ chưa có văn bản nào; chưa kết thúc được.',
    )
    await api('vanthu.sokhcn', 'POST', `/documents/work-files/${file}/documents`, {
      documentId: await register('vanthu.sokhcn', { source: 'electronic' }),
    })
    // The specialist is an official of the unit (reads the file) but neither its keeper nor a leader.
    expect((await api('chuyenvien.sokhcn', 'GET', `/documents/work-files/${file}`)).statusCode).toBe(200)
    expect(
      (await api('chuyenvien.sokhcn', 'POST', `/documents/work-files/${file}/close`, {})).statusCode,
    ).toBe(403)
    expect((await api('vanthu.sokhcn', 'POST', `/documents/work-files/${file}/close`, {})).statusCode).toBe(
      200,
    )
  })

  it('reopens with a reason before archiving; an archived file changes no more', async () => {
    const file = await openFile('lanhdao.sokhcn', { code: '14.KHCN' })
    await api('lanhdao.sokhcn', 'POST', `/documents/work-files/${file}/documents`, {
      documentId: await register('vanthu.sokhcn', { source: 'electronic' }),
    })
    await api('lanhdao.sokhcn', 'POST', `/documents/work-files/${file}/close`, {})
    const noReason = await api('lanhdao.sokhcn', 'POST', `/documents/work-files/${file}/reopen`, {})
    expect(noReason.statusCode).toBe(422)
    expect(noReason.json().error.details.fields.note).toBe('Nhập lý do mở lại hồ sơ.')
    expect(
      (await api('vanthu.sokhcn', 'POST', `/documents/work-files/${file}/reopen`, { note: 'Bổ sung' }))
        .statusCode,
    ).toBe(403)
    const reopened = await api('lanhdao.sokhcn', 'POST', `/documents/work-files/${file}/reopen`, {
      note: 'Bổ sung văn bản trả lời',
    })
    expect(reopened.json()).toMatchObject({ status: 'open', closedOn: null, processedElectronically: null })
    await api('lanhdao.sokhcn', 'POST', `/documents/work-files/${file}/close`, {})
    const archived = await api('vanthu.sokhcn', 'POST', `/documents/work-files/${file}/archive`, {})
    expect(archived.statusCode, archived.body).toBe(200)
    expect(archived.json().status).toBe('archived')
    for (const path of ['reopen', 'archive', 'close']) {
      const response = await api('lanhdao.sokhcn', 'POST', `/documents/work-files/${file}/${path}`, {
        note: 'x',
      })
      expect(response.statusCode).toBe(409)
      expect(response.json().error.message).toMatch(/Đã nộp lưu/)
    }
    const history = (await api('lanhdao.sokhcn', 'GET', `/documents/work-files/${file}`)).json().history
    expect(history.map((h: { action: string }) => h.action)).toEqual([
      'opened',
      'add_document',
      'close',
      'reopen',
      'close',
      'archive',
    ])
  })

  it('hides a confidential document inside a work file from officials who may not see it', async () => {
    const file = await openFile('lanhdao.sokhcn', { code: '20.KHCN' })
    const secret = await register('vanthu.sokhcn', {
      confidentiality: 'confidential',
      summary: 'Về phương án bảo vệ bí mật kỳ lân',
    })
    const added = await api('lanhdao.sokhcn', 'POST', `/documents/work-files/${file}/documents`, {
      documentId: secret,
    })
    expect(added.statusCode, added.body).toBe(204)
    expect(
      (await api('lanhdao.sokhcn', 'GET', `/documents/work-files/${file}`)).json().documents,
    ).toHaveLength(1)
    for (const username of ['chuyenvien.sokhcn', 'vanthu.sokhcn']) {
      const seen = await api(username, 'GET', `/documents/work-files/${file}`)
      expect(seen.statusCode).toBe(200)
      expect(seen.json().documents).toEqual([])
      expect(seen.body).not.toContain('kỳ lân')
    }
    // Nor can they file a document they may not see.
    const own = await openFile('chuyenvien.sokhcn', { code: '21.KHCN' })
    const refused = await api('chuyenvien.sokhcn', 'POST', `/documents/work-files/${own}/documents`, {
      documentId: secret,
    })
    expect(refused.statusCode).toBe(422)
    expect(refused.json().error.details.fields.documentId).toBe('Chọn một văn bản bạn được xem.')
  })

  it('gives the share per unit and level against the plan targets, through the API and the page', async () => {
    // A ward: one file processed electronically.
    const ward = await openFile('vanthu.thucphan', { code: '01.TP' })
    await api('vanthu.thucphan', 'POST', `/documents/work-files/${ward}/documents`, {
      documentId: await register('vanthu.thucphan', { source: 'electronic' }),
    })
    await api('vanthu.thucphan', 'POST', `/documents/work-files/${ward}/close`, {})

    const stats = await api('quantri', 'GET', '/documents/work-files/stats?year=2026')
    expect(stats.statusCode, stats.body).toBe(200)
    const body = stats.json()
    expect(body.source).toMatch(/2893\/QĐ-UBND/)
    const so = body.units.find((u: { unitId: string }) => u.unitId === units['so-khcn'])
    // Closed in the department so far: 10.KHCN (no), 12.KHCN (yes), 13.KHCN (yes), 14.KHCN (archived, yes).
    expect(so).toMatchObject({
      level: 'province',
      finished: 4,
      electronic: 3,
      share: 0.75,
      target: 0.95,
      met: false,
    })
    expect(so.open).toBeGreaterThan(0)
    const tp = body.units.find((u: { unitId: string }) => u.unitId === units['phuong-thuc-phan'])
    expect(tp).toMatchObject({
      level: 'commune',
      finished: 1,
      electronic: 1,
      share: 1,
      target: 0.8,
      met: true,
    })
    expect(body.levels).toEqual([
      expect.objectContaining({
        level: 'province',
        finished: 4,
        electronic: 3,
        share: 0.75,
        target: 0.95,
        met: false,
      }),
      expect.objectContaining({ level: 'district', finished: 0, share: null, target: 0.85, met: null }),
      expect.objectContaining({
        level: 'commune',
        finished: 1,
        electronic: 1,
        share: 1,
        target: 0.8,
        met: true,
      }),
    ])
    expect((await api('quantri', 'GET', '/documents/work-files/stats?year=2025')).json().units).toEqual([])
    const bad = await api('quantri', 'GET', '/documents/work-files/stats?year=20x6')
    expect(bad.statusCode).toBe(422)
    expect(bad.json().error.details.fields.year).toBe('Năm không hợp lệ (bốn chữ số, ví dụ 2026).')
    expect((await t.app.inject({ url: '/api/v1/documents/work-files/stats' })).statusCode).toBe(401)

    const visitor = new Visitor(t.app)
    await visitor.login('lanhdao.thucphan')
    const page = await visitor.get('/admin/documents/work-files/stats?year=2026')
    expect(page.statusCode).toBe(200)
    const doc = html(page)
    expect(doc.querySelector('tr[data-level="province"]')?.text).toContain('75%')
    expect(doc.querySelector('tr[data-level="province"]')?.text).toContain('Chưa đạt')
    expect(doc.querySelector('tr[data-level="commune"]')?.text).toContain('100%')
    expect(doc.querySelector('tr[data-level="commune"]')?.text).toContain('Đạt')
    const wrong = await visitor.get('/admin/documents/work-files/stats?year=abc')
    expect(wrong.statusCode).toBe(422)
    expect(errorSummary(wrong)).toEqual(['Năm không hợp lệ (bốn chữ số, ví dụ 2026).'])
  })
})

describe('outgoing documents in work files', () => {
  it('files an outgoing document, counted electronic once issued with the digital signature', async () => {
    const draft = await api('chuyenvien.sokhcn', 'POST', '/documents/outgoing', {
      typeCode: 'cong-van',
      summary: 'Về việc đề nghị cung cấp số liệu chuyển đổi số',
      recipients: [{ kind: 'internal', unitId: units['phuong-thuc-phan'] }],
    })
    expect(draft.statusCode, draft.body).toBe(201)
    const outgoingId = draft.json().id as string
    const file = await openFile('lanhdao.sokhcn', { code: '30.KHCN' })
    const both = await api('lanhdao.sokhcn', 'POST', `/documents/work-files/${file}/documents`, {
      documentId: outgoingId,
      outgoingId,
    })
    expect(both.statusCode).toBe(422)
    const added = await api('lanhdao.sokhcn', 'POST', `/documents/work-files/${file}/documents`, {
      outgoingId,
    })
    expect(added.statusCode, added.body).toBe(204)
    const view = (await api('lanhdao.sokhcn', 'GET', `/documents/work-files/${file}`)).json()
    expect(view.documents).toEqual([
      expect.objectContaining({ kind: 'outgoing', id: outgoingId, codeNumber: null, electronic: false }),
    ])
    expect(view.measured).toEqual({ total: 1, electronic: 0 })
    // The clerk sees outgoing documents only once approved: the draft is not shown to them.
    expect((await api('vanthu.sokhcn', 'GET', `/documents/work-files/${file}`)).json().documents).toEqual([])
    // Issued and signed (the issuing flow is tested with the outgoing documents): now it counts.
    await sql`update outgoing_documents set status = 'issued', number = 5, code_number = '05', code_notation = 'SKHCN-VP',
      issued_on = '2026-11-27', signed_object_key = 'documents/2026/11/signed' where id = ${outgoingId}`.execute(
      t.database.db,
    )
    expect((await api('lanhdao.sokhcn', 'GET', `/documents/work-files/${file}`)).json().measured).toEqual({
      total: 1,
      electronic: 1,
    })
    const again = await api(
      'lanhdao.sokhcn',
      'POST',
      `/documents/work-files/${await openFile('lanhdao.sokhcn', { code: '31.KHCN' })}/documents`,
      {
        outgoingId,
      },
    )
    expect(again.json().error.details.fields.documentId).toBe(
      'Văn bản 05/SKHCN-VP đã nằm trong hồ sơ 30.KHCN năm 2026 của đơn vị.',
    )
    const removed = await api(
      'lanhdao.sokhcn',
      'DELETE',
      `/documents/work-files/${file}/documents/${outgoingId}`,
    )
    expect(removed.statusCode).toBe(204)
    expect((await api('lanhdao.sokhcn', 'GET', `/documents/work-files/${file}`)).json().documents).toEqual([])
  })
})

describe('work-file pages', () => {
  it('opens a file through the form, re-showing values and messages on bad input', async () => {
    const visitor = new Visitor(t.app)
    await visitor.login('vanthu.thucphan')
    const form = await visitor.get('/admin/documents/work-files/new')
    expect(form.statusCode).toBe(200)
    const bad = await visitor.post('/admin/documents/work-files/new', {
      code: '',
      title: 'Hồ sơ tiếp dân',
      retention: '',
    })
    expect(bad.statusCode).toBe(422)
    expect(errorSummary(bad)).toEqual([
      'Nhập số và ký hiệu hồ sơ.',
      'Chọn thời hạn bảo quản: vĩnh viễn hoặc từ 1 đến 99 năm.',
    ])
    expect(html(bad).querySelector('#title')?.text).toBe('Hồ sơ tiếp dân')
    const good = await visitor.post('/admin/documents/work-files/new', {
      code: '07.TP',
      title: 'Hồ sơ tiếp công dân',
      retention: 'permanent',
    })
    expect(good.statusCode).toBe(303)
    const location = good.headers.location as string
    const page = await visitor.get(location)
    expect(page.statusCode).toBe(200)
    expect(html(page).querySelector('h1')?.text).toContain('07.TP')
    expect(page.body).toContain('Vĩnh viễn')

    // Find a document of the unit by its words, file it, close the file.
    const documentId = await register('vanthu.thucphan', {
      source: 'electronic',
      summary: 'Về việc tiếp công dân định kỳ tháng Mười hai',
    })
    const found = await visitor.get(`${location}?q=tiep cong dan dinh ky`)
    expect(html(found).querySelectorAll('#candidates tr')).toHaveLength(1)
    const added = await visitor.post(`${location}/documents`, { documentId })
    expect(added.statusCode).toBe(303)
    const closed = await visitor.post(`${location}/close`, { note: '' })
    expect(closed.statusCode).toBe(303)
    const after = await visitor.get(location)
    expect(html(after).querySelector('#measure')?.text).toContain('1/1')
    const list = await visitor.get('/admin/documents/work-files?year=2026')
    expect(html(list).querySelector('#work-files')?.text).toContain('07.TP')

    // Another unit's official gets a 404 page.
    const outsider = new Visitor(t.app)
    await outsider.login('chuyenvien.sokhcn')
    expect((await outsider.get(location)).statusCode).toBe(404)
  })
})
