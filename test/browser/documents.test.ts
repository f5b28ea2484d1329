import { readFileSync } from 'node:fs'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { samplePdf } from '../files.js'
import { pdfText, skipWithoutPoppler } from '../pdf.js'
import {
  describeInBrowser,
  logIn,
  skipBrowser,
  startBrowserRig,
  submit,
  text,
  texts,
  type BrowserRig,
} from './support.js'

let rig: BrowserRig
const contexts: BrowserContext[] = []

beforeAll(async () => {
  if (skipBrowser) return
  rig = await startBrowserRig()
}, 180_000)
afterAll(async () => {
  await rig?.close()
}, 180_000)
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close()))
})

/** Each person signs in at a browser of their own. */
async function as(username: string): Promise<Page> {
  const context = await rig.newContext({ acceptDownloads: true })
  contexts.push(context)
  const page = await context.newPage()
  await logIn(page, username)
  return page
}

describeInBrowser('official documents in the browser', { timeout: 240_000 }, () => {
  it('registers, assigns and completes a letter, replies to it through approval and signature, and the other unit imports the reply', async () => {
    const scan = await samplePdf('Công văn 88/UBND-VP đề nghị hỗ trợ chuyển đổi số')

    // 1. The Sở's clerk registers the ward's paper letter with its scan.
    const clerk = await as('vanthu.sokhcn')
    await clerk.goto('/admin/documents/incoming/new')
    await clerk.getByLabel('Số', { exact: true }).fill('88')
    await clerk.getByLabel('Ký hiệu', { exact: true }).fill('UBND-VP')
    await clerk.getByLabel('Ngày ban hành').fill('2026-11-20')
    await clerk.getByLabel('Tên cơ quan ban hành').fill('Ủy ban nhân dân phường Thục Phán')
    await clerk.getByLabel('Mã định danh cơ quan ban hành (nếu có)').fill('001.90.00.H14')
    await clerk.getByLabel('Loại văn bản').selectOption({ label: 'Công văn' })
    await clerk.getByLabel('Trích yếu nội dung').fill('V/v đề nghị hỗ trợ triển khai chuyển đổi số')
    await clerk
      .locator('#files')
      .setInputFiles({ name: 'cv-88.pdf', mimeType: 'application/pdf', buffer: scan })
    await submit(clerk, 'Vào sổ')
    expect(await text(clerk, '.notice')).toMatch(/Đã vào sổ văn bản đến, số đến \d+\./)
    const letterUrl = clerk.url()

    // 2. The leader assigns it to the specialist.
    const leader = await as('lanhdao.sokhcn')
    await leader.goto(letterUrl)
    await leader.locator('#lead').selectOption({ label: 'Bế Thị Hạnh' })
    await leader.getByLabel('Thời hạn xử lý (số ngày làm việc)').fill('5')
    await submit(leader, 'Phân công')
    expect(await text(leader, '.notice')).toBe('Đã phân công xử lý.')

    // 3. The specialist completes it, then drafts the reply from the letter's page.
    const specialist = await as('chuyenvien.sokhcn')
    await specialist.goto(letterUrl)
    await specialist.locator('.act-form select[name="action"]').selectOption('complete')
    await submit(specialist, 'Thực hiện')
    expect(await text(specialist, '#metadata')).toContain('Hoàn thành')
    await Promise.all([
      specialist.waitForURL(/\/admin\/documents\/outgoing\/new\?replyTo=/),
      specialist.getByRole('link', { name: 'Soạn văn bản trả lời' }).click(),
    ])
    await specialist.getByLabel('Loại văn bản').selectOption({ label: 'Công văn' })
    await specialist.getByLabel('Viết tắt đơn vị soạn thảo hoặc lĩnh vực (cho công văn)').fill('VP')
    await specialist
      .getByLabel('Trích yếu nội dung')
      .fill('V/v trả lời đề nghị hỗ trợ triển khai chuyển đổi số')
    await specialist
      .getByLabel('Cơ quan nhận ngoài nền tảng (gửi bằng gói tin edXML)')
      .fill('001.90.00.H14 Ủy ban nhân dân phường Thục Phán')
    const draftPdf = await samplePdf('Sở Khoa học và Công nghệ trả lời đề nghị hỗ trợ chuyển đổi số')
    await specialist
      .locator('#file')
      .setInputFiles({ name: 'tra-loi.pdf', mimeType: 'application/pdf', buffer: draftPdf })
    await submit(specialist, 'Lưu dự thảo')
    expect(await text(specialist, '.notice')).toBe('Đã lưu dự thảo.')
    expect(await text(specialist, '#reply-to')).toContain('88/UBND-VP')
    const draftUrl = specialist.url()
    await specialist.getByLabel('Lãnh đạo duyệt ban hành').selectOption({ label: 'Lương Văn Thành' })
    await submit(specialist, 'Trình')
    expect(await text(specialist, '.notice')).toBe('Đã trình duyệt dự thảo.')

    // 4. The leader finds it waiting and approves it for issue.
    await leader.goto('/admin/documents/outgoing?box=pending')
    await Promise.all([
      leader.waitForURL(draftUrl),
      leader.getByRole('link', { name: 'V/v trả lời đề nghị hỗ trợ triển khai chuyển đổi số' }).click(),
    ])
    await leader.getByLabel('Thao tác').selectOption({ label: 'Duyệt ban hành' })
    await leader.getByLabel('Chức vụ người ký (khi duyệt ban hành)').fill('Giám đốc')
    await submit(leader, 'Gửi ý kiến')
    expect(await text(leader, '#metadata')).toContain('Đã duyệt, chờ phát hành')

    // 5. The clerk numbers, signs and issues it, and downloads the edXML package for the ward.
    await clerk.goto(draftUrl)
    await submit(clerk, 'Cấp số, ký số và phát hành')
    expect(await text(clerk, '.notice')).toBe('Đã phát hành văn bản số 01/SKHCN-VP.')
    expect(await text(clerk, 'h1')).toBe('Công văn số 01/SKHCN-VP')
    const [signedDownload] = await Promise.all([
      clerk.waitForEvent('download'),
      clerk.locator('#signed a').first().click(),
    ])
    const signed = readFileSync(await signedDownload.path())
    if (!skipWithoutPoppler) expect(pdfText(signed)).toContain('Số: 01/SKHCN-VP')
    const [packageDownload] = await Promise.all([
      clerk.waitForEvent('download'),
      clerk.getByRole('link', { name: 'Tải gói tin edXML gửi cơ quan ngoài nền tảng' }).click(),
    ])
    expect(packageDownload.suggestedFilename()).toBe(`edxml-01-${todayLocal()}.xml`)
    const packagePath = await packageDownload.path()
    expect(readFileSync(packagePath, 'utf8')).toContain('<edXML:CodeNotation>SKHCN-VP</edXML:CodeNotation>')

    // The letter's page shows the reply in its history.
    await clerk.goto(letterUrl)
    expect(await texts(clerk, '#history tbody tr')).toContainEqual(
      expect.stringContaining('Đã phát hành văn bản trả lời'),
    )

    // 6. The ward's clerk imports the package and finds it in the incoming register, searching without diacritics.
    const ward = await as('vanthu.thucphan')
    await ward.goto('/admin/documents/import')
    await ward.locator('#edxml').setInputFiles(packagePath)
    await submit(ward, 'Nhận và vào sổ')
    expect(await text(ward, '.notice')).toMatch(/Đã nhận văn bản liên thông, số đến \d+\./)
    expect(await text(ward, 'h1')).toBe('Công văn số 01/SKHCN-VP')
    await ward.goto('/admin/documents/incoming')
    await ward.getByLabel('Tìm kiếm (gõ có dấu hoặc không dấu)').fill('tra loi de nghi chuyen doi so')
    await submit(ward, 'Tìm')
    const rows = await texts(ward, '#documents tbody tr')
    expect(rows).toHaveLength(1)
    expect(rows[0]).toContain('01/SKHCN-VP')
    expect(rows[0]).toContain('Sở Khoa học và Công nghệ')
  })
})

/** Today in Cao Bằng, as the server names the package. */
function todayLocal(): string {
  return new Date(Date.now() + 7 * 3600_000).toISOString().slice(0, 10)
}
