import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { sql } from 'kysely'
import { parse } from 'node-html-parser'
import Provider from 'oidc-provider'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, Visitor, type TestApp } from '../../../test/app.js'
import { chainAudit } from '../../platform/audit/audit.js'
import { loadConfig } from '../../platform/config.js'
import { readVerifiedClaims } from './external-login.service.js'

const PUBLIC_URL = 'http://dvc.test'
const CALLBACK = `${PUBLIC_URL}/login/external/callback`
const CLIENT = { id: 'cong-dvc-cao-bang', secret: 'a-client-secret-for-the-test-provider-000' }

/** People known to the test identity provider, with the claims it releases (the ID under `so_dinh_danh`). */
const PEOPLE: Record<string, Record<string, unknown>> = {
  'vneid-new': {
    name: 'Hoàng Thị Mai',
    so_dinh_danh: '004195000123',
    phone_number: '+84987000123',
    phone_number_verified: true,
    email: 'mai.hoang@example.vn',
    email_verified: true,
  },
  // The seeded citizen `congdan` (004090000001), registered with a password.
  'vneid-existing': {
    name: 'Nguyễn Văn An',
    so_dinh_danh: '004090000001',
    phone_number: '+84912000001',
    phone_number_verified: true,
  },
  'vneid-twice': { name: 'Bế Văn Đông', so_dinh_danh: '004201000456' },
  'vneid-official': { name: 'Lý Văn Sơn', so_dinh_danh: '004088000777' },
  'vneid-no-id': { name: 'Người Không Số' },
  'vneid-bad-id': { name: 'Người Sai Số', so_dinh_danh: '999123456789' },
  'vneid-level': { name: 'Đinh Thị Lan', so_dinh_danh: '004199000321' },
}

/** A second OpenID Connect provider, real (oidc-provider), whose sign-in step logs in `who` or refuses. */
class TestIdentityProvider {
  /** The person who signs in at the provider's login step; 'deny' refuses the request. */
  who = 'vneid-new'
  /** The assurance level the provider vouches for at that sign-in. */
  acr = 'muc-2'
  server!: Server
  issuer!: string
  provider: Provider | undefined

  async start() {
    this.server = createServer((req, res) => {
      const provider = this.provider
      if (!provider) return res.writeHead(503).end()
      if (req.url?.startsWith('/interaction/')) {
        void this.interact(provider, req, res).catch(() => res.writeHead(500).end())
        return
      }
      void provider.callback()(req, res)
    })
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    this.issuer = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    this.provider = new Provider(this.issuer, {
      clients: [
        {
          client_id: CLIENT.id,
          client_secret: CLIENT.secret,
          redirect_uris: [CALLBACK],
          post_logout_redirect_uris: [`${PUBLIC_URL}/`],
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
      pkce: { required: () => true },
      acrValues: ['muc-1', 'muc-2'],
      claims: {
        openid: ['sub'],
        profile: ['name'],
        phone: ['phone_number', 'phone_number_verified'],
        email: ['email', 'email_verified'],
        cccd: ['so_dinh_danh'],
      },
      findAccount: (_ctx, sub) =>
        PEOPLE[sub] ? { accountId: sub, claims: () => ({ sub, ...PEOPLE[sub] }) } : undefined,
      features: { devInteractions: { enabled: false } },
      interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
      cookies: { keys: ['test-identity-provider-cookie-key'] },
      ttl: {
        AccessToken: 600,
        AuthorizationCode: 60,
        Grant: 600,
        IdToken: 600,
        Interaction: 600,
        Session: 600,
      },
    })
  }

  /** The person at the provider: either signs in as `who` and consents, or refuses. */
  private async interact(
    provider: Provider,
    req: import('node:http').IncomingMessage,
    res: import('node:http').ServerResponse,
  ) {
    const details = await provider.interactionDetails(req, res)
    if (this.who === 'deny') {
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'Người dùng từ chối' },
        { mergeWithLastSubmission: false },
      )
      return
    }
    const grant = new provider.Grant({ accountId: this.who, clientId: String(details.params.client_id) })
    grant.addOIDCScope(String(details.params.scope))
    const grantId = await grant.save()
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: this.who, acr: this.acr }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    )
  }

  async stop() {
    if (!this.server.listening) return
    this.server.closeAllConnections()
    await new Promise((resolve) => this.server.close(resolve))
  }

  /** Back on the same address, with its state (clients, keys) intact. */
  async restart() {
    const port = Number(new URL(this.issuer).port)
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve))
  }
}

/** The citizen's browser at the provider, over real HTTP: cookies kept, redirects followed until ours. */
class ProviderBrowser {
  readonly cookies = new Map<string, string>()

  async go(url: string) {
    const response = await fetch(url, {
      redirect: 'manual',
      headers: { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    })
    for (const header of response.headers.getSetCookie()) {
      const pair = header.split(';')[0] ?? ''
      const name = pair.slice(0, pair.indexOf('='))
      const value = pair.slice(pair.indexOf('=') + 1)
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(header)) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    return response
  }

  /** Follows the provider's redirects and returns the address it finally sends the browser back to. */
  async returnAddress(start: string): Promise<string> {
    let url = start
    for (let hops = 0; hops < 10; hops++) {
      const response = await this.go(url)
      const location = response.headers.get('location')
      if (response.status < 300 || response.status >= 400 || !location)
        throw new Error(`provider stopped at ${url}: ${response.status} ${await response.text()}`)
      url = new URL(location, url).href
      if (url.startsWith(CALLBACK)) return url
    }
    throw new Error('too many redirects at the provider')
  }
}

let idp: TestIdentityProvider
let t: TestApp

const env = (issuer: string) => ({
  PUBLIC_URL,
  EXTERNAL_OIDC_ISSUER: issuer,
  EXTERNAL_OIDC_CLIENT_ID: CLIENT.id,
  EXTERNAL_OIDC_CLIENT_SECRET: CLIENT.secret,
  EXTERNAL_OIDC_SCOPES: 'openid profile phone email cccd',
  EXTERNAL_OIDC_CLAIM_CITIZEN_ID: 'so_dinh_danh',
})

/** The whole round trip: our redirect, the provider's sign-in, and the return to our callback. */
async function signInThroughProvider(visitor: Visitor, who: string, next?: string) {
  idp.who = who
  const start = await visitor.get(`/login/external${next ? `?next=${encodeURIComponent(next)}` : ''}`)
  expect(start.statusCode).toBe(303)
  const authorize = new URL(start.headers.location as string)
  expect(authorize.origin).toBe(idp.issuer)
  const back = new URL(await new ProviderBrowser().returnAddress(authorize.href))
  return visitor.get(`${back.pathname}${back.search}`)
}

async function userByCitizenId(citizenId: string) {
  const { rows } = await sql<{
    id: string
    kind: string
    username: string
    full_name: string
    phone: string | null
    email: string | null
    password_hash: string
  }>`select id, kind, username, full_name, phone, email, password_hash from users where citizen_id = ${citizenId}`.execute(
    t.database.db,
  )
  return rows
}

async function auditActions(action: string) {
  await chainAudit(t.database.db)
  const { rows } = await sql<{ action: string; outcome: string; details: Record<string, unknown> }>`
    select action, outcome, details from audit_log where action = ${action} order by seq`.execute(
    t.database.db,
  )
  return rows
}

beforeAll(async () => {
  idp = new TestIdentityProvider()
  await idp.start()
  t = await createTestApp({ env: env(idp.issuer) })
  // An official whose citizen ID the provider knows: such an account must never be signed in this way.
  await sql`update users set citizen_id = '004088000777' where username = 'vanthu.thucphan'`.execute(
    t.database.db,
  )
})

afterAll(async () => {
  await t?.close()
  await idp?.stop()
})

describe('citizen sign-in through an external OpenID Connect provider', { timeout: 60_000 }, () => {
  it('shows the provider button on the sign-in page when configured', async () => {
    const page = parse((await new Visitor(t.app).get('/login')).body)
    const button = page.querySelector('#external-login')
    expect(button?.text.trim()).toBe('Đăng nhập bằng tài khoản VNeID')
    expect(button?.getAttribute('href')).toBe('/login/external')
  })

  it('sends the browser to the provider with PKCE, state and nonce', async () => {
    const response = await new Visitor(t.app).get('/login/external')
    expect(response.statusCode).toBe(303)
    const url = new URL(response.headers.location as string)
    expect(`${url.origin}${url.pathname}`).toBe(`${idp.issuer}/auth`)
    expect(url.searchParams.get('client_id')).toBe(CLIENT.id)
    expect(url.searchParams.get('redirect_uri')).toBe(CALLBACK)
    expect(url.searchParams.get('code_challenge_method')).toBe('S256')
    expect(url.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/)
    expect(url.searchParams.get('state')).toBeTruthy()
    expect(url.searchParams.get('nonce')).toBeTruthy()
    expect(url.searchParams.get('scope')).toBe('openid profile phone email cccd')
  })

  it('creates and links a citizen account at the first sign-in, with the verified details', async () => {
    const visitor = new Visitor(t.app)
    const back = await signInThroughProvider(visitor, 'vneid-new')
    expect(back.statusCode).toBe(303)
    expect(back.headers.location).toBe('/account')

    const [user, ...more] = await userByCitizenId('004195000123')
    expect(more).toHaveLength(0)
    expect(user).toMatchObject({
      kind: 'citizen',
      username: '004195000123',
      full_name: 'Hoàng Thị Mai',
      phone: '0987000123',
      email: 'mai.hoang@example.vn',
    })

    const account = await visitor.get('/account')
    expect(account.statusCode).toBe(200)
    const page = parse(account.body)
    expect(page.querySelector('#external h3')?.text).toBe('VNeID')
    const facts = page
      .querySelectorAll('#external .verified-facts li')
      .map((li) => li.getAttribute('data-fact'))
    expect(facts).toEqual(['fullName', 'citizenId', 'phone', 'email'])
    expect(page.querySelector('#external [data-fact="citizenId"]')?.text).toContain('004195000123')
    expect(page.querySelector('#external [data-fact="fullName"]')?.text).toContain('đã xác thực qua VNeID')
    // Made through the provider, the account has no password yet: it is offered one, not a change.
    expect(page.querySelector('input[name="firstPassword"]')).not.toBeNull()
    expect(page.querySelector('input[name="currentPassword"]')).toBeNull()

    const registered = await auditActions('user.registered')
    expect(registered.some((r) => r.details.via === 'external')).toBe(true)
    const logins = await auditActions('auth.login')
    expect(logins.filter((r) => r.details.method === 'external')).toHaveLength(1)
  })

  it('finds the same account at the next sign-in, without a second one', async () => {
    const visitor = new Visitor(t.app)
    const back = await signInThroughProvider(visitor, 'vneid-new', '/account/dossiers')
    expect(back.statusCode).toBe(303)
    expect(back.headers.location).toBe('/account/dossiers')
    expect(await userByCitizenId('004195000123')).toHaveLength(1)
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from external_accounts`.execute(
      t.database.db,
    )
    expect(rows[0]?.n).toBe(1)
    const page = parse((await visitor.get('/account')).body)
    expect(page.querySelector('h1')?.text).toBe('Tài khoản của tôi')
    expect(page.querySelector('#external h3')?.text).toBe('VNeID')
  })

  it('refuses to unlink while the account has no password, then unlinks once one is set', async () => {
    const visitor = new Visitor(t.app)
    await signInThroughProvider(visitor, 'vneid-new')
    const page = parse((await visitor.get('/account')).body)
    const unlinkAction = page.querySelector('#external form.inline-form')!.getAttribute('action')!

    const refused = await visitor.post(unlinkAction, {})
    expect(refused.statusCode).toBe(422)
    expect(parse(refused.body).querySelector('#external .error-message')?.text).toContain('chưa có mật khẩu')

    const weak = await visitor.post('/account/external/password', {
      firstPassword: 'ngan',
      firstPasswordConfirm: 'ngan',
    })
    expect(weak.statusCode).toBe(422)
    expect(parse(weak.body).querySelector('#firstPassword-error')?.text ?? weak.body).toContain('10 ký tự')

    const set = await visitor.post('/account/external/password', {
      firstPassword: 'MatKhauMoi2026',
      firstPasswordConfirm: 'MatKhauMoi2026',
    })
    expect(set.statusCode).toBe(303)
    const withPassword = parse((await visitor.get('/account')).body)
    expect(withPassword.querySelector('input[name="firstPassword"]')).toBeNull()
    expect(withPassword.querySelector('input[name="currentPassword"]')).not.toBeNull()
    // The new password works on the ordinary sign-in form, with the citizen ID as the username.
    await new Visitor(t.app).login('004195000123', 'MatKhauMoi2026')

    await visitor.get('/account')
    const unlinked = await visitor.post(unlinkAction, {})
    expect(unlinked.statusCode).toBe(303)
    const after = parse((await visitor.get('/account')).body)
    expect(after.querySelector('#external')?.text).toContain('chưa liên kết với VNeID')
    expect((await auditActions('user.external_unlinked')).length).toBe(1)
  })

  it('links an existing citizen with the same citizen ID instead of creating a duplicate', async () => {
    const [before] = await userByCitizenId('004090000001')
    const visitor = new Visitor(t.app)
    const back = await signInThroughProvider(visitor, 'vneid-existing')
    expect(back.statusCode).toBe(303)
    const users = await userByCitizenId('004090000001')
    expect(users).toHaveLength(1)
    expect(users[0]?.id).toBe(before?.id)
    expect(users[0]?.username).toBe('congdan')
    const page = parse((await visitor.get('/account')).body)
    expect(page.querySelectorAll('table td').map((td) => td.text)).toContain('congdan')
    expect(page.querySelector('#external [data-fact="phone"]')?.text).toContain('0912000001')
    // Its own password still works.
    await new Visitor(t.app).login('congdan')
    const linked = await auditActions('user.external_linked')
    expect(linked.some((r) => r.details.matchedBy === 'citizen_id')).toBe(true)
  })

  it('makes one account when the same new person returns twice at once', async () => {
    idp.who = 'vneid-twice'
    const returns = await Promise.all(
      [new Visitor(t.app), new Visitor(t.app)].map(async (visitor) => {
        const start = await visitor.get('/login/external')
        const back = new URL(await new ProviderBrowser().returnAddress(start.headers.location as string))
        return { visitor, path: `${back.pathname}${back.search}` }
      }),
    )
    const responses = await Promise.all(returns.map(({ visitor, path }) => visitor.get(path)))
    expect(responses.map((r) => r.statusCode)).toEqual([303, 303])
    expect(await userByCitizenId('004201000456')).toHaveLength(1)
  })

  it('refuses a disabled account even when the provider vouches for the person', async () => {
    await sql`update users set status = 'disabled' where username = 'congdan'`.execute(t.database.db)
    try {
      const visitor = new Visitor(t.app)
      const back = await signInThroughProvider(visitor, 'vneid-existing')
      expect(back.statusCode).toBe(403)
      expect(parse(back.body).querySelector('[role="alert"]')?.text).toContain('đã bị khóa')
      expect(visitor.cookies.has('cb_session')).toBe(false)
    } finally {
      await sql`update users set status = 'active' where username = 'congdan'`.execute(t.database.db)
    }
  })

  it("refuses an official's account found by citizen ID, with a clear message and no session", async () => {
    const visitor = new Visitor(t.app)
    const back = await signInThroughProvider(visitor, 'vneid-official')
    expect(back.statusCode).toBe(403)
    expect(parse(back.body).querySelector('[role="alert"]')?.text).toContain(
      'Tài khoản cán bộ, công chức không đăng nhập bằng nhà cung cấp định danh bên ngoài',
    )
    expect(visitor.cookies.has('cb_session')).toBe(false)
    expect((await visitor.get('/account')).statusCode).toBe(303)
    // Nor is an official offered a link on their account page.
    const official = new Visitor(t.app)
    await official.login('vanthu.thucphan')
    const page = parse((await official.get('/account')).body)
    expect(page.querySelector('h1')?.text).toBe('Tài khoản của tôi')
    expect(page.querySelector('#external')).toBeNull()
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from external_accounts e join users u on u.id = e.user_id
      where u.username = 'vanthu.thucphan'`.execute(t.database.db)
    expect(rows[0]?.n).toBe(0)
    const denied = await auditActions('auth.login_failed')
    expect(denied.some((r) => r.details.reason === 'official' && r.outcome === 'denied')).toBe(true)
  })

  it('refuses a return whose state was altered', async () => {
    const visitor = new Visitor(t.app)
    idp.who = 'vneid-new'
    const start = await visitor.get('/login/external')
    const back = new URL(await new ProviderBrowser().returnAddress(start.headers.location as string))
    back.searchParams.set('state', 'gia-mao')
    const response = await visitor.get(`${back.pathname}${back.search}`)
    expect(response.statusCode).toBe(400)
    expect(parse(response.body).querySelector('[role="alert"]')?.text).toContain('không khớp')
    expect(visitor.cookies.has('cb_session')).toBe(false)
  })

  it('refuses a return from another browser, which holds no login transaction', async () => {
    const visitor = new Visitor(t.app)
    idp.who = 'vneid-new'
    const start = await visitor.get('/login/external')
    const back = new URL(await new ProviderBrowser().returnAddress(start.headers.location as string))
    const stranger = new Visitor(t.app)
    const response = await stranger.get(`${back.pathname}${back.search}`)
    expect(response.statusCode).toBe(400)
    expect(parse(response.body).querySelector('[role="alert"]')?.text).toContain('hết hạn')
    expect(stranger.cookies.has('cb_session')).toBe(false)
  })

  it('shows the provider’s refusal (access_denied) as a Vietnamese page', async () => {
    const visitor = new Visitor(t.app)
    const response = await signInThroughProvider(visitor, 'deny')
    expect(response.statusCode).toBe(403)
    const page = parse(response.body)
    expect(page.querySelector('h1')?.text).toBe('Không đăng nhập được bằng VNeID')
    expect(page.querySelector('[role="alert"]')?.text).toContain('Bạn đã hủy hoặc không cho phép đăng nhập')
  })

  it('refuses an identity without a citizen ID, or with an invalid one', async () => {
    const missing = await signInThroughProvider(new Visitor(t.app), 'vneid-no-id')
    expect(missing.statusCode).toBe(422)
    expect(parse(missing.body).querySelector('[role="alert"]')?.text).toContain(
      'không gửi số định danh cá nhân',
    )
    const invalid = await signInThroughProvider(new Visitor(t.app), 'vneid-bad-id')
    expect(invalid.statusCode).toBe(422)
    expect(parse(invalid.body).querySelector('[role="alert"]')?.text).toContain('mã tỉnh, thành phố')
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from users where full_name in ('Người Không Số', 'Người Sai Số')`.execute(
      t.database.db,
    )
    expect(rows[0]?.n).toBe(0)
  })

  it('answers 502 when the provider goes down before the code is exchanged, and recovers with it', async () => {
    const visitor = new Visitor(t.app)
    idp.who = 'vneid-new'
    const start = await visitor.get('/login/external')
    const back = new URL(await new ProviderBrowser().returnAddress(start.headers.location as string))
    await idp.stop()
    try {
      const response = await visitor.get(`${back.pathname}${back.search}`)
      expect(response.statusCode).toBe(502)
      expect(parse(response.body).querySelector('[role="alert"]')?.text).toContain(
        'Không kết nối được với nhà cung cấp định danh',
      )
      expect(visitor.cookies.has('cb_session')).toBe(false)
      // While it is down no new sign-in can start: the metadata is fetched again and that fails too.
      expect((await new Visitor(t.app).get('/login/external')).statusCode).toBe(502)
    } finally {
      await idp.restart()
    }
    const again = await signInThroughProvider(new Visitor(t.app), 'vneid-new')
    expect(again.statusCode).toBe(303)
    expect(again.headers.location).toBe('/account')
  })

  it('signs out at the provider too, but only a session that began there', async () => {
    const visitor = new Visitor(t.app)
    expect((await signInThroughProvider(visitor, 'vneid-new')).statusCode).toBe(303)
    const kept = visitor.cookies.get('cb_ext_session')
    expect(kept).toBeTruthy()
    await visitor.get('/account')
    const out = await visitor.post('/logout', {})
    expect(out.statusCode).toBe(303)
    const end = new URL(out.headers.location as string)
    expect(`${end.origin}${end.pathname}`).toBe(`${idp.issuer}/session/end`)
    expect(end.searchParams.get('post_logout_redirect_uri')).toBe(`${PUBLIC_URL}/`)
    expect(end.searchParams.get('id_token_hint')).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
    // The provider accepts the ID token it issued and asks the citizen to confirm signing out there.
    const atProvider = await new ProviderBrowser().go(end.href)
    expect(atProvider.status).toBe(200)
    expect((await visitor.get('/account')).statusCode).toBe(303)

    // A citizen who signed in with a password is sent home, even holding an older provider session's cookie.
    const password = new Visitor(t.app)
    await password.login('congdan')
    password.cookies.set('cb_ext_session', kept!)
    await password.get('/account')
    const home = await password.post('/logout', {})
    expect(home.statusCode).toBe(303)
    expect(home.headers.location).toBe('/')
  })

  it('answers 502 with a clear message when the provider cannot be reached', async () => {
    const down = await createTestApp({ env: env('http://127.0.0.1:9') })
    try {
      const response = await new Visitor(down.app).get('/login/external')
      expect(response.statusCode).toBe(502)
      expect(parse(response.body).querySelector('[role="alert"]')?.text).toContain(
        'Không kết nối được với nhà cung cấp định danh',
      )
    } finally {
      await down.close()
    }
  })
})

describe('a required assurance level (acr)', { timeout: 60_000 }, () => {
  let strict: TestApp
  beforeAll(async () => {
    strict = await createTestApp({ env: { ...env(idp.issuer), EXTERNAL_OIDC_ACR_VALUES: 'muc-2' } })
  })
  afterAll(async () => {
    idp.acr = 'muc-2'
    await strict?.close()
  })

  it('asks the provider for the level, and refuses a sign-in below it without making an account', async () => {
    const start = await new Visitor(strict.app).get('/login/external')
    expect(new URL(start.headers.location as string).searchParams.get('acr_values')).toBe('muc-2')

    idp.acr = 'muc-1'
    idp.who = 'vneid-level'
    const visitor = new Visitor(strict.app)
    const begin = await visitor.get('/login/external')
    const back = new URL(await new ProviderBrowser().returnAddress(begin.headers.location as string))
    const refused = await visitor.get(`${back.pathname}${back.search}`)
    expect(refused.statusCode).toBe(403)
    expect(parse(refused.body).querySelector('[role="alert"]')?.text).toContain(
      'chưa đạt mức xác thực cần thiết',
    )
    expect(visitor.cookies.has('cb_session')).toBe(false)
    const { rows } = await sql`select 1 from users where citizen_id = '004199000321'`.execute(
      strict.database.db,
    )
    expect(rows).toHaveLength(0)

    idp.acr = 'muc-2'
    const ok = new Visitor(strict.app)
    const first = await ok.get('/login/external')
    const again = new URL(await new ProviderBrowser().returnAddress(first.headers.location as string))
    const accepted = await ok.get(`${again.pathname}${again.search}`)
    expect(accepted.statusCode).toBe(303)
    expect(accepted.headers.location).toBe('/account')
  })
})

describe('configuration', () => {
  it('has no provider button and no route when no issuer is set', async () => {
    const plain = await createTestApp()
    try {
      const page = parse((await new Visitor(plain.app).get('/login')).body)
      expect(page.querySelector('#external-login')).toBeNull()
      expect((await new Visitor(plain.app).get('/login/external')).statusCode).toBe(404)
    } finally {
      await plain.close()
    }
  })

  it('refuses a plain-http issuer outside the loopback interface and a missing client id', () => {
    expect(() =>
      loadConfig({
        SECRET_KEY: 'x'.repeat(40),
        PUBLIC_URL,
        EXTERNAL_OIDC_ISSUER: 'http://vneid.example.vn',
      }),
    ).toThrow(/EXTERNAL_OIDC_ISSUER[\s\S]*EXTERNAL_OIDC_CLIENT_ID/)
  })

  it('refuses an assurance level that is not a plain token', () => {
    expect(() =>
      loadConfig({
        SECRET_KEY: 'x'.repeat(40),
        PUBLIC_URL,
        EXTERNAL_OIDC_ISSUER: 'https://vneid.example.vn',
        EXTERNAL_OIDC_CLIENT_ID: 'x',
        EXTERNAL_OIDC_ACR_VALUES: 'muc-2 "quote"',
      }),
    ).toThrow(/EXTERNAL_OIDC_ACR_VALUES/)
  })

  it('reads the configured claim names and drops a phone number flagged unverified', () => {
    const claims = readVerifiedClaims(
      {
        ho_ten: 'Đàm Văn Bình',
        cccd: '004 090 000 002',
        phone_number: '0912345678',
        phone_number_verified: false,
      },
      { claims: { citizenId: 'cccd', name: 'ho_ten', phone: 'phone_number', email: 'email' } },
      new Date('2026-11-27T00:00:00Z'),
    )
    expect(claims).toEqual({ fullName: 'Đàm Văn Bình', citizenId: '004090000002' })
  })

  it('builds the name from its parts and writes an international phone number the Vietnamese way', () => {
    const claims = readVerifiedClaims(
      {
        family_name: 'Nông',
        middle_name: 'Thị',
        given_name: 'Hoa',
        citizen_id: 4090000003,
        phone_number: '+84 912 345 679',
        email: 'Hoa.Nong@Example.VN',
      },
      { claims: { citizenId: 'citizen_id', name: 'name', phone: 'phone_number', email: 'email' } },
      new Date('2026-11-27T00:00:00Z'),
    )
    expect(claims).toEqual({
      fullName: 'Nông Thị Hoa',
      citizenId: '004090000003',
      phone: '0912345679',
      email: 'hoa.nong@example.vn',
    })
  })
})
