import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, errorSummary, html, multipartBody, Visitor, type TestApp } from '../../../test/app.js'
import { documentsFixture, OFFICIALS } from '../../../test/documents.js'
import { samplePdf } from '../../../test/files.js'
import { parseMeetingTime, parseVideoUrl } from './meetings.service.js'

// Friday 27/11/2026 09:00 in Cao Bằng; the meeting is on Monday 30/11 at 08:00.
let now = new Date('2026-11-27T02:00:00Z')
let t: TestApp
const { users, units, as, api, signIn, registerIncoming } = documentsFixture(() => t)
let meetingId = ''
let ordinaryDoc = ''
let confidentialDoc = ''

const meeting = (overrides: Record<string, unknown> = {}) => ({
  title: 'Họp triển khai kế hoạch chuyển đổi số năm 2027',
  startsAt: '2026-11-30T08:00',
  endsAt: '2026-11-30T11:00',
  place: 'Phòng họp tầng 2, Sở Khoa học và Công nghệ',
  chairId: users['lanhdao.sokhcn'],
  guestUnitIds: [units['phuong-thuc-phan']],
  attendeeIds: [users['chuyenvien.sokhcn'], users['vanthu.sokhcn'], users['lanhdao.thucphan']],
  agenda: [
    { title: 'Báo cáo kết quả năm 2026', presenter: 'Phòng Chuyển đổi số' },
    { title: 'Thảo luận kế hoạch năm 2027' },
  ],
  videoUrl: 'https://hop.caobang.gov.vn/phong-khcn',
  ...overrides,
})

beforeAll(async () => {
  t = await createTestApp({ clock: () => now })
  await signIn(OFFICIALS)
  const register = (
    summary: string,
    extra: Record<string, unknown> = {},
    files: { name: string; content: Buffer }[] = [],
  ) =>
    registerIncoming(
      'vanthu.sokhcn',
      {
        codeNumber: String(Math.floor(Math.random() * 1e6)),
        codeNotation: 'UBND-KT',
        issuedOn: '2026-11-20',
        issuerName: 'Ủy ban nhân dân tỉnh Cao Bằng',
        typeCode: 'ke-hoach',
        summary,
        ...extra,
      },
      files,
    )
  ordinaryDoc = await register('Kế hoạch chuyển đổi số năm 2027', {}, [
    { name: 'ke-hoach.pdf', content: await samplePdf('Kế hoạch chuyển đổi số') },
  ])
  confidentialDoc = await register('Phương án bảo vệ bí mật kỳ lân', { confidentiality: 'secret' })
})

afterAll(async () => {
  await t.close()
})

describe('meeting input', () => {
  it('reads Việt Nam time from a form and instants from the API', () => {
    expect(parseMeetingTime('2026-11-30T08:00')?.toISOString()).toBe('2026-11-30T01:00:00.000Z')
    expect(parseMeetingTime('2026-11-30T08:00:00+07:00')?.toISOString()).toBe('2026-11-30T01:00:00.000Z')
    expect(parseMeetingTime('2026-02-30T08:00')).toBeUndefined()
    expect(parseMeetingTime('mai 8 giờ')).toBeUndefined()
  })

  it('takes only https links without credentials', () => {
    expect(parseVideoUrl('')).toBeNull()
    expect(parseVideoUrl('https://meet.example.vn/abc')).toBe('https://meet.example.vn/abc')
    expect(parseVideoUrl('http://meet.example.vn/abc')).toBeUndefined()
    expect(parseVideoUrl('javascript:alert(1)')).toBeUndefined()
    expect(parseVideoUrl('https://user:pass@meet.example.vn/')).toBeUndefined()
  })
})

describe('paperless meetings (họp không giấy)', () => {
  it('refuses bad input with a Vietnamese message per field', async () => {
    const response = await api(
      'lanhdao.sokhcn',
      'POST',
      '/meetings',
      meeting({
        startsAt: '2026-11-26T08:00',
        endsAt: '2026-11-20T08:00',
        place: '',
        videoUrl: 'http://hop.caobang.gov.vn/phong',
        guestUnitIds: [],
        agenda: [],
      }),
    )
    expect(response.statusCode).toBe(422)
    expect(response.json().error.details.fields).toEqual({
      startsAt: 'Thời gian bắt đầu phải sau bây giờ.',
      endsAt: 'Thời gian kết thúc phải sau thời gian bắt đầu.',
      place: 'Nhập địa điểm họp (2 đến 300 ký tự).',
      // Without the ward as a guest unit, its leader is not someone the organiser may invite.
      attendeeIds: 'Chỉ mời được các cán bộ trong danh sách.',
      agenda: 'Nhập ít nhất một nội dung họp (mỗi dòng một nội dung).',
      videoUrl: expect.stringContaining('https://'),
    })
    const order = await api('lanhdao.sokhcn', 'POST', '/meetings', meeting({ endsAt: '2026-11-30T07:00' }))
    expect(order.json().error.details.fields).toEqual({
      endsAt: 'Thời gian kết thúc phải sau thời gian bắt đầu.',
    })
  })

  it('convenes a meeting that only its organiser, chair and attendees see', async () => {
    const response = await api('lanhdao.sokhcn', 'POST', '/meetings', meeting())
    expect(response.statusCode, response.body).toBe(201)
    meetingId = response.json().id
    expect(response.json()).toMatchObject({
      startsAt: '2026-11-30T01:00:00.000Z',
      status: 'scheduled',
      chairName: expect.any(String),
      videoUrl: 'https://hop.caobang.gov.vn/phong-khcn',
    })
    for (const username of ['chuyenvien.sokhcn', 'vanthu.sokhcn', 'lanhdao.thucphan']) {
      const mine = await api(username, 'GET', '/meetings')
      expect(mine.json().items.map((m: { id: string }) => m.id)).toContain(meetingId)
      const view = await api(username, 'GET', `/meetings/${meetingId}`)
      expect(view.statusCode).toBe(200)
      expect(view.json().agenda.map((a: { title: string }) => a.title)).toEqual([
        'Báo cáo kết quả năm 2026',
        'Thảo luận kế hoạch năm 2027',
      ])
    }
    const attendees = (await api('lanhdao.sokhcn', 'GET', `/meetings/${meetingId}`)).json().attendees
    expect(attendees).toHaveLength(4)
    expect(attendees.every((a: { response: string }) => a.response === 'pending')).toBe(true)
    // Someone not invited: nothing in their list, and the meeting does not exist for them.
    expect((await api('chuyenvien.thucphan', 'GET', '/meetings')).json().items).toEqual([])
    expect((await api('chuyenvien.thucphan', 'GET', `/meetings/${meetingId}`)).statusCode).toBe(404)
  })

  it('lets the organiser add documents before the meeting, never a confidential one', async () => {
    const { payload, contentType } = multipartBody({ title: 'Dự thảo báo cáo' }, [
      { field: 'file', name: 'du-thao.pdf', content: await samplePdf('Dự thảo báo cáo năm 2026') },
    ])
    const upload = await t.app.inject({
      method: 'POST',
      url: `/api/v1/meetings/${meetingId}/documents`,
      payload,
      headers: { ...as('lanhdao.sokhcn'), 'content-type': contentType },
    })
    expect(upload.statusCode, upload.body).toBe(201)
    const link = multipartBody({ documentId: ordinaryDoc }, [])
    const linked = await t.app.inject({
      method: 'POST',
      url: `/api/v1/meetings/${meetingId}/documents`,
      payload: link.payload,
      headers: { ...as('lanhdao.sokhcn'), 'content-type': link.contentType },
    })
    expect(linked.statusCode, linked.body).toBe(201)
    const secret = multipartBody({ documentId: confidentialDoc }, [])
    const refused = await t.app.inject({
      method: 'POST',
      url: `/api/v1/meetings/${meetingId}/documents`,
      payload: secret.payload,
      headers: { ...as('lanhdao.sokhcn'), 'content-type': secret.contentType },
    })
    expect(refused.statusCode).toBe(422)
    expect(refused.json().error.details.fields.documentId).toMatch(/Văn bản mật hoặc khẩn/)
    const empty = multipartBody({}, [])
    const nothing = await t.app.inject({
      method: 'POST',
      url: `/api/v1/meetings/${meetingId}/documents`,
      payload: empty.payload,
      headers: { ...as('lanhdao.sokhcn'), 'content-type': empty.contentType },
    })
    expect(nothing.statusCode).toBe(422)
    expect(nothing.json().error.details.fields.file).toBe('Chọn tệp tài liệu hoặc một văn bản đã vào sổ.')
    // An attendee may read but not add.
    const attendee = multipartBody({ documentId: ordinaryDoc }, [])
    const denied = await t.app.inject({
      method: 'POST',
      url: `/api/v1/meetings/${meetingId}/documents`,
      payload: attendee.payload,
      headers: { ...as('chuyenvien.sokhcn'), 'content-type': attendee.contentType },
    })
    expect(denied.statusCode).toBe(403)

    // The ward's leader, invited, reads both before the meeting, though the document is not their unit's.
    const view = (await api('lanhdao.thucphan', 'GET', `/meetings/${meetingId}`)).json()
    expect(view.documents.map((d: { title: string }) => d.title)).toEqual([
      'Dự thảo báo cáo',
      expect.stringContaining('Kế hoạch chuyển đổi số năm 2027'),
    ])
    for (const document of view.documents) {
      const url = document.files[0].url as string
      const file = await t.app.inject({ url, headers: as('lanhdao.thucphan') })
      expect(file.statusCode).toBe(200)
      expect(file.headers['content-type']).toBe('application/pdf')
      // Someone not invited cannot fetch it.
      expect((await t.app.inject({ url, headers: as('chuyenvien.thucphan') })).statusCode).toBe(404)
    }
  })

  it('records attendance confirmations before the meeting', async () => {
    const declined = await api('chuyenvien.sokhcn', 'POST', `/meetings/${meetingId}/response`, {
      response: 'declined',
    })
    expect(declined.statusCode).toBe(422)
    expect(declined.json().error.details.fields.note).toBe('Nhập lý do không tham dự.')
    expect(
      (
        await api('chuyenvien.sokhcn', 'POST', `/meetings/${meetingId}/response`, {
          response: 'declined',
          note: 'Đi công tác huyện Bảo Lạc',
        })
      ).statusCode,
    ).toBe(204)
    expect(
      (await api('lanhdao.thucphan', 'POST', `/meetings/${meetingId}/response`, { response: 'accepted' }))
        .statusCode,
    ).toBe(204)
    expect(
      (await api('chuyenvien.thucphan', 'POST', `/meetings/${meetingId}/response`, { response: 'accepted' }))
        .statusCode,
    ).toBe(404)
    const attendees = (await api('lanhdao.sokhcn', 'GET', `/meetings/${meetingId}`)).json().attendees
    expect(attendees.find((a: { userId: string }) => a.userId === users['chuyenvien.sokhcn'])).toMatchObject({
      response: 'declined',
      note: 'Đi công tác huyện Bảo Lạc',
    })
    expect(attendees.find((a: { userId: string }) => a.userId === users['lanhdao.thucphan']).response).toBe(
      'accepted',
    )
  })

  it('takes the minutes from the organiser or the chair once the meeting has started', async () => {
    const early = await api('lanhdao.sokhcn', 'POST', `/meetings/${meetingId}/minutes`, {
      minutes: 'Biên bản họp triển khai kế hoạch.',
    })
    expect(early.statusCode).toBe(409)
    expect(early.json().error.message).toBe('Cuộc họp chưa bắt đầu; biên bản được ghi khi họp.')
    now = new Date('2026-11-30T04:30:00Z')
    const late = await api('vanthu.sokhcn', 'POST', `/meetings/${meetingId}/response`, {
      response: 'accepted',
    })
    expect(late.statusCode).toBe(409)
    expect(
      (
        await api('chuyenvien.sokhcn', 'POST', `/meetings/${meetingId}/minutes`, {
          minutes: 'Biên bản của tôi.',
        })
      ).statusCode,
    ).toBe(403)
    const short = await api('lanhdao.sokhcn', 'POST', `/meetings/${meetingId}/minutes`, { minutes: 'Ngắn' })
    expect(short.statusCode).toBe(422)
    const recorded = await api('lanhdao.sokhcn', 'POST', `/meetings/${meetingId}/minutes`, {
      minutes: 'Thống nhất thông qua kế hoạch chuyển đổi số năm 2027; giao Phòng Chuyển đổi số hoàn thiện.',
    })
    expect(recorded.statusCode, recorded.body).toBe(200)
    expect(recorded.json()).toMatchObject({ status: 'held', minutesAt: '2026-11-30T04:30:00.000Z' })
    const view = (await api('lanhdao.thucphan', 'GET', `/meetings/${meetingId}`)).json()
    expect(view.meeting.minutes).toContain('Thống nhất thông qua')
    expect(view.history.map((h: { action: string }) => h.action)).toEqual([
      'created',
      'document_added',
      'document_added',
      'responded',
      'responded',
      'minutes_recorded',
    ])
    now = new Date('2026-11-27T02:00:00Z')
  })

  it('lets the organiser cancel before the meeting, with a reason', async () => {
    const created = await api(
      'lanhdao.sokhcn',
      'POST',
      '/meetings',
      meeting({ title: 'Họp giao ban tháng 12' }),
    )
    const id = created.json().id as string
    expect((await api('lanhdao.sokhcn', 'POST', `/meetings/${id}/cancel`, { note: '' })).statusCode).toBe(422)
    expect(
      (await api('chuyenvien.sokhcn', 'POST', `/meetings/${id}/cancel`, { note: 'Hoãn' })).statusCode,
    ).toBe(403)
    const cancelled = await api('lanhdao.sokhcn', 'POST', `/meetings/${id}/cancel`, {
      note: 'Lãnh đạo đi công tác',
    })
    expect(cancelled.json().status).toBe('cancelled')
    const again = await api('lanhdao.sokhcn', 'POST', `/meetings/${id}/response`, { response: 'accepted' })
    expect(again.statusCode).toBe(409)
  })
})

describe('meeting pages', () => {
  it('shows the attendee their meetings, the agenda, documents and the video link', async () => {
    const visitor = new Visitor(t.app)
    await visitor.login('lanhdao.thucphan')
    const list = await visitor.get('/admin/documents/meetings')
    expect(list.statusCode).toBe(200)
    expect(html(list).querySelector('#meetings')?.text).toContain(
      'Họp triển khai kế hoạch chuyển đổi số năm 2027',
    )
    const page = await visitor.get(`/admin/documents/meetings/${meetingId}`)
    expect(page.statusCode).toBe(200)
    const doc = html(page)
    expect(doc.querySelectorAll('#agenda li').map((li) => li.text)).toEqual([
      'Báo cáo kết quả năm 2026 — Phòng Chuyển đổi số',
      'Thảo luận kế hoạch năm 2027',
    ])
    expect(doc.querySelectorAll('#meeting-documents a')).toHaveLength(2)
    expect(doc.querySelector('#minutes')?.text).toContain('Thống nhất thông qua')
    const outsider = new Visitor(t.app)
    await outsider.login('chuyenvien.thucphan')
    expect((await outsider.get(`/admin/documents/meetings/${meetingId}`)).statusCode).toBe(404)
  })

  it('gives attendees the meeting as a calendar file that updates their calendar, and nobody else', async () => {
    const title = 'Họp rà soát hồ sơ, thủ tục; đánh giá chỉ số chuyển đổi số của các xã, phường năm 2026'
    const created = await api('lanhdao.sokhcn', 'POST', '/meetings', meeting({ title }))
    expect(created.statusCode, created.body).toBe(201)
    const id = created.json().id as string
    const visitor = new Visitor(t.app)
    await visitor.login('lanhdao.thucphan')
    const page = html(await visitor.get(`/admin/documents/meetings/${id}`))
    const href = page.querySelector('#calendar')!.getAttribute('href')!
    expect(page.querySelector('#calendar')!.text).toBe('Thêm vào lịch của tôi (tệp .ics)')

    const download = async () => {
      const response = await visitor.get(href)
      expect(response.statusCode).toBe(200)
      expect(response.headers['content-type']).toBe('text/calendar; charset=utf-8')
      const raw = response.body
      // Lines end in CRLF and none is longer than 75 octets, Vietnamese letters counted in bytes.
      expect(raw.endsWith('\r\n')).toBe(true)
      expect(raw.split('\r\n').every((line) => Buffer.byteLength(line, 'utf8') <= 75)).toBe(true)
      const unfolded = raw.replace(/\r\n /g, '').split('\r\n')
      return (name: string) => unfolded.find((line) => line.startsWith(`${name}:`))?.slice(name.length + 1)
    }
    let field = await download()
    expect(field('UID')).toBe(`meeting-${id}@localhost`)
    expect(field('DTSTART')).toBe('20261130T010000Z')
    expect(field('DTEND')).toBe('20261130T040000Z')
    expect(field('SUMMARY')).toBe(
      'Họp rà soát hồ sơ\\, thủ tục\\; đánh giá chỉ số chuyển đổi số của các xã\\, phường năm 2026',
    )
    expect(field('LOCATION')).toBe('Phòng họp tầng 2\\, Sở Khoa học và Công nghệ')
    expect(field('DESCRIPTION')).toContain(
      '\\n1. Báo cáo kết quả năm 2026 — Phòng Chuyển đổi số\\n2. Thảo luận kế hoạch năm 2027',
    )
    expect(field('DESCRIPTION')).toContain('Họp trực tuyến: https://hop.caobang.gov.vn/phong-khcn')
    expect(field('SEQUENCE')).toBe('0')
    expect(field('STATUS')).toBe('CONFIRMED')

    // Moved, then cancelled: the same event, a higher sequence, so the calendar updates it.
    const moved = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/meetings/${id}`,
      headers: as('lanhdao.sokhcn'),
      payload: { startsAt: '2026-12-01T14:00', endsAt: '2026-12-01T16:30' },
    })
    expect(moved.statusCode, moved.body).toBe(200)
    field = await download()
    expect([field('UID'), field('DTSTART'), field('DTEND'), field('SEQUENCE')]).toEqual([
      `meeting-${id}@localhost`,
      '20261201T070000Z',
      '20261201T093000Z',
      '1',
    ])
    await api('lanhdao.sokhcn', 'POST', `/meetings/${id}/cancel`, { note: 'Lãnh đạo đi công tác' })
    field = await download()
    expect([field('STATUS'), field('SEQUENCE')]).toEqual(['CANCELLED', '2'])
    expect(field('DESCRIPTION')).toContain('Đã hủy: Lãnh đạo đi công tác')

    const outsider = new Visitor(t.app)
    await outsider.login('chuyenvien.thucphan')
    expect((await outsider.get(href)).statusCode).toBe(404)
    expect((await new Visitor(t.app).get(href)).statusCode).toBe(303)
  })

  it('convenes through the form, keeping values and naming problems', async () => {
    const visitor = new Visitor(t.app)
    await visitor.login('lanhdao.sokhcn')
    const form = await visitor.get(`/admin/documents/meetings/new?guestUnitIds=${units['phuong-thuc-phan']}`)
    expect(form.statusCode).toBe(200)
    expect(html(form).querySelector('#attendeeIds')?.text).toContain(
      html(form)
        .querySelectorAll('#attendeeIds option')
        .find((o) => o.getAttribute('value') === users['lanhdao.thucphan'])?.text ?? 'missing',
    )
    const bad = await visitor.post('/admin/documents/meetings/new', {
      title: 'Họp giao ban',
      startsAt: '',
      place: 'Phòng họp số 1',
      agenda: '',
      videoUrl: 'ftp://hop',
    })
    expect(bad.statusCode).toBe(422)
    expect(errorSummary(bad)).toEqual([
      'Nhập thời gian bắt đầu (ngày và giờ).',
      'Nhập ít nhất một nội dung họp (mỗi dòng một nội dung).',
      expect.stringContaining('https://'),
    ])
    expect(html(bad).querySelector('#place')?.getAttribute('value')).toBe('Phòng họp số 1')
    const good = await visitor.post('/admin/documents/meetings/new', {
      title: 'Họp giao ban tuần',
      startsAt: '2026-12-01T14:00',
      place: 'Phòng họp số 1',
      agenda: 'Điểm lại công việc tuần — Văn phòng\nKế hoạch tuần sau',
    })
    expect(good.statusCode).toBe(303)
    const page = await visitor.get(good.headers.location as string)
    expect(
      html(page)
        .querySelectorAll('#agenda li')
        .map((li) => li.text),
    ).toEqual(['Điểm lại công việc tuần — Văn phòng', 'Kế hoạch tuần sau'])
  })
})

describe('a linked document that becomes confidential or urgent after the meeting was given it', () => {
  it('shows an attendee who may not read it neither its number nor its summary, on the page or in the JSON', async () => {
    const created = await api(
      'lanhdao.sokhcn',
      'POST',
      '/meetings',
      meeting({
        title: 'Họp phương án phòng chống thiên tai',
        attendeeIds: [users['chuyenvien.sokhcn'], users['lanhdao.thucphan']],
      }),
    )
    expect(created.statusCode, created.body).toBe(201)
    const id = created.json().id as string
    const pdf = await samplePdf('Phương án phòng chống thiên tai')
    const registered = (codeNumber: string, codeNotation: string, summary: string) =>
      registerIncoming(
        'vanthu.sokhcn',
        {
          codeNumber,
          codeNotation,
          issuedOn: '2026-11-20',
          issuerName: 'Ủy ban nhân dân tỉnh Cao Bằng',
          typeCode: 'ke-hoach',
          summary,
        },
        [{ name: 'phuong-an.pdf', content: pdf }],
      )
    const kept = await registered('2417', 'PA-TTHTH', 'Phương án tích nước hồ Thăng Hen mùa lũ')
    const taken = await registered('2418', 'PA-DDNL', 'Phương án di dời dân bản Nà Lắc')
    const link = async (documentId: string) => {
      const body = multipartBody({ documentId }, [])
      const response = await t.app.inject({
        method: 'POST',
        url: `/api/v1/meetings/${id}/documents`,
        payload: body.payload,
        headers: { ...as('lanhdao.sokhcn'), 'content-type': body.contentType },
      })
      expect(response.statusCode, response.body).toBe(201)
      return response.json().id as string
    }
    await link(kept)
    const item = await link(taken)
    expect((await api('lanhdao.sokhcn', 'DELETE', `/meetings/${id}/documents/${item}`)).statusCode).toBe(204)

    const ward = new Visitor(t.app)
    await ward.login('lanhdao.thucphan')
    const traces = ['2417/PA-TTHTH', 'PA-TTHTH', 'Thăng Hen', '2418/PA-DDNL', 'PA-DDNL', 'Nà Lắc']
    // While both are ordinary, the ward's leader reads them through the meeting, history included.
    const before = html(await ward.get(`/admin/documents/meetings/${id}`))
    expect(before.querySelector('#meeting-documents')?.text).toContain('2417/PA-TTHTH')
    expect(before.querySelector('#history')?.text).toContain('Nà Lắc')

    // Then the sender's updates make one secret (mật) and the other urgent (khẩn).
    await sql`update documents set confidentiality = 'secret' where id = ${kept}`.execute(t.database.db)
    await sql`update documents set urgency = 'urgent' where id = ${taken}`.execute(t.database.db)

    for (const username of ['lanhdao.thucphan', 'chuyenvien.sokhcn']) {
      const json = await api(username, 'GET', `/meetings/${id}`)
      expect(json.statusCode).toBe(200)
      for (const trace of traces) expect(json.body).not.toContain(trace)
      expect(json.json().documents).toEqual([])
      const history = json.json().history as { action: string; note: string | null; restricted: boolean }[]
      expect(history.filter((h) => h.restricted)).toEqual([
        expect.objectContaining({ action: 'document_added', note: 'Tài liệu đã được giới hạn quyền xem' }),
        expect.objectContaining({ action: 'document_added', note: 'Tài liệu đã được giới hạn quyền xem' }),
        expect.objectContaining({ action: 'document_removed', note: 'Tài liệu đã được giới hạn quyền xem' }),
      ])
    }
    const page = await ward.get(`/admin/documents/meetings/${id}`)
    expect(page.statusCode).toBe(200)
    for (const trace of traces) expect(page.body).not.toContain(trace)
    const doc = html(page)
    expect(doc.querySelector('#meeting-documents')).toBeNull()
    expect(
      doc
        .querySelectorAll('#history tr')
        .filter((tr) => tr.text.includes('Tài liệu đã được giới hạn quyền xem')),
    ).toHaveLength(3)

    // The organiser, a leader of the documents' unit, may read both and still sees them.
    const leader = await api('lanhdao.sokhcn', 'GET', `/meetings/${id}`)
    expect(leader.json().documents.map((d: { title: string }) => d.title)).toEqual([
      '2417/PA-TTHTH: Phương án tích nước hồ Thăng Hen mùa lũ',
    ])
    // Its file is served through the meeting to them, not to the ward's leader.
    const url = leader.json().documents[0].files[0].url as string
    expect((await t.app.inject({ url, headers: as('lanhdao.sokhcn') })).statusCode).toBe(200)
    expect((await t.app.inject({ url, headers: as('lanhdao.thucphan') })).statusCode).toBe(404)
    expect(leader.json().history.filter((h: { restricted: boolean }) => h.restricted)).toEqual([])
    const organiser = new Visitor(t.app)
    await organiser.login('lanhdao.sokhcn')
    const own = html(await organiser.get(`/admin/documents/meetings/${id}`))
    expect(own.querySelector('#meeting-documents')?.text).toContain('Thăng Hen')
    expect(own.querySelector('#history')?.text).toContain('2418/PA-DDNL: Phương án di dời dân bản Nà Lắc')
    expect(own.querySelector('#history')?.text).not.toContain('Tài liệu đã được giới hạn quyền xem')
  })
})
