import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EICAR_SIGNATURE, eicar, skipWithoutClamd, startClamd, type Clamd } from '../../../test/clamd.js'
import { ClamdScanner, openScanner, parseScanReply, ScannerUnavailable } from './scanner.js'

describe('openScanner', () => {
  it('has no scanner without CLAMD_URL, so callers record uploads as not scanned', () => {
    expect(openScanner({ clamd: undefined })).toBeUndefined()
    expect(openScanner({ clamd: { host: '127.0.0.1', port: 3310 } })).toBeInstanceOf(ClamdScanner)
  })

  it('reads clamd replies', () => {
    expect(parseScanReply('stream: OK')).toEqual({ clean: true })
    expect(parseScanReply('stream: Win.Test.EICAR_HDB-1 FOUND')).toEqual({
      clean: false,
      signature: 'Win.Test.EICAR_HDB-1',
    })
    expect(() => parseScanReply('INSTREAM size limit exceeded. ERROR')).toThrow(/StreamMaxLength/)
    expect(() => parseScanReply("Can't allocate memory ERROR")).toThrow(ScannerUnavailable)
  })
})

describe.skipIf(skipWithoutClamd)('ClamdScanner against a real clamd', () => {
  let clamd: Clamd
  let tcp: ClamdScanner
  beforeAll(async () => {
    clamd = await startClamd()
    tcp = new ClamdScanner({ host: clamd.host, port: clamd.port })
  })
  afterAll(() => clamd?.stop())

  it('answers PING and tells its version', async () => {
    await tcp.ping()
    expect(await tcp.version()).toMatch(/^ClamAV \d+\.\d+/)
  })

  it('finds a clean file clean, over TCP and over the Unix socket', async () => {
    const text = Buffer.from('Đơn đề nghị cấp giấy phép xây dựng\n'.repeat(1000))
    expect(await tcp.scan(text)).toEqual({ clean: true })
    expect(await new ClamdScanner({ socket: clamd.socket }).scan(Readable.from([text]))).toEqual({
      clean: true,
    })
  })

  it('finds the EICAR test file, whatever it is named and however it is chunked', async () => {
    expect(await tcp.scan(eicar())).toEqual({ clean: false, signature: EICAR_SIGNATURE })
    // The same bytes uploaded as "giay-to.pdf" and sent in 7-byte pieces across chunk boundaries.
    const small = new ClamdScanner({ host: clamd.host, port: clamd.port }, { chunkBytes: 7 })
    expect(await small.scan(Readable.from([Buffer.from('%PDF-1.4\n'), eicar()]))).toEqual({
      clean: false,
      signature: EICAR_SIGNATURE,
    })
  })

  it('scans a 12 MB stream, with the virus at its end', async () => {
    const body = Readable.from(
      (function* () {
        for (let i = 0; i < 12; i++) yield Buffer.alloc(1024 * 1024, 0x20 + i)
        yield eicar()
      })(),
    )
    expect(await tcp.scan(body)).toEqual({ clean: false, signature: EICAR_SIGNATURE })
  })

  it('reports the body’s own failure as such, not as the scanner’s', async () => {
    const broken = new Readable({
      read() {
        this.destroy(new Error('upload aborted by the client'))
      },
    })
    await expect(tcp.scan(broken)).rejects.toThrow('upload aborted by the client')
    await tcp.ping()
  })
})

describe.skipIf(skipWithoutClamd)('ClamdScanner when clamd cannot answer', () => {
  it('is unavailable when the stream is over clamd’s StreamMaxLength', async () => {
    const clamd = await startClamd({ streamMaxLength: '1M' })
    try {
      const scanner = new ClamdScanner({ host: clamd.host, port: clamd.port })
      // clamd's "INSTREAM size limit exceeded" reply races the broken pipe; both say what to change.
      for (const address of [{ host: clamd.host, port: clamd.port }, { socket: clamd.socket }]) {
        const error: unknown = await new ClamdScanner(address)
          .scan(Buffer.alloc(3 * 1024 * 1024, 0x41))
          .catch((e: unknown) => e)
        expect(error).toBeInstanceOf(ScannerUnavailable)
        expect((error as Error).message).toMatch(/StreamMaxLength/)
      }
      await scanner.ping()
    } finally {
      await clamd.stop()
    }
  })

  it('is unavailable when clamd hangs, and when it is stopped', async () => {
    const clamd = await startClamd()
    try {
      const scanner = new ClamdScanner({ host: clamd.host, port: clamd.port }, { timeoutMs: 300 })
      clamd.pause()
      const started = Date.now()
      await expect(scanner.scan(Buffer.from('xin chào'))).rejects.toThrow(ScannerUnavailable)
      await expect(scanner.ping()).rejects.toThrow(ScannerUnavailable)
      expect(Date.now() - started).toBeLessThan(5000)
      clamd.resume()
      await scanner.ping()
    } finally {
      await clamd.stop()
    }
    const scanner = new ClamdScanner({ host: clamd.host, port: clamd.port })
    const error: unknown = await scanner.scan(Buffer.from('xin chào')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ScannerUnavailable)
    expect((error as Error).message).toMatch(/ECONNREFUSED/)
    await expect(new ClamdScanner({ socket: clamd.socket }).ping()).rejects.toThrow(ScannerUnavailable)
  })
})
