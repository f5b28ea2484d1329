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
      oauth2: undefined,
      unitCodes: { '000.00.01.H14': 'H14.01', 'phuong-thuc-phan': 'H14.TP01' },
      retryCodes: [],
    })
  })

  it('reads OAuth2 client credentials instead of a fixed token, and the result codes to retry', () => {
    expect(
      loadConfig({
        ...base,
        NATIONAL_PORTAL_URL: 'https://api.caobang.gov.vn/dvcqg/1.0/dongbo',
        NATIONAL_PORTAL_TOKEN_URL: 'https://api.caobang.gov.vn/token',
        NATIONAL_PORTAL_CLIENT_ID: 'caobang-motcua',
        NATIONAL_PORTAL_CLIENT_SECRET: ' s3cr3t ',
        NATIONAL_PORTAL_SCOPE: 'dvcqg',
        NATIONAL_PORTAL_RETRY_CODES: '99, -1',
      }).nationalPortal,
    ).toEqual({
      url: 'https://api.caobang.gov.vn/dvcqg/1.0/dongbo',
      token: undefined,
      oauth2: {
        tokenUrl: 'https://api.caobang.gov.vn/token',
        clientId: 'caobang-motcua',
        clientSecret: 's3cr3t',
        scope: 'dvcqg',
      },
      unitCodes: {},
      retryCodes: ['99', '-1'],
    })
  })

  it('refuses half an OAuth2 configuration, both ways of authenticating at once, and bad retry codes', () => {
    const url = { NATIONAL_PORTAL_URL: 'https://x.gov.vn/' }
    const oauth2 = {
      ...url,
      NATIONAL_PORTAL_TOKEN_URL: 'https://x.gov.vn/token',
      NATIONAL_PORTAL_CLIENT_ID: 'id',
      NATIONAL_PORTAL_CLIENT_SECRET: 'secret',
    }
    expect(problems(oauth2)).toEqual([])
    expect(problems({ ...oauth2, NATIONAL_PORTAL_CLIENT_SECRET: '' })).toEqual([
      'NATIONAL_PORTAL_CLIENT_SECRET: bắt buộc khi dùng OAuth2 với NATIONAL_PORTAL_TOKEN_URL (required with NATIONAL_PORTAL_TOKEN_URL)',
    ])
    expect(problems({ ...oauth2, NATIONAL_PORTAL_CLIENT_ID: '' })).toEqual([
      'NATIONAL_PORTAL_CLIENT_ID: bắt buộc khi dùng OAuth2 với NATIONAL_PORTAL_TOKEN_URL (required with NATIONAL_PORTAL_TOKEN_URL)',
    ])
    expect(problems({ ...oauth2, NATIONAL_PORTAL_TOKEN_URL: '' })).toEqual([
      'NATIONAL_PORTAL_TOKEN_URL: bắt buộc khi có NATIONAL_PORTAL_CLIENT_ID (required with the OAuth2 client credentials)',
    ])
    expect(problems({ ...oauth2, NATIONAL_PORTAL_TOKEN_URL: 'ftp://x.gov.vn/token' })).toEqual([
      'NATIONAL_PORTAL_TOKEN_URL: phải là địa chỉ http(s):// không kèm tên đăng nhập (must be an http(s) URL without credentials)',
    ])
    expect(problems({ ...oauth2, NATIONAL_PORTAL_TOKEN: 'abc' })[0]).toContain(
      'NATIONAL_PORTAL_TOKEN: không dùng cùng OAuth2',
    )
    expect(problems({ ...oauth2, NATIONAL_PORTAL_SCOPE: 'đồng bộ' })[0]).toContain(
      'NATIONAL_PORTAL_SCOPE: các phạm vi cách nhau một dấu cách',
    )
    expect(problems({ NATIONAL_PORTAL_CLIENT_ID: 'id' })).toEqual([
      'NATIONAL_PORTAL_URL: bắt buộc khi có NATIONAL_PORTAL_CLIENT_ID (required with NATIONAL_PORTAL_CLIENT_ID)',
    ])
    expect(
      problems({ ...url, NATIONAL_PORTAL_TOKEN: 'a', NATIONAL_PORTAL_RETRY_CODES: '99,lỗi tạm' }),
    ).toEqual([
      'NATIONAL_PORTAL_RETRY_CODES: "lỗi tạm" không phải mã kết quả (chữ, số, . _ -), các mã cách nhau bởi dấu phẩy (expected result codes separated by commas)',
    ])
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
