import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, errorSummary, html, Visitor, type TestApp } from '../../../test/app.js'
import { AGENCY, documentsFixture, edxmlHeader, OFFICIALS, pdfAttachment } from '../../../test/documents.js'
import { samplePdf } from '../../../test/files.js'
import { buildEnvelope, parseEnvelope, type EdxmlBusiness, type EdxmlPackage } from './edxml.js'

// Recall (thu hồi), update (cập nhật) and replacement (thay thế) of issued documents: inside the platform,
// and edXML packages from an agency outside imported by the clerk. Friday 27/11/2026, 09:00 in Cao Bằng.
const now = new Date('2026-11-27T02:00:00Z')
let t: TestApp
const { units, users, api, as, draftOutgoing, approveOutgoing, issueOutgoing, signIn } = documentsFixture(
  () => t,
)
let pdf: Buffer

const WARD = AGENCY.ward
const VPCP = AGENCY.vpcp

beforeAll(async () => {
  t = await createTestApp({ clock: () => now })
  await signIn(OFFICIALS)
  pdf = await samplePdf('Quyết định ban hành kế hoạch chuyển đổi số')
}, 120_000)
afterAll(() => t.close())

/** A document of the Sở, approved and issued, to the ward on the platform and to the Government Office. */
async function issued(overrides: Record<string, unknown> = {}) {
  const id = await draftOutgoing(
    {
      typeCode: 'quyet-dinh',
      summary: 'Quyết định ban hành Kế hoạch chuyển đổi số năm 2027',
      recipients: [
        { kind: 'internal', unitId: units['phuong-thuc-phan'] },
        { kind: 'external', agencyCode: VPCP, name: 'Văn phòng Chính phủ' },
      ],
      ...overrides,
    },
    pdf,
  )
  await approveOutgoing(id, { signerPosition: 'Giám đốc' })
  await issueOutgoing(id)
  return outgoingView(id)
}

type Recipient = {
  kind: string
  documentId: string | null
  status: string
  exchangeStatus: string | null
  exchangeNote: string | null
}
async function outgoingView(id: string) {
  const view = await api('vanthu.sokhcn', 'GET', `/documents/outgoing/${id}`)
  expect(view.statusCode, view.body).toBe(200)
  return view.json<{
    id: string
    summary: string
    codeNumber: string
    codeNotation: string
    withdrawn: string | null
    replacedBy: string | null
    recipients: Recipient[]
    exchange: { agencyCode: string; businessType: number; state: string }[]
    history: { action: string; note: string | null }[]
  }>()
}

const wardCopy = (view: { recipients: Recipient[] }) => view.recipients.find((r) => r.kind === 'internal')!
const incoming = async (id: string, username = 'lanhdao.thucphan') =>
  (await api(username, 'GET', `/documents/${id}`)).json()

async function complete(documentId: string) {
  const assigned = await api('lanhdao.thucphan', 'POST', `/documents/${documentId}/assignments`, {
    lead: { kind: 'user', id: users['chuyenvien.thucphan'] },
    days: 5,
  })
  expect(assigned.statusCode, assigned.body).toBe(201)
  const [lead] = (await incoming(documentId)).assignments
  const done = await api(
    'chuyenvien.thucphan',
    'POST',
    `/documents/${documentId}/assignments/${lead.id}/actions`,
    {
      action: 'complete',
      note: 'Đã xong.',
    },
  )
  expect(done.json().document.status).toBe('completed')
}

describe('recalling an issued document', () => {
  it('recalls the copy on the platform at once and sends the agency outside a recall package', async () => {
    const doc = await issued()
    const copyId = wardCopy(doc).documentId!
    const bad = await api('vanthu.sokhcn', 'POST', `/documents/outgoing/${doc.id}/recall`, { reason: 'sai' })
    expect(bad.statusCode).toBe(422)
    expect(bad.json().error.details.fields.reason).toBe(
      'Nhập lý do thu hồi (5 đến 2000 ký tự); nơi nhận sẽ nhận được lý do này.',
    )
    const drafter = await api('chuyenvien.sokhcn', 'POST', `/documents/outgoing/${doc.id}/recall`, {
      reason: 'Ban hành chưa đúng thẩm quyền',
    })
    expect(drafter.statusCode).toBe(403)

    const recalled = await api('vanthu.sokhcn', 'POST', `/documents/outgoing/${doc.id}/recall`, {
      reason: 'Ban hành chưa đúng thẩm quyền',
    })
    expect(recalled.statusCode, recalled.body).toBe(200)
    expect(recalled.json()).toMatchObject({
      withdrawn: 'recalled',
      withdrawnReason: 'Ban hành chưa đúng thẩm quyền',
    })

    const copy = await incoming(copyId)
    expect(copy.status).toBe('recalled')
    expect(copy.history.at(-1)).toMatchObject({
      action: 'recalled',
      note: 'Sở Khoa học và Công nghệ: Ban hành chưa đúng thẩm quyền',
    })
    const refusedWork = await api('lanhdao.thucphan', 'POST', `/documents/${copyId}/assignments`, {
      lead: { kind: 'user', id: users['chuyenvien.thucphan'] },
      days: 3,
    })
    expect(refusedWork.statusCode).toBe(409)
    expect(refusedWork.json().error.message).toBe('Văn bản đã bị thu hồi; không phân công xử lý.')

    const view = await outgoingView(doc.id)
    expect(view.recipients.map((r) => [r.kind, r.exchangeStatus])).toEqual([
      ['internal', '15'],
      ['external', '13'],
    ])
    expect(view.exchange.map((x) => [x.agencyCode, x.businessType])).toEqual([
      [VPCP, 0],
      [VPCP, 1],
    ])
    const recallPackage = await api('vanthu.sokhcn', 'GET', `/documents/outgoing/${doc.id}/edxml?kind=recall`)
    expect(recallPackage.statusCode).toBe(200)
    const read = parseEnvelope(recallPackage.body)
    if (!read.ok) throw new Error(read.problems.join(' '))
    expect(read.package.business).toMatchObject({
      type: 1,
      reason: 'Ban hành chưa đúng thẩm quyền',
      documentId: `000.13.00.H14,2026/11/27,${doc.codeNumber}/${doc.codeNotation}`,
    })
    expect(read.package.attachments).toEqual([])

    const again = await api('lanhdao.sokhcn', 'POST', `/documents/outgoing/${doc.id}/recall`, {
      reason: 'Thu hồi lần hai',
    })
    expect(again.statusCode).toBe(409)
    expect(again.json().error.message).toBe('Văn bản đã thu hồi; không thu hồi được nữa.')
  })

  it('leaves a copy already completed as it is and answers 16', async () => {
    const doc = await issued({ summary: 'Quyết định đã xử lý xong ở phường' })
    const copyId = wardCopy(doc).documentId!
    await complete(copyId)
    const recalled = await api('lanhdao.sokhcn', 'POST', `/documents/outgoing/${doc.id}/recall`, {
      reason: 'Thu hồi để sửa căn cứ pháp lý',
    })
    expect(recalled.statusCode, recalled.body).toBe(200)
    expect((await incoming(copyId)).status).toBe('completed')
    const copy = wardCopy(await outgoingView(doc.id))
    expect([copy.exchangeStatus, copy.exchangeNote]).toEqual([
      '16',
      'Văn bản đã được xử lý xong; kết quả xử lý được giữ nguyên, không thu hồi được.',
    ])
  })
})

describe('updating an issued document', () => {
  it('changes the copy on the platform, keeps the former values in its history, and refuses a no-op', async () => {
    const doc = await issued({ summary: 'Kế hoạch chuyển đổi số năm 2027 (bản có lỗi chính tả)' })
    const copyId = wardCopy(doc).documentId!
    const same = await api('vanthu.sokhcn', 'POST', `/documents/outgoing/${doc.id}/update`, {
      summary: doc.summary,
      reason: 'Sửa lỗi chính tả',
    })
    expect(same.statusCode).toBe(422)
    expect(same.json().error.details.fields.summary).toMatch(/^Không có thông tin nào thay đổi/)
    const updated = await api('vanthu.sokhcn', 'POST', `/documents/outgoing/${doc.id}/update`, {
      summary: 'Kế hoạch chuyển đổi số năm 2027',
      dueOn: '2026-12-20',
      reason: 'Sửa lỗi chính tả ở trích yếu, thêm hạn trả lời',
    })
    expect(updated.statusCode, updated.body).toBe(200)
    expect(updated.json()).toMatchObject({ summary: 'Kế hoạch chuyển đổi số năm 2027', dueOn: '2026-12-20' })
    const copy = await incoming(copyId)
    expect(copy).toMatchObject({
      summary: 'Kế hoạch chuyển đổi số năm 2027',
      dueOn: '2026-12-20',
      status: 'registered',
    })
    expect(copy.history.at(-1)).toMatchObject({ action: 'updated_by_sender' })
    const detail = await sql<{ details: { before: Record<string, unknown> } }>`
      select details from document_history where document_id = ${copyId} and action = 'updated_by_sender'`.execute(
      t.database.db,
    )
    expect(detail.rows[0]!.details.before).toEqual({
      summary: 'Kế hoạch chuyển đổi số năm 2027 (bản có lỗi chính tả)',
      due_on: null,
    })
    const view = await outgoingView(doc.id)
    expect(wardCopy(view).exchangeStatus).toBe('15')
    expect(view.exchange.map((x) => x.businessType)).toEqual([0, 2])
    const read = parseEnvelope(
      (await api('vanthu.sokhcn', 'GET', `/documents/outgoing/${doc.id}/edxml?kind=update`)).body,
    )
    if (!read.ok) throw new Error(read.problems.join(' '))
    expect(read.package.business.type).toBe(2)
    expect(read.package.document.subject).toBe('Kế hoạch chuyển đổi số năm 2027')
    expect(read.package.attachments).toHaveLength(1)
  })
})

describe('replacing an issued document', () => {
  it('marks the old document and its copy replaced when the replacement is issued, linking the new copy', async () => {
    const old = await issued({ summary: 'Quyết định giao chỉ tiêu (bản cũ)' })
    const oldCopy = wardCopy(old).documentId!
    const unknown = await api('chuyenvien.sokhcn', 'POST', '/documents/outgoing', {
      typeCode: 'quyet-dinh',
      summary: 'Thay thế một văn bản không có',
      replaces: '00000000-0000-4000-8000-000000000000',
      recipients: [{ kind: 'internal', unitId: units['phuong-thuc-phan'] }],
    })
    expect(unknown.statusCode).toBe(422)
    expect(unknown.json().error.details.fields.replaces).toMatch(/^Không tìm thấy văn bản đi được thay thế/)

    const replacement = await issued({ summary: 'Quyết định giao chỉ tiêu (thay thế)', replaces: old.id })
    const before = await outgoingView(old.id)
    expect(before).toMatchObject({ withdrawn: 'replaced', replacedBy: replacement.id })
    expect(before.history.map((h) => h.action)).toContain('replaced')
    const newCopy = wardCopy(replacement).documentId!
    const copy = await incoming(oldCopy)
    expect(copy.status).toBe('replaced')
    const link = await sql<{
      replaced_by: string
    }>`select replaced_by from documents where id = ${oldCopy}`.execute(t.database.db)
    expect(link.rows[0]!.replaced_by).toBe(newCopy)
    expect((await incoming(newCopy)).history.map((h: { action: string }) => h.action)).toContain('replaces')
    expect(wardCopy(before).exchangeStatus).toBe('15')

    const read = parseEnvelope(
      (await api('vanthu.sokhcn', 'GET', `/documents/outgoing/${replacement.id}/edxml`)).body,
    )
    if (!read.ok) throw new Error(read.problems.join(' '))
    expect(read.package.business.type).toBe(3)
    expect(read.package.business.replacements).toEqual([
      { documentId: `000.13.00.H14,2026/11/27,${old.codeNumber}/${old.codeNotation}`, organIds: [VPCP] },
    ])
    const twice = await api('chuyenvien.sokhcn', 'POST', '/documents/outgoing', {
      typeCode: 'quyet-dinh',
      summary: 'Thay thế lần hai',
      replaces: old.id,
      recipients: [{ kind: 'internal', unitId: units['phuong-thuc-phan'] }],
    })
    expect(twice.statusCode).toBe(422)
    expect(twice.json().error.details.fields.replaces).toBe(
      'Chỉ thay thế văn bản đã phát hành, chưa bị thu hồi hoặc thay thế.',
    )
  })
})

describe('packages of recall, update and replacement from an agency outside', () => {
  const header = (overrides: Partial<EdxmlPackage['document']> = {}): EdxmlPackage['document'] =>
    edxmlHeader({
      signer: { competence: 'KT. BỘ TRƯỞNG', position: 'Phó Chủ nhiệm', fullName: 'Nguyễn Văn A' },
      dueDate: '2026-12-10',
      ...overrides,
    })
  const file = (name: string) => pdfAttachment(pdf, name, `c-${name}`)
  const pack = (
    document: EdxmlPackage['document'],
    business?: Partial<EdxmlBusiness> & Pick<EdxmlBusiness, 'type'>,
    files = [file('cv.pdf')],
  ) =>
    buildEnvelope(
      {
        document,
        attachments: files,
        business: business && { reason: '', documentId: document.documentId, replacements: [], ...business },
      },
      now,
    )
  const importXml = (xml: string) =>
    t.app.inject({
      method: 'POST',
      url: `/api/v1/documents/import?unitId=${units['phuong-thuc-phan']}`,
      headers: { ...as('vanthu.thucphan'), 'content-type': 'application/xml' },
      payload: xml,
    })
  const statusCodes = async (id: string) =>
    (
      await sql<{ status_code: string }>`
        select status_code from document_status_messages where document_id = ${id} order by id`.execute(
        t.database.db,
      )
    ).rows.map((r) => r.status_code)

  it('updates the received document and answers 15; refuses a reference to a document never received', async () => {
    const first = await importXml(pack(header()))
    expect(first.statusCode, first.body).toBe(201)
    const id = first.json().id as string
    const unknown = await importXml(
      pack(header({ codeNumber: '9999' }), { type: 1, reason: 'Thu hồi văn bản không có' }, []),
    )
    expect(unknown.statusCode).toBe(422)
    expect(unknown.json().error.message).toBe(
      `Gói tin edXML không được tiếp nhận: Gói tin thu hồi tham chiếu văn bản "${VPCP},2026/11/20,9999/VPCP-TTĐT" mà Ủy ban nhân dân phường Thục Phán chưa nhận từ Văn phòng Chính phủ.`,
    )
    const update = pack(
      header({ subject: 'V/v triển khai Đề án 06 (sửa đổi)', dueDate: '2026-12-15' }),
      { type: 2, reason: 'Điều chỉnh hạn báo cáo' },
      [file('cv.pdf'), file('phu-luc.pdf')],
    )
    const updated = await importXml(update)
    expect(updated.statusCode, updated.body).toBe(201)
    expect(updated.json()).toMatchObject({
      id,
      summary: 'V/v triển khai Đề án 06 (sửa đổi)',
      dueOn: '2026-12-15',
    })
    const view = await incoming(id, 'vanthu.thucphan')
    expect(view.files.map((f: { fileName: string }) => f.fileName)).toEqual(['cv.pdf', 'phu-luc.pdf'])
    expect(await statusCodes(id)).toEqual(['01', '03', '15'])
    const again = await importXml(update)
    expect(again.statusCode).toBe(409)
    expect(again.json().error.message).toBe('Gói tin này đã được nhận trước đây (văn bản số 7816/VPCP-TTĐT).')
  })

  it('recalls a received document (15), once; a completed one answers 16 and stays completed', async () => {
    const first = await importXml(pack(header({ codeNumber: '7817' })))
    const id = first.json().id as string
    const recall = pack(header({ codeNumber: '7817' }), { type: 1, reason: 'Văn bản ban hành nhầm' }, [])
    const recalled = await importXml(recall)
    expect(recalled.statusCode, recalled.body).toBe(201)
    expect(recalled.json()).toMatchObject({ id, status: 'recalled', statusLabel: 'Đã bị thu hồi' })
    expect(await statusCodes(id)).toEqual(['01', '03', '15'])
    const xml = (
      await sql<{
        xml: string
      }>`select xml from document_status_messages where document_id = ${id} and status_code = '15'`.execute(
        t.database.db,
      )
    ).rows[0]!.xml
    expect(xml).toContain(`<edXML:DocumentId>${VPCP},2026/11/20,7817/VPCP-TTĐT</edXML:DocumentId>`)
    const twice = await importXml(
      pack(header({ codeNumber: '7817' }), { type: 1, reason: 'Văn bản ban hành nhầm (nhắc lại)' }, []),
    )
    expect(twice.statusCode).toBe(409)
    expect(twice.json().error.message).toBe('Văn bản số 7817/VPCP-TTĐT đã được thu hồi trước đây.')

    const done = (await importXml(pack(header({ codeNumber: '7818' })))).json().id as string
    await complete(done)
    const late = await importXml(
      pack(header({ codeNumber: '7818' }), { type: 1, reason: 'Thu hồi muộn' }, []),
    )
    expect(late.statusCode).toBe(201)
    expect(late.json().status).toBe('completed')
    expect((await statusCodes(done)).slice(-1)).toEqual(['16'])
  })

  it('registers a replacement and marks the document it replaces, all in one transaction', async () => {
    const old = (await importXml(pack(header({ codeNumber: '7819' })))).json().id as string
    const count = async () =>
      (await sql<{ n: number }>`select count(*)::int as n from documents`.execute(t.database.db)).rows[0]!.n
    const before = await count()
    const wrong = await importXml(
      pack(header({ codeNumber: '7820' }), {
        type: 3,
        reason: 'Thay thế công văn 7800',
        replacements: [{ documentId: `${VPCP},2026/11/20,7800/VPCP-TTĐT`, organIds: [WARD] }],
      }),
    )
    expect(wrong.statusCode).toBe(422)
    expect(await count()).toBe(before)
    const replacement = await importXml(
      pack(header({ codeNumber: '7820', subject: 'V/v triển khai Đề án 06 (thay thế)' }), {
        type: 3,
        reason: 'Thay thế công văn 7819',
        replacements: [{ documentId: `${VPCP},2026/11/20,7819/VPCP-TTĐT`, organIds: [WARD] }],
      }),
    )
    expect(replacement.statusCode, replacement.body).toBe(201)
    const newId = replacement.json().id as string
    expect(await count()).toBe(before + 1)
    const oldView = await incoming(old)
    expect(oldView.status).toBe('replaced')
    expect(oldView.history.at(-1)).toMatchObject({ action: 'replaced' })
    expect((await incoming(newId)).history.map((h: { action: string }) => h.action)).toEqual([
      'imported',
      'replaces',
    ])
    expect(await statusCodes(old)).toEqual(['01', '03', '15'])
  })
})

describe('recall, update and replacement in the incoming documents API', () => {
  type Incoming = {
    id: string
    status: string
    summary: string
    withdrawn: string | null
    withdrawnAt: string | null
    withdrawnReason: string | null
    replacedBy: string | null
    amendedAt: string | null
    amendedReason: string | null
    history: {
      action: string
      changes: { before: Record<string, string | null>; after: Record<string, string | null> } | null
    }[]
  }
  const list = async (query: string) => {
    const response = await api('lanhdao.thucphan', 'GET', `/documents?${query}`)
    expect(response.statusCode, response.body).toBe(200)
    return response.json<{ items: Omit<Incoming, 'history'>[] }>().items
  }

  it('shows on the received copy whether, when and why the sender recalled, updated or replaced it, and the replacement', async () => {
    const recalled = await issued({ summary: 'Quyết định thu hồi, xem qua API' })
    const recalledCopy = wardCopy(recalled).documentId!
    const before = (await incoming(recalledCopy)) as Incoming
    expect(before).toMatchObject({
      withdrawn: null,
      withdrawnAt: null,
      withdrawnReason: null,
      replacedBy: null,
      amendedAt: null,
      amendedReason: null,
    })
    expect(
      (
        await api('vanthu.sokhcn', 'POST', `/documents/outgoing/${recalled.id}/recall`, {
          reason: 'Ban hành nhầm đối tượng áp dụng',
        })
      ).statusCode,
    ).toBe(200)
    expect(await incoming(recalledCopy)).toMatchObject({
      status: 'recalled',
      withdrawn: 'recalled',
      withdrawnAt: now.toISOString(),
      withdrawnReason: 'Ban hành nhầm đối tượng áp dụng',
      replacedBy: null,
    })

    const updated = await issued({ summary: 'Quyết định cập nhật, xem qua API (bản đầu)' })
    const updatedCopy = wardCopy(updated).documentId!
    expect(
      (
        await api('lanhdao.sokhcn', 'POST', `/documents/outgoing/${updated.id}/update`, {
          summary: 'Quyết định cập nhật, xem qua API',
          dueOn: '2026-12-31',
          reason: 'Bổ sung hạn báo cáo',
        })
      ).statusCode,
    ).toBe(200)
    const copy = (await incoming(updatedCopy)) as Incoming
    expect(copy).toMatchObject({
      status: 'registered',
      summary: 'Quyết định cập nhật, xem qua API',
      withdrawn: null,
      amendedAt: now.toISOString(),
      amendedReason: 'Bổ sung hạn báo cáo',
    })
    // The history keeps what the document said before the update.
    expect(copy.history.filter((h) => h.changes !== null)).toEqual([
      expect.objectContaining({
        action: 'updated_by_sender',
        changes: {
          before: { summary: 'Quyết định cập nhật, xem qua API (bản đầu)', dueOn: null },
          after: { summary: 'Quyết định cập nhật, xem qua API', dueOn: '2026-12-31' },
        },
      }),
    ])

    const old = await issued({ summary: 'Quyết định thay thế, xem qua API (bản cũ)' })
    const oldCopy = wardCopy(old).documentId!
    const replacement = await issued({
      summary: 'Quyết định thay thế, xem qua API (bản mới)',
      replaces: old.id,
    })
    const newCopy = wardCopy(replacement).documentId!
    expect(await incoming(oldCopy)).toMatchObject({
      status: 'replaced',
      withdrawn: 'replaced',
      withdrawnAt: now.toISOString(),
      withdrawnReason: `Thay thế bằng văn bản số ${replacement.codeNumber}/${replacement.codeNotation} ngày 27/11/2026`,
      replacedBy: newCopy,
    })
    expect(await incoming(newCopy)).toMatchObject({ status: 'registered', withdrawn: null, replacedBy: null })

    // The register's list says the same.
    const recalledItems = await list(`q=${encodeURIComponent('xem qua API')}&status=recalled`)
    expect(recalledItems.map((d) => [d.id, d.withdrawn, d.withdrawnReason])).toEqual([
      [recalledCopy, 'recalled', 'Ban hành nhầm đối tượng áp dụng'],
    ])
    const replacedItems = await list(`q=${encodeURIComponent('xem qua API')}&status=replaced`)
    expect(replacedItems.map((d) => [d.id, d.withdrawn, d.replacedBy])).toEqual([
      [oldCopy, 'replaced', newCopy],
    ])
    const updatedItem = (await list(`q=${encodeURIComponent('xem qua API')}&status=registered`)).find(
      (d) => d.id === updatedCopy,
    )
    expect(updatedItem).toMatchObject({ amendedAt: now.toISOString(), amendedReason: 'Bổ sung hạn báo cáo' })
  })
})

describe('pages', () => {
  it('recalls through the page: no reason shows the error, then both pages say the document was recalled', async () => {
    const doc = await issued({ summary: 'Văn bản thu hồi qua trang' })
    const clerk = new Visitor(t.app)
    await clerk.login('vanthu.sokhcn')
    const page = await clerk.get(`/admin/documents/outgoing/${doc.id}`)
    expect(html(page).querySelector('#recall-form')).not.toBeNull()
    const empty = await clerk.post(`/admin/documents/outgoing/${doc.id}/recall`, {
      reason: '',
      form: 'recall',
    })
    expect(empty.statusCode).toBe(422)
    expect(errorSummary(empty)).toEqual([
      'Nhập lý do thu hồi (5 đến 2000 ký tự); nơi nhận sẽ nhận được lý do này.',
    ])
    const done = await clerk.post(`/admin/documents/outgoing/${doc.id}/recall`, {
      reason: 'Sai căn cứ pháp lý',
      form: 'recall',
    })
    expect(done.statusCode).toBe(303)
    const after = html(await clerk.get(`/admin/documents/outgoing/${doc.id}`))
    expect(after.querySelector('#withdrawn')!.text).toContain('Văn bản đã bị thu hồi ngày')
    expect(after.querySelector('#withdrawn')!.text).toContain('Sai căn cứ pháp lý')
    expect(after.querySelector('#recall-form')).toBeNull()
    expect(after.querySelector('#recipients-table')!.text).toContain('15 — Đồng ý thu hồi văn bản.')
    expect(after.querySelector('#edxml-recall')).not.toBeNull()

    const leader = new Visitor(t.app)
    await leader.login('lanhdao.thucphan')
    const copy = html(await leader.get(`/admin/documents/${wardCopy(doc).documentId}`))
    expect(copy.querySelector('#withdrawn')!.text).toContain('Nơi gửi đã thu hồi văn bản này ngày')
    expect(copy.querySelector('#metadata')!.text).toContain('Đã bị thu hồi')
  })
})
