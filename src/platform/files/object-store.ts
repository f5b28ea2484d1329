import type { Readable } from 'node:stream'

export type PutMeta = {
  contentType?: string
  /** When given, the store refuses a body of another length (a truncated stream). */
  size?: number
  /** Hex SHA-256; when given the store refuses a body with another hash, and S3 signs the payload with it. */
  sha256?: string
}

export type ObjectInfo = {
  key: string
  size: number
  contentType: string
  sha256: string | undefined
  modifiedAt: Date
}

/** Where file bodies live. Keys are chosen by the platform, never by the person uploading. */
export interface ObjectStore {
  readonly kind: 'local' | 's3'
  /** Writes the whole body or nothing: a reader never sees half an object under the key. */
  put(key: string, body: Buffer | Readable, meta?: PutMeta): Promise<{ size: number; sha256: string }>
  /** Throws ObjectNotFound when there is no such object. */
  get(key: string): Promise<Readable>
  head(key: string): Promise<ObjectInfo | undefined>
  /** Succeeds when the object is already gone. */
  delete(key: string): Promise<void>
}

/** Thrown when a stored object is asked for and there is none under the key. */
export class ObjectNotFound extends Error {
  constructor(readonly key: string) {
    super(`Không tìm thấy tệp đã lưu (object not found: ${key})`)
  }
}

/** Thrown when a key could escape the store's root or is not one the platform would make. */
export class InvalidObjectKey extends Error {
  constructor(readonly key: string) {
    super(`Khóa lưu trữ không hợp lệ (invalid object key: ${JSON.stringify(key.slice(0, 200))})`)
  }
}

/** Thrown when the store itself fails: the disk, the network, or a refusal from the S3 server. */
export class ObjectStoreError extends Error {}

// Segments start with a letter or digit, so '.', '..', hidden names and empty segments are impossible,
// and the store's own '.tmp' and '.meta' folders can never be addressed as keys.
const KEY = /^[a-z0-9][a-z0-9._-]*(?:\/[a-z0-9][a-z0-9._-]*)*$/

export function assertValidKey(key: string): void {
  if (key.length > 512 || !KEY.test(key)) throw new InvalidObjectKey(key)
}
