import { X509Certificate } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiToken, createTestApp, errorSummary, html, Visitor, type TestApp } from '../../../test/app.js'
import { AGENCY, documentsFixture, edxmlHeader, pdfAttachment } from '../../../test/documents.js'
import { samplePdf } from '../../../test/files.js'
import { startReceiver, systemClient } from '../../../test/lgsp.js'
import { ValidationError } from '../../platform/http/errors.js'
import { SigningKeys, TEST_CA_NAME, type Seal } from '../../platform/signing/index.js'
import {
  checkEdxmlSignature,
  chainsToAnchor,
  readSignedEnvelope,
  readSignedStatusMessage,
  signEdxml,
  type SignaturePolicy,
} from './edxml-signature.js'
import { buildEnvelope, buildStatusMessage, emptyOrgan, parseEnvelope, type EdxmlPackage } from './edxml.js'

// XML signatures of edXML messages (XMLDSig, enveloped, RSA-SHA256, exclusive C14N): what the platform sends is
// signed with the sending unit's key; what arrives signed is checked before anything is read from it — on the
// clerk's import page, the import API and the LGSP exchange API — and refused with 422 when it does not check
// out. Keys of "other agencies" come from a SigningKeys of their own, in a directory of the test's.

// The test certificates are made now, valid from an hour ago.
const NOW = new Date()
const VPCP = AGENCY.vpcp
const DONGTHAP = '000.00.00.H20'
const CHANGED = 'Nội dung gói tin đã bị thay đổi sau khi ký: chữ ký số không còn khớp với nội dung.'
const OTHER_KEY =
  'Chữ ký số không khớp với chứng thư số kèm theo: gói tin không được ký bằng khóa của chứng thư này.'
const UNTRUSTED_NOTE =
  'Lưu ý: chứng thư không do tổ chức chứng thực nào trong danh sách tin cậy của nền tảng cấp; chữ ký chỉ chứng minh gói tin không bị sửa, chưa xác định được cơ quan ký.'
const TRUSTED_NOTE = 'Chứng thư do tổ chức chứng thực được nền tảng tin cậy cấp.'
const UNSIGNED =
  'Gói tin chưa được ký số. Nền tảng chỉ nhận gói tin edXML có chữ ký số XML (XMLDSig) hợp lệ của cơ quan gửi.'

let keysDir: string
let agencies: SigningKeys
let vpcpSeal: Seal
let dongthapSeal: Seal
let pdf: Buffer

beforeAll(async () => {
  keysDir = mkdtempSync(join(tmpdir(), 'cb-edxml-keys-'))
  agencies = new SigningKeys({ dir: keysDir, passphrase: 'test', generateTestCertificates: true })
  vpcpSeal = await agencies.sealFor(VPCP, 'Văn phòng Chính phủ')
  dongthapSeal = await agencies.sealFor(DONGTHAP, 'UBND tỉnh Đồng Tháp')
  pdf = await samplePdf('Công văn của Văn phòng Chính phủ')
}, 60_000)

afterAll(() => rmSync(keysDir, { recursive: true, force: true }))

/** A package from the Government Office to the Thục Phán ward, with one PDF. */
const envelope = (overrides: Partial<EdxmlPackage['document']> = {}) =>
  buildEnvelope({ document: edxmlHeader(overrides), attachments: [pdfAttachment(pdf)] }, NOW)

const certificateBase64 = (seal: Seal) => seal.certificatePem.replace(/-----[A-Z ]+-----|\s/g, '')

/** Signed by Đồng Tháp's key but carrying the Government Office's certificate. */
const withOtherKey = (xml: string) =>
  signEdxml(xml, dongthapSeal).replace(
    /<X509Certificate>[^<]*<\/X509Certificate>/,
    `<X509Certificate>${certificateBase64(vpcpSeal)}</X509Certificate>`,
  )

/** The first character of the attachment's base64 replaced by another: one byte of the file changed. */
const changeAttachmentByte = (xml: string) =>
  xml.replace(
    /<ContentTransferEncoded>(.)/,
    (_, c: string) => `<ContentTransferEncoded>${c === 'J' ? 'K' : 'J'}`,
  )

/** How a unit judges received signatures: here with no trusted CA unless given. */
const policy = (requireSignature: boolean, more: Partial<SignaturePolicy> = {}): SignaturePolicy => ({
  requireSignature,
  requireTrustedSigner: false,
  anchors: [],
  now: NOW,
  ...more,
})

const problemOf = (xml: string) => {
  const check = checkEdxmlSignature(xml, NOW)
  if (check.ok) throw new Error('expected a refusal')
  return check.problem
}

describe('XML signature of an edXML message', () => {
  it('signs a package so that it reads back the same and names the certificate that signed it', () => {
    const xml = envelope()
    const signed = signEdxml(xml, vpcpSeal)
    const close = xml.lastIndexOf('</edXML>')
    expect(signed.slice(0, close)).toBe(xml.slice(0, close))
    expect(signed.endsWith('</Signature></edXML>')).toBe(true)
    expect(signed).toContain(
      '<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>',
    )
    expect(signed).toContain('<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>')
    expect(signed).toContain(`<X509Certificate>${certificateBase64(vpcpSeal)}</X509Certificate>`)

    const read = readSignedEnvelope(signed, policy(true))
    if (!read.ok) throw new Error(read.problems.join(' '))
    const plain = parseEnvelope(xml)
    if (!plain.ok) throw new Error(plain.problems.join(' '))
    expect(read.package).toEqual(plain.package)
    expect(read.signature).toEqual({
      signed: true,
      subject: `CN=Văn phòng Chính phủ, O=${VPCP}`,
      commonName: 'Văn phòng Chính phủ',
      organisation: VPCP,
      issuerName: TEST_CA_NAME,
      serial: expect.stringMatching(/^[0-9A-F]+$/),
      notBefore: expect.any(String),
      notAfter: expect.any(String),
      validAtReceipt: true,
      algorithm: 'RSA-SHA256',
      trusted: false,
    })
    // Long after the certificate's five years, the signature still checks out but is marked out of validity.
    const later = checkEdxmlSignature(signed, new Date('2040-01-01T00:00:00Z'))
    expect(later.ok && later.signature.signed && later.signature.validAtReceipt).toBe(false)
  })

  it('trusts a certificate only when it chains to a trusted CA that was in force', async () => {
    const signed = signEdxml(envelope(), vpcpSeal)
    const [caPem] = await agencies.trustAnchors()
    const ca = new X509Certificate(caPem!)
    const trustedWith = (anchors: X509Certificate[], at = NOW) => {
      const check = checkEdxmlSignature(signed, at, anchors)
      return check.ok && check.signature.signed ? check.signature.trusted : 'refused'
    }
    expect(trustedWith([])).toBe(false)
    expect(trustedWith([ca])).toBe(true)
    // The platform's own trial CA did not issue it.
    const [ownCa] = await new SigningKeys({
      dir: join(keysDir, 'platform'),
      passphrase: 'test',
      generateTestCertificates: true,
    }).trustAnchors()
    expect(trustedWith([new X509Certificate(ownCa!)])).toBe(false)
    // Out of the certificate's validity, the chain does not hold.
    expect(trustedWith([ca], new Date('2040-01-01T00:00:00Z'))).toBe(false)
    // The leaf listed as trusted itself, and a chain through a CA certificate carried in KeyInfo.
    const leaf = new X509Certificate(vpcpSeal.certificatePem)
    expect(chainsToAnchor(leaf, [], [leaf], NOW)).toBe(true)
    expect(chainsToAnchor(leaf, [ca], [], NOW)).toBe(false)
    // A certificate that is not a CA cannot vouch for another.
    expect(chainsToAnchor(leaf, [], [new X509Certificate(dongthapSeal.certificatePem)], NOW)).toBe(false)
  })

  it('refuses a signer no trusted CA vouches for when trusted signers are required', () => {
    const signed = signEdxml(envelope(), vpcpSeal)
    expect(() => readSignedEnvelope(signed, policy(false, { requireTrustedSigner: true }))).toThrow(
      `Chứng thư số của người ký (CN=Văn phòng Chính phủ, O=${VPCP}) không do tổ chức chứng thực được nền tảng tin cậy cấp`,
    )
  })

  it('refuses a package changed after signing: its subject, or one byte of its attachment', () => {
    const signed = signEdxml(envelope(), vpcpSeal)
    const subject = signed.replace('V/v triển khai Đề án 06', 'V/v triển khai Đề án 06 (sửa)')
    expect(subject).not.toBe(signed)
    expect(problemOf(subject)).toBe(CHANGED)
    const attachment = changeAttachmentByte(signed)
    expect(attachment).not.toBe(signed)
    expect(problemOf(attachment)).toBe(CHANGED)
    expect(() => readSignedEnvelope(subject, policy(false))).toThrow(
      `Gói tin edXML không được tiếp nhận: ${CHANGED}`,
    )
  })

  it('refuses a signature made with another key than the certificate it carries', () => {
    expect(problemOf(withOtherKey(envelope()))).toBe(OTHER_KEY)
  })

  it('refuses a signature over part of the message, with SHA-1, without a certificate, or twice', () => {
    const signed = signEdxml(envelope(), vpcpSeal)
    expect(problemOf(signed.replace('<Reference URI="">', '<Reference URI="#x">'))).toBe(
      'Chữ ký số phải bao trùm toàn bộ gói tin: một Reference URI="" với các biến đổi enveloped-signature và C14N.',
    )
    expect(
      problemOf(
        signed.replace(
          'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
          'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
        ),
      ),
    ).toBe(
      'Chữ ký số dùng thuật toán "http://www.w3.org/2000/09/xmldsig#rsa-sha1" không được chấp nhận; dùng RSA-SHA256 (http://www.w3.org/2001/04/xmldsig-more#rsa-sha256).',
    )
    expect(problemOf(signed.replace(/<KeyInfo>[\s\S]*<\/KeyInfo>/, ''))).toBe(
      'Chữ ký số không kèm chứng thư số của người ký (KeyInfo/X509Data/X509Certificate).',
    )
    const signature = /<Signature [\s\S]*<\/Signature>/.exec(signed)![0]
    expect(problemOf(signed.replace('</edXML>', `${signature}</edXML>`))).toBe(
      'Gói tin có nhiều hơn một chữ ký số (Signature); chỉ chấp nhận một chữ ký.',
    )
  })

  it('takes an unsigned package as unsigned, and refuses it when signatures are required', () => {
    const read = readSignedEnvelope(envelope(), policy(false))
    expect(read.ok && read.signature).toEqual({ signed: false })
    let refusal: unknown
    try {
      readSignedEnvelope(envelope(), policy(true))
    } catch (error) {
      refusal = error
    }
    expect(refusal).toBeInstanceOf(ValidationError)
    expect((refusal as ValidationError).statusCode).toBe(422)
    expect((refusal as ValidationError).fields).toEqual({ edxml: UNSIGNED })
    // The envelope's own problems are still listed first, signed or not.
    const broken = readSignedEnvelope(
      signEdxml(envelope().replace(/<edXML:Subject>[^<]*<\/edXML:Subject>/, ''), vpcpSeal),
      policy(true),
    )
    expect(broken).toEqual({ ok: false, problems: ['Thiếu MessageHeader/Subject (trích yếu).'] })
  })

  it('signs and checks a status message the same way', () => {
    const status = buildStatusMessage({
      responseFor: {
        organId: AGENCY.skhcn,
        code: '12/SKHCN-VP',
        promulgationDate: '2026-11-26',
        documentId: `${AGENCY.skhcn},2026/11/26,12/SKHCN-VP`,
      },
      from: emptyOrgan(VPCP, 'Văn phòng Chính phủ'),
      code: '03',
      description: 'Đã tiếp nhận',
      at: NOW,
      staff: { department: 'Văn thư', name: 'Lê Văn An', email: '' },
    })
    const signed = signEdxml(status, vpcpSeal)
    const read = readSignedStatusMessage(signed, policy(true))
    expect(read.ok && [read.status.code, read.signature.signed]).toEqual(['03', true])
    expect(() =>
      readSignedStatusMessage(signed.replace('Đã tiếp nhận', 'Hoàn thành'), policy(false)),
    ).toThrow(`Thông báo trạng thái edXML không được tiếp nhận: ${CHANGED}`)
  })
})

// ---------------------------------------------------------------------------------------------------------
// The application: imports, the outgoing package, the LGSP

let t: TestApp
const fx = documentsFixture(() => t)
let clerk: Visitor
let unitNames: Record<string, string>

const count = async (app: TestApp, table: 'documents' | 'document_files') =>
  (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(app.database.db))
    .rows[0]!.n
const counts = async (app: TestApp) => [await count(app, 'documents'), await count(app, 'document_files')]

const importXml = (app: TestApp, token: string, xml: string) =>
  app.app.inject({
    method: 'POST',
    url: '/api/v1/documents/import',
    payload: xml,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/xml' },
  })

/** The text of the metadata row "Chữ ký số của gói tin edXML" on the document's page, or null. */
async function signatureOnPage(visitor: Visitor, documentId: string) {
  const page = await visitor.get(`/admin/documents/${documentId}`)
  expect(page.statusCode).toBe(200)
  const row = html(page)
    .querySelectorAll('#metadata tr')
    .find((tr) => tr.querySelector('th')?.text.trim() === 'Chữ ký số của gói tin edXML')
  return row?.querySelector('td')?.text.trim() ?? null
}

beforeAll(async () => {
  t = await createTestApp({ env: { PUBSUB_RETRY_MS: '30', PUBSUB_TIMEOUT_MS: '2000' } })
  await t.app.jobs.start()
  await fx.signIn(['vanthu.thucphan', 'vanthu.sokhcn', 'chuyenvien.sokhcn', 'lanhdao.sokhcn', 'quantri'])
  clerk = new Visitor(t.app)
  await clerk.login('vanthu.thucphan')
  const rows = await sql<{
    key: string
    name: string
  }>`select key, name from org_units where key is not null`.execute(t.database.db)
  unitNames = Object.fromEntries(rows.rows.map((r) => [r.key, r.name]))
}, 180_000)

afterAll(async () => {
  await t?.close()
})

describe('signed packages received by a unit', () => {
  it('registers a signed package and shows who signed it, on the page and in the JSON', async () => {
    const xml = signEdxml(envelope({ codeNumber: '101', subject: 'V/v chữ ký số gói tin' }), vpcpSeal)
    const imported = await importXml(t, fx.tokens['vanthu.thucphan']!, xml)
    expect(imported.statusCode, imported.body).toBe(201)
    expect(imported.json().edxmlSignature).toMatchObject({
      signed: true,
      subject: `CN=Văn phòng Chính phủ, O=${VPCP}`,
      issuerName: TEST_CA_NAME,
      validAtReceipt: true,
      algorithm: 'RSA-SHA256',
    })
    const id = imported.json().id as string
    const document = (await fx.api('vanthu.thucphan', 'GET', `/documents/${id}`)).json()
    expect(document).toMatchObject({ summary: 'V/v chữ ký số gói tin', codeNumber: '101', source: 'edxml' })
    expect(document.edxmlSignature.subject).toBe(`CN=Văn phòng Chính phủ, O=${VPCP}`)
    expect(document.files).toHaveLength(1)
    expect(await signatureOnPage(clerk, id)).toMatch(
      new RegExp(
        `^Chữ ký số hợp lệ: CN=Văn phòng Chính phủ, O=${VPCP.replace(/\./g, '\\.')}; chứng thư do ${TEST_CA_NAME} cấp, hiệu lực từ \\d{2}/\\d{2}/\\d{4} đến \\d{2}/\\d{2}/\\d{4}\\. ${UNTRUSTED_NOTE}$`,
      ),
    )
  }, 60_000)

  it('refuses a package changed after signing with 422 and keeps nothing, through the API and the page', async () => {
    const signed = signEdxml(envelope({ codeNumber: '102', subject: 'V/v gói tin bị sửa' }), vpcpSeal)
    const before = await counts(t)
    for (const changed of [
      signed.replace('V/v gói tin bị sửa', 'V/v gói tin đã sửa'),
      changeAttachmentByte(signed),
    ]) {
      const response = await importXml(t, fx.tokens['vanthu.thucphan']!, changed)
      expect(response.statusCode).toBe(422)
      expect(response.json().error.message).toBe(`Gói tin edXML không được tiếp nhận: ${CHANGED}`)
    }
    await clerk.get('/admin/documents/import')
    const page = await clerk.upload('/admin/documents/import', {}, [
      {
        field: 'edxml',
        name: 'goi-tin.xml',
        content: Buffer.from(signed.replace('V/v gói tin bị sửa', 'V/v gói tin đã sửa')),
      },
    ])
    expect(page.statusCode).toBe(422)
    expect(errorSummary(page)).toEqual([CHANGED])
    expect(await counts(t)).toEqual(before)
    // The same package unchanged is taken.
    expect((await importXml(t, fx.tokens['vanthu.thucphan']!, signed)).statusCode).toBe(201)
  }, 60_000)

  it('refuses a package signed with another key than its certificate', async () => {
    const before = await counts(t)
    const response = await importXml(
      t,
      fx.tokens['vanthu.thucphan']!,
      withOtherKey(envelope({ codeNumber: '103' })),
    )
    expect(response.statusCode).toBe(422)
    expect(response.json().error.message).toBe(`Gói tin edXML không được tiếp nhận: ${OTHER_KEY}`)
    expect(await counts(t)).toEqual(before)
  })

  it('accepts an unsigned package and shows it as unsigned', async () => {
    const imported = await importXml(t, fx.tokens['vanthu.thucphan']!, envelope({ codeNumber: '104' }))
    expect(imported.statusCode, imported.body).toBe(201)
    expect(imported.json().edxmlSignature).toEqual({ signed: false })
    expect(await signatureOnPage(clerk, imported.json().id as string)).toBe(
      'Không có chữ ký số (cơ quan gửi không ký gói tin).',
    )
    // A document registered by hand has no package, so no such row.
    const paper = await fx.registerIncoming('vanthu.thucphan', {
      codeNumber: '105',
      codeNotation: 'UBND-VP',
      issuedOn: '2026-11-20',
      issuerName: 'Ủy ban nhân dân tỉnh Cao Bằng',
      typeCode: 'cong-van',
      summary: 'V/v văn bản giấy',
    })
    expect((await fx.api('vanthu.thucphan', 'GET', `/documents/${paper}`)).json().edxmlSignature).toBeNull()
    expect(await signatureOnPage(clerk, paper)).toBeNull()
  }, 60_000)

  it("trusts a sender's certificate once an administrator adds its CA to the platform's trust list", async () => {
    const trustedDir = join(t.config.signingDir, 'trusted')
    const [caPem] = await agencies.trustAnchors()
    mkdirSync(trustedDir, { recursive: true })
    writeFileSync(join(trustedDir, 'ca-van-phong-chinh-phu.pem'), caPem!)
    try {
      const xml = signEdxml(envelope({ codeNumber: '106', subject: 'V/v CA được tin cậy' }), vpcpSeal)
      const imported = await importXml(t, fx.tokens['vanthu.thucphan']!, xml)
      expect(imported.statusCode, imported.body).toBe(201)
      expect(imported.json().edxmlSignature).toMatchObject({ signed: true, trusted: true })
      expect(await signatureOnPage(clerk, imported.json().id as string)).toContain(TRUSTED_NOTE)
    } finally {
      rmSync(join(trustedDir, 'ca-van-phong-chinh-phu.pem'))
    }
  }, 60_000)

  it('signs an outgoing document’s package with the unit’s certificate; imported, it is the same document', async () => {
    const id = await fx.draftOutgoing(
      {
        typeCode: 'cong-van',
        division: 'VP',
        summary: 'V/v thử chữ ký số gói tin edXML',
        recipients: [{ kind: 'external', agencyCode: AGENCY.ward, name: 'UBND phường Thục Phán' }],
      },
      await samplePdf('Công văn của Sở Khoa học và Công nghệ'),
    )
    await fx.approveOutgoing(id, { signerPosition: 'Giám đốc' })
    const issued = await fx.issueOutgoing(id)
    const pkg = await fx.api('vanthu.sokhcn', 'GET', `/documents/outgoing/${id}/edxml`)
    expect(pkg.statusCode).toBe(200)
    const check = checkEdxmlSignature(pkg.body, new Date())
    expect(check.ok && check.signature).toMatchObject({
      signed: true,
      commonName: unitNames['so-khcn'],
      organisation: AGENCY.skhcn,
      validAtReceipt: true,
    })

    const imported = await importXml(t, fx.tokens['vanthu.thucphan']!, pkg.body)
    expect(imported.statusCode, imported.body).toBe(201)
    const landed = (
      await fx.api('vanthu.thucphan', 'GET', `/documents/${imported.json().id as string}`)
    ).json()
    expect(landed).toMatchObject({
      source: 'edxml',
      codeNumber: issued.codeNumber,
      codeNotation: issued.codeNotation,
      issuedOn: issued.issuedOn,
      issuerCode: AGENCY.skhcn,
      typeCode: 'cong-van',
      summary: 'V/v thử chữ ký số gói tin edXML',
      signerPosition: 'Giám đốc',
      // Signed under the platform's own CA: trusted.
      edxmlSignature: {
        signed: true,
        subject: `CN=${unitNames['so-khcn']}, O=${AGENCY.skhcn}`,
        trusted: true,
      },
    })
    expect(landed.files.map((f: { sha256: string }) => f.sha256)).toEqual([issued.signedSha256])
  }, 120_000)
})

describe('over the LGSP', () => {
  const poll = { timeout: 30_000, interval: 100 }
  let vpcp: { id: string; token: string }
  let receiver: Awaited<ReturnType<typeof startReceiver>>
  let sent: { codeNumber: string; codeNotation: string; issuedOn: string }

  const post = (path: 'packages' | 'status', xml: string) =>
    t.app.inject({
      method: 'POST',
      url: `/api/v1/documents/exchange/${path}`,
      payload: xml,
      headers: { authorization: `Bearer ${vpcp.token}`, 'content-type': 'application/xml' },
    })
  /** Status messages pushed to the Government Office's system about one of its documents. */
  const pushedStatuses = (documentId: string) =>
    receiver
      .accepted()
      .map(
        (r) =>
          JSON.parse(r.body) as {
            payload: { messageType: string; statusCode: string; documentId: string; edxml: string }
          },
      )
      .filter((p) => p.payload.messageType === 'status' && p.payload.documentId === documentId)
      .map((p) => p.payload)

  beforeAll(async () => {
    // The Government Office as an LGSP agency whose document system subscribes to its topic by push.
    const admin = new Visitor(t.app)
    await admin.login('quantri')
    vpcp = await systemClient(t, admin, 'Hệ thống quản lý văn bản VPCP')
    const member = await fx.api('quantri', 'POST', '/lgsp/members', {
      memberClass: 'GOV',
      memberCode: VPCP,
      name: 'Văn phòng Chính phủ',
    })
    expect(member.statusCode, member.body).toBe(201)
    const subsystem = await fx.api(
      'quantri',
      'POST',
      `/lgsp/members/${member.json().id as string}/subsystems`,
      {
        code: 'QLVB',
        name: 'Quản lý văn bản — Văn phòng Chính phủ',
        ssoClientId: vpcp.id,
      },
    )
    expect(subsystem.statusCode, subsystem.body).toBe(201)
    // A document sent to it makes its topic (nobody subscribed yet: it stays to download).
    const id = await fx.draftOutgoing(
      {
        typeCode: 'cong-van',
        division: 'VP',
        summary: 'V/v gửi Văn phòng Chính phủ',
        recipients: [{ kind: 'external', agencyCode: VPCP, name: 'Văn phòng Chính phủ' }],
      },
      pdf,
    )
    await fx.approveOutgoing(id)
    sent = await fx.issueOutgoing(id)
    // (expect.poll is for tests only, so a plain wait here.)
    const state = async () =>
      (await fx.api('vanthu.sokhcn', 'GET', `/documents/outgoing/${id}`)).json().exchange?.[0]?.state
    for (const started = Date.now(); (await state()) !== 'unreachable';) {
      if (Date.now() - started > poll.timeout)
        throw new Error('the package to the Government Office was not routed')
      await new Promise((resolve) => setTimeout(resolve, poll.interval))
    }
    const host = await fx.api('quantri', 'POST', '/pubsub/webhook-hosts', { host: '127.0.0.1' })
    expect(host.statusCode, host.body).toBe(201)
    receiver = await startReceiver()
    const push = await fx.api('quantri', 'POST', '/pubsub/subscriptions', {
      topic: `edxml.${VPCP.toLowerCase()}`,
      clientId: vpcp.id,
      mode: 'push',
      endpoint: `${receiver.url}/edxml`,
    })
    expect(push.statusCode, push.body).toBe(201)
  }, 180_000)

  afterAll(async () => {
    await receiver?.close()
  })

  it('refuses a package from an agency changed after signing (422), and keeps nothing', async () => {
    const signed = signEdxml(envelope({ codeNumber: '201', subject: 'V/v qua trục LGSP' }), vpcpSeal)
    const before = await counts(t)
    const changed = await post('packages', signed.replace('V/v qua trục LGSP', 'V/v qua trục LGSP (sửa)'))
    expect(changed.statusCode).toBe(422)
    expect(changed.json().error.message).toBe(`Gói tin edXML không được tiếp nhận: ${CHANGED}`)
    const otherKey = await post('packages', withOtherKey(envelope({ codeNumber: '202' })))
    expect(otherKey.statusCode).toBe(422)
    expect(otherKey.json().error.message).toBe(`Gói tin edXML không được tiếp nhận: ${OTHER_KEY}`)
    expect(await counts(t)).toEqual(before)
  }, 60_000)

  it('registers a signed package and answers with status messages signed by the receiving unit', async () => {
    const response = await post('packages', signEdxml(envelope({ codeNumber: '203' }), vpcpSeal))
    expect(response.statusCode, response.body).toBe(201)
    const [result] = response.json().results
    const document = (
      await fx.api('vanthu.thucphan', 'GET', `/documents/${result.documentId as string}`)
    ).json()
    expect(document.edxmlSignature).toMatchObject({
      signed: true,
      subject: `CN=Văn phòng Chính phủ, O=${VPCP}`,
    })

    const documentId = `${VPCP},2026/11/20,203/VPCP-TTĐT`
    await expect.poll(() => pushedStatuses(documentId).map((s) => s.statusCode), poll).toEqual(['01', '03'])
    for (const status of pushedStatuses(documentId)) {
      const read = readSignedStatusMessage(status.edxml, { ...policy(true), now: new Date() })
      if (!read.ok) throw new Error(read.problems.join(' '))
      expect(read.status.responseFor.documentId).toBe(documentId)
      expect(read.signature).toMatchObject({
        signed: true,
        commonName: unitNames['phuong-thuc-phan'],
        organisation: AGENCY.ward,
      })
    }
  }, 60_000)

  it('checks the signature of a status message from an agency', async () => {
    const status = signEdxml(
      buildStatusMessage({
        responseFor: {
          organId: AGENCY.skhcn,
          code: `${sent.codeNumber}/${sent.codeNotation}`,
          promulgationDate: sent.issuedOn,
          documentId: `${AGENCY.skhcn},${sent.issuedOn.replace(/-/g, '/')},${sent.codeNumber}/${sent.codeNotation}`,
        },
        from: emptyOrgan(VPCP, 'Văn phòng Chính phủ'),
        code: '03',
        description: 'Đã tiếp nhận',
        at: new Date(Math.floor(Date.now() / 1000) * 1000),
        staff: { department: 'Văn thư', name: 'Lê Văn An', email: '' },
      }),
      vpcpSeal,
    )
    const changed = await post('status', status.replace('Đã tiếp nhận', 'Hoàn thành'))
    expect(changed.statusCode).toBe(422)
    expect(changed.json().error.message).toBe(`Thông báo trạng thái edXML không được tiếp nhận: ${CHANGED}`)
    const accepted = await post('status', status)
    expect(accepted.statusCode, accepted.body).toBe(200)
    expect(accepted.json()).toMatchObject({ statusCode: '03', duplicate: false })
  }, 60_000)
})

describe('EDXML_REQUIRE_SIGNATURE=true and EDXML_REQUIRE_TRUSTED_SIGNER=true', () => {
  let strict: TestApp
  let token: string

  beforeAll(async () => {
    strict = await createTestApp({
      env: { EDXML_REQUIRE_SIGNATURE: 'true', EDXML_REQUIRE_TRUSTED_SIGNER: 'true' },
    })
    token = await apiToken(strict, 'vanthu.thucphan')
  }, 180_000)

  afterAll(async () => {
    await strict?.close()
  })

  it('refuses an unsigned package and one from an untrusted signer, through the API and the page, and takes a trusted one', async () => {
    expect(strict.config.edxmlRequireSignature).toBe(true)
    const before = await counts(strict)
    const unsigned = envelope({ codeNumber: '301' })
    const response = await importXml(strict, token, unsigned)
    expect(response.statusCode).toBe(422)
    expect(response.json().error.message).toBe(`Gói tin edXML không được tiếp nhận: ${UNSIGNED}`)
    const visitor = new Visitor(strict.app)
    await visitor.login('vanthu.thucphan')
    await visitor.get('/admin/documents/import')
    const page = await visitor.upload('/admin/documents/import', {}, [
      { field: 'edxml', name: 'goi-tin.xml', content: Buffer.from(unsigned) },
    ])
    expect(page.statusCode).toBe(422)
    expect(errorSummary(page)).toEqual([UNSIGNED])
    expect(await counts(strict)).toEqual(before)

    // Signed, but by a certificate no trusted CA issued: refused too, and nothing kept.
    const untrusted = await importXml(strict, token, signEdxml(unsigned, vpcpSeal))
    expect(untrusted.statusCode).toBe(422)
    expect(untrusted.json().error.message).toContain(
      `Chứng thư số của người ký (CN=Văn phòng Chính phủ, O=${VPCP}) không do tổ chức chứng thực được nền tảng tin cậy cấp`,
    )
    expect(await counts(strict)).toEqual(before)

    // The Government Office's CA added to the trust list: taken.
    const trustedDir = join(strict.config.signingDir, 'trusted')
    mkdirSync(trustedDir, { recursive: true })
    writeFileSync(join(trustedDir, 'ca-van-phong-chinh-phu.pem'), (await agencies.trustAnchors())[0]!)
    const signed = await importXml(strict, token, signEdxml(unsigned, vpcpSeal))
    expect(signed.statusCode, signed.body).toBe(201)
    expect(signed.json().edxmlSignature).toMatchObject({ signed: true, trusted: true })
  }, 60_000)
})
