import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../../test/app.js'
import { AGENCY, documentsFixture, OFFICIALS } from '../../../test/documents.js'
import { samplePdf, samplePng } from '../../../test/files.js'
import { buildEnvelope, emptyOrgan, type EdxmlPackage } from './edxml.js'

// Friday 27/11/2026, 09:00 in Cao Bằng.
let now = new Date('2026-11-27T02:00:00Z')
let t: TestApp
const { units, as, api, signIn, addFiles: upload } = documentsFixture(() => t)
let pdf: Buffer

const SKHCN = AGENCY.skhcn
const WARD = AGENCY.ward

beforeAll(async () => {
  t = await createTestApp({ clock: () => now })
  await signIn(OFFICIALS)
  pdf = await samplePdf('Công văn số 1234/UBND-VP')
})
afterAll(() => t.close())

let serial = 100
const incoming = (overrides: Record<string, unknown> = {}) => ({
  codeNumber: String(serial++),
  codeNotation: 'UBND-VP',
  issuedOn: '2026-11-20',
  issuerName: 'Ủy ban nhân dân tỉnh Cao Bằng',
  issuerCode: '000.00.00.H14',
  typeCode: 'cong-van',
  summary: 'V/v triển khai chuyển đổi số năm 2027',
  signerName: 'Nông Văn Chí',
  ...overrides,
})
const register = (username: string, overrides: Record<string, unknown> = {}) =>
  api(username, 'POST', '/documents', incoming(overrides))

async function count(table: string, where = sql`true`): Promise<number> {
  const r = await sql<{
    n: number
  }>`select count(*)::int as n from ${sql.table(table)} where ${where}`.execute(t.database.db)
  return r.rows[0]!.n
}

function storedObjects(): number {
  const walk = (dir: string): number =>
    existsSync(dir)
      ? readdirSync(dir, { withFileTypes: true }).reduce(
          (n, e) => n + (e.isDirectory() ? walk(join(dir, e.name)) : 1),
          0,
        )
      : 0
  return walk(join(t.config.dataDir, 'files', 'documents'))
}

describe('incoming register', () => {
  it('numbers documents 1, 2, … in the unit’s default register of the year', async () => {
    const first = await register('vanthu.sokhcn', { urgency: 'normal' })
    expect(first.statusCode).toBe(201)
    const second = await register('vanthu.sokhcn')
    expect([first.json().number, second.json().number]).toEqual([1, 2])
    expect(first.json()).toMatchObject({ unitId: units['so-khcn'], status: 'registered', source: 'paper' })
    const registers = (await api('vanthu.sokhcn', 'GET', '/document-registers')).json()
    expect(registers).toEqual([
      expect.objectContaining({ name: 'Sổ văn bản đến năm 2026', year: 2026, isDefault: true }),
    ])
    // Another unit numbers its own register from 1.
    expect((await register('vanthu.thucphan')).json().number).toBe(1)
  })

  it('refuses a document registered before in the unit, naming that registration, until the clerk confirms', async () => {
    const original = (await register('vanthu.sokhcn', { codeNumber: '0777', codeNotation: 'UBND-KT' })).json()
    const again = await register('vanthu.sokhcn', { codeNumber: '777', codeNotation: 'ubnd-kt' })
    expect(again.statusCode).toBe(409)
    expect(again.json().error.message).toBe(
      `Văn bản số 777/ubnd-kt ngày 20/11/2026 của Ủy ban nhân dân tỉnh Cao Bằng đã được vào sổ "Sổ văn bản đến năm 2026", số đến ${original.number}, ngày 27/11/2026.`,
    )
    expect(again.json().error.details.duplicateOf.id).toBe(original.id)
    const confirmed = await register('vanthu.sokhcn', {
      codeNumber: '777',
      codeNotation: 'ubnd-kt',
      confirmDifferent: true,
    })
    expect(confirmed.statusCode).toBe(201)
    expect(confirmed.json()).toMatchObject({ number: original.number + 1, duplicateOf: original.id })
    // The same document at another unit is that unit's first copy, not a duplicate.
    expect(
      (await register('vanthu.thucphan', { codeNumber: '777', codeNotation: 'UBND-KT' })).statusCode,
    ).toBe(201)
  })

  it('draws gapless numbers under parallel registrations, a failed one giving its number back', async () => {
    // A registration that fails after drawing its number, inside the same transaction.
    await sql`create function test_fail_document() returns trigger language plpgsql as $$
      begin
        if new.summary like 'LỖI%' then raise exception 'test failure'; end if;
        return new;
      end $$`.execute(t.database.db)
    await sql`create trigger test_fail_document before insert on documents
      for each row execute function test_fail_document()`.execute(t.database.db)
    try {
      const before = await count('documents', sql`unit_id = ${units['so-khcn']}`)
      const twin = incoming()
      const responses = await Promise.all([
        ...Array.from({ length: 8 }, () => register('vanthu.sokhcn')),
        register('vanthu.sokhcn', { summary: 'LỖI giả lập sau khi lấy số' }),
        api('vanthu.sokhcn', 'POST', '/documents', twin),
        api('vanthu.sokhcn', 'POST', '/documents', twin),
      ])
      const codes = responses.map((r) => r.statusCode).sort()
      expect(codes).toEqual([201, 201, 201, 201, 201, 201, 201, 201, 201, 409, 500])
      const numbers = (
        await sql<{
          number: number
        }>`select number from documents where unit_id = ${units['so-khcn']} order by number`.execute(
          t.database.db,
        )
      ).rows.map((r) => r.number)
      expect(numbers).toHaveLength(before + 9)
      expect(numbers).toEqual(numbers.map((_n, i) => i + 1))
    } finally {
      await sql`drop trigger test_fail_document on documents`.execute(t.database.db)
      await sql`drop function test_fail_document()`.execute(t.database.db)
    }
  })

  it('keeps attachments byte for byte and refuses a file of another type, storing nothing', async () => {
    const document = (await register('vanthu.sokhcn')).json()
    const png = samplePng()
    const added = await upload('vanthu.sokhcn', document.id, [
      { name: 'scan trang 1.pdf', content: pdf },
      { name: 'ảnh trang 2.png', content: png },
    ])
    expect(added.statusCode).toBe(201)
    expect(
      added.json().map((f: { fileName: string; mime: string; kind: string }) => [f.fileName, f.mime, f.kind]),
    ).toEqual([
      ['scan trang 1.pdf', 'application/pdf', 'scan'],
      ['ảnh trang 2.png', 'image/png', 'scan'],
    ])
    const download = await t.app.inject({ url: added.json()[1].url, headers: as('vanthu.sokhcn') })
    expect(download.rawPayload.equals(png)).toBe(true)

    const objects = storedObjects()
    const refused = await upload('vanthu.sokhcn', document.id, [
      { name: 'ok.pdf', content: pdf },
      { name: 'trang.html', content: Buffer.from('<!doctype html><html><script>alert(1)</script></html>') },
    ])
    expect(refused.statusCode).toBe(422)
    expect(storedObjects()).toBe(objects)
    expect(await count('document_files', sql`document_id = ${document.id}`)).toBe(2)
  })
})

describe('search', () => {
  let target: { id: string; number: number }
  beforeAll(async () => {
    target = (
      await register('vanthu.sokhcn', {
        codeNumber: '4521',
        codeNotation: 'SKHCN-QLCN',
        issuerName: 'Sở Thông tin và Truyền thông',
        issuerCode: '000.00.14.H20',
        typeCode: 'ke-hoach',
        issuedOn: '2026-10-02',
        summary: 'Kế hoạch ứng dụng trí tuệ nhân tạo trong cải cách hành chính',
      })
    ).json()
  })
  const search = async (username: string, query: Record<string, string>) =>
    (await api(username, 'GET', `/documents?${new URLSearchParams(query).toString()}`)).json()
  const ids = (body: { items: { id: string }[] }) => body.items.map((d) => d.id)

  it('finds documents without diacritics over the summary, number/notation and issuer', async () => {
    expect(ids(await search('vanthu.sokhcn', { q: 'tri tue nhan tao' }))).toEqual([target.id])
    expect(ids(await search('vanthu.sokhcn', { q: '4521 qlcn' }))).toEqual([target.id])
    expect(ids(await search('vanthu.sokhcn', { q: 'thong tin truyen' }))).toEqual([target.id])
    expect(ids(await search('vanthu.sokhcn', { q: 'tri tue nhan tao xyz' }))).toEqual([])
  })

  it('filters by register, type, issuer, date of issue and status', async () => {
    const registerId = (await api('vanthu.sokhcn', 'GET', '/document-registers')).json()[0].id
    expect(ids(await search('vanthu.sokhcn', { typeCode: 'ke-hoach', registerId }))).toEqual([target.id])
    expect(ids(await search('vanthu.sokhcn', { issuer: '000.00.14.H20' }))).toEqual([target.id])
    expect(ids(await search('vanthu.sokhcn', { issuer: 'so thong tin' }))).toEqual([target.id])
    expect(ids(await search('vanthu.sokhcn', { from: '2026-10-01', to: '2026-10-03' }))).toEqual([target.id])
    expect(ids(await search('vanthu.sokhcn', { q: 'tri tue', status: 'completed' }))).toEqual([])
    const bad = await api('vanthu.sokhcn', 'GET', '/documents?from=2026-13-01')
    expect(bad.statusCode).toBe(422)
  })

  it('pages newest first with a cursor', async () => {
    const first = await search('vanthu.sokhcn', {})
    const all = await api('vanthu.sokhcn', 'GET', '/documents')
    expect(all.statusCode).toBe(200)
    const total = await count('documents', sql`unit_id = ${units['so-khcn']}`)
    const seen = new Set<string>(ids(first))
    let next: string | null = first.next
    while (next) {
      const page = await search('vanthu.sokhcn', { before: next })
      for (const id of ids(page)) seen.add(id)
      next = page.next
    }
    expect(seen.size).toBe(total)
  })
})

describe('assignment and processing', () => {
  let doc: { id: string }
  let specialistId = ''
  beforeAll(async () => {
    doc = (await register('vanthu.sokhcn', { summary: 'V/v báo cáo số liệu đổi mới sáng tạo' })).json()
    specialistId = (
      await sql<{ id: string }>`select id from users where username = 'chuyenvien.sokhcn'`.execute(
        t.database.db,
      )
    ).rows[0]!.id
  })

  it('lets only a leader of the unit assign, with one lead and a deadline in working days', async () => {
    const lead = { kind: 'user', id: specialistId }
    const support = [{ kind: 'unit', id: units['so-khcn'] }]
    expect(
      (await api('chuyenvien.sokhcn', 'POST', `/documents/${doc.id}/assignments`, { lead, days: 3 }))
        .statusCode,
    ).toBe(403)
    expect(
      (await api('lanhdao.sokhcn', 'POST', `/documents/${doc.id}/assignments`, { support, days: 3 }))
        .statusCode,
    ).toBe(422)
    const assigned = await api('lanhdao.sokhcn', 'POST', `/documents/${doc.id}/assignments`, {
      lead,
      support,
      days: 3,
      note: 'Giao phòng chủ trì, báo cáo trước hạn.',
    })
    expect(assigned.statusCode).toBe(201)
    // From Friday 27/11 the count starts on Monday 30/11; the third working day ends Wednesday 2/12 at 17:00.
    expect(
      assigned
        .json()
        .map((a: { role: string; dueAt: string; assigneeName: string }) => [a.role, a.dueAt, a.assigneeName]),
    ).toEqual([
      ['lead', '2026-12-02T10:00:00.000Z', 'Bế Thị Hạnh'],
      ['support', '2026-12-02T10:00:00.000Z', 'Sở Khoa học và Công nghệ'],
    ])
    const second = await api('lanhdao.sokhcn', 'POST', `/documents/${doc.id}/assignments`, { lead, days: 1 })
    expect(second.statusCode).toBe(422)
    expect(second.json().error.details.fields.lead).toMatch(/đã có Bế Thị Hạnh chủ trì/)
    const body = (await api('lanhdao.sokhcn', 'GET', `/documents/${doc.id}`)).json()
    expect(body.status).toBe('assigned')
    expect(await count('outbox', sql`topic = 'document.assigned' and payload->>'id' = ${doc.id}`)).toBe(1)
  })

  it('shows each person their queue by deadline, on time, due soon, then overdue', async () => {
    const queue = async () =>
      (await api('chuyenvien.sokhcn', 'GET', '/documents/queue'))
        .json()
        .assignments.filter((a: { documentId: string }) => a.documentId === doc.id)
    expect((await queue()).map((a: { role: string; state: string }) => [a.role, a.state])).toEqual([
      ['lead', 'on_time'],
      ['support', 'on_time'],
    ])
    const saved = now
    try {
      now = new Date('2026-12-02T02:00:00Z') // Wednesday 09:00: under one working day left
      expect((await queue())[0].state).toBe('due_soon')
      now = new Date('2026-12-03T02:00:00Z')
      expect((await queue())[0].state).toBe('overdue')
      const leader = (await api('lanhdao.sokhcn', 'GET', '/documents/queue')).json()
      expect(leader.overdue.map((a: { documentId: string }) => a.documentId)).toContain(doc.id)
    } finally {
      now = saved
    }
    const all = (await api('chuyenvien.sokhcn', 'GET', '/documents/queue')).json().assignments as {
      dueAt: string | null
    }[]
    const dues = all.map((a) => a.dueAt ?? '9999')
    expect(dues).toEqual([...dues].sort())
  })

  it('takes comments, reports and completion from the assignees, closing the document with its lead', async () => {
    const view = async (username = 'lanhdao.sokhcn') =>
      (await api(username, 'GET', `/documents/${doc.id}`)).json()
    const [lead, support] = (await view()).assignments as { id: string; role: string }[]
    const act = (username: string, id: string, body: unknown) =>
      api(username, 'POST', `/documents/${doc.id}/assignments/${id}/actions`, body)

    expect((await act('vanthu.sokhcn', lead!.id, { action: 'comment', note: 'x' })).statusCode).toBe(403)
    expect((await act('chuyenvien.sokhcn', lead!.id, { action: 'comment' })).statusCode).toBe(422)
    const commented = await act('chuyenvien.sokhcn', lead!.id, {
      action: 'comment',
      note: 'Đang tổng hợp số liệu.',
    })
    expect(commented.json().document.status).toBe('in_progress')
    expect(
      (await act('chuyenvien.sokhcn', support!.id, { action: 'report', note: 'Đã gửi số liệu.' })).statusCode,
    ).toBe(200)
    const done = await act('chuyenvien.sokhcn', lead!.id, {
      action: 'complete',
      note: 'Đã báo cáo UBND tỉnh.',
    })
    expect(done.json().document).toMatchObject({ status: 'completed', completedAt: now.toISOString() })
    expect((await act('chuyenvien.sokhcn', lead!.id, { action: 'comment', note: 'sau' })).statusCode).toBe(
      409,
    )

    const final = await view()
    expect(final.assignments.map((a: { role: string; status: string }) => [a.role, a.status])).toEqual([
      ['lead', 'completed'],
      ['support', 'closed'],
    ])
    expect(final.history.map((h: { action: string }) => h.action)).toEqual([
      'registered',
      'assigned',
      'comment',
      'report',
      'complete',
      'document_completed',
    ])
    expect(
      (
        await api('lanhdao.sokhcn', 'POST', `/documents/${doc.id}/assignments`, {
          lead: { kind: 'user', id: specialistId },
          days: 1,
        })
      ).statusCode,
    ).toBe(409)
  })

  it('forwards an assignment to another handler, who then sees and finishes it', async () => {
    const other = (await register('vanthu.sokhcn', { summary: 'V/v cử cán bộ dự tập huấn' })).json()
    await api('lanhdao.sokhcn', 'POST', `/documents/${other.id}/assignments`, {
      lead: { kind: 'unit', id: units['so-khcn'] },
      days: 2,
    })
    const [unitLead] = (await api('lanhdao.sokhcn', 'GET', `/documents/${other.id}`)).json().assignments
    const forwarded = await api(
      'lanhdao.sokhcn',
      'POST',
      `/documents/${other.id}/assignments/${unitLead.id}/actions`,
      {
        action: 'forward',
        note: 'Đồng chí Hạnh xử lý.',
        to: { kind: 'user', id: specialistId },
      },
    )
    expect(forwarded.statusCode).toBe(200)
    expect(forwarded.json().forwarded).toMatchObject({
      role: 'lead',
      assigneeName: 'Bế Thị Hạnh',
      forwardedFrom: unitLead.id,
    })
    const done = await api(
      'chuyenvien.sokhcn',
      'POST',
      `/documents/${other.id}/assignments/${forwarded.json().forwarded.id}/actions`,
      { action: 'complete' },
    )
    expect(done.json().document.status).toBe('completed')
  })
})

const ORGAN = (id: string, name: string) => emptyOrgan(id, name)

async function envelope(
  overrides: Partial<EdxmlPackage['document']> = {},
  files?: EdxmlPackage['attachments'],
) {
  return buildEnvelope(
    {
      document: {
        from: ORGAN('000.00.00.H14', 'Ủy ban nhân dân tỉnh Cao Bằng'),
        to: [ORGAN(WARD, 'UBND phường Thục Phán'), ORGAN(SKHCN, 'Sở Khoa học và Công nghệ')],
        codeNumber: '1234',
        codeNotation: 'UBND-VP',
        place: 'Cao Bằng',
        promulgationDate: '2026-11-20',
        type: { code: 18, name: 'Công văn' },
        subject: 'V/v triển khai Đề án 06 trên địa bàn tỉnh',
        content: 'Nội dung chính\ncủa công văn.',
        signer: { competence: 'KT. CHỦ TỊCH', position: 'Phó Chủ tịch', fullName: 'Nông Văn Chí' },
        dueDate: '2026-12-10',
        toPlaces: ['Các sở, ban, ngành', 'UBND các xã, phường'],
        priority: 1,
        sphereOfPromulgation: 'Liên thông văn bản tỉnh',
        typerNotation: 'TVC',
        promulgationAmount: 40,
        pageAmount: 3,
        appendixes: [],
        responseFor: [],
        steeringType: 1,
        documentId: '000.00.00.H14,2026/11/20,1234/UBND-VP',
        ...overrides,
      },
      attachments: files ?? [
        {
          contentId: '0f8fad5b-d9cb-469f-a165-70867728950e',
          name: 'Công văn 1234.pdf',
          contentType: 'application/pdf',
          description: 'Văn bản chính',
          bytes: pdf,
        },
        {
          contentId: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
          name: 'Phụ lục.png',
          contentType: 'image/png',
          description: '',
          bytes: samplePng(16),
        },
      ],
    },
    now,
  )
}

const importXml = (username: string, xml: string, unitKey?: string) =>
  t.app.inject({
    method: 'POST',
    url: `/api/v1/documents/import${unitKey ? `?unitId=${units[unitKey]}` : ''}`,
    payload: xml,
    headers: { ...as(username), 'content-type': 'application/xml' },
  })

describe('edXML exchange', () => {
  let imported: { id: string; number: number }

  it('lands an envelope in the incoming register with its attachments and reports 01 and 03 to the sender', async () => {
    const response = await importXml('vanthu.thucphan', await envelope())
    expect(response.statusCode).toBe(201)
    imported = response.json()
    expect(response.json()).toMatchObject({
      source: 'edxml',
      codeNumber: '1234',
      codeNotation: 'UBND-VP',
      issuerCode: '000.00.00.H14',
      typeCode: 'cong-van',
      urgency: 'urgent',
      confidentiality: 'normal',
      dueOn: '2026-12-10',
      status: 'registered',
    })
    const view = (await api('lanhdao.thucphan', 'GET', `/documents/${imported.id}`)).json()
    expect(view.files.map((f: { fileName: string; kind: string }) => [f.fileName, f.kind])).toEqual([
      ['Công văn 1234.pdf', 'electronic'],
      ['Phụ lục.png', 'electronic'],
    ])
    const bytes = await t.app.inject({ url: view.files[0].url, headers: as('lanhdao.thucphan') })
    expect(bytes.rawPayload.equals(pdf)).toBe(true)
    expect(
      view.statusMessages.map((m: { statusCode: string; toOrganId: string }) => [m.statusCode, m.toOrganId]),
    ).toEqual([
      ['01', '000.00.00.H14'],
      ['03', '000.00.00.H14'],
    ])
    const xml = (
      await sql<{
        xml: string
      }>`select xml from document_status_messages where document_id = ${imported.id} and status_code = '03'`.execute(
        t.database.db,
      )
    ).rows[0]!.xml
    expect(xml).toContain('<edXML:DocumentId>000.00.00.H14,2026/11/20,1234/UBND-VP</edXML:DocumentId>')
    expect(xml).toContain(`<edXML:OrganId>${WARD}</edXML:OrganId>`)
  })

  it('refuses the same envelope twice and a malformed or misaddressed one, keeping nothing', async () => {
    const before = [await count('documents'), await count('document_files'), storedObjects()]
    const twice = await importXml('vanthu.thucphan', await envelope())
    expect(twice.statusCode).toBe(409)
    expect(twice.json().error.message).toMatch(/^Văn bản liên thông này đã được nhận trước đây: .*số đến \d+/)

    const broken = (await envelope({ codeNumber: '9001' })).replace(
      /<edXML:Subject>[^<]*<\/edXML:Subject>/,
      '',
    )
    const incomplete = await importXml('vanthu.thucphan', broken)
    expect(incomplete.statusCode).toBe(422)
    expect(incomplete.json().error.message).toBe(
      'Gói tin edXML không được tiếp nhận: Thiếu MessageHeader/Subject (trích yếu).',
    )
    const notXml = await importXml('vanthu.thucphan', '<edXML><MessageHeader></edXML>')
    expect(notXml.json().error.message).toMatch(/Tệp không phải XML hợp lệ: lỗi cú pháp ở dòng 1/)

    const elsewhere = await importXml(
      'vanthu.thucphan',
      await envelope({ codeNumber: '9002', to: [ORGAN('000.00.00.H20', 'UBND tỉnh Đồng Tháp')] }),
    )
    expect(elsewhere.statusCode).toBe(422)
    expect(elsewhere.json().error.message).toMatch(
      /không gửi đến Ủy ban nhân dân phường Thục Phán \(001\.90\.00\.H14\)/,
    )

    // The first attachment is stored before the second is refused: it must be removed again.
    const html = await importXml(
      'vanthu.thucphan',
      await envelope({ codeNumber: '9003' }, [
        { contentId: 'a1', name: 'chinh.pdf', contentType: 'application/pdf', description: '', bytes: pdf },
        {
          contentId: 'a2',
          name: 'trang.html',
          contentType: 'text/html',
          description: '',
          bytes: Buffer.from('<!doctype html><html><body>x</body></html>'),
        },
      ]),
    )
    expect(html.statusCode).toBe(422)
    expect(html.json().error.message).toMatch(/Tệp đính kèm "trang.html": /)
    expect([await count('documents'), await count('document_files'), storedObjects()]).toEqual(before)
  })

  it('exports the envelope that arrived: imported at another recipient it is the same document, byte for byte', async () => {
    const exported = await api('lanhdao.thucphan', 'GET', `/documents/${imported.id}/edxml`)
    expect(exported.statusCode).toBe(200)
    expect(exported.headers['content-type']).toMatch(/^application\/xml/)
    const again = await importXml('vanthu.sokhcn', exported.body)
    expect(again.statusCode).toBe(201)
    const [a, b] = await Promise.all([
      api('lanhdao.thucphan', 'GET', `/documents/${imported.id}`).then((r) => r.json()),
      api('lanhdao.sokhcn', 'GET', `/documents/${again.json().id}`).then((r) => r.json()),
    ])
    const same = (d: Record<string, unknown>) => {
      const {
        id: _i,
        unitId: _u,
        registerId: _r,
        number: _n,
        receivedAt: _a,
        files,
        assignments: _s,
        history: _h,
        statusMessages: _m,
        ...rest
      } = d
      return {
        ...rest,
        files: (files as { fileName: string; sha256: string; mime: string; size: number }[]).map(
          ({ fileName, sha256, mime, size }) => ({ fileName, sha256, mime, size }),
        ),
      }
    }
    expect(same(b)).toEqual(same(a))
    const extras = await sql<{
      edxml: unknown
    }>`select edxml from documents where id in (${imported.id}, ${again.json().id})`.execute(t.database.db)
    expect(extras.rows[0]!.edxml).toEqual(extras.rows[1]!.edxml)
    const download = await t.app.inject({ url: b.files[1].url, headers: as('lanhdao.sokhcn') })
    expect(download.rawPayload.equals(samplePng(16))).toBe(true)
  })

  it('reports 04 when assigned, then 05 and 06 as the work moves', async () => {
    const ward = await sql<{
      id: string
    }>`select id from users where username = 'chuyenvien.thucphan'`.execute(t.database.db)
    await api('lanhdao.thucphan', 'POST', `/documents/${imported.id}/assignments`, {
      lead: { kind: 'user', id: ward.rows[0]!.id },
    })
    const [lead] = (await api('lanhdao.thucphan', 'GET', `/documents/${imported.id}`)).json().assignments
    // No days given: the document's own deadline, 10/12 at the close of office hours.
    expect(lead.dueAt).toBe('2026-12-10T10:00:00.000Z')
    await api('chuyenvien.thucphan', 'POST', `/documents/${imported.id}/assignments/${lead.id}/actions`, {
      action: 'complete',
      note: 'Đã triển khai.',
    })
    const codes = await sql<{
      status_code: string
    }>`select status_code from document_status_messages where document_id = ${imported.id} order by id`.execute(
      t.database.db,
    )
    expect(codes.rows.map((r) => r.status_code)).toEqual(['01', '03', '04', '05', '06'])
  })

  it('never exports a classified document', async () => {
    const secret = (await register('vanthu.sokhcn', { confidentiality: 'confidential' })).json()
    const refused = await api('lanhdao.sokhcn', 'GET', `/documents/${secret.id}/edxml`)
    expect(refused.statusCode).toBe(409)
    expect(refused.json().error.message).toMatch(/^Văn bản mật không được gửi qua mạng/)
  })
})
