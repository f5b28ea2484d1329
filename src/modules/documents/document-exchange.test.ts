import { createHash } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  apiToken,
  createTestApp,
  errorSummary,
  html,
  multipartBody,
  Visitor,
  type TestApp,
} from '../../../test/app.js'
import { samplePdf } from '../../../test/files.js'
import { startReceiver, systemClient } from '../../../test/lgsp.js'
import { timerScanned } from '../../../test/settle.js'
import { verifyWebhookSignature } from '../pubsub/index.js'
import {
  buildEnvelope,
  buildStatusMessage,
  emptyOrgan,
  parseEnvelope,
  parseStatusMessage,
  type EdxmlBusiness,
  type EdxmlPackage,
} from './edxml.js'

// Documents exchanged with agencies outside the platform over the LGSP: packages and status messages out
// through pub/sub (one topic per agency), packages and status messages in through the exchange API with the
// agency system's SSO token. Real HTTP receivers, real tokens, the job runner running.
let t: TestApp
let admin: Visitor
let adminToken: string
const tokens: Record<string, string> = {}
const units: Record<string, string> = {}
const users: Record<string, string> = {}
let pdf: Buffer
let vpcp: { id: string; token: string }
let dongthap: { id: string; token: string }
let stranger: { id: string; token: string }
let vpcpReceiver: Awaited<ReturnType<typeof startReceiver>>
let vpcpSecret: string
let dongthapSubscription: string
const poll = { timeout: 30_000, interval: 100 }

const VPCP = '000.00.00.G22'
const DONGTHAP = '000.00.00.H20'
const SKHCN = '000.13.00.H14'
const WARD = '001.90.00.H14'

const api = (method: 'GET' | 'POST', url: string, token?: string, payload?: unknown, headers = {}) =>
  t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    ...(payload === undefined ? {} : { payload: payload as string }),
  })
const as = (username: string) => tokens[username]
const post = (path: 'packages' | 'status', xml: string, token?: string) =>
  api('POST', `/documents/exchange/${path}`, token, xml, { 'content-type': 'application/xml' })

beforeAll(async () => {
  t = await createTestApp({
    // The retry of status messages owed to senders scans every 300 ms here (5 minutes by default).
    env: { PUBSUB_RETRY_MS: '30', PUBSUB_TIMEOUT_MS: '2000', DOCUMENT_EXCHANGE_RETRY_MS: '300' },
  })
  await t.app.jobs.start()
  admin = new Visitor(t.app)
  await admin.login('quantri')
  adminToken = await apiToken(t, 'quantri')
  for (const username of ['vanthu.sokhcn', 'lanhdao.sokhcn', 'chuyenvien.sokhcn', 'vanthu.thucphan']) {
    tokens[username] = await apiToken(t, username)
  }
  const rows = await sql<{ id: string; key: string }>`select id, key from org_units`.execute(t.database.db)
  for (const row of rows.rows) units[row.key] = row.id
  const people = await sql<{ id: string; username: string }>`select id, username from users`.execute(
    t.database.db,
  )
  for (const row of people.rows) users[row.username] = row.id
  pdf = await samplePdf('Công văn gửi Văn phòng Chính phủ')

  // Two agencies in the LGSP registry, each with its document system as an SSO client; a third client that
  // belongs to no agency.
  vpcp = await systemClient(t, admin, 'Hệ thống quản lý văn bản VPCP')
  dongthap = await systemClient(t, admin, 'Hệ thống quản lý văn bản Đồng Tháp')
  stranger = await systemClient(t, admin, 'Hệ thống không thuộc cơ quan nào')
  for (const [code, name, client] of [
    [VPCP, 'Văn phòng Chính phủ', vpcp.id],
    [DONGTHAP, 'UBND tỉnh Đồng Tháp', dongthap.id],
  ] as const) {
    const member = await api('POST', '/lgsp/members', adminToken, {
      memberClass: 'GOV',
      memberCode: code,
      name,
    })
    expect(member.statusCode, member.body).toBe(201)
    const subsystem = await api(
      'POST',
      `/lgsp/members/${member.json().id as string}/subsystems`,
      adminToken,
      {
        code: 'QLVB',
        name: `Quản lý văn bản — ${name}`,
        ssoClientId: client,
      },
    )
    expect(subsystem.statusCode, subsystem.body).toBe(201)
  }
  expect((await api('POST', '/pubsub/webhook-hosts', adminToken, { host: '127.0.0.1' })).statusCode).toBe(201)
  vpcpReceiver = await startReceiver()
}, 180_000)

afterAll(async () => {
  await vpcpReceiver?.close()
  await t?.close()
})

/** A công văn of the Sở to agencies outside the platform, issued by its clerk. */
async function issued(agencies: [string, string][], summary: string) {
  const created = await api('POST', '/documents/outgoing', as('chuyenvien.sokhcn'), {
    typeCode: 'cong-van',
    division: 'VP',
    summary,
    recipients: agencies.map(([agencyCode, name]) => ({ kind: 'external', agencyCode, name })),
  })
  expect(created.statusCode, created.body).toBe(201)
  const id = created.json().id as string
  const { payload, contentType } = multipartBody({}, [{ field: 'file', name: 'cong-van.pdf', content: pdf }])
  const upload = await t.app.inject({
    method: 'POST',
    url: `/api/v1/documents/outgoing/${id}/file`,
    payload,
    headers: { authorization: `Bearer ${as('chuyenvien.sokhcn')}`, 'content-type': contentType },
  })
  expect(upload.statusCode, upload.body).toBe(201)
  await api('POST', `/documents/outgoing/${id}/submit`, as('chuyenvien.sokhcn'), {
    chain: [users['lanhdao.sokhcn']],
  })
  await api('POST', `/documents/outgoing/${id}/step`, as('lanhdao.sokhcn'), {
    action: 'approve',
    signerPosition: 'Giám đốc',
  })
  const done = await api('POST', `/documents/outgoing/${id}/issue`, as('vanthu.sokhcn'))
  expect(done.statusCode, done.body).toBe(200)
  return done.json<{
    id: string
    codeNumber: string
    codeNotation: string
    issuedOn: string
    signedSha256: string
  }>()
}

type View = {
  recipients: {
    id: string
    agencyCode: string
    status: string
    channel: string | null
    exchangeStatus: string | null
    resendable: boolean
  }[]
  exchange: {
    recipientId: string
    agencyCode: string
    businessType: number
    state: string
    lastError: string | null
  }[]
  history: { action: string; note: string | null }[]
}
const view = async (id: string) =>
  (await api('GET', `/documents/outgoing/${id}`, as('vanthu.sokhcn'))).json<View>()
const states = async (id: string) =>
  (await view(id)).exchange.map((x) => `${x.agencyCode}:${x.businessType}:${x.state}`).sort()

type Pushed = {
  topic: string
  key: string
  payload: {
    messageType: string
    businessType: number | null
    statusCode: string | null
    documentId: string
    edxml: string
  }
}
const pushed = () => vpcpReceiver.accepted().map((r) => JSON.parse(r.body) as Pushed)

const documentIdOf = (d: { codeNumber: string; codeNotation: string; issuedOn: string }) =>
  `${SKHCN},${d.issuedOn.replace(/-/g, '/')},${d.codeNumber}/${d.codeNotation}`

let both: Awaited<ReturnType<typeof issued>>
let onlyVpcp: Awaited<ReturnType<typeof issued>>

describe('packages out over the LGSP', () => {
  it('keeps the package to download while the agency has no subscription, then sends it to that agency only', async () => {
    both = await issued(
      [
        [VPCP, 'Văn phòng Chính phủ'],
        [DONGTHAP, 'UBND tỉnh Đồng Tháp'],
      ],
      'V/v phối hợp liên thông văn bản điện tử',
    )
    await expect
      .poll(() => states(both.id), poll)
      .toEqual([`${VPCP}:0:unreachable`, `${DONGTHAP}:0:unreachable`])
    const before = await view(both.id)
    expect(before.recipients.map((r) => [r.status, r.channel]).sort()).toEqual([
      ['packaged', 'download'],
      ['packaged', 'download'],
    ])
    expect(before.exchange.find((x) => x.agencyCode === VPCP)!.lastError).toBe(
      `Cơ quan ${VPCP} chưa đăng ký nhận văn bản qua trục LGSP; tải gói tin edXML để gửi.`,
    )
    // The package to download is still there.
    expect((await api('GET', `/documents/outgoing/${both.id}/edxml`, as('vanthu.sokhcn'))).statusCode).toBe(
      200,
    )

    // Each agency's topic exists now and admits only that agency's systems.
    const topic = (await api('GET', `/pubsub/topics/edxml.${VPCP.toLowerCase()}`, adminToken)).json()
    expect(topic).toMatchObject({ platform: true, publishers: [], subscribers: [vpcp.id] })
    const intruder = await api('POST', '/pubsub/subscriptions', adminToken, {
      topic: `edxml.${VPCP.toLowerCase()}`,
      clientId: dongthap.id,
      mode: 'pull',
    })
    expect(intruder.statusCode).toBe(422)
    expect(intruder.json().error.details.fields.clientId).toBe(
      `Loại sự kiện "edxml.${VPCP.toLowerCase()}" chỉ dành cho ${vpcp.id}; ứng dụng "${dongthap.id}" không được đăng ký nhận.`,
    )
    const push = await api('POST', '/pubsub/subscriptions', adminToken, {
      topic: `edxml.${VPCP.toLowerCase()}`,
      clientId: vpcp.id,
      mode: 'push',
      endpoint: `${vpcpReceiver.url}/edxml`,
    })
    expect(push.statusCode, push.body).toBe(201)
    vpcpSecret = push.json().secret
    const pull = await api('POST', '/pubsub/subscriptions', adminToken, {
      topic: `edxml.${DONGTHAP.toLowerCase()}`,
      clientId: dongthap.id,
      mode: 'pull',
    })
    expect(pull.statusCode, pull.body).toBe(201)
    dongthapSubscription = pull.json().id

    // A new document to the Government Office only goes at once.
    onlyVpcp = await issued([[VPCP, 'Văn phòng Chính phủ']], 'V/v báo cáo tình hình chuyển đổi số')
    await expect.poll(() => pushed().length, poll).toBe(1)
    // The first one goes when the clerk sends again.
    const resend = await api('POST', `/documents/outgoing/${both.id}/resend`, as('vanthu.sokhcn'))
    expect(resend.statusCode, resend.body).toBe(200)
    expect(resend.json()).toEqual({ queued: 2 })
    await expect.poll(() => pushed().length, poll).toBe(2)
    await expect.poll(() => states(both.id), poll).toEqual([`${VPCP}:0:sent`, `${DONGTHAP}:0:sent`])

    const [first, second] = vpcpReceiver.accepted()
    expect(
      verifyWebhookSignature(
        vpcpSecret,
        {
          timestamp: first!.headers['x-lgsp-timestamp'] as string,
          signature: first!.headers['x-lgsp-signature'] as string,
        },
        first!.body,
      ),
    ).toBe(true)
    const [a, b] = pushed()
    expect([a!.key, b!.key]).toEqual([documentIdOf(onlyVpcp), documentIdOf(both)])
    expect(a!.payload).toMatchObject({
      messageType: 'edoc',
      businessType: 0,
      documentId: documentIdOf(onlyVpcp),
    })
    const read = parseEnvelope(a!.payload.edxml)
    if (!read.ok) throw new Error(read.problems.join(' '))
    expect(read.package.document.to.map((o) => o.organId)).toEqual([VPCP])
    expect(createHash('sha256').update(read.package.attachments[0]!.bytes).digest('hex')).toBe(
      onlyVpcp.signedSha256,
    )
    expect(second!.headers['x-lgsp-topic']).toBe(`edxml.${VPCP.toLowerCase()}`)
    const sent = await view(onlyVpcp.id)
    expect(sent.recipients[0]).toMatchObject({ status: 'sent', channel: 'lgsp' })
    expect(sent.history.map((h) => h.action)).toContain('sent_lgsp')

    // Đồng Tháp pulls its own topic: the document addressed to it, never the one for the Government Office.
    const events = await api('GET', `/pubsub/subscriptions/${dongthapSubscription}/events`, dongthap.token)
    expect(events.statusCode, events.body).toBe(200)
    expect(events.json().events.map((e: Pushed) => e.key)).toEqual([documentIdOf(both)])
    const other = await api('GET', `/pubsub/subscriptions/${dongthapSubscription}/events`, vpcp.token)
    expect(other.statusCode).toBe(403)
  }, 120_000)
})

const header = (overrides: Partial<EdxmlPackage['document']> = {}): EdxmlPackage['document'] => ({
  from: emptyOrgan(VPCP, 'Văn phòng Chính phủ'),
  to: [emptyOrgan(WARD, 'UBND phường Thục Phán')],
  codeNumber: '7816',
  codeNotation: 'VPCP-TTĐT',
  place: 'Hà Nội',
  promulgationDate: '2026-11-20',
  type: { code: 18, name: 'Công văn' },
  subject: 'V/v triển khai Đề án 06',
  content: '',
  signer: { competence: 'KT. BỘ TRƯỞNG', position: 'Phó Chủ nhiệm', fullName: 'Nguyễn Văn A' },
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
  documentId: `${VPCP},2026/11/20,7816/VPCP-TTĐT`,
  ...overrides,
})
const pack = (document: EdxmlPackage['document'], business?: Pick<EdxmlBusiness, 'type' | 'reason'>) =>
  buildEnvelope(
    {
      document,
      attachments:
        business?.type === 1
          ? []
          : [
              {
                contentId: 'c1',
                name: 'cv.pdf',
                contentType: 'application/pdf',
                description: '',
                bytes: pdf,
              },
            ],
      business: business && { ...business, documentId: document.documentId, replacements: [] },
    },
    new Date(),
  )
const count = async (table: 'documents' | 'document_files') =>
  (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(t.database.db))
    .rows[0]!.n

let received: string

describe('packages and status messages in', () => {
  it('refuses a missing or bad token (401), a system of no agency or another agency (403), a malformed package (400)', async () => {
    const before = [await count('documents'), await count('document_files')]
    const none = await post('packages', pack(header()))
    expect(none.statusCode).toBe(401)
    expect(none.json().error.message).toContain('Authorization: Bearer')
    expect((await post('packages', pack(header()), 'khong-phai-token')).statusCode).toBe(401)
    const nobody = await post('packages', pack(header()), stranger.token)
    expect(nobody.statusCode).toBe(403)
    expect(nobody.json().error.message).toBe(
      `Hệ thống "${stranger.id}" không gắn với cơ quan nào trên trục LGSP (phân hệ của một thành viên GOV trong sổ đăng ký).`,
    )
    const impostor = await post('packages', pack(header()), dongthap.token)
    expect(impostor.statusCode).toBe(403)
    expect(impostor.json().error.message).toBe(
      `Gói tin ghi cơ quan gửi ${VPCP}, nhưng hệ thống "${dongthap.id}" là của UBND tỉnh Đồng Tháp (${DONGTHAP}); mỗi cơ quan chỉ gửi văn bản của mình.`,
    )
    const malformed = await post(
      'packages',
      pack(header()).replace(/<edXML:Subject>[^<]*<\/edXML:Subject>/, ''),
      vpcp.token,
    )
    expect(malformed.statusCode).toBe(400)
    expect(malformed.json().error.message).toBe(
      'Gói tin edXML không hợp lệ: Thiếu MessageHeader/Subject (trích yếu).',
    )
    const notXml = await post('packages', 'không phải XML', vpcp.token)
    expect(notXml.statusCode).toBe(400)
    expect([await count('documents'), await count('document_files')]).toEqual(before)
  }, 120_000)

  it('registers a package in the addressed unit like an import, answers 01 and 03 over the LGSP, refuses it twice (409)', async () => {
    const xml = pack(header())
    const response = await post('packages', xml, vpcp.token)
    expect(response.statusCode, response.body).toBe(201)
    const [result] = response.json().results
    expect(result).toMatchObject({
      unitId: units['phuong-thuc-phan'],
      agencyCode: WARD,
      outcome: 'registered',
      status: 'registered',
    })
    received = result.documentId
    const document = (await api('GET', `/documents/${received}`, as('vanthu.thucphan'))).json()
    expect(document).toMatchObject({ source: 'edxml', summary: 'V/v triển khai Đề án 06', issuerCode: VPCP })
    expect(document.files.map((f: { fileName: string }) => f.fileName)).toEqual(['cv.pdf'])
    expect(document.history[0]).toMatchObject({
      action: 'imported',
      actorName: 'Trục LGSP — Văn phòng Chính phủ',
    })
    const statuses = () =>
      pushed()
        .filter((p) => p.payload.messageType === 'status')
        .map((p) => p.payload.statusCode)
    await expect.poll(statuses, poll).toEqual(['01', '03'])
    const status = parseStatusMessage(pushed().at(-1)!.payload.edxml)
    expect(status.ok && status.status.responseFor.documentId).toBe(`${VPCP},2026/11/20,7816/VPCP-TTĐT`)

    const again = await post('packages', xml, vpcp.token)
    expect(again.statusCode).toBe(409)
    expect(again.json().error.message).toMatch(/^Văn bản liên thông này đã được nhận trước đây/)
  }, 120_000)

  it('takes status messages about documents sent to the agency into the dispatch status, once', async () => {
    const status = (code: '03' | '15', documentId: string, description: string, at = new Date()) =>
      buildStatusMessage({
        responseFor: {
          organId: SKHCN,
          code: `${onlyVpcp.codeNumber}/${onlyVpcp.codeNotation}`,
          promulgationDate: onlyVpcp.issuedOn,
          documentId,
        },
        from: emptyOrgan(VPCP, 'Văn phòng Chính phủ'),
        code,
        description,
        at,
        staff: { department: 'Văn thư', name: 'Lê Văn An', email: '' },
      })
    const at = new Date(Math.floor(Date.now() / 1000) * 1000)
    const accepted = await post(
      'status',
      status('03', documentIdOf(onlyVpcp), 'Đã tiếp nhận', at),
      vpcp.token,
    )
    expect(accepted.statusCode, accepted.body).toBe(200)
    expect(accepted.json()).toMatchObject({ statusCode: '03', duplicate: false })
    const repeated = await post(
      'status',
      status('03', documentIdOf(onlyVpcp), 'Đã tiếp nhận', at),
      vpcp.token,
    )
    expect(repeated.json().duplicate).toBe(true)
    const after = await view(onlyVpcp.id)
    expect(after.recipients[0]!.exchangeStatus).toBe('03')
    expect(after.history.filter((h) => h.action === 'status_received').map((h) => h.note)).toEqual([
      'Văn phòng Chính phủ: 03 — Đã tiếp nhận',
    ])
    // Đồng Tháp cannot report on a document sent to the Government Office only.
    const foreign = buildStatusMessage({
      responseFor: {
        organId: SKHCN,
        code: `${onlyVpcp.codeNumber}/${onlyVpcp.codeNotation}`,
        promulgationDate: onlyVpcp.issuedOn,
        documentId: documentIdOf(onlyVpcp),
      },
      from: emptyOrgan(DONGTHAP, 'UBND tỉnh Đồng Tháp'),
      code: '03',
      description: 'Đã tiếp nhận',
      at,
      staff: { department: '', name: '', email: '' },
    })
    const notTheirs = await post('status', foreign, dongthap.token)
    expect(notTheirs.statusCode).toBe(404)
    expect(notTheirs.json().error.message).toBe(
      `Không tìm thấy văn bản "${documentIdOf(onlyVpcp)}" mà nền tảng đã gửi UBND tỉnh Đồng Tháp (${DONGTHAP}).`,
    )
    const broken = await post(
      'status',
      status('03', documentIdOf(onlyVpcp), '').replace(/<edXML:StatusCode>03/, '<edXML:StatusCode>77'),
      vpcp.token,
    )
    expect(broken.statusCode).toBe(400)
    expect(broken.json().error.message).toBe(
      'Thông báo trạng thái edXML không hợp lệ: Status/StatusCode "77" không hợp lệ: dùng 01–06, 13, 15 hoặc 16.',
    )
  }, 120_000)

  it('recalls both ways: our recall reaches the agency, which answers 15; its recall of a received document is answered 15', async () => {
    const recall = await api('POST', `/documents/outgoing/${onlyVpcp.id}/recall`, as('vanthu.sokhcn'), {
      reason: 'Số liệu báo cáo chưa chính xác',
    })
    expect(recall.statusCode, recall.body).toBe(200)
    await expect.poll(() => pushed().filter((p) => p.payload.businessType === 1).length, poll).toBe(1)
    const recallMessage = pushed().find((p) => p.payload.businessType === 1)!
    expect(recallMessage.key).toBe(documentIdOf(onlyVpcp))
    const read = parseEnvelope(recallMessage.payload.edxml)
    expect(read.ok && read.package.business).toMatchObject({
      type: 1,
      reason: 'Số liệu báo cáo chưa chính xác',
    })
    expect((await view(onlyVpcp.id)).recipients[0]!.exchangeStatus).toBe('13')

    const agreed = buildStatusMessage({
      responseFor: {
        organId: SKHCN,
        code: `${onlyVpcp.codeNumber}/${onlyVpcp.codeNotation}`,
        promulgationDate: onlyVpcp.issuedOn,
        documentId: documentIdOf(onlyVpcp),
      },
      from: emptyOrgan(VPCP, 'Văn phòng Chính phủ'),
      code: '15',
      description: 'Đồng ý thu hồi văn bản.',
      at: new Date(),
      staff: { department: 'Văn thư', name: 'Lê Văn An', email: '' },
    })
    expect((await post('status', agreed, vpcp.token)).statusCode).toBe(200)
    const answered = await view(onlyVpcp.id)
    expect(answered.recipients[0]!.exchangeStatus).toBe('15')
    expect(answered.history.at(-1)).toMatchObject({
      action: 'amendment_answered',
      note: 'Văn phòng Chính phủ: 15 — Đồng ý thu hồi văn bản.',
    })

    // The Government Office recalls the document it sent the ward.
    const theirs = await post(
      'packages',
      pack(header(), { type: 1, reason: 'Gửi nhầm nơi nhận' }),
      vpcp.token,
    )
    expect(theirs.statusCode, theirs.body).toBe(201)
    expect(theirs.json().results[0]).toMatchObject({
      documentId: received,
      outcome: 'recalled',
      status: 'recalled',
    })
    expect((await api('GET', `/documents/${received}`, as('vanthu.thucphan'))).json().status).toBe('recalled')
    await expect
      .poll(
        () =>
          pushed()
            .filter((p) => p.payload.messageType === 'status')
            .map((p) => p.payload.statusCode),
        poll,
      )
      .toEqual(['01', '03', '15'])
  }, 120_000)
})

/** An agency in the LGSP registry with its document system (an SSO client), as the administrator adds it. */
async function agency(code: string, name: string) {
  const client = await systemClient(t, admin, `Hệ thống quản lý văn bản — ${name}`)
  const member = await api('POST', '/lgsp/members', adminToken, {
    memberClass: 'GOV',
    memberCode: code,
    name,
  })
  expect(member.statusCode, member.body).toBe(201)
  const subsystem = await api('POST', `/lgsp/members/${member.json().id as string}/subsystems`, adminToken, {
    code: 'QLVB',
    name: `Quản lý văn bản — ${name}`,
    ssoClientId: client.id,
  })
  expect(subsystem.statusCode, subsystem.body).toBe(201)
  return client
}

/** The exchange jobs queued so far have all finished (sent, or found the agency unreachable). */
async function exchangeSettled() {
  await expect
    .poll(async () => {
      const result = await sql<{ n: number }>`
        select count(*)::int as n from jobs
        where queue = 'documents.exchange-send' and state in ('queued', 'running', 'failed')`.execute(
        t.database.db,
      )
      return result.rows[0]!.n
    }, poll)
    .toBe(0)
}

const LANGSON = '000.00.00.H36'
const TUYENQUANG = '000.00.00.H60'

describe('status messages owed to a sender that had no subscription', () => {
  it('sends them in order, once, after the sender subscribes and the retry timer runs', async () => {
    const langson = await agency(LANGSON, 'UBND tỉnh Lạng Sơn')
    const documentId = `${LANGSON},2026/11/21,1502/UBND-VP`
    const document = header({
      from: emptyOrgan(LANGSON, 'UBND tỉnh Lạng Sơn'),
      codeNumber: '1502',
      codeNotation: 'UBND-VP',
      promulgationDate: '2026-11-21',
      subject: 'V/v phối hợp quản lý cửa khẩu',
      documentId,
    })
    const response = await post('packages', pack(document), langson.token)
    expect(response.statusCode, response.body).toBe(201)
    const id = response.json().results[0].documentId as string
    // Lạng Sơn then asks for it back: the ward owes it 01, 03 and the answer 15.
    const recall = await post(
      'packages',
      pack(document, { type: 1, reason: 'Gửi nhầm phiên bản' }),
      langson.token,
    )
    expect(recall.statusCode, recall.body).toBe(201)
    expect(recall.json().results[0]).toMatchObject({ documentId: id, outcome: 'recalled' })
    type Message = { statusCode: string; toOrganId: string; sentAt: string | null }
    const messages = async () =>
      (await api('GET', `/documents/${id}`, as('vanthu.thucphan'))).json<{ statusMessages: Message[] }>()
        .statusMessages

    // Nobody of Lạng Sơn listens yet: the jobs find it unreachable, the timer passes it by.
    await exchangeSettled()
    await timerScanned(t, 'documents.exchange-retry', poll)
    expect((await messages()).map((m) => [m.statusCode, m.toOrganId, m.sentAt])).toEqual([
      ['01', LANGSON, null],
      ['03', LANGSON, null],
      ['15', LANGSON, null],
    ])

    const receiver = await startReceiver()
    try {
      const push = await api('POST', '/pubsub/subscriptions', adminToken, {
        topic: `edxml.${LANGSON.toLowerCase()}`,
        clientId: langson.id,
        mode: 'push',
        endpoint: `${receiver.url}/edxml`,
      })
      expect(push.statusCode, push.body).toBe(201)
      // Nothing else happens to the document: only the timer can send what is owed.
      await expect.poll(() => receiver.accepted().length, poll).toBe(3)
      const got = receiver.accepted().map((r) => JSON.parse(r.body) as Pushed)
      expect(got.map((p) => [p.key, p.payload.messageType, p.payload.statusCode])).toEqual([
        [documentId, 'status', '01'],
        [documentId, 'status', '03'],
        [documentId, 'status', '15'],
      ])
      const answer = parseStatusMessage(got[2]!.payload.edxml)
      expect(answer.ok && [answer.status.code, answer.status.responseFor.documentId]).toEqual([
        '15',
        documentId,
      ])
      await expect.poll(async () => (await messages()).every((m) => m.sentAt !== null), poll).toBe(true)

      // Later scans find nothing owed: nothing goes twice.
      await timerScanned(t, 'documents.exchange-retry', poll)
      await exchangeSettled()
      await timerScanned(t, 'documents.exchange-retry', poll)
      expect(receiver.received).toHaveLength(3)
    } finally {
      await receiver.close()
    }
  }, 120_000)
})

describe('resending to an agency that subscribes later', () => {
  it('refuses while the agency has no subscription, resends from the dispatch list once it subscribes, and refuses a package already delivered (409)', async () => {
    const tuyenquang = await agency(TUYENQUANG, 'UBND tỉnh Tuyên Quang')
    const doc = await issued(
      [
        [VPCP, 'Văn phòng Chính phủ'],
        [TUYENQUANG, 'UBND tỉnh Tuyên Quang'],
      ],
      'V/v kết nối liên thông văn bản với tỉnh Tuyên Quang',
    )
    await expect.poll(() => states(doc.id), poll).toEqual([`${VPCP}:0:sent`, `${TUYENQUANG}:0:unreachable`])
    const before = await view(doc.id)
    const tq = before.recipients.find((r) => r.agencyCode === TUYENQUANG)!
    const vp = before.recipients.find((r) => r.agencyCode === VPCP)!
    expect([tq.channel, tq.resendable, vp.channel, vp.resendable]).toEqual(['download', true, 'lgsp', false])
    expect(before.exchange.map((x) => [x.recipientId, x.state]).sort()).toEqual(
      [
        [tq.id, 'unreachable'],
        [vp.id, 'sent'],
      ].sort(),
    )

    const resend = (recipientId: string, username = 'vanthu.sokhcn') =>
      api('POST', `/documents/outgoing/${doc.id}/recipients/${recipientId}/resend`, as(username))
    const early = await resend(tq.id)
    expect(early.statusCode).toBe(409)
    expect(early.json().error.message).toBe(
      `UBND tỉnh Tuyên Quang (${TUYENQUANG}) vẫn chưa đăng ký nhận văn bản qua trục LGSP; chưa gửi lại được. Tải gói tin edXML để gửi.`,
    )
    const delivered = await resend(vp.id)
    expect(delivered.statusCode).toBe(409)
    expect(delivered.json().error.message).toBe(
      `Gói tin đã được gửi đến Văn phòng Chính phủ (${VPCP}) qua trục LGSP; không gửi lại gói tin đã gửi.`,
    )
    expect((await resend(tq.id, 'chuyenvien.sokhcn')).statusCode).toBe(403)
    const unknown = await resend('00000000-0000-4000-8000-000000000000')
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json().error.message).toBe(
      'Không tìm thấy cơ quan nhận này trong danh sách gửi văn bản qua edXML.',
    )
    expect(await states(doc.id)).toEqual([`${VPCP}:0:sent`, `${TUYENQUANG}:0:unreachable`])

    // Tuyên Quang's system subscribes; the clerk sends again from the agency's row of the dispatch list.
    const subscription = await api('POST', '/pubsub/subscriptions', adminToken, {
      topic: `edxml.${TUYENQUANG.toLowerCase()}`,
      clientId: tuyenquang.id,
      mode: 'pull',
    })
    expect(subscription.statusCode, subscription.body).toBe(201)
    const clerk = new Visitor(t.app)
    await clerk.login('vanthu.sokhcn')
    const page = html(await clerk.get(`/admin/documents/outgoing/${doc.id}`))
    const forms = page.querySelectorAll('#recipients-table form')
    const action = `/admin/documents/outgoing/${doc.id}/recipients/${tq.id}/resend`
    expect(forms.map((f) => f.getAttribute('action'))).toEqual([action])
    expect(forms[0]!.text).toContain('Gửi lại qua trục LGSP')
    const done = await clerk.post(action, {})
    expect(done.statusCode).toBe(303)
    expect(done.headers.location).toBe(`/admin/documents/outgoing/${doc.id}`)
    const after = html(await clerk.get(`/admin/documents/outgoing/${doc.id}`))
    expect(after.querySelector('main')!.text).toContain(
      `Đã đưa 1 gói tin gửi UBND tỉnh Tuyên Quang (${TUYENQUANG}) vào hàng đợi gửi qua LGSP.`,
    )

    await expect.poll(() => states(doc.id), poll).toEqual([`${VPCP}:0:sent`, `${TUYENQUANG}:0:sent`])
    const events = await api(
      'GET',
      `/pubsub/subscriptions/${subscription.json().id as string}/events`,
      tuyenquang.token,
    )
    expect(events.statusCode, events.body).toBe(200)
    const [event] = events.json<{ events: Pushed[] }>().events
    expect([event!.key, event!.payload.businessType]).toEqual([documentIdOf(doc), 0])
    const read = parseEnvelope(event!.payload.edxml)
    if (!read.ok) throw new Error(read.problems.join(' '))
    expect(createHash('sha256').update(read.package.attachments[0]!.bytes).digest('hex')).toBe(
      doc.signedSha256,
    )
    const sent = await view(doc.id)
    expect(sent.recipients.find((r) => r.agencyCode === TUYENQUANG)).toMatchObject({
      status: 'sent',
      channel: 'lgsp',
      resendable: false,
    })
    expect(sent.history.filter((h) => h.action === 'resent_lgsp').map((h) => h.note)).toEqual([
      `UBND tỉnh Tuyên Quang (${TUYENQUANG})`,
    ])
    const audited = await sql<{ n: number }>`
      select count(*)::int as n from (
        select action, object_id, details from audit_pending
        union all select action, object_id, details from audit_log) a
      where action = 'document.outgoing_resent' and object_id = ${doc.id} and details ->> 'agency' = ${TUYENQUANG}`.execute(
      t.database.db,
    )
    expect(audited.rows[0]!.n).toBe(1)

    // Once delivered, sending again is refused, on the page and through the API, and nothing more goes.
    const again = await clerk.post(action, {})
    expect(again.statusCode).toBe(409)
    const refusal = `Gói tin đã được gửi đến UBND tỉnh Tuyên Quang (${TUYENQUANG}) qua trục LGSP; không gửi lại gói tin đã gửi.`
    expect(errorSummary(again)).toEqual([refusal])
    expect(html(again).querySelector('#recipient-resend')!.text).toBe(refusal)
    const twice = await resend(tq.id)
    expect(twice.statusCode).toBe(409)
    expect(twice.json().error.message).toBe(refusal)
    await exchangeSettled()
    expect(await states(doc.id)).toEqual([`${VPCP}:0:sent`, `${TUYENQUANG}:0:sent`])
    expect((await view(doc.id)).history.filter((h) => h.action === 'sent_lgsp')).toHaveLength(2)
  }, 180_000)
})
