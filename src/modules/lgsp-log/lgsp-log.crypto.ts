import {
  createCipheriv,
  createDecipheriv,
  createHash,
  hkdfSync,
  randomBytes,
  verify as verifySignature,
  X509Certificate,
} from 'node:crypto'
import { canonicalJson } from '../../platform/audit/audit.js'
import type { ExchangeColumns } from './lgsp-log.tables.js'

export const GENESIS_HASH = '0'.repeat(64)
const BODY_FORMAT = 1

export type BodyPart = 'request' | 'response'

const bodyKeys = new Map<string, Buffer>()

/**
 * The AES-256-GCM key bodies are kept under; changing SECRET_KEY makes kept bodies unreadable. Derived once
 * per secret: HKDF costs more than encrypting a body, and the gateway records every exchange.
 */
function bodyKey(secretKey: string): Buffer {
  let key = bodyKeys.get(secretKey)
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', secretKey, 'cao-bang-platform', 'lgsp-log.bodies.v1', 32))
    bodyKeys.set(secretKey, key)
  }
  return key
}

/** The message id and the part are authenticated with the body, so a body moved to another entry fails. */
function associatedData(messageId: string, part: BodyPart): Buffer {
  return Buffer.from(`${messageId}\n${part}`, 'utf8')
}

/** format (1) | iv (12) | tag (16) | ciphertext. */
export function encryptBody(body: Uint8Array, secretKey: string, messageId: string, part: BodyPart): Buffer {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', bodyKey(secretKey), iv)
  cipher.setAAD(associatedData(messageId, part))
  const encrypted = Buffer.concat([cipher.update(body), cipher.final()])
  return Buffer.concat([Buffer.from([BODY_FORMAT]), iv, cipher.getAuthTag(), encrypted])
}

/** Throws when the key is not the one it was kept under, or when the stored bytes were changed. */
export function decryptBody(
  stored: Uint8Array,
  secretKey: string,
  messageId: string,
  part: BodyPart,
): Buffer {
  const bytes = Buffer.from(stored)
  if (bytes.length < 29 || bytes[0] !== BODY_FORMAT) throw new Error('unknown body format')
  const decipher = createDecipheriv('aes-256-gcm', bodyKey(secretKey), bytes.subarray(1, 13))
  decipher.setAAD(associatedData(messageId, part))
  decipher.setAuthTag(bytes.subarray(13, 29))
  return Buffer.concat([decipher.update(bytes.subarray(29)), decipher.final()])
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex')
}

/** The SHA-256 of a body, base64: what the gateway sends in `X-Road-Request-Hash`. */
export function sha256Base64(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('base64')
}

/** An entry as its hash sees it: the encrypted bodies by their SHA-256 (hex), so verifying never reads them. */
export type ChainedFields = Omit<ExchangeColumns, 'request_body' | 'response_body'> & {
  seq: number
  request_body_sha256: string | null
  response_body_sha256: string | null
}

/**
 * The bytes an entry's hash covers: every field, the encrypted bodies by their digest (so a large body is not
 * copied into the text), times as ISO strings. Keys are sorted, so the order columns come back in is moot.
 */
export function canonicalEntry(entry: ChainedFields): string {
  return canonicalJson({
    seq: Number(entry.seq),
    messageId: entry.message_id,
    requestId: entry.request_id,
    client: entry.client,
    service: entry.service,
    tokenClientId: entry.token_client_id,
    method: entry.method,
    path: entry.path,
    status: entry.status,
    errorCode: entry.error_code,
    startedAt: entry.started_at.toISOString(),
    finishedAt: entry.finished_at.toISOString(),
    recordedAt: entry.recorded_at.toISOString(),
    requestHash: entry.request_hash,
    responseHash: entry.response_hash,
    requestBytes: Number(entry.request_bytes),
    responseBytes: Number(entry.response_bytes),
    requestBody: entry.request_body_sha256,
    responseBody: entry.response_body_sha256,
  })
}

export function entryHash(prevHash: string, entry: ChainedFields): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonicalEntry(entry)).digest('hex')
}

export type BatchHeader = {
  batchNo: number
  firstSeq: number
  lastSeq: number
  lastHash: string
  signedAt: Date
}

/** What a batch signature covers: the batch's place in the chain and the hash of its last entry. */
export function batchSignedBytes(batch: BatchHeader): Buffer {
  return Buffer.from(
    `cb-lgsp-log-batch/v1\n${canonicalJson({ ...batch, signedAt: batch.signedAt.toISOString() })}`,
    'utf8',
  )
}

export type ArchiveHeader = {
  firstBatch: number
  lastBatch: number
  firstSeq: number
  lastSeq: number
  lastHash: string
  entries: number
  fileName: string
  fileSha256: string
  archivedAt: Date
}

/** What the signature of an archive record covers: which batches left the database, into which file. */
export function archiveSignedBytes(archive: ArchiveHeader): Buffer {
  return Buffer.from(
    `cb-lgsp-log-archive/v1\n${canonicalJson({ ...archive, archivedAt: archive.archivedAt.toISOString() })}`,
    'utf8',
  )
}

export function certificateFingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256.replaceAll(':', '').toLowerCase()
}

/** Checks a detached signature made by `Seal.sign` (SHA-256 with the certificate's RSA or EC key). */
export function signatureValid(certificatePem: string, data: Uint8Array, signatureBase64: string): boolean {
  try {
    const { publicKey } = new X509Certificate(certificatePem)
    return verifySignature('sha256', data, publicKey, Buffer.from(signatureBase64, 'base64'))
  } catch {
    return false
  }
}

/**
 * Whether a certificate that signed batches is one to believe: the platform's current one, one in the trust
 * list, or one issued by a certificate in the trust list (a CA or an intermediate put there). Without this,
 * anyone able to write the tables could re-sign a changed chain with a key of their own.
 */
export function certificateTrusted(pem: string, anchors: X509Certificate[], current: string | null): boolean {
  let certificate: X509Certificate
  try {
    certificate = new X509Certificate(pem)
  } catch {
    return false
  }
  const same = (other: X509Certificate) => other.fingerprint256 === certificate.fingerprint256
  if (current && same(new X509Certificate(current))) return true
  if (anchors.some(same)) return true
  return anchors.some(
    (anchor) => anchor.ca && certificate.checkIssued(anchor) && certificate.verify(anchor.publicKey),
  )
}
