import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  checkWebhookUrl,
  decryptSecret,
  encryptSecret,
  parseAllowedHost,
  signWebhook,
  verifyWebhookSignature,
} from './pubsub.webhook.js'

const allowed = ['127.0.0.1', 'hooks.caobang.gov.vn', '::1']

describe('webhook address guard', () => {
  it('accepts http(s) to an allowed host and refuses other schemes, user info and other hosts', () => {
    expect(checkWebhookUrl('https://hooks.caobang.gov.vn/su-kien#x', allowed)).toEqual({
      ok: true,
      url: 'https://hooks.caobang.gov.vn/su-kien',
      host: 'hooks.caobang.gov.vn',
    })
    expect(checkWebhookUrl('http://[::1]:8080/h', allowed).ok).toBe(true)
    expect(checkWebhookUrl('HTTP://HOOKS.CAOBANG.GOV.VN/', allowed).ok).toBe(true)
    const refused = (url: unknown) => {
      const result = checkWebhookUrl(url, allowed)
      return result.ok ? '' : result.message
    }
    expect(refused('file:///etc/passwd')).toContain('chỉ được dùng http hoặc https')
    expect(refused('gopher://127.0.0.1:6379/')).toContain('chỉ được dùng http hoặc https')
    expect(refused('http://admin@127.0.0.1/')).toContain('không được chứa tên đăng nhập')
    expect(refused('http://hooks.caobang.gov.vn.evil.vn/')).toContain('không nằm trong danh sách')
    expect(refused('http://127.0.0.2/')).toContain('không nằm trong danh sách')
    expect(refused('http://0x7f000002/')).toContain('"127.0.0.2"')
    expect(refused('không phải url')).toBe('Địa chỉ nhận sự kiện không phải URL hợp lệ.')
    expect(refused(undefined)).toBe('Nhập địa chỉ nhận sự kiện (webhook URL).')
  })

  it('takes a bare host name or address for the allow-list', () => {
    expect(parseAllowedHost(' Hooks.CaoBang.gov.vn ')).toEqual({ ok: true, host: 'hooks.caobang.gov.vn' })
    expect(parseAllowedHost('[::1]')).toEqual({ ok: true, host: '::1' })
    for (const bad of ['http://x.vn', 'x.vn:8080', 'x.vn/path', '', 'a b'])
      expect(parseAllowedHost(bad).ok).toBe(false)
  })
})

describe('webhook signature', () => {
  it('signs "<timestamp>.<body>" with HMAC-SHA256 and verifies within five minutes only', () => {
    const body = '{"id":"1","payload":{"ten":"Nông Thị Hoa"}}'
    const signature = signWebhook('whsec_test', 1_800_000_000, body)
    expect(signature).toBe(
      `sha256=${createHmac('sha256', 'whsec_test').update(`1800000000.${body}`).digest('hex')}`,
    )
    const headers = { timestamp: '1800000000', signature }
    expect(verifyWebhookSignature('whsec_test', headers, body, 1_800_000_100_000)).toBe(true)
    expect(verifyWebhookSignature('whsec_test', headers, `${body} `, 1_800_000_100_000)).toBe(false)
    expect(verifyWebhookSignature('whsec_other', headers, body, 1_800_000_100_000)).toBe(false)
    expect(verifyWebhookSignature('whsec_test', headers, body, 1_800_000_400_000)).toBe(false)
  })

  it('keeps the secret encrypted at rest and reads it back only with the same key', () => {
    const key = 'test-secret-key-that-is-long-enough-000'
    const stored = encryptSecret(key, 'whsec_abc')
    expect(stored).not.toContain('whsec_abc')
    expect(decryptSecret(key, stored)).toBe('whsec_abc')
    expect(() => decryptSecret('another-secret-key-that-is-long-enough', stored)).toThrow()
  })
})
