import { parse, type HTMLElement } from 'node-html-parser'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { buildApp, type App } from '../src/app.js'
import { DEMO_PASSWORD } from '../src/modules/identity/identity.seed.js'
import type { Clock } from '../src/platform/clock.js'
import { loadConfig, type Config } from '../src/platform/config.js'
import type { Database } from '../src/platform/db/database.js'
import { seed } from '../src/seed.js'
import { createTestDatabase } from './database.js'

export { DEMO_PASSWORD }

export type TestApp = { app: App; database: Database; config: Config; close(): Promise<void> }

/** The real application on a fresh database with the seed units and demo accounts. */
export async function createTestApp(
  options: { env?: Record<string, string>; clock?: Clock } = {},
): Promise<TestApp> {
  const database = await createTestDatabase()
  const config = loadConfig({
    SECRET_KEY: 'test-secret-key-that-is-long-enough-000',
    LOG_LEVEL: 'silent',
    ...options.env,
  })
  await seed(database.db, config, true)
  const app = await buildApp({ config, database, clock: options.clock, logger: false })
  await app.ready()
  return {
    app,
    database,
    config,
    async close() {
      await app.close()
      await database.close()
    },
  }
}

export function html(response: LightMyRequestResponse): HTMLElement {
  return parse(response.body)
}

/** A person with a browser: keeps cookies, and fills each form's CSRF token from the page it came from. */
export class Visitor {
  readonly cookies = new Map<string, string>()
  private csrf: string | null = null

  constructor(private readonly app: App) {}

  async request(options: InjectOptions): Promise<LightMyRequestResponse> {
    const response = await this.app.inject({
      ...options,
      cookies: { ...Object.fromEntries(this.cookies), ...(options.cookies ?? {}) },
    })
    for (const cookie of response.cookies as {
      name: string
      value: string
      maxAge?: number
      expires?: Date
    }[]) {
      const expired =
        cookie.maxAge === 0 ||
        (cookie.expires && cookie.expires.getTime() < Date.now()) ||
        cookie.value === ''
      if (expired) this.cookies.delete(cookie.name)
      else this.cookies.set(cookie.name, cookie.value)
    }
    const token = response.headers['content-type']?.toString().includes('text/html')
      ? html(response).querySelector('input[name="_csrf"]')?.getAttribute('value')
      : undefined
    if (token) this.csrf = token
    return response
  }

  get(url: string) {
    return this.request({ method: 'GET', url })
  }

  /** Submits a form as the browser would, with the CSRF token of the last page seen (fetching `url` first if none). */
  async post(url: string, form: Record<string, string>, options: { csrf?: string | null } = {}) {
    if (this.csrf === null && options.csrf === undefined) await this.get(url)
    const token = options.csrf === undefined ? this.csrf : options.csrf
    const payload = new URLSearchParams({ ...form, ...(token ? { _csrf: token } : {}) }).toString()
    return this.request({
      method: 'POST',
      url,
      payload,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
  }

  async login(username: string, password = DEMO_PASSWORD) {
    await this.get('/login')
    const response = await this.post('/login', { login: username, password })
    if (response.statusCode !== 303) throw new Error(`login of ${username} failed: ${response.statusCode}`)
    return response
  }
}

export function errorSummary(response: LightMyRequestResponse): string[] {
  return html(response)
    .querySelectorAll('.error-summary li a')
    .map((a) => a.text.trim())
}
