import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto'
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { rmSync } from 'node:fs'
import { Readable } from 'node:stream'
import { sql } from 'kysely'
import forge from 'node-forge'
import { parse } from 'node-html-parser'
import * as oidc from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiToken, createTestApp, Visitor, type TestApp } from '../../../test/app.js'

/**
 * The gateway end to end over real HTTP: providers are node:http servers on 127.0.0.1 started here, client systems
 * get their bearer tokens from the platform's own OIDC provider through openid-client, and every exchange must
 * land in the message log.
 */

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('base64')

/** A self-signed client certificate (PEM) valid for `days` from now (negative: already expired). */
function certificate(commonName: string, days = 30): string {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString())
  cert.serialNumber = randomBytes(8).toString('hex')
  const now = Date.now()
  cert.validity.notBefore = new Date(now - (days < 0 ? 10 : 1) * 86_400_000)
  cert.validity.notAfter = new Date(now + days * 86_400_000)
  const subject = [{ name: 'commonName', value: commonName }]
  cert.setSubject(subject)
  cert.setIssuer(subject)
  cert.sign(
    forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()),
    forge.md.sha256.create(),
  )
  return forge.pki.certificateToPem(cert)
}

let t: TestApp
let base: string
let upstream: Server
let upstreamBase: string
let upstreamHits = 0
let flakyMode: 'up' | 'down' = 'down'
let flakyHits = 0
let lastHeaders: IncomingHttpHeaders = {}
let admin: string
const seenMessageIds = new Map<string, number>()

type Client = { id: string; secret: string; token?: string; identifier: string }
const clients: Record<'motcua' | 'other' | 'limited', Client> = {
  motcua: { id: '', secret: '', identifier: 'VN/GOV/000.00.00.H14/MOTCUA' },
  other: { id: '', secret: '', identifier: 'VN/GOV/000.00.00.H14/QLVB' },
  limited: { id: '', secret: '', identifier: 'VN/GOV/000.00.00.H14/CHAM' },
}
const PROVIDER = 'VN/GOV/000.00.14.H14/CSDL-DANCU'
const service = (code: string) => `${base}/r1/${PROVIDER}/${code}`

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function api(method: string, url: string, body?: unknown) {
  const response = await t.app.inject({
    method: method as 'POST',
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${admin}` },
    ...(body === undefined ? {} : { payload: body as object }),
  })
  return { status: response.statusCode, json: response.json<Record<string, unknown>>() }
}

async function token(client: Client) {
  const config = await oidc.discovery(
    new URL(`${base}/oidc`),
    client.id,
    undefined,
    oidc.ClientSecretBasic(client.secret),
    { execute: [oidc.allowInsecureRequests] },
  )
  return { config, grant: await oidc.clientCredentialsGrant(config, { scope: 'lgsp' }) }
}

/** A call through the gateway as a client system makes it; remembers the message id for the log check. */
async function call(
  url: string,
  init: RequestInit & { client?: Client | null; bearer?: string | null } = {},
): Promise<Response> {
  const client = init.client === undefined ? clients.motcua : init.client
  const headers = new Headers(init.headers)
  if (client && !headers.has('x-road-client')) headers.set('x-road-client', client.identifier)
  const bearer = init.bearer === undefined ? client?.token : init.bearer
  if (bearer) headers.set('authorization', `Bearer ${bearer}`)
  const response = await fetch(url, { ...init, headers, duplex: 'half' })
  const id = response.headers.get('x-road-id')
  if (id) seenMessageIds.set(id, response.status)
  return response
}

/** A GET with the request line exactly as given (no client-side normalisation of the path). */
function rawGet(path: string, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: IncomingHttpHeaders }>((resolve, reject) => {
    const url = new URL(base)
    const request = httpRequest({ host: url.hostname, port: url.port, path, headers }, (response) => {
      response.resume()
      const id = response.headers['x-road-id']
      if (typeof id === 'string') seenMessageIds.set(id, response.statusCode ?? 0)
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers }))
    })
    request.on('error', reject)
    request.end()
  })
}

beforeAll(async () => {
  upstream = createServer((request, response) => {
    upstreamHits++
    lastHeaders = request.headers
    const url = new URL(request.url ?? '/', 'http://x')
    if (url.pathname === '/v1/echo') {
      response.writeHead(200, {
        'content-type': request.headers['content-type'] ?? 'application/octet-stream',
      })
      request.pipe(response)
      return
    }
    if (url.pathname === '/v1/big') {
      response.writeHead(200, { 'content-type': 'application/octet-stream' })
      const chunk = Buffer.alloc(64 * 1024, 7)
      let left = 80
      const write = () => {
        while (left > 0) {
          left--
          if (!response.write(chunk)) return response.once('drain', write)
        }
        response.end()
      }
      write()
      return
    }
    if (url.pathname === '/v1/slow') {
      setTimeout(() => response.writeHead(200).end('late'), 1500)
      return
    }
    if (url.pathname.startsWith('/flaky/')) {
      flakyHits++
      request.resume()
      if (flakyMode === 'down') response.writeHead(503).end('down')
      else response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
      return
    }
    request.resume()
    request.on('end', () => {
      response.writeHead(200, {
        'content-type': 'application/json',
        'set-cookie': 'upstream=1; Path=/',
        'x-road-id': 'spoofed',
      })
      response.end(JSON.stringify({ path: request.url, method: request.method }))
    })
  })
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
  upstreamBase = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`

  const port = await freePort()
  base = `http://127.0.0.1:${port}`
  t = await createTestApp({
    env: {
      PUBLIC_URL: base,
      LGSP_BREAKER_FAILURES: '2',
      LGSP_BREAKER_OPEN_SECONDS: '1',
      // Checked tokens are kept long: a revocation must still reach the gateway at once, by its signal.
      LGSP_TOKEN_CACHE_SECONDS: '300',
      LGSP_CLIENT_CERT_HEADER: 'X-SSL-Client-Cert',
    },
  })
  await t.app.listen({ port, host: '127.0.0.1' })
  admin = await apiToken(t, 'quantri')

  // Client systems are SSO applications (client credentials), registered as an administrator does.
  const browser = new Visitor(t.app)
  await browser.login('quantri')
  for (const [key, client] of Object.entries(clients)) {
    await browser.get('/admin/sso/clients/new')
    const created = await browser.post('/admin/sso/clients/new', {
      name: `Hệ thống ${key}`,
      kind: 'client_credentials',
      scopes: 'lgsp',
    })
    const page = parse(created.body)
    client.id = page.querySelector('#client-id')!.text.trim()
    client.secret = page.querySelector('#client-secret')!.text.trim()
    client.token = (await token(client)).grant.access_token
  }

  // The registry, through the admin API.
  expect((await api('POST', '/lgsp/allowed-hosts', { host: new URL(upstreamBase).host })).status).toBe(201)
  const province = await api('POST', '/lgsp/members', {
    memberClass: 'GOV',
    memberCode: '000.00.00.H14',
    name: 'UBND tỉnh Cao Bằng',
  })
  expect(province.status).toBe(201)
  const department = await api('POST', '/lgsp/members', {
    memberClass: 'GOV',
    memberCode: '000.00.14.H14',
    name: 'Sở Khoa học và Công nghệ',
  })
  const provider = await api('POST', `/lgsp/members/${department.json.id as string}/subsystems`, {
    code: 'CSDL-DANCU',
    name: 'Cơ sở dữ liệu dân cư của tỉnh',
  })
  expect(provider.status).toBe(201)
  for (const [key, code, limit] of [
    ['motcua', 'MOTCUA', 600],
    ['other', 'QLVB', 600],
    ['limited', 'CHAM', 3],
  ] as const) {
    const created = await api('POST', `/lgsp/members/${province.json.id as string}/subsystems`, {
      code,
      name: `Hệ thống ${key}`,
      ssoClientId: clients[key].id,
      rateLimitPerMinute: limit,
    })
    expect(created.status).toBe(201)
  }
  // A port nobody listens on: allowed, so the gateway tries and finds the provider down.
  const deadPort = await freePort()
  expect((await api('POST', '/lgsp/allowed-hosts', { host: `127.0.0.1:${deadPort}` })).status).toBe(201)
  const openapi = {
    openapi: '3.0.3',
    info: { title: 'Tra cứu hồ sơ', version: 'v1' },
    servers: [{ url: 'http://10.4.0.12/internal' }],
    paths: { '/ho-so/{code}': { get: { responses: { '200': { description: 'Hồ sơ' } } } } },
  }
  const services = [
    { code: 'ho-so', baseUrl: `${upstreamBase}/v1`, openapi, maxBodyBytes: 8 * 1_048_576 },
    { code: 'cham', baseUrl: `${upstreamBase}/v1`, timeoutMs: 400 },
    { code: 'nho', baseUrl: `${upstreamBase}/v1`, maxBodyBytes: 1024 },
    { code: 'chap-chon', baseUrl: `${upstreamBase}/flaky` },
    { code: 'mat-ket-noi', baseUrl: `http://127.0.0.1:${deadPort}/v1` },
  ]
  for (const s of services) {
    const created = await api('POST', `/lgsp/subsystems/${provider.json.id as string}/services`, {
      version: 'v1',
      title: `Dịch vụ ${s.code}`,
      ...s,
    })
    expect(created.status, JSON.stringify(created.json)).toBe(201)
    for (const client of ['motcua', 'limited']) {
      const rights =
        s.code === 'ho-so'
          ? [
              { methods: ['GET'], pathPattern: '/ho-so/*' },
              { methods: ['POST', 'GET'], pathPattern: '/echo' },
              { methods: ['GET'], pathPattern: '/big' },
              { methods: ['GET'], pathPattern: '/slow' },
            ]
          : [{ methods: ['*'], pathPattern: '/**' }]
      for (const right of rights) {
        const granted = await api('POST', `/lgsp/services/${created.json.id as string}/rights`, {
          client: clients[client as 'motcua'].identifier,
          ...right,
        })
        expect(granted.status).toBe(201)
      }
    }
  }
}, 120_000)

afterAll(async () => {
  await t.app.close()
  await t.database.close()
  rmSync(t.config.dataDir, { recursive: true, force: true })
  await new Promise((resolve) => upstream.close(resolve))
})

describe('the LGSP gateway over HTTP', { timeout: 60_000 }, () => {
  it('passes a GET through with the X-Road headers, and strips credentials, cookies and spoofed headers', async () => {
    const response = await call(`${service('ho-so')}/ho-so/G22.99-260301-0001?chi-tiet=1`, {
      headers: { cookie: 'cb_session=secret', 'x-road-userid': 'VN123456789' },
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ path: '/v1/ho-so/G22.99-260301-0001?chi-tiet=1', method: 'GET' })
    expect(response.headers.get('x-road-request-hash')).toBe(sha256(''))
    expect(response.headers.get('x-road-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(response.headers.get('x-road-id')).not.toBe('spoofed')
    expect(response.headers.get('x-road-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(response.headers.get('x-road-client')).toBe(clients.motcua.identifier)
    expect(response.headers.get('x-road-service')).toBe(`${PROVIDER}/ho-so`)
    expect(response.headers.get('set-cookie')).toBeNull()
    expect(lastHeaders.authorization).toBeUndefined()
    expect(lastHeaders.cookie).toBeUndefined()
    expect(lastHeaders['x-road-client']).toBe(clients.motcua.identifier)
    expect(lastHeaders['x-road-userid']).toBe('VN123456789')
    expect(lastHeaders['x-road-id']).toBe(response.headers.get('x-road-id'))
  })

  it('passes a POST body through and proves it with the SHA-256 request hash', async () => {
    const body = JSON.stringify({ maHoSo: '000.00.00.H14-260301-0001', trangThai: 4, ghiChu: 'Đang xử lý' })
    const response = await call(`${service('ho-so')}/echo`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json; charset=utf-8' },
    })
    expect(response.status).toBe(200)
    expect(await response.text()).toBe(body)
    expect(response.headers.get('x-road-request-hash')).toBe(sha256(body))
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8')
  })

  it('streams multi-megabyte bodies both ways (chunked upload, 5 MB download)', async () => {
    const chunk = Buffer.alloc(256 * 1024, 1)
    const chunks = 24 // 6 MB, sent without a length
    const whole = createHash('sha256')
    for (let i = 0; i < chunks; i++) whole.update(chunk)
    const upload = await call(`${service('ho-so')}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: Readable.toWeb(
        Readable.from(
          (function* () {
            for (let i = 0; i < chunks; i++) yield chunk
          })(),
        ),
      ) as never,
    })
    expect(upload.status).toBe(200)
    const echoed = Buffer.from(await upload.arrayBuffer())
    expect(echoed.length).toBe(chunk.length * chunks)
    expect(upload.headers.get('x-road-request-hash')).toBe(whole.digest('base64'))

    const download = await call(`${service('ho-so')}/big`)
    expect(download.status).toBe(200)
    const bytes = Buffer.from(await download.arrayBuffer())
    expect(bytes.length).toBe(80 * 64 * 1024)
    expect(bytes.every((b) => b === 7)).toBe(true)
  })

  it('answers 401 without a token, with an unknown token and with a revoked one', async () => {
    const none = await call(`${service('ho-so')}/ho-so/X`, { bearer: null })
    expect(none.status).toBe(401)
    expect(none.headers.get('x-road-error')).toBe('Client.Unauthenticated')
    const body = (await none.json()) as { type: string; message: string; detail: string }
    expect(body.type).toBe('Client.Unauthenticated')
    expect(body.message).toContain('Bearer')
    expect((await call(`${service('ho-so')}/ho-so/X`, { bearer: 'not-a-token' })).status).toBe(401)

    const { config, grant } = await token(clients.motcua)
    expect((await call(`${service('ho-so')}/ho-so/X`, { bearer: grant.access_token })).status).toBe(200)
    await oidc.tokenRevocation(config, grant.access_token)
    // The gateway keeps checked tokens for five minutes here; the revocation reaches it by its signal, within
    // milliseconds (on PostgreSQL the signal comes on another connection, so it may trail the answer slightly).
    await expect
      .poll(async () => (await call(`${service('ho-so')}/ho-so/X`, { bearer: grant.access_token })).status, {
        timeout: 5_000,
        interval: 20,
      })
      .toBe(401)
  })

  it('refuses at once every token of a client system an administrator disables, then a new one after re-enabling', async () => {
    const other = clients.other
    // Checked and kept: the system has no access right to this service, so the gateway answers 403.
    expect((await call(`${service('ho-so')}/ho-so/X`, { client: other })).status).toBe(403)
    const browser = new Visitor(t.app)
    await browser.login('quantri')
    await browser.get(`/admin/sso/clients/${encodeURIComponent(other.id)}`)
    const disabled = await browser.post(`/admin/sso/clients/${encodeURIComponent(other.id)}/disable`, {})
    expect(disabled.statusCode).toBe(303)
    await expect
      .poll(async () => (await call(`${service('ho-so')}/ho-so/X`, { client: other })).status, {
        timeout: 5_000,
        interval: 20,
      })
      .toBe(401)
    const refused = await call(`${service('ho-so')}/ho-so/X`, { client: other })
    expect(refused.headers.get('x-road-error')).toBe('Client.Unauthenticated')

    const enabled = await browser.post(`/admin/sso/clients/${encodeURIComponent(other.id)}/enable`, {})
    expect(enabled.statusCode).toBe(303)
    // Its tokens went with the disabling: the old one stays refused, a new one is accepted.
    expect((await call(`${service('ho-so')}/ho-so/X`, { client: other })).status).toBe(401)
    other.token = (await token(other)).grant.access_token
    expect((await call(`${service('ho-so')}/ho-so/X`, { client: other })).status).toBe(403)
  })

  it('answers 403 to a client without the access right, and to a token of another system', async () => {
    const stranger = await call(`${service('ho-so')}/ho-so/X`, { client: clients.other })
    expect(stranger.status).toBe(403)
    expect(stranger.headers.get('x-road-error')).toBe('Server.ServerProxy.AccessDenied')
    expect(((await stranger.json()) as { message: string }).message).toContain('chưa được cấp quyền')
    // The right covers GET /ho-so/*, not POST there nor deeper paths.
    expect((await call(`${service('ho-so')}/ho-so/X`, { method: 'POST', body: '{}' })).status).toBe(403)
    expect((await call(`${service('ho-so')}/ho-so/X/Y`)).status).toBe(403)
    const impostor = await call(`${service('ho-so')}/ho-so/X`, {
      headers: { 'x-road-client': clients.motcua.identifier },
      bearer: clients.other.token!,
      client: null,
    })
    expect(impostor.status).toBe(403)
    expect(impostor.headers.get('x-road-error')).toBe('Client.ClientIdentityMismatch')
  })

  it('answers 404 to an unknown service', async () => {
    const response = await call(`${base}/r1/${PROVIDER}/khong-co/abc`)
    expect(response.status).toBe(404)
    expect(response.headers.get('x-road-error')).toBe('Server.ServerProxy.UnknownService')
  })

  it('answers 504 when the provider is too slow, and 502 when it cannot be reached', async () => {
    const slow = await call(`${service('cham')}/slow`)
    expect(slow.status).toBe(504)
    expect(slow.headers.get('x-road-error')).toBe('Server.ServerProxy.ServiceFailed.Timeout')
    const down = await call(`${service('mat-ket-noi')}/x`)
    expect(down.status).toBe(502)
    expect(((await down.json()) as { detail: string }).detail).toBe('ECONNREFUSED')
  })

  it('refuses bodies over the service limit, declared or streamed, with 413', async () => {
    const before = upstreamHits
    const declared = await call(`${service('nho')}/echo`, { method: 'POST', body: 'x'.repeat(2000) })
    expect(declared.status).toBe(413)
    expect(declared.headers.get('x-road-error')).toBe('Client.MessageTooLarge')
    expect(upstreamHits).toBe(before)
    const streamed = await call(`${service('nho')}/echo`, {
      method: 'POST',
      body: Readable.toWeb(Readable.from([Buffer.alloc(800), Buffer.alloc(800)])) as never,
    })
    expect(streamed.status).toBe(413)
    expect((await call(`${service('nho')}/echo`, { method: 'POST', body: 'x'.repeat(1000) })).status).toBe(
      200,
    )
  })

  it('refuses header injection, malformed identifiers and path traversal with 400', async () => {
    const encodedCrlf = await call(`${service('ho-so')}/ho-so/X`, {
      headers: { 'x-road-client': 'VN/GOV/000.00.00.H14/MOTCUA%0D%0AX-Injected:%201' },
      client: null,
      bearer: clients.motcua.token!,
    })
    expect(encodedCrlf.status).toBe(400)
    expect(encodedCrlf.headers.get('x-road-error')).toBe('Client.InvalidClientIdentifier')
    const threeParts = await call(`${service('ho-so')}/ho-so/X`, {
      headers: { 'x-road-client': 'VN/GOV/MOTCUA' },
      client: null,
      bearer: clients.motcua.token!,
    })
    expect(threeParts.status).toBe(400)
    const injected = await t.app.inject({
      method: 'GET',
      url: `/r1/${PROVIDER}/ho-so/ho-so/X`,
      headers: {
        authorization: `Bearer ${clients.motcua.token}`,
        'x-road-client': clients.motcua.identifier,
        'x-road-userid': 'abc\u0001def',
      },
    })
    expect(injected.statusCode).toBe(400)
    expect(injected.headers['x-road-error']).toBe('Client.InvalidHttpHeader')
    // Sent as raw request lines: a WHATWG client would already have resolved the dot segments.
    for (const rest of ['/ho-so/%2e%2e/%2e%2e/admin', '/ho-so/..%2F..%2Fadmin', '/ho-so/a%00b']) {
      const traversal = await rawGet(`/r1/${PROVIDER}/ho-so${rest}`, {
        authorization: `Bearer ${clients.motcua.token}`,
        'x-road-client': clients.motcua.identifier,
      })
      expect(traversal.status, rest).toBe(400)
      expect(traversal.headers['x-road-error']).toBe('Client.InvalidPath')
    }
    const badService = await call(`${base}/r1/VN/GOV/000.00.14.H14/CSDL%0ADANCU/ho-so/x`)
    expect(badService.status).toBe(400)
    expect(badService.headers.get('x-road-error')).toBe('Client.InvalidServiceIdentifier')
  })

  it('opens the circuit after consecutive failures, then probes and recovers', async () => {
    flakyMode = 'down'
    flakyHits = 0
    expect((await call(`${service('chap-chon')}/a`)).status).toBe(503)
    expect((await call(`${service('chap-chon')}/a`)).status).toBe(503)
    expect(flakyHits).toBe(2)
    const open = await call(`${service('chap-chon')}/a`)
    expect(open.status).toBe(503)
    expect(open.headers.get('x-road-error')).toBe('Server.ServerProxy.ServiceUnavailable')
    expect(open.headers.get('retry-after')).toBe('1')
    expect(flakyHits).toBe(2)
    const registry = await api('GET', '/lgsp/registry')
    const flaky = (registry.json.services as { code: string; health: { state: string } }[]).find(
      (s) => s.code === 'chap-chon',
    )
    expect(flaky?.health.state).toBe('open')
    // Written down for the other server processes.
    const circuits = () =>
      sql<{ reason: string }>`
        select c.reason from lgsp_service_circuits c join lgsp_services s on s.id = c.service_id
        where s.code = 'chap-chon'`.execute(t.database.db)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect((await circuits()).rows).toEqual([{ reason: 'HTTP 503' }])

    flakyMode = 'up'
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const probe = await call(`${service('chap-chon')}/a`)
    expect(probe.status).toBe(200)
    expect(flakyHits).toBe(3)
    expect((await call(`${service('chap-chon')}/a`)).status).toBe(200)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect((await circuits()).rows).toEqual([])
  })

  it('stops calling a provider whose circuit another server process opened, until its time is up', async () => {
    flakyMode = 'up'
    flakyHits = 0
    expect((await call(`${service('chap-chon')}/a`)).status).toBe(200)
    const heard: (string | undefined)[] = []
    const stop = await t.database.signals.listen('lgsp_registry_changed', (payload) => heard.push(payload))
    // Another process found the provider failing, opened the circuit for 1.5 seconds and said so.
    await sql`
      insert into lgsp_service_circuits (service_id, open_until, reason, opened_at)
      select id, now() + interval '1.5 seconds', 'timeout', now() from lgsp_services where code = 'chap-chon'`.execute(
      t.database.db,
    )
    await sql`select pg_notify('lgsp_registry_changed', 'circuit')`.execute(t.database.db)
    // This process heard it (the gateway's listener is called before this one) and reads the registry again.
    await expect.poll(() => heard, { timeout: 5_000, interval: 10 }).toEqual(['circuit'])
    const refused = await call(`${service('chap-chon')}/a`)
    expect(refused.status).toBe(503)
    expect(refused.headers.get('x-road-error')).toBe('Server.ServerProxy.ServiceUnavailable')
    expect(flakyHits).toBe(1)
    await new Promise((resolve) => setTimeout(resolve, 1600))
    // Its time is up: a probe goes through, succeeds, and the circuit is closed for everyone.
    expect((await call(`${service('chap-chon')}/a`)).status).toBe(200)
    expect(flakyHits).toBe(2)
    await new Promise((resolve) => setTimeout(resolve, 50))
    const left = await sql`select 1 from lgsp_service_circuits`.execute(t.database.db)
    expect(left.rows).toEqual([])
    // A change an administrator makes is announced the same way, to every process.
    expect((await api('POST', '/lgsp/allowed-hosts', { host: 'circuits.example.org' })).status).toBe(201)
    await expect.poll(() => heard, { timeout: 5_000, interval: 10 }).toContain('registry')
    await stop()
  })

  it('limits each client system to its calls per minute with 429', async () => {
    const statuses = []
    for (let i = 0; i < 4; i++) {
      statuses.push((await call(`${service('chap-chon')}/a`, { client: clients.limited })).status)
    }
    expect(statuses).toEqual([200, 200, 200, 429])
  })

  it('answers the X-Road discovery services', async () => {
    const list = await call(`${base}/r1/listClients`)
    expect(list.status).toBe(200)
    const members = ((await list.json()) as { member: { id: Record<string, string>; name: string }[] }).member
    expect(members).toContainEqual({
      id: {
        object_type: 'SUBSYSTEM',
        xroad_instance: 'VN',
        member_class: 'GOV',
        member_code: '000.00.14.H14',
        subsystem_code: 'CSDL-DANCU',
      },
      name: 'Sở Khoa học và Công nghệ',
    })

    const methods = await call(`${base}/r1/${PROVIDER}/listMethods`)
    const listed = ((await methods.json()) as { service: { service_code: string }[] }).service
    expect(listed.map((s) => s.service_code).sort()).toEqual([
      'cham',
      'chap-chon',
      'ho-so',
      'mat-ket-noi',
      'nho',
    ])

    const allowed = await call(`${base}/r1/${PROVIDER}/allowedMethods`)
    const entries = (
      (await allowed.json()) as {
        service: { service_code: string; endpoint_list: { method: string; path: string }[] }[]
      }
    ).service
    expect(entries.find((s) => s.service_code === 'ho-so')?.endpoint_list).toContainEqual({
      method: 'GET',
      path: '/ho-so/*',
    })
    const none = await call(`${base}/r1/${PROVIDER}/allowedMethods`, { client: clients.other })
    expect(((await none.json()) as { service: unknown[] }).service).toEqual([])

    const doc = await call(`${base}/r1/${PROVIDER}/getOpenAPI?serviceCode=ho-so`)
    expect(doc.status).toBe(200)
    const openapi = (await doc.json()) as { info: { title: string }; servers: { url: string }[] }
    expect(openapi.info.title).toBe('Tra cứu hồ sơ')
    // Clients see the gateway's address for the service, never the provider's internal one.
    expect(openapi.servers).toHaveLength(1)
    expect(openapi.servers[0]!.url).toBe(`${base}/r1/${PROVIDER}/ho-so`)
    expect((await call(`${base}/r1/${PROVIDER}/getOpenAPI?serviceCode=nho`)).status).toBe(404)
  })

  it('shows the catalogue to integrators without the providers’ internal addresses', async () => {
    const response = await fetch(`${base}/lgsp/catalogue`)
    expect(response.status).toBe(200)
    const page = parse(await response.text())
    const rows = page.querySelectorAll('#catalogue tbody tr')
    expect(rows.map((r) => r.getAttribute('data-service'))).toContain(`${PROVIDER}/ho-so`)
    expect(page.toString()).not.toContain(upstreamBase)
    const link = page.querySelector(`tr[data-service="${PROVIDER}/ho-so"] a`)!.getAttribute('href')!
    const doc = (await (await fetch(`${base}${link}`)).json()) as { servers: { url: string }[] }
    expect(doc.servers[0]!.url).toBe(`${base}/r1/${PROVIDER}/ho-so`)
  })

  it('holds a client system bound to a certificate to it (mutual TLS through the proxy)', async () => {
    const mine = certificate('QLVB Cao Bang')
    const stranger = certificate('Stranger')
    const expired = certificate('QLVB old', -1)
    const registry = await api('GET', '/lgsp/registry')
    const other = (registry.json.subsystems as { id: string; identifier: string }[]).find(
      (s) => s.identifier === clients.other.identifier,
    )!
    const rejected = await api('PATCH', `/lgsp/subsystems/${other.id}`, {
      clientCertificate: 'not a certificate',
    })
    expect(rejected.status).toBe(422)
    expect(JSON.stringify(rejected.json)).toContain('dạng PEM')
    const old = await api('PATCH', `/lgsp/subsystems/${other.id}`, { clientCertificate: expired })
    expect(old.status).toBe(422)
    expect(JSON.stringify(old.json)).toContain('đã hết hạn')
    const bound = await api('PATCH', `/lgsp/subsystems/${other.id}`, { clientCertificate: mine })
    expect(bound.status).toBe(200)
    expect(bound.json.clientCertificateSha256).toMatch(/^[0-9a-f]{64}$/)

    const listMethods = `${base}/r1/${PROVIDER}/listMethods`
    const as = (pem?: string) =>
      call(listMethods, {
        client: clients.other,
        headers: pem ? { 'x-ssl-client-cert': encodeURIComponent(pem) } : {},
      })
    const none = await as()
    expect(none.status).toBe(401)
    expect(none.headers.get('x-road-error')).toBe('Client.CertificateRequired')
    expect(((await none.json()) as { message: string }).message).toContain('chứng thư số đã đăng ký')
    const wrong = await as(stranger)
    expect(wrong.status).toBe(403)
    expect(wrong.headers.get('x-road-error')).toBe('Client.CertificateMismatch')
    const garbage = await call(listMethods, {
      client: clients.other,
      headers: { 'x-ssl-client-cert': '%%%' },
    })
    expect(garbage.status).toBe(403)
    const right = await as(mine)
    expect(right.status).toBe(200)
    // A client without a registered certificate is not asked for one.
    expect((await call(listMethods)).status).toBe(200)

    const unbound = await api('PATCH', `/lgsp/subsystems/${other.id}`, { clientCertificate: null })
    expect(unbound.json.clientCertificateSha256).toBeNull()
    expect((await as()).status).toBe(200)
  })

  it('records every exchange, refused ones included, in the message log', async () => {
    expect(seenMessageIds.size).toBeGreaterThan(25)
    const ids = [...seenMessageIds.keys()]
    let rows: { message_id: string; status: number; error_code: string | null }[] = []
    for (let attempt = 0; attempt < 50; attempt++) {
      const result = await sql<{ message_id: string; status: number; error_code: string | null }>`
        select message_id, status, error_code from lgsp_log_pending where message_id in (${sql.join(ids)})
        union all
        select message_id, status, error_code from lgsp_log where message_id in (${sql.join(ids)})`.execute(
        t.database.db,
      )
      rows = result.rows
      if (rows.length >= ids.length) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(rows).toHaveLength(ids.length)
    for (const row of rows) expect(row.status).toBe(seenMessageIds.get(row.message_id))
    expect(rows.some((r) => r.status === 401 && r.error_code === 'Client.Unauthenticated')).toBe(true)
    expect(rows.some((r) => r.status === 403 && r.error_code === 'Server.ServerProxy.AccessDenied')).toBe(
      true,
    )
    expect(rows.some((r) => r.status === 504)).toBe(true)
  })
})
