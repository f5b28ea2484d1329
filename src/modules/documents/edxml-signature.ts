import { X509Certificate, type BinaryLike } from 'node:crypto'
import { DOMParser, onErrorStopParsing, type Element } from '@xmldom/xmldom'
import { Type } from 'typebox'
import { SignedXml, type ErrorFirstCallback, type SignatureAlgorithm } from 'xml-crypto'
import { AppError, ValidationError } from '../../platform/http/errors.js'
import { defineMessages, translator, type Lang } from '../../platform/i18n/index.js'
import { describeCertificate, type Seal, type SigningKeys } from '../../platform/signing/index.js'
import { formatDay } from '../../platform/views/format.js'
import type { OrgUnit } from '../organisation/index.js'
import { parseEnvelope, parseStatusMessage, type EdxmlPackage, type EdxmlStatus } from './edxml.js'

/**
 * XML Signature (XMLDSig) of edXML messages: packages and status messages the platform sends carry an
 * enveloped signature over the whole message (RSA-SHA256, exclusive C14N, the signing certificate in
 * KeyInfo) made with the sending unit's key from `SigningKeys`, the same certificate its PDFs are signed
 * with. A message received with a signature is checked before anything is read from it, and only what the
 * signature covers is read; one whose signature does not check out is refused (422). Most agencies do not
 * sign yet, so an unsigned message is accepted unless EDXML_REQUIRE_SIGNATURE is set, and the register
 * keeps whether and by whom a document was signed.
 */
export const XMLDSIG_NS = 'http://www.w3.org/2000/09/xmldsig#'

const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256'
const RSA_SHA512 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512'
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256'
const SHA512 = 'http://www.w3.org/2001/04/xmlenc#sha512'
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#'
const C14N = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315'
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature'

/** What is accepted from others: SHA-1 and HMAC are not (anyone could forge them, or they prove nothing). */
const SIGNATURE_METHODS: Record<string, string> = { [RSA_SHA256]: 'RSA-SHA256', [RSA_SHA512]: 'RSA-SHA512' }
const DIGEST_METHODS = [SHA256, SHA512]
const CANONICALIZATIONS = [EXC_C14N, `${EXC_C14N}WithComments`, C14N, `${C14N}#WithComments`]

/** Whether and by whom a received message was signed, as the register keeps it (`documents.edxml`). */
export type EdxmlSignature =
  | { signed: false }
  | {
      signed: true
      /** The certificate's subject, e.g. `CN=Văn phòng Chính phủ, O=000.00.00.G22`. */
      subject: string
      commonName: string
      organisation: string | null
      issuerName: string | null
      /** Upper-case hex. */
      serial: string
      /** ISO instants. */
      notBefore: string
      notAfter: string
      /** The certificate was within its validity when the message arrived. */
      validAtReceipt: boolean
      algorithm: string
      /**
       * The certificate chains (through the certificates the signature carries) to a CA the platform trusts
       * (`SigningKeys.trustAnchors()`: `SIGNING_DIR/trusted/*.pem`, and the trial CA in trial mode). Absent on
       * messages received before the platform checked it.
       */
      trusted?: boolean
    }

/** Thrown when a unit's key cannot make an XML signature of the kind edXML partners read (RSA-SHA256). */
export class EdxmlSigningKeyError extends AppError {
  constructor(unitName: string, algorithm: string) {
    super(
      503,
      'edxml_signing_key_unsupported',
      `Chứng thư số của ${unitName} dùng khóa ${algorithm}; chữ ký gói tin edXML cần khóa RSA (RSA-SHA256).`,
    )
  }
}

// ---------------------------------------------------------------------------------------------------------
// Signing

/**
 * The signature algorithm with the private key left inside the seal: xml-crypto hands it the canonical
 * SignedInfo and gets the base64 value back, so the key never leaves `SigningKeys` (an HSM could sign here).
 */
function sealAlgorithm(seal: Seal): new () => SignatureAlgorithm {
  return class SealRsaSha256 implements SignatureAlgorithm {
    getSignature(signedInfo: BinaryLike, _key?: unknown, callback?: ErrorFirstCallback<string>): string {
      const bytes =
        typeof signedInfo === 'string'
          ? Buffer.from(signedInfo, 'utf8')
          : Buffer.from(signedInfo as Uint8Array)
      const value = seal.sign(bytes).toString('base64')
      callback?.(null, value)
      return value
    }
    verifySignature(): boolean {
      throw new Error('a seal only signs')
    }
    getAlgorithmName() {
      return RSA_SHA256
    }
  }
}

/**
 * The message with an enveloped signature appended to its root: one Reference to the whole document
 * (URI ""), transforms enveloped-signature and exclusive C14N, SHA-256, RSA-SHA256, and the certificate in
 * KeyInfo/X509Data. The rest of the text is left as it was written.
 */
export function signEdxml(xml: string, seal: Seal, unitName = ''): string {
  if (seal.algorithm !== 'RSA-SHA256') throw new EdxmlSigningKeyError(unitName, seal.algorithm)
  const signature = new SignedXml({
    // xml-crypto wants a key to be present; the seal's algorithm above signs with the real one.
    privateKey: 'held-by-the-seal',
    publicCert: seal.certificatePem,
    signatureAlgorithm: RSA_SHA256,
    canonicalizationAlgorithm: EXC_C14N,
  })
  signature.SignatureAlgorithms = { [RSA_SHA256]: sealAlgorithm(seal) }
  signature.addReference({
    xpath: '/*',
    transforms: [ENVELOPED, EXC_C14N],
    digestAlgorithm: SHA256,
    isEmptyUri: true,
  })
  signature.computeSignature(xml, { location: { reference: '/*', action: 'append' } })
  // The signature goes where xml-crypto appended it (last in the root), into the text as it was written:
  // re-serialising would change the builder's escaping, not the content.
  const close = /<\/[^<>]+>\s*$/.exec(xml)
  return close
    ? `${xml.slice(0, close.index)}${signature.getSignatureXml()}${xml.slice(close.index)}`
    : signature.getSignedXml()
}

/** The key a unit signs with: the same PKCS#12 file as its PDFs (`outgoing.service.ts` issue). */
export function signingIdOf(unit: Pick<OrgUnit, 'agencyCode' | 'key' | 'id'>): string {
  return unit.agencyCode ?? unit.key ?? unit.id
}

/** Signs edXML messages in the name of a unit of the platform. */
export function edxmlSigner(signing: SigningKeys) {
  return {
    async sign(xml: string, unit: Pick<OrgUnit, 'agencyCode' | 'key' | 'id' | 'name'>): Promise<string> {
      return signEdxml(xml, await signing.sealFor(signingIdOf(unit), unit.name), unit.name)
    },
  }
}

export type EdxmlSigner = ReturnType<typeof edxmlSigner>

// ---------------------------------------------------------------------------------------------------------
// Verifying

type Checked =
  { ok: true; signature: EdxmlSignature; signedXml: string | null } | { ok: false; problem: string }

const refused = (problem: string): Checked => ({ ok: false, problem })

const childElements = (parent: Element, localName: string): Element[] =>
  Array.from(parent.childNodes).filter(
    (node): node is Element =>
      node.nodeType === 1 &&
      (node as Element).localName === localName &&
      (node as Element).namespaceURI === XMLDSIG_NS,
  )

const algorithmOf = (element: Element | undefined) => element?.getAttribute('Algorithm') ?? ''

/**
 * Checks the signature of a message that already passed the edXML reader (well-formed, no DOCTYPE). No
 * signature: `signed: false`. One signature, a child of the root, covering the whole message with accepted
 * algorithms, made by the key of the certificate it carries, over exactly these bytes: the certificate's
 * details and the canonical text the signature covers (`signedXml`), which is what must be read. Anything
 * else: the problem, in Vietnamese.
 */
export function checkEdxmlSignature(
  xml: string,
  at: Date,
  anchors: readonly X509Certificate[] = [],
): Checked {
  let root: Element | null
  try {
    root = new DOMParser({ onError: onErrorStopParsing }).parseFromString(
      xml,
      'application/xml',
    ).documentElement
  } catch {
    return refused('Không đọc được gói tin để kiểm tra chữ ký số.')
  }
  if (!root) return refused('Không đọc được gói tin để kiểm tra chữ ký số.')
  const all = Array.from(root.getElementsByTagNameNS(XMLDSIG_NS, 'Signature'))
  if (all.length === 0) return { ok: true, signature: { signed: false }, signedXml: null }
  if (all.length > 1)
    return refused('Gói tin có nhiều hơn một chữ ký số (Signature); chỉ chấp nhận một chữ ký.')
  const node = all[0]!
  if (node.parentNode !== root) {
    return refused('Chữ ký số (Signature) phải là phần tử con trực tiếp của phần tử gốc edXML.')
  }
  const [signedInfo, ...moreInfo] = childElements(node, 'SignedInfo')
  if (!signedInfo || moreInfo.length > 0) return refused('Chữ ký số thiếu hoặc thừa phần SignedInfo.')
  const method = algorithmOf(childElements(signedInfo, 'SignatureMethod')[0])
  if (!SIGNATURE_METHODS[method]) {
    return refused(
      `Chữ ký số dùng thuật toán "${method || '(trống)'}" không được chấp nhận; dùng RSA-SHA256 (${RSA_SHA256}).`,
    )
  }
  if (!CANONICALIZATIONS.includes(algorithmOf(childElements(signedInfo, 'CanonicalizationMethod')[0]))) {
    return refused(
      'Chữ ký số dùng phương pháp chuẩn hóa (CanonicalizationMethod) không được chấp nhận; dùng C14N loại trừ.',
    )
  }
  // The whole message, and nothing but the signature left out: a signature over a part would let the rest be
  // changed freely.
  const references = childElements(signedInfo, 'Reference')
  const reference = references[0]
  const transforms = reference
    ? childElements(childElements(reference, 'Transforms')[0] ?? reference, 'Transform').map(algorithmOf)
    : []
  if (
    references.length !== 1 ||
    reference!.getAttribute('URI') !== '' ||
    transforms.length !== 2 ||
    transforms[0] !== ENVELOPED ||
    !CANONICALIZATIONS.includes(transforms[1]!)
  ) {
    return refused(
      'Chữ ký số phải bao trùm toàn bộ gói tin: một Reference URI="" với các biến đổi enveloped-signature và C14N.',
    )
  }
  if (!DIGEST_METHODS.includes(algorithmOf(childElements(reference!, 'DigestMethod')[0]))) {
    return refused('Chữ ký số dùng hàm băm không được chấp nhận; dùng SHA-256.')
  }
  const keyInfo = childElements(node, 'KeyInfo')[0]
  const [x509, ...carried] = keyInfo
    ? Array.from(keyInfo.getElementsByTagNameNS(XMLDSIG_NS, 'X509Certificate'))
    : []
  const base64 = (x509?.textContent ?? '').replace(/\s+/g, '')
  if (!base64)
    return refused('Chữ ký số không kèm chứng thư số của người ký (KeyInfo/X509Data/X509Certificate).')
  let certificate: X509Certificate
  let details: ReturnType<typeof describeCertificate>
  try {
    const der = Buffer.from(base64, 'base64')
    certificate = new X509Certificate(der)
    details = describeCertificate(der)
  } catch {
    return refused('Chứng thư số kèm theo chữ ký (X509Certificate) không đọc được.')
  }
  if (certificate.publicKey.asymmetricKeyType !== 'rsa') {
    return refused('Chứng thư số kèm theo chữ ký không phải khóa RSA, không khớp với thuật toán ký.')
  }

  const verifier = new SignedXml({ publicCert: certificate.toString() })
  let intact: boolean
  try {
    verifier.loadSignature(node)
    intact = verifier.checkSignature(xml)
  } catch (error) {
    // The references matched but the value was not made by this certificate's key.
    if (error instanceof Error && error.message.startsWith('invalid signature: the signature value')) {
      return refused(
        'Chữ ký số không khớp với chứng thư số kèm theo: gói tin không được ký bằng khóa của chứng thư này.',
      )
    }
    return refused('Chữ ký số không đúng cấu trúc XML Signature nên không kiểm tra được.')
  }
  const [signedXml] = verifier.getSignedReferences()
  if (!intact || signedXml === undefined) {
    return refused('Nội dung gói tin đã bị thay đổi sau khi ký: chữ ký số không còn khớp với nội dung.')
  }
  const { commonName, organisation, issuerName, serial, notBefore, notAfter } = details
  return {
    ok: true,
    signature: {
      signed: true,
      subject: [`CN=${commonName}`, ...(organisation ? [`O=${organisation}`] : [])].join(', '),
      commonName,
      organisation,
      issuerName,
      serial,
      notBefore: notBefore.toISOString(),
      notAfter: notAfter.toISOString(),
      validAtReceipt: notBefore <= at && at <= notAfter,
      algorithm: SIGNATURE_METHODS[method],
      trusted: chainsToAnchor(certificate, readCertificates(carried), anchors, at),
    },
    signedXml,
  }
}

/** The further certificates KeyInfo carries (intermediate CAs); unreadable ones are left out. */
function readCertificates(elements: Element[]): X509Certificate[] {
  const read: X509Certificate[] = []
  for (const element of elements.slice(0, 5)) {
    try {
      read.push(new X509Certificate(Buffer.from((element.textContent ?? '').replace(/\s+/g, ''), 'base64')))
    } catch {
      // Not a certificate: it cannot help the chain.
    }
  }
  return read
}

const inForce = (certificate: X509Certificate, at: Date) =>
  new Date(certificate.validFrom) <= at && at <= new Date(certificate.validTo)

/** `issuer` is a CA certificate that issued and signed `certificate`. */
const issued = (certificate: X509Certificate, issuer: X509Certificate) =>
  issuer.ca && certificate.checkIssued(issuer) && certificate.verify(issuer.publicKey)

/**
 * Whether `leaf` leads, through CA certificates among `carried`, to one of `anchors`, every certificate on the
 * way in force at `at`. Revocation (CRL/OCSP) is not checked, as for PDF signatures.
 */
export function chainsToAnchor(
  leaf: X509Certificate,
  carried: readonly X509Certificate[],
  anchors: readonly X509Certificate[],
  at: Date,
): boolean {
  let current = leaf
  for (let depth = 0; depth < 6; depth++) {
    if (!inForce(current, at)) return false
    if (anchors.some((anchor) => anchor.fingerprint256 === current.fingerprint256)) return true
    const anchor = anchors.find((candidate) => issued(current, candidate))
    if (anchor) return inForce(anchor, at)
    const next = carried.find((candidate) => candidate !== current && issued(current, candidate))
    if (!next) return false
    current = next
  }
  return false
}

export type SignaturePolicy = {
  /** EDXML_REQUIRE_SIGNATURE: refuse messages without a signature. */
  requireSignature: boolean
  /** The CAs whose certificates are trusted (`SigningKeys.trustAnchors()`, the same list as for PDFs). */
  anchors: readonly X509Certificate[]
  /** EDXML_REQUIRE_TRUSTED_SIGNER: refuse signed messages whose certificate chains to none of them. */
  requireTrustedSigner: boolean
  now: Date
}

/** A signature problem: 422 with the reason, like every other reason a package is refused. */
function refuse(what: string, problem: string): never {
  throw new ValidationError({ edxml: problem }, `${what} không được tiếp nhận: ${problem}`)
}

function checked(xml: string, policy: SignaturePolicy, what: string) {
  const check = checkEdxmlSignature(xml, policy.now, policy.anchors)
  if (!check.ok) return refuse(what, check.problem)
  if (check.signature.signed && !check.signature.trusted && policy.requireTrustedSigner) {
    refuse(
      what,
      `Chứng thư số của người ký (${check.signature.subject}) không do tổ chức chứng thực được nền tảng tin cậy cấp, hoặc đã hết hiệu lực. Quản trị viên thêm chứng thư CA của cơ quan gửi vào thư mục SIGNING_DIR/trusted.`,
    )
  }
  if (!check.signature.signed && policy.requireSignature) {
    refuse(
      what,
      'Gói tin chưa được ký số. Nền tảng chỉ nhận gói tin edXML có chữ ký số XML (XMLDSig) hợp lệ của cơ quan gửi.',
    )
  }
  return check
}

/**
 * `parseEnvelope` with the signature: problems of the envelope as the reader lists them (the caller answers
 * 400 or 422 as before); a broken signature, or none when one is required, refused here with 422. A signed
 * package is read from what its signature covers.
 */
export function readSignedEnvelope(
  xml: string,
  policy: SignaturePolicy,
):
  | { ok: true; package: Required<EdxmlPackage>; signature: EdxmlSignature }
  | { ok: false; problems: string[] } {
  const parsed = parseEnvelope(xml)
  if (!parsed.ok) return parsed
  const check = checked(xml, policy, 'Gói tin edXML')
  if (check.signedXml === null) return { ...parsed, signature: check.signature }
  const signed = parseEnvelope(check.signedXml)
  return signed.ok ? { ...signed, signature: check.signature } : signed
}

/** `parseStatusMessage` with the signature, as `readSignedEnvelope`. */
export function readSignedStatusMessage(
  xml: string,
  policy: SignaturePolicy,
): { ok: true; status: EdxmlStatus; signature: EdxmlSignature } | { ok: false; problems: string[] } {
  const parsed = parseStatusMessage(xml)
  if (!parsed.ok) return parsed
  const check = checked(xml, policy, 'Thông báo trạng thái edXML')
  if (check.signedXml === null) return { ...parsed, signature: check.signature }
  const signed = parseStatusMessage(check.signedXml)
  return signed.ok ? { ...signed, signature: check.signature } : signed
}

// ---------------------------------------------------------------------------------------------------------
// Showing it

export const EdxmlSignatureSchema = Type.Union(
  [
    Type.Object({ signed: Type.Literal(false) }),
    Type.Object({
      signed: Type.Literal(true),
      subject: Type.String({ description: 'Chủ thể chứng thư số, ví dụ CN=…, O=…' }),
      commonName: Type.String(),
      organisation: Type.Union([Type.String(), Type.Null()]),
      issuerName: Type.Union([Type.String(), Type.Null()]),
      serial: Type.String(),
      notBefore: Type.String(),
      notAfter: Type.String(),
      validAtReceipt: Type.Boolean({ description: 'Chứng thư còn hiệu lực khi nhận gói tin' }),
      algorithm: Type.String(),
      trusted: Type.Optional(
        Type.Boolean({
          description:
            'Chứng thư dẫn tới một CA được tin cậy (các tệp .pem trong SIGNING_DIR/trusted, như khi kiểm tra PDF ký số); không có ở văn bản nhận trước khi nền tảng kiểm tra',
        }),
      ),
    }),
    Type.Null(),
  ],
  {
    description:
      'Chữ ký số XML của gói tin edXML đã nhận: signed=false khi gói tin không ký; null khi văn bản không nhận qua edXML (hoặc nhận trước khi nền tảng kiểm tra chữ ký)',
  },
)

/** What a received document keeps of the envelope (`documents.edxml`, `EdxmlExtra`), as far as it matters here. */
type Kept = { signature?: EdxmlSignature } | null

/** For the document's JSON: null when nothing was recorded. */
export function edxmlSignatureJson(extra: Kept): EdxmlSignature | null {
  return extra?.signature ?? null
}

const messages = defineMessages(
  {
    label: 'Chữ ký số của gói tin edXML',
    unsigned: 'Không có chữ ký số (cơ quan gửi không ký gói tin).',
    signed: 'Chữ ký số hợp lệ: {subject}; chứng thư do {issuer} cấp, hiệu lực từ {from} đến {to}.',
    outOfValidity: 'Chứng thư không còn (hoặc chưa có) hiệu lực khi nhận gói tin.',
    trusted: 'Chứng thư do tổ chức chứng thực được nền tảng tin cậy cấp.',
    untrusted:
      'Lưu ý: chứng thư không do tổ chức chứng thực nào trong danh sách tin cậy của nền tảng cấp; chữ ký chỉ chứng minh gói tin không bị sửa, chưa xác định được cơ quan ký.',
    unknownIssuer: '(không rõ)',
  },
  {
    label: 'Signature of the edXML package',
    unsigned: 'Not signed (the sender did not sign the package).',
    signed: 'Valid signature: {subject}; certificate issued by {issuer}, valid from {from} to {to}.',
    outOfValidity: 'The certificate was not valid when the package arrived.',
    trusted: 'The certificate was issued by a certification authority the platform trusts.',
    untrusted:
      'Note: the certificate was not issued by any certification authority the platform trusts; the signature proves the package was not changed, not who signed it.',
    unknownIssuer: '(unknown)',
  },
)

/** The row of the incoming document's page: its label and text, or null when nothing was recorded. */
export function signatureRow(extra: Kept, lang: Lang): { label: string; text: string } | null {
  const signature = extra?.signature
  if (!signature) return null
  const t = translator(messages, lang)
  if (!signature.signed) return { label: t('label'), text: t('unsigned') }
  const text = t('signed', {
    subject: signature.subject,
    issuer: signature.issuerName ?? t('unknownIssuer'),
    from: formatDay(signature.notBefore.slice(0, 10), lang),
    to: formatDay(signature.notAfter.slice(0, 10), lang),
  })
  const parts = [text]
  if (!signature.validAtReceipt) parts.push(t('outOfValidity'))
  if (signature.trusted !== undefined) parts.push(t(signature.trusted ? 'trusted' : 'untrusted'))
  return { label: t('label'), text: parts.join(' ') }
}
