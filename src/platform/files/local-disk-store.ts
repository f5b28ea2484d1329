import { createHash, randomUUID } from 'node:crypto'
import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises'
import { dirname, join, resolve, sep } from 'node:path'
import type { Readable } from 'node:stream'
import {
  assertValidKey,
  ObjectNotFound,
  ObjectStoreError,
  type ObjectInfo,
  type ObjectStore,
  type PutMeta,
} from './object-store.js'

type StoredMeta = { contentType: string; sha256: string }

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT'

/**
 * Objects as plain files under rootDir (DATA_DIR/files by default, which no web server serves).
 * Content type and hash sit beside them in rootDir/.meta; bodies are written to rootDir/.tmp and
 * renamed into place, so a crash leaves at most a stray temporary file, never half an object.
 */
export class LocalDiskStore implements ObjectStore {
  readonly kind = 'local'
  readonly rootDir: string

  constructor(rootDir: string) {
    this.rootDir = resolve(rootDir)
  }

  private pathOf(key: string, area?: '.meta'): string {
    assertValidKey(key)
    const path = area ? join(this.rootDir, area, `${key}.json`) : join(this.rootDir, key)
    // The key pattern already forbids escaping; this holds even if that pattern is ever loosened.
    if (!path.startsWith(this.rootDir + sep)) throw new ObjectStoreError(`key escapes the store: ${key}`)
    return path
  }

  async put(key: string, body: Buffer | Readable, meta: PutMeta = {}) {
    const target = this.pathOf(key)
    const metaPath = this.pathOf(key, '.meta')
    const tmpDir = join(this.rootDir, '.tmp')
    await mkdir(tmpDir, { recursive: true })
    const tmp = join(tmpDir, `${randomUUID()}.part`)
    try {
      const hash = createHash('sha256')
      let size = 0
      const file = await open(tmp, 'wx', 0o600)
      try {
        for await (const chunk of Buffer.isBuffer(body) ? [body] : (body as AsyncIterable<Buffer>)) {
          hash.update(chunk)
          size += chunk.length
          await file.write(chunk)
        }
        await file.sync()
      } finally {
        await file.close()
      }
      const sha256 = hash.digest('hex')
      if (meta.size !== undefined && meta.size !== size) {
        throw new ObjectStoreError(`body of ${key} has ${size} bytes, expected ${meta.size}`)
      }
      if (meta.sha256 !== undefined && meta.sha256 !== sha256) {
        throw new ObjectStoreError(`body of ${key} does not match its SHA-256`)
      }
      // Metadata first: an object on disk always has its metadata, a crash in between leaves only
      // metadata that head() ignores.
      const stored: StoredMeta = { contentType: meta.contentType ?? 'application/octet-stream', sha256 }
      await writeDurably(metaPath, JSON.stringify(stored), tmpDir)
      await mkdir(dirname(target), { recursive: true })
      await rename(tmp, target)
      await syncDir(dirname(target))
      return { size, sha256 }
    } catch (error) {
      await unlink(tmp).catch(() => undefined)
      throw error
    }
  }

  async get(key: string): Promise<Readable> {
    const path = this.pathOf(key)
    // Opening first turns a missing file into ObjectNotFound here, not an error event later.
    const file = await open(path, 'r').catch((error: unknown) => {
      throw isMissing(error) ? new ObjectNotFound(key) : error
    })
    return file.createReadStream()
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const path = this.pathOf(key)
    const stats = await stat(path).catch((error: unknown) => {
      if (isMissing(error)) return undefined
      throw error
    })
    if (!stats) return undefined
    const meta = await readFile(this.pathOf(key, '.meta'), 'utf8')
      .then((text) => JSON.parse(text) as StoredMeta)
      .catch(() => undefined)
    return {
      key,
      size: stats.size,
      contentType: meta?.contentType ?? 'application/octet-stream',
      sha256: meta?.sha256,
      modifiedAt: stats.mtime,
    }
  }

  async delete(key: string): Promise<void> {
    for (const path of [this.pathOf(key), this.pathOf(key, '.meta')]) {
      await unlink(path).catch((error: unknown) => {
        if (!isMissing(error)) throw error
      })
    }
  }
}

/** Small files (metadata) get the same temp-fsync-rename treatment as bodies. */
async function writeDurably(path: string, text: string, tmpDir: string) {
  const tmp = join(tmpDir, `${randomUUID()}.part`)
  try {
    const file = await open(tmp, 'wx', 0o600)
    try {
      await file.writeFile(text)
      await file.sync()
    } finally {
      await file.close()
    }
    await mkdir(dirname(path), { recursive: true })
    await rename(tmp, path)
  } catch (error) {
    await unlink(tmp).catch(() => undefined)
    throw error
  }
  await syncDir(dirname(path))
}

/** A rename is durable only once its directory is synced. */
async function syncDir(dir: string) {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
