import { createHash, randomUUID, type Hash } from 'node:crypto'
import http, {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http'
import https from 'node:https'
import { Transform, type TransformCallback } from 'node:stream'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { Clock } from '../../platform/clock.js'
import type { ExchangeRecord, ExchangeRecorder } from '../lgsp-log/index.js'
import type { BearerIdentity } from '../sso/index.js'
import { presentedCertificate } from './lgsp.certificates.js'
import { ForbiddenAddressError, guardedLookup, matchAllowedHost } from './lgsp.hosts.js'
import {
  createHealthBoard,
  createRateLimiter,
  type BreakerSettings,
  type HealthBoard,
} from './lgsp.health.js'
import {
  formatSubsystemId,
  IdentifierError,
  parseClientHeader,
  parseGatewayPath,
  pathMatches,
  restPathProblem,
  type GatewayTarget,
} from './lgsp.identifiers.js'
import { gatewayErrors, type GatewayErrorKey } from './lgsp.locales.js'
import { gatewayPaths } from './lgsp.paths.js'
import type { AccessRight, LgspService, Service, Snapshot, Subsystem } from './lgsp.service.js'

export type GatewayDeps = {
  registry: Pick<LgspService, 'snapshot'>
  /** The SSO provider's check of a bearer access token. */
  authenticate: (token: string) => Promise<BearerIdentity | undefined>
  recorder: ExchangeRecorder
  clock: Clock
  breaker: BreakerSettings
  /** How long a valid token is trusted without asking the provider again (0: ask on every call). */
  tokenCacheMs: number
  /** Where a TLS-terminating proxy passes the client's certificate (see lgsp.certificates.ts); optional. */
  clientCertHeader?: string | undefined
  /** The platform's public address, for the `servers` of the OpenAPI documents it hands out. */
  publicUrl: string | undefined
  log: Pick<FastifyBaseLogger, 'warn' | 'error'>
  /** Tells the other server processes about circuits this one opens and closes (see `Snapshot.openCircuits`). */
  circuits?: {
    opened(serviceId: string, until: number, reason: string): void
    closed(serviceId: string): void
  }
  /** Per-client limits shared by the server processes (lgsp.quota.ts); without it, each process counts alone. */
  rateLimiter?: { take(key: string, perMinute: number): number | Promise<number> }
}

/** The scope a client-credentials token needs to call services through the gateway. */
export const GATEWAY_SCOPE = 'lgsp'

/** Bodies kept for the message log are capped; a larger one is logged by its hash only. */
const MAX_KEPT_BODY = 8 * 1_048_576

/** How much of an answer that arrives before the end of its request is held while the request finishes. */
const EARLY_ANSWER_BUFFER = 16 * 1_048_576

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])

/** Never passed on to a provider: the caller's credentials and cookies, and what the gateway sets itself. */
const NOT_FORWARDED = new Set([
  'host',
  'authorization',
  'cookie',
  'expect',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-road-client',
  'x-road-id',
  'x-road-request-id',
  'x-road-service',
  'x-road-userid',
])

const TOKEN_PATTERN = /^[\x21-\x7e]{1,200}$/

function connectionListed(headers: IncomingHttpHeaders): Set<string> {
  const listed = new Set<string>()
  const value = headers.connection
  if (typeof value === 'string') for (const name of value.split(',')) listed.add(name.trim().toLowerCase())
  return listed
}

function filterHeaders(headers: IncomingHttpHeaders, drop: Set<string>): OutgoingHttpHeaders {
  const listed = connectionListed(headers)
  const out: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name) || drop.has(name)) continue
    if (name.startsWith('x-road-')) continue
    out[name] = value
  }
  return out
}

const RESPONSE_DROPPED = new Set(['set-cookie', 'set-cookie2'])

/** Thrown inside the request stream when the body passes the service's limit. */
class TooLargeError extends Error {}
/** Thrown when the provider does not answer in the service's time. */
class UpstreamTimeoutError extends Error {}

const EMPTY_HASH = createHash('sha256').digest('base64')

/** Hashes (SHA-256), counts and optionally keeps a body as it passes, without holding any of it back. */
class BodyDigest {
  bytes = 0
  private hash: Hash | null = null
  private kept: Buffer[] | null
  private digest: string | null = null

  constructor(keep: boolean) {
    this.kept = keep ? [] : null
  }

  update(chunk: Buffer) {
    this.bytes += chunk.length
    ;(this.hash ??= createHash('sha256')).update(chunk)
    if (this.kept) {
      if (this.bytes <= MAX_KEPT_BODY) this.kept.push(chunk)
      else this.kept = null
    }
  }

  /** The base64 SHA-256 of everything seen; final once called. */
  finish(): string {
    this.digest ??= this.hash ? this.hash.digest('base64') : EMPTY_HASH
    return this.digest
  }

  body(): Buffer | undefined {
    return this.kept && this.bytes > 0 ? Buffer.concat(this.kept) : undefined
  }
}

/** A stream stage that feeds a digest and fails with TooLargeError past `limit` bytes. */
class Metered extends Transform {
  constructor(
    readonly digest: BodyDigest,
    private readonly limit: number,
    readableHighWaterMark?: number,
  ) {
    super(readableHighWaterMark ? { readableHighWaterMark } : {})
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
    if (this.digest.bytes + chunk.length > this.limit) return callback(new TooLargeError())
    this.digest.update(chunk)
    callback(null, chunk)
  }

  override _flush(callback: TransformCallback) {
    this.digest.finish()
    callback()
  }
}

type Exchange = {
  messageId: string
  requestId: string
  client: string
  service: string
  tokenClientId: string
  method: string
  path: string
  startedAt: Date
  /** Set once the gateway starts reading the request's body (or finds it has none). */
  request?: BodyDigest
  response?: BodyDigest
  /** Holds an answer that arrived before the end of its request (see `forward`). */
  heldAnswer?: Metered
  keepBodies: boolean
  recorded: boolean
}

/** One call through the gateway: Node's own request and response, and the exchange being recorded. */
type Call = { req: IncomingMessage; res: ServerResponse; exchange: Exchange }

/**
 * The X-Road REST gateway: `/r1/...` calls checked against the registry and streamed to the provider.
 *
 * It works on Node's request and response directly: the server hands `/r1/` requests to `serve` before Fastify
 * (see `platform/http/raw-routes.ts`), so system-to-system calls skip the page kernel's hooks (cookies,
 * compression, sessions, browser security headers), which cost more per call than the gateway's own work. The
 * Fastify route below serves the same paths for `app.inject` and any server built without the fast path.
 */
export function createGateway(deps: GatewayDeps) {
  const { registry, recorder, clock, log } = deps
  const health: HealthBoard = createHealthBoard(deps.breaker, () => clock().getTime())
  const limiter = deps.rateLimiter ?? createRateLimiter(() => clock().getTime())

  /** An upstream failure; when it opens the circuit, the other processes are told. */
  function upstreamFailed(serviceId: string, reason: string) {
    if (health.failed(serviceId, reason)) {
      deps.circuits?.opened(serviceId, health.get(serviceId).openUntil ?? clock().getTime(), reason)
    }
  }

  function upstreamSucceeded(serviceId: string) {
    if (health.succeeded(serviceId)) deps.circuits?.closed(serviceId)
  }
  const tokens = new Map<string, { identity: BearerIdentity; until: number }>()
  const agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, scheduling: 'lifo' }),
    https: new https.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, scheduling: 'lifo' }),
  }

  async function authenticate(header: string | undefined): Promise<BearerIdentity | undefined> {
    if (typeof header !== 'string') return undefined
    const [scheme, token] = header.split(' ', 2)
    if (scheme?.toLowerCase() !== 'bearer' || !token || token.length > 512) return undefined
    const now = clock().getTime()
    const cached = tokens.get(token)
    if (cached && cached.until > now) return cached.identity
    const identity = await deps.authenticate(token.trim())
    if (!identity || identity.expiresAt.getTime() <= now) {
      tokens.delete(token)
      return undefined
    }
    if (deps.tokenCacheMs > 0) {
      if (tokens.size >= 10_000) tokens.clear()
      tokens.set(token, { identity, until: Math.min(now + deps.tokenCacheMs, identity.expiresAt.getTime()) })
    }
    return identity
  }

  function record(exchange: Exchange, status: number, errorCode?: string) {
    if (exchange.recorded) return
    exchange.recorded = true
    const { request, response } = exchange
    const entry: ExchangeRecord = {
      messageId: exchange.messageId,
      requestId: exchange.requestId,
      client: exchange.client,
      service: exchange.service,
      tokenClientId: exchange.tokenClientId,
      method: exchange.method,
      path: exchange.path,
      status,
      ...(errorCode ? { errorCode } : {}),
      startedAt: exchange.startedAt,
      finishedAt: clock(),
      requestHash: request ? request.finish() : EMPTY_HASH,
      responseHash: response ? response.finish() : EMPTY_HASH,
      requestBytes: request?.bytes ?? 0,
      responseBytes: response?.bytes ?? 0,
    }
    if (exchange.keepBodies) {
      const requestBody = request?.body()
      const responseBody = response?.body()
      if (requestBody) entry.requestBody = requestBody
      if (responseBody) entry.responseBody = responseBody
    }
    recorder.record(entry).catch((error: unknown) => log.error({ err: error }, 'lgsp exchange not recorded'))
  }

  /** The headers every answer of the gateway carries, its own or the provider's. */
  function baseHeaders(exchange: Exchange): OutgoingHttpHeaders {
    const headers: OutgoingHttpHeaders = {
      'x-content-type-options': 'nosniff',
      'x-road-id': exchange.messageId,
      'x-road-request-id': exchange.requestId,
    }
    if (exchange.client) headers['x-road-client'] = exchange.client
    if (exchange.service) headers['x-road-service'] = exchange.service
    return headers
  }

  /** Answers with an X-Road-style error and records the exchange. */
  function refuse(call: Call, key: GatewayErrorKey, detail: string, extra: Record<string, string> = {}) {
    const { req, res, exchange } = call
    const error = gatewayErrors[key]
    record(exchange, error.status, error.type)
    if (res.headersSent) {
      // The provider's answer had begun: all that is left is to break the connection, so the client sees it cut.
      res.destroy()
      return
    }
    const headers = { ...baseHeaders(exchange), ...extra, 'x-road-error': error.type }
    // A body we did not read is not worth reading: close the connection after answering.
    if (exchange.request === undefined && hasBody(req)) headers.connection = 'close'
    sendJson(res, error.status, headers, { type: error.type, message: error.message, detail })
  }

  function sendJson(res: ServerResponse, status: number, headers: OutgoingHttpHeaders, body: unknown) {
    const payload = Buffer.from(JSON.stringify(body))
    headers['content-type'] = 'application/json; charset=utf-8'
    headers['content-length'] = payload.length
    res.writeHead(status, headers)
    res.end(payload)
  }

  function hasBody(req: IncomingMessage) {
    const length = req.headers['content-length']
    return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
  }

  function json(call: Call, body: unknown) {
    const { res, exchange } = call
    const payload = Buffer.from(JSON.stringify(body))
    exchange.response = new BodyDigest(exchange.keepBodies)
    exchange.response.update(payload)
    record(exchange, 200)
    const headers = baseHeaders(exchange)
    headers['content-type'] = 'application/json; charset=utf-8'
    headers['content-length'] = payload.length
    res.writeHead(200, headers)
    res.end(call.req.method === 'HEAD' ? undefined : payload)
  }

  /** The client subsystem behind the request, or the refusal to send (with the client as far as known). */
  function identifyClient(
    req: IncomingMessage,
    snapshot: Snapshot,
    identity: BearerIdentity,
    required: boolean,
  ): { client: Subsystem } | { error: GatewayErrorKey; label: string; detail: string } {
    const header = req.headers['x-road-client']
    if (header === undefined && !required) {
      const client = snapshot.subsystemBySsoClient.get(identity.clientId)
      return client && !client.disabled_at
        ? { client }
        : { error: 'unknownClient', label: '', detail: `no subsystem for ${identity.clientId}` }
    }
    let label: string
    try {
      label = formatSubsystemId(parseClientHeader(header))
    } catch (error) {
      return { error: 'invalidClientId', label: '', detail: (error as Error).message }
    }
    const client = snapshot.subsystemByIdentifier.get(label)
    if (!client || client.disabled_at) return { error: 'unknownClient', label, detail: label }
    if (client.sso_client_id !== identity.clientId) {
      return { error: 'clientMismatch', label, detail: `token of ${identity.clientId}, client ${label}` }
    }
    return { client }
  }

  function rightsOf(snapshot: Snapshot, service: Service, client: Subsystem): AccessRight[] {
    return (snapshot.rightsByService.get(service.id) ?? []).filter((r) => r.client_subsystem_id === client.id)
  }

  const allows = (right: AccessRight, method: string, path: string) =>
    (right.methods.includes('*') || right.methods.includes(method)) && pathMatches(right.path_pattern, path)

  const publicBase = (req: IncomingMessage) =>
    (
      deps.publicUrl ??
      `${(req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`
    ).replace(/\/+$/, '')

  const serviceEntry = (service: Service) => ({
    object_type: 'SERVICE',
    xroad_instance: service.provider.member.instance,
    member_class: service.provider.member.member_class,
    member_code: service.provider.member.member_code,
    subsystem_code: service.provider.code,
    service_code: service.code,
    service_version: service.version,
    service_type: 'REST',
  })

  /** listClients, listMethods, allowedMethods, getOpenAPI (X-Road's service metadata protocol for REST). */
  function metaservice(
    call: Call,
    snapshot: Snapshot,
    target: Exclude<GatewayTarget, { kind: 'service' }>,
    client: Subsystem | undefined,
  ) {
    if (target.kind === 'listClients') {
      const member = []
      for (const m of snapshot.members) {
        if (target.instance && m.instance !== target.instance) continue
        const id = { xroad_instance: m.instance, member_class: m.member_class, member_code: m.member_code }
        member.push({ id: { object_type: 'MEMBER', ...id }, name: m.name })
        for (const s of snapshot.subsystems) {
          if (s.member_id !== m.id || s.disabled_at) continue
          member.push({ id: { object_type: 'SUBSYSTEM', ...id, subsystem_code: s.code }, name: m.name })
        }
      }
      return json(call, { member })
    }
    const provider = snapshot.subsystemByIdentifier.get(formatSubsystemId(target.subsystem))
    const services = provider
      ? snapshot.services.filter((s) => s.subsystem_id === provider.id && !s.disabled_at)
      : []
    if (target.meta === 'listMethods') return json(call, { service: services.map(serviceEntry) })
    if (target.meta === 'allowedMethods') {
      const allowed = []
      for (const service of services) {
        const rights = client ? rightsOf(snapshot, service, client) : []
        if (rights.length === 0) continue
        const endpoint_list = rights.flatMap((r) =>
          r.methods.map((method) => ({ method, path: r.path_pattern })),
        )
        allowed.push({ ...serviceEntry(service), endpoint_list })
      }
      return json(call, { service: allowed })
    }
    const serviceCode = new URLSearchParams(target.query.slice(1)).get('serviceCode') ?? ''
    const service = services.find((s) => s.code === serviceCode)
    if (!service?.openapi) return refuse(call, 'noOpenApi', serviceCode || 'serviceCode')
    return json(call, openApiForClients(service, publicBase(call.req)))
  }

  /** Mutual TLS: why the certificate the client presented does not match its registration, if it does not. */
  function certificateProblem(
    req: IncomingMessage,
    registered: string,
  ): { key: GatewayErrorKey; detail: string } | undefined {
    const presented = presentedCertificate(req, deps.clientCertHeader)
    if (presented.kind === 'none') return { key: 'certificateRequired', detail: 'no client certificate' }
    if (presented.kind === 'invalid') return { key: 'certificateMismatch', detail: 'unreadable certificate' }
    if (presented.sha256 !== registered) return { key: 'certificateMismatch', detail: presented.sha256 }
    const now = clock().getTime()
    if (presented.validFrom.getTime() > now || presented.validTo.getTime() <= now) {
      return { key: 'certificateExpired', detail: presented.validTo.toISOString() }
    }
    return undefined
  }

  /** Serves one `/r1/…` request on Node's request and response; never throws. */
  function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const exchange: Exchange = {
      messageId: randomUUID(),
      requestId: randomUUID(),
      client: '',
      service: '',
      tokenClientId: '',
      method: req.method ?? 'GET',
      path: '',
      startedAt: clock(),
      keepBodies: false,
      recorded: false,
    }
    const call: Call = { req, res, exchange }
    return handle(call).catch((error: unknown) => {
      log.error({ err: error, url: req.url }, 'lgsp gateway failed')
      refuse(call, 'internalError', 'internal error')
    })
  }

  async function handle(call: Call) {
    const { req, exchange } = call
    const url = req.url ?? '/'
    const messageIdHeader = req.headers['x-road-id']
    const userId = req.headers['x-road-userid']
    if (
      (messageIdHeader !== undefined &&
        (typeof messageIdHeader !== 'string' || !TOKEN_PATTERN.test(messageIdHeader))) ||
      (userId !== undefined && (typeof userId !== 'string' || !TOKEN_PATTERN.test(userId)))
    ) {
      return refuse(call, 'invalidHeader', 'X-Road-Id / X-Road-UserId')
    }
    if (typeof messageIdHeader === 'string') exchange.messageId = messageIdHeader
    if (!(exchange.method in FORWARDED_METHODS)) {
      return refuse(call, 'badRequest', `method ${exchange.method.slice(0, 20)}`)
    }

    let target: GatewayTarget
    try {
      target = parseGatewayPath(url)
    } catch (error) {
      exchange.service = url.split('?')[0]!.slice(0, 300)
      return refuse(call, 'invalidServiceId', (error as IdentifierError).message)
    }
    exchange.service =
      target.kind === 'service'
        ? `${formatSubsystemId(target.service)}/${target.service.serviceCode}`
        : target.kind === 'meta'
          ? `${formatSubsystemId(target.subsystem)}/${target.meta}`
          : `${target.instance ? `${target.instance}/` : ''}listClients`
    exchange.path = target.kind === 'service' ? target.rest : target.kind === 'meta' ? target.query : ''

    const identity = await authenticate(req.headers.authorization)
    if (!identity) {
      return refuse(call, 'unauthenticated', 'Authorization', { 'www-authenticate': 'Bearer realm="lgsp"' })
    }
    exchange.tokenClientId = identity.clientId
    if (!identity.scope.includes(GATEWAY_SCOPE)) {
      return refuse(call, 'missingScope', identity.scope.join(' '))
    }

    const snapshot = await registry.snapshot()
    const identified = identifyClient(req, snapshot, identity, target.kind === 'service')
    if ('error' in identified) {
      exchange.client = identified.label
      return refuse(call, identified.error, identified.detail)
    }
    const client = identified.client
    exchange.client = client.identifier
    if (client.client_certificate_sha256) {
      const refusal = certificateProblem(req, client.client_certificate_sha256)
      if (refusal) return refuse(call, refusal.key, refusal.detail)
    }

    let wait = limiter.take(client.id, client.rate_limit_per_minute)
    if (typeof wait !== 'number') wait = await wait
    if (wait > 0) {
      return refuse(call, 'rateLimited', `${client.rate_limit_per_minute}/min`, {
        'retry-after': String(wait),
      })
    }

    if (target.kind !== 'service') return metaservice(call, snapshot, target, client)

    const service = snapshot.serviceByIdentifier.get(exchange.service)
    if (!service) return refuse(call, 'unknownService', exchange.service)
    exchange.keepBodies = service.log_bodies
    if (service.disabled_at || service.provider.disabled_at) {
      return refuse(call, 'serviceDisabled', exchange.service)
    }
    const problem = restPathProblem(target.rest)
    if (problem) return refuse(call, 'invalidPath', problem)
    const path = target.rest.split('?')[0] || '/'
    if (!rightsOf(snapshot, service, client).some((r) => allows(r, exchange.method, path))) {
      return refuse(call, 'accessDenied', `${exchange.method} ${path}`)
    }
    const length = Number(req.headers['content-length'] ?? 0)
    if (length > service.max_body_bytes) {
      return refuse(call, 'tooLarge', `${length} > ${service.max_body_bytes} bytes`)
    }
    const allowed = matchAllowedHost(
      service.base,
      snapshot.hosts.map((h) => h.host),
    )
    if (!allowed) return refuse(call, 'serviceDisabled', `${service.base.host} not allowed`)
    const shared = snapshot.openCircuits.get(service.id)
    if (shared) health.adopt(service.id, shared.until, shared.reason)
    const admission = health.admit(service.id)
    if (admission === 'reject') {
      const openUntil = health.get(service.id).openUntil
      const seconds = openUntil ? Math.max(1, Math.ceil((openUntil - clock().getTime()) / 1000)) : 1
      return refuse(call, 'circuitOpen', exchange.service, { 'retry-after': String(seconds) })
    }
    return forward(call, service, target.rest, allowed.exact)
  }

  function forward(call: Call, service: Service, rest: string, exactHost: boolean): Promise<void> {
    const { req, res, exchange } = call
    const requestDigest = new BodyDigest(service.log_bodies)
    exchange.request = requestDigest
    const withBody = hasBody(req)
    const requestMeter = withBody ? new Metered(requestDigest, service.max_body_bytes) : undefined
    const headers = filterHeaders(req.headers, NOT_FORWARDED)
    // The proxy's copy of the client's certificate is for the gateway, not the provider.
    if (deps.clientCertHeader) delete headers[deps.clientCertHeader]
    headers['x-road-client'] = exchange.client
    headers['x-road-service'] = exchange.service
    headers['x-road-id'] = exchange.messageId
    headers['x-road-request-id'] = exchange.requestId
    if (typeof req.headers['x-road-userid'] === 'string')
      headers['x-road-userid'] = req.headers['x-road-userid']
    headers.host = service.base.host
    const secure = service.base.protocol === 'https:'
    const upstream = (secure ? https : http).request({
      protocol: service.base.protocol,
      hostname: service.base.hostname,
      port: service.base.port,
      // `rest` is empty, a path from `/`, or only a query string.
      path: rest.startsWith('/') ? `${service.basePath}${rest}` : `${service.basePath || '/'}${rest}`,
      method: exchange.method,
      headers,
      agent: secure ? agents.https : agents.http,
      lookup: exactHost ? lookups.exact : lookups.checked,
    })
    return new Promise<void>((resolve) => {
      let settled = false
      let bodyDone = false
      let answerTimer: NodeJS.Timeout | undefined
      const startAnswerTimer = () => {
        answerTimer ??= setTimeout(
          () => upstream.destroy(new UpstreamTimeoutError(`no answer within ${service.timeout_ms} ms`)),
          service.timeout_ms,
        )
      }
      // A provider that goes quiet at any stage is given up after the service's timeout; quiet because the
      // client reads the answer slowly (the gateway is holding the provider back) does not count.
      const idle = () => {
        if (settled && (res.writableNeedDrain || (exchange.heldAnswer?.readableLength ?? 0) > 0)) {
          upstream.setTimeout(service.timeout_ms, idle)
          return
        }
        upstream.destroy(new UpstreamTimeoutError(`idle for ${service.timeout_ms} ms`))
      }
      upstream.setTimeout(service.timeout_ms, idle)

      const fail = (error: unknown) => {
        if (settled) return
        settled = true
        clearTimeout(answerTimer)
        upstream.destroy()
        if (!bodyDone && requestMeter) req.unpipe(requestMeter)
        if (error instanceof TooLargeError) {
          health.released(service.id)
          // The rest of the body is not worth reading: the connection closes after the answer.
          refuse(call, 'tooLarge', `> ${service.max_body_bytes} bytes`, { connection: 'close' })
        } else if (req.destroyed && !bodyDone) {
          health.released(service.id)
          record(exchange, 499, 'Client.RequestAborted')
        } else if (error instanceof UpstreamTimeoutError) {
          upstreamFailed(service.id, 'timeout')
          refuse(call, 'timeout', error.message)
        } else if (error instanceof ForbiddenAddressError) {
          health.released(service.id)
          refuse(call, 'forbiddenAddress', error.message)
        } else {
          const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message
          upstreamFailed(service.id, code)
          refuse(call, 'networkError', code)
        }
        resolve()
      }

      upstream.on('error', fail)
      req.on('error', fail)
      req.on('close', () => {
        if (!bodyDone && !req.complete) fail(new Error('client aborted'))
      })
      if (requestMeter) {
        requestMeter.on('error', fail)
        requestMeter.on('end', () => {
          bodyDone = true
          startAnswerTimer()
        })
        req.pipe(requestMeter).pipe(upstream)
      } else {
        // Nothing to stream (GET, HEAD, DELETE without a body): the request is complete as it stands.
        bodyDone = true
        upstream.end()
        startAnswerTimer()
        req.resume()
      }

      upstream.on('response', (response: IncomingMessage) => {
        if (settled) return response.resume()
        clearTimeout(answerTimer)
        // A provider may answer before it has read the whole request (an echo does). The hash of the request goes
        // into the answer's headers, so the answer is held, up to EARLY_ANSWER_BUFFER, until the request is in.
        // Otherwise the meter only observes the answer streaming straight to the client.
        const responseDigest = new BodyDigest(service.log_bodies)
        exchange.response = responseDigest
        const held = bodyDone
          ? undefined
          : new Metered(responseDigest, Number.POSITIVE_INFINITY, EARLY_ANSWER_BUFFER)
        exchange.heldAnswer = held
        let broken: string | undefined
        response.on('error', (error) => {
          broken = (error as NodeJS.ErrnoException).code ?? error.message
          held?.destroy(error)
        })
        response.on('aborted', () => (broken ??= 'aborted'))
        if (held) response.pipe(held)
        else response.on('data', (chunk: Buffer) => responseDigest.update(chunk))
        const send = () => {
          if (settled) return
          settled = true
          const status = response.statusCode ?? 502
          if (status === 502 || status === 503 || status === 504) upstreamFailed(service.id, `HTTP ${status}`)
          else upstreamSucceeded(service.id)
          res.once('close', () => {
            const complete = response.complete && !broken && res.writableFinished
            record(
              exchange,
              status,
              complete ? undefined : broken ? gatewayErrors.networkError.type : 'Client.ResponseAborted',
            )
            if (!response.complete) upstream.destroy()
          })
          const out = filterHeaders(response.headers, RESPONSE_DROPPED)
          Object.assign(out, baseHeaders(exchange))
          out['x-road-request-hash'] = requestDigest.finish()
          res.writeHead(status, out)
          const source = held ?? response
          source.on('error', () => res.destroy())
          source.pipe(res)
          resolve()
        }
        if (bodyDone) send()
        else requestMeter?.once('end', send)
      })
    })
  }

  /**
   * Forgets the checked tokens of a client whose tokens were revoked, so its next call asks the provider again;
   * every token when revocations may have been missed (`undefined`).
   */
  function forgetTokens(clientId: string | undefined) {
    if (clientId === undefined) return tokens.clear()
    for (const [token, entry] of tokens) if (entry.identity.clientId === clientId) tokens.delete(token)
  }

  return {
    health,
    serve,
    forgetTokens,
    routes: async (app: FastifyInstance) => {
      // The gateway reads request bodies itself, as streams: no parser may buffer them.
      app.removeAllContentTypeParsers()
      app.addContentTypeParser('*', (_request, _payload, done) => done(null))
      app.route({
        method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'],
        url: `${gatewayPaths.prefix}/*`,
        schema: { hide: true },
        config: { compress: false, decompress: false },
        helmet: false,
        handler: (request, reply) => {
          reply.hijack()
          return serve(request.raw, reply.raw)
        },
      })
      app.addHook('onClose', async () => {
        agents.http.destroy()
        agents.https.destroy()
      })
    },
  }
}

/** The methods the gateway forwards (the route's list; anything else is refused before reaching a provider). */
const FORWARDED_METHODS = { GET: 1, POST: 1, PUT: 1, PATCH: 1, DELETE: 1, HEAD: 1, OPTIONS: 1 }

/** Resolvers for provider hosts: one allowed by its exact name may resolve anywhere, others never inside. */
const lookups = { exact: guardedLookup(true), checked: guardedLookup(false) }

export type Gateway = ReturnType<typeof createGateway>

/** A service's OpenAPI document as clients should use it: its servers are the gateway's address for it. */
export function openApiForClients(service: Service, base: string): Record<string, unknown> {
  const doc = { ...(service.openapi ?? {}) }
  doc.servers = [
    {
      url: `${base}${gatewayPaths.service(service.identifier)}`,
      description: `Qua nền tảng tích hợp LGSP (${service.identifier}, phiên bản ${service.version})`,
    },
  ]
  return doc
}
