import { generateKeyPair, randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import forge from 'node-forge'
import type { KeyAndCertificate } from './p12.js'

/**
 * A local certificate authority for trying the platform out. Nothing outside this installation trusts it,
 * and its name says so; production uses certificates issued by a licensed CA.
 */
// ASCII on purpose: node-forge writes a non-ASCII issuer into the CMS differently from the certificate,
// and readers then cannot find the signer's certificate.
export const TEST_CA_NAME = 'Cao Bang Digital Gov TEST CA - NOT FOR PRODUCTION'

const YEAR_MS = 365 * 24 * 3600 * 1000

// Node's native keygen runs off the event loop (about 100 ms) where node-forge's pure-JS one blocks it.
async function rsaKeyPair(): Promise<{ key: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey }> {
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 })
  const key = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString())
  return { key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e) }
}

/** 16 random bytes with the top bit clear, so the INTEGER stays positive (RFC 5280 §4.1.2.2). */
function serialNumber(): string {
  const bytes = randomBytes(16)
  bytes[0] = (bytes[0]! & 0x7f) | 0x01
  return bytes.toString('hex')
}

const utf8 = forge.asn1.Type.UTF8

export async function createTestCa(now: Date): Promise<KeyAndCertificate> {
  const { key, publicKey } = await rsaKeyPair()
  const certificate = forge.pki.createCertificate()
  certificate.publicKey = publicKey
  certificate.serialNumber = serialNumber()
  certificate.validity.notBefore = new Date(now.getTime() - 3600_000)
  certificate.validity.notAfter = new Date(now.getTime() + 20 * YEAR_MS)
  const name = [
    { shortName: 'C', value: 'VN' },
    { shortName: 'O', value: 'Cao Bang Digital Gov (TEST)' },
    { shortName: 'CN', value: TEST_CA_NAME },
  ]
  certificate.setSubject(name)
  certificate.setIssuer(name)
  certificate.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ])
  certificate.sign(key, forge.md.sha256.create())
  return { key, certificate }
}

/** A signing certificate for one unit: CN is its Vietnamese name, O its unit code. */
export async function createUnitCertificate(
  ca: KeyAndCertificate,
  unitCode: string,
  unitName: string,
  now: Date,
): Promise<KeyAndCertificate> {
  const { key, publicKey } = await rsaKeyPair()
  const certificate = forge.pki.createCertificate()
  certificate.publicKey = publicKey
  certificate.serialNumber = serialNumber()
  certificate.validity.notBefore = new Date(now.getTime() - 3600_000)
  certificate.validity.notAfter = new Date(now.getTime() + 5 * YEAR_MS)
  // A raw JS string with the UTF8String tag: node-forge encodes it once (encodeUtf8 first would do it twice).
  certificate.setSubject([
    { shortName: 'C', value: 'VN' },
    { shortName: 'O', value: unitCode, valueTagClass: utf8 },
    { shortName: 'CN', value: unitName.normalize('NFC'), valueTagClass: utf8 },
  ] as forge.pki.CertificateField[])
  certificate.setIssuer(ca.certificate.subject.attributes)
  certificate.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, nonRepudiation: true, critical: true },
    { name: 'subjectKeyIdentifier' },
    {
      name: 'authorityKeyIdentifier',
      keyIdentifier: ca.certificate.generateSubjectKeyIdentifier().getBytes(),
    },
  ])
  certificate.sign(ca.key, forge.md.sha256.create())
  return { key, certificate }
}

export const certificatePem = (certificate: forge.pki.Certificate) => forge.pki.certificateToPem(certificate)
