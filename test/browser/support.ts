import { existsSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import {
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Page,
} from 'playwright-core'
import { describe } from 'vitest'
import { createTestApp, DEMO_PASSWORD, type TestApp } from '../app.js'

/** Debian's chromium; another build can be named with CHROMIUM_PATH. Playwright's own download is never used. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * On a developer's machine without Chromium the browser journeys are skipped with a warning, so
 * `npm test` still runs everything else; in CI (CI=true) a missing browser is a failure.
 */
export const skipBrowser = !existsSync(CHROMIUM_PATH) && !process.env.CI && warnSkipped()
export const describeInBrowser = describe.skipIf(skipBrowser)

function warnSkipped(): true {
  console.warn(
    `Browser tests skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH).`,
  )
  return true
}

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** What a browser test file needs: the real app on a fresh seeded database, served over HTTP, and a browser. */
export type BrowserRig = {
  t: TestApp
  browser: Browser
  baseURL: string
  /** A fresh, cookie-less browser profile: Vietnamese locale, a laptop-sized window, the app as base address. */
  newContext(options?: BrowserContextOptions): Promise<BrowserContext>
  close(): Promise<void>
}

export async function startBrowserRig(): Promise<BrowserRig> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `No browser at ${CHROMIUM_PATH}: run "apt-get install -y chromium" or set CHROMIUM_PATH (never "npx playwright install").`,
    )
  }
  const [app, launched] = await Promise.allSettled([
    createTestApp(),
    chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS }),
  ])
  if (app.status === 'rejected' || launched.status === 'rejected') {
    if (app.status === 'fulfilled') await app.value.close()
    if (launched.status === 'fulfilled') await launched.value.close()
    throw app.status === 'rejected' ? app.reason : (launched as PromiseRejectedResult).reason
  }
  const t = app.value
  const browser = launched.value
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = t.app.server.address() as AddressInfo
  const baseURL = `http://127.0.0.1:${port}`
  return {
    t,
    browser,
    baseURL,
    newContext: (options = {}) =>
      browser.newContext({ baseURL, locale: 'vi-VN', viewport: { width: 1100, height: 800 }, ...options }),
    async close() {
      await browser.close()
      await t.close()
    },
  }
}

/** Signs in through the real login form, as a person would, and waits for the page it lands on. */
export async function logIn(page: Page, username: string, password = DEMO_PASSWORD): Promise<void> {
  await page.goto('/login')
  await page.getByLabel('Tên đăng nhập, số điện thoại hoặc thư điện tử').fill(username)
  await page.getByLabel('Mật khẩu', { exact: true }).fill(password)
  await Promise.all([
    page.waitForURL((url) => url.pathname !== '/login'),
    page.getByRole('button', { name: 'Đăng nhập', exact: true }).click(),
  ])
}

/** Submits the page's main form with its button and waits until the answer (page or redirect) has loaded. */
export async function submit(page: Page, button: string): Promise<void> {
  await Promise.all([
    page.waitForEvent('framenavigated', { predicate: (frame) => frame === page.mainFrame() }),
    page.locator('main').getByRole('button', { name: button, exact: true }).click(),
  ])
  await page.waitForLoadState('load')
}

export const text = async (page: Page, selector: string): Promise<string> =>
  ((await page.locator(selector).first().textContent()) ?? '').replace(/\s+/g, ' ').trim()

export const texts = async (page: Page, selector: string): Promise<string[]> =>
  (await page.locator(selector).allTextContents()).map((s) => s.replace(/\s+/g, ' ').trim())

export const htmlLang = (page: Page): Promise<string | null> => page.locator('html').getAttribute('lang')
