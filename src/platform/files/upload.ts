import { createHash, randomUUID } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { AppError } from '../http/errors.js'
import { assertValidKey, type ObjectStore } from './object-store.js'
import type { MalwareScanner } from './scanner.js'
import { acceptUpload, formatBytes, SNIFF_BYTES } from './sniff.js'

export type UploadProblem = 'too_large' | 'empty' | 'type' | 'infected'

/** Thrown when an upload is refused; the message is written for the person who sent the file. */
export class UploadRejectedError extends AppError {
  constructor(
    readonly problem: UploadProblem,
    message: string,
    /** The scanner's name for what it found, for the log and the audit entry. */
    readonly signature?: string,
  ) {
    super(problem === 'too_large' ? 413 : 422, 'upload_rejected', message, { problem })
  }
}

export type StoredUpload = {
  key: string
  sha256: string
  size: number
  mime: string
  ext: string
  /** False when no scanner is configured: record it, so the file can be scanned later. */
  scanned: boolean
}

export type UploadOptions = {
  /** The name the sender gave; only its extension is used, and it appears in refusals. */
  name: string
  /** Extensions or MIME types, e.g. ['pdf', 'jpg', 'png']. */
  allowed: readonly string[]
  maxBytes: number
  /** The size the client declared, if any: refused before reading when already too large. */
  size?: number
  /** First segment of the object key; 'uploads' by default. */
  keyPrefix?: string
  /** Where the body waits while it is checked; the system temporary directory by default. */
  spoolDir?: string
  now?: Date
}

const shownName = (name: string) => name.split(/[\\/]/).pop() ?? name

/**
 * Reads an upload once into a private spool file while hashing it, enforcing the size limit and
 * sniffing its first bytes (refusing as soon as either fails); then scans it when a scanner is
 * configured, and only then puts it into the store under a new random key. A refused or failed
 * upload leaves nothing in the store. ScannerUnavailable from the scanner propagates: the upload is
 * refused, never kept unscanned.
 */
export async function storeUpload(
  store: ObjectStore,
  scanner: MalwareScanner | undefined,
  body: Readable | Buffer,
  options: UploadOptions,
): Promise<StoredUpload> {
  const source = Buffer.isBuffer(body) ? Readable.from([body]) : body
  const tooLarge = () =>
    new UploadRejectedError(
      'too_large',
      `Tệp "${shownName(options.name)}" vượt quá dung lượng cho phép ${formatBytes(options.maxBytes)}`,
    )
  if (options.size !== undefined && options.size > options.maxBytes) {
    source.destroy()
    throw tooLarge()
  }
  const prefix = options.keyPrefix ?? 'uploads'
  assertValidKey(prefix)

  const hash = createHash('sha256')
  let size = 0
  const head: Buffer[] = []
  let headLength = 0
  const check = () =>
    acceptUpload({
      name: options.name,
      head: Buffer.concat(head),
      allowed: options.allowed,
      maxBytes: options.maxBytes,
      size,
    })
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length
      if (size > options.maxBytes) return callback(tooLarge())
      hash.update(chunk)
      if (headLength < SNIFF_BYTES) {
        const part = chunk.subarray(0, SNIFF_BYTES - headLength)
        head.push(part)
        headLength += part.length
        // The head is complete: a file of the wrong type is refused before the rest is read.
        if (headLength === SNIFF_BYTES) {
          const verdict = check()
          if (!verdict.ok) return callback(new UploadRejectedError(verdict.problem, verdict.reason))
        }
      }
      callback(null, chunk)
    },
  })

  const spoolDir = options.spoolDir ?? tmpdir()
  await mkdir(spoolDir, { recursive: true })
  const spool = join(spoolDir, `cb-upload-${randomUUID()}`)
  try {
    await pipeline(source, meter, createWriteStream(spool, { flags: 'wx', mode: 0o600 }))
    const verdict = check()
    if (!verdict.ok) throw new UploadRejectedError(verdict.problem, verdict.reason)
    const sha256 = hash.digest('hex')

    if (scanner) {
      const result = await scanner.scan(createReadStream(spool))
      if (!result.clean) {
        throw new UploadRejectedError(
          'infected',
          `Tệp "${shownName(options.name)}" có chứa mã độc nên không được nhận`,
          result.signature,
        )
      }
    }

    const now = options.now ?? new Date()
    const month = `${now.getUTCFullYear()}/${String(now.getUTCMonth() + 1).padStart(2, '0')}`
    const key = `${prefix}/${month}/${randomUUID()}`
    await store.put(key, createReadStream(spool), { size, sha256, contentType: verdict.mime })
    return { key, sha256, size, mime: verdict.mime, ext: verdict.ext, scanned: scanner !== undefined }
  } finally {
    await rm(spool, { force: true })
  }
}
