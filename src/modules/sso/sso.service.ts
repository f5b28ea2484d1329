import type { FastifyBaseLogger } from 'fastify'
import { sql } from 'kysely'
import type Provider from 'oidc-provider'
import { isUuid } from '../../platform/ids.js'
import type { ModuleDeps } from '../../platform/module.js'
import type { AuthService } from '../identity/index.js'
import { platformRequest, purgeExpired, sessionsOfPlatformSession } from './sso.adapter.js'
import { createClientsService } from './sso.clients.js'
import { createKeyStore } from './sso.keys.js'
import { createProvider, KEY_RETIREMENT_SECONDS, type AccountClaims } from './sso.provider.js'
import { ssoPaths } from './sso.paths.js'
import { deleteAndSignal, TOKENS_REVOKED } from './sso.revocation.js'
import type { SignalListener, Signals } from '../../platform/db/signals.js'
import { tablesOf } from '../../platform/db/tables.js'
import type { SsoTables } from './sso.tables.js'

export type SsoDeps = ModuleDeps & {
  auth: AuthService
  log: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>
  /** Where revocations are announced to the other processes on the database. */
  signals: Signals
}

/** The part of oidc-provider's Client its type declarations leave out. */
type BackchannelClient = {
  backchannelLogoutUri?: string
  backchannelLogout(sub: string, sid: string): Promise<void>
}

/** Who presented a bearer token: the registered client, and the official when the token was issued to one. */
export type BearerIdentity = { clientId: string; accountId?: string; scope: string[]; expiresAt: Date }

type Authorization = { sid?: string; grantId?: string; persistsLogout?: boolean }

/** The issuer the applications are configured with: the platform's public address with the mount path. */
export function issuerOf(config: ModuleDeps['config']): string {
  const base = (config.publicUrl ?? `http://localhost:${config.port}`).replace(/\/+$/, '')
  return `${base}${ssoPaths.mount}`
}

/**
 * The provider and what surrounds it: signing keys, the accounts behind subjects, and the platform's
 * sign-out ending the matching provider sessions (with back-channel logout to each application).
 */
export function createSsoService(deps: SsoDeps) {
  const { db, config, clock, auth, log } = deps
  const keys = createKeyStore({ db, clock, secretKey: config.secretKey })
  const clients = createClientsService(deps)
  const issuer = issuerOf(config)
  let provider: Provider | undefined
  let keyIds = ''

  async function loadAccount(userId: string): Promise<AccountClaims | undefined> {
    if (!isUuid(userId)) return undefined
    const user = await auth.getProfile(userId).catch(() => undefined)
    if (!user || user.status !== 'active') return undefined
    const actor = await auth.loadActor(user, 'session')
    const units = new Map<string, string | null>()
    for (const grant of actor.grants) if (grant.unitId) units.set(grant.unitId, grant.unitName)
    return {
      sub: user.id,
      name: user.full_name,
      preferred_username: user.username,
      email: user.email,
      phone_number: user.phone,
      units: [...units].map(([id, name]) => ({ id, name })),
      roles: actor.grants.map((g) => ({
        role: g.role,
        unit_id: g.unitId,
        unit_name: g.unitName,
        include_subtree: g.includeSubtree,
      })),
      amr: user.totp_enabled_at ? ['pwd', 'otp'] : ['pwd'],
    }
  }

  function build(jwks: Awaited<ReturnType<typeof keys.loadJwks>>): Provider {
    const built = createProvider({ db, config, clock, issuer, jwks, loadAccount })
    // "Sign out of everything" on the provider's logout page ends the platform session too; done before the
    // response is sent, so the official's next step finds it gone.
    built.on('end_session.success', (ctx) => {
      const store = platformRequest.getStore()
      if (store && ctx.oidc.params?.logout) store.endPlatformSession = true
    })
    built.use(async (_ctx, next) => {
      await next()
      const store = platformRequest.getStore()
      if (store?.endPlatformSession && store.sessionId) {
        store.endPlatformSession = false
        await auth.logout(store.sessionId, store.audit)
      }
    })
    built.on('backchannel.error', (_ctx, error, client) =>
      log.warn({ err: error, clientId: client.clientId }, 'back-channel logout failed'),
    )
    built.on('server_error', (_ctx, error) => log.error({ err: error }, 'oidc provider error'))
    return built
  }

  /** Loads the keys (creating them on first start) and builds the provider anew when they changed. */
  async function refresh(): Promise<Provider> {
    await keys.ensureKeys()
    const jwks = await keys.loadJwks()
    const ids = jwks.map((k) => k.kid).join(',')
    if (!provider || ids !== keyIds) {
      provider = build(jwks)
      keyIds = ids
    }
    return provider
  }

  function current(): Provider {
    if (!provider) throw new Error('the SSO provider is not started (call refresh() first)')
    return provider
  }

  /** Ends the provider sessions signed in with a platform session, telling each application by back channel. */
  async function endSessionsOf(platformSessionId: string): Promise<void> {
    const sessions = await sessionsOfPlatformSession(db, platformSessionId)
    if (sessions.length === 0) return
    const p = provider ?? (await refresh())
    for (const session of sessions) {
      const accountId = typeof session.payload.accountId === 'string' ? session.payload.accountId : undefined
      const authorizations = (session.payload.authorizations ?? {}) as Record<string, Authorization>
      for (const [clientId, authorization] of Object.entries(authorizations)) {
        const client = (await p.Client.find(clientId)) as BackchannelClient | undefined
        if (client?.backchannelLogoutUri && accountId) {
          try {
            await client.backchannelLogout(accountId, authorization.sid ?? '')
            log.info({ clientId }, 'back-channel logout delivered')
          } catch (error) {
            log.warn({ err: error, clientId }, 'back-channel logout failed')
          }
        }
        if (authorization.grantId && !authorization.persistsLogout) {
          await deleteAndSignal(db, sql<boolean>`grant_id = ${authorization.grantId}`)
        }
      }
      await tablesOf<SsoTables>(db)
        .deleteFrom('sso_payloads')
        .where('model', '=', 'Session')
        .where('id', '=', session.id)
        .execute()
    }
  }

  auth.onLogout(async ({ sessionId }) => {
    try {
      await endSessionsOf(sessionId)
    } catch (error) {
      log.error({ err: error }, 'could not end single sign-on sessions')
    }
  })

  /** Periodic upkeep: expired provider records and retired keys go, new keys from a rotation are picked up. */
  async function maintain(): Promise<void> {
    await purgeExpired(db, clock())
    await keys.purge()
    await refresh()
  }

  /**
   * The client (and, for a person's token, the account) behind a bearer access token issued by this provider,
   * for the platform's own resource servers (the LGSP gateway, the publish/subscribe API). Undefined when the
   * token is unknown, expired or revoked, or its client was disabled since.
   */
  async function authenticateBearer(token: string): Promise<BearerIdentity | undefined> {
    if (!token || token.length > 512) return undefined
    const p = provider ?? (await refresh())
    const found =
      (await p.ClientCredentials.find(token).catch(() => undefined)) ??
      (await p.AccessToken.find(token).catch(() => undefined))
    if (!found?.clientId || found.isExpired) return undefined
    const client = await p.Client.find(found.clientId).catch(() => undefined)
    if (!client) return undefined
    const scope = typeof found.scope === 'string' ? found.scope.split(' ').filter(Boolean) : []
    const accountId =
      'accountId' in found && typeof found.accountId === 'string' ? found.accountId : undefined
    return { clientId: found.clientId, accountId, scope, expiresAt: new Date((found.exp ?? 0) * 1000) }
  }

  /**
   * Calls `listener` with the client id each time access tokens of that client are revoked (by the revocation
   * endpoint, a logout, an administrator disabling the client), in any process on the database; with `undefined`
   * when revocations may have been missed (the database connection was lost), so a cache should then drop all.
   */
  function onTokensRevoked(listener: SignalListener) {
    return deps.signals.listen(TOKENS_REVOKED, listener)
  }

  return {
    authenticateBearer,
    onTokensRevoked,
    keys,
    clients,
    issuer,
    refresh,
    current,
    maintain,
    loadAccount,
    endSessionsOf,
    rotateKeys: () => keys.rotate(KEY_RETIREMENT_SECONDS),
  }
}

export type SsoService = ReturnType<typeof createSsoService>
