import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_ACCOUNTS } from '../src/modules/identity/index.js'
import { createTestApp, html, Visitor, type TestApp } from './app.js'

/**
 * Every link a person is shown leads somewhere: each demo account (and a visitor not signed in) follows the links
 * of the pages it can reach from the home page, the back office and its account, and none may answer "not found",
 * "forbidden" or a server error. Pages of the same shape (the same path with other ids or numbers) are opened twice at most.
 */

let t: TestApp

beforeAll(async () => {
  t = await createTestApp()
}, 120_000)

afterAll(async () => {
  await t?.close()
})

const START = ['/', '/admin', '/account', '/procedures', '/track']
const MAX_PAGES = 250
const PER_SHAPE = 2

/** Links not to follow: leaving the session, switching language, the provider's own protocol endpoints. */
const SKIP = [/^\/logout/, /^\/lang\//, /^\/oidc\//, /^\/assets\//]

/** The path with ids and numbers replaced, so pages of one kind count as one shape. */
function shape(path: string): string {
  return path
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, ':uuid')
    .replace(/\d+/g, ':n')
    .replace(/\?.*$/, '')
}

function internal(href: string | undefined): string | undefined {
  if (!href || href.startsWith('#') || href.startsWith('mailto:') || href.startsWith('tel:')) return undefined
  if (/^[a-z]+:/i.test(href) || href.startsWith('//')) return undefined
  if (!href.startsWith('/')) return undefined
  const path = href.split('#')[0]!
  return SKIP.some((pattern) => pattern.test(path)) ? undefined : path
}

async function crawl(visitor: Visitor) {
  const seen = new Set<string>()
  const shapes = new Map<string, number>()
  const queue = START.map((url) => ({ url, from: '(start)' }))
  const broken: string[] = []
  let opened = 0
  while (queue.length > 0 && opened < MAX_PAGES) {
    const { url, from } = queue.shift()!
    if (seen.has(url)) continue
    seen.add(url)
    const kind = shape(url)
    const count = shapes.get(kind) ?? 0
    if (count >= PER_SHAPE) continue
    shapes.set(kind, count + 1)
    opened++
    const response = await visitor.get(url)
    // A link shown to someone who may not follow it is broken for them too (a start page is not a link).
    const refused = response.statusCode === 403 && from !== '(start)'
    if (response.statusCode === 404 || response.statusCode >= 500 || refused) {
      broken.push(`${from} → ${url}: ${response.statusCode}`)
      continue
    }
    if (response.statusCode >= 300 && response.statusCode < 400) {
      const next = internal(String(response.headers.location ?? ''))
      if (next) queue.push({ url: next, from: url })
      continue
    }
    if (!String(response.headers['content-type'] ?? '').includes('text/html')) continue
    for (const a of html(response).querySelectorAll('a[href]')) {
      const next = internal(a.getAttribute('href'))
      if (next && !seen.has(next)) queue.push({ url: next, from: url })
    }
  }
  return { broken, opened }
}

describe('links on the pages', () => {
  it('lead somewhere for a visitor who is not signed in', async () => {
    const { broken, opened } = await crawl(new Visitor(t.app))
    expect(broken).toEqual([])
    expect(opened).toBeGreaterThan(10)
  }, 120_000)

  for (const account of DEMO_ACCOUNTS) {
    it(`lead somewhere for ${account.username} (${account.label})`, async () => {
      const visitor = new Visitor(t.app)
      await visitor.login(account.username)
      const { broken, opened } = await crawl(visitor)
      expect(broken).toEqual([])
      expect(opened).toBeGreaterThan(10)
    }, 180_000)
  }
})
