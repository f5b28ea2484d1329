import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, multipartBody, type TestApp } from '../../../test/app.js'
import { AGENCY, documentsFixture, edxmlHeader, OFFICIALS, pdfAttachment } from '../../../test/documents.js'
import { samplePdf, samplePng } from '../../../test/files.js'
import { havePoppler, pdfText } from '../../../test/pdf.js'
import { SigningKeys } from '../../platform/signing/index.js'
import { buildEnvelope, emptyOrgan, parseEnvelope } from './edxml.js'

// Friday 27/11/2026, 09:00 in Cao Bằng.
const now = new Date('2026-11-27T02:00:00Z')
let t: TestApp
const { units, users, as, api, signIn, approveOutgoing, issueOutgoing } = documentsFixture(() => t)
let pdf: Buffer

const SKHCN = AGENCY.skhcn
const WARD = AGENCY.ward

beforeAll(async () => {
  t = await createTestApp({ clock: () => now })
  const { createIdentityModule } = await import('../identity/index.js')
  const { createOrganisationModule } = await import('../organisation/index.js')
  const deps = { db: t.database.db, config: t.config, clock: () => now }
  const identity = createIdentityModule({ ...deps, organisation: createOrganisationModule(deps).service })
  const unitId = (
    await sql<{ id: string }>`select id from org_units where key = 'so-khcn'`.execute(t.database.db)
  ).rows[0]!.id
  const ctx = { actorId: null, actorLabel: 'test', ip: null, requestId: null }
  // A head of division (reviewer) and a deputy director (a second leader) of the Sở.
  for (const [username, fullName, role] of [
    ['truongphong.sokhcn', 'Hoàng Văn Phòng', 'specialist'],
    ['phogiamdoc.sokhcn', 'Bế Thị Phó', 'unit_leader'],
  ] as const) {
    await identity.users.createUserTrusted(
      {
        username,
        fullName,
        password: 'CaoBang@2026-test',
        kind: 'official',
        homeUnitId: unitId,
        role,
        includeSubtree: false,
      },
      ctx,
    )
  }
  await signIn([...OFFICIALS, 'truongphong.sokhcn', 'phogiamdoc.sokhcn'])
  pdf = await samplePdf('Dự thảo quyết định ban hành kế hoạch chuyển đổi số')
})
afterAll(() => t.close())

const draft = (overrides: Record<string, unknown> = {}) => ({
  typeCode: 'quyet-dinh',
  summary: 'Quyết định ban hành Kế hoạch chuyển đổi số năm 2027',
  content: 'Điều 1. Ban hành kèm theo Quyết định này Kế hoạch.\nĐiều 2. Quyết định có hiệu lực từ ngày ký.',
  recipients: [{ kind: 'internal', unitId: units['phuong-thuc-phan'] }],
  ...overrides,
})

async function uploadFile(username: string, id: string, content: Buffer, name = 'du-thao.pdf') {
  const { payload, contentType } = multipartBody({ note: 'Bản PDF' }, [{ field: 'file', name, content }])
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/documents/outgoing/${id}/file`,
    payload,
    headers: { ...as(username), 'content-type': contentType },
  })
}

/** A draft with its PDF, by the specialist. */
async function drafted(overrides: Record<string, unknown> = {}, username = 'chuyenvien.sokhcn') {
  const created = await api(username, 'POST', '/documents/outgoing', draft(overrides))
  expect(created.statusCode, created.body).toBe(201)
  const id = created.json().id as string
  expect((await uploadFile(username, id, pdf)).statusCode).toBe(201)
  return id
}

/** A draft approved by the leader through a one-person chain. */
async function approved(overrides: Record<string, unknown> = {}) {
  const id = await drafted(overrides)
  await approveOutgoing(id, { signerPosition: 'Giám đốc' })
  return id
}

async function issued(overrides: Record<string, unknown> = {}) {
  return issueOutgoing(await approved(overrides))
}

async function signedBytes(id: string): Promise<Buffer> {
  const response = await api('vanthu.sokhcn', 'GET', `/documents/outgoing/${id}/signed`)
  expect(response.statusCode).toBe(200)
  return response.rawPayload
}

async function verify(bytes: Buffer) {
  const { payload, contentType } = multipartBody({}, [{ field: 'file', name: 'van-ban.pdf', content: bytes }])
  return (
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/verify',
      payload,
      headers: { 'content-type': contentType },
    })
  ).json()
}

describe('drafts', () => {
  it('creates a draft with versions: each upload is a new version and earlier ones stay readable', async () => {
    const created = await api('chuyenvien.sokhcn', 'POST', '/documents/outgoing', draft())
    expect(created.statusCode).toBe(201)
    expect(created.json()).toMatchObject({
      status: 'draft',
      version: 1,
      unitId: units['so-khcn'],
      number: null,
    })
    const id = created.json().id
    expect((await uploadFile('chuyenvien.sokhcn', id, pdf)).json().version).toBe(2)
    const second = await samplePdf('Dự thảo lần 2')
    expect((await uploadFile('chuyenvien.sokhcn', id, second)).json().version).toBe(3)
    const edited = await api('chuyenvien.sokhcn', 'POST', `/documents/outgoing/${id}/versions`, {
      ...draft({ summary: 'Quyết định ban hành Kế hoạch chuyển đổi số năm 2027 (sửa)' }),
      note: 'Sửa trích yếu',
    })
    expect(edited.statusCode, edited.body).toBe(200)
    expect(edited.json()).toMatchObject({
      version: 4,
      summary: 'Quyết định ban hành Kế hoạch chuyển đổi số năm 2027 (sửa)',
    })
    const view = (await api('chuyenvien.sokhcn', 'GET', `/documents/outgoing/${id}`)).json()
    expect(view.versions.map((v: { version: number }) => v.version)).toEqual([4, 3, 2, 1])
    // Version 4 kept version 3's file; version 2's file is still the first PDF.
    expect(view.versions[0].sha256).toBe(view.versions[1].sha256)
    const v2 = await api('chuyenvien.sokhcn', 'GET', `/documents/outgoing/${id}/versions/2/file`)
    expect(v2.statusCode).toBe(200)
    expect(v2.rawPayload.equals(pdf)).toBe(true)
    expect(view.versions[3].fileName).toBeNull()
    expect(view.history.map((h: { action: string }) => h.action)).toEqual([
      'created',
      'edited',
      'edited',
      'edited',
    ])
  })

  it('refuses a draft without recipients, or with a malformed agency code, with Vietnamese messages (422)', async () => {
    const none = await api('chuyenvien.sokhcn', 'POST', '/documents/outgoing', draft({ recipients: [] }))
    expect(none.statusCode).toBe(422)
    expect(none.json().error.details.fields.recipients).toContain('Chọn ít nhất một nơi nhận')
    const bad = await api(
      'chuyenvien.sokhcn',
      'POST',
      '/documents/outgoing',
      draft({ recipients: [{ kind: 'external', agencyCode: 'H14', name: 'UBND tỉnh' }], summary: 'x' }),
    )
    expect(bad.statusCode).toBe(422)
    expect(bad.json().error.details.fields).toMatchObject({
      summary: 'Nhập trích yếu (2 đến 2000 ký tự).',
      recipients: expect.stringContaining('"H14" không phải mã định danh cơ quan theo QCVN 102:2016'),
    })
    const self = await api(
      'chuyenvien.sokhcn',
      'POST',
      '/documents/outgoing',
      draft({ recipients: [{ kind: 'internal', unitId: units['so-khcn'] }] }),
    )
    expect(self.json().error.details.fields.recipients).toBe(
      'Đơn vị soạn thảo không gửi văn bản cho chính mình.',
    )
    const count = await sql<{
      n: number
    }>`select count(*)::int as n from outgoing_documents where summary = 'x'`.execute(t.database.db)
    expect(count.rows[0]!.n).toBe(0)
  })

  it('refuses a draft file that is not a PDF, signed under a CA the platform does not trust, or altered after signing', async () => {
    const id = (await api('chuyenvien.sokhcn', 'POST', '/documents/outgoing', draft())).json().id
    const png = await uploadFile('chuyenvien.sokhcn', id, samplePng(), 'anh.png')
    expect(png.statusCode).toBe(422)
    expect(png.json().error.details.fields.file).toBe('Tệp dự thảo phải là tệp PDF.')
    const keys = new SigningKeys({
      dir: join(t.config.dataDir, 'other-signing'),
      passphrase: 'x'.repeat(12),
      generateTestCertificates: true,
    })
    const signed = Buffer.from(
      await (
        await keys.signerFor('000.00.00.G22', 'Văn phòng Chính phủ')
      ).sign(pdf, { reason: 'Ký', location: 'Hà Nội' }),
    )
    const already = await uploadFile('chuyenvien.sokhcn', id, signed)
    expect(already.statusCode).toBe(422)
    expect(already.json().error.details.fields.file).toContain(
      'Chữ ký số của Văn phòng Chính phủ trên tệp PDF dùng chứng thư số không do tổ chức chứng thực được hệ thống tin cậy cấp',
    )
    // Change one byte inside the signed range: the signature no longer matches.
    const tampered = Buffer.from(signed)
    const at = tampered.indexOf('Dự thảo') >= 0 ? tampered.indexOf('/Producer') : 200
    tampered[at + 2] = tampered[at + 2]! ^ 0x01
    const refused = await uploadFile('chuyenvien.sokhcn', id, tampered)
    expect(refused.statusCode).toBe(422)
    expect(refused.json().error.details.fields.file).toContain('đã bị sửa sau khi ký')
    expect((await api('chuyenvien.sokhcn', 'GET', `/documents/outgoing/${id}`)).json().version).toBe(1)
  })

  it('keeps a draft to its drafter: a colleague gets 403, another unit 403, a classified one 404', async () => {
    const id = await drafted()
    expect((await api('truongphong.sokhcn', 'GET', `/documents/outgoing/${id}`)).statusCode).toBe(403)
    expect((await api('chuyenvien.thucphan', 'GET', `/documents/outgoing/${id}`)).statusCode).toBe(403)
    expect((await api('lanhdao.thucphan', 'GET', `/documents/outgoing/${id}`)).statusCode).toBe(403)
    // The unit's leader sees the unit's ordinary drafts.
    expect((await api('lanhdao.sokhcn', 'GET', `/documents/outgoing/${id}`)).statusCode).toBe(200)
    const secret = await drafted({ confidentiality: 'confidential' })
    expect((await api('lanhdao.sokhcn', 'GET', `/documents/outgoing/${secret}`)).statusCode).toBe(404)
    expect((await api('lanhdao.thucphan', 'GET', `/documents/outgoing/${secret}`)).statusCode).toBe(404)
    const list = (await api('lanhdao.thucphan', 'GET', '/documents/outgoing')).json()
    expect(list.items).toEqual([])
    // Only the drafter edits.
    const edit = await api('lanhdao.sokhcn', 'POST', `/documents/outgoing/${id}/versions`, draft())
    expect(edit.statusCode).toBe(403)
  })
})

describe('approval chain', () => {
  it('goes through the chain in order; acting out of turn is 403; a return goes back to the drafter', async () => {
    const id = await drafted()
    const noLeader = await api('chuyenvien.sokhcn', 'POST', `/documents/outgoing/${id}/submit`, {
      chain: [users['truongphong.sokhcn']],
    })
    expect(noLeader.statusCode).toBe(422)
    expect(noLeader.json().error.details.fields.chain).toBe(
      'Người cuối cùng phải là lãnh đạo đơn vị, người duyệt ban hành.',
    )
    const outsider = await api('chuyenvien.sokhcn', 'POST', `/documents/outgoing/${id}/submit`, {
      chain: [users['lanhdao.thucphan']],
    })
    expect(outsider.statusCode).toBe(422)

    const submitted = await api('chuyenvien.sokhcn', 'POST', `/documents/outgoing/${id}/submit`, {
      chain: [users['truongphong.sokhcn'], users['lanhdao.sokhcn']],
    })
    expect(submitted.json()).toMatchObject({ status: 'in_review', round: 1 })
    // The leader cannot act before the head of division.
    const early = await api('lanhdao.sokhcn', 'POST', `/documents/outgoing/${id}/step`, { action: 'approve' })
    expect(early.statusCode).toBe(403)
    expect(early.json().error.message).toBe('Chưa đến lượt bạn: dự thảo đang chờ Hoàng Văn Phòng xử lý.')
    // Nor can the drafter edit while it is under review.
    const editing = await api('chuyenvien.sokhcn', 'POST', `/documents/outgoing/${id}/versions`, draft())
    expect(editing.statusCode).toBe(409)

    const pending = (await api('truongphong.sokhcn', 'GET', '/documents/outgoing?box=pending')).json()
    expect(pending.items.map((i: { id: string }) => i.id)).toEqual([id])
    // "Mine" is what one drafted, not what one was asked to review.
    expect((await api('truongphong.sokhcn', 'GET', '/documents/outgoing?box=mine')).json().items).toEqual([])
    expect(
      (
        await api('truongphong.sokhcn', 'POST', `/documents/outgoing/${id}/step`, {
          action: 'approve',
          note: 'Đồng ý',
        })
      ).statusCode,
    ).toBe(200)
    const noReason = await api('lanhdao.sokhcn', 'POST', `/documents/outgoing/${id}/step`, {
      action: 'return',
    })
    expect(noReason.statusCode).toBe(422)
    expect(noReason.json().error.details.fields.note).toBe('Nhập lý do trả lại, nội dung cần chỉnh sửa.')
    const returned = await api('lanhdao.sokhcn', 'POST', `/documents/outgoing/${id}/step`, {
      action: 'return',
      note: 'Bổ sung căn cứ pháp lý',
    })
    expect(returned.json().status).toBe('returned')
    const comment = await api('lanhdao.sokhcn', 'POST', `/documents/outgoing/${id}/comments`, {
      body: 'Căn cứ Nghị định 30/2020/NĐ-CP',
    })
    expect(comment.statusCode).toBe(201)
    expect(comment.json().version).toBe(2)

    // The drafter revises (version 3) and submits again: a new round.
    expect((await uploadFile('chuyenvien.sokhcn', id, await samplePdf('Bản sửa'))).json().version).toBe(3)
    const again = await api('chuyenvien.sokhcn', 'POST', `/documents/outgoing/${id}/submit`, {
      chain: [users['lanhdao.sokhcn']],
    })
    expect(again.json()).toMatchObject({ status: 'in_review', round: 2 })
    // The leader hands the approval to the deputy director; a specialist cannot take an approval step.
    const toSpecialist = await api('lanhdao.sokhcn', 'POST', `/documents/outgoing/${id}/step`, {
      action: 'forward',
      to: users['truongphong.sokhcn'],
    })
    expect(toSpecialist.statusCode).toBe(422)
    const forwarded = await api('lanhdao.sokhcn', 'POST', `/documents/outgoing/${id}/step`, {
      action: 'forward',
      to: users['phogiamdoc.sokhcn'],
      note: 'Đồng chí Phó Giám đốc phụ trách duyệt',
    })
    expect(forwarded.statusCode, forwarded.body).toBe(200)
    expect(
      (await api('lanhdao.sokhcn', 'POST', `/documents/outgoing/${id}/step`, { action: 'approve' }))
        .statusCode,
    ).toBe(403)
    const done = await api('phogiamdoc.sokhcn', 'POST', `/documents/outgoing/${id}/step`, {
      action: 'approve',
      signerPosition: 'Phó Giám đốc',
      signerCompetence: 'kt. giám đốc',
    })
    expect(done.json()).toMatchObject({
      status: 'approved',
      signerName: 'Bế Thị Phó',
      signerPosition: 'Phó Giám đốc',
      signerCompetence: 'KT. GIÁM ĐỐC',
    })
    const view = (await api('chuyenvien.sokhcn', 'GET', `/documents/outgoing/${id}`)).json()
    expect(
      view.steps.map((s: { round: number; userName: string; status: string }) => [
        s.round,
        s.userName,
        s.status,
      ]),
    ).toEqual([
      [1, 'Hoàng Văn Phòng', 'approved'],
      [1, expect.any(String), 'returned'],
      [2, expect.any(String), 'forwarded'],
      [2, 'Bế Thị Phó', 'approved'],
    ])
    expect(view.history.map((h: { action: string }) => h.action)).toEqual([
      'created',
      'edited',
      'submitted',
      'approved',
      'returned',
      'commented',
      'edited',
      'submitted',
      'forwarded',
      'approved_for_issue',
    ])
    expect(view.comments).toEqual([
      expect.objectContaining({ body: 'Căn cứ Nghị định 30/2020/NĐ-CP', version: 2 }),
    ])
  })

  it('refuses to submit a draft without a PDF (409)', async () => {
    const id = (await api('chuyenvien.sokhcn', 'POST', '/documents/outgoing', draft())).json().id
    const response = await api('chuyenvien.sokhcn', 'POST', `/documents/outgoing/${id}/submit`, {
      chain: [users['lanhdao.sokhcn']],
    })
    expect(response.statusCode).toBe(409)
    expect(response.json().error.message).toBe(
      'Dự thảo chưa có tệp PDF. Tải tệp dự thảo lên trước khi trình.',
    )
  })
})

describe('issue and dispatch', () => {
  it('refuses to issue an unapproved draft (409) and lets only the unit’s clerk issue (403)', async () => {
    const id = await drafted()
    const early = await api('vanthu.sokhcn', 'POST', `/documents/outgoing/${id}/issue`)
    expect(early.statusCode).toBe(409)
    expect(early.json().error.message).toBe(
      'Chỉ phát hành văn bản đã được lãnh đạo duyệt ban hành: văn bản đang ở trạng thái "Dự thảo".',
    )
    const ready = await approved()
    expect((await api('lanhdao.sokhcn', 'POST', `/documents/outgoing/${ready}/issue`)).statusCode).toBe(403)
    expect((await api('vanthu.thucphan', 'POST', `/documents/outgoing/${ready}/issue`)).statusCode).toBe(403)
  })

  it('numbers from the unit’s outgoing register per NĐ 30, signs with the unit’s key and delivers inside the platform', async () => {
    const first = await issued()
    expect(first).toMatchObject({
      status: 'issued',
      number: 1,
      codeNumber: '01',
      codeNotation: 'QĐ-SKHCN',
      issuedOn: '2026-11-27',
    })
    const letter = await issued({
      typeCode: 'cong-van',
      division: 'vp',
      summary: 'V/v góp ý dự thảo quy chế',
    })
    expect(letter).toMatchObject({ number: 2, codeNumber: '02', codeNotation: 'SKHCN-VP' })

    // The signed original verifies at /verify, names the unit, and shows the number on its page.
    const bytes = await signedBytes(first.id)
    const check = await verify(bytes)
    expect(check).toMatchObject({ signed: true, acceptable: true })
    expect(check.signatures[0].organisation).toBe(SKHCN)
    // The number, notation and date are written on the first page.
    if (havePoppler) expect(pdfText(bytes)).toContain('Số: 01/QĐ-SKHCN')
    if (havePoppler) expect(pdfText(bytes)).toContain('Cao Bằng, ngày 27 tháng 11 năm 2026')
    // Altered after signing (a byte of the binary comment in the header, inside the signed range).
    const tampered = Buffer.from(bytes)
    tampered[12] = tampered[12]! ^ 0x01
    expect((await verify(tampered)).acceptable).toBe(false)

    // The ward received it in its incoming register, as an electronic document with the signed PDF.
    const view = (await api('vanthu.sokhcn', 'GET', `/documents/outgoing/${first.id}`)).json()
    expect(view.recipients).toEqual([
      expect.objectContaining({ kind: 'internal', unitId: units['phuong-thuc-phan'], status: 'delivered' }),
    ])
    const incoming = (
      await api('vanthu.thucphan', 'GET', `/documents/${view.recipients[0].documentId}`)
    ).json()
    expect(incoming).toMatchObject({
      unitId: units['phuong-thuc-phan'],
      source: 'internal',
      codeNumber: '01',
      codeNotation: 'QĐ-SKHCN',
      issuedOn: '2026-11-27',
      issuerCode: SKHCN,
      issuerName: 'Sở Khoa học và Công nghệ',
      typeCode: 'quyet-dinh',
      summary: 'Quyết định ban hành Kế hoạch chuyển đổi số năm 2027',
      signerName: expect.any(String),
      status: 'registered',
    })
    expect(incoming.files).toHaveLength(1)
    expect(incoming.files[0].sha256).toBe(first.signedSha256)
    expect(incoming.history.map((h: { action: string }) => h.action)).toEqual(['received_internal'])
    expect(view.history.map((h: { action: string }) => h.action).slice(-2)).toEqual(['issued', 'delivered'])
    // The ward finds it in its register; the Sở's register lists both numbers.
    const found = (await api('vanthu.thucphan', 'GET', '/documents?q=chuyen doi so 2027')).json()
    expect(found.items.map((d: { id: string }) => d.id)).toContain(incoming.id)
    const register = (await api('vanthu.sokhcn', 'GET', '/documents/outgoing/register')).json()
    expect(register.items.map((o: { number: number }) => o.number)).toEqual([2, 1])
    expect((await api('chuyenvien.thucphan', 'GET', '/documents/outgoing/register')).statusCode).toBe(403)
  })

  it('draws gapless numbers when clerks issue in parallel', async () => {
    const ids = await Promise.all([approved(), approved(), approved()])
    const before = (await api('vanthu.sokhcn', 'GET', '/documents/outgoing/register')).json().items.length
    const responses = await Promise.all(
      ids.map((id) => api('vanthu.sokhcn', 'POST', `/documents/outgoing/${id}/issue`)),
    )
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200])
    const numbers = responses.map((r) => r.json().number as number).sort((a, b) => a - b)
    expect(numbers).toEqual([before + 1, before + 2, before + 3])
  })

  it('does not register the same document twice at the recipient', async () => {
    // The ward's clerk registered the paper copy before the electronic one arrived.
    const register = (await api('vanthu.sokhcn', 'GET', '/documents/outgoing/register')).json()
    const nextNumber = (register.items[0]?.number ?? 0) + 1
    const paper = await api('vanthu.thucphan', 'POST', '/documents', {
      codeNumber: String(nextNumber),
      codeNotation: 'QĐ-SKHCN',
      issuedOn: '2026-11-27',
      issuerName: 'Sở Khoa học và Công nghệ',
      issuerCode: SKHCN,
      typeCode: 'quyet-dinh',
      summary: 'Bản giấy',
    })
    expect(paper.statusCode).toBe(201)
    const doc = await issued()
    expect(doc.number).toBe(nextNumber)
    const view = (await api('vanthu.sokhcn', 'GET', `/documents/outgoing/${doc.id}`)).json()
    expect(view.recipients[0]).toMatchObject({ status: 'duplicate', documentId: paper.json().id })
  })

  it('sends agencies outside the platform an edXML package that imports with the same fields and file', async () => {
    const answered = await api('vanthu.sokhcn', 'POST', '/documents', {
      codeNumber: '88',
      codeNotation: 'UBND-TH',
      issuedOn: '2026-11-20',
      issuerName: 'Ủy ban nhân dân phường Thục Phán',
      issuerCode: WARD,
      typeCode: 'cong-van',
      summary: 'V/v đề nghị hỗ trợ chuyển đổi số',
    })
    // The leader hands the incoming letter to the specialist, who drafts the reply.
    const assigned = await api('lanhdao.sokhcn', 'POST', `/documents/${answered.json().id}/assignments`, {
      lead: { kind: 'user', id: users['chuyenvien.sokhcn'] },
      days: 5,
    })
    expect(assigned.statusCode, assigned.body).toBe(201)
    const doc = await issued({
      typeCode: 'cong-van',
      division: 'VP',
      summary: 'V/v trả lời đề nghị hỗ trợ chuyển đổi số',
      urgency: 'urgent',
      dueOn: '2026-12-10',
      replyTo: answered.json().id,
      recipients: [
        { kind: 'external', agencyCode: WARD, name: 'UBND phường Thục Phán' },
        { kind: 'external', agencyCode: '000.00.00.G22', name: 'Văn phòng Chính phủ' },
      ],
    })
    const pkg = await api('vanthu.sokhcn', 'GET', `/documents/outgoing/${doc.id}/edxml`)
    expect(pkg.statusCode).toBe(200)
    expect(pkg.headers['content-type']).toContain('application/xml')
    const parsed = parseEnvelope(pkg.body)
    if (!parsed.ok) throw new Error(parsed.problems.join(' '))
    expect(parsed.package.document).toMatchObject({
      from: expect.objectContaining({ organId: SKHCN }),
      to: [expect.objectContaining({ organId: WARD }), expect.objectContaining({ organId: '000.00.00.G22' })],
      codeNumber: doc.codeNumber,
      codeNotation: 'SKHCN-VP',
      promulgationDate: '2026-11-27',
      type: { code: 18, name: 'Công văn' },
      priority: 1,
      dueDate: '2026-12-10',
      responseFor: [
        {
          organId: WARD,
          code: '88/UBND-TH',
          promulgationDate: '2026-11-20',
          documentId: `${WARD},2026/11/20,88/UBND-TH`,
        },
      ],
      documentId: `${SKHCN},2026/11/27,${doc.codeNumber}/SKHCN-VP`,
    })
    const signed = await signedBytes(doc.id)
    expect(parsed.package.attachments[0]!.bytes.equals(signed)).toBe(true)

    // The ward imports the package into its incoming register: same fields, same file.
    const imported = await t.app.inject({
      method: 'POST',
      url: '/api/v1/documents/import',
      payload: pkg.body,
      headers: { ...as('vanthu.thucphan'), 'content-type': 'application/xml' },
    })
    expect(imported.statusCode, imported.body).toBe(201)
    // An urgent document: the ward's leader sees it (the clerk does not, by the visibility rules).
    const landed = (await api('lanhdao.thucphan', 'GET', `/documents/${imported.json().id}`)).json()
    expect(landed).toMatchObject({
      source: 'edxml',
      codeNumber: doc.codeNumber,
      codeNotation: 'SKHCN-VP',
      issuedOn: '2026-11-27',
      issuerCode: SKHCN,
      typeCode: 'cong-van',
      summary: 'V/v trả lời đề nghị hỗ trợ chuyển đổi số',
      urgency: 'urgent',
      dueOn: '2026-12-10',
      signerName: doc.signerName,
    })
    const file = await api('lanhdao.thucphan', 'GET', `/documents/${landed.id}/files/${landed.files[0].id}`)
    expect(file.rawPayload.equals(signed)).toBe(true)

    // The reply is linked on the answered document's side too.
    const answeredView = (await api('vanthu.sokhcn', 'GET', `/documents/${answered.json().id}`)).json()
    expect(answeredView.history.map((h: { action: string }) => h.action)).toContain('reply_issued')
    const replies = (await api('lanhdao.sokhcn', 'GET', `/documents/${answered.json().id}/replies`)).json()
    expect(replies.map((r: { id: string }) => r.id)).toEqual([doc.id])
  })

  it('refuses to send a signed original that changed in storage', async () => {
    const doc = await issued({
      recipients: [{ kind: 'external', agencyCode: '000.00.00.G22', name: 'Văn phòng Chính phủ' }],
    })
    const row = await sql<{
      key: string
    }>`select signed_object_key as key from outgoing_documents where id = ${doc.id}`.execute(t.database.db)
    const path = join(t.config.dataDir, 'files', row.rows[0]!.key)
    const bytes = readFileSync(path)
    bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0x01
    writeFileSync(path, bytes)
    const pkg = await api('vanthu.sokhcn', 'GET', `/documents/outgoing/${doc.id}/edxml`)
    expect(pkg.statusCode).toBe(409)
    expect(pkg.json().error.message).toContain('đã bị thay đổi')
  })

  it('issues a classified document on paper only, visible to those involved', async () => {
    const id = await drafted({ confidentiality: 'secret' })
    await api('chuyenvien.sokhcn', 'POST', `/documents/outgoing/${id}/submit`, {
      chain: [users['lanhdao.sokhcn']],
    })
    expect((await api('phogiamdoc.sokhcn', 'GET', `/documents/outgoing/${id}`)).statusCode).toBe(404)
    expect((await api('vanthu.sokhcn', 'GET', `/documents/outgoing/${id}`)).statusCode).toBe(404)
    await api('lanhdao.sokhcn', 'POST', `/documents/outgoing/${id}/step`, { action: 'approve' })
    const doc = await api('vanthu.sokhcn', 'POST', `/documents/outgoing/${id}/issue`)
    expect(doc.statusCode).toBe(200)
    const view = (await api('vanthu.sokhcn', 'GET', `/documents/outgoing/${id}`)).json()
    expect(view.recipients[0].status).toBe('paper')
    expect((await api('vanthu.sokhcn', 'GET', `/documents/outgoing/${id}/edxml`)).statusCode).toBe(409)
    const audit = await sql<{ n: number }>`select count(*)::int as n from audit_pending
      where action = 'document.outgoing_viewed' and object_id = ${id}`.execute(t.database.db)
    const chained = await sql<{ n: number }>`select count(*)::int as n from audit_log
      where action = 'document.outgoing_viewed' and object_id = ${id}`.execute(t.database.db)
    expect(audit.rows[0]!.n + chained.rows[0]!.n).toBeGreaterThan(0)
  })
})

describe('refusal (status 02)', () => {
  const envelope = (number: string) =>
    buildEnvelope(
      {
        document: edxmlHeader({
          to: [emptyOrgan(SKHCN, 'Sở Khoa học và Công nghệ')],
          codeNumber: number,
          codeNotation: 'VPCP-KGVX',
          promulgationDate: '2026-11-25',
          subject: 'V/v báo cáo tình hình thực hiện',
        }),
        attachments: [pdfAttachment(pdf, 'cv.pdf', 'a1')],
      },
      now,
    )

  it('writes a status 02 with the reason for the sender and takes the document out of the work', async () => {
    const imported = await t.app.inject({
      method: 'POST',
      url: '/api/v1/documents/import',
      payload: envelope('7001'),
      headers: { ...as('vanthu.sokhcn'), 'content-type': 'application/xml' },
    })
    expect(imported.statusCode).toBe(201)
    const id = imported.json().id
    const noReason = await api('vanthu.sokhcn', 'POST', `/documents/${id}/refusal`, { reason: '' })
    expect(noReason.statusCode).toBe(422)
    expect(noReason.json().error.details.fields.reason).toContain('Nhập lý do từ chối')
    expect(
      (
        await api('chuyenvien.sokhcn', 'POST', `/documents/${id}/refusal`, {
          reason: 'Không thuộc thẩm quyền',
        })
      ).statusCode,
    ).toBe(403)
    expect(
      (await api('vanthu.thucphan', 'POST', `/documents/${id}/refusal`, { reason: 'Không thuộc thẩm quyền' }))
        .statusCode,
    ).toBe(403)
    const refused = await api('vanthu.sokhcn', 'POST', `/documents/${id}/refusal`, {
      reason: 'Văn bản không thuộc thẩm quyền giải quyết của Sở',
    })
    expect(refused.statusCode, refused.body).toBe(200)
    expect(refused.json()).toEqual({ id, status: 'refused', statusLabel: 'Từ chối tiếp nhận' })
    const view = (await api('lanhdao.sokhcn', 'GET', `/documents/${id}`)).json()
    expect(view.statusMessages.map((m: { statusCode: string }) => m.statusCode)).toEqual(['01', '02', '03'])
    const message = await sql<{
      xml: string
      reason: string
    }>`select xml, reason from document_status_messages
      where document_id = ${id} and status_code = '02'`.execute(t.database.db)
    expect(message.rows[0]!.reason).toBe('Văn bản không thuộc thẩm quyền giải quyết của Sở')
    expect(message.rows[0]!.xml).toContain('<edXML:StatusCode>02</edXML:StatusCode>')
    expect(message.rows[0]!.xml).toContain(
      'Từ chối tiếp nhận: Văn bản không thuộc thẩm quyền giải quyết của Sở',
    )
    expect(message.rows[0]!.xml).toContain(
      '<edXML:DocumentId>000.00.00.G22,2026/11/25,7001/VPCP-KGVX</edXML:DocumentId>',
    )
    // Refused is final: no second refusal, no assignment.
    expect(
      (await api('vanthu.sokhcn', 'POST', `/documents/${id}/refusal`, { reason: 'Lần nữa, lý do' }))
        .statusCode,
    ).toBe(409)
    const assign = await api('lanhdao.sokhcn', 'POST', `/documents/${id}/assignments`, {
      lead: { kind: 'unit', id: units['so-khcn'] },
      days: 5,
    })
    expect(assign.statusCode).toBe(409)
  })

  it('refuses to refuse a paper document or one already assigned (409)', async () => {
    const paper = await api('vanthu.sokhcn', 'POST', '/documents', {
      codeNumber: '9001',
      codeNotation: 'UBND-VP',
      issuedOn: '2026-11-20',
      issuerName: 'Ủy ban nhân dân tỉnh Cao Bằng',
      issuerCode: '000.00.00.H14',
      typeCode: 'cong-van',
      summary: 'Văn bản giấy',
    })
    const response = await api('vanthu.sokhcn', 'POST', `/documents/${paper.json().id}/refusal`, {
      reason: 'Không thuộc thẩm quyền',
    })
    expect(response.statusCode).toBe(409)
    const imported = await t.app.inject({
      method: 'POST',
      url: '/api/v1/documents/import',
      payload: envelope('7002'),
      headers: { ...as('vanthu.sokhcn'), 'content-type': 'application/xml' },
    })
    const id = imported.json().id
    await api('lanhdao.sokhcn', 'POST', `/documents/${id}/assignments`, {
      lead: { kind: 'unit', id: units['so-khcn'] },
      days: 5,
    })
    expect(
      (await api('vanthu.sokhcn', 'POST', `/documents/${id}/refusal`, { reason: 'Không thuộc thẩm quyền' }))
        .statusCode,
    ).toBe(409)
  })
})
