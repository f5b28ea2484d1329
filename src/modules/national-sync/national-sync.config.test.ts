import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../platform/config.js'

const base = { SECRET_KEY: 'test-secret-key-that-is-long-enough-000' }
const problems = (env: Record<string, string>) => {
  try {
    loadConfig({ ...base, ...env })
    return []
  } catch (error) {
    return (error as ConfigError).problems
  }
}

describe('national portal configuration', () => {
  it('is off without a URL and reads the URL, token and unit codes when set', () => {
    expect(loadConfig(base).nationalPortal).toBeUndefined()
    expect(
      loadConfig({
        ...base,
        NATIONAL_PORTAL_URL: 'https://dichvucong.gov.vn/api/dongbo',
        NATIONAL_PORTAL_TOKEN: 'abc123',
        NATIONAL_PORTAL_UNIT_CODES: '000.00.01.H14=H14.01, phuong-thuc-phan=H14.TP01',
      }).nationalPortal,
    ).toEqual({
      url: 'https://dichvucong.gov.vn/api/dongbo',
      token: 'abc123',
      unitCodes: { '000.00.01.H14': 'H14.01', 'phuong-thuc-phan': 'H14.TP01' },
    })
  })

  it('refuses to start with a token but no URL, a URL without a token, credentials in the URL or a bad mapping', () => {
    expect(problems({ NATIONAL_PORTAL_TOKEN: 'abc' })).toEqual([
      'NATIONAL_PORTAL_URL: bắt buộc khi có NATIONAL_PORTAL_TOKEN (required with NATIONAL_PORTAL_TOKEN)',
    ])
    expect(problems({ NATIONAL_PORTAL_URL: 'https://x.gov.vn/' })[0]).toContain(
      'NATIONAL_PORTAL_TOKEN: bắt buộc',
    )
    expect(
      problems({ NATIONAL_PORTAL_URL: 'https://u:p@x.gov.vn/', NATIONAL_PORTAL_TOKEN: 'a' })[0],
    ).toContain('không kèm tên đăng nhập')
    expect(
      problems({
        NATIONAL_PORTAL_URL: 'https://x.gov.vn/',
        NATIONAL_PORTAL_TOKEN: 'a',
        NATIONAL_PORTAL_UNIT_CODES: 'H14',
      })[0],
    ).toContain('NATIONAL_PORTAL_UNIT_CODES: "H14" phải có dạng')
    expect(problems({ PUBSUB_MAX_ATTEMPTS: '0' })[0]).toContain('PUBSUB_MAX_ATTEMPTS="0"')
  })
})
