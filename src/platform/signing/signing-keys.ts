import { createPrivateKey, randomBytes, sign as signBytes } from 'node:crypto'
import { link, mkdir, readdir, readFile, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import forge from 'node-forge'
import { systemClock, type Clock } from '../clock.js'
import { AppError } from '../http/errors.js'
import { fromP12, toP12, type KeyAndCertificate } from './p12.js'
import { P12PdfSigner, type PdfSigner } from './pdf-signer.js'
import { certificatePem, createTestCa, createUnitCertificate } from './test-certificates.js'

export type SigningKeysOptions = {
  /** SIGNING_DIR: one `<unit code>.p12` per unit. */
  dir: string
  /** SIGNING_P12_PASSWORD: the passphrase of every file in the directory. */
  passphrase: string
  /** Trial installs only: make a local test CA and a certificate for each unit that has none. */
  generateTestCertificates: boolean
  clock?: Clock
}

/** Thrown when a unit has no PKCS#12 file and test certificates are not being generated. */
export class SigningKeyMissingError extends AppError {
  constructor(unitCode: string, unitName: string, file: string) {
    super(
      503,
      'signing_key_missing',
      `Đơn vị ${unitName} (mã ${unitCode}) chưa có chứng thư số để ký: cần tệp ${file} (PKCS#12, mật khẩu SIGNING_P12_PASSWORD).`,
      { unitCode, file },
    )
  }
}

/** Thrown when a unit code could not safely name a file. */
export class InvalidUnitCodeError extends AppError {
  constructor(unitCode: string) {
    super(400, 'invalid_unit_code', `Mã đơn vị "${unitCode}" không hợp lệ để tìm chứng thư số.`)
  }
}

/**
 * A unit's key for sealing bytes that are not a PDF (a log's batch of hashes, an archive file): a detached
 * signature with SHA-256 over the given data, and the certificate that checks it.
 */
export type Seal = {
  readonly certificatePem: string
  /** `RSA-SHA256` or `ECDSA-SHA256`, after the key in the unit's PKCS#12 file. */
  readonly algorithm: string
  sign(data: Uint8Array): Buffer
}

// Unit codes follow QĐ 20/2020 (e.g. 000.00.00.H14); anything else must not reach the file system.
const UNIT_CODE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
const TEST_CA = 'test-ca'

/**
 * The signing certificate of each unit (sở, UBND xã…), one PKCS#12 file per unit code. Signers are cached
 * in memory: opening a file or generating a test key costs 50–200 ms, a signature should not.
 */
export class SigningKeys {
  private readonly signers = new Map<string, Promise<PdfSigner>>()
  private readonly seals = new Map<string, Promise<Seal>>()
  private testCa: Promise<KeyAndCertificate> | undefined
  private readonly clock: Clock

  constructor(private readonly options: SigningKeysOptions) {
    this.clock = options.clock ?? systemClock
  }

  /** Concurrent first calls for one unit share one load, so a test certificate is generated once. */
  signerFor(unitCode: string, unitName: string): Promise<PdfSigner> {
    const cached = this.signers.get(unitCode)
    if (cached) return cached
    const loading = this.load(unitCode, unitName)
    this.signers.set(unitCode, loading)
    // A failure is not cached: the operator may add the missing file while the server runs.
    loading.catch(() => this.signers.delete(unitCode))
    return loading
  }

  /** The same key and certificate as `signerFor`, to sign bytes with node's crypto (cached per unit). */
  sealFor(unitCode: string, unitName: string): Promise<Seal> {
    const cached = this.seals.get(unitCode)
    if (cached) return cached
    const loading = (async (): Promise<Seal> => {
      // Validates the code and the passphrase, and creates the trial certificate when that is allowed.
      await this.signerFor(unitCode, unitName)
      const { key, certificate } = fromP12(
        await readFile(join(this.options.dir, `${unitCode}.p12`)),
        this.options.passphrase,
      )
      const privateKey = createPrivateKey(forge.pki.privateKeyToPem(key))
      return {
        certificatePem: forge.pki.certificateToPem(certificate),
        algorithm: privateKey.asymmetricKeyType === 'ec' ? 'ECDSA-SHA256' : 'RSA-SHA256',
        sign: (data) => signBytes('sha256', data, privateKey),
      }
    })()
    this.seals.set(unitCode, loading)
    loading.catch(() => this.seals.delete(unitCode))
    return loading
  }

  /** The trial CA in PEM, to trust the platform's own test signatures; null outside trial mode. */
  async testCaPem(): Promise<string | null> {
    if (!this.options.generateTestCertificates) return null
    return certificatePem((await this.loadTestCa()).certificate)
  }

  /**
   * The CA certificates (PEM) whose signatures the platform trusts when it checks a PDF: every `.pem` in
   * `SIGNING_DIR/trusted/` (the national root CA, the licensed CAs' intermediates) and, in trial mode, the trial CA.
   */
  async trustAnchors(): Promise<string[]> {
    const anchors: string[] = []
    const trial = await this.testCaPem()
    if (trial) anchors.push(trial)
    const dir = join(this.options.dir, 'trusted')
    const names = await readdir(dir).catch(() => [] as string[])
    for (const name of names.filter((n) => n.endsWith('.pem')).sort()) {
      anchors.push(await readFile(join(dir, name), 'utf8'))
    }
    return anchors
  }

  private async load(unitCode: string, unitName: string): Promise<PdfSigner> {
    if (!UNIT_CODE.test(unitCode) || unitCode === TEST_CA) throw new InvalidUnitCodeError(unitCode)
    const { dir, passphrase, generateTestCertificates } = this.options
    const file = join(dir, `${unitCode}.p12`)
    const options = { source: file, clock: this.clock }
    const existing = await readIfExists(file)
    if (existing) return new P12PdfSigner(existing, passphrase, options)
    if (!generateTestCertificates) throw new SigningKeyMissingError(unitCode, unitName, file)
    const ca = await this.loadTestCa()
    const unit = await createUnitCertificate(ca, unitCode, unitName, this.clock())
    const stored = await writeOnce(dir, file, toP12(unit, [ca.certificate], passphrase), 0o600)
    return new P12PdfSigner(stored, passphrase, options)
  }

  private loadTestCa(): Promise<KeyAndCertificate> {
    this.testCa ??= (async () => {
      const { dir, passphrase } = this.options
      const file = join(dir, `${TEST_CA}.p12`)
      let p12 = await readIfExists(file)
      if (!p12) {
        const created = await createTestCa(this.clock())
        p12 = await writeOnce(dir, file, toP12(created, [], passphrase), 0o600)
      }
      const ca = fromP12(p12, passphrase)
      // The certificate alone, for importing into a browser, an NSS database or a verifier's trust list.
      await writeOnce(dir, join(dir, `${TEST_CA}.pem`), Buffer.from(certificatePem(ca.certificate)), 0o644)
      return ca
    })()
    this.testCa.catch(() => (this.testCa = undefined))
    return this.testCa
  }
}

async function readIfExists(file: string): Promise<Buffer | null> {
  try {
    return await readFile(file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}

/**
 * Creates the file unless it exists, and returns what is on disk. link() never replaces a file, so two
 * processes starting on one directory keep the first one's key instead of overwriting each other's.
 */
async function writeOnce(dir: string, file: string, bytes: Buffer, mode: number): Promise<Buffer> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`
  await writeFile(temporary, bytes, { mode, flag: 'wx' })
  try {
    await link(temporary, file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  } finally {
    await unlink(temporary)
  }
  return readFile(file)
}
