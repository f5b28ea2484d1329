import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ActorResolver } from '../../platform/http/plugin.js'
import { AppError } from '../../platform/http/errors.js'
import { accountRoutes } from './account.routes.js'
import { adminRoutes } from './admin.routes.js'
import { authRoutes, SESSION_COOKIE } from './auth.routes.js'
import { createAuthService, type AuthDeps } from './auth.service.js'
import { createExternalProvider } from './external-login.client.js'
import { externalAccountExtension, externalLoginRoutes, externalSignOut } from './external-login.routes.js'
import { createExternalLoginService } from './external-login.service.js'
import { identityApi } from './identity.api.js'
import { identityPaths } from './identity.paths.js'
import { createUsersService } from './users.service.js'

export type { AuthService } from './auth.service.js'
export type { UsersService } from './users.service.js'
export { identityPaths } from './identity.paths.js'
export { seedDemoUsers, DEMO_ACCOUNTS } from './identity.seed.js'
export {
  officialsDirectory,
  type OfficialContact,
  type OfficialsDirectory,
  type UnitOfficial,
} from './officials-directory.js'

/** Users, sign-in, sessions, two-factor, tokens, roles per org unit, and the back-office home. */
export function createIdentityModule(deps: AuthDeps) {
  const auth = createAuthService(deps)
  const users = createUsersService(deps)
  // Citizens' sign-in through VNeID or another OpenID Connect provider, when one is configured.
  const external = deps.config.externalOidc && {
    service: createExternalLoginService(deps, deps.config.externalOidc),
    provider: createExternalProvider(
      deps.config.externalOidc,
      `${(deps.config.publicUrl ?? '').replace(/\/+$/, '')}${identityPaths.externalCallback}`,
      deps.clock,
    ),
  }

  const resolveActor: ActorResolver = async (request: FastifyRequest) => {
    const header = request.headers.authorization
    if (header && request.url.startsWith('/api/v1/')) {
      const [scheme, token] = header.split(' ', 2)
      const actor = scheme?.toLowerCase() === 'bearer' && token ? await auth.resolveToken(token.trim()) : null
      if (!actor)
        throw new AppError(401, 'invalid_token', 'Khóa truy cập không hợp lệ, đã hết hạn hoặc đã bị thu hồi.')
      return { actor, via: 'token', sessionId: null }
    }
    const cookie = request.cookies[SESSION_COOKIE]
    const resolved = cookie ? await auth.resolveSession(cookie) : null
    if (!resolved) return { actor: null, via: null, sessionId: null }
    return {
      actor: resolved.actor,
      via: resolved.actor ? 'session' : null,
      sessionId: resolved.session.sessionId,
    }
  }

  return {
    auth,
    users,
    resolveActor,
    routes: async (app: FastifyInstance) => {
      await app.register(
        authRoutes(
          auth,
          deps.config,
          external ? externalSignOut(external.provider, deps.config, deps.clock) : undefined,
        ),
      )
      await app.register(
        accountRoutes(auth, deps.clock, external ? [externalAccountExtension(external.service)] : []),
      )
      if (external)
        await app.register(
          externalLoginRoutes(external.service, external.provider, auth, deps.config, deps.clock),
        )
      await app.register(adminRoutes(users, deps.db, deps.clock))
    },
    api: identityApi(auth, users, deps.db),
  }
}
