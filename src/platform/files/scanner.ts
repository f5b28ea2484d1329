import { createConnection, type Socket } from 'node:net'
import { Readable } from 'node:stream'
import type { ClamdAddress, Config } from '../config.js'

export type ScanResult = { clean: true } | { clean: false; signature: string }

/** Checks file bodies for malware before they are kept. */
export interface MalwareScanner {
  scan(body: Readable | Buffer): Promise<ScanResult>
  /** Resolves when the scanner answers; throws ScannerUnavailable otherwise. */
  ping(): Promise<void>
}

/**
 * Thrown when a configured scanner cannot give a verdict (down, refusing, too slow, stream too large).
 * The upload must then be refused, never kept unscanned.
 */
export class ScannerUnavailable extends Error {
  constructor(detail: string, options?: ErrorOptions) {
    super(`Trình quét mã độc không hoạt động (malware scanner unavailable: ${detail})`, options)
  }
}

/** What to tell the person whose upload could not be scanned. */
export const SCANNER_UNAVAILABLE_MESSAGE =
  'Hệ thống kiểm tra mã độc tạm thời không hoạt động nên chưa nhận được tệp. Vui lòng thử lại sau ít phút.'

type Options = { timeoutMs?: number; chunkBytes?: number }

/**
 * clamd over its own socket protocol: INSTREAM sends the body as length-prefixed chunks, so the file
 * never has to be on a disk clamd can read. Each scan is one connection.
 */
export class ClamdScanner implements MalwareScanner {
  private readonly timeoutMs: number
  private readonly chunkBytes: number

  constructor(
    readonly address: ClamdAddress,
    options: Options = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 30_000
    this.chunkBytes = options.chunkBytes ?? 64 * 1024
  }

  async ping(): Promise<void> {
    const reply = await this.command('zPING\0')
    if (reply !== 'PONG') throw new ScannerUnavailable(`unexpected reply to PING: ${reply.slice(0, 200)}`)
  }

  /** The engine and signature database versions, e.g. "ClamAV 1.4.6/27500/Tue Jan 6 09:30:00 2026". */
  async version(): Promise<string> {
    return this.command('zVERSION\0')
  }

  async scan(body: Readable | Buffer): Promise<ScanResult> {
    const socket = await this.connect().catch((error: unknown) => {
      if (!Buffer.isBuffer(body)) body.destroy()
      throw error
    })
    const reply = readReply(socket, this.timeoutMs)
    // Awaited below; this only keeps an early failure from being reported as unhandled meanwhile.
    reply.catch(() => undefined)
    try {
      await this.sendStream(socket, body)
    } catch (error) {
      if (!Buffer.isBuffer(body)) body.destroy()
      if (error instanceof BodyError) {
        socket.destroy()
        throw error.cause
      }
      // clamd answers and hangs up early when it refuses the stream (size limit): its answer says why,
      // when it arrives before the broken pipe, which is a race the kernel decides.
      const text = socket.destroyed ? await reply.catch(() => undefined) : (socket.destroy(), undefined)
      if (text === undefined) {
        throw new ScannerUnavailable(
          `clamd closed the connection while receiving the file (${(error as Error).message}); ` +
            'if the file is larger than StreamMaxLength in clamd.conf, raise it above UPLOAD_MAX_BYTES',
        )
      }
      return parseScanReply(text)
    }
    return parseScanReply(await reply)
  }

  private async sendStream(socket: Socket, body: Readable | Buffer) {
    const write = async (data: Buffer) => {
      if (socket.destroyed) throw new Error('connection closed')
      if (socket.write(data)) return
      // A socket closed by the other side never drains: wait for whichever comes first.
      await new Promise<void>((resolve, reject) => {
        const settle = (closed: boolean) => {
          socket.off('drain', onDrain)
          socket.off('close', onClose)
          if (closed) reject(new Error('connection closed'))
          else resolve()
        }
        const onDrain = () => settle(false)
        const onClose = () => settle(true)
        socket.on('drain', onDrain)
        socket.on('close', onClose)
      })
    }
    await write(Buffer.from('zINSTREAM\0'))
    const source = Buffer.isBuffer(body) ? Readable.from([body]) : body
    const iterator = (source as AsyncIterable<Buffer>)[Symbol.asyncIterator]()
    for (;;) {
      let next: IteratorResult<Buffer>
      try {
        next = await iterator.next()
      } catch (error) {
        throw new BodyError(error)
      }
      if (next.done) break
      for (let at = 0; at < next.value.length; at += this.chunkBytes) {
        const chunk = next.value.subarray(at, at + this.chunkBytes)
        const length = Buffer.alloc(4)
        length.writeUInt32BE(chunk.length)
        await write(length)
        await write(chunk)
      }
    }
    await write(Buffer.alloc(4))
  }

  private async command(command: string): Promise<string> {
    const socket = await this.connect()
    const reply = readReply(socket, this.timeoutMs)
    socket.end(command)
    return reply
  }

  private connect(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket =
        'socket' in this.address
          ? createConnection({ path: this.address.socket })
          : createConnection({ host: this.address.host, port: this.address.port })
      const where =
        'socket' in this.address ? this.address.socket : `${this.address.host}:${this.address.port}`
      socket.setTimeout(this.timeoutMs)
      const fail = (detail: string, cause?: unknown) => {
        socket.destroy()
        reject(new ScannerUnavailable(`${where}: ${detail}`, { cause }))
      }
      socket.once('timeout', () => fail('connection timed out'))
      socket.once('error', (error) => fail(error.message, error))
      socket.once('connect', () => {
        socket.removeAllListeners('timeout')
        socket.removeAllListeners('error')
        resolve(socket)
      })
    })
  }
}

/** Wraps a failure of the body being scanned, which is the caller's problem, not the scanner's. */
class BodyError extends Error {
  constructor(override readonly cause: unknown) {
    super('reading the body to scan failed')
  }
}

/** clamd's reply ends with a NUL (the z-prefixed commands) or with the connection. */
function readReply(socket: Socket, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const text = () =>
      Buffer.concat(chunks)
        .toString('utf8')
        .replace(/\0[\s\S]*$/, '')
        .trim()
    const done = () => {
      socket.destroy()
      const reply = text()
      if (reply) resolve(reply)
      else reject(new ScannerUnavailable('clamd closed the connection without a reply'))
    }
    socket.setTimeout(timeoutMs, () => {
      socket.destroy()
      reject(new ScannerUnavailable(`no reply within ${timeoutMs} ms`))
    })
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      if (chunk.includes(0)) done()
    })
    socket.on('end', done)
    socket.on('error', (error) => {
      if (text()) done()
      else reject(new ScannerUnavailable(error.message, { cause: error }))
    })
  })
}

/** "stream: OK", "stream: <signature> FOUND", or an error such as "INSTREAM size limit exceeded. ERROR". */
export function parseScanReply(reply: string): ScanResult {
  if (reply === 'stream: OK') return { clean: true }
  const found = /^stream: (.+) FOUND$/.exec(reply)
  if (found) return { clean: false, signature: found[1]! }
  if (/size limit exceeded/i.test(reply)) {
    throw new ScannerUnavailable(
      `clamd refused the stream as too large (${reply}); raise StreamMaxLength in clamd.conf above UPLOAD_MAX_BYTES`,
    )
  }
  throw new ScannerUnavailable(`clamd: ${reply.slice(0, 300)}`)
}

/** clamd when CLAMD_URL is set; undefined otherwise, and callers record uploads as not scanned. */
export function openScanner(
  config: Pick<Config, 'clamd'>,
  options: Options = {},
): MalwareScanner | undefined {
  return config.clamd ? new ClamdScanner(config.clamd, options) : undefined
}
