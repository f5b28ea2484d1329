import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from './config.js'

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
})
