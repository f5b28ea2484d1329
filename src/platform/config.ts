import { createHmac, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'

/** Thrown when the environment holds a missing or malformed setting; the process must not start. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Cấu hình không hợp lệ / invalid configuration:\n  - ${problems.join('\n  - ')}`)
  }
}

/** An S3-compatible object store (MinIO, Ceph, AWS). */
export type S3Settings = Readonly<{
  endpoint: string
  region: string
  bucket: string
  accessKeyId: string
  secretAccessKey: string
  /** https://endpoint/bucket/key rather than https://bucket.endpoint/key; self-hosted stores want this. */
  forcePathStyle: boolean
}>

/** Where clamd listens: TCP, or a Unix socket on the same machine. */
export type ClamdAddress = Readonly<{ host: string; port: number } | { socket: string }>

export type Config = Readonly<{
  port: number
  host: string
  /** Embedded mode keeps its database, files and generated secret here. */
  dataDir: string
  /** PostgreSQL server; when absent the platform runs on embedded PGlite inside dataDir. */
  databaseUrl: string | undefined
  secretKey: string
  publicUrl: string | undefined
  secureCookies: boolean
  trustProxy: boolean
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  smtpUrl: string | undefined
  mailFrom: string
  sessionIdleMinutes: number
  sessionMaxHours: number
  loginMaxFailures: number
  loginLockMinutes: number
  apiRateLimitPerMinute: number
  bodyLimitBytes: number
  seedDemo: boolean
  /** Uploaded files: on local disk under dataDir/files, or in an S3-compatible store. */
  storage: 'local' | 's3'
  s3: S3Settings | undefined
  /** Uploads are scanned by this clamd; without one they are stored and recorded as not scanned. */
  clamd: ClamdAddress | undefined
  uploadMaxBytes: number
  /** PKCS#12 files, one per unit (`<unit code>.p12`), that sign the platform's PDFs. */
  signingDir: string
  signingPassword: string
  /** Trial mode: a local test CA and unit certificates are generated on first use. Never for production. */
  signingTestCertificates: boolean
  /** Who takes online fee payments; only the sandbox gateway so far (PayGov or a bank gateway later). */
  paymentProvider: PaymentProviderName
  /** The sandbox gateway's HMAC secret when set; otherwise derived from SECRET_KEY (`paymentSandboxSecret`). */
  paymentSandboxSecret: string | undefined
  /** How often pending payments older than the gateway's 15 minutes are settled by asking the gateway. */
  paymentRecheckMs: number
  /** Document assignments: a reminder goes out when this many working days or less are left before the deadline. */
  documentReminderDays: number
  /** How often open document assignments are scanned for reminders and overdue notices. */
  documentReminderScanMs: number
  /** How often edXML status messages owed to senders that had no LGSP subscription are looked at again. */
  documentExchangeRetryMs: number
  /** Refuse edXML packages and status messages that carry no XML signature (most agencies do not sign yet). */
  edxmlRequireSignature: boolean
  /**
   * Refuse signed edXML messages whose certificate does not chain to a CA the platform trusts (the one trust list
   * of `SIGNING_DIR/trusted/*.pem`, as for signed PDFs).
   */
  edxmlRequireTrustedSigner: boolean
  /**
   * OCR of scanned PDF pages (no text layer) with Tesseract's Vietnamese data, for search. On by default; where
   * Tesseract or its `vie` data is not installed, files say OCR is unavailable (not a failure).
   */
  documentOcr: boolean
  /** Pages without a text layer recognised per file at most (the first ones); the rest are found by metadata. */
  documentOcrMaxPages: number
  /** An HTTP SMS gateway (brandname SMS) taking POST {to, text} with a bearer token; without it no SMS is sent. */
  smsGateway: SmsGatewaySettings | undefined
  /** Attempts to deliver one notification (e-mail or SMS) before it is given up as failed. */
  notificationMaxAttempts: number
  /** The wait before the first retry of a notification; it doubles with each failure (capped at an hour). */
  notificationRetryMs: number
  /** Pub/sub pushes: attempts before an event goes to the dead letters (a subscription may set its own). */
  pubsubMaxAttempts: number
  /** Pub/sub pushes: the wait before the first retry; it doubles with each failure (capped at an hour). */
  pubsubRetryMs: number
  /** How long a webhook (or the national portal) has to answer one push. */
  pubsubTimeoutMs: number
  /**
   * Days a pub/sub event is kept once every subscriber is done with it (delivered, or acknowledged by every pull
   * subscription); events still owed to someone, dead letters included, are never removed.
   */
  pubsubRetentionDays: number
  /** Dossier synchronisation with the national public-service portal; off when NATIONAL_PORTAL_URL is unset. */
  nationalPortal: NationalPortalSettings | undefined
  /** LGSP gateway: consecutive upstream failures that open a service's circuit, and how long it stays open. */
  lgspBreakerFailures: number
  lgspBreakerOpenSeconds: number
  /** LGSP gateway: how long a valid bearer token is trusted without asking the SSO provider again (0: never). */
  lgspTokenCacheSeconds: number
  /**
   * LGSP gateway, mutual TLS behind a reverse proxy: the request header in which the proxy passes the client's
   * verified certificate (URL-escaped PEM, nginx `$ssl_client_escaped_cert`); unset: only a TLS socket of this
   * process counts.
   */
  lgspClientCertHeader: string | undefined
  /** Citizens' sign-in through an outside OpenID Connect provider (VNeID or another); off when no issuer is set. */
  externalOidc: ExternalOidcSettings | undefined
}>

export const EXTERNAL_OIDC_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'] as const

export type ExternalOidcSettings = Readonly<{
  issuer: string
  clientId: string
  clientSecret: string | undefined
  tokenAuthMethod: (typeof EXTERNAL_OIDC_AUTH_METHODS)[number]
  /** The provider's name on the sign-in button and pages ("VNeID"). */
  name: string
  scopes: string
  /** Which claims carry these facts: VNeID's claim names are not published, so they are configuration. */
  claims: Readonly<{ citizenId: string; name: string; phone: string; email: string }>
  /**
   * Assurance levels (`acr`) asked for and required, e.g. VNeID's level-2 account (NĐ 59/2022); empty: any.
   * The values are the provider's own; VNeID's are not published, so they are configuration.
   */
  acrValues: readonly string[]
  /** Plain http:// is accepted only for an issuer on the loopback interface (a local test provider). */
  allowHttp: boolean
}>

export type SmsGatewaySettings = Readonly<{ url: string; token: string }>

type Env = Record<string, string | undefined>

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
const STORAGES = ['local', 's3'] as const
export const PAYMENT_PROVIDERS = ['sandbox'] as const
export type PaymentProviderName = (typeof PAYMENT_PROVIDERS)[number]

/**
 * Parses the environment once. Every problem is collected so an operator fixes them in one go,
 * and each message names the variable.
 */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const problems: string[] = []

  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name]?.trim()
    if (raw === undefined || raw === '') return fallback
    const value = Number(raw)
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      problems.push(
        `${name}="${raw}": phải là số nguyên từ ${min} đến ${max} (must be an integer ${min}–${max})`,
      )
      return fallback
    }
    return value
  }
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = env[name]?.trim().toLowerCase()
    if (raw === undefined || raw === '') return fallback
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true
    if (['0', 'false', 'no', 'off'].includes(raw)) return false
    problems.push(`${name}="${raw}": phải là true hoặc false (must be true or false)`)
    return fallback
  }
  const url = (name: string, protocols: string[]): string | undefined => {
    const raw = env[name]?.trim()
    if (!raw) return undefined
    try {
      const parsed = new URL(raw)
      if (!protocols.includes(parsed.protocol)) throw new Error('protocol')
      return raw
    } catch {
      problems.push(`${name}: không phải URL hợp lệ dạng ${protocols.join(' hoặc ')}// (not a valid URL)`)
      return undefined
    }
  }

  const dataDirRaw = env.DATA_DIR?.trim() || 'data'
  const dataDir = isAbsolute(dataDirRaw) ? dataDirRaw : resolve(cwd, dataDirRaw)
  const databaseUrl = url('DATABASE_URL', ['postgres:', 'postgresql:'])
  const publicUrl = url('PUBLIC_URL', ['http:', 'https:'])
  const smtpUrl = url('SMTP_URL', ['smtp:', 'smtps:'])

  const logLevelRaw = env.LOG_LEVEL?.trim() || 'info'
  const logLevel = (LOG_LEVELS as readonly string[]).includes(logLevelRaw)
    ? (logLevelRaw as Config['logLevel'])
    : (problems.push(`LOG_LEVEL="${logLevelRaw}": phải là một trong ${LOG_LEVELS.join(', ')}`),
      'info' as const)

  const secretKey = env.SECRET_KEY?.trim()
  if (secretKey !== undefined && secretKey !== '' && secretKey.length < 32) {
    problems.push('SECRET_KEY: cần ít nhất 32 ký tự ngẫu nhiên (needs at least 32 random characters)')
  }
  if (!secretKey && databaseUrl) {
    problems.push('SECRET_KEY: bắt buộc khi dùng DATABASE_URL (required with DATABASE_URL)')
  }

  const storageRaw = env.STORAGE?.trim().toLowerCase() || 'local'
  const storage = (STORAGES as readonly string[]).includes(storageRaw)
    ? (storageRaw as Config['storage'])
    : (problems.push(`STORAGE="${storageRaw}": phải là local hoặc s3 (must be local or s3)`),
      'local' as const)

  const s3Settings = (): S3Settings => {
    const required = (name: string) => {
      const value = env[name]?.trim()
      if (!value) problems.push(`${name}: bắt buộc khi STORAGE=s3 (required with STORAGE=s3)`)
      return value ?? ''
    }
    const bucket = required('S3_BUCKET')
    const accessKeyId = required('S3_ACCESS_KEY_ID')
    const secretAccessKey = required('S3_SECRET_ACCESS_KEY')
    if (bucket && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      problems.push(
        `S3_BUCKET="${bucket}": tên bucket gồm 3–63 chữ thường, số, dấu chấm, gạch ngang (not a valid bucket name)`,
      )
    }
    const region = env.S3_REGION?.trim() || 'us-east-1'
    if (!/^[a-z0-9-]+$/.test(region)) {
      problems.push(`S3_REGION="${region}": chỉ gồm chữ thường, số và gạch ngang (not a valid region)`)
    }
    const endpoint = url('S3_ENDPOINT', ['http:', 'https:'])
    return Object.freeze({
      endpoint: (endpoint ?? `https://s3.${region}.amazonaws.com`).replace(/\/+$/, ''),
      region,
      bucket,
      accessKeyId,
      secretAccessKey,
      // A self-hosted store (an endpoint is given) rarely has the wildcard DNS that bucket subdomains need.
      forcePathStyle: bool('S3_FORCE_PATH_STYLE', endpoint !== undefined),
    })
  }

  const clamdAddress = (): ClamdAddress | undefined => {
    const raw = env.CLAMD_URL?.trim()
    if (!raw) return undefined
    const parsed = URL.canParse(raw) ? new URL(raw) : undefined
    if (parsed?.protocol === 'tcp:' && parsed.hostname && ['', '/'].includes(parsed.pathname)) {
      return Object.freeze({
        host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: parsed.port ? Number(parsed.port) : 3310,
      })
    }
    if (parsed?.protocol === 'unix:' && !parsed.host && parsed.pathname.length > 1) {
      return Object.freeze({ socket: decodeURIComponent(parsed.pathname) })
    }
    problems.push(
      'CLAMD_URL: phải có dạng tcp://máy:cổng hoặc unix:///đường/dẫn/clamd.sock (must be tcp://host:port or unix:///path)',
    )
    return undefined
  }

  const paymentProviderRaw = env.PAYMENT_PROVIDER?.trim().toLowerCase() || 'sandbox'
  const paymentProvider = (PAYMENT_PROVIDERS as readonly string[]).includes(paymentProviderRaw)
    ? (paymentProviderRaw as PaymentProviderName)
    : (problems.push(
        `PAYMENT_PROVIDER="${paymentProviderRaw}": phải là một trong ${PAYMENT_PROVIDERS.join(', ')} (must be one of them)`,
      ),
      'sandbox' as const)
  const paymentSandboxSecret = env.PAYMENT_SANDBOX_SECRET?.trim() || undefined
  if (paymentSandboxSecret !== undefined && paymentSandboxSecret.length < 32) {
    problems.push(
      'PAYMENT_SANDBOX_SECRET: cần ít nhất 32 ký tự ngẫu nhiên (needs at least 32 random characters)',
    )
  }

  const smsGatewayUrl = url('SMS_GATEWAY_URL', ['http:', 'https:'])
  const smsGatewayToken = env.SMS_GATEWAY_TOKEN?.trim() || undefined
  if (env.SMS_GATEWAY_URL?.trim() && !smsGatewayToken) {
    problems.push('SMS_GATEWAY_TOKEN: bắt buộc khi có SMS_GATEWAY_URL (required with SMS_GATEWAY_URL)')
  }
  if (smsGatewayToken && !env.SMS_GATEWAY_URL?.trim()) {
    problems.push('SMS_GATEWAY_URL: bắt buộc khi có SMS_GATEWAY_TOKEN (required with SMS_GATEWAY_TOKEN)')
  }
  if (smsGatewayToken && /\s/.test(smsGatewayToken)) {
    problems.push('SMS_GATEWAY_TOKEN: không được chứa khoảng trắng (must not contain spaces)')
  }

  const resolveDir = (dir: string) => (isAbsolute(dir) ? dir : resolve(cwd, dir))
  const signingTestCertificates = bool('SIGNING_TEST_CERTIFICATES', !databaseUrl)

  const config = {
    port: int('PORT', 3000, 0, 65535),
    host: env.HOST?.trim() || '0.0.0.0',
    dataDir,
    databaseUrl,
    secretKey: secretKey ?? '',
    publicUrl,
    secureCookies: bool('SECURE_COOKIES', publicUrl?.startsWith('https:') ?? false),
    trustProxy: bool('TRUST_PROXY', false),
    logLevel,
    smtpUrl,
    mailFrom: env.MAIL_FROM?.trim() || 'Cong DVC Cao Bang <no-reply@localhost>',
    sessionIdleMinutes: int('SESSION_IDLE_MINUTES', 30, 1, 24 * 60),
    sessionMaxHours: int('SESSION_MAX_HOURS', 12, 1, 24 * 30),
    loginMaxFailures: int('LOGIN_MAX_FAILURES', 5, 1, 100),
    loginLockMinutes: int('LOGIN_LOCK_MINUTES', 15, 1, 24 * 60),
    apiRateLimitPerMinute: int('API_RATE_LIMIT', 300, 1, 1_000_000),
    bodyLimitBytes: int('BODY_LIMIT_BYTES', 1_048_576, 1024, 100 * 1_048_576),
    seedDemo: bool('SEED_DEMO', !databaseUrl),
    storage,
    s3: storage === 's3' ? s3Settings() : undefined,
    clamd: clamdAddress(),
    uploadMaxBytes: int('UPLOAD_MAX_BYTES', 10 * 1_048_576, 1024, 1024 * 1_048_576),
    signingDir: resolveDir(env.SIGNING_DIR?.trim() || join(dataDir, 'signing')),
    // The trial certificates share a fixed passphrase: they protect nothing and say so.
    signingPassword: env.SIGNING_P12_PASSWORD ?? (signingTestCertificates ? 'trial-only-not-secret' : ''),
    signingTestCertificates,
    paymentProvider,
    paymentSandboxSecret,
    smsGateway:
      smsGatewayUrl && smsGatewayToken
        ? Object.freeze({ url: smsGatewayUrl, token: smsGatewayToken })
        : undefined,
    notificationMaxAttempts: int('NOTIFICATION_MAX_ATTEMPTS', 8, 1, 50),
    notificationRetryMs: int('NOTIFICATION_RETRY_MS', 60_000, 10, 24 * 60 * 60_000),
    pubsubMaxAttempts: int('PUBSUB_MAX_ATTEMPTS', 8, 1, 50),
    pubsubRetryMs: int('PUBSUB_RETRY_MS', 5_000, 10, 24 * 60 * 60_000),
    pubsubTimeoutMs: int('PUBSUB_TIMEOUT_MS', 10_000, 100, 120_000),
    pubsubRetentionDays: int('PUBSUB_RETENTION_DAYS', 30, 1, 3650),
    nationalPortal: nationalPortalSettings(env, problems),
    paymentRecheckMs: int('PAYMENT_RECHECK_MS', 5 * 60_000, 100, 24 * 60 * 60_000),
    documentReminderDays: int('DOCUMENT_REMINDER_DAYS', 1, 1, 10),
    documentReminderScanMs: int('DOCUMENT_REMINDER_SCAN_MS', 15 * 60_000, 100, 24 * 60 * 60_000),
    documentExchangeRetryMs: int('DOCUMENT_EXCHANGE_RETRY_MS', 5 * 60_000, 100, 24 * 60 * 60_000),
    edxmlRequireSignature: bool('EDXML_REQUIRE_SIGNATURE', false),
    edxmlRequireTrustedSigner: bool('EDXML_REQUIRE_TRUSTED_SIGNER', false),
    documentOcr: bool('DOCUMENT_OCR', true),
    documentOcrMaxPages: int('DOCUMENT_OCR_MAX_PAGES', 20, 1, 500),
    lgspBreakerFailures: int('LGSP_BREAKER_FAILURES', 5, 1, 1000),
    lgspBreakerOpenSeconds: int('LGSP_BREAKER_OPEN_SECONDS', 30, 1, 3600),
    lgspTokenCacheSeconds: int('LGSP_TOKEN_CACHE_SECONDS', 5, 0, 300),
    lgspClientCertHeader: headerNameOf(env, 'LGSP_CLIENT_CERT_HEADER', problems),
    externalOidc: externalOidcSettings(env, publicUrl, problems),
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return Object.freeze(config)
}

/** An HTTP header name from the environment, lowercase as Node presents it, or undefined when unset. */
function headerNameOf(env: Env, name: string, problems: string[]): string | undefined {
  const value = env[name]?.trim().toLowerCase()
  if (!value) return undefined
  if (!/^[a-z0-9-]{1,100}$/.test(value)) {
    problems.push(`${name}="${value}": tên tiêu đề HTTP không hợp lệ (not an HTTP header name)`)
    return undefined
  }
  return value
}

function externalOidcSettings(
  env: Env,
  publicUrl: string | undefined,
  problems: string[],
): ExternalOidcSettings | undefined {
  const issuerRaw = env.EXTERNAL_OIDC_ISSUER?.trim()
  if (!issuerRaw) return undefined
  const issuer = URL.canParse(issuerRaw) ? new URL(issuerRaw) : undefined
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(issuer?.hostname ?? '')
  if (!issuer || !(issuer.protocol === 'https:' || (issuer.protocol === 'http:' && loopback))) {
    problems.push(
      'EXTERNAL_OIDC_ISSUER: phải là địa chỉ https:// của nhà cung cấp định danh (must be an https:// issuer URL)',
    )
  }
  if (!publicUrl) {
    problems.push(
      'PUBLIC_URL: bắt buộc khi có EXTERNAL_OIDC_ISSUER, để tạo địa chỉ nhận kết quả đăng nhập (required with EXTERNAL_OIDC_ISSUER)',
    )
  }
  const clientId = env.EXTERNAL_OIDC_CLIENT_ID?.trim() ?? ''
  if (!clientId) problems.push('EXTERNAL_OIDC_CLIENT_ID: bắt buộc khi có EXTERNAL_OIDC_ISSUER (required)')
  const clientSecret = env.EXTERNAL_OIDC_CLIENT_SECRET?.trim() || undefined
  const methodRaw =
    env.EXTERNAL_OIDC_TOKEN_AUTH_METHOD?.trim() || (clientSecret ? 'client_secret_basic' : 'none')
  const tokenAuthMethod = (EXTERNAL_OIDC_AUTH_METHODS as readonly string[]).includes(methodRaw)
    ? (methodRaw as ExternalOidcSettings['tokenAuthMethod'])
    : (problems.push(
        `EXTERNAL_OIDC_TOKEN_AUTH_METHOD="${methodRaw}": phải là một trong ${EXTERNAL_OIDC_AUTH_METHODS.join(', ')}`,
      ),
      'none' as const)
  if (tokenAuthMethod !== 'none' && !clientSecret) {
    problems.push(
      `EXTERNAL_OIDC_CLIENT_SECRET: bắt buộc với EXTERNAL_OIDC_TOKEN_AUTH_METHOD=${tokenAuthMethod} (required)`,
    )
  }
  const claim = (name: string, fallback: string) => {
    const value = env[name]?.trim() || fallback
    if (!/^[A-Za-z0-9_:/.-]{1,100}$/.test(value)) {
      problems.push(`${name}="${value}": tên claim không hợp lệ (not a valid claim name)`)
    }
    return value
  }
  const scopes = env.EXTERNAL_OIDC_SCOPES?.trim().replace(/\s+/g, ' ') || 'openid profile email phone'
  if (!scopes.split(' ').includes('openid')) {
    problems.push('EXTERNAL_OIDC_SCOPES: phải có "openid" (must include openid)')
  }
  const name = env.EXTERNAL_OIDC_NAME?.trim() || 'VNeID'
  if (name.length > 60) problems.push('EXTERNAL_OIDC_NAME: tối đa 60 ký tự (at most 60 characters)')
  const acrValues = (env.EXTERNAL_OIDC_ACR_VALUES ?? '').trim().split(/\s+/).filter(Boolean)
  for (const value of acrValues) {
    if (!/^[\x21-\x7e]{1,200}$/.test(value) || value.includes('"') || value.includes('\\')) {
      problems.push(`EXTERNAL_OIDC_ACR_VALUES: "${value}" không hợp lệ (not a valid acr value)`)
    }
  }
  return Object.freeze({
    issuer: issuerRaw,
    clientId,
    clientSecret,
    tokenAuthMethod,
    name,
    scopes,
    claims: Object.freeze({
      citizenId: claim('EXTERNAL_OIDC_CLAIM_CITIZEN_ID', 'citizen_id'),
      name: claim('EXTERNAL_OIDC_CLAIM_NAME', 'name'),
      phone: claim('EXTERNAL_OIDC_CLAIM_PHONE', 'phone_number'),
      email: claim('EXTERNAL_OIDC_CLAIM_EMAIL', 'email'),
    }),
    acrValues: Object.freeze(acrValues),
    allowHttp: issuer?.protocol === 'http:',
  })
}

/**
 * The national public-service portal (Cổng DVC quốc gia) as the reference describes its synchronisation
 * (vn-standards §1.4): one URL taking JSON envelopes, a bearer token issued through the LGSP/NGSP adapter — fixed
 * (NATIONAL_PORTAL_TOKEN) or obtained with OAuth2 client credentials (NATIONAL_PORTAL_TOKEN_URL) —, and the
 * portal's codes for our units where they differ from their QCVN 102 codes.
 */
export type NationalPortalSettings = Readonly<{
  url: string
  /** A fixed bearer token; undefined when tokens come from `oauth2`. */
  token: string | undefined
  /** OAuth2 client credentials (RFC 6749 §4.4) at the adapter's token endpoint; undefined with a fixed token. */
  oauth2: NationalPortalOAuth2 | undefined
  /** Platform unit code (QCVN 102 agency code or unit key) → the code the portal knows the unit by. */
  unitCodes: Readonly<Record<string, string>>
  /** Result codes (`error_code`) of the portal that mean "try again later" rather than "refused". */
  retryCodes: readonly string[]
}>

export type NationalPortalOAuth2 = Readonly<{
  tokenUrl: string
  clientId: string
  clientSecret: string
  /** Sent as `scope` when set; WSO2-style adapters need none. */
  scope: string | undefined
}>

function nationalPortalSettings(env: Env, problems: string[]): NationalPortalSettings | undefined {
  const raw = env.NATIONAL_PORTAL_URL?.trim()
  const token = env.NATIONAL_PORTAL_TOKEN?.trim() ?? ''
  const tokenUrl = env.NATIONAL_PORTAL_TOKEN_URL?.trim() ?? ''
  const clientId = env.NATIONAL_PORTAL_CLIENT_ID?.trim() ?? ''
  const clientSecret = env.NATIONAL_PORTAL_CLIENT_SECRET?.trim() ?? ''
  const httpUrl = (value: string) => {
    const parsed = URL.canParse(value) ? new URL(value) : undefined
    return !!parsed && ['http:', 'https:'].includes(parsed.protocol) && !parsed.username && !parsed.password
  }
  if (!raw) {
    const given = (
      [
        ['NATIONAL_PORTAL_TOKEN', token],
        ['NATIONAL_PORTAL_TOKEN_URL', tokenUrl],
        ['NATIONAL_PORTAL_CLIENT_ID', clientId],
        ['NATIONAL_PORTAL_CLIENT_SECRET', clientSecret],
      ] as const
    ).find(([, value]) => value)
    if (given) problems.push(`NATIONAL_PORTAL_URL: bắt buộc khi có ${given[0]} (required with ${given[0]})`)
    return undefined
  }
  if (!httpUrl(raw)) {
    problems.push(
      'NATIONAL_PORTAL_URL: phải là địa chỉ http(s):// không kèm tên đăng nhập (must be an http(s) URL without credentials)',
    )
  }
  if (token && (tokenUrl || clientId || clientSecret)) {
    problems.push(
      'NATIONAL_PORTAL_TOKEN: không dùng cùng OAuth2 (NATIONAL_PORTAL_TOKEN_URL, NATIONAL_PORTAL_CLIENT_ID, NATIONAL_PORTAL_CLIENT_SECRET); chọn một trong hai cách (set either a fixed token or OAuth2 client credentials, not both)',
    )
  } else if (!token && !tokenUrl && !clientId && !clientSecret) {
    problems.push(
      'NATIONAL_PORTAL_TOKEN: bắt buộc khi có NATIONAL_PORTAL_URL, trừ khi dùng OAuth2 với NATIONAL_PORTAL_TOKEN_URL, NATIONAL_PORTAL_CLIENT_ID và NATIONAL_PORTAL_CLIENT_SECRET (required with NATIONAL_PORTAL_URL unless OAuth2 client credentials are set)',
    )
  }
  if (token && /\s/.test(token))
    problems.push('NATIONAL_PORTAL_TOKEN: không được chứa khoảng trắng (must not contain spaces)')
  let oauth2: NationalPortalOAuth2 | undefined
  if (!token && (tokenUrl || clientId || clientSecret)) {
    if (!tokenUrl) {
      problems.push(
        `NATIONAL_PORTAL_TOKEN_URL: bắt buộc khi có ${clientId ? 'NATIONAL_PORTAL_CLIENT_ID' : 'NATIONAL_PORTAL_CLIENT_SECRET'} (required with the OAuth2 client credentials)`,
      )
    } else if (!httpUrl(tokenUrl)) {
      problems.push(
        'NATIONAL_PORTAL_TOKEN_URL: phải là địa chỉ http(s):// không kèm tên đăng nhập (must be an http(s) URL without credentials)',
      )
    }
    if (!clientId) {
      problems.push(
        'NATIONAL_PORTAL_CLIENT_ID: bắt buộc khi dùng OAuth2 với NATIONAL_PORTAL_TOKEN_URL (required with NATIONAL_PORTAL_TOKEN_URL)',
      )
    } else if (/\s/.test(clientId)) {
      problems.push('NATIONAL_PORTAL_CLIENT_ID: không được chứa khoảng trắng (must not contain spaces)')
    }
    if (!clientSecret) {
      problems.push(
        'NATIONAL_PORTAL_CLIENT_SECRET: bắt buộc khi dùng OAuth2 với NATIONAL_PORTAL_TOKEN_URL (required with NATIONAL_PORTAL_TOKEN_URL)',
      )
    }
    const scope = env.NATIONAL_PORTAL_SCOPE?.trim() || undefined
    if (scope && !/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/.test(scope)) {
      problems.push(
        'NATIONAL_PORTAL_SCOPE: các phạm vi cách nhau một dấu cách, không dấu tiếng Việt hay ký tự đặc biệt (space-separated scope tokens, RFC 6749 §3.3)',
      )
    }
    oauth2 = Object.freeze({ tokenUrl, clientId, clientSecret, scope })
  }
  const unitCodes: Record<string, string> = {}
  for (const pair of (env.NATIONAL_PORTAL_UNIT_CODES ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const match = /^([^=\s]{1,60})=([^=\s]{1,60})$/.exec(pair)
    if (!match) {
      problems.push(
        `NATIONAL_PORTAL_UNIT_CODES: "${pair}" phải có dạng mã-đơn-vị=mã-trên-cổng, cách nhau bởi dấu phẩy (expected code=portalCode,…)`,
      )
      continue
    }
    unitCodes[match[1]!] = match[2]!
  }
  const retryCodes: string[] = []
  for (const code of (env.NATIONAL_PORTAL_RETRY_CODES ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean)) {
    if (/^[A-Za-z0-9_.-]{1,40}$/.test(code)) retryCodes.push(code)
    else
      problems.push(
        `NATIONAL_PORTAL_RETRY_CODES: "${code}" không phải mã kết quả (chữ, số, . _ -), các mã cách nhau bởi dấu phẩy (expected result codes separated by commas)`,
      )
  }
  return Object.freeze({
    url: raw,
    token: token || undefined,
    oauth2,
    unitCodes: Object.freeze(unitCodes),
    retryCodes: Object.freeze(retryCodes),
  })
}

/**
 * The secret the platform and the sandbox gateway sign payment messages with. Unless set, an HMAC of
 * SECRET_KEY: trial installations need nothing more, and it never equals the key that signs sessions.
 */
export function paymentSandboxSecret(config: Pick<Config, 'paymentSandboxSecret' | 'secretKey'>): string {
  return (
    config.paymentSandboxSecret ??
    createHmac('sha256', config.secretKey).update('payments.sandbox-gateway').digest('base64url')
  )
}

/**
 * Embedded mode may run without SECRET_KEY: one is generated on first start and kept in the data
 * directory so sessions survive restarts.
 */
export function withEmbeddedSecret(config: Config): Config {
  if (config.secretKey) return config
  const file = join(config.dataDir, 'secret.key')
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true })
    writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 })
  }
  return Object.freeze({ ...config, secretKey: readFileSync(file, 'utf8').trim() })
}
