/**
 * Just enough DER reading to check a CMS signature: each element keeps its exact byte offsets, because
 * the signed attributes must be hashed as they were sent, not as a library would re-encode them.
 */
export type Tlv = {
  /** The identifier octet: class, constructed bit and tag number (tag numbers above 30 are not needed here). */
  tag: number
  start: number
  contentStart: number
  end: number
}

export const TAG = {
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  teletexString: 0x14,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  bmpString: 0x1e,
  sequence: 0x30,
  set: 0x31,
} as const

/** Context-specific tag [n], constructed (EXPLICIT, or IMPLICIT over a SEQUENCE/SET). */
export const context = (n: number) => 0xa0 | n

/** Thrown when bytes are not the DER a signature should contain. */
export class DerError extends Error {}

export function readTlv(bytes: Uint8Array, offset: number, limit = bytes.length): Tlv {
  if (offset + 2 > limit) throw new DerError(`truncated element at ${offset}`)
  const tag = bytes[offset]!
  if ((tag & 0x1f) === 0x1f) throw new DerError(`multi-byte tag at ${offset}`)
  let length = bytes[offset + 1]!
  let contentStart = offset + 2
  if (length & 0x80) {
    const count = length & 0x7f
    // 0x80 is BER's indefinite length, which DER forbids; 4 length bytes are already 4 GB.
    if (count === 0 || count > 4) throw new DerError(`unsupported length at ${offset}`)
    length = 0
    for (let i = 0; i < count; i++) length = length * 256 + bytes[contentStart + i]!
    contentStart += count
  }
  const end = contentStart + length
  if (end > limit) throw new DerError(`element at ${offset} runs past its parent`)
  return { tag, start: offset, contentStart, end }
}

export function children(bytes: Uint8Array, parent: Tlv): Tlv[] {
  const items: Tlv[] = []
  for (let at = parent.contentStart; at < parent.end;) {
    const item = readTlv(bytes, at, parent.end)
    items.push(item)
    at = item.end
  }
  return items
}

export function expectTag(item: Tlv | undefined, tag: number, what: string): Tlv {
  if (!item || item.tag !== tag) throw new DerError(`expected ${what}`)
  return item
}

export const content = (bytes: Uint8Array, item: Tlv) => bytes.subarray(item.contentStart, item.end)
export const whole = (bytes: Uint8Array, item: Tlv) => bytes.subarray(item.start, item.end)

export function decodeOid(bytes: Uint8Array, item: Tlv): string {
  const body = content(bytes, item)
  const parts: number[] = []
  let value = 0
  for (const byte of body) {
    value = value * 128 + (byte & 0x7f)
    if (!(byte & 0x80)) {
      if (parts.length === 0)
        parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80)
      else parts.push(value)
      value = 0
    }
  }
  return parts.join('.')
}

/** An INTEGER as upper-case hex without the sign-padding zero byte, as certificate serials are shown. */
export function integerHex(bytes: Uint8Array, item: Tlv): string {
  let body = content(bytes, item)
  while (body.length > 1 && body[0] === 0) body = body.subarray(1)
  return Buffer.from(body).toString('hex').toUpperCase()
}

export function decodeString(bytes: Uint8Array, item: Tlv): string {
  const body = Buffer.from(content(bytes, item))
  switch (item.tag) {
    case TAG.bmpString:
      return body.swap16().toString('utf16le')
    case TAG.teletexString:
      return body.toString('latin1')
    default:
      return body.toString('utf8')
  }
}

export function decodeTime(bytes: Uint8Array, item: Tlv): Date {
  const text = Buffer.from(content(bytes, item)).toString('latin1')
  const match = /^(\d{2}|\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:\.\d+)?Z$/.exec(text)
  if (!match) throw new DerError(`unsupported time ${text}`)
  const [, y, mo, d, h, mi, s] = match
  // UTCTime's two-digit year: 50–99 are 19xx (RFC 5280).
  const year = y!.length === 4 ? Number(y) : Number(y) + (Number(y) >= 50 ? 1900 : 2000)
  return new Date(Date.UTC(year, Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0)))
}

export const OID = {
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  commonName: '2.5.4.3',
  organisation: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
} as const

/** Digest algorithm OIDs (also the hash inside the RSA/ECDSA signature OIDs) → Node hash names. */
export const DIGESTS: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
}

/** Signature algorithms that Node's crypto.verify checks with the digest named by the SignerInfo. */
export const SIGNATURE_ALGORITHMS: Record<string, string | null> = {
  '1.2.840.113549.1.1.1': null, // rsaEncryption: the hash comes from digestAlgorithm
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
}

export type ParsedCertificate = {
  der: Uint8Array
  serial: string
  /** The issuer Name exactly as encoded, to match a SignerInfo's issuerAndSerialNumber. */
  issuerDer: Uint8Array
  issuer: Map<string, string>
  subject: Map<string, string>
  notBefore: Date
  notAfter: Date
  subjectKeyIdentifier: Uint8Array | null
}

/** Attribute OID → first value; enough for CN and O, which is all a signature panel shows. */
function readName(bytes: Uint8Array, name: Tlv): Map<string, string> {
  const fields = new Map<string, string>()
  for (const rdn of children(bytes, expectTag(name, TAG.sequence, 'Name'))) {
    for (const attribute of children(bytes, rdn)) {
      const [type, value] = children(bytes, attribute)
      const oid = decodeOid(bytes, expectTag(type, TAG.oid, 'attribute type'))
      if (value && !fields.has(oid)) fields.set(oid, decodeString(bytes, value))
    }
  }
  return fields
}

/** True when every attribute value of a Name is plain ASCII, whatever string type encodes it. */
export function isAsciiName(name: Uint8Array): boolean {
  const root = readTlv(name, 0)
  return children(name, expectTag(root, TAG.sequence, 'Name')).every((rdn) =>
    children(name, rdn).every((attribute) => {
      const value = children(name, attribute)[1]
      return !value || content(name, value).every((byte) => byte < 0x80)
    }),
  )
}

export function parseCertificate(der: Uint8Array): ParsedCertificate {
  const certificate = readTlv(der, 0)
  const [tbs] = children(der, expectTag(certificate, TAG.sequence, 'Certificate'))
  const fields = children(der, expectTag(tbs, TAG.sequence, 'TBSCertificate'))
  // The version is an optional [0]; every later field shifts by one when it is present.
  const first = fields[0]?.tag === context(0) ? 1 : 0
  const serial = expectTag(fields[first], TAG.integer, 'serialNumber')
  const issuer = expectTag(fields[first + 2], TAG.sequence, 'issuer')
  const validity = children(der, expectTag(fields[first + 3], TAG.sequence, 'validity'))
  const subject = expectTag(fields[first + 4], TAG.sequence, 'subject')
  let subjectKeyIdentifier: Uint8Array | null = null
  const extensions = fields.find((field) => field.tag === context(3))
  if (extensions) {
    const [list] = children(der, extensions)
    for (const extension of children(der, expectTag(list, TAG.sequence, 'extensions'))) {
      const parts = children(der, extension)
      if (decodeOid(der, expectTag(parts[0], TAG.oid, 'extension id')) !== OID.subjectKeyIdentifier) continue
      const wrapper = expectTag(parts[parts.length - 1], TAG.octetString, 'extension value')
      const keyId = readTlv(der, wrapper.contentStart, wrapper.end)
      subjectKeyIdentifier = content(der, keyId)
    }
  }
  return {
    der: whole(der, certificate),
    serial: integerHex(der, serial),
    issuerDer: whole(der, issuer),
    issuer: readName(der, issuer),
    subject: readName(der, subject),
    notBefore: decodeTime(der, validity[0]!),
    notAfter: decodeTime(der, validity[1]!),
    subjectKeyIdentifier,
  }
}
