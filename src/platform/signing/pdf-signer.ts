import { readFile } from 'node:fs/promises'
import { pdflibAddPlaceholder } from '@signpdf/placeholder-pdf-lib'
import { SignPdf } from '@signpdf/signpdf'
import { P12Signer } from '@signpdf/signer-p12'
import { SUBFILTER_ETSI_CADES_DETACHED, type Signer } from '@signpdf/utils'
import forge from 'node-forge'
import { PDFArray, PDFDict, PDFDocument, PDFHexString, PDFName, PDFNumber, PDFString } from 'pdf-lib'
import { systemClock, type Clock } from '../clock.js'
import { AppError } from '../http/errors.js'
import { isAsciiName, OID, parseCertificate } from './der.js'
import { appendUpdate, IncrementalUpdateError } from './incremental.js'
import { fromP12 } from './p12.js'

/** What the signature panel of a PDF reader shows besides the signer. */
export type SignatureInfo = {
  /** Lý do ký, e.g. "Phê duyệt kết quả giải quyết hồ sơ". */
  reason: string
  /** Nơi ký, e.g. "Cao Bằng". */
  location: string
  contactInfo?: string
  /** The signer's name in the signature dictionary; the certificate's common name when omitted. */
  signerName?: string
}

export type CertificateInfo = {
  commonName: string
  organisation: string | null
  issuerName: string | null
  /** Upper-case hex, as certificate viewers show it. */
  serial: string
  notBefore: Date
  notAfter: Date
}

/**
 * Signs PDFs for one holder of a certificate. The PKCS#12 file is the first implementation; a USB token,
 * an HSM or a remote signing service (VNPT-CA, Viettel-CA, Ban Cơ yếu Chính phủ) implements the same
 * interface, usually by giving `PadesPdfSigner` its own CMS-producing `Signer` (see README.md).
 */
export interface PdfSigner {
  readonly certificate: CertificateInfo
  /**
   * Returns the signed file. A PDFDocument passed in gets the signature field added to it, so do not
   * save or sign it again afterwards.
   */
  sign(pdf: PDFDocument | Uint8Array, info: SignatureInfo): Promise<Uint8Array>
  /**
   * Signs by an incremental update: the original bytes stay as they are, so signatures already in the file
   * stay valid (a second signature, e.g. the unit's after the leader's). `edit` may change the document first
   * (the issue number written on the page); only the objects it changes are appended.
   */
  signAppending(
    original: Uint8Array,
    info: SignatureInfo,
    edit?: (doc: PDFDocument) => Promise<void> | void,
  ): Promise<Uint8Array>
}

/**
 * Thrown when asked to sign, as a pdf-lib document, a PDF that already carries a signature: saving the document
 * rewrites the whole file and would break that signature. Pass the file's bytes instead (an incremental update).
 */
export class AlreadySignedError extends AppError {
  constructor() {
    super(
      409,
      'already_signed',
      'Tài liệu này đã được ký số; chữ ký tiếp theo phải được thêm vào tệp gốc (cập nhật tăng dần), không ghi lại tệp.',
    )
  }
}

/** Thrown when a PDF cannot be read to sign (not a PDF, damaged, encrypted, or no cross-reference to append to). */
export class UnreadablePdfError extends AppError {
  constructor() {
    super(
      422,
      'pdf_unreadable',
      'Không ký được tệp PDF này (tệp có mật khẩu hoặc cấu trúc tệp hỏng). Hãy lưu lại thành PDF thường rồi tải lên lại.',
    )
  }
}

/** Thrown when a PKCS#12 file cannot be used: wrong passphrase, corrupt file, no key, or an issuer it cannot sign under. */
export class SigningKeyUnreadableError extends AppError {
  constructor(source: string, reason: string) {
    super(503, 'signing_key_unreadable', `Không dùng được khoá ký số ${source}: ${reason}.`, { source })
  }
}

// Room for the CMS: a 2048/4096-bit signature with a chain of three certificates fits in 8 KB; a remote
// signer that adds a timestamp token or OCSP responses should ask for more.
const DEFAULT_SIGNATURE_BYTES = 8192

export type PadesOptions = {
  clock?: Clock
  /** Room reserved for the CMS, in bytes (default 8 KB). */
  signatureBytes?: number
}

/**
 * PAdES-style signing (subFilter ETSI.CAdES.detached, SHA-256) with an invisible signature field. The
 * CMS itself comes from `createCms()`, a fresh `Signer` per signature: that is the one step an HSM or
 * a remote signing service replaces.
 */
export class PadesPdfSigner implements PdfSigner {
  private readonly clock: Clock
  private readonly signatureBytes: number

  constructor(
    readonly certificate: CertificateInfo,
    private readonly createCms: () => Signer,
    options: PadesOptions = {},
  ) {
    this.clock = options.clock ?? systemClock
    this.signatureBytes = options.signatureBytes ?? DEFAULT_SIGNATURE_BYTES
  }

  async sign(pdf: PDFDocument | Uint8Array, info: SignatureInfo): Promise<Uint8Array> {
    const doc = pdf instanceof PDFDocument ? pdf : await loadPdf(pdf)
    if (hasSignatures(doc)) {
      if (pdf instanceof PDFDocument) throw new AlreadySignedError()
      return this.signAppending(pdf, info)
    }
    const signingTime = this.clock()
    this.addPlaceholder(doc, info, signingTime)
    const unsigned = Buffer.from(await doc.save())
    return this.finish(unsigned, signingTime)
  }

  async signAppending(
    original: Uint8Array,
    info: SignatureInfo,
    edit?: (doc: PDFDocument) => Promise<void> | void,
  ): Promise<Uint8Array> {
    const signingTime = this.clock()
    let unsigned: Buffer
    try {
      unsigned = await appendUpdate(original, async (doc) => {
        await edit?.(doc)
        this.addPlaceholder(doc, info, signingTime)
      })
    } catch (error) {
      if (error instanceof IncrementalUpdateError || isParseError(error)) throw new UnreadablePdfError()
      throw error
    }
    return this.finish(unsigned, signingTime)
  }

  private addPlaceholder(doc: PDFDocument, info: SignatureInfo, signingTime: Date) {
    const taken = fieldNames(doc)
    pdflibAddPlaceholder({
      pdfDoc: doc,
      reason: pdfText(info.reason),
      location: pdfText(info.location),
      contactInfo: pdfText(info.contactInfo ?? ''),
      name: pdfText(info.signerName ?? this.certificate.commonName),
      signingTime,
      // The placeholder is counted in hex digits, two per byte of CMS.
      signatureLength: 2 * this.signatureBytes,
      subFilter: SUBFILTER_ETSI_CADES_DETACHED,
      appName: 'Nen tang chinh quyen so tinh Cao Bang',
    })
    // The library names every field "Signature1"; a second field of the same name would be the same field.
    const fields = doc.catalog.lookup(PDFName.of('AcroForm'), PDFDict).lookup(PDFName.of('Fields'), PDFArray)
    const widget = doc.context.lookup(fields.get(fields.size() - 1), PDFDict)
    let n = 1
    while (taken.has(`Signature${n}`)) n++
    widget.set(PDFName.of('T'), PDFString.of(`Signature${n}`))
  }

  private async finish(unsigned: Buffer, signingTime: Date): Promise<Uint8Array> {
    const signed = await new SignPdf().sign(unsigned, this.createCms(), signingTime)
    return new Uint8Array(signed.buffer, signed.byteOffset, signed.byteLength)
  }
}

async function loadPdf(bytes: Uint8Array): Promise<PDFDocument> {
  try {
    return await PDFDocument.load(bytes, { updateMetadata: false })
  } catch (error) {
    if (isParseError(error)) throw new UnreadablePdfError()
    throw error
  }
}

/** pdf-lib's errors for a file it cannot read (parse errors, encryption). */
const isParseError = (error: unknown) =>
  error instanceof Error && /parse|encrypted|PDF header|trailer|xref/i.test(error.message)

/** The names of the form's top-level fields. */
function fieldNames(doc: PDFDocument): Set<string> {
  const form = doc.catalog.lookupMaybe(PDFName.of('AcroForm'), PDFDict)
  const fields = form?.lookupMaybe(PDFName.of('Fields'), PDFArray)
  const names = new Set<string>()
  for (let i = 0; i < (fields?.size() ?? 0); i++) {
    const field = fields!.lookupMaybe(i, PDFDict)
    const name = field?.lookupMaybe(PDFName.of('T'), PDFString, PDFHexString)
    if (name) names.add(name.decodeText())
  }
  return names
}

/** Signs with a key and certificate chain from a PKCS#12 (.p12/.pfx) file. */
export class P12PdfSigner extends PadesPdfSigner {
  /**
   * Opens the file once, so a wrong passphrase fails here rather than halfway through a signature;
   * the bytes are kept because a P12Signer can sign only once and is made anew for each signature.
   */
  constructor(p12: Uint8Array, passphrase: string, options: PadesOptions & { source?: string } = {}) {
    const source = options.source ?? '(PKCS#12)'
    const bytes = Buffer.from(p12)
    super(readP12Certificate(bytes, passphrase, source), () => new P12Signer(bytes, { passphrase }), options)
  }

  static async fromFile(path: string, passphrase: string, options: PadesOptions = {}): Promise<P12PdfSigner> {
    return new P12PdfSigner(await readFile(path), passphrase, { ...options, source: path })
  }
}

/** The certificate that matches the private key, described; the rest of the chain travels in the CMS. */
function readP12Certificate(p12: Buffer, passphrase: string, source: string): CertificateInfo {
  let certificate: forge.pki.Certificate
  try {
    certificate = fromP12(p12, passphrase).certificate
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error)
    throw new SigningKeyUnreadableError(
      source,
      `sai mật khẩu SIGNING_P12_PASSWORD hoặc tệp PKCS#12 hỏng (${detail})`,
    )
  }
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(certificate)).getBytes(), 'binary')
  // P12Signer (node-forge) re-encodes a non-ASCII issuer twice over in the CMS, so no reader finds the
  // signer's certificate: refuse now rather than hand out signatures that every reader rejects.
  if (!isAsciiName(parseCertificate(der).issuerDer)) {
    throw new SigningKeyUnreadableError(
      source,
      'tên tổ chức cấp chứng thư có ký tự ngoài ASCII, P12Signer chưa ký đúng được; dùng bộ ký HSM/ký số từ xa',
    )
  }
  return describeCertificate(der)
}

/** Read from the DER because node-forge hands UTF-8 names back undecoded. */
export function describeCertificate(der: Uint8Array): CertificateInfo {
  const parsed = parseCertificate(der)
  return {
    commonName: parsed.subject.get(OID.commonName) ?? '',
    organisation: parsed.subject.get(OID.organisation) ?? null,
    issuerName: parsed.issuer.get(OID.commonName) ?? null,
    serial: parsed.serial,
    notBefore: parsed.notBefore,
    notAfter: parsed.notAfter,
  }
}

function hasSignatures(doc: PDFDocument): boolean {
  const form = doc.catalog.lookupMaybe(PDFName.of('AcroForm'), PDFDict)
  const flags = form?.lookupMaybe(PDFName.of('SigFlags'), PDFNumber)
  return flags !== undefined && (flags.asNumber() & 1) === 1
}

/**
 * A PDF text string for the signature dictionary: UTF-16BE with its byte-order mark, every byte written
 * as an octal escape. The placeholder library copies the string byte for byte, which would cut
 * Vietnamese letters to their low byte, and a raw "(" or ")" byte would end the string early.
 */
export function pdfText(text: string): string {
  if (!text) return ''
  const utf16 = Buffer.from(`\ufeff${text.normalize('NFC')}`, 'utf16le').swap16()
  return Array.from(utf16, (byte) => `\\${byte.toString(8).padStart(3, '0')}`).join('')
}
