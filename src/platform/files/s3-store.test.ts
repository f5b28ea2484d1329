import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, request, type IncomingMessage, type Server } from 'node:http'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { S3Settings } from '../config.js'
import { ObjectNotFound, ObjectStoreError } from './object-store.js'
import { openObjectStore } from './open-object-store.js'
import { S3Store } from './s3-store.js'
import { signV4 } from './sigv4.js'

// s3rver is CommonJS without types.
type S3rverInstance = { run(): Promise<{ port: number }>; close(): Promise<void> }
const S3rver = createRequire(import.meta.url)('s3rver') as new (options: object) => S3rverInstance

// s3rver's own credentials; it checks the key id, the date and the payload-hash header.
const KEY_ID = 'S3RVER'
const SECRET = 'S3RVER'
const BUCKET = 'ho-so'

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')
const read = async (stream: Readable) => {
  const chunks: Buffer[] = []
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks)
}

/**
 * s3rver does not check SigV4 signatures ("V4 calculation is unimplemented" in its source), so requests
 * pass through this proxy first. It re-derives the signature from the request as it arrived on the wire
 * and checks the body against the signed payload hash, as S3 and MinIO do; the derivation itself is
 * pinned to AWS's published examples in sigv4.test.ts.
 */
function verifyingProxy(upstreamPort: number): Server {
  return createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const refuse = (code: string) => {
        res.writeHead(403, { 'content-type': 'application/xml' })
        res.end(
          `<?xml version="1.0"?><Error><Code>${code}</Code><Message>refused by the test proxy</Message></Error>`,
        )
      }
      const auth =
        /^AWS4-HMAC-SHA256 Credential=([^/]+)\/\d{8}\/([^/]+)\/s3\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
          req.headers.authorization ?? '',
        )
      if (!auth) return refuse('AuthorizationHeaderMalformed')
      const [, keyId, region, signedHeaders, signature] = auth
      const payloadHash = String(req.headers['x-amz-content-sha256'])
      if (payloadHash !== sha256(body)) return refuse('XAmzContentSHA256Mismatch')
      const headers = Object.fromEntries(
        signedHeaders!.split(';').map((name) => [name, String(req.headers[name])]),
      )
      const expected = signV4(
        { method: req.method!, url: new URL(req.url!, `http://${req.headers.host}`), headers, payloadHash },
        { accessKeyId: keyId!, secretAccessKey: SECRET, region: region!, service: 's3' },
        new Date(),
      )
      if (expected.signature !== signature) return refuse('SignatureDoesNotMatch')
      const upstream = request(
        { host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers },
        (response: IncomingMessage) => {
          res.writeHead(response.statusCode ?? 502, response.headers)
          response.pipe(res)
        },
      )
      upstream.end(body)
    })
  })
}

let dir: string
let s3rver: S3rverInstance
let proxy: Server
let s3rverPort: number
let settings: S3Settings
let store: S3Store

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cb-s3-'))
  s3rver = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: dir,
    configureBuckets: [{ name: BUCKET, configs: [] }],
  })
  s3rverPort = (await s3rver.run()).port
  proxy = verifyingProxy(s3rverPort)
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  settings = {
    endpoint: `http://127.0.0.1:${(proxy.address() as { port: number }).port}`,
    region: 'us-east-1',
    bucket: BUCKET,
    accessKeyId: KEY_ID,
    secretAccessKey: SECRET,
    forcePathStyle: true,
  }
  store = new S3Store(settings)
})
afterAll(async () => {
  await new Promise((resolve) => proxy?.close(resolve))
  await s3rver?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('S3Store against s3rver', () => {
  it('puts, reads, describes and deletes an object', async () => {
    const body = Buffer.from('%PDF-1.7\nGiấy chứng nhận quyền sử dụng đất')
    expect(await store.put('uploads/2026/05/a1', body, { contentType: 'application/pdf' })).toEqual({
      size: body.length,
      sha256: sha256(body),
    })
    expect(await read(await store.get('uploads/2026/05/a1'))).toEqual(body)
    expect(await store.head('uploads/2026/05/a1')).toMatchObject({
      key: 'uploads/2026/05/a1',
      size: body.length,
      contentType: 'application/pdf',
      sha256: sha256(body),
    })
    await store.delete('uploads/2026/05/a1')
    await store.delete('uploads/2026/05/a1')
    expect(await store.head('uploads/2026/05/a1')).toBeUndefined()
    await expect(store.get('uploads/2026/05/a1')).rejects.toBeInstanceOf(ObjectNotFound)
  })

  it('streams a body of known size and hash, and reads one of unknown size into memory first', async () => {
    const parts = [Buffer.alloc(700_000, 1), Buffer.alloc(500_000, 2)]
    const whole = Buffer.concat(parts)
    await store.put('scan/known', Readable.from(parts), { size: whole.length, sha256: sha256(whole) })
    expect(sha256(await read(await store.get('scan/known')))).toBe(sha256(whole))
    await store.put('scan/unknown', Readable.from(parts))
    expect((await store.head('scan/unknown'))?.size).toBe(whole.length)
  })

  it('talks to s3rver directly too, without the proxy in between', async () => {
    const direct = new S3Store({ ...settings, endpoint: `http://127.0.0.1:${s3rverPort}` })
    await direct.put('truc/tiep', Buffer.from('xin chào'), { contentType: 'text/plain' })
    expect((await read(await store.get('truc/tiep'))).toString()).toBe('xin chào')
    expect((await direct.head('truc/tiep'))?.contentType).toBe('text/plain')
  })

  it('signs the payload hash it claims, so the server refuses a body that does not match it', async () => {
    const body = Buffer.from('noi dung that')
    const error: unknown = await store
      .put('sai/hash', Readable.from([body]), { size: body.length, sha256: sha256(Buffer.from('khac')) })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ObjectStoreError)
    expect((error as Error).message).toContain('XAmzContentSHA256Mismatch')
    expect(await store.head('sai/hash')).toBeUndefined()
  })

  it('reports the server refusing wrong credentials', async () => {
    const wrongSecret = new S3Store({ ...settings, secretAccessKey: 'not-the-secret' })
    await expect(wrongSecret.put('x/y', Buffer.from('x'))).rejects.toThrow(/403 SignatureDoesNotMatch/)
    const unknownKey = new S3Store({ ...settings, accessKeyId: 'NOBODY' })
    await expect(unknownKey.get('x/y')).rejects.toThrow(/InvalidAccessKeyId/)
  })

  it('fails with a store error when the server cannot be reached', async () => {
    const down = new S3Store({ ...settings, endpoint: 'http://127.0.0.1:1' }, { timeoutMs: 2000 })
    await expect(down.head('x/y')).rejects.toBeInstanceOf(ObjectStoreError)
  })
})

describe('S3Store addressing', () => {
  it('puts the bucket in the path or in the host name', () => {
    const base = { ...settings, endpoint: 'https://s3.caobang.gov.vn', bucket: 'ho-so' }
    expect(new S3Store({ ...base, forcePathStyle: true }).objectUrl('uploads/2026/05/a.b').href).toBe(
      'https://s3.caobang.gov.vn/ho-so/uploads/2026/05/a.b',
    )
    expect(new S3Store({ ...base, forcePathStyle: false }).objectUrl('uploads/a').href).toBe(
      'https://ho-so.s3.caobang.gov.vn/uploads/a',
    )
    expect(() => new S3Store(base).objectUrl('../bucket-khac/x')).toThrow()
  })

  it('is what STORAGE=s3 opens', () => {
    expect(openObjectStore({ storage: 's3', s3: settings, dataDir: '/srv/data' })).toBeInstanceOf(S3Store)
  })
})
