import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig, paymentSandboxSecret } from './config.js'

describe('configuration', () => {
  it('starts embedded on port 3000 with nothing set', () => {
    const config = loadConfig({}, '/srv/app')
    expect(config).toMatchObject({
      port: 3000,
      dataDir: '/srv/app/data',
      databaseUrl: undefined,
      seedDemo: true,
    })
  })

  it('names every malformed variable in one error', () => {
    try {
      loadConfig({ PORT: 'abc', DATABASE_URL: 'mysql://x', SESSION_IDLE_MINUTES: '0', LOG_LEVEL: 'loud' })
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      const message = (error as ConfigError).message
      for (const name of ['PORT', 'DATABASE_URL', 'SESSION_IDLE_MINUTES', 'LOG_LEVEL'])
        expect(message).toContain(name)
    }
  })

  it('requires a secret key with a database server', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1/x' })).toThrow(/SECRET_KEY/)
    expect(() =>
      loadConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1/x', SECRET_KEY: 'short' }),
    ).toThrow(/32/)
    const config = loadConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1/x', SECRET_KEY: 'x'.repeat(40) })
    expect(config.seedDemo).toBe(false)
  })

  it('turns on secure cookies behind an https public address', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://dichvucong.caobang.gov.vn' }).secureCookies).toBe(true)
    expect(loadConfig({}).secureCookies).toBe(false)
  })

  it('keeps uploads on local disk, unscanned, up to 10 MB with nothing set', () => {
    expect(loadConfig({})).toMatchObject({
      storage: 'local',
      s3: undefined,
      clamd: undefined,
      uploadMaxBytes: 10 * 1024 * 1024,
    })
    expect(loadConfig({ UPLOAD_MAX_BYTES: '2097152' }).uploadMaxBytes).toBe(2_097_152)
  })

  it('names each missing S3 setting when STORAGE=s3', () => {
    try {
      loadConfig({ STORAGE: 's3', S3_ENDPOINT: 'ftp://minio' })
      expect.unreachable()
    } catch (error) {
      const message = (error as ConfigError).message
      for (const name of ['S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'S3_ENDPOINT'])
        expect(message).toContain(name)
    }
    expect(() => loadConfig({ STORAGE: 'nfs' })).toThrow(/STORAGE="nfs"/)
    expect(() =>
      loadConfig({ STORAGE: 's3', S3_BUCKET: 'Ho_So', S3_ACCESS_KEY_ID: 'k', S3_SECRET_ACCESS_KEY: 's' }),
    ).toThrow(/S3_BUCKET="Ho_So"/)
  })

  it('addresses a self-hosted store by path and AWS by bucket subdomain unless told otherwise', () => {
    const keys = {
      STORAGE: 's3',
      S3_BUCKET: 'ho-so',
      S3_ACCESS_KEY_ID: 'key',
      S3_SECRET_ACCESS_KEY: 'secret',
    }
    expect(loadConfig({ ...keys, S3_ENDPOINT: 'http://10.0.0.5:9000/' }).s3).toEqual({
      endpoint: 'http://10.0.0.5:9000',
      region: 'us-east-1',
      bucket: 'ho-so',
      accessKeyId: 'key',
      secretAccessKey: 'secret',
      forcePathStyle: true,
    })
    expect(loadConfig({ ...keys, S3_REGION: 'ap-southeast-1' }).s3).toMatchObject({
      endpoint: 'https://s3.ap-southeast-1.amazonaws.com',
      forcePathStyle: false,
    })
    expect(
      loadConfig({ ...keys, S3_ENDPOINT: 'https://s3.caobang.gov.vn', S3_FORCE_PATH_STYLE: 'false' }).s3
        ?.forcePathStyle,
    ).toBe(false)
    expect(() => loadConfig({ ...keys, S3_FORCE_PATH_STYLE: 'maybe' })).toThrow(/S3_FORCE_PATH_STYLE/)
  })

  it('reads clamd from a tcp or unix CLAMD_URL', () => {
    expect(loadConfig({ CLAMD_URL: 'tcp://127.0.0.1:3310' }).clamd).toEqual({ host: '127.0.0.1', port: 3310 })
    expect(loadConfig({ CLAMD_URL: 'tcp://[::1]:13310' }).clamd).toEqual({ host: '::1', port: 13310 })
    expect(loadConfig({ CLAMD_URL: 'unix:///run/clamav/clamd.ctl' }).clamd).toEqual({
      socket: '/run/clamav/clamd.ctl',
    })
    for (const bad of [
      'http://127.0.0.1:3310',
      'tcp://127.0.0.1:3310/scan',
      'unix://clamd.ctl',
      '127.0.0.1:3310',
    ])
      expect(() => loadConfig({ CLAMD_URL: bad }), bad).toThrow(/CLAMD_URL/)
  })

  it('refuses an upload limit below 1 KB or above 1 GB', () => {
    expect(() => loadConfig({ UPLOAD_MAX_BYTES: '10MB' })).toThrow(/UPLOAD_MAX_BYTES/)
    expect(() => loadConfig({ UPLOAD_MAX_BYTES: '100' })).toThrow(/UPLOAD_MAX_BYTES/)
    expect(() => loadConfig({ UPLOAD_MAX_BYTES: String(2 * 1024 ** 3) })).toThrow(/UPLOAD_MAX_BYTES/)
  })

  it('pays through the sandbox gateway with a secret derived from SECRET_KEY when nothing is set', () => {
    const config = loadConfig({ SECRET_KEY: 'k'.repeat(40) })
    expect(config.paymentProvider).toBe('sandbox')
    expect(config.paymentSandboxSecret).toBeUndefined()
    const derived = paymentSandboxSecret(config)
    expect(derived).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(derived).not.toContain('k'.repeat(10))
    expect(paymentSandboxSecret(loadConfig({ SECRET_KEY: 'j'.repeat(40) }))).not.toBe(derived)
    const chosen = 's'.repeat(32)
    expect(paymentSandboxSecret(loadConfig({ PAYMENT_SANDBOX_SECRET: chosen }))).toBe(chosen)
  })

  it('refuses an unknown payment provider and a short sandbox secret', () => {
    expect(() => loadConfig({ PAYMENT_PROVIDER: 'paypal' })).toThrow(/PAYMENT_PROVIDER="paypal"/)
    expect(() => loadConfig({ PAYMENT_SANDBOX_SECRET: 'short' })).toThrow(/PAYMENT_SANDBOX_SECRET/)
  })

  it('sends no SMS and retries notifications 8 times from a minute apart with nothing set', () => {
    expect(loadConfig({})).toMatchObject({
      smsGateway: undefined,
      notificationMaxAttempts: 8,
      notificationRetryMs: 60_000,
    })
    const config = loadConfig({
      SMS_GATEWAY_URL: 'https://sms.example.vn/api/send',
      SMS_GATEWAY_TOKEN: ' tok-123 ',
      NOTIFICATION_MAX_ATTEMPTS: '3',
      NOTIFICATION_RETRY_MS: '50',
    })
    expect(config.smsGateway).toEqual({ url: 'https://sms.example.vn/api/send', token: 'tok-123' })
    expect(config).toMatchObject({ notificationMaxAttempts: 3, notificationRetryMs: 50 })
  })

  it('wants the SMS gateway address and token together, and never prints the token', () => {
    expect(() => loadConfig({ SMS_GATEWAY_URL: 'https://sms.example.vn/send' })).toThrow(/SMS_GATEWAY_TOKEN/)
    expect(() => loadConfig({ SMS_GATEWAY_TOKEN: 'bi-mat-khong-in-ra' })).toThrow(/SMS_GATEWAY_URL/)
    expect(() => loadConfig({ SMS_GATEWAY_URL: 'ftp://sms', SMS_GATEWAY_TOKEN: 'x' })).toThrow(
      /SMS_GATEWAY_URL/,
    )
    try {
      loadConfig({ SMS_GATEWAY_URL: 'https://sms.example.vn/send', SMS_GATEWAY_TOKEN: 'bi mat khong in ra' })
      expect.unreachable()
    } catch (error) {
      expect((error as ConfigError).message).toMatch(/SMS_GATEWAY_TOKEN/)
      expect((error as ConfigError).message).not.toContain('bi mat')
    }
  })

  it('refuses notification retry settings out of range', () => {
    expect(() => loadConfig({ NOTIFICATION_MAX_ATTEMPTS: '0' })).toThrow(/NOTIFICATION_MAX_ATTEMPTS/)
    expect(() => loadConfig({ NOTIFICATION_MAX_ATTEMPTS: '51' })).toThrow(/NOTIFICATION_MAX_ATTEMPTS/)
    expect(() => loadConfig({ NOTIFICATION_RETRY_MS: '5' })).toThrow(/NOTIFICATION_RETRY_MS/)
    expect(() => loadConfig({ NOTIFICATION_RETRY_MS: '1m' })).toThrow(/NOTIFICATION_RETRY_MS/)
  })
})
