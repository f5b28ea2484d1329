import type { AddressInfo } from 'node:net'
import { sql } from 'kysely'
import { SMTPServer } from 'smtp-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, errorSummary, html, multipartBody, Visitor, type TestApp } from '../../../test/app.js'
import { documentsFixture, OFFICIALS } from '../../../test/documents.js'
import { samplePdf } from '../../../test/files.js'
import { notificationsSettled } from '../../../test/settle.js'
import { SmsGateway } from '../../../test/sms-gateway.js'

// Editing a convened meeting, and the e-mails and SMS its attendees receive (through the notifications module and
// the job queue, to a real SMTP server and a brandname SMS gateway stand-in on loopback).

const PUBLIC_URL = 'https://qlvb.caobang.gov.vn'
const poll = { timeout: 20_000, interval: 50 }
const EMAIL: Record<string, string> = {
  'lanhdao.sokhcn': 'thanh.lv@sokhcn.caobang.gov.vn',
  'chuyenvien.sokhcn': 'hanh.bt@sokhcn.caobang.gov.vn',
  'vanthu.sokhcn': 'thu.tt@sokhcn.caobang.gov.vn',
  'lanhdao.thucphan': 'hung.nv@thucphan.caobang.gov.vn',
  'chuyenvien.thucphan': 'nga.ht@thucphan.caobang.gov.vn',
}

/**
 * "=?UTF-8?B?…?=" and "=?UTF-8?Q?…?=" words of a header, decoded: adjacent words are joined (RFC 2047) and their
 * bytes decoded together, as a character may be split between two words.
 */
function decodeHeader(value: string): string {
  const bytes = value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?utf-8\?([bq])\?([^?]*)\?=/gi, (_, kind: string, data: string) =>
      kind.toLowerCase() === 'b'
        ? Buffer.from(data, 'base64').toString('latin1')
        : data
            .replace(/_/g, ' ')
            .replace(/=([0-9a-f]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    )
  return Buffer.from(bytes, 'latin1').toString('utf8')
}

/** A real SMTP server on loopback: each message received, by envelope recipient, with its decoded subject. */
class MailServer {
  readonly received: { to: string; subject: string }[] = []
  readonly server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => {
        const head = Buffer.concat(chunks)
          .toString('utf8')
          .split(/\r?\n\r?\n/)[0]!
          .replace(/\r?\n[ \t]+/g, ' ')
        const subject = decodeHeader(/^Subject: (.*)$/im.exec(head)?.[1] ?? '')
        for (const rcpt of session.envelope.rcptTo) this.received.push({ to: rcpt.address, subject })
        callback()
      })
    },
  })

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    return (this.server.server.address() as AddressInfo).port
  }

  /** The subjects received by one of the people, in order. */
  subjects(username: string): string[] {
    return this.received.filter((m) => m.to === EMAIL[username]).map((m) => m.subject)
  }
}

// Friday 27/11/2026 09:00 in Cao Bằng; the meeting is on Monday 30/11 from 08:00 to 11:00.
let now = new Date('2026-11-27T02:00:00Z')
const mail = new MailServer()
const SMS_TOKEN = 'cb-test-sms-token'
const sms = new SmsGateway(SMS_TOKEN)
/** The clerk of the Sở has a mobile number on her account: meeting notices reach her by SMS too. */
const CLERK_MOBILE = '84987654321'
let t: TestApp
const { users, units, as, api, signIn, registerIncoming } = documentsFixture(() => t)
let meetingId = ''
const TITLE = 'Họp triển khai kế hoạch chuyển đổi số năm 2027'

beforeAll(async () => {
  const [smtpPort, smsPort] = [await mail.start(), await sms.start()]
  t = await createTestApp({
    clock: () => now,
    env: {
      PUBLIC_URL,
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      SMS_GATEWAY_URL: `http://127.0.0.1:${smsPort}/api/sms/send`,
      SMS_GATEWAY_TOKEN: SMS_TOKEN,
      NOTIFICATION_RETRY_MS: '50',
    },
  })
  for (const [username, email] of Object.entries(EMAIL))
    await sql`update users set email = ${email} where username = ${username}`.execute(t.database.db)
  await sql`update users set phone = '0987654321' where username = 'vanthu.sokhcn'`.execute(t.database.db)
  await signIn(OFFICIALS)
  await t.app.jobs.start()
})
afterAll(async () => {
  await t?.close()
  await new Promise<void>((resolve) => mail.server.close(() => resolve()))
  await sms.close()
})

/** The e-mails written about a meeting to one person, oldest first, as the notifications table keeps them. */
const settled = () => notificationsSettled(t, 'meeting.notice', 'notifications.meetings', poll)

async function messagesTo(id: string, username: string) {
  const result = await sql<{ template: string; status: string; subject: string; body: string }>`
    select template, status, subject, body from notifications
    where meeting_id = ${id} and user_id = ${users[username]!} and channel = 'email'
    order by created_at, event_seq`.execute(t.database.db)
  return result.rows
}

async function meetingView(id: string, username = 'lanhdao.sokhcn') {
  const response = await api(username, 'GET', `/meetings/${id}`)
  expect(response.statusCode, response.body).toBe(200)
  return response.json()
}

const patch = (username: string, id: string, body: Record<string, unknown>) =>
  t.app.inject({
    method: 'PATCH',
    url: `/api/v1/meetings/${id}`,
    headers: as(username),
    payload: body,
  })

describe('convening', () => {
  it('sends the invitation to each attendee by e-mail, and none to the organiser', async () => {
    const created = await api('lanhdao.sokhcn', 'POST', '/meetings', {
      title: TITLE,
      startsAt: '2026-11-30T08:00',
      endsAt: '2026-11-30T11:00',
      place: 'Phòng họp tầng 2, Sở Khoa học và Công nghệ',
      guestUnitIds: [units['phuong-thuc-phan']],
      attendeeIds: [users['chuyenvien.sokhcn'], users['vanthu.sokhcn'], users['lanhdao.thucphan']],
      agenda: [
        { title: 'Báo cáo kết quả năm 2026', presenter: 'Phòng Chuyển đổi số' },
        { title: 'Thảo luận kế hoạch năm 2027' },
      ],
      videoUrl: 'https://hop.caobang.gov.vn/phong-khcn',
    })
    expect(created.statusCode, created.body).toBe(201)
    meetingId = created.json().id
    await settled()
    for (const username of ['chuyenvien.sokhcn', 'vanthu.sokhcn', 'lanhdao.thucphan'])
      expect(mail.subjects(username), username).toEqual([`Giấy mời họp: ${TITLE}`])
    // The organiser (here also the chair) called the meeting: nothing to tell him.
    expect(mail.subjects('lanhdao.sokhcn')).toEqual([])

    const [invitation] = await messagesTo(meetingId, 'lanhdao.thucphan')
    expect(invitation).toMatchObject({ template: 'meeting_invitation', status: 'sent' })
    expect(invitation!.body).toContain('Kính gửi đồng chí Nông Văn Hùng,')
    expect(invitation!.body).toContain(
      'Lương Văn Thành (Sở Khoa học và Công nghệ) trân trọng kính mời đồng chí dự cuộc họp',
    )
    expect(invitation!.body).toContain('Thời gian: 08:00 đến 11:00 ngày 30/11/2026')
    expect(invitation!.body).toContain('Địa điểm: Phòng họp tầng 2, Sở Khoa học và Công nghệ')
    expect(invitation!.body).toContain('Họp trực tuyến: https://hop.caobang.gov.vn/phong-khcn')
    expect(invitation!.body).toContain(
      'Nội dung họp:\n- Báo cáo kết quả năm 2026 — Phòng Chuyển đổi số\n- Thảo luận kế hoạch năm 2027',
    )
    expect(invitation!.body).toContain(`${PUBLIC_URL}/admin/documents/meetings/${meetingId}`)
    // The invited official finds it on their own notifications page, linked to the meeting.
    const visitor = new Visitor(t.app)
    await visitor.login('lanhdao.thucphan')
    const page = html(await visitor.get('/account/notifications'))
    expect(page.querySelector(`a[href="/admin/documents/meetings/${meetingId}"]`)?.text).toBe('Cuộc họp')
  })
})

describe('editing a convened meeting', () => {
  it('moves the meeting: a change notice with the old and new time, answers asked again, the change in history', async () => {
    const accepted = await api('lanhdao.thucphan', 'POST', `/meetings/${meetingId}/response`, {
      response: 'accepted',
    })
    expect(accepted.statusCode).toBe(204)
    now = new Date('2026-11-27T03:00:00Z')
    const moved = await patch('lanhdao.sokhcn', meetingId, {
      startsAt: '2026-12-01T14:00',
      endsAt: '2026-12-01T16:30',
      note: 'Lãnh đạo Sở dự họp Ủy ban nhân dân tỉnh sáng thứ Hai',
    })
    expect(moved.statusCode, moved.body).toBe(200)
    expect(moved.json().changes).toEqual([
      { field: 'startsAt', before: '2026-11-30T01:00:00.000Z', after: '2026-12-01T07:00:00.000Z' },
      { field: 'endsAt', before: '2026-11-30T04:00:00.000Z', after: '2026-12-01T09:30:00.000Z' },
    ])
    await settled()
    for (const username of ['chuyenvien.sokhcn', 'vanthu.sokhcn', 'lanhdao.thucphan'])
      expect(mail.subjects(username), username).toEqual([
        `Giấy mời họp: ${TITLE}`,
        `Thay đổi cuộc họp: ${TITLE}`,
      ])
    expect(mail.subjects('lanhdao.sokhcn')).toEqual([])
    const notice = (await messagesTo(meetingId, 'chuyenvien.sokhcn'))[1]!
    expect(notice.template).toBe('meeting_changed')
    expect(notice.body).toContain('- Thời gian bắt đầu: 08:00 ngày 30/11/2026 → 14:00 ngày 01/12/2026')
    expect(notice.body).toContain('- Thời gian kết thúc: 11:00 ngày 30/11/2026 → 16:30 ngày 01/12/2026')
    expect(notice.body).toContain(
      'Ghi chú của người tổ chức: Lãnh đạo Sở dự họp Ủy ban nhân dân tỉnh sáng thứ Hai',
    )
    expect(notice.body).toContain('Thời gian: 14:00 đến 16:30 ngày 01/12/2026')
    expect(notice.body).toContain('đồng chí vui lòng xác nhận lại')

    const view = await meetingView(meetingId, 'lanhdao.thucphan')
    expect(view.meeting.startsAt).toBe('2026-12-01T07:00:00.000Z')
    // His "I will attend" was for Monday morning: he is asked again.
    expect(
      view.attendees.find((a: { userId: string }) => a.userId === users['lanhdao.thucphan']).response,
    ).toBe('pending')
    const edited = view.history.find((h: { action: string }) => h.action === 'edited')
    expect(edited).toMatchObject({
      actorName: 'Lương Văn Thành',
      note: 'Lãnh đạo Sở dự họp Ủy ban nhân dân tỉnh sáng thứ Hai',
      at: '2026-11-27T03:00:00.000Z',
      changes: moved.json().changes,
      attendeesAdded: [],
      attendeesRemoved: [],
    })
  })

  it('writes nothing and sends nothing when the same edit comes again', async () => {
    const again = await patch('lanhdao.sokhcn', meetingId, {
      startsAt: '2026-12-01T14:00',
      endsAt: '2026-12-01T16:30',
    })
    expect(again.statusCode).toBe(200)
    expect(again.json().changes).toEqual([])
    await settled()
    expect(mail.subjects('chuyenvien.sokhcn')).toHaveLength(2)
    const view = await meetingView(meetingId)
    expect(view.history.filter((h: { action: string }) => h.action === 'edited')).toHaveLength(1)
  })

  it('tells a removed attendee they are no longer invited, and invites an added one without naming a confidential document', async () => {
    // An uploaded draft, and a registered document linked while it was ordinary.
    const upload = multipartBody({ title: 'Dự thảo báo cáo tổng kết' }, [
      { field: 'file', name: 'du-thao.pdf', content: await samplePdf('Dự thảo báo cáo') },
    ])
    const uploaded = await t.app.inject({
      method: 'POST',
      url: `/api/v1/meetings/${meetingId}/documents`,
      payload: upload.payload,
      headers: { ...as('lanhdao.sokhcn'), 'content-type': upload.contentType },
    })
    expect(uploaded.statusCode, uploaded.body).toBe(201)
    const documentId = await registerIncoming('vanthu.sokhcn', {
      codeNumber: '4471',
      codeNotation: 'UBND-KT',
      issuedOn: '2026-11-20',
      issuerName: 'Ủy ban nhân dân tỉnh Cao Bằng',
      typeCode: 'ke-hoach',
      summary: 'Phương án di dời trạm biến áp Nà Lắc',
    })
    const link = multipartBody({ documentId }, [])
    const linked = await t.app.inject({
      method: 'POST',
      url: `/api/v1/meetings/${meetingId}/documents`,
      payload: link.payload,
      headers: { ...as('lanhdao.sokhcn'), 'content-type': link.contentType },
    })
    expect(linked.statusCode, linked.body).toBe(201)
    // Since then the sender's update made it urgent (độ khẩn): only its assignees and leaders may read it now.
    await sql`update documents set urgency = 'urgent' where id = ${documentId}`.execute(t.database.db)

    const changed = await patch('lanhdao.sokhcn', meetingId, {
      guestUnitIds: [units['phuong-thuc-phan']],
      attendeeIds: [users['chuyenvien.sokhcn'], users['lanhdao.thucphan'], users['chuyenvien.thucphan']],
      note: 'Mời chuyên viên phường trình bày nội dung chuyển đổi số cấp xã',
    })
    expect(changed.statusCode, changed.body).toBe(200)
    expect(changed.json()).toMatchObject({
      changes: [],
      attendeesAdded: [{ userId: users['chuyenvien.thucphan'], name: 'Hà Thị Nga' }],
      attendeesRemoved: [{ userId: users['vanthu.sokhcn'], name: 'Triệu Thị Thu' }],
    })
    await settled()
    expect(mail.subjects('vanthu.sokhcn')).toEqual([
      `Giấy mời họp: ${TITLE}`,
      `Thay đổi cuộc họp: ${TITLE}`,
      `Hủy giấy mời họp: ${TITLE}`,
    ])
    expect(mail.subjects('chuyenvien.thucphan')).toEqual([`Giấy mời họp: ${TITLE}`])
    // Only the list of people changed: the others are not written to.
    expect(mail.subjects('chuyenvien.sokhcn')).toHaveLength(2)
    expect(mail.subjects('lanhdao.thucphan')).toHaveLength(2)

    const withdrawn = (await messagesTo(meetingId, 'vanthu.sokhcn'))[2]!
    expect(withdrawn.template).toBe('meeting_withdrawn')
    expect(withdrawn.body).toContain('Người tổ chức đã rút tên đồng chí khỏi danh sách mời dự cuộc họp')
    expect(withdrawn.body).toContain('vào 14:00 đến 16:30 ngày 01/12/2026')
    // The meeting is no longer theirs to open: no link.
    expect(withdrawn.body).not.toContain(PUBLIC_URL)
    expect((await api('vanthu.sokhcn', 'GET', `/meetings/${meetingId}`)).statusCode).toBe(404)

    const [invitation] = await messagesTo(meetingId, 'chuyenvien.thucphan')
    expect(invitation!.body).toContain('Kính gửi đồng chí Hà Thị Nga,')
    expect(invitation!.body).toContain('Thời gian: 14:00 đến 16:30 ngày 01/12/2026')
    expect(invitation!.body).toContain('Tài liệu họp:\n- Dự thảo báo cáo tổng kết')
    // The urgent document is neither numbered nor summarised in any e-mail or SMS.
    const all = await sql<{ body: string; subject: string | null }>`
      select body, subject from notifications where meeting_id = ${meetingId}`.execute(t.database.db)
    for (const row of all.rows) {
      expect(row.body).not.toContain('4471')
      expect(row.body).not.toMatch(/Nà Lắc|Na Lac/)
      expect(row.subject ?? '').not.toContain('Nà Lắc')
    }
    expect((await meetingView(meetingId, 'chuyenvien.thucphan')).meeting.id).toBe(meetingId)
  })

  it('refuses an edit by anyone but the organiser, and bad values, changing nothing', async () => {
    const before = await meetingView(meetingId)
    // Invited from another unit: may read, not edit.
    const ward = await patch('lanhdao.thucphan', meetingId, { place: 'Hội trường UBND phường Thục Phán' })
    expect(ward.statusCode).toBe(403)
    expect(ward.json().error.message).toBe('Chỉ người tổ chức sửa được cuộc họp.')
    expect((await patch('chuyenvien.sokhcn', meetingId, { place: 'Phòng họp số 3' })).statusCode).toBe(403)
    // Not invited at all: the meeting does not exist for them.
    expect((await patch('vanthu.thucphan', meetingId, { place: 'Phòng họp số 3' })).statusCode).toBe(404)

    const bad = await patch('lanhdao.sokhcn', meetingId, {
      startsAt: '2026-11-26T08:00',
      place: 'P',
      videoUrl: 'http://hop.caobang.gov.vn/phong',
      agenda: [],
      attendeeIds: [users['vanthu.thucphan']],
    })
    expect(bad.statusCode).toBe(422)
    expect(bad.json().error.details.fields).toEqual({
      startsAt: 'Thời gian bắt đầu mới phải sau bây giờ.',
      place: 'Nhập địa điểm họp (2 đến 300 ký tự).',
      attendeeIds: 'Chỉ mời được các cán bộ trong danh sách.',
      agenda: 'Nhập ít nhất một nội dung họp (mỗi dòng một nội dung).',
      videoUrl: expect.stringContaining('https://'),
    })
    const order = await patch('lanhdao.sokhcn', meetingId, { endsAt: '2026-12-01T13:00' })
    expect(order.json().error.details.fields).toEqual({
      endsAt: 'Thời gian kết thúc phải sau thời gian bắt đầu.',
    })
    const after = await meetingView(meetingId)
    expect(after.meeting).toEqual(before.meeting)
    expect(after.attendees).toEqual(before.attendees)
    expect(after.history).toHaveLength(before.history.length)
  })
})

describe('editing through the pages', () => {
  it('edits the place and the link in the form, keeping values on a mistake, and shows old → new in the history', async () => {
    const organiser = new Visitor(t.app)
    await organiser.login('lanhdao.sokhcn')
    const meetingPage = html(await organiser.get(`/admin/documents/meetings/${meetingId}`))
    expect(meetingPage.querySelector('#edit')?.getAttribute('href')).toBe(
      `/admin/documents/meetings/${meetingId}/edit`,
    )
    const form = await organiser.get(`/admin/documents/meetings/${meetingId}/edit`)
    expect(form.statusCode).toBe(200)
    const doc = html(form)
    expect(doc.querySelector('#startsAt')?.getAttribute('value')).toBe('2026-12-01T14:00')
    expect(doc.querySelector('#agenda')?.text).toBe(
      'Báo cáo kết quả năm 2026 — Phòng Chuyển đổi số\nThảo luận kế hoạch năm 2027',
    )
    const selected = doc
      .querySelectorAll('#attendeeIds option')
      .filter((o) => o.hasAttribute('selected'))
      .map((o) => o.getAttribute('value'))
    expect(selected.sort()).toEqual(
      [
        users['lanhdao.sokhcn'],
        users['chuyenvien.sokhcn'],
        users['lanhdao.thucphan'],
        users['chuyenvien.thucphan'],
      ].sort(),
    )
    const csrf = doc.querySelector('input[name="_csrf"]')!.getAttribute('value')!
    const submit = (fields: Record<string, string>) => {
      const body = new URLSearchParams({
        _csrf: csrf,
        title: TITLE,
        startsAt: '2026-12-01T14:00',
        endsAt: '2026-12-01T16:30',
        agenda: 'Báo cáo kết quả năm 2026 — Phòng Chuyển đổi số\nThảo luận kế hoạch năm 2027',
        ...fields,
      })
      for (const id of selected) body.append('attendeeIds', id!)
      return organiser.request({
        method: 'POST',
        url: `/admin/documents/meetings/${meetingId}/edit`,
        payload: body.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      })
    }
    const bad = await submit({ place: 'Hội trường tầng 1', videoUrl: 'ftp://hop' })
    expect(bad.statusCode).toBe(422)
    expect(errorSummary(bad)).toEqual([expect.stringContaining('https://')])
    expect(html(bad).querySelector('#place')?.getAttribute('value')).toBe('Hội trường tầng 1')

    const good = await submit({ place: 'Hội trường tầng 1, Sở Khoa học và Công nghệ', videoUrl: '' })
    expect(good.statusCode).toBe(303)
    expect(good.headers.location).toBe(`/admin/documents/meetings/${meetingId}`)
    const page = html(await organiser.get(good.headers.location as string))
    expect(page.text).toContain('Đã lưu thay đổi; người dự họp được báo qua thư điện tử.')
    const lastRow = page.querySelectorAll('#history tr').at(-1)!.text
    expect(lastRow).toContain(
      'Địa điểm: Phòng họp tầng 2, Sở Khoa học và Công nghệ → Hội trường tầng 1, Sở Khoa học và Công nghệ',
    )
    expect(lastRow).toContain('Đường dẫn họp trực tuyến: https://hop.caobang.gov.vn/phong-khcn → (không có)')
    await settled()
    const notice = (await messagesTo(meetingId, 'chuyenvien.thucphan')).at(-1)!
    expect(notice.template).toBe('meeting_changed')
    expect(notice.body).toContain(
      '- Địa điểm: Phòng họp tầng 2, Sở Khoa học và Công nghệ → Hội trường tầng 1, Sở Khoa học và Công nghệ',
    )
    expect(notice.body).toContain(
      '- Đường dẫn họp trực tuyến: https://hop.caobang.gov.vn/phong-khcn → (không có)',
    )
    // The time did not move: nobody is asked to confirm again.
    expect(notice.body).not.toContain('xác nhận lại')
  })

  it('takes a document off the meeting from its page; attendees no longer see it', async () => {
    const organiser = new Visitor(t.app)
    await organiser.login('lanhdao.sokhcn')
    const page = html(await organiser.get(`/admin/documents/meetings/${meetingId}`))
    const item = page
      .querySelectorAll('#meeting-documents li')
      .find((li) => li.text.includes('Dự thảo báo cáo tổng kết'))!
    const action = item.querySelector('form')!.getAttribute('action')!
    const removed = await organiser.post(action, {})
    expect(removed.statusCode).toBe(303)
    const titles = (await meetingView(meetingId, 'chuyenvien.thucphan')).documents.map(
      (d: { title: string }) => d.title,
    )
    expect(titles).not.toContain('Dự thảo báo cáo tổng kết')
    const history = (await meetingView(meetingId)).history.map((h: { action: string }) => h.action)
    expect(history.at(-1)).toBe('document_removed')
    // An attendee has no edit form.
    const attendee = new Visitor(t.app)
    await attendee.login('chuyenvien.sokhcn')
    expect(
      html(await attendee.get(`/admin/documents/meetings/${meetingId}`)).querySelector('#edit'),
    ).toBeNull()
    expect((await attendee.get(`/admin/documents/meetings/${meetingId}/edit`)).statusCode).toBe(403)
  })
})

describe('changing the chair', () => {
  it('hands the chair to another official: invited if not yet, old → new in the history, a change notice to the attendees', async () => {
    const title = 'Họp rà soát danh mục dữ liệu dùng chung'
    const created = await api('lanhdao.sokhcn', 'POST', '/meetings', {
      title,
      startsAt: '2026-12-02T08:00',
      endsAt: '2026-12-02T10:00',
      place: 'Phòng họp số 2, Sở Khoa học và Công nghệ',
      chairId: users['chuyenvien.sokhcn'],
      guestUnitIds: [units['phuong-thuc-phan']],
      attendeeIds: [users['lanhdao.thucphan']],
      agenda: [{ title: 'Rà soát danh mục dữ liệu dùng chung của tỉnh' }],
    })
    expect(created.statusCode, created.body).toBe(201)
    const id = created.json().id as string
    const formerChair = created.json().chairName as string
    const before = await meetingView(id)

    // Only someone the organiser may invite, or invited already, may chair: the ward's specialist is neither.
    const refused = await patch('lanhdao.sokhcn', id, { chairId: users['chuyenvien.thucphan'] })
    expect(refused.statusCode).toBe(422)
    expect(refused.json().error.details.fields).toEqual({ chairId: 'Chọn người chủ trì trong danh sách.' })
    expect(await meetingView(id)).toEqual(before)

    const changed = await patch('lanhdao.sokhcn', id, {
      chairId: users['vanthu.sokhcn'],
      note: 'Đồng chí chủ trì được cử đi công tác tại Hà Nội',
    })
    expect(changed.statusCode, changed.body).toBe(200)
    expect(changed.json()).toMatchObject({
      meeting: { chairId: users['vanthu.sokhcn'], chairName: 'Triệu Thị Thu' },
      changes: [{ field: 'chair', before: formerChair, after: 'Triệu Thị Thu' }],
      attendeesAdded: [{ userId: users['vanthu.sokhcn'], name: 'Triệu Thị Thu' }],
      attendeesRemoved: [],
    })
    const view = await meetingView(id, 'vanthu.sokhcn')
    // The former chair stays invited; the new one is invited now.
    expect(view.attendees.map((a: { userId: string }) => a.userId).sort()).toEqual(
      [users['chuyenvien.sokhcn'], users['lanhdao.thucphan'], users['vanthu.sokhcn']].sort(),
    )
    expect(view.history.at(-1)).toMatchObject({
      action: 'edited',
      note: 'Đồng chí chủ trì được cử đi công tác tại Hà Nội',
      changes: [{ field: 'chair', before: formerChair, after: 'Triệu Thị Thu' }],
    })

    await settled()
    for (const username of ['chuyenvien.sokhcn', 'lanhdao.thucphan']) {
      const messages = await messagesTo(id, username)
      expect(messages.map((m) => m.template)).toEqual(['meeting_invitation', 'meeting_changed'])
      expect(messages[1]!.subject).toBe(`Thay đổi cuộc họp: ${title}`)
      expect(messages[1]!.body).toContain(`- Người chủ trì: ${formerChair} → Triệu Thị Thu`)
      expect(messages[1]!.body).toContain('Chủ trì: Triệu Thị Thu')
      expect(messages[1]!.body).toContain(
        'Ghi chú của người tổ chức: Đồng chí chủ trì được cử đi công tác tại Hà Nội',
      )
      expect(messages[1]!.body).not.toContain('xác nhận lại')
    }
    const [invitation, ...more] = await messagesTo(id, 'vanthu.sokhcn')
    expect(more).toEqual([])
    expect(invitation!.template).toBe('meeting_invitation')
    expect(invitation!.body).toContain('Chủ trì: Triệu Thị Thu')
    expect(await messagesTo(id, 'lanhdao.sokhcn')).toEqual([])

    // Back to the former chair through the edit form, which shows the chair chosen now.
    const organiser = new Visitor(t.app)
    await organiser.login('lanhdao.sokhcn')
    const form = html(await organiser.get(`/admin/documents/meetings/${id}/edit`))
    expect(form.querySelector('#chairId option[selected]')?.getAttribute('value')).toBe(
      users['vanthu.sokhcn'],
    )
    const body = new URLSearchParams({
      _csrf: form.querySelector('input[name="_csrf"]')!.getAttribute('value')!,
      title,
      startsAt: '2026-12-02T08:00',
      endsAt: '2026-12-02T10:00',
      place: 'Phòng họp số 2, Sở Khoa học và Công nghệ',
      agenda: 'Rà soát danh mục dữ liệu dùng chung của tỉnh',
      chairId: users['chuyenvien.sokhcn']!,
    })
    for (const option of form.querySelectorAll('#attendeeIds option[selected]'))
      body.append('attendeeIds', option.getAttribute('value')!)
    const saved = await organiser.request({
      method: 'POST',
      url: `/admin/documents/meetings/${id}/edit`,
      payload: body.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(saved.statusCode, saved.body.slice(0, 300)).toBe(303)
    const page = html(await organiser.get(`/admin/documents/meetings/${id}`))
    expect(page.querySelectorAll('#history tr').at(-1)!.text).toContain(
      `Người chủ trì: Triệu Thị Thu → ${formerChair}`,
    )
    expect((await meetingView(id)).meeting.chairId).toBe(users['chuyenvien.sokhcn'])
    await settled()
    expect((await messagesTo(id, 'vanthu.sokhcn')).map((m) => m.template)).toEqual([
      'meeting_invitation',
      'meeting_changed',
    ])
  })
})

describe('cancelling and closing', () => {
  it('cancels with a reason, which each attendee receives; a cancelled meeting is not edited', async () => {
    const created = await api('lanhdao.sokhcn', 'POST', '/meetings', {
      title: 'Họp giao ban tháng 12',
      startsAt: '2026-12-03T08:00',
      place: 'Phòng họp số 1',
      attendeeIds: [users['chuyenvien.sokhcn'], users['vanthu.sokhcn']],
      agenda: [{ title: 'Điểm lại công việc tháng 11' }],
    })
    expect(created.statusCode, created.body).toBe(201)
    const id = created.json().id as string
    const cancelled = await api('lanhdao.sokhcn', 'POST', `/meetings/${id}/cancel`, {
      note: 'Lãnh đạo Sở đi công tác tại Hà Nội',
    })
    expect(cancelled.statusCode).toBe(200)
    expect(cancelled.json()).toMatchObject({
      status: 'cancelled',
      cancelReason: 'Lãnh đạo Sở đi công tác tại Hà Nội',
      cancelledAt: now.toISOString(),
    })
    await settled()
    for (const username of ['chuyenvien.sokhcn', 'vanthu.sokhcn']) {
      const messages = await messagesTo(id, username)
      expect(messages.map((m) => [m.template, m.status])).toEqual([
        ['meeting_invitation', 'sent'],
        ['meeting_cancelled', 'sent'],
      ])
      expect(messages[1]!.subject).toBe('Hủy cuộc họp: Họp giao ban tháng 12')
      expect(messages[1]!.body).toContain('Lý do: Lãnh đạo Sở đi công tác tại Hà Nội')
      expect(messages[1]!.body).toContain('dự kiến vào 08:00 ngày 03/12/2026 tại Phòng họp số 1')
      expect(mail.subjects(username)).toContain('Hủy cuộc họp: Họp giao ban tháng 12')
    }
    // The clerk also has a mobile number: what, when and where, without diacritics, one SMS each.
    expect(sms.received.filter((m) => m.to === CLERK_MOBILE && m.text.includes('giao ban'))).toEqual([
      {
        to: CLERK_MOBILE,
        text: 'QLVB Cao Bang: moi dong chi du hop "Hop giao ban thang 12" vao 08:00 ngay 03/12/2026 tai Phong hop so 1.',
      },
      {
        to: CLERK_MOBILE,
        text: 'QLVB Cao Bang: HUY cuoc hop "Hop giao ban thang 12" vao 08:00 ngay 03/12/2026. Ly do: Lanh dao So di cong tac tai Ha Noi',
      },
    ])
    const refused = await patch('lanhdao.sokhcn', id, { place: 'Phòng họp số 2' })
    expect(refused.statusCode).toBe(409)
    expect(refused.json().error.message).toBe('Cuộc họp đã hủy; không sửa được nữa.')
    const visitor = new Visitor(t.app)
    await visitor.login('vanthu.sokhcn')
    expect(html(await visitor.get(`/admin/documents/meetings/${id}`)).text).toContain(
      'Lãnh đạo Sở đi công tác tại Hà Nội',
    )
    // Its calendar file names the public address (PUBLIC_URL), not the host the request came through.
    const ics = (await visitor.get(`/admin/documents/meetings/${id}/calendar.ics`)).body.replace(/\r\n /g, '')
    expect(ics).toContain(`\r\nUID:meeting-${id}@qlvb.caobang.gov.vn\r\n`)
    expect(ics).toContain(`\r\nURL:${PUBLIC_URL}/admin/documents/meetings/${id}\r\n`)
    expect(ics).toContain('\r\nSTATUS:CANCELLED\r\n')
  })

  it('refuses to edit a meeting once its minutes are recorded', async () => {
    await settled()
    const sentBefore = mail.subjects('chuyenvien.sokhcn').length
    now = new Date('2026-12-01T07:30:00Z')
    const minutes = await api('lanhdao.sokhcn', 'POST', `/meetings/${meetingId}/minutes`, {
      minutes: 'Thống nhất thông qua kế hoạch chuyển đổi số năm 2027.',
    })
    expect(minutes.statusCode, minutes.body).toBe(200)
    const refused = await patch('lanhdao.sokhcn', meetingId, { place: 'Phòng họp số 2' })
    expect(refused.statusCode).toBe(409)
    expect(refused.json().error.message).toBe('Cuộc họp đã diễn ra và đã có biên bản; không sửa được nữa.')
    const items = (await meetingView(meetingId)).documents as { id: string }[]
    const removal = await api('lanhdao.sokhcn', 'DELETE', `/meetings/${meetingId}/documents/${items[0]!.id}`)
    expect(removal.statusCode).toBe(409)
    const organiser = new Visitor(t.app)
    await organiser.login('lanhdao.sokhcn')
    expect((await organiser.get(`/admin/documents/meetings/${meetingId}/edit`)).statusCode).toBe(409)
    await settled()
    // Nothing was sent after the minutes.
    expect(mail.subjects('chuyenvien.sokhcn')).toHaveLength(sentBefore)
  })
})
