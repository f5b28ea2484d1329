import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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
  // Uploaded files and generated keys go to a directory of this test's own, removed at the end.
  const dataDir = mkdtempSync(join(tmpdir(), 'cb-app-'))
  const config = loadConfig({
    SECRET_KEY: 'test-secret-key-that-is-long-enough-000',
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
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
      rmSync(dataDir, { recursive: true, force: true })
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

  /** Submits a multipart form (file inputs) as the browser would: the CSRF field first, then fields, then files. */
  async upload(url: string, form: Record<string, string>, files: UploadFile[]) {
    if (this.csrf === null) await this.get(url)
    const { payload, contentType } = multipartBody(
      { ...(this.csrf ? { _csrf: this.csrf } : {}), ...form },
      files,
    )
    return this.request({ method: 'POST', url, payload, headers: { 'content-type': contentType } })
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

/** A personal access token of a demo account, as the account page would issue it. */
export async function apiToken(t: TestApp, username: string): Promise<string> {
  const { createIdentityModule } = await import('../src/modules/identity/index.js')
  const { createOrganisationModule } = await import('../src/modules/organisation/index.js')
  const deps = { db: t.database.db, config: t.config, clock: () => new Date() }
  const identity = createIdentityModule({ ...deps, organisation: createOrganisationModule(deps).service })
  const actor = await identity.auth.loadActorByUsername(username)
  if (!actor) throw new Error(`no account ${username}`)
  const context = { actorId: actor.userId, actorLabel: username, ip: null, requestId: null }
  return (await identity.auth.createToken(actor, { name: 'test' }, context)).token
}

/**
 * Uploads a PDF for every mandatory document of a procedure through the API and returns the `documents`
 * list a submission needs.
 */
export async function requiredDocuments(t: TestApp, bearer: string, procedureCode: string, pdf: Buffer) {
  const procedure = (await t.app.inject({ url: `/api/v1/procedures/${procedureCode}` })).json<{
    documents: { required: boolean }[]
  }>()
  const documents: { document: number; fileId: string }[] = []
  for (const [index, doc] of procedure.documents.entries()) {
    if (!doc.required) continue
    const { payload, contentType } = multipartBody({}, [
      { field: 'file', name: `giay-to-${index}.pdf`, content: pdf },
    ])
    const uploaded = await t.app.inject({
      method: 'POST',
      url: '/api/v1/files',
      payload,
      headers: { 'content-type': contentType, authorization: `Bearer ${bearer}` },
    })
    if (uploaded.statusCode !== 201) throw new Error(`upload failed: ${uploaded.body}`)
    documents.push({ document: index, fileId: uploaded.json().id as string })
  }
  return documents
}

export type UploadFile = { field: string; name: string; content: Buffer; type?: string }

/** A multipart/form-data body, built by hand so the tests control exactly what a client sends. */
export function multipartBody(fields: Record<string, string>, files: readonly UploadFile[]) {
  const boundary = `----cbtest${randomBytes(8).toString('hex')}`
  const parts: Buffer[] = []
  for (const [name, value] of Object.entries(fields)) {
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
    )
  }
  for (const file of files) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.name}"\r\n` +
          `Content-Type: ${file.type ?? 'application/octet-stream'}\r\n\r\n`,
      ),
      file.content,
      Buffer.from('\r\n'),
    )
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`))
  return { payload: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` }
}
