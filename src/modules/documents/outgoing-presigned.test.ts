import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, multipartBody, type TestApp } from '../../../test/app.js'
import { documentsFixture, OFFICIALS } from '../../../test/documents.js'
import { samplePdf } from '../../../test/files.js'
import { havePoppler, pdfsig, pdfText } from '../../../test/pdf.js'
import { SigningKeys, verifyPdf } from '../../platform/signing/index.js'

// Friday 27/11/2026, 09:00 in Cao Bằng.
const now = new Date('2026-11-27T02:00:00Z')
let t: TestApp
const { units, as, api, signIn, draftOutgoing, approveOutgoing, issueOutgoing } = documentsFixture(() => t)
let leaderSigned: Buffer
let anchors: string[]

beforeAll(async () => {
  t = await createTestApp({ clock: () => now })
  await signIn(OFFICIALS)
  // The director's own certificate, from the CA the installation trusts (in trial mode its test CA), used
  // outside the platform — as a USB token or remote signing would — on the draft before it is uploaded.
  const keys = new SigningKeys({
    dir: t.config.signingDir,
    passphrase: t.config.signingPassword,
    generateTestCertificates: true,
    clock: () => now,
  })
  const director = await keys.signerFor('000.13.99.H14', 'Nông Văn Giám')
  leaderSigned = Buffer.from(
    await director.sign(await samplePdf('Quyết định ban hành Kế hoạch chuyển đổi số năm 2027'), {
      reason: 'Ký duyệt ban hành',
      location: 'Cao Bằng',
    }),
  )
  anchors = await keys.trustAnchors()
})
afterAll(() => t.close())

const draft = {
  typeCode: 'quyet-dinh',
  summary: 'Quyết định ban hành Kế hoạch chuyển đổi số năm 2027',
  recipients: [{ kind: 'internal', unitId: '' }],
}

describe('a draft the leader signed with their own certificate', () => {
  it('is issued with the unit’s signature appended, both valid, the number written on the page', async () => {
    const id = await draftOutgoing(
      { ...draft, recipients: [{ kind: 'internal', unitId: units['phuong-thuc-phan'] }] },
      leaderSigned,
    )
    await approveOutgoing(id, { signerPosition: 'Giám đốc' })
    const issued = await issueOutgoing(id)
    const original = await api('vanthu.sokhcn', 'GET', `/documents/outgoing/${id}/signed`)
    expect(original.statusCode).toBe(200)
    const bytes = original.rawPayload
    // The leader's signed file is kept byte for byte; what the clerk adds comes after it.
    expect(bytes.subarray(0, leaderSigned.length).equals(leaderSigned)).toBe(true)

    const result = verifyPdf(bytes, anchors)
    expect(result.signatures).toHaveLength(2)
    expect(result.signatures[0]).toMatchObject({
      signerName: 'Nông Văn Giám',
      valid: true,
      intact: true,
      trusted: true,
      coversWholeDocument: false,
      laterSigned: true,
      problems: [],
    })
    expect(result.signatures[1]).toMatchObject({
      signerName: expect.stringContaining('Khoa học và Công nghệ'),
      valid: true,
      intact: true,
      trusted: true,
      coversWholeDocument: true,
    })
    if (havePoppler) {
      expect(pdfText(bytes)).toContain(`Số: ${issued.codeNumber}/${issued.codeNotation}`)
      expect(pdfsig(bytes).match(/Signature Validation: Signature is Valid\./g)).toHaveLength(2)
    }

    // The public verification page accepts the file as a whole.
    const { payload, contentType } = multipartBody({}, [{ field: 'file', name: 'qd.pdf', content: bytes }])
    const checked = await t.app.inject({
      method: 'POST',
      url: '/api/v1/verify',
      payload,
      headers: { 'content-type': contentType },
    })
    expect(checked.json()).toMatchObject({ signed: true, acceptable: true })
    expect(checked.json().signatures.map((s: { laterSigned: boolean }) => s.laterSigned)).toEqual([
      true,
      false,
    ])
  })

  it('refuses a leader-signed draft changed after signing, and keeps the draft as it was', async () => {
    const id = await draftOutgoing(
      { ...draft, recipients: [{ kind: 'internal', unitId: units['phuong-thuc-phan'] }] },
      leaderSigned,
    )
    const version = async () =>
      (await api('chuyenvien.sokhcn', 'GET', `/documents/outgoing/${id}`)).json().version
    const before = await version()
    const changed = Buffer.from(leaderSigned)
    // One byte inside what the signature covers, just before its /Contents.
    const [, covered] = /\/ByteRange\s*\[0 (\d+)/.exec(changed.toString('latin1'))!.map(Number)
    const at = covered! - 200
    changed[at] = changed[at] === 0x20 ? 0x0a : 0x20
    const { payload, contentType } = multipartBody({}, [{ field: 'file', name: 'qd.pdf', content: changed }])
    const refused = await t.app.inject({
      method: 'POST',
      url: `/api/v1/documents/outgoing/${id}/file`,
      payload,
      headers: { ...as('chuyenvien.sokhcn'), 'content-type': contentType },
    })
    expect(refused.statusCode).toBe(422)
    expect(refused.json().error.details.fields.file).toContain('đã bị sửa sau khi ký')
    expect(await version()).toBe(before)
  })
})
