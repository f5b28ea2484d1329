import { createHash, verify as verifySignature, X509Certificate } from 'node:crypto'
import {
  children,
  content,
  context,
  decodeOid,
  decodeTime,
  DIGESTS,
  expectTag,
  integerHex,
  OID,
  parseCertificate,
  readTlv,
  SIGNATURE_ALGORITHMS,
  TAG,
  whole,
  type ParsedCertificate,
  type Tlv,
} from './der.js'
import { decodeDate, decodeText, PdfObjectReader, type PdfValue } from './pdf-objects.js'

export type SignatureCheck = {
  /** The signature is mathematically right for the bytes it covers and the certificate it names. */
  valid: boolean
  /** The bytes the signature covers are unchanged since signing. */
  intact: boolean
  /** Nothing was added after signing: the signature covers the file up to its last byte. */
  coversWholeDocument: boolean
  /**
   * What was added after this signature is covered by a later signature that covers the whole file and checks
   * out: a second signature (the unit's after the leader's) appended as an incremental update.
   */
  laterSigned: boolean
  /** The signer's certificate chains up to one of the trusted CAs and was in force when signing. */
  trusted: boolean
  signerName: string | null
  organisation: string | null
  issuerName: string | null
  serial: string | null
  signedAt: Date | null
  reason: string | null
  location: string | null
  /** In Vietnamese, for the person checking the document. */
  problems: string[]
}

export type VerifyResult = { signed: boolean; signatures: SignatureCheck[] }

type SignatureDictionary = { byteRange: PdfValue | undefined; entries: Map<string, PdfValue> | null }

/**
 * Checks every signature in a PDF without poppler or openssl: byte-range coverage, the document digest,
 * the signer's RSA/ECDSA signature and the certificate chain. Revocation (CRL/OCSP) is not checked.
 * Never throws: a file that is not a PDF, or a mangled signature, is reported, not raised.
 */
export function verifyPdf(pdf: Uint8Array, trustedCaPems: string[]): VerifyResult {
  const bytes = Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength)
  const anchors = trustedCaPems.flatMap(readPems)
  const dictionaries = findSignatureDictionaries(bytes.toString('latin1'))
  const signatures = dictionaries.map((dictionary) => {
    try {
      return checkSignature(bytes, dictionary, anchors)
    } catch {
      // A certificate or key that parses here but not in Node's crypto, or an algorithm mismatch.
      return { ...unchecked(dictionary), problems: [PROBLEM.unreadable] }
    }
  })
  // An earlier signature of a file signed again: the bytes after it belong to a later revision, which the last
  // signature covers whole. That is how a second signature is added, not a change behind the first one's back.
  const whole = signatures.find((s) => s.coversWholeDocument && s.valid && s.intact)
  if (whole) {
    signatures.forEach((check, i) => {
      const end = rangeEnd(dictionaries[i]!.byteRange)
      if (check === whole || check.coversWholeDocument || end === undefined || end >= bytes.length) return
      check.laterSigned = true
      check.problems = check.problems.filter((p) => !p.startsWith(APPENDED_PREFIX))
    })
  }
  return { signed: signatures.length > 0, signatures }
}

const APPENDED_PREFIX = 'Tệp có thêm '

const PROBLEM = {
  unfinished: 'Chữ ký chưa hoàn tất: vùng dữ liệu được ký (ByteRange) chưa được điền.',
  rangeMismatch: 'Vùng dữ liệu được ký (ByteRange) không khớp với tệp: có nội dung nằm ngoài phạm vi chữ ký.',
  truncated: 'Tệp ngắn hơn vùng dữ liệu được ký: tệp đã bị cắt bớt sau khi ký.',
  appended: (count: number) =>
    `${APPENDED_PREFIX}${count} byte được ghi sau khi ký; phần thêm vào không được chữ ký này bảo vệ.`,
  unreadable: 'Không đọc được dữ liệu chữ ký (CMS/PKCS#7).',
  modified: 'Nội dung tài liệu đã bị thay đổi sau khi ký.',
  noCertificate: 'Chữ ký không kèm chứng thư số của người ký.',
  badSignature: 'Chữ ký số không khớp với chứng thư số của người ký.',
  unsupported: (what: string) => `Thuật toán ${what} chưa được hỗ trợ khi kiểm tra.`,
  notInForce: 'Chứng thư số không còn hoặc chưa có hiệu lực vào thời điểm ký.',
  untrusted: 'Chứng thư số không do tổ chức cung cấp dịch vụ chứng thực tin cậy cấp.',
} as const

/** Where the bytes a ByteRange covers end, if it is one. */
function rangeEnd(range: PdfValue | undefined): number | undefined {
  if (!Array.isArray(range) || range.length !== 4 || !range.every((n) => Number.isSafeInteger(n)))
    return undefined
  return Number(range[2]) + Number(range[3])
}

function readPems(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []
  return blocks.flatMap((block) => {
    try {
      return [new X509Certificate(block)]
    } catch {
      return []
    }
  })
}

/**
 * Every dictionary with a /ByteRange, read from the uncompressed object around it. When that object
 * cannot be read, the ByteRange alone still lets the signature be checked.
 */
function findSignatureDictionaries(text: string): SignatureDictionary[] {
  // Bounded digit runs: the kilobytes of hex digits in /Contents would make an unbounded \d+ quadratic.
  const objectStarts = [...text.matchAll(/(?<!\d)\d{1,10}\s+\d{1,5}\s+obj\b/g)].map(
    (m) => m.index + m[0].length,
  )
  const seen = new Set<number>()
  const found: SignatureDictionary[] = []
  for (const match of text.matchAll(/\/ByteRange\s*\[/g)) {
    const start = lastBefore(objectStarts, match.index)
    if (start !== undefined) {
      if (seen.has(start)) continue
      seen.add(start)
      try {
        // An object that reads well but has no such dictionary held the text in a string or a stream.
        const dictionaries = withByteRange(new PdfObjectReader(text, start).read())
        found.push(...dictionaries.map((entries) => ({ byteRange: entries.get('ByteRange'), entries })))
        continue
      } catch {
        // Fall through to the ByteRange alone.
      }
    }
    try {
      const reader = new PdfObjectReader(text, match.index + match[0].length - 1)
      found.push({ byteRange: reader.read(), entries: null })
    } catch {
      found.push({ byteRange: undefined, entries: null })
    }
  }
  return found
}

function lastBefore(sorted: number[], position: number): number | undefined {
  let low = 0
  let high = sorted.length - 1
  let best: number | undefined
  while (low <= high) {
    const middle = (low + high) >> 1
    if (sorted[middle]! <= position) {
      best = sorted[middle]
      low = middle + 1
    } else high = middle - 1
  }
  return best
}

function withByteRange(value: PdfValue): Map<string, PdfValue>[] {
  if (value instanceof Map) {
    const nested = [...value.values()].flatMap(withByteRange)
    return value.has('ByteRange') ? [value, ...nested] : nested
  }
  return Array.isArray(value) ? value.flatMap(withByteRange) : []
}

/** Every verdict false until a check earns it; what the dictionary says is shown regardless. */
function unchecked(dictionary: SignatureDictionary): SignatureCheck {
  return {
    valid: false,
    intact: false,
    coversWholeDocument: false,
    laterSigned: false,
    trusted: false,
    signerName: null,
    organisation: null,
    issuerName: null,
    serial: null,
    signedAt: decodeDate(dictionary.entries?.get('M')),
    reason: decodeText(dictionary.entries?.get('Reason')),
    location: decodeText(dictionary.entries?.get('Location')),
    problems: [],
  }
}

function checkSignature(
  pdf: Buffer,
  dictionary: SignatureDictionary,
  anchors: X509Certificate[],
): SignatureCheck {
  const result = unchecked(dictionary)
  const range = dictionary.byteRange
  if (
    !Array.isArray(range) ||
    range.length !== 4 ||
    !range.every((n) => Number.isSafeInteger(n) && Number(n) >= 0)
  ) {
    result.problems.push(PROBLEM.unfinished)
    return result
  }
  const [start, firstLength, contentsEnd, secondLength] = range as [number, number, number, number]
  const contentsStart = start + firstLength
  const end = contentsEnd + secondLength
  // The one gap must be exactly the <hex> of /Contents: any other excluded byte could be changed unseen.
  const gap = pdf.subarray(contentsStart, contentsEnd).toString('latin1')
  const soundGap = start === 0 && contentsEnd > contentsStart && /^<[0-9a-fA-F]*>$/.test(gap)
  if (!soundGap) result.problems.push(PROBLEM.rangeMismatch)
  if (end > pdf.length) result.problems.push(PROBLEM.truncated)
  else if (end < pdf.length) result.problems.push(PROBLEM.appended(pdf.length - end))
  result.coversWholeDocument = soundGap && end === pdf.length
  if (!soundGap) return result

  let cms: CmsSignature
  try {
    cms = readCms(Buffer.from(gap.slice(1, -1), 'hex'))
  } catch {
    result.problems.push(PROBLEM.unreadable)
    return result
  }
  const signer = cms.signerCertificate
  if (signer) {
    result.signerName = signer.subject.get(OID.commonName) ?? null
    result.organisation = signer.subject.get(OID.organisation) ?? null
    result.issuerName = signer.issuer.get(OID.commonName) ?? null
    result.serial = signer.serial
  }
  result.signedAt = cms.signingTime ?? result.signedAt
  const hash = DIGESTS[cms.digestOid]
  const signatureHash = SIGNATURE_ALGORITHMS[cms.signatureOid]
  if (!hash || signatureHash === undefined) {
    result.problems.push(PROBLEM.unsupported(hash ? cms.signatureOid : cms.digestOid))
    return result
  }
  const signedBytes = [
    pdf.subarray(start, contentsStart),
    pdf.subarray(contentsEnd, Math.min(end, pdf.length)),
  ]
  if (!signer) {
    result.problems.push(PROBLEM.noCertificate)
    return result
  }
  const publicKey = new X509Certificate(signer.der).publicKey
  let signatureOk: boolean
  if (cms.signedAttributes) {
    const digest = createHash(hash)
    for (const part of signedBytes) digest.update(part)
    result.intact =
      end <= pdf.length && cms.messageDigest !== null && digest.digest().equals(cms.messageDigest)
    signatureOk = verifySignature(signatureHash ?? hash, cms.signedAttributes, publicKey, cms.signature)
  } else {
    // Without signed attributes the signature is over the document itself: intact and valid are one check.
    signatureOk = verifySignature(signatureHash ?? hash, Buffer.concat(signedBytes), publicKey, cms.signature)
    result.intact = end <= pdf.length && signatureOk
  }
  if (!result.intact) result.problems.push(PROBLEM.modified)
  if (!signatureOk) result.problems.push(PROBLEM.badSignature)
  result.valid = result.intact && signatureOk

  const at = result.signedAt ?? new Date()
  const chain = chainToAnchor(signer, cms.certificates, anchors)
  if (chain.some((certificate) => at < certificate.notBefore || at > certificate.notAfter)) {
    result.problems.push(PROBLEM.notInForce)
  } else if (chain.length === 0) {
    result.problems.push(PROBLEM.untrusted)
  } else {
    result.trusted = result.valid
  }
  return result
}

type CmsSignature = {
  certificates: ParsedCertificate[]
  signerCertificate: ParsedCertificate | undefined
  digestOid: string
  signatureOid: string
  /** DER of the signed attributes with the SET tag they are signed under (RFC 5652 §5.4). */
  signedAttributes: Buffer | null
  messageDigest: Buffer | null
  signingTime: Date | null
  signature: Buffer
}

function readCms(der: Buffer): CmsSignature {
  // The /Contents placeholder is longer than the CMS: the zero padding after it is not part of it.
  const contentInfo = readTlv(der, 0)
  const [type, explicit] = children(der, expectTag(contentInfo, TAG.sequence, 'ContentInfo'))
  if (decodeOid(der, expectTag(type, TAG.oid, 'contentType')) !== OID.signedData)
    throw new Error('not SignedData')
  const [signedData] = children(der, expectTag(explicit, context(0), 'content'))
  const parts = children(der, expectTag(signedData, TAG.sequence, 'SignedData'))
  const certificateSet = parts.find((part) => part.tag === context(0))
  const certificates = certificateSet
    ? children(der, certificateSet)
        .filter((item) => item.tag === TAG.sequence)
        .map((item) => parseCertificate(whole(der, item)))
    : []
  const signerInfos = expectTag(parts[parts.length - 1], TAG.set, 'signerInfos')
  const [signerInfo] = children(der, signerInfos)
  const fields = children(der, expectTag(signerInfo, TAG.sequence, 'SignerInfo'))
  const sid = fields[1]!
  let at = 2
  const digestOid = algorithmOid(der, fields[at++])
  const attributesTlv = fields[at]?.tag === context(0) ? fields[at++] : undefined
  const signatureOid = algorithmOid(der, fields[at++])
  const signature = Buffer.from(content(der, expectTag(fields[at], TAG.octetString, 'signature')))

  let signedAttributes: Buffer | null = null
  let messageDigest: Buffer | null = null
  let signingTime: Date | null = null
  if (attributesTlv) {
    signedAttributes = Buffer.from(whole(der, attributesTlv))
    signedAttributes[0] = TAG.set
    for (const attribute of children(der, attributesTlv)) {
      const [oid, values] = children(der, attribute)
      const [value] = children(der, expectTag(values, TAG.set, 'attribute values'))
      const id = decodeOid(der, expectTag(oid, TAG.oid, 'attribute type'))
      if (id === OID.messageDigest && value?.tag === TAG.octetString)
        messageDigest = Buffer.from(content(der, value))
      if (id === OID.signingTime && value) signingTime = decodeTime(der, value)
    }
  }
  return {
    certificates,
    signerCertificate: findSigner(der, sid, certificates),
    digestOid,
    signatureOid,
    signedAttributes,
    messageDigest,
    signingTime,
    signature,
  }
}

function algorithmOid(der: Buffer, item: Tlv | undefined): string {
  const [oid] = children(der, expectTag(item, TAG.sequence, 'AlgorithmIdentifier'))
  return decodeOid(der, expectTag(oid, TAG.oid, 'algorithm'))
}

/** The SignerInfo names its certificate by issuer and serial, or (version 3) by subject key identifier. */
function findSigner(der: Buffer, sid: Tlv, certificates: ParsedCertificate[]): ParsedCertificate | undefined {
  if (sid.tag === TAG.sequence) {
    const [issuer, serial] = children(der, sid)
    const issuerDer = whole(der, expectTag(issuer, TAG.sequence, 'issuer'))
    const serialHex = integerHex(der, expectTag(serial, TAG.integer, 'serialNumber'))
    return certificates.find((c) => c.serial === serialHex && Buffer.from(c.issuerDer).equals(issuerDer))
  }
  const keyId = content(der, sid)
  return certificates.find((c) => c.subjectKeyIdentifier && Buffer.from(c.subjectKeyIdentifier).equals(keyId))
}

/**
 * The path from the signer to a trusted CA, each certificate checked against its issuer's key; empty
 * when there is none. Intermediates come from the certificates carried in the signature.
 */
function chainToAnchor(
  signer: ParsedCertificate,
  carried: ParsedCertificate[],
  anchors: X509Certificate[],
): ParsedCertificate[] {
  const chain: ParsedCertificate[] = []
  let current = signer
  for (let depth = 0; depth < 8; depth++) {
    chain.push(current)
    const certificate = new X509Certificate(current.der)
    const issuedBy = (issuer: X509Certificate) =>
      certificate.checkIssued(issuer) && certificate.verify(issuer.publicKey)
    const anchor = anchors.find(
      (candidate) => candidate.fingerprint256 === certificate.fingerprint256 || issuedBy(candidate),
    )
    if (anchor) {
      if (anchor.fingerprint256 !== certificate.fingerprint256) chain.push(parseCertificate(anchor.raw))
      return chain
    }
    const next = carried.find((candidate) => {
      if (chain.includes(candidate)) return false
      const x509 = new X509Certificate(candidate.der)
      return x509.ca && issuedBy(x509)
    })
    if (!next) return []
    current = next
  }
  return []
}
