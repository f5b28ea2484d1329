import type { AddressInfo } from 'node:net'
import { sql } from 'kysely'
import { SMTPServer } from 'smtp-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, html, Visitor, type TestApp } from '../../../test/app.js'
import { documentsFixture } from '../../../test/documents.js'
import { notificationsSettled, timerScanned } from '../../../test/settle.js'
import { shippedCalendar } from '../../platform/calendar/index.js'
import { loadConfig } from '../../platform/config.js'
import { officialsDirectory } from '../identity/index.js'
import { createOrganisationModule } from '../organisation/index.js'
import { createDocumentRemindersService, reminderDue } from './document-reminders.js'

const PUBLIC_URL = 'https://qlvb.caobang.gov.vn'
const EMAIL = { hanh: 'hanh.bt@sokhcn.caobang.gov.vn', thanh: 'thanh.lv@sokhcn.caobang.gov.vn' }
const poll = { timeout: 20_000, interval: 50 }

/** A real SMTP server on loopback: who received how many messages. */
class MailServer {
  readonly received: string[] = []
  readonly server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData: (stream, session, callback) => {
      stream.on('data', () => undefined)
      stream.on('end', () => {
        for (const rcpt of session.envelope.rcptTo) this.received.push(rcpt.address)
        callback()
      })
    },
  })

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    return (this.server.server.address() as AddressInfo).port
  }

  to(address: string): number {
    return this.received.filter((a) => a === address).length
  }
}

// Monday 23/11/2026, 09:00 in Cao Bằng. Three working days from now end on Thursday 26/11 at 17:00.
let now = new Date('2026-11-23T02:00:00Z')
const at = (local: string) => new Date(`${local}+07:00`)
const mail = new MailServer()
let t: TestApp
const { users: ids, units, api, signIn, registerIncoming } = documentsFixture(() => t)
let unitId = ''
/** Two more "processes" scanning the same database, besides the app's own timer. */
let workerA: ReturnType<typeof createDocumentRemindersService>
let workerB: ReturnType<typeof createDocumentRemindersService>

beforeAll(async () => {
  const smtpPort = await mail.start()
  t = await createTestApp({
    clock: () => now,
    env: {
      PUBLIC_URL,
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      NOTIFICATION_RETRY_MS: '50',
      // The app's own timer scans every 200 ms, beside the two extra workers of the tests.
      DOCUMENT_REMINDER_SCAN_MS: '200',
    },
  })
  const db = t.database.db
  await sql`update users set email = ${EMAIL.hanh} where username = 'chuyenvien.sokhcn'`.execute(db)
  await sql`update users set email = ${EMAIL.thanh} where username = 'lanhdao.sokhcn'`.execute(db)
  await signIn(['vanthu.sokhcn', 'lanhdao.sokhcn', 'chuyenvien.sokhcn'])
  unitId = units['so-khcn']!
  const deps = { db, config: t.config, clock: () => now }
  const worker = () =>
    createDocumentRemindersService({
      ...deps,
      organisation: createOrganisationModule(deps).service,
      officials: officialsDirectory(db),
    })
  workerA = worker()
  workerB = worker()
  await t.app.jobs.start()
})
afterAll(async () => {
  await t?.close()
  await new Promise<void>((resolve) => mail.server.close(() => resolve()))
})

let serial = 500
function registerDocument(summary: string, extra: Record<string, unknown> = {}): Promise<string> {
  return registerIncoming('vanthu.sokhcn', {
    codeNumber: String(serial++),
    codeNotation: 'UBND-VP',
    issuedOn: '2026-11-20',
    issuerName: 'Ủy ban nhân dân tỉnh Cao Bằng',
    issuerCode: '000.00.00.H14',
    typeCode: 'cong-van',
    summary,
    ...extra,
  })
}

async function assign(documentId: string, lead: { kind: 'user' | 'unit'; id: string }, days = 3) {
  const assigned = await api('lanhdao.sokhcn', 'POST', `/documents/${documentId}/assignments`, { lead, days })
  expect(assigned.statusCode, assigned.body).toBe(201)
  return assigned.json()[0] as { id: string; dueAt: string }
}

async function act(username: string, documentId: string, assignmentId: string, body: object) {
  const response = await api(
    username,
    'POST',
    `/documents/${documentId}/assignments/${assignmentId}/actions`,
    body,
  )
  expect(response.statusCode, response.body).toBe(200)
  return response.json()
}

async function reminders(documentId: string) {
  const result = await sql<{ kind: string; recipients: string[] }>`
    select r.kind, array(select rr.user_id::text from document_reminder_recipients rr
      where rr.reminder_id = r.id order by rr.user_id) as recipients
    from document_reminders r where r.document_id = ${documentId} order by r.created_at, r.kind`.execute(
    t.database.db,
  )
  return result.rows.map((r) => ({ kind: r.kind, recipients: [...r.recipients].sort() }))
}

async function messages(documentId: string) {
  const result = await sql<{
    recipient: string
    template: string
    status: string
    subject: string
    body: string
  }>`
    select recipient, template, status, subject, body from notifications
    where document_id = ${documentId} order by created_at, recipient`.execute(t.database.db)
  return result.rows
}

const settled = () => notificationsSettled(t, 'document.reminder_due', 'notifications.documents', poll)

const sorted = (...values: string[]) => [...values].sort()

async function countReminders(): Promise<number> {
  const result = await sql<{ n: number }>`select count(*)::int as n from document_reminders`.execute(
    t.database.db,
  )
  return result.rows[0]!.n
}

describe('when a reminder is due', () => {
  it('asks for one when one working day or less is left, and an overdue notice once the deadline passed', () => {
    const calendar = shippedCalendar()
    const due = at('2026-11-26T17:00:00')
    expect(reminderDue(at('2026-11-25T16:00:00'), due, 450, calendar)).toBeNull()
    expect(reminderDue(at('2026-11-25T17:00:00'), due, 450, calendar)).toBe('due_soon')
    expect(reminderDue(at('2026-11-26T16:59:00'), due, 450, calendar)).toBe('due_soon')
    expect(reminderDue(at('2026-11-26T17:01:00'), due, 450, calendar)).toBe('overdue')
    // A deadline on Monday: the weekend does not count, so the reminder comes on Friday at 17:00.
    const monday = at('2026-11-30T17:00:00')
    expect(reminderDue(at('2026-11-27T16:00:00'), monday, 450, calendar)).toBeNull()
    expect(reminderDue(at('2026-11-28T10:00:00'), monday, 450, calendar)).toBe('due_soon')
  })
})

describe('reminder settings', () => {
  it('defaults to one working day ahead and a scan every 15 minutes, and refuses bad values by name', () => {
    const config = loadConfig({ SECRET_KEY: 'test-secret-key-that-is-long-enough-000' }, '/srv/app')
    expect([config.documentReminderDays, config.documentReminderScanMs]).toEqual([1, 900_000])
    expect(() =>
      loadConfig(
        { SECRET_KEY: 'test-secret-key-that-is-long-enough-000', DOCUMENT_REMINDER_DAYS: '0' },
        '/srv/app',
      ),
    ).toThrow(/DOCUMENT_REMINDER_DAYS="0": phải là số nguyên từ 1 đến 10/)
    expect(() =>
      loadConfig(
        { SECRET_KEY: 'test-secret-key-that-is-long-enough-000', DOCUMENT_REMINDER_SCAN_MS: 'often' },
        '/srv/app',
      ),
    ).toThrow(/DOCUMENT_REMINDER_SCAN_MS="often"/)
  })
})

describe('deadline reminders of document assignments', () => {
  const doc: Record<string, string> = {}
  const assignment: Record<string, string> = {}

  beforeAll(async () => {
    now = at('2026-11-23T09:00:00')
    doc.person = await registerDocument('V/v báo cáo kết quả chuyển đổi số quý IV')
    doc.unit = await registerDocument('V/v cử cán bộ tham gia tập huấn an toàn thông tin')
    doc.secret = await registerDocument('V/v phương án bảo vệ bí mật nhà nước', {
      confidentiality: 'confidential',
    })
    doc.early = await registerDocument('V/v góp ý dự thảo quy chế')
    doc.later = await registerDocument('V/v tổng hợp số liệu đổi mới sáng tạo')
    doc.forwarded = await registerDocument('V/v rà soát thủ tục hành chính')
    const hanh = { kind: 'user', id: ids['chuyenvien.sokhcn']! } as const
    assignment.person = (await assign(doc.person, hanh)).id
    assignment.unit = (await assign(doc.unit, { kind: 'unit', id: unitId })).id
    assignment.secret = (await assign(doc.secret, hanh)).id
    assignment.early = (await assign(doc.early, hanh)).id
    assignment.later = (await assign(doc.later, hanh)).id
    assignment.forwarded = (await assign(doc.forwarded, { kind: 'unit', id: unitId })).id
    // Finished well before its deadline: nobody is ever reminded of it.
    await act('chuyenvien.sokhcn', doc.early, assignment.early, { action: 'complete' })
    // The unit's leader hands the unit's work to a specialist; the reminder follows the work.
    const forwarded = await act('lanhdao.sokhcn', doc.forwarded, assignment.forwarded, {
      action: 'forward',
      to: hanh,
    })
    assignment.forwardedTo = forwarded.forwarded.id
  })

  it('sends nothing while more than one working day is left', async () => {
    now = at('2026-11-24T09:00:00')
    expect(await workerA.scan()).toEqual({ dueSoon: 0, overdue: 0 })
    now = at('2026-11-25T16:00:00')
    expect(await workerA.scan()).toEqual({ dueSoon: 0, overdue: 0 })
    await timerScanned(t, 'documents.reminders', poll)
    expect(await countReminders()).toBe(0)
  })

  it('reminds once, one working day before, even with two workers scanning at the same time', async () => {
    now = at('2026-11-25T17:00:00')
    // Two workers twice each, and the app's timer, at the same time.
    const runs = await Promise.all([workerA.scan(), workerB.scan(), workerA.scan(), workerB.scan()])
    await timerScanned(t, 'documents.reminders', poll)
    expect(runs.reduce((sum, r) => sum + r.dueSoon, 0)).toBeLessThanOrEqual(5)
    expect(runs.every((r) => r.overdue === 0)).toBe(true)
    expect(await countReminders()).toBe(5)
    // Scanning again finds nothing new.
    expect(await workerB.scan()).toEqual({ dueSoon: 0, overdue: 0 })

    const hanh = ids['chuyenvien.sokhcn']!
    const thanh = ids['lanhdao.sokhcn']!
    expect(await reminders(doc.person!)).toEqual([{ kind: 'due_soon', recipients: [hanh] }])
    // A unit's work: its leaders are told.
    expect(await reminders(doc.unit!)).toEqual([{ kind: 'due_soon', recipients: [thanh] }])
    expect(await reminders(doc.secret!)).toEqual([{ kind: 'due_soon', recipients: [hanh] }])
    expect(await reminders(doc.early!)).toEqual([])
    // Forwarded before the reminder: only the specialist now holding the work hears of it.
    expect(await reminders(doc.forwarded!)).toEqual([{ kind: 'due_soon', recipients: [hanh] }])

    await settled()
    expect(mail.to(EMAIL.hanh)).toBe(4)
    expect(mail.to(EMAIL.thanh)).toBe(1)
    const [message] = await messages(doc.person!)
    expect(message).toMatchObject({ recipient: EMAIL.hanh, template: 'document_due_soon', status: 'sent' })
    expect(message!.subject).toMatch(/^Văn bản số \d+\/UBND-VP sắp đến hạn xử lý$/)
    expect(message!.body).toContain('Kính gửi đồng chí Bế Thị Hạnh,')
    expect(message!.body).toContain('chủ trì xử lý sẽ đến hạn vào 17:00 ngày 26/11/2026.')
    expect(message!.body).toContain('Trích yếu: V/v báo cáo kết quả chuyển đổi số quý IV')
    expect(message!.body).toContain(`${PUBLIC_URL}/admin/documents/${doc.person}`)
    // A confidential document's summary never travels by e-mail.
    const [secret] = await messages(doc.secret!)
    expect(secret!.subject).toMatch(/^Văn bản số đến \d+ sắp đến hạn xử lý$/)
    expect(secret!.body).not.toContain('bí mật')
    expect(secret!.body).not.toContain('Trích yếu')

    const history = (await api('chuyenvien.sokhcn', 'GET', `/documents/${doc.person}`)).json().history as {
      action: string
    }[]
    expect(history.map((h) => h.action)).toContain('reminder_due_soon')
  })

  it('lists the unread reminders on the official’s queue page until they are marked seen', async () => {
    const hanh = new Visitor(t.app)
    await hanh.login('chuyenvien.sokhcn')
    const page = html(await hanh.get('/admin/documents'))
    const items = page.querySelectorAll('#reminders li')
    expect(items).toHaveLength(4)
    expect(items.every((li) => li.getAttribute('data-kind') === 'due_soon')).toBe(true)
    expect(page.querySelector('#reminders')!.text).toContain(
      'Bạn có 4 nhắc việc chưa xem: 4 văn bản sắp đến hạn, 0 văn bản quá hạn.',
    )
    expect(page.querySelector('#reminders')!.text).toContain('V/v báo cáo kết quả chuyển đổi số quý IV')

    const marked = await hanh.post('/admin/documents/reminders/read', {})
    expect(marked.statusCode).toBe(303)
    expect(marked.headers.location).toBe('/admin/documents')
    const after = html(await hanh.get('/admin/documents'))
    expect(after.querySelector('#reminders')).toBeNull()
    expect(after.text).toContain('Đã đánh dấu đã xem 4 nhắc việc.')
    // The leader has not marked his: he still sees the unit's reminder.
    const thanh = new Visitor(t.app)
    await thanh.login('lanhdao.sokhcn')
    expect(html(await thanh.get('/admin/documents')).querySelectorAll('#reminders li')).toHaveLength(1)
  })

  it('refuses to mark reminders without a session, a CSRF token or back-office access', async () => {
    const anonymous = new Visitor(t.app)
    await anonymous.get('/login')
    const refused = await anonymous.post('/admin/documents/reminders/read', {})
    expect(refused.statusCode).toBe(303)
    expect(refused.headers.location).toMatch(/^\/login\?next=/)

    const thanh = new Visitor(t.app)
    await thanh.login('lanhdao.sokhcn')
    const forged = await thanh.post('/admin/documents/reminders/read', {}, { csrf: null })
    expect(forged.statusCode).toBe(403)
    expect(html(await thanh.get('/admin/documents')).querySelectorAll('#reminders li')).toHaveLength(1)

    const citizen = new Visitor(t.app)
    await citizen.login('congdan')
    await citizen.get('/account')
    const denied = await citizen.post('/admin/documents/reminders/read', {})
    expect(denied.statusCode).toBe(403)
  })

  it('stops reminding once the work is completed, and sends the overdue notice to the assignee and the leader who assigned it', async () => {
    now = at('2026-11-26T09:00:00')
    await act('chuyenvien.sokhcn', doc.later!, assignment.later!, { action: 'complete' })
    now = at('2026-11-26T17:30:00')
    const first = await workerA.scan()
    expect(first.dueSoon).toBe(0)
    expect(first.overdue).toBeLessThanOrEqual(4)
    await timerScanned(t, 'documents.reminders', poll)
    expect(await countReminders()).toBe(5 + 4)
    expect(await Promise.all([workerA.scan(), workerB.scan()])).toEqual([
      { dueSoon: 0, overdue: 0 },
      { dueSoon: 0, overdue: 0 },
    ])

    const hanh = ids['chuyenvien.sokhcn']!
    const thanh = ids['lanhdao.sokhcn']!
    expect(await reminders(doc.person!)).toEqual([
      { kind: 'due_soon', recipients: [hanh] },
      { kind: 'overdue', recipients: sorted(hanh, thanh) },
    ])
    // The leader leads the unit and assigned it: told once.
    expect((await reminders(doc.unit!))[1]).toEqual({ kind: 'overdue', recipients: [thanh] })
    // Forwarded work: the leader who first assigned it is told, not only whoever forwarded it.
    expect((await reminders(doc.forwarded!))[1]).toEqual({ kind: 'overdue', recipients: sorted(hanh, thanh) })
    // Completed after its reminder: no overdue notice.
    expect(await reminders(doc.later!)).toEqual([{ kind: 'due_soon', recipients: [hanh] }])
    expect(await reminders(doc.early!)).toEqual([])

    await settled()
    expect(mail.to(EMAIL.hanh)).toBe(4 + 3)
    expect(mail.to(EMAIL.thanh)).toBe(1 + 4)
    const overdue = (await messages(doc.person!)).filter((m) => m.template === 'document_overdue')
    expect(overdue.map((m) => m.recipient).sort()).toEqual(sorted(EMAIL.hanh, EMAIL.thanh))
    expect(overdue[0]!.subject).toMatch(/^Văn bản số \d+\/UBND-VP đã quá hạn xử lý$/)
    expect(overdue[0]!.body).toContain('đã quá hạn từ 17:00 ngày 26/11/2026 mà chưa hoàn thành.')

    // The leader's queue: the overdue notices replace the earlier reminder of the same work.
    const leader = new Visitor(t.app)
    await leader.login('lanhdao.sokhcn')
    const items = html(await leader.get('/admin/documents')).querySelectorAll('#reminders li')
    expect(items.map((li) => li.getAttribute('data-kind'))).toEqual([
      'overdue',
      'overdue',
      'overdue',
      'overdue',
    ])
    // The officials' own notifications page lists what was sent to them.
    const sent = html(await leader.get('/account/notifications'))
    expect(sent.querySelectorAll('#notifications tbody tr').length).toBeGreaterThanOrEqual(5)
    expect(sent.text).toContain('Văn bản được giao xử lý')
  })

  it('runs from the platform’s job timer alone', async () => {
    now = at('2026-11-27T09:00:00')
    const document = await registerDocument('V/v chuẩn bị hội nghị tổng kết năm')
    // From Friday morning, one working day ends on Monday 30/11 at 17:00.
    const due = await assign(document, { kind: 'user', id: ids['chuyenvien.sokhcn']! }, 1)
    expect(due.dueAt).toBe('2026-11-30T10:00:00.000Z')
    await timerScanned(t, 'documents.reminders', poll)
    expect(await reminders(document)).toEqual([])
    now = at('2026-11-27T17:00:00')
    await expect.poll(async () => (await reminders(document)).map((r) => r.kind), poll).toEqual(['due_soon'])
    await settled()
    expect((await messages(document)).map((m) => [m.recipient, m.status])).toEqual([[EMAIL.hanh, 'sent']])
  })
})
