import { createHash } from 'node:crypto'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { parseEnvelope } from '../../src/modules/documents/edxml.js'
import { verifyWebhookSignature } from '../../src/modules/pubsub/index.js'
import { Visitor } from '../app.js'
import { AGENCY, documentsFixture } from '../documents.js'
import { samplePdf } from '../files.js'
import { startReceiver, systemClient } from '../lgsp.js'
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

// After the documents journey (documents.test.ts): what happens to a document once issued. The Sở recalls one
// and replaces another, and the ward on the platform sees both on its incoming documents; a công văn to an
// agency outside the platform goes over the LGSP to that agency's system (a real HTTP webhook).
let rig: BrowserRig
const contexts: BrowserContext[] = []
const { units, api, signIn, draftOutgoing, approveOutgoing, issueOutgoing } = documentsFixture(() => rig.t)
let pdf: Buffer
let receiver: Awaited<ReturnType<typeof startReceiver>>
const poll = { timeout: 30_000, interval: 250 }

beforeAll(async () => {
  if (skipBrowser) return
  rig = await startBrowserRig()
  // Packages for agencies outside go out through the job queue, as in production.
  await rig.t.app.jobs.start()
  await signIn(['vanthu.sokhcn', 'lanhdao.sokhcn', 'chuyenvien.sokhcn', 'quantri'])
  pdf = await samplePdf('Sở Khoa học và Công nghệ ban hành văn bản')
  receiver = await startReceiver()
}, 180_000)
afterAll(async () => {
  await receiver?.close()
  await rig?.close()
}, 180_000)
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close()))
})

/** Each person signs in at a browser of their own. */
async function as(username: string): Promise<Page> {
  const context = await rig.newContext()
  contexts.push(context)
  const page = await context.newPage()
  await logIn(page, username)
  return page
}

/**
 * A document of the Sở drafted, approved and issued through the API: the documents journey already takes one
 * through those pages. Returns its id and số/ký hiệu.
 */
async function issued(body: Record<string, unknown>) {
  const id = await draftOutgoing(body, pdf)
  await approveOutgoing(id, { signerPosition: 'Giám đốc' })
  const done = (await issueOutgoing(id)) as { codeNumber: string; codeNotation: string }
  return { id, code: `${done.codeNumber}/${done.codeNotation}` }
}

/** The row of a document in the incoming register, found by its số/ký hiệu. */
const registerRow = (page: Page, code: string) => page.locator('#documents tbody tr', { hasText: code })

describeInBrowser(
  'issued documents in the browser: recall, replacement, the LGSP',
  { timeout: 240_000 },
  () => {
    it('recalls a plan with a reason and replaces another through the approval chain; the ward sees the first recalled and the second replaced by the new one', async () => {
      const toWard = [{ kind: 'internal', unitId: units['phuong-thuc-phan'] }]
      const recalled = await issued({
        typeCode: 'ke-hoach',
        summary: 'Kế hoạch khảo sát hạ tầng số tại các xã biên giới năm 2027',
        recipients: toWard,
      })
      const first = await issued({
        typeCode: 'ke-hoach',
        summary: 'Kế hoạch kiểm tra an toàn thông tin năm 2027',
        recipients: toWard,
      })
      const reason = 'Phạm vi khảo sát chưa thống nhất với Bộ đội Biên phòng tỉnh'

      // 1. The Sở's clerk recalls the first plan on its page; without a reason the page says what is missing.
      const clerk = await as('vanthu.sokhcn')
      await clerk.goto(`/admin/documents/outgoing/${recalled.id}`)
      await submit(clerk, 'Thu hồi')
      expect(await texts(clerk, '.error-summary li')).toEqual([
        'Nhập lý do thu hồi (5 đến 2000 ký tự); nơi nhận sẽ nhận được lý do này.',
      ])
      // The summary and the label lead to the recall's own field, not to the update form's "reason" above it.
      expect(await clerk.locator('.error-summary a').getAttribute('href')).toBe('#recall-reason')
      await clerk.getByLabel('Lý do thu hồi').fill(reason)
      await submit(clerk, 'Thu hồi')
      expect(await text(clerk, '.notice')).toBe('Đã thu hồi văn bản.')
      expect(await text(clerk, '#withdrawn p')).toMatch(
        new RegExp(`^Văn bản đã bị thu hồi ngày .+: ${reason}$`),
      )
      expect(await clerk.locator('#recall-form').count()).toBe(0)
      // The ward's copy took the recall at once and answered "agreed" (15).
      expect(await text(clerk, '#recipients-table tbody tr')).toContain('15 — Đồng ý thu hồi văn bản.')

      // 2. The ward's clerk finds it recalled in the incoming register, and the reason on its page.
      const ward = await as('vanthu.thucphan')
      await ward.goto('/admin/documents/incoming')
      expect(await text(ward, `#documents tbody tr:has-text("${recalled.code}")`)).toContain('Đã bị thu hồi')
      await Promise.all([
        ward.waitForURL(/\/admin\/documents\/[0-9a-f-]{36}$/),
        registerRow(ward, recalled.code).getByRole('link', { name: recalled.code }).click(),
      ])
      expect(await text(ward, '#withdrawn p')).toMatch(
        new RegExp(`^Nơi gửi đã thu hồi văn bản này ngày .+: ${reason}\\. Không xử lý tiếp\\.$`),
      )
      expect(await text(ward, '#metadata')).toContain('Đã bị thu hồi')

      // 3. The specialist who drafted the second plan starts its replacement from its page (the leader of a
      //    one-leader unit cannot approve a draft of their own, so the specialist drafts it; the leader sees the
      //    link too).
      const leader = await as('lanhdao.sokhcn')
      await leader.goto(`/admin/documents/outgoing/${first.id}`)
      expect(await leader.getByRole('link', { name: 'Soạn văn bản thay thế' }).getAttribute('href')).toBe(
        `/admin/documents/outgoing/new?replaces=${first.id}`,
      )
      const specialist = await as('chuyenvien.sokhcn')
      await specialist.goto(`/admin/documents/outgoing/${first.id}`)
      await Promise.all([
        specialist.waitForURL(/\/admin\/documents\/outgoing\/new\?replaces=/),
        specialist.getByRole('link', { name: 'Soạn văn bản thay thế' }).click(),
      ])
      expect(await text(specialist, '#replaces')).toContain('Văn bản này thay thế văn bản đã phát hành')
      // The form starts from the plan it replaces: its summary and its recipients.
      expect(await specialist.getByLabel('Trích yếu nội dung').inputValue()).toBe(
        'Kế hoạch kiểm tra an toàn thông tin năm 2027',
      )
      expect(
        await specialist.locator(`input[name="internal_${units['phuong-thuc-phan']}"]`).isChecked(),
      ).toBe(true)
      await specialist
        .getByLabel('Trích yếu nội dung')
        .fill('Kế hoạch kiểm tra an toàn thông tin năm 2027 (thay thế)')
      await specialist.locator('#file').setInputFiles({
        name: 'ke-hoach-thay-the.pdf',
        mimeType: 'application/pdf',
        buffer: await samplePdf('Kế hoạch kiểm tra an toàn thông tin năm 2027 (thay thế)'),
      })
      await submit(specialist, 'Lưu dự thảo')
      expect(await text(specialist, '.notice')).toBe('Đã lưu dự thảo.')
      expect(await text(specialist, '#replaces')).toBe(
        `Văn bản này thay thế văn bản đã phát hành: ${first.code}`,
      )
      const draftUrl = specialist.url()
      await specialist.getByLabel('Lãnh đạo duyệt ban hành').selectOption({ label: 'Lương Văn Thành' })
      await submit(specialist, 'Trình')
      expect(await text(specialist, '.notice')).toBe('Đã trình duyệt dự thảo.')

      // 4. The leader approves it for issue; the clerk numbers, signs and issues it.
      await leader.goto(draftUrl)
      await leader.getByLabel('Thao tác').selectOption({ label: 'Duyệt ban hành' })
      await leader.getByLabel('Chức vụ người ký (khi duyệt ban hành)').fill('Giám đốc')
      await submit(leader, 'Gửi ý kiến')
      expect(await text(leader, '#metadata')).toContain('Đã duyệt, chờ phát hành')
      await clerk.goto(draftUrl)
      await submit(clerk, 'Cấp số, ký số và phát hành')
      expect(await text(clerk, '.notice')).toBe('Đã phát hành văn bản số 03/KH-SKHCN.')
      expect(await text(clerk, 'h1')).toBe('Kế hoạch số 03/KH-SKHCN')
      // The plan it replaces now says so, and links to its replacement.
      await clerk.goto(`/admin/documents/outgoing/${first.id}`)
      expect(await text(clerk, '#withdrawn p')).toMatch(
        /^Văn bản đã được thay thế ngày .+: Thay thế bằng văn bản số 03\/KH-SKHCN ngày \d\d\/\d\d\/\d{4}$/,
      )
      expect(await text(clerk, '#withdrawn a')).toBe('Xem văn bản thay thế (03/KH-SKHCN)')
      expect(await clerk.locator('#amend').count()).toBe(0)

      // 5. The ward: the second plan is replaced, and its page leads to the new one, which says what it replaces.
      await ward.goto('/admin/documents/incoming')
      expect(await text(ward, `#documents tbody tr:has-text("${first.code}")`)).toContain('Đã bị thay thế')
      expect(await text(ward, '#documents tbody tr:has-text("03/KH-SKHCN")')).toContain(
        'Kế hoạch kiểm tra an toàn thông tin năm 2027 (thay thế)',
      )
      await Promise.all([
        ward.waitForURL(/\/admin\/documents\/[0-9a-f-]{36}$/),
        registerRow(ward, first.code).getByRole('link', { name: first.code }).click(),
      ])
      expect(await text(ward, '#withdrawn p')).toMatch(
        /^Văn bản này đã được thay thế ngày .+: Thay thế bằng văn bản số 03\/KH-SKHCN ngày \d\d\/\d\d\/\d{4}\. Xử lý theo văn bản thay thế\.$/,
      )
      expect(await text(ward, '#metadata')).toContain('Đã bị thay thế')
      await Promise.all([
        ward.waitForURL(/\/admin\/documents\/[0-9a-f-]{36}$/),
        ward.getByRole('link', { name: 'Xem văn bản thay thế' }).click(),
      ])
      expect(await text(ward, 'h1')).toBe('Kế hoạch số 03/KH-SKHCN')
      expect(await texts(ward, '#history tbody tr')).toContainEqual(
        expect.stringMatching(
          new RegExp(`Văn bản thay thế văn bản đã nhận.*Thay thế văn bản số ${first.code} \\(số đến \\d+\\)`),
        ),
      )
    })

    it('sends a công văn to an agency outside the platform over the LGSP: the dispatch list shows it sent, and the agency’s system receives the signed edXML package', async () => {
      // The Government Office on the LGSP: a GOV member whose document system is a client of the platform's SSO.
      const admin = new Visitor(rig.t.app)
      await admin.login('quantri')
      const system = await systemClient(rig.t, admin, 'Hệ thống quản lý văn bản VPCP')
      const member = await api('quantri', 'POST', '/lgsp/members', {
        memberClass: 'GOV',
        memberCode: AGENCY.vpcp,
        name: 'Văn phòng Chính phủ',
      })
      expect(member.statusCode, member.body).toBe(201)
      const subsystem = await api(
        'quantri',
        'POST',
        `/lgsp/members/${member.json().id as string}/subsystems`,
        {
          code: 'QLVB',
          name: 'Quản lý văn bản — Văn phòng Chính phủ',
          ssoClientId: system.id,
        },
      )
      expect(subsystem.statusCode, subsystem.body).toBe(201)
      expect((await api('quantri', 'POST', '/pubsub/webhook-hosts', { host: '127.0.0.1' })).statusCode).toBe(
        201,
      )
      const toVpcp = [{ kind: 'external', agencyCode: AGENCY.vpcp, name: 'Văn phòng Chính phủ' }]

      // A document issued before the agency's system subscribes: its topic is made, the package stays a download.
      const early = await issued({
        typeCode: 'cong-van',
        division: 'VP',
        summary: 'V/v đề nghị kết nối hệ thống quản lý văn bản qua trục LGSP',
        recipients: toVpcp,
      })
      const clerk = await as('vanthu.sokhcn')
      const dispatch = async (id: string) => {
        await clerk.goto(`/admin/documents/outgoing/${id}`)
        return text(clerk, '#recipients-table tbody tr')
      }
      await expect.poll(() => dispatch(early.id), poll).toContain('Tải gói tin')

      // The agency's system subscribes to its topic with a webhook.
      const topic = `edxml.${AGENCY.vpcp.toLowerCase()}`
      const push = await api('quantri', 'POST', '/pubsub/subscriptions', {
        topic,
        clientId: system.id,
        mode: 'push',
        endpoint: `${receiver.url}/edxml`,
      })
      expect(push.statusCode, push.body).toBe(201)
      const secret = push.json().secret as string

      // The clerk issues the next công văn to it on the page; the dispatch list shows it sent over the LGSP.
      const id = await draftOutgoing(
        {
          typeCode: 'cong-van',
          division: 'VP',
          summary: 'V/v báo cáo kết quả chuyển đổi số năm 2026',
          recipients: toVpcp,
        },
        pdf,
      )
      await approveOutgoing(id, { signerPosition: 'Giám đốc' })
      await clerk.goto(`/admin/documents/outgoing/${id}`)
      await submit(clerk, 'Cấp số, ký số và phát hành')
      const notice = await text(clerk, '.notice')
      expect(notice).toMatch(/^Đã phát hành văn bản số \d\d\/SKHCN-VP\.$/)
      const code = notice.slice('Đã phát hành văn bản số '.length, -1)
      const sha256 = /SHA-256 ([0-9a-f]{64})/.exec(await text(clerk, '#signed'))?.[1]
      expect(sha256).toBeDefined()
      await expect.poll(() => dispatch(id), poll).toContain('Đã gửi qua trục LGSP')
      const row = await text(clerk, '#recipients-table tbody tr')
      expect(row).toContain(`Văn phòng Chính phủ (${AGENCY.vpcp})`)
      expect(row).toContain('Trục LGSP')
      expect(await texts(clerk, '#history tbody tr')).toContainEqual(
        expect.stringContaining('Gửi qua trục LGSP'),
      )
      // The early one is still a download: it goes when the clerk sends it again.
      expect(await dispatch(early.id)).toContain('Tải gói tin')

      // The agency's webhook received the package, signed by the LGSP, with the signed original inside.
      await expect.poll(() => receiver.accepted().length, poll).toBe(1)
      const [delivery] = receiver.accepted()
      expect(delivery!.headers['x-lgsp-topic']).toBe(topic)
      expect(
        verifyWebhookSignature(
          secret,
          {
            timestamp: delivery!.headers['x-lgsp-timestamp'] as string,
            signature: delivery!.headers['x-lgsp-signature'] as string,
          },
          delivery!.body,
        ),
      ).toBe(true)
      const event = JSON.parse(delivery!.body) as {
        key: string
        payload: { messageType: string; businessType: number; documentId: string; edxml: string }
      }
      const documentId = `${AGENCY.skhcn},${todayLocal().replace(/-/g, '/')},${code}`
      expect(event.key).toBe(documentId)
      expect(event.payload).toMatchObject({ messageType: 'edoc', businessType: 0, documentId })
      const read = parseEnvelope(event.payload.edxml)
      if (!read.ok) throw new Error(read.problems.join(' '))
      expect(read.package.document).toMatchObject({
        subject: 'V/v báo cáo kết quả chuyển đổi số năm 2026',
        codeNotation: 'SKHCN-VP',
        documentId,
      })
      expect(read.package.document.to.map((o) => o.organId)).toEqual([AGENCY.vpcp])
      expect(read.package.attachments).toHaveLength(1)
      expect(createHash('sha256').update(read.package.attachments[0]!.bytes).digest('hex')).toBe(sha256)
    })
  },
)

/** Today in Cao Bằng, as the server dates what it issues. */
function todayLocal(): string {
  return new Date(Date.now() + 7 * 3600_000).toISOString().slice(0, 10)
}
