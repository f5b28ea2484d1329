import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto'

/** Header names of a pushed event; a receiver verifies `X-LGSP-Signature` over `<timestamp>.<body>`. */
export const WebhookHeader = {
  signature: 'x-lgsp-signature',
  timestamp: 'x-lgsp-timestamp',
  eventId: 'x-lgsp-event-id',
  topic: 'x-lgsp-topic',
  position: 'x-lgsp-position',
  key: 'x-lgsp-key',
  subscription: 'x-lgsp-subscription',
  attempt: 'x-lgsp-delivery-attempt',
} as const

const MAX_URL_LENGTH = 2000

/** The host part as the URL parser normalises it (lower case, IPv6 without brackets, numeric IPv4 spelled out). */
function normalisedHost(url: URL): string {
  return url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1')
}

/**
 * Checks a webhook address the way the gateway checks a service address: http or https only, no user name or
 * password in it, and a host an administrator put on the allow-list (so nobody can point the platform at its
 * own database or metadata service). Returns the address to store, or the Vietnamese reason it is refused.
 */
export function checkWebhookUrl(
  raw: unknown,
  allowedHosts: readonly string[],
): { ok: true; url: string; host: string } | { ok: false; message: string } {
  const text = typeof raw === 'string' ? raw.trim() : ''
  if (!text) return { ok: false, message: 'Nhập địa chỉ nhận sự kiện (webhook URL).' }
  if (text.length > MAX_URL_LENGTH || !URL.canParse(text)) {
    return { ok: false, message: 'Địa chỉ nhận sự kiện không phải URL hợp lệ.' }
  }
  const url = new URL(text)
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, message: 'Địa chỉ nhận sự kiện chỉ được dùng http hoặc https.' }
  }
  if (url.username || url.password) {
    return {
      ok: false,
      message: 'Địa chỉ nhận sự kiện không được chứa tên đăng nhập hoặc mật khẩu.',
    }
  }
  const host = normalisedHost(url)
  if (!allowedHosts.includes(host)) {
    return {
      ok: false,
      message: `Máy chủ "${host}" không nằm trong danh sách máy chủ được phép nhận sự kiện. Quản trị viên cần thêm máy chủ này trước.`,
    }
  }
  url.hash = ''
  return { ok: true, url: url.href, host }
}

/** Whether an address still points at an allowed host (checked again before each push). */
export function webhookHostAllowed(endpoint: string, allowedHosts: readonly string[]): boolean {
  return URL.canParse(endpoint) && allowedHosts.includes(normalisedHost(new URL(endpoint)))
}

/** A host as an administrator types it for the allow-list: a name or an IP address, nothing else. */
export function parseAllowedHost(raw: unknown): { ok: true; host: string } | { ok: false; message: string } {
  const text = typeof raw === 'string' ? raw.trim().toLowerCase() : ''
  const bare = text.replace(/^\[(.*)\]$/, '$1')
  const candidate = bare.includes(':') ? `[${bare}]` : bare
  if (!bare || bare.length > 253 || !URL.canParse(`http://${candidate}/`)) {
    return { ok: false, message: 'Nhập tên máy chủ hoặc địa chỉ IP (không kèm http://, cổng hay đường dẫn).' }
  }
  const host = normalisedHost(new URL(`http://${candidate}/`))
  if (host !== bare) {
    return { ok: false, message: 'Nhập tên máy chủ hoặc địa chỉ IP (không kèm http://, cổng hay đường dẫn).' }
  }
  return { ok: true, host }
}

/** `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`: the timestamp is signed so a replay can be refused. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`
}

/**
 * What a receiver does with a pushed event (documented for integrators; the tests check pushes with their own
 * HMAC): the signature matches and the timestamp is within `toleranceSeconds` of now.
 */
export function verifyWebhookSignature(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  body: string,
  now = Date.now(),
  toleranceSeconds = 300,
): boolean {
  const timestamp = Number(headers.timestamp)
  if (!Number.isInteger(timestamp) || Math.abs(now / 1000 - timestamp) > toleranceSeconds) return false
  const expected = Buffer.from(signWebhook(secret, timestamp, body))
  const presented = Buffer.from(headers.signature ?? '')
  return expected.length === presented.length && timingSafeEqual(expected, presented)
}

/** A new webhook secret: 32 random bytes, shown to the administrator once. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`
}

const storageKeys = new Map<string, Buffer>()

/** The AES key, derived once per SECRET_KEY (each push decrypts its subscription's secret). */
function storageKey(secretKey: string): Buffer {
  let key = storageKeys.get(secretKey)
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', secretKey, 'cao-bang-platform', 'pubsub.webhook-secrets.v1', 32))
    storageKeys.set(secretKey, key)
  }
  return key
}

/** The secret must be read back to sign, so it is stored encrypted (AES-256-GCM), not hashed. */
export function encryptSecret(secretKey: string, secret: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', storageKey(secretKey), iv)
  const data = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()])
  return ['v1', iv, cipher.getAuthTag(), data]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join(':')
}

export function decryptSecret(secretKey: string, stored: string): string {
  const [version, iv, tag, data] = stored.split(':')
  if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('unknown webhook secret format')
  const decipher = createDecipheriv('aes-256-gcm', storageKey(secretKey), Buffer.from(iv, 'base64url'))
  decipher.setAuthTag(Buffer.from(tag, 'base64url'))
  return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8')
}
