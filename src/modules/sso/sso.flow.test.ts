import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { rmSync } from 'node:fs'
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { parse } from 'node-html-parser'
import * as oidc from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp, type App } from '../../app.js'
import { createTestApp, DEMO_PASSWORD, Visitor, type TestApp } from '../../../test/app.js'
import { systemClock } from '../../platform/clock.js'
import { SYSTEM_CONTEXT } from '../../platform/audit/audit.js'
import { runSsoCommand } from './sso.cli.js'

/** A browser over real HTTP: keeps cookies, follows redirects until one leaves for the application. */
class Browser {
  readonly cookies = new Map<string, string>()

  async go(url: string, init: { method?: string; form?: Record<string, string> } = {}) {
    const response = await fetch(url, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      redirect: 'manual',
      headers: {
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: init.form ? new URLSearchParams(init.form).toString() : undefined,
    })
    for (const header of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = header.split(';').map((part) => part.trim())
      const name = pair.slice(0, pair.indexOf('='))
      const value = pair.slice(pair.indexOf('=') + 1)
      const expired =
        value === '' ||
        attributes.some((a) => /^max-age=0$/i.test(a)) ||
        attributes.some((a) => /^expires=/i.test(a) && new Date(a.slice(8)).getTime() < Date.now())
      if (expired) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    return response
  }

  /** Follows redirects; stops at the first one to `stopAt` (the application's callback) or at a page. */
  async follow(url: string, stopAt: string, init?: { form?: Record<string, string> }) {
    let response = await this.go(url, init)
    let current = url
    for (let hops = 0; hops < 15 && response.status >= 300 && response.status < 400; hops++) {
      const location = new URL(response.headers.get('location')!, current).href
      if (location.startsWith(stopAt)) return { location, response: undefined }
      current = location
      response = await this.go(current)
    }
    return { location: current, response, html: await response.text() }
  }
}

/** The OAuth error code openid-client reports, from an error body or a WWW-Authenticate challenge. */
async function oauthError(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise
  } catch (error) {
    const e = error as { error?: string; cause?: { parameters?: { error?: string } }[] }
    return e.error ?? e.cause?.[0]?.parameters?.error
  }
  return undefined
}

/** The platform's login form: fetch it, then submit it with its CSRF token. */
async function signIn(browser: Browser, page: { location: string; html?: string }, username: string) {
  expect(new URL(page.location).pathname).toBe('/login')
  const csrf = parse(page.html ?? '')
    .querySelector('input[name="_csrf"]')
    ?.getAttribute('value')
  expect(csrf).toBeTruthy()
  return { username, csrf: csrf!, password: DEMO_PASSWORD }
}

let t: TestApp
let app: App
let base: string
let rp: Server
let rpBase: string
const logoutTokens: string[] = []
let admin: Visitor
let firstParty: { id: string; secret: string }
let thirdParty: { id: string; secret: string }
let system: { id: string; secret: string }

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function registerClient(form: Record<string, string>) {
  await admin.get('/admin/sso/clients/new')
  const response = await admin.post('/admin/sso/clients/new', form)
  expect(response.statusCode).toBe(200)
  const page = parse(response.body)
  return {
    id: page.querySelector('#client-id')!.text.trim(),
    secret: page.querySelector('#client-secret')!.text.trim(),
  }
}

const discover = async (client: { id: string; secret: string }, auth = oidc.ClientSecretBasic) =>
  oidc.discovery(new URL(`${base}/oidc`), client.id, undefined, auth(client.secret), {
    execute: [oidc.allowInsecureRequests],
  })

/** The authorization-code flow with PKCE as an application runs it, through the platform's login. */
async function codeFlow(browser: Browser, client: { id: string; secret: string }, scope: string) {
  const config = await discover(client)
  const verifier = oidc.randomPKCECodeVerifier()
  const state = oidc.randomState()
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: `${rpBase}/cb`,
    scope,
    state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  })
  return { config, verifier, state, url: url.href }
}

beforeAll(async () => {
  rp = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => (body += chunk.toString()))
    request.on('end', () => {
      if (request.url === '/backchannel') {
        logoutTokens.push(new URLSearchParams(body).get('logout_token') ?? '')
      }
      response.writeHead(200).end('ok')
    })
  })
  await new Promise<void>((resolve) => rp.listen(0, '127.0.0.1', resolve))
  rpBase = `http://127.0.0.1:${(rp.address() as AddressInfo).port}`
  const port = await freePort()
  base = `http://127.0.0.1:${port}`
  t = await createTestApp({ env: { PUBLIC_URL: base } })
  app = t.app
  await app.listen({ port, host: '127.0.0.1' })
  admin = new Visitor(app)
  await admin.login('quantri')
  firstParty = await registerClient({
    name: 'Hệ thống quản lý văn bản',
    kind: 'authorization_code',
    redirectUris: `${rpBase}/cb`,
    postLogoutRedirectUris: `${rpBase}/bye`,
    backchannelLogoutUri: `${rpBase}/backchannel`,
    homeUrl: `${rpBase}/`,
    scopes: 'openid profile email phone cb_roles offline_access',
    firstParty: 'on',
  })
  thirdParty = await registerClient({
    name: 'Ứng dụng đối tác',
    kind: 'authorization_code',
    redirectUris: `${rpBase}/cb`,
    scopes: 'openid profile',
  })
  system = await registerClient({
    name: 'Hệ thống một cửa điện tử',
    kind: 'client_credentials',
    scopes: 'lgsp',
  })
}, 120_000)

afterAll(async () => {
  await app.close()
  await t.database.close()
  rmSync(t.config.dataDir, { recursive: true, force: true })
  await new Promise((resolve) => rp.close(resolve))
})

describe('single sign-on over HTTP with openid-client', { timeout: 60_000 }, () => {
  let refreshToken: string
  let idToken: string
  let oldKid: string
  const browser = new Browser()

  it('lets only a system administrator manage the registered applications', async () => {
    const official = new Visitor(app)
    await official.login('qt.sokhcn')
    expect((await official.get('/admin/sso/clients')).statusCode).toBe(403)
    expect(
      (await official.post('/admin/sso/clients/new', { name: 'X', kind: 'client_credentials' })).statusCode,
    ).toBe(403)
    expect((await new Visitor(app).get('/admin/sso/clients')).headers.location).toContain('/login')
    const list = await admin.get('/admin/sso/clients')
    expect(list.statusCode).toBe(200)
    expect(parse(list.body).querySelectorAll('#clients tbody tr')).toHaveLength(3)
  })

  it("opens an application's page from the list, changes it, and gives it a new secret that replaces the old", async () => {
    const app3 = await registerClient({
      name: 'Hệ thống báo cáo',
      kind: 'client_credentials',
      scopes: 'lgsp',
    })
    const list = parse((await admin.get('/admin/sso/clients')).body)
    const link = list.querySelectorAll('#clients a').find((a) => a.text.includes('Hệ thống báo cáo'))!
    const page = await admin.get(link.getAttribute('href')!)
    expect(page.statusCode).toBe(200)
    expect(parse(page.body).querySelector('#client-actions')!.text).toContain('Đang hoạt động')

    const changed = await admin.post(`/admin/sso/clients/${app3.id}`, {
      name: 'Hệ thống báo cáo tỉnh',
      scopes: 'lgsp',
    })
    expect(changed.statusCode).toBe(303)
    expect((await admin.get('/admin/sso/clients')).body).toContain('Hệ thống báo cáo tỉnh')

    const renewed = await admin.post(`/admin/sso/clients/${app3.id}/secret`, {})
    expect(renewed.statusCode).toBe(200)
    const secret = parse(renewed.body).querySelector('#client-secret')!.text.trim()
    expect(secret).not.toBe(app3.secret)
    await expect(oidc.clientCredentialsGrant(await discover(app3), { scope: 'lgsp' })).rejects.toThrow()
    const grant = await oidc.clientCredentialsGrant(await discover({ id: app3.id, secret }), {
      scope: 'lgsp',
    })
    expect(grant.access_token).toBeTruthy()
  })

  it('publishes discovery and JWKS under /oidc with the configured issuer', async () => {
    const config = await discover(firstParty)
    const metadata = config.serverMetadata()
    expect(metadata.issuer).toBe(`${base}/oidc`)
    expect(metadata.token_endpoint).toBe(`${base}/oidc/token`)
    expect(metadata.code_challenge_methods_supported).toContain('S256')
    expect(metadata.backchannel_logout_supported).toBe(true)
    const jwks = (await (await fetch(metadata.jwks_uri!)).json()) as { keys: { alg: string; d?: string }[] }
    expect(jwks.keys.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256'])
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true)
  })

  it('sends an official to the platform login, comes back with a code and PKCE, and issues tokens', async () => {
    const flow = await codeFlow(browser, firstParty, 'openid profile email phone cb_roles offline_access')
    const login = await browser.follow(flow.url, `${rpBase}/cb`)
    const form = await signIn(browser, login, 'chuyenvien.sokhcn')
    const back = await browser.follow(
      `${base}${new URL(login.location).pathname}${new URL(login.location).search}`,
      `${rpBase}/cb`,
      { form: { login: form.username, password: form.password, _csrf: form.csrf } },
    )
    expect(back.location.startsWith(`${rpBase}/cb?code=`)).toBe(true)
    const tokens = await oidc.authorizationCodeGrant(flow.config, new URL(back.location), {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
    })
    const claims = tokens.claims()!
    expect(claims.iss).toBe(`${base}/oidc`)
    expect(claims.preferred_username).toBe('chuyenvien.sokhcn')
    expect(claims.name).toBeTruthy()
    expect(claims.sid).toBeTruthy()
    const roles = claims.roles as { role: string; unit_name: string }[]
    expect(roles.map((r) => r.role)).toContain('specialist')
    expect((claims.units as unknown[]).length).toBeGreaterThan(0)
    expect(tokens.refresh_token).toBeTruthy()
    const info = await oidc.fetchUserInfo(flow.config, tokens.access_token, claims.sub)
    expect(info.preferred_username).toBe('chuyenvien.sokhcn')
    refreshToken = tokens.refresh_token!
    idToken = tokens.id_token!
    oldKid = decodeProtectedHeader(idToken).kid!
  })

  it('signs an already signed-in official in without asking again (single sign-on)', async () => {
    const flow = await codeFlow(browser, firstParty, 'openid profile')
    const back = await browser.follow(flow.url, `${rpBase}/cb`)
    expect(back.location.startsWith(`${rpBase}/cb?code=`)).toBe(true)
    const tokens = await oidc.authorizationCodeGrant(flow.config, new URL(back.location), {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
    })
    expect(tokens.claims()!.preferred_username).toBe('chuyenvien.sokhcn')
  })

  it('asks for consent in Vietnamese for a client that is not first-party', async () => {
    const flow = await codeFlow(browser, thirdParty, 'openid profile')
    const consent = await browser.follow(flow.url, `${rpBase}/cb`)
    expect(consent.response?.status).toBe(200)
    expect(consent.html).toContain('Cho phép ứng dụng truy cập')
    expect(consent.html).toContain('Ứng dụng đối tác')
    const page = parse(consent.html ?? '')
    const form = page.querySelectorAll('form').find((f) => f.getAttribute('action')?.endsWith('/consent'))!
    const csrf = form.querySelector('input[name="_csrf"]')!.getAttribute('value')!
    const back = await browser.follow(`${base}${form.getAttribute('action')}`, `${rpBase}/cb`, {
      form: { _csrf: csrf },
    })
    expect(back.location.startsWith(`${rpBase}/cb?code=`)).toBe(true)
    const tokens = await oidc.authorizationCodeGrant(flow.config, new URL(back.location), {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
    })
    expect(tokens.claims()!.name).toBeTruthy()
  })

  it('refreshes with a rotating refresh token', async () => {
    const config = await discover(firstParty)
    const refreshed = await oidc.refreshTokenGrant(config, refreshToken)
    expect(refreshed.access_token).toBeTruthy()
    expect(refreshed.refresh_token).toBeTruthy()
    expect(refreshed.refresh_token).not.toBe(refreshToken)
    refreshToken = refreshed.refresh_token!
  })

  it('issues client-credential tokens to systems, which resource servers can introspect', async () => {
    const config = await discover(system)
    const token = await oidc.clientCredentialsGrant(config, { scope: 'lgsp' })
    expect(token.token_type.toLowerCase()).toBe('bearer')
    expect(token.scope).toBe('lgsp')
    const introspected = await oidc.tokenIntrospection(config, token.access_token)
    expect(introspected.active).toBe(true)
    expect(introspected.client_id).toBe(system.id)
    await oidc.tokenRevocation(config, token.access_token)
    expect((await oidc.tokenIntrospection(config, token.access_token)).active).toBe(false)
  })

  it('refuses an unknown client, a wrong secret, an unregistered redirect URI and a missing PKCE verifier', async () => {
    expect(
      await oauthError(
        oidc.clientCredentialsGrant(await discover({ id: 'cb-unknown', secret: 'x' }), { scope: 'lgsp' }),
      ),
    ).toBe('invalid_client')
    expect(
      await oauthError(
        oidc.clientCredentialsGrant(await discover({ id: system.id, secret: `${system.secret}x` }), {
          scope: 'lgsp',
        }),
      ),
    ).toBe('invalid_client')

    const flow = await codeFlow(browser, firstParty, 'openid')
    const wrongRedirect = new URL(flow.url)
    wrongRedirect.searchParams.set('redirect_uri', `${rpBase}/elsewhere`)
    const refused = await browser.go(wrongRedirect.href)
    expect(refused.status).toBe(400)
    expect(await refused.text()).toContain('redirect_uri')

    const noPkce = new URL(flow.url)
    noPkce.searchParams.delete('code_challenge')
    noPkce.searchParams.delete('code_challenge_method')
    const withoutChallenge = await browser.go(noPkce.href)
    expect(withoutChallenge.headers.get('location')).toContain('error=invalid_request')

    const back = await browser.follow(flow.url, `${rpBase}/cb`)
    expect(
      await oauthError(
        oidc.authorizationCodeGrant(flow.config, new URL(back.location), {
          pkceCodeVerifier: oidc.randomPKCECodeVerifier(),
          expectedState: flow.state,
        }),
      ),
    ).toBe('invalid_grant')
  })

  it('keeps refresh tokens and old signatures valid across a key rotation and a restart on the same database', async () => {
    const rotated: string[] = []
    const context = { ...SYSTEM_CONTEXT, actorLabel: 'test' }
    const deps = { db: t.database.db, config: t.config, clock: systemClock }
    expect(
      await runSsoCommand(['keys', 'rotate'], deps, context, { out: (l) => rotated.push(l), err: () => {} }),
    ).toBe(0)
    await app.close()
    app = await buildApp({ config: t.config, database: t.database, logger: false })
    await app.listen({ port: Number(new URL(base).port), host: '127.0.0.1' })
    // The HTTP client's pooled connection to the stopped server fails once; that is the client, not the app.
    await fetch(`${base}/healthz`).catch(() => undefined)

    const config = await discover(firstParty)
    const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!))
    const old = await jwtVerify(idToken, jwks, { issuer: `${base}/oidc`, currentDate: new Date() })
    expect(old.protectedHeader.kid).toBe(oldKid)

    const refreshed = await oidc.refreshTokenGrant(config, refreshToken)
    expect(decodeProtectedHeader(refreshed.id_token!).kid).not.toBe(oldKid)
    expect(rotated[0]).toContain(decodeProtectedHeader(refreshed.id_token!).kid)

    // A rotated refresh token used again is a stolen one: the whole grant is revoked.
    expect(await oauthError(oidc.refreshTokenGrant(config, refreshToken))).toBe('invalid_grant')
    expect(await oauthError(oidc.refreshTokenGrant(config, refreshed.refresh_token!))).toBe('invalid_grant')
  })

  it('delivers back-channel logout to the application when the official signs out of the platform', async () => {
    logoutTokens.length = 0
    const flow = await codeFlow(browser, firstParty, 'openid profile')
    const back = await browser.follow(flow.url, `${rpBase}/cb`)
    const tokens = await oidc.authorizationCodeGrant(flow.config, new URL(back.location), {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
    })
    const sid = tokens.claims()!.sid

    const home = await browser.go(`${base}/account/apps`)
    const page = parse(await home.text())
    expect(page.querySelector(`li[data-client="${firstParty.id}"]`)).toBeTruthy()
    const csrf = page.querySelector('input[name="_csrf"]')!.getAttribute('value')!
    const out = await browser.go(`${base}/logout`, { form: { _csrf: csrf } })
    expect(out.status).toBe(303)

    expect(logoutTokens).toHaveLength(1)
    const jwks = createRemoteJWKSet(new URL(`${base}/oidc/jwks`))
    const { payload } = await jwtVerify(logoutTokens[0]!, jwks, {
      issuer: `${base}/oidc`,
      audience: firstParty.id,
    })
    expect(payload.sid).toBe(sid)
    expect(payload.events).toHaveProperty(['http://schemas.openid.net/event/backchannel-logout'])

    // Signed out of the platform: the next authorization request goes to the login page again.
    const again = await browser.follow((await codeFlow(browser, firstParty, 'openid')).url, `${rpBase}/cb`)
    expect(new URL(again.location).pathname).toBe('/login')
  })

  it('ends the session on RP-initiated logout and returns to the registered address', async () => {
    const flow = await codeFlow(browser, firstParty, 'openid')
    const login = await browser.follow(flow.url, `${rpBase}/cb`)
    const form = await signIn(browser, login, 'chuyenvien.sokhcn')
    const back = await browser.follow(
      `${base}${new URL(login.location).pathname}${new URL(login.location).search}`,
      `${rpBase}/cb`,
      {
        form: { login: form.username, password: form.password, _csrf: form.csrf },
      },
    )
    const tokens = await oidc.authorizationCodeGrant(flow.config, new URL(back.location), {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
    })
    const end = oidc.buildEndSessionUrl(flow.config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: `${rpBase}/bye`,
    })
    const confirm = await browser.follow(end.href, `${rpBase}/bye`)
    expect(confirm.html).toContain('Đăng xuất khỏi tất cả')
    const page = parse(confirm.html ?? '')
    const xsrf = page.querySelector('input[name="xsrf"]')!.getAttribute('value')!
    const action =
      page.querySelector('form#op\\.logoutForm')?.getAttribute('action') ?? `${base}/oidc/session/end/confirm`
    const done = await browser.follow(new URL(action, base).href, `${rpBase}/bye`, {
      form: { xsrf, logout: 'yes' },
    })
    expect(done.location).toBe(`${rpBase}/bye`)

    // Out of the platform as well: its pages ask for a login again.
    const account = await browser.go(`${base}/account`)
    expect(account.status).toBe(303)
    expect(account.headers.get('location')).toContain('/login')
  })
})
