import { readFile } from 'node:fs/promises'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { samplePdf } from '../files.js'
import { pdfsig, pdfText, skipWithoutPoppler } from '../pdf.js'
import {
  describeInBrowser,
  logIn,
  skipBrowser,
  startBrowserRig,
  submit,
  text,
  type BrowserRig,
} from './support.js'

let rig: BrowserRig
let context: BrowserContext | undefined

beforeAll(async () => {
  if (skipBrowser) return
  rig = await startBrowserRig()
  // The gateway's notice reaches the platform through the job queue, as on a server.
  await rig.t.app.jobs.start()
}, 180_000)
afterAll(async () => {
  await rig?.close()
}, 180_000)
afterEach(async () => {
  await context?.close()
  context = undefined
})

let pdf: Buffer

/** The citizen's online application for 1.004873 (15,000 đồng before intake), up to its dossier code. */
async function applyOnline(page: Page): Promise<string> {
  pdf ??= await samplePdf()
  await page.goto('/procedures/1.004873/apply/unit')
  await page.getByLabel('Nơi nộp hồ sơ').selectOption({ label: 'Ủy ban nhân dân phường Thục Phán' })
  await submit(page, 'Tiếp tục')
  await page.locator('#applicantFullName').fill('Nguyễn Văn An')
  await page.locator('#applicantIdNumber').fill('004090000001')
  await page.locator('#applicantBirthDate').fill('1990-05-01')
  await page.locator('#currentMaritalStatus').selectOption({ index: 1 })
  await page.locator('#purpose').selectOption({ index: 1 })
  await submit(page, 'Tiếp tục')
  await page
    .locator('#doc-0')
    .setInputFiles({ name: 'to-khai.pdf', mimeType: 'application/pdf', buffer: pdf })
  await page.locator('#doc-3').setInputFiles({ name: 'cccd.pdf', mimeType: 'application/pdf', buffer: pdf })
  await submit(page, 'Tải lên và tiếp tục')
  await submit(page, 'Nộp hồ sơ')
  return /Mã hồ sơ của bạn: (\S+)\./.exec(await text(page, '.notice'))![1]!
}

describeInBrowser('paying a fee online', { timeout: 180_000 }, () => {
  it('lets a citizen pay in the sandbox gateway and download a signed receipt in Vietnamese', async () => {
    context = await rig.newContext({ acceptDownloads: true })
    const page = await context.newPage()
    await logIn(page, 'congdan')
    const code = await applyOnline(page)
    expect(await text(page, '#fee')).toContain('chưa nộp')

    await Promise.all([
      page.waitForURL(`**/dossiers/${code}/pay`),
      page.getByRole('link', { name: 'Nộp phí, lệ phí trực tuyến' }).click(),
    ])
    expect(await text(page, '#amount')).toBe('15.000 đồng (Mười lăm nghìn đồng)')
    await submit(page, 'Thanh toán')

    expect(new URL(page.url()).pathname).toBe('/sandbox-gateway/pay')
    expect(await text(page, '#sandbox-notice')).toContain('MÔI TRƯỜNG THỬ NGHIỆM (SANDBOX)')
    expect(await text(page, '#order-info')).toContain(code)
    expect(await text(page, '#amount')).toBe('15.000 VND')
    await page.getByLabel('Số thẻ ngân hàng (thẻ thử nghiệm)').fill('9704 1985 2619 1432 198')
    await submit(page, 'Thanh toán thành công')

    expect(new URL(page.url()).pathname).toBe('/payments/return/sandbox')
    expect(await text(page, '#outcome')).toMatch(/Thanh toán thành công|đang chờ cổng thanh toán xác nhận/)
    // Only the gateway's own notice marks the fee paid; it arrives within moments.
    await expect
      .poll(
        async () => {
          await page.goto(`/dossiers/${code}`)
          return text(page, '#fee')
        },
        { timeout: 20_000, interval: 250 },
      )
      .toContain('đã nộp trực tuyến')

    await page.goto(`/dossiers/${code}/pay`)
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Tải biên lai điện tử (PDF)' }).click(),
    ])
    expect(download.suggestedFilename()).toBe(`bien-lai-${code}.pdf`)
    const receipt = await readFile(await download.path())
    expect(receipt.subarray(0, 5).toString()).toBe('%PDF-')
    if (!skipWithoutPoppler) {
      const report = pdfsig(receipt)
      expect(report).toContain('Signature Validation: Signature is Valid.')
      expect(report).toContain('Signer Certificate Common Name: Ủy ban nhân dân phường Thục Phán')
      const words = pdfText(receipt).replace(/\s+/g, ' ')
      expect(words).toContain('BIÊN LAI THU PHÍ, LỆ PHÍ')
      expect(words).toContain(`Mã hồ sơ: ${code}`)
      expect(words).toContain('Số tiền bằng chữ: Mười lăm nghìn đồng')
    }
  })
})
