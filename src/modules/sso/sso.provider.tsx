import { hkdfSync } from 'node:crypto'
import type { JWK } from 'jose'
import Provider, {
  interactionPolicy,
  type Configuration,
  type FindAccount,
  type KoaContextWithOIDC,
} from 'oidc-provider'
import type { Config } from '../../platform/config.js'
import type { Clock } from '../../platform/clock.js'
import type { Db } from '../../platform/db/database.js'
import type { PageContext } from '../../platform/views/context.js'
import { Layout } from '../../platform/views/layout.js'
import { createAdapterFactory, platformRequest } from './sso.adapter.js'
import { ALL_SCOPES, secretMatches } from './sso.clients.js'
import { ssoPaths } from './sso.paths.js'

/** Lifetimes, in seconds. ID tokens bound how long a retired signing key must stay published. */
export const TTL = {
  AccessToken: 10 * 60,
  ClientCredentials: 10 * 60,
  AuthorizationCode: 60,
  IdToken: 60 * 60,
  RefreshToken: 14 * 24 * 3600,
  Grant: 14 * 24 * 3600,
  Interaction: 60 * 60,
} as const

/** How long a retired key stays in JWKS: anything it signed (ID and logout tokens) has expired by then. */
export const KEY_RETIREMENT_SECONDS = TTL.IdToken + 5 * 60

export type AccountClaims = {
  sub: string
  name: string
  preferred_username: string
  email: string | null
  phone_number: string | null
  units: { id: string; name: string | null }[]
  roles: { role: string; unit_id: string | null; unit_name: string | null; include_subtree: boolean }[]
  amr: string[]
}

export type ProviderDeps = {
  db: Db
  config: Config
  clock: Clock
  issuer: string
  jwks: JWK[]
  /** The account behind a subject, or undefined when it no longer exists or is disabled. */
  loadAccount: (userId: string) => Promise<AccountClaims | undefined>
}

/** The platform's own sign-in decides who the official is: a provider session for anyone else must log in again. */
const platformSessionCheck = new interactionPolicy.Check(
  'platform_session',
  'the official is not signed in to the platform as this account',
  (ctx) => {
    const platformUser = platformRequest.getStore()?.userId ?? null
    return ctx.oidc.session?.accountId === platformUser
      ? interactionPolicy.Check.NO_NEED_TO_PROMPT
      : interactionPolicy.Check.REQUEST_PROMPT
  },
)

function interactionsPolicy() {
  const policy = interactionPolicy.base()
  policy.get('login')!.checks.add(platformSessionCheck, 0)
  return policy
}

function providerPage(ctx: KoaContextWithOIDC, title: string, body: JSX.Element) {
  const request = platformRequest.getStore()
  const page: PageContext = {
    lang: request?.lang ?? 'vi',
    path: ctx.path,
    csrf: '',
    actor: null,
    requestId: request?.requestId ?? '',
    flash: null,
  }
  ctx.type = 'html'
  ctx.body = (
    <Layout ctx={page} title={title}>
      {body}
    </Layout>
  )
}

/** oidc-provider configured for the platform: its adapter, keys, claims, lifetimes and Vietnamese pages. */
export function createProvider(deps: ProviderDeps): Provider {
  const { db, config, clock, issuer } = deps

  const findAccount: FindAccount = async (_ctx, id) => {
    const account = await deps.loadAccount(id)
    if (!account) return undefined
    return {
      accountId: id,
      async claims() {
        const fresh = (await deps.loadAccount(id)) ?? account
        return {
          sub: id,
          name: fresh.name,
          preferred_username: fresh.preferred_username,
          ...(fresh.email ? { email: fresh.email } : {}),
          ...(fresh.phone_number ? { phone_number: fresh.phone_number } : {}),
          units: fresh.units,
          roles: fresh.roles,
        }
      },
    }
  }

  const cookieKey = Buffer.from(
    hkdfSync('sha256', config.secretKey, 'cao-bang-platform', 'sso.cookies.v1', 32),
  )

  const configuration: Configuration = {
    adapter: createAdapterFactory(db, clock),
    jwks: { keys: deps.jwks },
    findAccount,
    clients: [],
    scopes: ALL_SCOPES,
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email'],
      phone: ['phone_number'],
      cb_roles: ['units', 'roles'],
    },
    // The applications of the province read name and roles from the ID token without a userinfo call.
    conformIdTokenClaims: false,
    cookies: {
      keys: [cookieKey.toString('base64url')],
      names: { session: 'cb_oidc_session', interaction: 'cb_oidc_interaction', resume: 'cb_oidc_resume' },
      long: { httpOnly: true, sameSite: 'lax', signed: true },
      short: { httpOnly: true, sameSite: 'lax', signed: true },
    },
    pkce: { required: () => true },
    interactions: {
      url: (_ctx, interaction) => ssoPaths.interaction(interaction.uid),
      policy: interactionsPolicy(),
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // Resource servers are systems (client credentials): they may look at any token presented to them.
        // A browser application may look only at its own.
        allowedPolicy: (_ctx, client, token) =>
          client.grantTypeAllowed('client_credentials') || token.clientId === client.clientId,
      },
      revocation: {
        enabled: true,
        allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId,
      },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        // `safeForm` is the provider's own hidden form (its CSRF field), HTML it built: inserted as is.
        logoutSource: (ctx, safeForm) => {
          providerPage(
            ctx,
            'Đăng xuất',
            <>
              <h1>Đăng xuất</h1>
              <p>Ông/Bà muốn đăng xuất khỏi Cổng thông tin điện tử của tỉnh và mọi ứng dụng đã đăng nhập?</p>
              {safeForm}
              <p>
                <button type="submit" form="op.logoutForm" value="yes" name="logout">
                  Đăng xuất khỏi tất cả
                </button>{' '}
                <button type="submit" form="op.logoutForm" class="link">
                  Chỉ đăng xuất khỏi ứng dụng này
                </button>
              </p>
            </>,
          )
          return Promise.resolve()
        },
        postLogoutSuccessSource: (ctx) => {
          providerPage(
            ctx,
            'Đã đăng xuất',
            <>
              <h1>Đã đăng xuất</h1>
              <p>Ông/Bà đã đăng xuất thành công.</p>
              <p>
                <a href="/">Về trang chủ</a>
              </p>
            </>,
          )
          return Promise.resolve()
        },
      },
    },
    issueRefreshToken: (_ctx, client) => Promise.resolve(client.grantTypeAllowed('refresh_token')),
    rotateRefreshToken: true,
    ttl: {
      AccessToken: TTL.AccessToken,
      ClientCredentials: TTL.ClientCredentials,
      AuthorizationCode: TTL.AuthorizationCode,
      IdToken: TTL.IdToken,
      RefreshToken: TTL.RefreshToken,
      Grant: TTL.Grant,
      Interaction: TTL.Interaction,
      // A provider session lives as long as the platform's own may.
      Session: config.sessionMaxHours * 3600,
    },
    renderError: (ctx, out) => {
      const description = typeof out.error_description === 'string' ? out.error_description : ''
      providerPage(
        ctx,
        'Không thể đăng nhập vào ứng dụng',
        <>
          <h1>Không thể đăng nhập vào ứng dụng</h1>
          <p>Yêu cầu đăng nhập từ ứng dụng không hợp lệ. Vui lòng quay lại ứng dụng và thử lại.</p>
          <p class="muted">
            <code safe>{`${String(out.error)}${description ? `: ${description}` : ''}`}</code>
          </p>
        </>,
      )
      return Promise.resolve()
    },
    clientBasedCORS: () => false,
    // oidc-provider refuses to call private addresses, against dynamically registered clients. Here only an
    // administrator registers the addresses it calls (back-channel logout), and the province's applications
    // run on its internal network.
    fetch: (url, options) => {
      const { dispatcher: _dispatcher, ...rest } = options as RequestInit & { dispatcher?: unknown }
      return fetch(url, rest)
    },
  }

  const provider = new Provider(issuer, configuration)
  provider.proxy = config.trustProxy
  // Client secrets are stored hashed (sso_clients.secret_hash): compare the presented one by its hash.
  provider.Client.prototype.compareClientSecret = function compareClientSecret(
    this: { clientSecret?: string },
    actual: string,
  ) {
    return Promise.resolve(typeof this.clientSecret === 'string' && secretMatches(this.clientSecret, actual))
  }
  return provider
}
