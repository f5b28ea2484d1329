import type { Clock } from '../../platform/clock.js'
import type { NationalPortalOAuth2 } from '../../platform/config.js'

/** Thrown when the token endpoint gives no usable token; the event fails and pub/sub retries it with back-off. */
export class PortalTokenError extends Error {}

/** Where the bearer token for the portal comes from: a fixed one, or OAuth2 client credentials. */
export type PortalAuth = {
  /** The token to send now. */
  bearer(): Promise<string>
  /** Whether a 401 from the portal is worth one more try with a new token. */
  renewable: boolean
  /** The portal refused this token: the next `bearer()` gets another one. */
  invalidate(token: string): void
}

export function fixedToken(token: string): PortalAuth {
  return { bearer: () => Promise.resolve(token), renewable: false, invalidate: () => undefined }
}

/** Used when the token endpoint does not say how long its token lives (`expires_in` is only recommended). */
const DEFAULT_LIFETIME_S = 300
/** A token is renewed this long before it expires, so none expires on its way to the portal. */
const MARGIN_S = 60
const MAX_BODY = 64 * 1024
// RFC 6750 §2.1 b64token: what can go into an Authorization header as it is.
const TOKEN_CHARS = /^[A-Za-z0-9\-._~+/]+=*$/

const NAME = 'Máy chủ cấp token của Cổng DVC quốc gia'

/** A response body as text, at most `limit` bytes (a token answer is small; anything bigger is cut). */
export async function readText(response: Response, limit = MAX_BODY): Promise<string> {
  if (!response.body) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    chunks.push(value)
    size += value.byteLength
    if (size >= limit) {
      await reader.cancel().catch(() => undefined)
      break
    }
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8')
}

function parse(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body)
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

const text = (value: unknown) =>
  typeof value === 'string'
    ? value
        .replace(/[\p{Cc}\s]+/gu, ' ')
        .trim()
        .slice(0, 300)
    : ''

/**
 * OAuth2 client credentials (RFC 6749 §4.4) at the adapter's token endpoint: the client authenticates with HTTP
 * Basic (§2.3.1), the token is kept until shortly before `expires_in` runs out, concurrent deliveries share one
 * request, and a token the portal refused is dropped so the next call asks for a new one.
 */
export function clientCredentials(
  settings: NationalPortalOAuth2,
  options: { clock: Clock; timeoutMs: number },
): PortalAuth & { requests(): number } {
  let cached: { token: string; renewAt: number } | undefined
  let pending: Promise<string> | undefined
  let requests = 0

  async function request(): Promise<string> {
    requests++
    const form = new URLSearchParams({ grant_type: 'client_credentials' })
    if (settings.scope) form.set('scope', settings.scope)
    const basic = Buffer.from(
      `${encodeURIComponent(settings.clientId)}:${encodeURIComponent(settings.clientSecret)}`,
    ).toString('base64')
    let response: Response
    try {
      response = await fetch(settings.tokenUrl, {
        method: 'POST',
        headers: {
          authorization: `Basic ${basic}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          'user-agent': 'CaoBang-LGSP-NationalSync/1',
        },
        body: form.toString(),
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs),
      })
    } catch (failure) {
      const e = failure as Error & { cause?: { code?: string } }
      throw new PortalTokenError(
        `Không gọi được máy chủ cấp token của Cổng DVC quốc gia: ${e.message}${e.cause?.code ? ` (${e.cause.code})` : ''}`,
      )
    }
    const body = await readText(response).catch(() => '')
    const answer = parse(body)
    if (response.status < 200 || response.status > 299) {
      // RFC 6749 §5.2: { error, error_description }; invalid_client is a wrong id or secret.
      const error = text(answer?.error)
      const description = text(answer?.error_description)
      throw new PortalTokenError(
        `${NAME} từ chối cấp token: HTTP ${response.status}${error ? ` ${error}` : ''}${description ? ` (${description})` : ''}`,
      )
    }
    if (!answer) {
      const snippet = text(body).slice(0, 120)
      throw new PortalTokenError(
        snippet
          ? `${NAME} trả lời không phải JSON: "${snippet}"`
          : `${NAME} trả lời rỗng, không có access_token`,
      )
    }
    const token = answer.access_token
    if (typeof token !== 'string' || token === '') {
      throw new PortalTokenError(`${NAME} trả lời không có access_token`)
    }
    if (!TOKEN_CHARS.test(token)) {
      throw new PortalTokenError(`${NAME} trả về access_token có ký tự không hợp lệ`)
    }
    const type = answer.token_type
    if (type !== undefined && (typeof type !== 'string' || type.toLowerCase() !== 'bearer')) {
      throw new PortalTokenError(`${NAME} trả về token loại "${text(type)}", không phải Bearer`)
    }
    const raw = Number(answer.expires_in)
    const lifetime = Number.isFinite(raw) && raw > 0 ? raw : DEFAULT_LIFETIME_S
    // Short-lived tokens are renewed after half their life rather than never being used.
    const margin = Math.min(MARGIN_S, lifetime / 2)
    cached = { token, renewAt: options.clock().getTime() + (lifetime - margin) * 1000 }
    return token
  }

  return {
    renewable: true,
    async bearer() {
      if (cached && options.clock().getTime() < cached.renewAt) return cached.token
      pending ??= request().finally(() => {
        pending = undefined
      })
      return pending
    },
    invalidate(token) {
      if (cached?.token === token) cached = undefined
    },
    requests: () => requests,
  }
}
