import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * The message shape of VNPay-like gateways (version 2.1.0), which the sandbox imitates: flat `vnp_*` parameters,
 * signed with HMAC-SHA512 over the parameters sorted by name and form-encoded (space as "+"), the hex digest sent
 * as `vnp_SecureHash`. The same rule signs payment requests, notices (IPN), return URLs and status queries.
 */
export type SignedParams = Record<string, string>

const HASH_FIELDS = new Set(['vnp_SecureHash', 'vnp_SecureHashType'])

const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+')

/** The exact text that is signed: every parameter but the hash itself, sorted by name. */
export function signingString(params: SignedParams): string {
  return Object.keys(params)
    .filter((key) => !HASH_FIELDS.has(key))
    .sort()
    .map((key) => `${encode(key)}=${encode(params[key]!)}`)
    .join('&')
}

export function secureHash(params: SignedParams, secret: string): string {
  return createHmac('sha512', secret).update(signingString(params), 'utf8').digest('hex')
}

export function sign(params: SignedParams, secret: string): SignedParams {
  return { ...params, vnp_SecureHash: secureHash(params, secret) }
}

/** Whether the parameters carry a valid signature; a missing or malformed hash is simply invalid. */
export function verify(params: SignedParams, secret: string): boolean {
  const given = params.vnp_SecureHash
  if (typeof given !== 'string' || !/^[0-9a-fA-F]{128}$/.test(given)) return false
  const expected = Buffer.from(secureHash(params, secret), 'hex')
  return timingSafeEqual(expected, Buffer.from(given, 'hex'))
}

/** A query string in the signing order, hash last, as gateways print it. */
export function toQuery(params: SignedParams): string {
  const { vnp_SecureHash: hash, ...rest } = params
  const body = signingString(rest)
  return hash === undefined ? body : `${body}&vnp_SecureHash=${hash}`
}

/**
 * Reads a query string into parameters. A repeated name makes the message ambiguous (which value was signed?),
 * so it is refused rather than resolved.
 */
export function parseQuery(raw: string): SignedParams | null {
  const params: SignedParams = {}
  for (const [key, value] of new URLSearchParams(raw)) {
    if (Object.hasOwn(params, key)) return null
    params[key] = value
  }
  return params
}

const VN_OFFSET_MS = 7 * 3_600_000

/** yyyyMMddHHmmss in Vietnam time (GMT+7), the gateways' date format. */
export function gatewayTime(at: Date): string {
  return new Date(at.getTime() + VN_OFFSET_MS).toISOString().replace(/[-:T]/g, '').slice(0, 14)
}

export function parseGatewayTime(text: string | undefined): Date | null {
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text ?? '')
  if (!match) return null
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number]
  const at = new Date(Date.UTC(y, mo - 1, d, h, mi, s) - VN_OFFSET_MS)
  return Number.isNaN(at.getTime()) ? null : at
}
