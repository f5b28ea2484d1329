export {
  AlreadySignedError,
  describeCertificate,
  UnreadablePdfError,
  P12PdfSigner,
  PadesPdfSigner,
  SigningKeyUnreadableError,
  type CertificateInfo,
  type PadesOptions,
  type PdfSigner,
  type SignatureInfo,
} from './pdf-signer.js'
export {
  InvalidUnitCodeError,
  SigningKeyMissingError,
  SigningKeys,
  type Seal,
  type SigningKeysOptions,
} from './signing-keys.js'
export { TEST_CA_NAME } from './test-certificates.js'
export { verifyPdf, type SignatureCheck, type VerifyResult } from './verify.js'
