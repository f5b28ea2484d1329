import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { samplePdf } from '../files.js'
import { pdfsig, pdfText, skipWithoutPoppler } from '../pdf.js'
import {
  htmlLang,
  logIn,
  startBrowserRig,
  submit,
  text,
  texts,
  type BrowserRig,
  describeInBrowser,
  skipBrowser,
} from './support.js'

let rig: BrowserRig
let context: BrowserContext | undefined

beforeAll(async () => {
  if (skipBrowser) return
  rig = await startBrowserRig()
}, 180_000)
afterAll(async () => {
  await rig?.close()
}, 180_000)
afterEach(async () => {
  await context?.close()
  context = undefined
})

/** Each test is a new person at a new browser: no cookies, no language choice, no session. */
async function freshPage(options: { javaScriptEnabled?: boolean } = {}): Promise<Page> {
  context = await rig.newContext(options)
  return context.newPage()
}

/** The tree item of a unit, found by its own name (not by a descendant's). */
const unitItem = (page: Page, name: string) =>
  page.locator('.tree li', {
    has: page.locator(':scope > strong', {
      hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`),
    }),
  })

async function attributes(page: Page, selector: string, name: string): Promise<(string | null)[]> {
  const found = page.locator(selector)
  const values: (string | null)[] = []
  for (let i = 0; i < (await found.count()); i++) values.push(await found.nth(i).getAttribute(name))
  return values
}

let pdf: Buffer

/** On the documents step of 1.004873: a PDF for the declaration (1) and one for the identity paper (4). */
async function attachRequired(page: Page) {
  pdf ??= await samplePdf()
  await page
    .locator('#doc-0')
    .setInputFiles({ name: 'to-khai.pdf', mimeType: 'application/pdf', buffer: pdf })
  await page.locator('#doc-3').setInputFiles({ name: 'cccd.pdf', mimeType: 'application/pdf', buffer: pdf })
  await submit(page, 'Tải lên và tiếp tục')
}

describeInBrowser('browser journeys', { timeout: 180_000 }, () => {
  it('lets a citizen find a procedure typed without diacritics and read what to bring', async () => {
    const page = await freshPage()
    await page.goto('/')
    await page
      .getByRole('navigation', { name: 'Điều hướng chính' })
      .getByRole('link', { name: 'Thủ tục hành chính' })
      .click()
    await page.getByLabel('Tên hoặc mã thủ tục').fill('giay phep xay dung')
    await submit(page, 'Tìm kiếm')
    const result = page.locator('ol.results h2 a').first()
    expect(await result.textContent()).toMatch(/giấy phép xây dựng/i)
    await Promise.all([page.waitForURL(/\/procedures\/\d\.\d{6}$/), result.click()])
    expect(await text(page, 'h1')).toMatch(/giấy phép xây dựng/i)
    expect(await page.locator('main h2', { hasText: 'Thành phần hồ sơ' }).count()).toBe(1)
    expect(await page.locator('main table').nth(1).locator('tbody tr').count()).toBeGreaterThan(0)
  })

  it('lets a citizen apply online step by step and receive a dossier code', async () => {
    const page = await freshPage()
    await logIn(page, 'congdan')
    await page.goto('/procedures/1.004873')
    await Promise.all([
      page.waitForURL(/\/apply\/unit$/),
      page.getByRole('link', { name: 'Bắt đầu nộp hồ sơ' }).click(),
    ])
    await page.getByLabel('Nơi nộp hồ sơ').selectOption({ label: 'Ủy ban nhân dân phường Thục Phán' })
    await submit(page, 'Tiếp tục')
    expect(await text(page, 'h1')).toBe('Bước 2/4: Kê khai thông tin')
    await page.locator('#applicantFullName').fill('Nguyễn Văn An')
    await page.locator('#applicantIdNumber').fill('004090000001')
    await page.locator('#applicantBirthDate').fill('1990-05-01')
    await page.locator('#currentMaritalStatus').selectOption({ index: 1 })
    await page.locator('#purpose').selectOption({ index: 1 })
    await submit(page, 'Tiếp tục')
    expect(await text(page, 'h1')).toBe('Bước 3/4: Đính kèm giấy tờ')
    await attachRequired(page)
    expect(await text(page, 'h1')).toBe('Bước 4/4: Kiểm tra trước khi nộp')
    expect(await text(page, 'main')).toContain('to-khai.pdf')
    await submit(page, 'Nộp hồ sơ')
    expect(await text(page, '.notice')).toMatch(
      /Đã nộp hồ sơ\. Mã hồ sơ của bạn: \d{3}\.\d{2}\.\d{2}\.H14-\d{6}-\d{4}\./,
    )
    expect(await text(page, 'main')).toContain('Mới đăng ký')
  })

  it('carries a dossier from online submission through every step, with a supplement, to the returned result', async () => {
    const contexts: BrowserContext[] = []
    const as = async (username: string) => {
      const ctx = await rig.newContext()
      contexts.push(ctx)
      const page = await ctx.newPage()
      await logIn(page, username)
      return page
    }
    const act = async (page: Page, code: string, action: string, note = '') => {
      await page.goto(`/dossiers/${code}`)
      await page.getByLabel('Chọn thao tác').selectOption({ label: action })
      if (note) await page.getByLabel('Nội dung, lý do').fill(note)
      await submit(page, 'Thực hiện')
      expect(await text(page, '.notice')).toBe(`Đã thực hiện: ${action}.`)
    }
    try {
      const citizen = await as('congdan')
      await citizen.goto('/procedures/1.004873/apply/unit')
      await citizen.getByLabel('Nơi nộp hồ sơ').selectOption({ label: 'Ủy ban nhân dân phường Thục Phán' })
      await submit(citizen, 'Tiếp tục')
      await citizen.locator('#applicantFullName').fill('Nguyễn Văn An')
      await citizen.locator('#applicantIdNumber').fill('004090000001')
      await citizen.locator('#applicantBirthDate').fill('1990-05-01')
      await citizen.locator('#currentMaritalStatus').selectOption({ index: 1 })
      await citizen.locator('#purpose').selectOption({ index: 1 })
      await submit(citizen, 'Tiếp tục')
      await attachRequired(citizen)
      await submit(citizen, 'Nộp hồ sơ')
      const code = /Mã hồ sơ của bạn: (\S+)\./.exec(await text(citizen, '.notice'))![1]!

      const desk = await as('motcua.thucphan')
      await desk.goto('/admin/dossiers')
      expect(await desk.locator('tbody tr', { hasText: code }).count()).toBe(1)
      // The fee is due before intake; here the citizen paid it in cash at the desk.
      await desk.goto(`/dossiers/${code}`)
      expect(await text(desk, '#fee')).toContain('chưa nộp')
      await desk.getByLabel('Số biên lai thu tiền mặt').fill('BL-2026-0001')
      await submit(desk, 'Ghi nhận đã thu tiền mặt')
      expect(await text(desk, '#fee')).toContain('đã nộp tiền mặt')
      await act(desk, code, 'Tiếp nhận hồ sơ')
      await act(desk, code, 'Yêu cầu bổ sung', 'Bổ sung bản sao giấy tờ tùy thân')
      await act(citizen, code, 'Nộp bổ sung')
      await act(desk, code, 'Chuyển bước tiếp theo')
      await act(await as('chuyenvien.thucphan'), code, 'Chuyển bước tiếp theo')
      await act(await as('lanhdao.thucphan'), code, 'Phê duyệt')
      // An online applicant receives an electronic result, signed by the ward.
      await desk.goto(`/dossiers/${code}`)
      await desk.getByLabel('Có giá trị đến (nếu có)').fill('2027-05-27')
      await submit(desk, 'Tạo kết quả từ mẫu của thủ tục')
      expect(await text(desk, '.notice')).toBe('Đã lưu kết quả giải quyết.')
      await act(desk, code, 'Trả kết quả')
      expect(await texts(desk, 'main table').then((t) => t.join(' '))).toContain('Đã trả kết quả')

      // The citizen finds the result in their data store, downloads it, and rates the service once.
      await citizen.goto('/account/store')
      const row = citizen.locator('main table tbody tr', { hasText: code })
      expect(await row.textContent()).toContain('có giá trị đến 27/05/2027')
      const [download] = await Promise.all([citizen.waitForEvent('download'), row.locator('a').click()])
      const signed = readFileSync(await download.path())
      if (!skipWithoutPoppler) {
        expect(pdfsig(signed)).toContain('Signature is Valid.')
        expect(pdfText(signed)).toContain('Nguyễn Văn An')
      }
      await citizen.goto(`/dossiers/${code}`)
      for (const criterion of ['c1', 'c2', 'c3', 'c4', 'c6', 'c7'])
        await citizen.locator(`#${criterion}-2`).check()
      await submit(citizen, 'Gửi đánh giá')
      expect(await text(citizen, '#rating')).toBe('Bạn đã đánh giá hồ sơ này: 12/12 điểm.')

      const visitor = await freshPage()
      await visitor.goto('/track')
      await visitor.getByLabel('Mã hồ sơ').fill(code)
      await visitor.getByLabel('Số điện thoại hoặc số định danh').fill('0912000001')
      await submit(visitor, 'Tra cứu')
      expect(await text(visitor, '#result-title')).toBe(code)
      expect(await text(visitor, 'main')).toContain('Đã trả kết quả')
    } finally {
      for (const ctx of contexts) await ctx.close()
    }
  })

  it('reuses documents from the citizen’s data store in a new application instead of uploading them again', async () => {
    const page = await freshPage()
    await logIn(page, 'congdan')
    await page.goto('/procedures/1.004873/apply/unit')
    await page.getByLabel('Nơi nộp hồ sơ').selectOption({ label: 'Ủy ban nhân dân phường Thục Phán' })
    await submit(page, 'Tiếp tục')
    // The form starts from the account: name and ID number are already there.
    expect(await page.locator('#applicantIdNumber').inputValue()).toBe('004090000001')
    await page.locator('#applicantBirthDate').fill('1990-05-01')
    await page.locator('#currentMaritalStatus').selectOption({ index: 1 })
    await page.locator('#purpose').selectOption({ index: 1 })
    await submit(page, 'Tiếp tục')
    for (const index of [0, 3]) {
      const reuse = page.locator(`#reuse-${index}`)
      const stored = await reuse.locator('option').nth(1).getAttribute('value')
      await reuse.selectOption(stored)
    }
    await submit(page, 'Tải lên và tiếp tục')
    expect(await text(page, 'h1')).toBe('Bước 4/4: Kiểm tra trước khi nộp')
    await submit(page, 'Nộp hồ sơ')
    expect(await text(page, '.notice')).toMatch(/Mã hồ sơ của bạn/)
    expect(await page.locator('ul.files li').count()).toBe(2)
  })

  it('lets an official sign in through the form and see the back office with their unit and role', async () => {
    const page = await freshPage()
    await logIn(page, 'chuyenvien.sokhcn')

    expect(new URL(page.url()).pathname).toBe('/admin')
    expect(await text(page, 'h1')).toBe('Trang cán bộ')
    expect(await text(page, 'main')).toContain('Xin chào, Bế Thị Hạnh.')
    const grant = page.locator('main table tbody tr', { hasText: 'Sở Khoa học và Công nghệ' })
    expect(await grant.count()).toBe(1)
    expect(await texts(page, 'main table tbody tr td')).toEqual([
      'Sở Khoa học và Công nghệ',
      'Chuyên viên xử lý',
      'Không',
    ])
    // The header now offers the back office and sign-out instead of sign-in.
    const nav = page.getByRole('navigation', { name: 'Điều hướng chính' })
    expect(await nav.getByRole('link', { name: 'Trang cán bộ' }).count()).toBe(1)
    expect(await nav.getByRole('button', { name: 'Đăng xuất' }).count()).toBe(1)
    expect(await nav.getByRole('link', { name: 'Đăng nhập' }).count()).toBe(0)
  })

  it('switches the interface to English and back with the language link in the header', async () => {
    const page = await freshPage()
    await page.goto('/login')
    expect(await htmlLang(page)).toBe('vi')
    expect(await text(page, 'h1')).toBe('Đăng nhập')

    await Promise.all([
      page.waitForURL('**/login'),
      page.getByRole('link', { name: 'Switch to English' }).click(),
    ])
    expect(new URL(page.url()).pathname).toBe('/login')
    expect(await htmlLang(page)).toBe('en')
    expect(await text(page, 'h1')).toBe('Sign in')
    expect(await page.getByLabel('Username, phone number or e-mail').count()).toBe(1)
    expect(await text(page, '.lang-switch [aria-hidden="true"]')).toBe('Tiếng Việt')

    await Promise.all([
      page.waitForURL('**/login'),
      page.getByRole('link', { name: 'Chuyển sang tiếng Việt' }).click(),
    ])
    expect(new URL(page.url()).pathname).toBe('/login')
    expect(await htmlLang(page)).toBe('vi')
    expect(await text(page, 'h1')).toBe('Đăng nhập')
  })

  it('lets an administrator correct and create a unit, then create a user in it', async () => {
    const page = await freshPage()
    await logIn(page, 'quantri')

    // From the back office to the unit form, by links.
    await page.getByRole('link', { name: 'Quản lý đơn vị' }).click()
    await page.waitForURL('**/admin/units')
    await page.getByRole('link', { name: 'Thêm đơn vị' }).click()
    await page.waitForURL('**/admin/units/new')
    expect(await text(page, 'h1')).toBe('Thêm đơn vị')

    // The parent select indents children with no-break spaces, so the option is found by its trimmed text.
    const parent = page.locator('#parentId option', { hasText: /^\s*Sở Khoa học và Công nghệ$/ })
    const parentId = await parent.getAttribute('value')
    expect(parentId).toMatch(/^[0-9a-f-]{36}$/)
    await page.getByLabel('Đơn vị cấp trên').selectOption(parentId)
    await page.getByLabel('Tên viết tắt (không bắt buộc)').fill('TT CĐS')
    await page.getByLabel('Loại đơn vị').selectOption({ label: 'Phòng, đơn vị trực thuộc' })
    await page.getByLabel('Mã định danh (không bắt buộc)').fill('000.13')
    await submit(page, 'Thêm đơn vị')

    expect(new URL(page.url()).pathname).toBe('/admin/units/new')
    expect(await page.title()).toMatch(/^Có lỗi cần sửa: Thêm đơn vị/)
    expect(await text(page, '.error-summary h2')).toBe('Có lỗi cần sửa')
    expect(await texts(page, '.error-summary li a')).toEqual([
      'Nhập tên đơn vị.',
      'Mã định danh phải có dạng 000.00.00.H14 (theo QCVN 102:2016/BTTTT).',
    ])
    expect(await attributes(page, '.error-summary li a', 'href')).toEqual(['#name', '#agencyCode'])
    expect(await page.locator('#name').getAttribute('aria-invalid')).toBe('true')
    expect(await text(page, '#agencyCode-error')).toContain('000.00.00.H14')
    // What was typed is still there.
    expect(await page.locator('#parentId').inputValue()).toBe(parentId)
    expect(await page.locator('#shortName').inputValue()).toBe('TT CĐS')
    expect(await page.locator('#type').inputValue()).toBe('office')
    expect(await page.locator('#agencyCode').inputValue()).toBe('000.13')
    expect(await page.locator('#validFrom').inputValue()).toMatch(/^\d{4}-\d{2}-\d{2}$/)

    // The summary's link takes the keyboard to the field to correct.
    await page.locator('.error-summary').getByRole('link', { name: 'Nhập tên đơn vị.' }).click()
    expect(await page.locator('#name:focus').count()).toBe(1)

    await page.getByLabel('Tên đơn vị').fill('Trung tâm Chuyển đổi số')
    await page.getByLabel('Mã định danh (không bắt buộc)').fill('000.13.01.H14')
    await submit(page, 'Thêm đơn vị')

    expect(new URL(page.url()).pathname).toBe('/admin/units')
    expect(await text(page, '.notice')).toBe('Đã thêm đơn vị “Trung tâm Chuyển đổi số”.')
    const created = unitItem(page, 'Trung tâm Chuyển đổi số')
    expect(await created.count()).toBe(1)
    expect(await created.locator('.muted').first().textContent()).toContain('000.13.01.H14')
    // It sits under its parent in the tree.
    expect(await unitItem(page, 'Sở Khoa học và Công nghệ').locator(created).count()).toBe(1)

    // Now a user of the new unit.
    await page.goto('/admin/users/new')
    expect(await text(page, 'h1')).toBe('Thêm người dùng')
    await page.getByLabel('Họ và tên').fill('Lục Thị Duyên')
    await page.getByLabel('Tên đăng nhập').fill('duyen.ttcds')
    await page.getByLabel('Thư điện tử').fill('duyen.ttcds@caobang.gov.vn')
    await page.getByLabel('Số điện thoại').fill('0912 345 678')
    await page.getByLabel('Đơn vị công tác').selectOption({ label: 'Trung tâm Chuyển đổi số' })
    await page.getByLabel('Vai trò ban đầu').selectOption({ label: 'Chuyên viên xử lý' })
    await page.getByLabel('Mật khẩu ban đầu').fill('ngan1')
    await submit(page, 'Tạo người dùng')

    expect(new URL(page.url()).pathname).toBe('/admin/users/new')
    expect(await texts(page, '.error-summary li a')).toEqual(['Mật khẩu phải có ít nhất 10 ký tự.'])
    expect(await page.locator('#password').getAttribute('aria-invalid')).toBe('true')
    expect(await page.locator('#fullName').inputValue()).toBe('Lục Thị Duyên')
    expect(await page.locator('#username').inputValue()).toBe('duyen.ttcds')
    expect(await page.locator('#email').inputValue()).toBe('duyen.ttcds@caobang.gov.vn')
    expect(await page.locator('#phone').inputValue()).toBe('0912 345 678')
    expect(await page.locator('#homeUnitId option:checked').textContent()).toBe('Trung tâm Chuyển đổi số')
    expect(await page.locator('#role option:checked').textContent()).toBe('Chuyên viên xử lý')
    // A password is never sent back into the page.
    expect(await page.locator('#password').inputValue()).toBe('')

    await page.getByLabel('Mật khẩu ban đầu').fill('ChuyenDoiSo2026')
    await submit(page, 'Tạo người dùng')

    expect(new URL(page.url()).pathname).toMatch(/^\/admin\/users\/[0-9a-f-]{36}$/)
    expect(await text(page, '.notice')).toBe('Đã tạo người dùng Lục Thị Duyên.')
    expect(await text(page, 'h1')).toBe('Lục Thị Duyên')
    expect(await text(page, 'main p.muted code')).toBe('duyen.ttcds')
    expect(await texts(page, 'main table tbody tr:first-child td')).toEqual([
      'Chuyên viên xử lý',
      'Trung tâm Chuyển đổi số',
      'Không',
      'Thu hồi',
    ])
  })

  it('lists the errors of the new-user form in the order of its fields', async () => {
    const page = await freshPage()
    await logIn(page, 'quantri')
    await page.goto('/admin/users/new')
    await submit(page, 'Tạo người dùng')

    // The summary reads top to bottom like the form, as the unit form's does.
    expect(await attributes(page, '.error-summary li a', 'href')).toEqual([
      '#fullName',
      '#username',
      '#homeUnitId',
      '#password',
    ])
  })

  it('works with JavaScript turned off: an official signs in and reaches the back office', async () => {
    const page = await freshPage({ javaScriptEnabled: false })
    await logIn(page, 'qt.sokhcn')

    expect(new URL(page.url()).pathname).toBe('/admin')
    expect(await text(page, 'h1')).toBe('Trang cán bộ')
    expect(await texts(page, 'main table tbody tr td')).toEqual([
      'Sở Khoa học và Công nghệ',
      'Quản trị đơn vị',
      'Có',
    ])
    await page.getByRole('link', { name: 'Quản lý người dùng' }).click()
    await page.waitForURL('**/admin/users')
    expect(await text(page, 'h1')).toBe('Người dùng')
  })

  it('focuses the skip link on the first Tab, and the skip link moves the keyboard to the main content', async () => {
    const page = await freshPage()
    await page.goto('/')
    await page.keyboard.press('Tab')

    const focused = page.locator(':focus')
    expect(await focused.getAttribute('class')).toBe('skip-link')
    expect(await focused.textContent()).toBe('Bỏ qua để đến nội dung chính')
    expect(await focused.isVisible()).toBe(true)
    const box = await focused.boundingBox()
    expect(box && box.x >= 0 && box.y >= 0 && box.width > 0).toBe(true)

    await page.keyboard.press('Enter')
    expect(new URL(page.url()).hash).toBe('#main')
    expect(await page.locator('main:focus').count()).toBe(1)
  })

  it('leaves space between the header, the page content and the footer', async () => {
    const page = await freshPage()
    // A long form: its button is the last thing in the main content, right above the footer.
    await page.goto('/register')
    const header = await page.locator('header.site-header').boundingBox()
    const heading = await page.locator('main h1').boundingBox()
    const button = await page.locator('main form button[type="submit"]').boundingBox()
    const footer = await page.locator('footer.site-footer').boundingBox()
    if (!header || !heading || !button || !footer) throw new Error('a part of the page is not displayed')

    // 16 px at least: the stylesheet asks for 1.5rem above and 3rem below the main content.
    expect(heading.y - (header.y + header.height), 'space above the heading').toBeGreaterThanOrEqual(16)
    expect(footer.y - (button.y + button.height), 'space above the footer').toBeGreaterThanOrEqual(16)
  })
})
