import { createHash } from 'node:crypto'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { systemClock, type Clock } from '../clock.js'
import type { S3Settings } from '../config.js'
import {
  assertValidKey,
  ObjectNotFound,
  ObjectStoreError,
  type ObjectInfo,
  type ObjectStore,
  type PutMeta,
} from './object-store.js'
import { EMPTY_SHA256, signV4, uriEncode } from './sigv4.js'

type Options = { clock?: Clock; timeoutMs?: number }

/**
 * An S3-compatible store (MinIO, Ceph RGW, AWS) spoken to directly: four object calls signed with
 * SigV4, so no SDK and its dependency tree. Bodies are sent with their SHA-256 signed, which lets the
 * server refuse a body damaged in transit.
 */
export class S3Store implements ObjectStore {
  readonly kind = 's3'
  private readonly clock: Clock
  private readonly timeoutMs: number

  constructor(
    private readonly settings: S3Settings,
    options: Options = {},
  ) {
    this.clock = options.clock ?? systemClock
    this.timeoutMs = options.timeoutMs ?? 60_000
  }

  /** Path style (endpoint/bucket/key) or virtual-host style (bucket.endpoint/key). */
  objectUrl(key: string): URL {
    assertValidKey(key)
    const path = key.split('/').map(uriEncode).join('/')
    const url = new URL(this.settings.endpoint)
    const base = url.pathname.replace(/\/+$/, '')
    if (this.settings.forcePathStyle) {
      url.pathname = `${base}/${this.settings.bucket}/${path}`
    } else {
      url.hostname = `${this.settings.bucket}.${url.hostname}`
      url.pathname = `${base}/${path}`
    }
    return url
  }

  async put(key: string, body: Buffer | Readable, meta: PutMeta = {}) {
    // S3 needs the length up front; a stream of unknown length or hash is read into memory first.
    let payload: Buffer | Readable = body
    let size = meta.size
    let sha256 = meta.sha256
    if (size === undefined || sha256 === undefined) {
      payload = Buffer.isBuffer(body) ? body : await readAll(body)
      const actual = createHash('sha256').update(payload).digest('hex')
      if ((size !== undefined && size !== payload.length) || (sha256 !== undefined && sha256 !== actual)) {
        throw new ObjectStoreError(`body of ${key} does not match the size or SHA-256 it was given`)
      }
      size = payload.length
      sha256 = actual
    }
    const response = await this.send('PUT', key, {
      headers: {
        'content-type': meta.contentType ?? 'application/octet-stream',
        'x-amz-meta-sha256': sha256,
      },
      payloadHash: sha256,
      size,
      body: payload,
    })
    response.resume()
    return { size, sha256 }
  }

  async get(key: string): Promise<Readable> {
    return this.send('GET', key)
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const response = await this.send('HEAD', key)
      response.resume()
      const header = (name: string) => {
        const value = response.headers[name]
        return Array.isArray(value) ? value[0] : value
      }
      return {
        key,
        size: Number(header('content-length') ?? 0),
        contentType: header('content-type') ?? 'application/octet-stream',
        sha256: header('x-amz-meta-sha256'),
        modifiedAt: new Date(header('last-modified') ?? 0),
      }
    } catch (error) {
      if (error instanceof ObjectNotFound) return undefined
      throw error
    }
  }

  async delete(key: string): Promise<void> {
    try {
      const response = await this.send('DELETE', key)
      response.resume()
    } catch (error) {
      // S3 answers 204 for a missing key; some compatible stores answer 404 instead.
      if (!(error instanceof ObjectNotFound)) throw error
    }
  }

  /** Resolves with the response once its status is 2xx; maps 404 to ObjectNotFound. */
  private send(
    method: 'GET' | 'PUT' | 'HEAD' | 'DELETE',
    key: string,
    options: {
      headers?: Record<string, string>
      payloadHash?: string
      size?: number
      body?: Buffer | Readable
    } = {},
  ): Promise<IncomingMessage> {
    const url = this.objectUrl(key)
    const payloadHash = options.payloadHash ?? EMPTY_SHA256
    const signed = signV4(
      { method, url, headers: { ...options.headers, 'x-amz-content-sha256': payloadHash }, payloadHash },
      { ...this.settings, service: 's3' },
      this.clock(),
    )
    const headers: Record<string, string | number> = { ...signed.headers }
    if (method === 'PUT') headers['content-length'] = options.size ?? 0

    return new Promise<IncomingMessage>((resolve, reject) => {
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest
      const req = send(url, { method, headers, timeout: this.timeoutMs }, (response) => {
        const status = response.statusCode ?? 0
        if (status >= 200 && status < 300) return resolve(response)
        void readError(response).then((detail) => {
          reject(
            status === 404 && (method === 'HEAD' || detail.code === 'NoSuchKey')
              ? new ObjectNotFound(key)
              : new ObjectStoreError(
                  `Kho lưu trữ S3 từ chối ${method} ${key} (S3 ${status} ${detail.code}: ${detail.message})`,
                ),
          )
        })
      })
      req.on('timeout', () =>
        req.destroy(new ObjectStoreError(`Kho lưu trữ S3 không trả lời (S3 ${method} ${key} timed out)`)),
      )
      req.on('error', (error) =>
        reject(
          error instanceof ObjectStoreError
            ? error
            : new ObjectStoreError(`Không kết nối được kho lưu trữ S3 (${error.message})`, { cause: error }),
        ),
      )
      if (options.body === undefined) req.end()
      else if (Buffer.isBuffer(options.body)) req.end(options.body)
      else pipeline(options.body, req).catch((error: unknown) => req.destroy(error as Error))
    })
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks)
}

/** S3 errors are a small XML document with a Code and a Message; HEAD responses have no body. */
async function readError(response: IncomingMessage): Promise<{ code: string; message: string }> {
  let text = ''
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      if (text.length < 16_384) text += chunk.toString('utf8')
    }
  } catch {
    // The status alone still says what went wrong.
  }
  const field = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(text)?.[1]
  return { code: field('Code') ?? 'Error', message: field('Message') ?? (text.slice(0, 200) || 'no details') }
}
