import type { BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { apiToken } from '../app.js'
import { describeInBrowser, logIn, skipBrowser, startBrowserRig, text, type BrowserRig } from './support.js'

let rig: BrowserRig
let context: BrowserContext | undefined

beforeAll(async () => {
  if (skipBrowser) return
  rig = await startBrowserRig()
  // The indicators are a projection of dossier events, fed by the outbox dispatcher as on a server.
  await rig.t.app.jobs.start()
  const desk = await apiToken(rig.t, 'motcua.thucphan')
  const units = (await rig.t.app.inject({ url: '/api/v1/units' })).json().items as {
    id: string
    key: string
  }[]
  const ward = units.find((u) => u.key === 'phuong-thuc-phan')!.id
  const created = await rig.t.app.inject({
    method: 'POST',
    url: '/api/v1/dossiers',
    headers: { authorization: `Bearer ${desk}` },
    payload: {
      procedureCode: '2.000815',
      unitId: ward,
      channel: 'counter',
      applicant: { name: 'Hoàng Thị Mai', phone: '0912000005' },
      form: {
        applicantFullName: 'Hoàng Thị Mai',
        applicantIdNumber: '004090000001',
        documentTitle: 'Bằng tốt nghiệp',
        pageCount: 2,
        copyCount: 1,
      },
    },
  })
  expect(created.statusCode).toBe(201)
}, 180_000)
afterAll(async () => {
  await context?.close()
  await rig?.close()
}, 180_000)

describeInBrowser('service indicators', { timeout: 180_000 }, () => {
  it('lets the provincial administrator open the indicators from the back office and drill down to a ward', async () => {
    context = await rig.newContext()
    const page = await context.newPage()
    await logIn(page, 'quantri')
    await page.goto('/admin')
    await Promise.all([
      page.waitForURL(/\/admin\/indicators/),
      page.getByRole('link', { name: 'Chỉ số phục vụ người dân, doanh nghiệp (QĐ 766)' }).click(),
    ])
    expect(await text(page, 'h1')).toMatch(/^Chỉ số phục vụ: /)
    expect(await page.locator('svg[role="img"]').count()).toBeGreaterThan(0)
    const ward = page.locator('section[aria-labelledby="children"] a', { hasText: 'Thục Phán' })
    await Promise.all([page.waitForURL(/unit=/), ward.first().click()])
    expect(await text(page, 'h1')).toBe('Chỉ số phục vụ: Ủy ban nhân dân phường Thục Phán')
    // The counter dossier received before the test reaches the projection within a few polls.
    await expect
      .poll(
        async () => {
          await page.reload()
          return text(page, 'tr[data-measure="received.total"] td')
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe('1')
  })
})
