/**
 * `npx vitest bench --run src/platform/signing`: signatures and verifications per second of a one-page
 * A4 PDF on this machine, with the PKCS#12 signer (the unit's key already cached in memory).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, bench, describe } from 'vitest'
import { PdfWriter } from '../pdf/pdf.js'
import { SigningKeys, verifyPdf } from './index.js'

const dir = mkdtempSync(join(tmpdir(), 'cb-signing-bench-'))
const keys = new SigningKeys({ dir, passphrase: 'thu-nghiem', generateTestCertificates: true })
const signer = await keys.signerFor('000.00.00.H14', 'Sở Khoa học và Công nghệ tỉnh Cao Bằng')
const caPem = (await keys.testCaPem())!
const writer = await PdfWriter.create('A4', 'Giấy tiếp nhận hồ sơ')
writer.text('GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ', { bold: true, align: 'center', size: 13 })
writer.text('Mã hồ sơ: 000.00.00.H14-260302-0001. Người nộp: Nông Thị Hường, xã Hưng Đạo, tỉnh Cao Bằng.')
const page = await writer.bytes()
const info = { reason: 'Phê duyệt kết quả giải quyết hồ sơ', location: 'Cao Bằng' }
const signed = await signer.sign(page, info)

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('PDF signatures, one-page A4', () => {
  bench(
    'sign (PKCS#12, RSA-2048, SHA-256)',
    async () => {
      await signer.sign(page, info)
    },
    { iterations: 50, time: 0, warmupIterations: 3 },
  )

  bench(
    'verify (digest, signature, chain)',
    () => {
      verifyPdf(signed, [caPem])
    },
    { iterations: 50, time: 0, warmupIterations: 3 },
  )
})
