import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'

/** Thrown when the environment holds a missing or malformed setting; the process must not start. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Cấu hình không hợp lệ / invalid configuration:\n  - ${problems.join('\n  - ')}`)
  }
}

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
}>

type Env = Record<string, string | undefined>

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

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
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return Object.freeze(config)
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
