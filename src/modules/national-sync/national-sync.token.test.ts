import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeServer, startTokenEndpoint, type Answer } from '../../../test/national-portal.js'
import { clientCredentials, PortalTokenError } from './national-sync.token.js'

// The token client against a token endpoint running as a real HTTP server; the clock is the test's, so expiry
// is exact.
const CLIENT = { id: 'cao bằng:một cửa', secret: 'bí mật/0001' }
let endpoint: Awaited<ReturnType<typeof startTokenEndpoint>>
let now = Date.parse('2026-11-27T08:00:00Z')

beforeAll(async () => {
  endpoint = await startTokenEndpoint(CLIENT)
})

afterAll(async () => {
  await endpoint?.close()
})

function client(scope?: string, url = `${endpoint.url}/token`) {
  return clientCredentials(
    { tokenUrl: url, clientId: CLIENT.id, clientSecret: CLIENT.secret, scope },
    { clock: () => new Date(now), timeoutMs: 2_000 },
  )
}

async function failure(answer: Answer): Promise<string> {
  endpoint.answer = () => answer
  try {
    const error = await client()
      .bearer()
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    expect(error).toBeInstanceOf(PortalTokenError)
    return (error as Error).message
  } finally {
    endpoint.behave()
  }
}

describe('OAuth2 client credentials for the national portal', () => {
  it('authenticates with form-encoded Basic credentials, and sends the scope only when one is set', async () => {
    const before = endpoint.received.length
    const first = await client().bearer()
    const scoped = await client('dvcqg dongbo').bearer()
    expect([first, scoped]).toEqual([`tok-${endpoint.issued() - 1}`, `tok-${endpoint.issued()}`])
    const [plain, withScope] = endpoint.received.slice(before)
    expect(Object.fromEntries(new URLSearchParams(plain!.body))).toEqual({ grant_type: 'client_credentials' })
    expect(Object.fromEntries(new URLSearchParams(withScope!.body))).toEqual({
      grant_type: 'client_credentials',
      scope: 'dvcqg dongbo',
    })
    // RFC 6749 §2.3.1: id and secret form-encoded before Base64, so ':' and non-ASCII survive.
    expect(Buffer.from(plain!.headers.authorization!.replace('Basic ', ''), 'base64').toString('utf8')).toBe(
      `${encodeURIComponent(CLIENT.id)}:${encodeURIComponent(CLIENT.secret)}`,
    )
  })

  it('keeps a token until a minute before it expires, and asks once for many concurrent calls', async () => {
    const tokens = client()
    const before = endpoint.received.length
    const together = await Promise.all([1, 2, 3, 4, 5].map(() => tokens.bearer()))
    expect(new Set(together).size).toBe(1)
    expect(endpoint.received.length - before).toBe(1)

    now += 3539_000
    expect(await tokens.bearer()).toBe(together[0])
    expect(tokens.requests()).toBe(1)
    now += 2_000
    const renewed = await tokens.bearer()
    expect(renewed).not.toBe(together[0])
    expect(tokens.requests()).toBe(2)
  })

  it('renews a short-lived token after half its life', async () => {
    endpoint.answer = () => ({ body: { access_token: 'ngan-han', token_type: 'bearer', expires_in: 60 } })
    const tokens = client()
    try {
      await tokens.bearer()
      now += 29_000
      await tokens.bearer()
      expect(tokens.requests()).toBe(1)
      now += 2_000
      await tokens.bearer()
      expect(tokens.requests()).toBe(2)
    } finally {
      endpoint.behave()
    }
  })

  it('drops a token the portal refused, but not a newer one', async () => {
    const tokens = client()
    const old = await tokens.bearer()
    tokens.invalidate(old)
    const fresh = await tokens.bearer()
    expect(fresh).not.toBe(old)
    tokens.invalidate(old)
    expect(await tokens.bearer()).toBe(fresh)
    expect(tokens.requests()).toBe(2)
  })

  it('explains each unusable answer of the token endpoint', async () => {
    expect(
      await failure({
        status: 401,
        body: { error: 'invalid_client', error_description: 'Client authentication failed' },
      }),
    ).toBe(
      'Máy chủ cấp token của Cổng DVC quốc gia từ chối cấp token: HTTP 401 invalid_client (Client authentication failed)',
    )
    expect(await failure({ status: 503, body: 'Service Unavailable' })).toBe(
      'Máy chủ cấp token của Cổng DVC quốc gia từ chối cấp token: HTTP 503',
    )
    expect(await failure({ body: '<html>Cổng đăng nhập</html>', contentType: 'text/html' })).toBe(
      'Máy chủ cấp token của Cổng DVC quốc gia trả lời không phải JSON: "<html>Cổng đăng nhập</html>"',
    )
    expect(await failure({ body: '' })).toBe(
      'Máy chủ cấp token của Cổng DVC quốc gia trả lời rỗng, không có access_token',
    )
    expect(await failure({ body: { token_type: 'Bearer', expires_in: 3600 } })).toBe(
      'Máy chủ cấp token của Cổng DVC quốc gia trả lời không có access_token',
    )
    expect(await failure({ body: { access_token: 'abc', token_type: 'mac' } })).toBe(
      'Máy chủ cấp token của Cổng DVC quốc gia trả về token loại "mac", không phải Bearer',
    )
    expect(await failure({ body: { access_token: 'abc\r\nX-Injected: 1', token_type: 'Bearer' } })).toBe(
      'Máy chủ cấp token của Cổng DVC quốc gia trả về access_token có ký tự không hợp lệ',
    )
  })

  it('explains a token endpoint that cannot be reached', async () => {
    const closed = await startFakeServer()
    const url = `${closed.url}/token`
    await closed.close()
    const error = await client(undefined, url)
      .bearer()
      .catch((e: unknown) => e as Error)
    expect(error).toBeInstanceOf(PortalTokenError)
    expect((error as Error).message).toMatch(
      /^Không gọi được máy chủ cấp token của Cổng DVC quốc gia: fetch failed \(ECONNREFUSED\)$/,
    )
  })
})
