import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A real HTTP server standing in for a brandname SMS gateway: bearer token, JSON {to, text}. */
export class SmsGateway {
  readonly received: { to: string; text: string }[] = []
  readonly refused: { to: string; text: string }[] = []
  down = false
  private server: Server | undefined

  constructor(private readonly token: string) {}

  async start(): Promise<number> {
    this.server = createServer((req, res) => {
      let body = ''
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')))
      req.on('end', () => {
        if (req.method !== 'POST' || req.headers.authorization !== `Bearer ${this.token}`) {
          res.writeHead(401).end()
          return
        }
        const message = JSON.parse(body) as { to: string; text: string }
        if (this.down) {
          this.refused.push(message)
          res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"Hệ thống đang bảo trì"}')
          return
        }
        this.received.push(message)
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"accepted"}')
      })
    })
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    return (this.server.address() as AddressInfo).port
  }

  about(code: string): { to: string; text: string }[] {
    return this.received.filter((m) => m.text.includes(code))
  }

  close() {
    return new Promise((resolve) => this.server?.close(resolve) ?? resolve(undefined))
  }
}
