import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LocalDiskStore } from './local-disk-store.js'
import { InvalidObjectKey, ObjectNotFound, ObjectStoreError } from './object-store.js'
import { openObjectStore } from './open-object-store.js'

let dir: string
let store: LocalDiskStore
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cb-files-'))
  store = new LocalDiskStore(join(dir, 'files'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const read = async (stream: Readable) => {
  const chunks: Buffer[] = []
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks)
}
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')
const tmpFiles = () => (existsSync(join(dir, 'files/.tmp')) ? readdirSync(join(dir, 'files/.tmp')) : [])

describe('LocalDiskStore', () => {
  it('keeps a body with its type and hash, and gives it back', async () => {
    const body = Buffer.from('%PDF-1.7 tờ khai')
    expect(await store.put('ho-so/2026/a1.pdf', body, { contentType: 'application/pdf' })).toEqual({
      size: body.length,
      sha256: sha256(body),
    })
    expect(await read(await store.get('ho-so/2026/a1.pdf'))).toEqual(body)
    expect(await store.head('ho-so/2026/a1.pdf')).toMatchObject({
      key: 'ho-so/2026/a1.pdf',
      size: body.length,
      contentType: 'application/pdf',
      sha256: sha256(body),
    })
    expect(readFileSync(join(dir, 'files/ho-so/2026/a1.pdf'))).toEqual(body)
    expect(statSync(join(dir, 'files/ho-so/2026/a1.pdf')).mode & 0o077).toBe(0)
  })

  it('streams a body in and replaces an object atomically', async () => {
    const chunks = [Buffer.alloc(300_000, 1), Buffer.alloc(300_000, 2)]
    await store.put('scan/x', Readable.from(chunks))
    await store.put('scan/x', Readable.from([Buffer.from('v2')]), { size: 2 })
    expect(await read(await store.get('scan/x'))).toEqual(Buffer.from('v2'))
    expect((await store.head('scan/x'))?.contentType).toBe('application/octet-stream')
  })

  it('says an absent object is absent, and deletes idempotently', async () => {
    await expect(store.get('khong/co')).rejects.toBeInstanceOf(ObjectNotFound)
    expect(await store.head('khong/co')).toBeUndefined()
    await store.put('tam/xoa', Buffer.from('x'))
    await store.delete('tam/xoa')
    await store.delete('tam/xoa')
    expect(await store.head('tam/xoa')).toBeUndefined()
  })

  it('refuses keys that could leave its folder or that the platform would not make', async () => {
    for (const key of [
      '../x',
      '/etc/passwd',
      'a/../../b',
      'a/./b',
      'A.pdf',
      'a//b',
      '.meta/x',
      '.tmp/x',
      'a b',
      'a\\b',
      '',
      'x/',
    ]) {
      await expect(store.put(key, Buffer.from('x')), key).rejects.toBeInstanceOf(InvalidObjectKey)
      await expect(store.get(key), key).rejects.toBeInstanceOf(InvalidObjectKey)
    }
    expect(existsSync(join(dir, 'x'))).toBe(false)
  })

  it('keeps the old object when a new body fails midway, and leaves no temporary file', async () => {
    await store.put('giu/lai', Buffer.from('ban cu'))
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(100_000))
        this.destroy(new Error('client went away'))
      },
    })
    await expect(store.put('giu/lai', failing)).rejects.toThrow('client went away')
    await expect(store.put('giu/lai', Buffer.from('ngan'), { size: 100 })).rejects.toBeInstanceOf(
      ObjectStoreError,
    )
    await expect(
      store.put('giu/lai', Buffer.from('khac'), { sha256: sha256(Buffer.from('x')) }),
    ).rejects.toBeInstanceOf(ObjectStoreError)
    expect(await read(await store.get('giu/lai'))).toEqual(Buffer.from('ban cu'))
    expect(tmpFiles()).toEqual([])
  })

  it('never shows half a file under the key when the process dies during a write', async () => {
    const script = join(dir, 'writer.mts')
    const module = join(fileURLToPath(new URL('.', import.meta.url)), 'local-disk-store.ts')
    writeFileSync(
      script,
      `import { Readable } from 'node:stream'
       import { LocalDiskStore } from ${JSON.stringify(module)}
       const store = new LocalDiskStore(${JSON.stringify(join(dir, 'files'))})
       const body = new Readable({ read() {} })
       void store.put('dang/ghi', body)
       body.push(Buffer.alloc(1024 * 1024, 7))
       setTimeout(() => console.log('half written'), 200)`,
    )
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    await new Promise<void>((resolve) => child.stdout.on('data', () => resolve()))
    child.kill('SIGKILL')
    await new Promise((resolve) => child.once('exit', resolve))
    expect(await store.head('dang/ghi')).toBeUndefined()
    expect(existsSync(join(dir, 'files/dang/ghi'))).toBe(false)
    const leftovers = tmpFiles()
    expect(leftovers).toHaveLength(1)
    expect(statSync(join(dir, 'files/.tmp', leftovers[0]!)).size).toBe(1024 * 1024)
    rmSync(join(dir, 'files/.tmp', leftovers[0]!))
  })

  it('is what STORAGE=local opens, under DATA_DIR/files', () => {
    const opened = openObjectStore({ storage: 'local', s3: undefined, dataDir: '/srv/data' })
    expect(opened).toBeInstanceOf(LocalDiskStore)
    expect((opened as LocalDiskStore).rootDir).toBe('/srv/data/files')
  })
})
