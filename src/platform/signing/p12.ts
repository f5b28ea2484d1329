import forge from 'node-forge'

export type KeyAndCertificate = { key: forge.pki.rsa.PrivateKey; certificate: forge.pki.Certificate }

const KEY_BAG = forge.pki.oids.pkcs8ShroudedKeyBag as string
const CERT_BAG = forge.pki.oids.certBag as string

/** PKCS#12 with 3DES, which Windows, openssl 3 and node-forge all open. */
export function toP12(owner: KeyAndCertificate, chain: forge.pki.Certificate[], passphrase: string): Buffer {
  const asn1 = forge.pkcs12.toPkcs12Asn1(owner.key, [owner.certificate, ...chain], passphrase, {
    algorithm: '3des',
  })
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary')
}

/** Opens a PKCS#12 (.p12/.pfx): its private key and the certificate that matches it; the rest is chain. */
export function fromP12(p12: Uint8Array, passphrase: string): KeyAndCertificate {
  const parsed = forge.pkcs12.pkcs12FromAsn1(
    forge.asn1.fromDer(Buffer.from(p12).toString('binary')),
    false,
    passphrase,
  )
  const key = parsed.getBags({ bagType: KEY_BAG })[KEY_BAG]?.[0]?.key
  const certificates = (parsed.getBags({ bagType: CERT_BAG })[CERT_BAG] ?? []).map((bag) => bag.cert)
  const certificate = certificates.find((cert) => {
    const publicKey = cert?.publicKey as forge.pki.rsa.PublicKey | undefined
    return key && publicKey?.n.equals(key.n) && publicKey.e.equals(key.e)
  })
  if (!key || !certificate) throw new Error('PKCS#12 holds no private key with its certificate')
  return { key, certificate }
}
