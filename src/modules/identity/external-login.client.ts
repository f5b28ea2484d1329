import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto'
import * as oidc from 'openid-client'
import type { ExternalOidcSettings } from '../../platform/config.js'
import { AppError } from '../../platform/http/errors.js'
import { externalMessages, type ExternalKey } from './external-login.locales.js'

/** Thrown when a sign-in through the outside provider cannot complete; the message says why, in Vietnamese. */
export class ExternalLoginError extends AppError {
  constructor(
    statusCode: number,
    readonly key: ExternalKey,
    readonly params: Record<string, string> = {},
  ) {
    super(
      statusCode,
      `external_${key.replace(/^error/, '').toLowerCase()}`,
      externalMessages.vi[key].replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? ''),
    )
  }
}

/** What the platform remembers between sending the citizen to the provider and their return. */
export type LoginTransaction = {
  state: string
  nonce: string
  verifier: string
  next: string
  /** Epoch milliseconds after which the return is refused. */
  expires: number
}

/**
 * The identity the provider vouched for: its issuer, the subject and every claim it released, and the ID token
 * itself (kept for signing out at the provider).
 */
export type ProviderIdentity = {
  issuer: string
  subject: string
  claims: Record<string, unknown>
  idToken?: string
}

export type ProviderLogger = { warn(obj: object, msg: string): void }

const TRANSACTION_MS = 10 * 60_000
/** Discovery is trusted for a day at most; any failure refetches it on the next attempt. */
const DISCOVERY_MAX_AGE_MS = 24 * 3_600_000
const TIMEOUT_SECONDS = 10

/**
 * The relying party: discovery (cached), the authorization request with PKCE, state and nonce, and the
 * code exchange whose ID token openid-client validates (signature, issuer, audience, nonce, expiry).
 */
export function createExternalProvider(
  settings: ExternalOidcSettings,
  redirectUri: string,
  clock: () => Date,
) {
  let cached: { config: oidc.Configuration; at: number } | undefined
  let pending: Promise<oidc.Configuration> | undefined

  function clientAuth(): oidc.ClientAuth {
    switch (settings.tokenAuthMethod) {
      case 'client_secret_basic':
        return oidc.ClientSecretBasic(settings.clientSecret)
      case 'client_secret_post':
        return oidc.ClientSecretPost(settings.clientSecret)
      case 'none':
        return oidc.None()
    }
  }

  async function discover(): Promise<oidc.Configuration> {
    const config = await oidc.discovery(
      new URL(settings.issuer),
      settings.clientId,
      { redirect_uris: [redirectUri], response_types: ['code'] },
      clientAuth(),
      {
        timeout: TIMEOUT_SECONDS,
        ...(settings.allowHttp ? { execute: [oidc.allowInsecureRequests] } : {}),
      },
    )
    config.timeout = TIMEOUT_SECONDS
    return config
  }

  /** The provider's metadata; one discovery at a time, however many citizens arrive together. */
  async function configuration(): Promise<oidc.Configuration> {
    const now = clock().getTime()
    if (cached && now - cached.at < DISCOVERY_MAX_AGE_MS) return cached.config
    pending ??= discover()
      .then((config) => {
        cached = { config, at: clock().getTime() }
        return config
      })
      .finally(() => {
        pending = undefined
      })
    try {
      return await pending
    } catch (error) {
      // Unreachable, or metadata that does not hold up (wrong issuer): either way the provider is at fault.
      const classified = classify(error)
      throw classified.statusCode >= 500 ? classified : new ExternalLoginError(502, 'errorUnavailable')
    }
  }

  /** Forgets the metadata, so keys or endpoints the provider changed are fetched again. */
  function forget() {
    cached = undefined
  }

  async function begin(next: string): Promise<{ url: string; transaction: LoginTransaction }> {
    const config = await configuration()
    const transaction: LoginTransaction = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier: oidc.randomPKCECodeVerifier(),
      next,
      expires: clock().getTime() + TRANSACTION_MS,
    }
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: settings.scopes,
      state: transaction.state,
      nonce: transaction.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(transaction.verifier),
      code_challenge_method: 'S256',
      ...(settings.acrValues.length > 0 ? { acr_values: settings.acrValues.join(' ') } : {}),
    })
    return { url: url.href, transaction }
  }

  /** Exchanges the code from the provider's redirect and returns the verified identity with its claims. */
  async function complete(query: URLSearchParams, transaction: LoginTransaction): Promise<ProviderIdentity> {
    const config = await configuration()
    const current = new URL(redirectUri)
    current.search = query.toString()
    try {
      const tokens = await oidc.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: transaction.verifier,
        expectedState: transaction.state,
        expectedNonce: transaction.nonce,
        idTokenExpected: true,
      })
      const idToken = tokens.claims()
      if (!idToken) throw new ExternalLoginError(502, 'errorInvalidResponse')
      // acr_values is only a request (OIDC Core 3.1.2.1): the level reached is read from the signed token.
      if (settings.acrValues.length > 0 && !settings.acrValues.includes(String(idToken.acr ?? ''))) {
        throw new ExternalLoginError(403, 'errorAssurance', { provider: settings.name })
      }
      // The ID token is signed; the UserInfo response fills in what the provider keeps out of it.
      const userInfo = config.serverMetadata().userinfo_endpoint
        ? await oidc.fetchUserInfo(config, tokens.access_token, idToken.sub)
        : {}
      return {
        issuer: idToken.iss,
        subject: idToken.sub,
        claims: { ...userInfo, ...idToken },
        ...(tokens.id_token ? { idToken: tokens.id_token } : {}),
      }
    } catch (error) {
      const classified = classify(error)
      if (classified.statusCode >= 500 || classified.key === 'errorInvalidResponse') forget()
      throw classified
    }
  }

  /**
   * Where to send the browser to end the citizen's session at the provider too (OIDC RP-Initiated Logout), or
   * undefined when the provider offers no such endpoint or cannot be reached: signing out here never waits on it.
   */
  async function endSessionUrl(idToken: string, postLogoutRedirectUri: string): Promise<string | undefined> {
    try {
      const config = await configuration()
      if (!config.serverMetadata().end_session_endpoint) return undefined
      return oidc.buildEndSessionUrl(config, {
        id_token_hint: idToken,
        post_logout_redirect_uri: postLogoutRedirectUri,
      }).href
    } catch {
      return undefined
    }
  }

  return { begin, complete, configuration, endSessionUrl, forget, name: settings.name }
}

export type ExternalProvider = ReturnType<typeof createExternalProvider>

const UNREACHABLE = new Set([
  'OAUTH_TIMEOUT',
  'OAUTH_ABORT',
  'OAUTH_RESPONSE_IS_NOT_CONFORM',
  'OAUTH_RESPONSE_IS_NOT_JSON',
  'OAUTH_HTTP_REQUEST_FORBIDDEN',
])

/** Maps what openid-client throws to what the citizen is told: the provider is down, or the answer is bad. */
function classify(error: unknown): ExternalLoginError {
  if (error instanceof ExternalLoginError) return error
  if (error instanceof TypeError) {
    return new ExternalLoginError(502, 'errorUnavailable')
  }
  if (error instanceof oidc.ResponseBodyError) {
    if (error.status >= 500) return new ExternalLoginError(502, 'errorUnavailable')
    if (error.error === 'invalid_grant') return new ExternalLoginError(400, 'errorExpired')
    return new ExternalLoginError(502, 'errorRejected')
  }
  if (error instanceof oidc.AuthorizationResponseError) return providerError(error.error)
  if (error instanceof oidc.ClientError && error.code && UNREACHABLE.has(error.code)) {
    return new ExternalLoginError(502, 'errorUnavailable')
  }
  return new ExternalLoginError(400, 'errorInvalidResponse')
}

/** An `error` the provider sent back instead of a code (RFC 6749 §4.1.2.1). */
export function providerError(code: string): ExternalLoginError {
  if (code === 'access_denied') return new ExternalLoginError(403, 'errorDenied')
  if (code === 'server_error' || code === 'temporarily_unavailable')
    return new ExternalLoginError(502, 'errorUnavailable')
  if (code === 'login_required' || code === 'interaction_required' || code === 'consent_required')
    return new ExternalLoginError(403, 'errorDenied')
  return new ExternalLoginError(400, 'errorProvider')
}

/**
 * The transaction travels in a cookie sealed with AES-256-GCM under a key derived from SECRET_KEY: the
 * browser can neither read the PKCE verifier nor forge a state, and no table row is left behind.
 */
export function transactionSealer(secretKey: string) {
  const key = Buffer.from(hkdfSync('sha256', secretKey, 'cao-bang', 'identity.external-login.v1', 32))
  return {
    seal(transaction: LoginTransaction | ProviderSession): string {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      const body = Buffer.concat([cipher.update(JSON.stringify(transaction), 'utf8'), cipher.final()])
      return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')
    },
    /** The transaction, or null when the cookie is missing, altered or expired. */
    open(sealed: string | undefined, now: Date): LoginTransaction | null {
      if (!sealed || sealed.length > 4096) return null
      try {
        const raw = Buffer.from(sealed, 'base64url')
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12))
        decipher.setAuthTag(raw.subarray(12, 28))
        const text = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')
        const value = JSON.parse(text) as LoginTransaction
        if (typeof value.state !== 'string' || typeof value.expires !== 'number') return null
        return value.expires > now.getTime() ? value : null
      } catch {
        return null
      }
    },
    /** The provider session kept for signing out there, or null when missing, altered or expired. */
    openSession(sealed: string | undefined, now: Date): ProviderSession | null {
      const value = this.open(sealed, now) as unknown as ProviderSession | null
      return value &&
        value.state === PROVIDER_SESSION &&
        typeof value.idToken === 'string' &&
        typeof value.sessionTag === 'string'
        ? value
        : null
    },
  }
}

const PROVIDER_SESSION = 'provider-session'

/**
 * What a citizen signed in through the provider carries for signing out there: the ID token it issued, and a tag
 * of the platform session it belongs to (a later sign-in with a password must not send them to the provider).
 */
export type ProviderSession = {
  state: typeof PROVIDER_SESSION
  idToken: string
  sessionTag: string
  expires: number
}

/** A short tag of a session token: enough to tell sessions apart, useless to anyone who reads it. */
export function sessionTag(sessionToken: string): string {
  return createHash('sha256').update(sessionToken).digest('base64url').slice(0, 22)
}

export function providerSession(idToken: string, sessionToken: string, expires: number): ProviderSession {
  return { state: PROVIDER_SESSION, idToken, sessionTag: sessionTag(sessionToken), expires }
}
