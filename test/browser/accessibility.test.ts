import { AxeBuilder } from '@axe-core/playwright'
import type { AxeResults } from 'axe-core'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  htmlLang,
  logIn,
  startBrowserRig,
  submit,
  type BrowserRig,
  describeInBrowser,
  skipBrowser,
} from './support.js'

const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']

let rig: BrowserRig
let visitor: BrowserContext
let administrator: BrowserContext

beforeAll(async () => {
  if (skipBrowser) return
  rig = await startBrowserRig()
  visitor = await rig.newContext()
  administrator = await rig.newContext()
  const page = await administrator.newPage()
  await logIn(page, 'quantri')
  await page.close()
}, 180_000)
afterAll(async () => {
  await rig?.close()
}, 180_000)

/** The serious and critical violations on the page, one readable line per element, so they can be fixed. */
async function seriousViolations(page: Page): Promise<string[]> {
  const results: AxeResults = await new AxeBuilder({ page }).withTags(WCAG_21_AA).analyze()
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) =>
      v.nodes.map(
        (node) => `${v.impact} ${v.id} at ${JSON.stringify(node.target)}: ${v.help} (${v.helpUrl})`,
      ),
    )
}

async function scan(context: BrowserContext, path: string, prepare?: (page: Page) => Promise<void>) {
  const page = await context.newPage()
  try {
    const response = await page.goto(path)
    expect(response?.status(), `GET ${path}`).toBe(200)
    if (prepare) await prepare(page)
    const found = await seriousViolations(page)
    expect(found, `${path} (${page.url()}):\n${found.join('\n')}`).toEqual([])
  } finally {
    await page.close()
  }
}

describeInBrowser('accessibility (axe, WCAG 2.1 A and AA)', { timeout: 120_000 }, () => {
  describe('public pages', () => {
    it.each([
      '/',
      '/login',
      '/register',
      '/procedures?q=giay+phep',
      '/procedures/1.001193',
      '/calendar',
      '/track',
    ])('%s has no serious or critical violations', async (path) => {
      await scan(visitor, path)
    })

    it('the login page showing errors has no serious or critical violations', async () => {
      await scan(visitor, '/login', async (page) => {
        await page.getByLabel('Tên đăng nhập, số điện thoại hoặc thư điện tử').fill('khong-co-ai')
        await submit(page, 'Đăng nhập')
        expect(await page.locator('.error-summary li').count()).toBeGreaterThan(0)
      })
    })

    it('the login page in English has no serious or critical violations', async () => {
      const context = await rig.newContext()
      try {
        await scan(context, '/lang/en?next=/login', async (page) => {
          expect(await htmlLang(page)).toBe('en')
        })
      } finally {
        await context.close()
      }
    })
  })

  describe('online application, signed in as a citizen', () => {
    it('the application form, blank and with errors, and the dossier list have no serious or critical violations', async () => {
      const citizen = await rig.newContext()
      try {
        const page = await citizen.newPage()
        await logIn(page, 'congdan')
        await page.close()
        await scan(citizen, '/procedures/1.000656/apply/unit', async (p) => {
          await p.locator('#unitId').selectOption({ index: 1 })
          await submit(p, 'Tiếp tục')
          expect(new URL(p.url()).pathname).toBe('/procedures/1.000656/apply/form')
        })
        await scan(citizen, '/procedures/1.000656/apply/form', async (p) => {
          await submit(p, 'Tiếp tục')
          expect(await p.locator('.error-summary li').count()).toBeGreaterThan(0)
        })
        await scan(citizen, '/account/dossiers')
      } finally {
        await citizen.close()
      }
    })
  })

  describe('back office, signed in as the system administrator', () => {
    it.each([
      '/admin',
      '/admin/units',
      '/admin/units/new',
      '/admin/users',
      '/admin/users/new',
      '/admin/dossiers',
    ])('%s has no serious or critical violations', async (path) => {
      await scan(administrator, path)
    })

    it('the unit form showing errors has no serious or critical violations', async () => {
      await scan(administrator, '/admin/units/new', async (page) => {
        await page.getByLabel('Mã định danh (không bắt buộc)').fill('sai')
        await submit(page, 'Thêm đơn vị')
        expect(await page.locator('.error-summary li').count()).toBeGreaterThan(1)
      })
    })

    it('the user form showing errors has no serious or critical violations', async () => {
      await scan(administrator, '/admin/users/new', async (page) => {
        await submit(page, 'Tạo người dùng')
        expect(await page.locator('.error-summary li').count()).toBeGreaterThan(1)
      })
    })
  })
})
