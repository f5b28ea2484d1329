import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  InvalidUnitCodeError,
  SigningKeyMissingError,
  SigningKeys,
  SigningKeyUnreadableError,
  TEST_CA_NAME,
} from './index.js'

const UNIT_CODE = '000.00.00.H14'
const UNIT_NAME = 'Sở Khoa học và Công nghệ tỉnh Cao Bằng'
const PASSPHRASE = 'thu-nghiem'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cb-keys-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const trial = (overrides: { passphrase?: string; dir?: string } = {}) =>
  new SigningKeys({ dir, passphrase: PASSPHRASE, generateTestCertificates: true, ...overrides })

describe('signing keys per unit', () => {
  it('creates a test CA and a unit certificate on first use, private files readable by the owner only', async () => {
    const signer = await trial().signerFor(UNIT_CODE, UNIT_NAME)
    expect(signer.certificate).toMatchObject({
      commonName: UNIT_NAME,
      organisation: UNIT_CODE,
      issuerName: TEST_CA_NAME,
    })
    expect(readdirSync(dir).sort()).toEqual([`${UNIT_CODE}.p12`, 'test-ca.p12', 'test-ca.pem'])
    expect(statSync(join(dir, `${UNIT_CODE}.p12`)).mode & 0o777).toBe(0o600)
    expect(statSync(join(dir, 'test-ca.p12')).mode & 0o777).toBe(0o600)
    expect(readFileSync(join(dir, 'test-ca.pem'), 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/)
  })

  it('reuses the stored certificate after a restart', async () => {
    const first = await trial().signerFor(UNIT_CODE, UNIT_NAME)
    const afterRestart = await trial().signerFor(UNIT_CODE, UNIT_NAME)
    expect(afterRestart.certificate.serial).toBe(first.certificate.serial)
  })

  it('generates one certificate when a unit is asked for twice at once', async () => {
    const keys = trial()
    const [a, b] = await Promise.all([
      keys.signerFor(UNIT_CODE, UNIT_NAME),
      keys.signerFor(UNIT_CODE, UNIT_NAME),
    ])
    expect(b).toBe(a)
    expect(readdirSync(dir).filter((file) => file.endsWith('.p12'))).toHaveLength(2)
  })

  it('keeps the first certificate when two processes create the same unit at once', async () => {
    const [a, b] = await Promise.all([
      trial().signerFor(UNIT_CODE, UNIT_NAME),
      trial().signerFor(UNIT_CODE, UNIT_NAME),
    ])
    expect(b.certificate.serial).toBe(a.certificate.serial)
    expect(readdirSync(dir).sort()).toEqual([`${UNIT_CODE}.p12`, 'test-ca.p12', 'test-ca.pem'])
  })

  it('gives each unit its own certificate under the same test CA', async () => {
    const keys = trial()
    const province = await keys.signerFor(UNIT_CODE, UNIT_NAME)
    const commune = await keys.signerFor('004.01.01.H14', 'UBND xã Hưng Đạo')
    expect(commune.certificate.serial).not.toBe(province.certificate.serial)
    expect(commune.certificate).toMatchObject({ commonName: 'UBND xã Hưng Đạo', issuerName: TEST_CA_NAME })
  })

  it('names the unit and the expected file when a unit has no key outside trial mode', async () => {
    const keys = new SigningKeys({ dir, passphrase: PASSPHRASE, generateTestCertificates: false })
    const failure = keys.signerFor(UNIT_CODE, UNIT_NAME)
    await expect(failure).rejects.toBeInstanceOf(SigningKeyMissingError)
    await expect(failure).rejects.toThrow(
      `Đơn vị ${UNIT_NAME} (mã ${UNIT_CODE}) chưa có chứng thư số để ký: cần tệp ${join(dir, `${UNIT_CODE}.p12`)}`,
    )
    expect(readdirSync(dir)).toEqual([])
    expect(await keys.testCaPem()).toBeNull()
  })

  it('picks up a key file added while the server runs', async () => {
    const source = mkdtempSync(join(tmpdir(), 'cb-keys-src-'))
    try {
      const issued = await trial({ dir: source }).signerFor(UNIT_CODE, UNIT_NAME)
      const keys = new SigningKeys({ dir, passphrase: PASSPHRASE, generateTestCertificates: false })
      await expect(keys.signerFor(UNIT_CODE, UNIT_NAME)).rejects.toBeInstanceOf(SigningKeyMissingError)
      copyFileSync(join(source, `${UNIT_CODE}.p12`), join(dir, `${UNIT_CODE}.p12`))
      expect((await keys.signerFor(UNIT_CODE, UNIT_NAME)).certificate.serial).toBe(issued.certificate.serial)
    } finally {
      rmSync(source, { recursive: true, force: true })
    }
  })

  it('fails with a clear error when the passphrase does not open the file', async () => {
    await trial().signerFor(UNIT_CODE, UNIT_NAME)
    await expect(
      trial({ passphrase: 'sai-mat-khau' }).signerFor(UNIT_CODE, UNIT_NAME),
    ).rejects.toBeInstanceOf(SigningKeyUnreadableError)
  })

  it('refuses unit codes that could reach outside the directory', async () => {
    for (const code of ['../etc/passwd', '.hidden', 'a/b', 'test-ca', '']) {
      await expect(trial().signerFor(code, UNIT_NAME)).rejects.toBeInstanceOf(InvalidUnitCodeError)
    }
    expect(readdirSync(dir)).toEqual([])
  })
})
