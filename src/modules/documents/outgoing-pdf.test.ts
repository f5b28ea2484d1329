import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PDFDict, PDFDocument, PDFName, PDFString } from 'pdf-lib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { samplePdf } from '../../../test/files.js'
import { SigningKeys, verifyPdf, type PdfSigner } from '../../platform/signing/index.js'
import { mayBeSigned, stampAndSign } from './outgoing-pdf.js'

// Whether a draft already carries a signature decides how the clerk's issue signs it: appended after the
// leader's signature (an incremental update), or the file rewritten with the stamp and signed once.

const SIGNED_AT = new Date('2026-11-27T02:00:00Z')
let dir: string
let director: PdfSigner
let unit: PdfSigner
let anchors: string[]
let leaderSigned: Buffer

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cb-outgoing-pdf-'))
  const keys = new SigningKeys({
    dir,
    passphrase: 'thu-nghiem',
    generateTestCertificates: true,
    clock: () => SIGNED_AT,
  })
  director = await keys.signerFor('000.13.99.H14', 'Nông Văn Giám')
  unit = await keys.signerFor('000.13.00.H14', 'Sở Khoa học và Công nghệ tỉnh Cao Bằng')
  anchors = await keys.trustAnchors()
  leaderSigned = Buffer.from(
    await director.sign(await samplePdf('Quyết định ban hành Kế hoạch chuyển đổi số năm 2027'), {
      reason: 'Ký duyệt ban hành',
      location: 'Cao Bằng',
    }),
  )
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const stamp = {
  code: '15/QĐ-SKHCN',
  place: 'Cao Bằng',
  issuedOn: '2026-11-27',
  title: 'Quyết định ban hành Kế hoạch chuyển đổi số năm 2027',
}
const info = { reason: 'Phát hành văn bản', signerName: 'Sở Khoa học và Công nghệ tỉnh Cao Bằng' }

describe('finding a signature in a draft', () => {
  it("finds none in a plain PDF, the leader's signature, and both once the unit has signed after it", async () => {
    expect(mayBeSigned(await samplePdf('Dự thảo kế hoạch'))).toBe(false)
    expect(mayBeSigned(leaderSigned)).toBe(true)
    const twice = await unit.signAppending(leaderSigned, { reason: 'Phát hành', location: 'Cao Bằng' })
    expect(mayBeSigned(twice)).toBe(true)
  })
})

describe('issuing the signed original', () => {
  it('signs an unsigned draft once, over the whole file', async () => {
    const issued = await stampAndSign(await samplePdf('Dự thảo kế hoạch'), stamp, unit, info)
    const result = verifyPdf(issued, anchors)
    expect(result.signatures).toHaveLength(1)
    expect(result.signatures[0]).toMatchObject({ valid: true, intact: true, coversWholeDocument: true })
  })

  it('appends to a draft that only names /ByteRange in its text: one valid signature over the whole file', async () => {
    // The words in the document's information dictionary, written uncompressed: a string, not a signature.
    const doc = await PDFDocument.load(await samplePdf('Hướng dẫn ký số'))
    doc.context
      .lookup(doc.context.trailerInfo.Info, PDFDict)
      .set(PDFName.of('Keywords'), PDFString.of('/ByteRange [0 10 20 30] /Contents <3082>'))
    const named = Buffer.from(await doc.save({ useObjectStreams: false }))
    expect(mayBeSigned(named)).toBe(true)
    const issued = await stampAndSign(named, stamp, unit, info)
    const result = verifyPdf(issued, anchors)
    expect(result.signatures).toHaveLength(1)
    expect(result.signatures[0]).toMatchObject({ valid: true, intact: true, coversWholeDocument: true })
  })

  it("appends the unit's signature after the leader's, keeping the leader's bytes and signature", async () => {
    const issued = await stampAndSign(leaderSigned, stamp, unit, info)
    expect(issued.subarray(0, leaderSigned.length).equals(leaderSigned)).toBe(true)
    const result = verifyPdf(issued, anchors)
    expect(result.signatures).toHaveLength(2)
    expect(result.signatures[0]).toMatchObject({
      signerName: 'Nông Văn Giám',
      valid: true,
      intact: true,
      laterSigned: true,
    })
    expect(result.signatures[1]).toMatchObject({ valid: true, intact: true, coversWholeDocument: true })
  })
})
