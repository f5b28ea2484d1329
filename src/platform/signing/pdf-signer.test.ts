import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import forge from 'node-forge'
import { PDFDict, PDFDocument, PDFHexString, PDFName, PDFString } from 'pdf-lib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pdfsig, pdfText, skipWithoutPoppler } from '../../../test/pdf.js'
import { PdfWriter } from '../pdf/pdf.js'
import {
  AlreadySignedError,
  UnreadablePdfError,
  P12PdfSigner,
  SigningKeys,
  verifyPdf,
  type PdfSigner,
} from './index.js'
import { toP12 } from './p12.js'
import { createTestCa, createUnitCertificate } from './test-certificates.js'

const UNIT_CODE = '000.00.00.H14'
const UNIT_NAME = 'Sở Khoa học và Công nghệ tỉnh Cao Bằng'
const SIGNED_AT = new Date('2026-03-02T03:15:00Z')
const haveCertutil = spawnSync('certutil', ['-H']).error === undefined
// CI installs libnss3-tools; a developer's machine may not have it.
const skipWithoutCertutil = skipWithoutPoppler || (!haveCertutil && !process.env.CI)

let dir: string
let signer: PdfSigner
let caPem: string
let signed: Uint8Array

async function vietnamesePdf(): Promise<PdfWriter> {
  const writer = await PdfWriter.create('A4', 'Giấy tiếp nhận hồ sơ')
  writer.text('GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ', { bold: true, align: 'center', size: 13 })
  writer.text('Mã hồ sơ: 000.00.00.H14-260302-0001. Người nộp: Nông Thị Hường, xã Hưng Đạo, tỉnh Cao Bằng.')
  return writer
}

/** The positions of the signed ranges' gap, read from the file as a viewer would. */
function byteRange(pdf: Uint8Array): number[] {
  const match = /\/ByteRange\s*\[(\d+) (\d+) (\d+) (\d+)\]/.exec(Buffer.from(pdf).toString('latin1'))
  return match!.slice(1).map(Number)
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cb-signing-'))
  const keys = new SigningKeys({
    dir,
    passphrase: 'thu-nghiem',
    generateTestCertificates: true,
    clock: () => SIGNED_AT,
  })
  signer = await keys.signerFor(UNIT_CODE, UNIT_NAME)
  caPem = (await keys.testCaPem())!
  signed = await signer.sign((await vietnamesePdf()).doc, {
    reason: 'Phê duyệt kết quả giải quyết hồ sơ (TTHC cấp tỉnh)',
    location: 'Cao Bằng',
    contactInfo: 'vanthu@caobang.gov.vn',
  })
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('signing a PDF with a unit certificate', () => {
  it('describes the certificate it signs with, with the Vietnamese unit name intact', () => {
    expect(signer.certificate).toMatchObject({
      commonName: UNIT_NAME,
      organisation: UNIT_CODE,
      issuerName: 'Cao Bang Digital Gov TEST CA - NOT FOR PRODUCTION',
    })
    expect(signer.certificate.serial).toMatch(/^[0-9A-F]{30,32}$/)
    expect(signer.certificate.notAfter.getTime()).toBeGreaterThan(SIGNED_AT.getTime())
  })

  it('produces a signature the platform verifies as valid, intact, whole and trusted', () => {
    const result = verifyPdf(signed, [caPem])
    expect(result.signed).toBe(true)
    expect(result.signatures).toEqual([
      {
        valid: true,
        intact: true,
        coversWholeDocument: true,
        laterSigned: false,
        trusted: true,
        signerName: UNIT_NAME,
        organisation: UNIT_CODE,
        issuerName: 'Cao Bang Digital Gov TEST CA - NOT FOR PRODUCTION',
        serial: signer.certificate.serial,
        signedAt: SIGNED_AT,
        reason: 'Phê duyệt kết quả giải quyết hồ sơ (TTHC cấp tỉnh)',
        location: 'Cao Bằng',
        problems: [],
      },
    ])
  })

  it('keeps the text of the document readable', { skip: skipWithoutPoppler }, () => {
    expect(pdfText(Buffer.from(signed))).toContain('GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ')
  })

  it(
    'is valid and covers the whole document for poppler, with the diacritics of the signer',
    {
      skip: skipWithoutPoppler,
    },
    () => {
      const report = pdfsig(signed)
      expect(report).toContain(`Signer Certificate Common Name: ${UNIT_NAME}`)
      expect(report).toContain('Signature Type: ETSI.CAdES.detached')
      expect(report).toContain('Signing Hash Algorithm: SHA-256')
      expect(report).toContain('Total document signed')
      expect(report).toContain('Signature Validation: Signature is Valid.')
      expect(report).not.toContain('Certificate is Trusted')
    },
  )

  it('is trusted by poppler once the test CA is in its NSS database', { skip: skipWithoutCertutil }, () => {
    const nss = mkdtempSync(join(tmpdir(), 'cb-nss-'))
    try {
      const run = (args: string[], input?: string) => {
        const result = spawnSync('certutil', [...args, '-d', `sql:${nss}`], { input })
        expect(result.status, result.stderr.toString()).toBe(0)
      }
      run(['-N', '--empty-password'])
      run(['-A', '-n', 'cao-bang-test-ca', '-t', 'CT,C,C', '-a'], caPem)
      expect(pdfsig(signed, nss)).toContain('Certificate Validation: Certificate is Trusted.')
    } finally {
      rmSync(nss, { recursive: true, force: true })
    }
  })

  it('detects a byte changed inside the signed range', () => {
    const tampered = Buffer.from(signed)
    const [, contentsStart] = byteRange(signed)
    const at = tampered.indexOf('stream\n') + 20
    expect(at).toBeLessThan(contentsStart!)
    tampered[at] = tampered[at]! ^ 0x01
    const [signature] = verifyPdf(tampered, [caPem]).signatures
    expect(signature).toMatchObject({
      intact: false,
      valid: false,
      trusted: false,
      coversWholeDocument: true,
    })
    expect(signature!.problems).toContain('Nội dung tài liệu đã bị thay đổi sau khi ký.')
    if (!skipWithoutPoppler) {
      const report = pdfsig(tampered)
      expect(report).toContain('Signature Validation: Digest Mismatch.')
      expect(report).not.toContain('Signature is Valid')
    }
  })

  it('reports bytes appended after signing as not covered, while the signature itself stays valid', () => {
    const appended = Buffer.concat([signed, Buffer.from('\n1 0 obj\n(them vao sau khi ky)\nendobj\n')])
    const [signature] = verifyPdf(appended, [caPem]).signatures
    expect(signature).toMatchObject({ valid: true, intact: true, coversWholeDocument: false })
    expect(signature!.problems).toEqual([
      'Tệp có thêm 38 byte được ghi sau khi ký; phần thêm vào không được chữ ký này bảo vệ.',
    ])
    if (!skipWithoutPoppler) expect(pdfsig(appended)).toContain('Not total document signed')
  })

  it('says a signature from a CA outside the trust list is valid but not trusted', () => {
    const [signature] = verifyPdf(signed, []).signatures
    expect(signature).toMatchObject({ valid: true, intact: true, trusted: false })
    expect(signature!.problems).toEqual([
      'Chứng thư số không do tổ chức cung cấp dịch vụ chứng thực tin cậy cấp.',
    ])
  })

  it('signs a PDF given as bytes, with the signer name it is given', async () => {
    const bytes = await (await vietnamesePdf()).bytes()
    const result = await signer.sign(bytes, {
      reason: 'Ký số văn bản',
      location: 'UBND xã Hưng Đạo',
      signerName: 'Hoàng Văn Thắng',
    })
    const [signature] = verifyPdf(result, [caPem]).signatures
    expect(signature).toMatchObject({ valid: true, trusted: true, location: 'UBND xã Hưng Đạo' })
    expect(await signatureEntry(result, 'Name')).toBe('Hoàng Văn Thắng')
    expect(await signatureEntry(result, 'Reason')).toBe('Ký số văn bản')
  })

  it('refuses to sign again a pdf-lib document that is already signed, which saving would break', async () => {
    const doc = await PDFDocument.load(signed)
    await expect(signer.sign(doc, { reason: 'Ký lần hai', location: 'Cao Bằng' })).rejects.toBeInstanceOf(
      AlreadySignedError,
    )
  })
})

describe('a second signature, appended as an incremental update', () => {
  let second: PdfSigner
  beforeAll(async () => {
    const keys = new SigningKeys({
      dir,
      passphrase: 'thu-nghiem',
      generateTestCertificates: true,
      clock: () => new Date(SIGNED_AT.getTime() + 3_600_000),
    })
    second = await keys.signerFor('000.00.00.H10', 'Ủy ban nhân dân tỉnh Cao Bằng')
  })

  it('keeps the first signature valid and covers the whole file with the second', async () => {
    const twice = Buffer.from(
      await second.sign(signed, { reason: 'Ký số của cơ quan', location: 'Cao Bằng' }),
    )
    // The first revision is kept byte for byte.
    expect(twice.subarray(0, signed.length).equals(Buffer.from(signed))).toBe(true)
    const result = verifyPdf(twice, [caPem])
    expect(result.signatures).toHaveLength(2)
    expect(result.signatures[0]).toMatchObject({
      valid: true,
      intact: true,
      coversWholeDocument: false,
      laterSigned: true,
      trusted: true,
      signerName: UNIT_NAME,
      problems: [],
    })
    expect(result.signatures[1]).toMatchObject({
      valid: true,
      intact: true,
      coversWholeDocument: true,
      laterSigned: false,
      trusted: true,
      signerName: 'Ủy ban nhân dân tỉnh Cao Bằng',
      reason: 'Ký số của cơ quan',
    })
    expect(pdfText(twice)).toContain('GIẤY TIẾP NHẬN HỒ SƠ')
  })

  it.skipIf(skipWithoutPoppler)('is read by poppler as two valid signatures in two fields', async () => {
    const twice = await second.sign(signed, { reason: 'Ký số của cơ quan', location: 'Cao Bằng' })
    const report = pdfsig(twice)
    expect(report).toContain('Signature #1')
    expect(report).toContain('Signature #2')
    expect(report).toContain('Signature Field Name: Signature1')
    expect(report).toContain('Signature Field Name: Signature2')
    expect(report.match(/Signature Validation: Signature is Valid\./g)).toHaveLength(2)
    expect(report.match(/- Total document signed/g)).toHaveLength(1)
  })

  it('writes on the page and signs a file with a classic cross-reference table, then takes a third signature', async () => {
    const plain = await vietnamesePdf()
    const classic = Buffer.from(await plain.doc.save({ useObjectStreams: false }))
    const once = await signer.signAppending(classic, { reason: 'Ký duyệt', location: 'Cao Bằng' }, (doc) => {
      doc.getPage(0).drawText('So: 12/KH-UBND', { x: 400, y: 800, size: 9 })
    })
    expect(Buffer.from(once).subarray(0, classic.length).equals(classic)).toBe(true)
    const twice = await second.sign(once, { reason: 'Ký số của cơ quan', location: 'Cao Bằng' })
    const thrice = await signer.sign(twice, { reason: 'Sao y', location: 'Cao Bằng' })
    expect(pdfText(Buffer.from(thrice))).toContain('So: 12/KH-UBND')
    const result = verifyPdf(thrice, [caPem])
    expect(result.signatures.map((s) => [s.valid, s.intact, s.coversWholeDocument, s.laterSigned])).toEqual([
      [true, true, false, true],
      [true, true, false, true],
      [true, true, true, false],
    ])
    if (!skipWithoutPoppler) {
      expect(pdfsig(thrice).match(/Signature Validation: Signature is Valid\./g)).toHaveLength(3)
    }
  })

  it('shows a change to the first revision in both signatures', async () => {
    const twice = Buffer.from(
      await second.sign(signed, { reason: 'Ký số của cơ quan', location: 'Cao Bằng' }),
    )
    const [start, length] = byteRange(signed)
    // A byte inside what the first signature covers, before its /Contents.
    const at = start! + length! - 200
    twice[at] = twice[at] === 0x20 ? 0x21 : 0x20
    const result = verifyPdf(twice, [caPem])
    expect(result.signatures.map((s) => s.intact)).toEqual([false, false])
  })

  it('does not excuse bytes added after the last signature', async () => {
    const twice = Buffer.from(
      await second.sign(signed, { reason: 'Ký số của cơ quan', location: 'Cao Bằng' }),
    )
    const more = Buffer.concat([twice, Buffer.from('\n% added after signing\n')])
    const result = verifyPdf(more, [caPem])
    expect(result.signatures.every((s) => !s.coversWholeDocument && !s.laterSigned)).toBe(true)
    expect(result.signatures[1]!.problems.join(' ')).toContain('được ghi sau khi ký')
  })

  it('refuses a file it cannot append to with a Vietnamese message', async () => {
    const cut = Buffer.from(signed).subarray(0, signed.length - 40)
    await expect(second.sign(cut, { reason: 'Ký', location: 'Cao Bằng' })).rejects.toBeInstanceOf(
      UnreadablePdfError,
    )
  })
})

describe('opening PKCS#12 files', () => {
  it('refuses a certificate whose issuer name is not ASCII, which P12Signer would sign unreadably', async () => {
    const ca = await createTestCa(SIGNED_AT)
    // A CA named in Vietnamese, as a provincial CA could be.
    ca.certificate.setSubject([
      { shortName: 'C', value: 'VN' },
      { shortName: 'CN', value: 'Cục Chứng thực số thử nghiệm', valueTagClass: forge.asn1.Type.UTF8 },
    ] as forge.pki.CertificateField[])
    ca.certificate.setIssuer(ca.certificate.subject.attributes)
    const unit = await createUnitCertificate(ca, UNIT_CODE, UNIT_NAME, SIGNED_AT)
    expect(() => new P12PdfSigner(toP12(unit, [ca.certificate], 'pw'), 'pw', { source: 'H14.p12' })).toThrow(
      'Không dùng được khoá ký số H14.p12: tên tổ chức cấp chứng thư có ký tự ngoài ASCII',
    )
  })

  it('names the file and the passphrase variable when the passphrase is wrong', async () => {
    const p12 = readFileSync(join(dir, `${UNIT_CODE}.p12`))
    expect(() => new P12PdfSigner(p12, 'sai', { source: 'H14.p12' })).toThrow(
      'Không dùng được khoá ký số H14.p12: sai mật khẩu SIGNING_P12_PASSWORD hoặc tệp PKCS#12 hỏng',
    )
  })
})

/** A text entry of the signature dictionary, read back by pdf-lib as a viewer's signature panel would. */
async function signatureEntry(pdf: Uint8Array, key: string): Promise<string | undefined> {
  const [field] = (await PDFDocument.load(pdf)).getForm().getFields()
  const dictionary = field!.acroField.dict.lookup(PDFName.of('V'), PDFDict)
  return dictionary.lookupMaybe(PDFName.of(key), PDFString, PDFHexString)?.decodeText()
}
