import type { FastifyReply, FastifyRequest } from 'fastify'
import { hmac, randomToken, safeEqual } from '../auth/tokens.js'
import { AppError } from './errors.js'

export const CSRF_COOKIE = 'cb_csrf'
export const CSRF_FIELD = '_csrf'
export const CSRF_HEADER = 'x-csrf-token'

/** Thrown when a form arrives without the token its page was given: a forged or stale request. */
export class CsrfError extends AppError {
  constructor() {
    super(
      403,
      'csrf_invalid',
      'Phiên biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng tải lại trang và gửi lại.',
    )
  }
}

/**
 * Signed double-submit: a random HttpOnly cookie per browser, and in each form its HMAC under the
 * server secret. A forging site can neither read the cookie nor compute the HMAC.
 */
export function csrfToken(
  request: FastifyRequest,
  reply: FastifyReply,
  secret: string,
  secure: boolean,
): string {
  let seed = request.cookies[CSRF_COOKIE]
  if (!seed || seed.length < 20) {
    seed = randomToken(18)
    reply.setCookie(CSRF_COOKIE, seed, { path: '/', httpOnly: true, sameSite: 'lax', secure })
    // later calls in the same request must reuse the seed just set
    request.cookies[CSRF_COOKIE] = seed
  }
  return hmac(secret, `csrf:${seed}`)
}

/** `fields` defaults to the parsed body; a multipart form passes the fields it has read so far. */
export function verifyCsrf(
  request: FastifyRequest,
  secret: string,
  fields = request.body as Record<string, unknown> | undefined,
): void {
  const seed = request.cookies[CSRF_COOKIE]
  const body = fields
  const sent =
    (request.headers[CSRF_HEADER] as string | undefined) ?? (body?.[CSRF_FIELD] as string | undefined)
  if (!seed || typeof sent !== 'string' || !safeEqual(sent, hmac(secret, `csrf:${seed}`)))
    throw new CsrfError()
}
