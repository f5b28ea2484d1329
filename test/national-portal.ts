// A fake national public-service portal and a fake OAuth2 token endpoint for the national synchronisation tests:
// real HTTP servers on 127.0.0.1 that record every request and answer what the test decides. Not part of the
// application.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export type Answer = { status?: number; body?: string | Record<string, unknown>; contentType?: string }
export type Exchange = {
  url: string
  headers: IncomingHttpHeaders
  body: string
  /** What the server answered. */
  status: number
  answer: string
}

/** An HTTP server answering each request with what `answer` returns (default: 200 and an empty JSON object). */
export async function startFakeServer(answer: (request: Exchange, index: number) => Answer = () => ({})) {
  const received: Exchange[] = []
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const entry: Exchange = {
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        status: 0,
        answer: '',
      }
      const decided = fake.answer(entry, received.length)
      entry.status = decided.status ?? 200
      entry.answer = typeof decided.body === 'string' ? decided.body : JSON.stringify(decided.body ?? {})
      received.push(entry)
      response
        .writeHead(entry.status, {
          'content-type':
            decided.contentType ??
            (typeof decided.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json'),
        })
        .end(entry.answer)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const fake = {
    answer,
    received,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
  return fake
}

/** The portal's answer to a call it took, as the module assumes it (README "The portal's answers"). */
export const portalOk = (message = 'Đồng bộ thành công'): Answer => ({ body: { error_code: '0', message } })
/** The portal's answer to a call it did not take: its own code and reason, still with HTTP 200. */
export const portalRefusal = (code: string, message: string): Answer => ({
  body: { error_code: code, message },
})

/** Whether the fake portal answered this request with HTTP 2xx and result code 0. */
export function tookIt(exchange: Exchange): boolean {
  if (exchange.status < 200 || exchange.status > 299) return false
  try {
    return Number((JSON.parse(exchange.answer) as { error_code?: unknown }).error_code) === 0
  } catch {
    return false
  }
}

/**
 * A token endpoint for OAuth2 client credentials: checks the client's Basic credentials and the grant, and hands
 * out `tok-1`, `tok-2`, … valid for `expiresIn` seconds. `answer` can be replaced to make it misbehave.
 */
export async function startTokenEndpoint(client: { id: string; secret: string }, expiresIn = 3600) {
  let issued = 0
  const issue = (request: Exchange): Answer => {
    const basic = `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}`
    const form = new URLSearchParams(request.body)
    if (request.headers.authorization !== basic) {
      return {
        status: 401,
        body: { error: 'invalid_client', error_description: 'Client authentication failed' },
      }
    }
    if (form.get('grant_type') !== 'client_credentials') {
      return { status: 400, body: { error: 'unsupported_grant_type' } }
    }
    issued++
    return {
      body: { access_token: `tok-${issued}`, token_type: 'Bearer', expires_in: expiresIn },
    }
  }
  const server = await startFakeServer(issue)
  return Object.assign(server, {
    /** Restores the well-behaved answer after a test replaced it. */
    behave: () => {
      server.answer = issue
    },
    /** Tokens handed out so far. */
    issued: () => issued,
  })
}
