import type { FastifyInstance } from 'fastify'
import { ssoRoutes } from './sso.routes.js'
import { createSsoService, type SsoDeps } from './sso.service.js'

export type { BearerIdentity, SsoService } from './sso.service.js'
export type { ClientInput, ClientRow } from './sso.clients.js'
export { parseClientInput } from './sso.clients.js'
export { issuerOf } from './sso.service.js'
export { ssoPaths } from './sso.paths.js'
export { runSsoCommand, SSO_USAGE } from './sso.cli.js'

/**
 * Single sign-on: the platform as an OpenID Connect provider for the province's applications, with the
 * platform's own sign-in, registered clients, persistent sessions and grants, and rotating signing keys.
 */
export function createSsoModule(deps: SsoDeps) {
  const service = createSsoService(deps)
  return {
    service,
    routes: async (app: FastifyInstance) => {
      // Keys are created on first start and the provider built before the first request reaches it.
      await service.refresh()
      await app.register(ssoRoutes(service))
    },
  }
}
