import type { FastifyBaseLogger } from 'fastify'
import type { Signals } from '../../platform/db/signals.js'
import type { ModuleDeps } from '../../platform/module.js'
import type { ExchangeRecorder } from '../lgsp-log/index.js'
import type { SsoService } from '../sso/index.js'
import { lgspApi } from './lgsp.api.js'
import { createGateway } from './lgsp.gateway.js'
import { createSharedRateLimiter } from './lgsp.quota.js'
import { deleteCircuit, REGISTRY_CHANGED, saveOpenCircuit, signalRegistryChanged } from './lgsp.repository.js'
import type { Resolver } from './lgsp.hosts.js'
import { lgspRoutes } from './lgsp.routes.js'
import { createLgspService } from './lgsp.service.js'

export type { LgspService, Snapshot, Service, Subsystem } from './lgsp.service.js'
export type { Gateway } from './lgsp.gateway.js'
export { GATEWAY_SCOPE } from './lgsp.gateway.js'
export { gatewayPaths, lgspPaths } from './lgsp.paths.js'
export { formatServiceId, formatSubsystemId, parseClientHeader } from './lgsp.identifiers.js'

export type LgspModuleDeps = ModuleDeps & {
  sso: Pick<SsoService, 'authenticateBearer' | 'clients' | 'onTokensRevoked'>
  /** The message log: every exchange through the gateway, refused ones included, is recorded there. */
  recorder: ExchangeRecorder
  log: Pick<FastifyBaseLogger, 'warn' | 'error'>
  resolver?: Resolver
  /** Signals between the server processes on the database (revoked tokens, registry changes). */
  signals: Signals
}

/**
 * The LGSP registry and gateway: members (agencies), their subsystems, services and access rights, the hosts
 * services may point at, and the X-Road-style REST gateway under `/r1` that checks, streams and records calls.
 */
export function createLgspModule(deps: LgspModuleDeps) {
  const { config, clock, sso } = deps
  const service = createLgspService({
    ...deps,
    resolver: deps.resolver,
    ssoClient: async (clientId) => {
      const client = await sso.clients.findClientPublic(clientId)
      return client
        ? { kind: client.kind, name: client.name, disabled: client.disabled_at !== null }
        : undefined
    },
  })
  const gateway = createGateway({
    registry: service,
    authenticate: (token) => sso.authenticateBearer(token),
    recorder: deps.recorder,
    clock,
    breaker: { failures: config.lgspBreakerFailures, openMs: config.lgspBreakerOpenSeconds * 1000 },
    tokenCacheMs: config.lgspTokenCacheSeconds * 1000,
    clientCertHeader: config.lgspClientCertHeader,
    publicUrl: config.publicUrl,
    log: deps.log,
    circuits: {
      opened: (serviceId, until, reason) =>
        void saveOpenCircuit(deps.db, serviceId, new Date(until), reason, clock())
          .then(() => signalRegistryChanged(deps.db, 'circuit'))
          .catch((error: unknown) => deps.log.warn({ err: error }, 'lgsp circuit not shared')),
      closed: (serviceId) =>
        void deleteCircuit(deps.db, serviceId)
          .then(() => signalRegistryChanged(deps.db, 'circuit'))
          .catch((error: unknown) => deps.log.warn({ err: error }, 'lgsp circuit not shared')),
    },
    rateLimiter: createSharedRateLimiter({
      db: deps.db,
      now: () => clock().getTime(),
      onError: (error) =>
        deps.log.warn({ err: error }, 'lgsp rate limit: quota not leased, counting per process'),
    }),
  })
  return {
    service,
    gateway,
    /**
     * Listens for revoked tokens, so the gateway's cache of checked tokens never outlives a revocation, and for
     * changes of the registry and circuits made by other processes, so a right taken away stops calls at once.
     */
    start: async () => {
      await sso.onTokensRevoked((clientId) => gateway.forgetTokens(clientId))
      await deps.signals.listen(REGISTRY_CHANGED, () => service.invalidate())
    },
    /** Admin pages and the integrators' catalogue. */
    routes: lgspRoutes(service, gateway, config.publicUrl),
    /** The gateway itself, outside /api/v1: no CSRF, no cookies, no body parsing. */
    gatewayRoutes: gateway.routes,
    api: lgspApi(service, gateway),
  }
}
