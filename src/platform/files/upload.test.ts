import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { EICAR_SIGNATURE, eicar, skipWithoutClamd, startClamd, type Clamd } from '../../../test/clamd.js'
import { LocalDiskStore } from './local-disk-store.js'
import { ClamdScanner, ScannerUnavailable } from './scanner.js'
import { storeUpload, UploadRejectedError } from './upload.js'

const MB = 1024 * 1024
const PDF_HEAD = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n', 'latin1')
const PNG_HEAD = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex')
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')

const dir = mkdtempSync(join(tmpdir(), 'cb-upload-'))
const store = new LocalDiskStore(join(dir, 'files'))
const spoolDir = join(dir, 'spool')
mkdirSync(spoolDir)
afterAll(() => rmSync(dir, { recursive: true, force: true }))
beforeEach(() => rmSync(join(dir, 'files'), { recursive: true, force: true }))

/** Objects in the store (not its temporary or metadata folders). */
function storedKeys(root = join(dir, 'files'), prefix = ''): string[] {
  let entries
  try {
    entries = readdirSync(root, { withFileTypes: true })
  } catch {
    return []
  }
  return entries
    .filter((entry) => !entry.name.startsWith('.'))
    .flatMap((entry) =>
      entry.isDirectory()
        ? storedKeys(join(root, entry.name), `${prefix}${entry.name}/`)
        : [prefix + entry.name],
    )
}
const spoolFiles = () => readdirSync(spoolDir)

/** A body produced lazily, which records how much of it was ever read. */
function lazyBody(first: Buffer, totalBytes: number) {
  const counter = { pulled: 0 }
  const stream = Readable.from(
    (function* () {
      counter.pulled += first.length
      yield first
      while (counter.pulled < totalBytes) {
        counter.pulled += 64 * 1024
        yield Buffer.alloc(64 * 1024, 0x20)
      }
    })(),
  )
  return { stream, counter }
}

const pdf = (bytes: number) => Buffer.concat([PDF_HEAD, Buffer.alloc(bytes - PDF_HEAD.length, 0x20)])
const options = { allowed: ['pdf', 'jpg', 'png'], maxBytes: 10 * MB, spoolDir }

describe('storeUpload without a scanner', () => {
  it('keeps an accepted file under a new random key and says it was not scanned', async () => {
    const body = pdf(200_000)
    const stored = await storeUpload(store, undefined, Readable.from([body]), {
      ...options,
      name: 'to-khai.pdf',
      now: new Date('2026-05-04T10:00:00Z'),
    })
    expect(stored).toEqual({
      key: expect.stringMatching(/^uploads\/2026\/05\/[0-9a-f-]{36}$/),
      sha256: sha256(body),
      size: body.length,
      mime: 'application/pdf',
      ext: 'pdf',
      scanned: false,
    })
    expect(await store.head(stored.key)).toMatchObject({ size: body.length, contentType: 'application/pdf' })
    const again = await storeUpload(store, undefined, body, { ...options, name: 'to-khai.pdf' })
    expect(again.key).not.toBe(stored.key)
    expect(spoolFiles()).toEqual([])
  })

  it('refuses content that is not what the name says before reading the rest', async () => {
    const { stream, counter } = lazyBody(PNG_HEAD, 50 * MB)
    const error: unknown = await storeUpload(store, undefined, stream, { ...options, name: 'x.pdf' }).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(UploadRejectedError)
    expect(error).toMatchObject({
      problem: 'type',
      statusCode: 422,
      message: 'Tệp "x.pdf" có nội dung không phải PDF',
    })
    expect(counter.pulled).toBeLessThan(1 * MB)
    expect(storedKeys()).toEqual([])
    expect(spoolFiles()).toEqual([])
  })

  it('stops reading as soon as the file passes the limit', async () => {
    const { stream, counter } = lazyBody(PDF_HEAD, 200 * MB)
    const error: unknown = await storeUpload(store, undefined, stream, {
      ...options,
      name: 'ban-ve.pdf',
    }).catch((e: unknown) => e)
    expect(error).toMatchObject({
      problem: 'too_large',
      statusCode: 413,
      message: 'Tệp "ban-ve.pdf" vượt quá dung lượng cho phép 10 MB',
    })
    expect(counter.pulled).toBeLessThan(11 * MB)
    await expect(
      storeUpload(store, undefined, Readable.from([PDF_HEAD]), {
        ...options,
        name: 'a.pdf',
        size: 10 * MB + 1,
      }),
    ).rejects.toMatchObject({ problem: 'too_large' })
    expect(storedKeys()).toEqual([])
    expect(spoolFiles()).toEqual([])
  })

  it('accepts exactly the limit and refuses one byte more', async () => {
    const limit = { ...options, maxBytes: 300_000, name: 'scan.pdf' }
    await expect(storeUpload(store, undefined, pdf(300_000), limit)).resolves.toMatchObject({ size: 300_000 })
    await expect(storeUpload(store, undefined, pdf(300_001), limit)).rejects.toMatchObject({
      problem: 'too_large',
    })
    await expect(storeUpload(store, undefined, Buffer.alloc(0), limit)).rejects.toMatchObject({
      problem: 'empty',
    })
    expect(storedKeys()).toHaveLength(1)
  })
})

describe.skipIf(skipWithoutClamd)('storeUpload with clamd', () => {
  let clamd: Clamd
  let scanner: ClamdScanner
  beforeAll(async () => {
    clamd = await startClamd()
    scanner = new ClamdScanner({ host: clamd.host, port: clamd.port })
  })
  afterAll(() => clamd?.stop())

  it('scans a clean file and keeps it', async () => {
    const stored = await storeUpload(store, scanner, Readable.from([pdf(500_000)]), {
      ...options,
      name: 'cccd.pdf',
    })
    expect(stored.scanned).toBe(true)
    expect(storedKeys()).toEqual([stored.key])
  })

  it('refuses an infected file, whatever it is called, and keeps nothing', async () => {
    const infectedPdf = Buffer.concat([PDF_HEAD, eicar()])
    const error: unknown = await storeUpload(store, scanner, Readable.from([infectedPdf]), {
      ...options,
      name: 'giay-to.pdf',
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UploadRejectedError)
    expect(error).toMatchObject({
      problem: 'infected',
      signature: EICAR_SIGNATURE,
      message: 'Tệp "giay-to.pdf" có chứa mã độc nên không được nhận',
    })
    await expect(
      storeUpload(store, scanner, eicar(), { ...options, allowed: ['txt'], name: 'ghi-chu.txt' }),
    ).rejects.toMatchObject({
      problem: 'infected',
    })
    expect(storedKeys()).toEqual([])
    expect(spoolFiles()).toEqual([])
  })

  it('stores and scans a 10 MB upload', async () => {
    const body = pdf(10 * MB)
    const stored = await storeUpload(
      store,
      scanner,
      Readable.from([body.subarray(0, 5 * MB), body.subarray(5 * MB)]),
      {
        ...options,
        name: 'ho-so-day-du.pdf',
      },
    )
    expect(stored).toMatchObject({ size: 10 * MB, sha256: sha256(body), scanned: true })
  })

  it('refuses the upload, keeping nothing, when the configured scanner is down', async () => {
    const down = await startClamd()
    await down.stop()
    const unreachable = new ClamdScanner({ host: down.host, port: down.port })
    await expect(
      storeUpload(store, unreachable, pdf(1000), { ...options, name: 'a.pdf' }),
    ).rejects.toBeInstanceOf(ScannerUnavailable)
    expect(storedKeys()).toEqual([])
    expect(spoolFiles()).toEqual([])
  })
})
