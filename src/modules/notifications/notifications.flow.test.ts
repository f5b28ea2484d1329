import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { SMTPServer } from 'smtp-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiToken, html, requiredDocuments, Visitor, type TestApp } from '../../../test/app.js'
import { createTestDatabase } from '../../../test/database.js'
import { samplePdf } from '../../../test/files.js'
import { buildApp } from '../../app.js'
import { loadConfig } from '../../platform/config.js'
import { emitEvent } from '../../platform/events/outbox.js'
import { seed } from '../../seed.js'
import { formatVietnamTime } from './notification-plan.js'
import { SmsGateway } from '../../../test/sms-gateway.js'

// 1.004873 (xác nhận tình trạng hôn nhân): 15,000 đồng before intake, handled by the ward of Thục Phán.
const PROCEDURE = '1.004873'
const PUBLIC_URL = 'https://dichvucong.caobang.gov.vn'
const EMAIL = 'an.nguyen@example.vn'
const MOBILE = '84912000001'
const SMS_TOKEN = 'cb-test-sms-token'
const poll = { timeout: 20_000, interval: 25 }

type Mail = { to: string[]; subject: string; text: string; html: string }

/** Decodes RFC 2047 encoded words, joining adjacent ones before decoding so no character is split. */
function decodeWords(value: string): string {
  const word = /=\?utf-8\?([qb])\?([^?]*)\?=/gi
  let out = ''
  let bytes: number[] = []
  let last = 0
  for (const match of value.matchAll(word)) {
    const between = value.slice(last, match.index)
    if (!/^\s*$/.test(between) || last === 0) {
      out += Buffer.from(bytes).toString('utf8') + between
      bytes = []
    }
    const data =
      match[1]!.toLowerCase() === 'b'
        ? Buffer.from(match[2]!, 'base64')
        : quotedPrintable(match[2]!.replace(/_/g, ' '))
    bytes.push(...data)
    last = match.index + match[0].length
  }
  return out + Buffer.from(bytes).toString('utf8') + value.slice(last)
}

function quotedPrintable(text: string): Buffer {
  const bytes: number[] = []
  const joined = text.replace(/=\r?\n/g, '')
  for (let i = 0; i < joined.length; i++) {
    const hex = joined.slice(i + 1, i + 3)
    if (joined[i] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(parseInt(hex, 16))
      i += 2
    } else bytes.push(joined.charCodeAt(i))
  }
  return Buffer.from(bytes)
}

function splitPart(raw: string): { headers: Record<string, string>; body: string } {
  const at = raw.search(/\r?\n\r?\n/)
  const head = raw.slice(0, at).replace(/\r?\n[ \t]+/g, ' ')
  const headers: Record<string, string> = {}
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
  }
  return { headers, body: raw.slice(at).replace(/^\r?\n\r?\n/, '') }
}

function decodeBody(part: { headers: Record<string, string>; body: string }): string {
  const encoding = part.headers['content-transfer-encoding']?.toLowerCase()
  if (encoding === 'base64') return Buffer.from(part.body, 'base64').toString('utf8')
  if (encoding === 'quoted-printable') return quotedPrintable(part.body).toString('utf8')
  return part.body
}

/** What a mail client would show: the subject, and the text and HTML alternatives. */
function readMail(raw: string, to: string[]): Mail {
  const message = splitPart(raw)
  const mail: Mail = { to, subject: decodeWords(message.headers.subject ?? ''), text: '', html: '' }
  const boundary = /boundary="?([^";]+)"?/.exec(message.headers['content-type'] ?? '')?.[1]
  const parts = boundary
    ? message.body
        .split(`--${boundary}`)
        .slice(1, -1)
        .map((p) => splitPart(p.replace(/^\r?\n/, '')))
    : [message]
  for (const part of parts) {
    const type = part.headers['content-type'] ?? 'text/plain'
    const body = decodeBody(part).replace(/\r\n/g, '\n')
    if (type.startsWith('text/html')) mail.html = body
    else if (type.startsWith('text/plain')) mail.text = body.trimEnd()
  }
  return mail
}

/** A real SMTP server on loopback; it can answer 451 (try again later) to the next few recipients. */
class MailServer {
  readonly received: Mail[] = []
  refuseNext = 0
  refused = 0
  readonly server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onRcptTo: (_address, _session, callback) => {
      if (this.refuseNext > 0) {
        this.refuseNext--
        this.refused++
        callback(Object.assign(new Error('Hộp thư tạm thời không nhận thư'), { responseCode: 451 }))
        return
      }
      callback()
    },
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((r) => r.address)
        this.received.push(readMail(Buffer.concat(chunks).toString('utf8'), to))
        callback()
      })
    },
  })

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    return (this.server.server.address() as AddressInfo).port
  }

  about(code: string, subject: string): Mail[] {
    return this.received.filter((m) => m.subject.includes(code) && m.subject.includes(subject))
  }
}

const mail = new MailServer()
const sms = new SmsGateway(SMS_TOKEN)
const logs: { level: number; msg: string; notification?: { dossierCode?: string; channel?: string } }[] = []
// Deadlines from a fixed Friday 09:00 in Cao Bằng, with time still moving so rows keep their order.
const startedAt = Date.now()
const clock = () => new Date(Date.parse('2026-11-27T02:00:00Z') + Date.now() - startedAt)
let t: TestApp
const tokens: Record<string, string> = {}
let wardId = ''
let citizenId = ''
let answers: Record<string, string> = {}
let code = ''

beforeAll(async () => {
  const [smtpPort, smsPort] = [await mail.start(), await sms.start()]
  const database = await createTestDatabase()
  const dataDir = mkdtempSync(join(tmpdir(), 'cb-notify-'))
  const config = loadConfig({
    SECRET_KEY: 'test-secret-key-that-is-long-enough-000',
    DATA_DIR: dataDir,
    PUBLIC_URL,
    SECURE_COOKIES: 'false',
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    SMS_GATEWAY_URL: `http://127.0.0.1:${smsPort}/api/sms/send`,
    SMS_GATEWAY_TOKEN: SMS_TOKEN,
    NOTIFICATION_RETRY_MS: '50',
    NOTIFICATION_MAX_ATTEMPTS: '3',
  })
  await seed(database.db, config, true)
  // The demo citizen has a phone but no e-mail address in the seed.
  await sql`update users set email = ${EMAIL} where username = 'congdan'`.execute(database.db)
  const app = await buildApp({
    config,
    database,
    clock,
    logger: { level: 'warn', stream: { write: (line: string) => logs.push(JSON.parse(line)) } },
  })
  await app.ready()
  t = {
    app,
    database,
    config,
    async close() {
      await app.close()
      await database.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
  await t.app.jobs.start()
  for (const username of ['congdan', 'motcua.thucphan', 'chuyenvien.thucphan', 'lanhdao.thucphan'])
    tokens[username] = await apiToken(t, username)
  wardId = (
    await sql<{ id: string }>`select id from org_units where key = 'phuong-thuc-phan'`.execute(database.db)
  ).rows[0]!.id
  citizenId = (
    await sql<{ id: string }>`select id from users where username = 'congdan'`.execute(database.db)
  ).rows[0]!.id
  const procedure = (await t.app.inject({ url: `/api/v1/procedures/${PROCEDURE}` })).json()
  answers = {
    applicantFullName: 'Nguyễn Văn An',
    applicantIdNumber: '004090000001',
    applicantBirthDate: '1990-05-01',
    ...Object.fromEntries(
      procedure.form
        .filter((f: { options?: string[] }) => f.options?.length)
        .map((f: { name: string; options: string[] }) => [f.name, f.options[0]]),
    ),
  }
})
afterAll(async () => {
  await t?.close()
  await new Promise<void>((resolve) => mail.server.close(() => resolve()))
  await sms.close()
})

const as = (username: string) => ({ authorization: `Bearer ${tokens[username]}` })

async function submit(): Promise<string> {
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/v1/dossiers',
    headers: as('congdan'),
    payload: {
      procedureCode: PROCEDURE,
      unitId: wardId,
      form: answers,
      documents: await requiredDocuments(t, tokens.congdan!, PROCEDURE, await samplePdf()),
    },
  })
  expect(created.statusCode, created.body).toBe(201)
  return created.json().code as string
}

async function act(username: string, body: Record<string, unknown>) {
  const response = await t.app.inject({
    method: 'POST',
    url: `/api/v1/dossiers/${code}/actions`,
    headers: as(username),
    payload: body,
  })
  expect(response.statusCode, response.body).toBe(200)
  return response.json()
}

async function dossierStatus(): Promise<string> {
  return (await t.app.inject({ url: `/api/v1/dossiers/${code}`, headers: as('congdan') })).json().status
}

async function rows(where = sql`true`) {
  const result = await sql<{
    id: string
    channel: string
    template: string
    status: string
    attempts: number
    last_error: string | null
  }>`select id, channel, template, status, attempts, last_error from notifications where ${where}
    order by created_at, channel`.execute(t.database.db)
  return result.rows
}

/** Every event read by the consumer and every message job finished: nothing more will arrive. */
async function settled() {
  await expect
    .poll(async () => {
      const result = await sql<{ live: number; unread: number }>`
        select
          (select count(*)::int from jobs where queue = 'notifications.send'
            and state in ('queued', 'running', 'failed')) as live,
          (select count(*)::int from outbox where seq is null
            or seq > (select last_seq from outbox_cursors where consumer = 'notifications')) as unread`.execute(
        t.database.db,
      )
      return result.rows[0]
    }, poll)
    .toEqual({ live: 0, unread: 0 })
}

describe('notifications of an online dossier', () => {
  it('confirms an online submission by e-mail and SMS, sending once the e-mail the server first refused (451)', async () => {
    mail.refuseNext = 1
    code = await submit()
    await expect.poll(() => mail.about(code, 'đã được gửi trực tuyến').length, poll).toBe(1)
    await settled()
    expect(mail.refused).toBe(1)
    const [message] = mail.about(code, 'đã được gửi trực tuyến')
    expect(message!.to).toEqual([EMAIL])
    expect(message!.subject).toBe(`Hồ sơ ${code} đã được gửi trực tuyến`)
    expect(message!.text).toContain('Kính gửi Ông/Bà,')
    expect(message!.text).toContain(`Mã hồ sơ: ${code}\nThủ tục: Cấp Giấy xác nhận tình trạng hôn nhân`)
    expect(message!.text).toContain(`Theo dõi hồ sơ (sau khi đăng nhập): ${PUBLIC_URL}/dossiers/${code}`)
    expect(message!.html).toContain(`<a href="${PUBLIC_URL}/track">${PUBLIC_URL}/track</a>`)
    expect(sms.about(code)).toEqual([
      {
        to: MOBILE,
        text: `DVC Cao Bang: da nhan ho so truc tuyen ${code}, dang cho tiep nhan. Tra cuu: ${PUBLIC_URL}/track`,
      },
    ])
    expect(await rows(sql`dossier_code = ${code}`)).toMatchObject([
      { channel: 'email', template: 'submitted', status: 'sent', attempts: 2, last_error: null },
      { channel: 'sms', template: 'submitted', status: 'sent', attempts: 1 },
    ])
    expect(await dossierStatus()).toBe('submitted')
  })

  it('acknowledges the fee, then gives the appointment when the dossier is accepted', async () => {
    const paid = await t.app.inject({
      method: 'POST',
      url: `/api/v1/dossiers/${code}/cash-payment`,
      headers: as('motcua.thucphan'),
      payload: { reference: 'BL-0007' },
    })
    expect(paid.statusCode, paid.body).toBe(200)
    await expect.poll(() => mail.about(code, 'Đã nhận phí, lệ phí').length, poll).toBe(1)
    const fee = mail.about(code, 'Đã nhận phí, lệ phí')[0]!
    expect(fee.text).toContain(`Đã ghi nhận Ông/Bà nộp 15.000 đồng phí, lệ phí cho hồ sơ ${code}`)
    expect(fee.text).toContain('Hình thức: nộp tiền mặt tại Bộ phận Tiếp nhận và Trả kết quả')

    const received = await act('motcua.thucphan', { action: 'receive' })
    await expect.poll(() => mail.about(code, 'đã được tiếp nhận').length, poll).toBe(1)
    const dueAt = formatVietnamTime(received.dueAt as string)
    const accepted = mail.about(code, 'đã được tiếp nhận')[0]!
    expect(accepted.text).toContain('Ủy ban nhân dân phường Thục Phán đã tiếp nhận hồ sơ của Ông/Bà.')
    expect(accepted.text).toContain(`Ngày hẹn trả kết quả: ${dueAt}`)
    await expect.poll(() => sms.about(code).length, poll).toBe(3)
    expect(sms.about(code)[2]!.text).toBe(
      `DVC Cao Bang: ho so ${code} da duoc tiep nhan, hen tra ket qua ${dueAt.replace('ngày', 'ngay')}. Tra cuu: ${PUBLIC_URL}/track`,
    )
  })

  it('asks for the supplement with the officer’s words and how to send it online; the answer sends nothing', async () => {
    await act('motcua.thucphan', { action: 'request_supplement', note: 'Bổ sung bản sao giấy khai sinh' })
    await expect.poll(() => mail.about(code, 'cần bổ sung giấy tờ').length, poll).toBe(1)
    const request = mail.about(code, 'cần bổ sung giấy tờ')[0]!
    expect(request.text).toContain('Nội dung cần bổ sung: Bổ sung bản sao giấy khai sinh')
    expect(request.text).toContain(
      `Gửi bổ sung trực tuyến: đăng nhập Cổng Dịch vụ công, mở hồ sơ tại ${PUBLIC_URL}/dossiers/${code}, chọn "Nộp bổ sung"`,
    )
    await expect.poll(() => sms.about(code).length, poll).toBe(4)
    expect(sms.about(code)[3]!.text).toBe(
      `DVC Cao Bang: ho so ${code} can bo sung: Bo sung ban sao giay khai sinh. Nop bo sung tai dichvucong.caobang.gov.vn hoac Bo phan mot cua.`,
    )
    const before = mail.received.length
    await act('congdan', { action: 'provide_supplement' })
    await settled()
    expect(mail.received.length).toBe(before)
  })

  it('apologises with the new appointment when the time is extended', async () => {
    const extended = await act('motcua.thucphan', {
      action: 'extend',
      days: 2,
      note: 'Cần xác minh thông tin tại nơi cư trú',
    })
    // dossiers.service emits status events only when the status changes, and an extension keeps it: the event
    // it owes this consumer is written here as the service would write it.
    const emitted = await sql<{ n: number }>`
      select count(*)::int as n from outbox
      where topic = 'dossier.status_changed' and payload->>'code' = ${code} and payload->>'action' = 'extend'`.execute(
      t.database.db,
    )
    if (emitted.rows[0]!.n === 0) {
      await emitEvent(t.database.db, 'dossier.status_changed', {
        code,
        procedureCode: PROCEDURE,
        unitId: wardId,
        status: extended.status,
        nationalStatus: extended.nationalStatus,
        action: 'extend',
        at: clock().toISOString(),
        channel: 'online',
        receivedAt: extended.receivedAt,
        dueAt: extended.dueAt,
        finishedAt: null,
        feeAmount: 15_000,
        files: 2,
        applicantUserId: citizenId,
        applicantName: 'Nguyễn Văn An',
        applicantIdNumber: '004090000001',
        applicantEmail: EMAIL,
        applicantPhone: '0912000001',
        procedureName: 'Cấp Giấy xác nhận tình trạng hôn nhân',
        note: 'Cần xác minh thông tin tại nơi cư trú',
      })
    }
    await expect.poll(() => mail.about(code, 'Thư xin lỗi').length, poll).toBe(1)
    const apology = mail.about(code, 'Thư xin lỗi')[0]!
    expect(apology.subject).toBe(`Thư xin lỗi và hẹn lại ngày trả kết quả hồ sơ ${code}`)
    expect(apology.text).toContain('Lý do: Cần xác minh thông tin tại nơi cư trú')
    expect(apology.text).toContain(`Ngày hẹn trả kết quả mới: ${formatVietnamTime(extended.dueAt as string)}`)
  })

  it('says where to get the result with the SMS gateway down: the SMS is retried, then failed and logged', async () => {
    sms.down = true
    const refusedBefore = sms.refused.length
    await act('motcua.thucphan', { action: 'forward' })
    await act('chuyenvien.thucphan', { action: 'forward' })
    await act('lanhdao.thucphan', { action: 'approve' })
    await expect.poll(() => mail.about(code, 'đã có kết quả').length, poll).toBe(1)
    const ready = mail.about(code, 'đã có kết quả')[0]!
    expect(ready.text).toContain(
      `Kết quả điện tử được trả trên Cổng Dịch vụ công: Ông/Bà đăng nhập và tải về tại ${PUBLIC_URL}/dossiers/${code}`,
    )
    await settled()
    expect(sms.refused.length - refusedBefore).toBe(3)
    const [failed] = await rows(sql`dossier_code = ${code} and template = 'result_ready' and channel = 'sms'`)
    expect(failed).toMatchObject({ status: 'failed', attempts: 3 })
    expect(failed!.last_error).toMatch(/^Cổng SMS trả lời HTTP 503/)
    const job = await sql<{ state: string }>`
      select state from jobs where queue = 'notifications.send' and payload->>'id' = ${failed!.id}`.execute(
      t.database.db,
    )
    expect(job.rows).toEqual([{ state: 'dead' }])
    const logged = logs.filter(
      (l) => l.notification?.dossierCode === code && l.notification.channel === 'sms',
    )
    expect(logged.filter((l) => l.level === 40)).toHaveLength(2)
    expect(logged.filter((l) => l.level === 50).map((l) => l.msg)).toEqual([
      'notification not sent after its last attempt; marked failed',
    ])
    expect(await dossierStatus()).toBe('approved')
  })

  it('lets an administrator of the ward send the failed SMS again, and no one else', async () => {
    sms.down = false
    const [failed] = await rows(sql`status = 'failed'`)
    for (const username of ['congdan', 'motcua.thucphan']) {
      const visitor = new Visitor(t.app)
      await visitor.login(username)
      expect((await visitor.get('/admin/notifications')).statusCode, username).toBe(403)
    }
    const otherUnit = new Visitor(t.app)
    await otherUnit.login('qt.sokhcn')
    const theirs = await otherUnit.get('/admin/notifications?status=failed')
    expect(theirs.statusCode).toBe(200)
    expect(html(theirs).querySelectorAll('#notifications tbody tr')).toHaveLength(0)
    expect((await otherUnit.post(`/admin/notifications/${failed!.id}/retry`, {})).statusCode).toBe(404)

    const admin = new Visitor(t.app)
    await admin.login('qt.thucphan')
    const page = await admin.get('/admin/notifications?status=failed')
    const row = html(page).querySelector(`tr[data-id="${failed!.id}"]`)!
    expect(row.text).toContain('091****001')
    expect(page.body).not.toContain(MOBILE)
    const action = row.querySelector('form')!.getAttribute('action')!
    const retried = await admin.post(action, {})
    expect(retried.statusCode).toBe(303)
    expect(retried.headers.location).toBe('/admin/notifications?status=failed')
    await expect.poll(() => sms.about(code).some((m) => m.text.includes('da co ket qua')), poll).toBe(true)
    await settled()
    expect(await rows(sql`id = ${failed!.id}`)).toMatchObject([{ status: 'sent', attempts: 4 }])
    expect((await admin.post(action, {})).statusCode).toBe(409)
    const audit = await sql<{ n: number }>`
      select count(*)::int as n from audit_pending where action = 'notification.retried' and object_id = ${failed!.id}
      union all
      select count(*)::int from audit_log where action = 'notification.retried' and object_id = ${failed!.id}`.execute(
      t.database.db,
    )
    expect(audit.rows.reduce((sum, r) => sum + r.n, 0)).toBe(1)
  })

  it('shows the citizen their own messages, with the addresses masked', async () => {
    const citizen = new Visitor(t.app)
    await citizen.login('congdan')
    const page = await citizen.get('/account/notifications')
    expect(page.statusCode).toBe(200)
    const shown = html(page).querySelectorAll('#notifications tbody tr')
    expect(shown).toHaveLength((await rows()).length)
    expect(page.body).toContain('a***@example.vn')
    expect(page.body).not.toContain(EMAIL)
    const summaries = html(page)
      .querySelectorAll('#notifications details summary')
      .map((s) => s.text)
    // E-mails by their subject, SMS by the kind of message.
    expect(summaries).toContain(`Hồ sơ ${code} đã có kết quả`)
    expect(summaries).toContain('Hồ sơ đã có kết quả')
  })

  it('sends nothing twice when the outbox delivers the same events again', async () => {
    await settled()
    const before = { mails: mail.received.length, sms: sms.received.length, rows: (await rows()).length }
    const contactSavedAt = async () =>
      (
        await sql<{ at: Date }>`
          select updated_at as at from notification_contacts where dossier_code = ${code}`.execute(
          t.database.db,
        )
      ).rows[0]!.at.getTime()
    const savedBefore = await contactSavedAt()
    // Rewinding the cursor makes the dispatcher hand every event over again, as after a crash before its ack.
    await sql`update outbox_cursors set last_seq = 0 where consumer = 'notifications'`.execute(t.database.db)
    const next = await submit()
    await expect.poll(() => mail.about(next, 'đã được gửi trực tuyến').length, poll).toBe(1)
    await settled()
    expect(mail.received.length).toBe(before.mails + 1)
    expect(sms.received.length).toBe(before.sms + 1)
    expect((await rows()).length).toBe(before.rows + 2)
    // The first dossier's events were read again: its contact was written again by them.
    expect(await contactSavedAt()).toBeGreaterThan(savedBefore)
  })
})
