import { describe, expect, it } from 'vitest'
import {
  documentReminderMessage,
  formatVietnamTime,
  maskRecipient,
  meetingNoticeMessage,
  meetingTimeText,
  messageFor,
  recipientsOf,
  templateOfStatusChange,
  type Contact,
  type NotificationEvent,
} from './notification-plan.js'
import {
  gsm7Length,
  renderEmail,
  renderSms,
  SMS_LIMIT,
  Template,
  templates,
  toGsm7,
  type TemplateVars,
} from './notification-templates.js'

const GSM7 = /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà^{}\\[~\]|€]*$/

// Long but real values: the longest kind of code, a province portal address, a long procedure and unit name.
const longest: TemplateVars = {
  code: '000.00.00.H14-261127-0001',
  procedureName:
    'Đăng ký khai sinh kết hợp đăng ký thường trú, cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi (liên thông)',
  unitName: 'Ủy ban nhân dân phường Thục Phán',
  dueAt: '17:00 ngày 02/12/2026',
  note: 'Bổ sung bản sao giấy khai sinh có chứng thực và xác nhận nơi cư trú của người yêu cầu',
  amount: '1.500.000 đồng',
  method: 'thanh toán trực tuyến',
  paidAt: '09:00 ngày 27/11/2026',
  reference: 'BL-2026-000123',
  trackUrl: 'https://dichvucong.caobang.gov.vn/track',
  dossierUrl: 'https://dichvucong.caobang.gov.vn/dossiers/000.00.00.H14-261127-0001',
  portal: 'dichvucong.caobang.gov.vn',
  collectAt: 'Ủy ban nhân dân phường Thục Phán',
  signer: 'Ủy ban nhân dân phường Thục Phán',
}

// Messages to applicants; the document reminders (`document_*`) and meeting notices (`meeting_*`) go to
// officials and are tested below.
const APPLICANT_TEMPLATES = Object.values(Template).filter(
  (name) => !name.startsWith('document_') && !name.startsWith('meeting_'),
)

const contact: Contact = {
  dossierCode: '000.00.00.H14-261127-0001',
  unitId: '6f1f7c8e-1d2b-4c3a-9e8f-0a1b2c3d4e5f',
  channel: 'online',
  userId: '0d6f3c1e-2b4a-4f8e-9c7d-1a2b3c4d5e6f',
  email: 'An.Nguyen@Example.vn',
  phone: '0912000001',
  procedureName: 'Xác nhận tình trạng hôn nhân',
}

const statusChanged = (
  action: string,
  status: string,
  note: string | null = null,
): NotificationEvent & { topic: 'dossier.status_changed' } => ({
  seq: 7,
  topic: 'dossier.status_changed',
  payload: {
    code: contact.dossierCode,
    procedureCode: '1.004873',
    unitId: contact.unitId,
    status,
    nationalStatus: 2,
    action,
    at: '2026-11-27T02:00:00.000Z',
    channel: 'online',
    receivedAt: '2026-11-27T02:00:00.000Z',
    dueAt: '2026-12-02T10:00:00.000Z',
    finishedAt: null,
    feeAmount: 15000,
    files: 2,
    applicantUserId: contact.userId,
    applicantName: 'Nguyễn Văn An',
    applicantIdNumber: '004090000001',
    applicantEmail: contact.email,
    applicantPhone: contact.phone,
    procedureName: contact.procedureName,
    note,
  },
})

describe('e-mail templates', () => {
  it('writes every template in Vietnamese with the code in the subject, a greeting and the footer', () => {
    for (const name of APPLICANT_TEMPLATES) {
      const mail = renderEmail(name, longest)
      expect(mail.subject, name).toContain(longest.code)
      expect(mail.text, name).toMatch(/^Kính gửi Ông\/Bà,\n\n/)
      expect(mail.text, name).toContain('Cổng Dịch vụ công tỉnh Cao Bằng')
      expect(mail.html, name).toMatch(/^<!doctype html>/)
      expect(mail.version, name).toBe(templates[name].version)
    }
  })

  it('leaves out a paragraph whose value is missing, such as the tracking link without PUBLIC_URL', () => {
    const withLinks = renderEmail(Template.received, longest)
    expect(withLinks.text).toContain('Tra cứu tình trạng hồ sơ bằng mã hồ sơ và số điện thoại: https://')
    const without = renderEmail(Template.received, { ...longest, trackUrl: null, dossierUrl: null })
    expect(without.text).not.toContain('Tra cứu')
    expect(without.text).not.toContain('{')
    expect(without.text).toContain('Ngày hẹn trả kết quả: 17:00 ngày 02/12/2026')
  })

  it('escapes values in the HTML and makes links of the addresses', () => {
    const mail = renderEmail(Template.rejected, { ...longest, note: 'Thiếu <b>giấy tờ</b> & "chữ ký"' })
    expect(mail.html).toContain('Lý do: Thiếu &lt;b&gt;giấy tờ&lt;/b&gt; &amp; &quot;chữ ký&quot;')
    expect(mail.html).toContain(`<a href="${longest.dossierUrl}">${longest.dossierUrl}</a>`)
    expect(mail.text).toContain('Lý do: Thiếu <b>giấy tờ</b> & "chữ ký"')
  })

  it('refuses to render a subject without its values', () => {
    expect(() => renderEmail(Template.received, { ...longest, code: null })).toThrow(/subject/)
  })
})

describe('SMS templates', () => {
  it('fits every template in one GSM-7 message of 160 characters, without diacritics', () => {
    for (const name of APPLICANT_TEMPLATES) {
      const sms = renderSms(name, longest)!
      expect(gsm7Length(sms.text), `${name}: ${sms.text}`).toBeLessThanOrEqual(SMS_LIMIT)
      expect(sms.text, name).toMatch(GSM7)
      expect(sms.text, name).toContain(longest.code)
    }
  })

  it('shortens a long reason with "..." and keeps the rest of the message', () => {
    const note = 'Bổ sung '.repeat(40)
    const sms = renderSms(Template.supplementRequested, { ...longest, note })!
    expect(gsm7Length(sms.text)).toBeLessThanOrEqual(SMS_LIMIT)
    expect(gsm7Length(sms.text)).toBeGreaterThan(SMS_LIMIT - 3)
    expect(sms.text).toMatch(
      /^DVC Cao Bang: ho so 000\.00\.00\.H14-261127-0001 can bo sung: Bo sung .*\.\.\.\. Nop bo sung tai dichvucong\.caobang\.gov\.vn hoac Bo phan mot cua\.$/,
    )
    const short = renderSms(Template.rejected, { ...longest, note })!
    expect(gsm7Length(short.text)).toBeLessThanOrEqual(SMS_LIMIT)
    expect(short.text).toMatch(/ Ly do: Bo sung Bo sung .*\.\.\.$/)
  })

  it('keeps the link when the reason is short enough', () => {
    const sms = renderSms(Template.supplementRequested, {
      ...longest,
      note: 'Bổ sung bản sao giấy khai sinh',
    })!
    expect(sms.text).toBe(
      'DVC Cao Bang: ho so 000.00.00.H14-261127-0001 can bo sung: Bo sung ban sao giay khai sinh. Nop bo sung tai dichvucong.caobang.gov.vn hoac Bo phan mot cua.',
    )
  })

  it('uses the variant without a link when there is none', () => {
    const sms = renderSms(Template.supplementRequested, {
      ...longest,
      note: 'Bổ sung bản sao giấy khai sinh',
      portal: null,
    })!
    expect(sms.text).toBe(
      'DVC Cao Bang: ho so 000.00.00.H14-261127-0001 can bo sung: Bo sung ban sao giay khai sinh. Nop tai Bo phan mot cua.',
    )
  })

  it('turns Vietnamese into GSM-7 and counts extension characters twice', () => {
    expect(toGsm7('Đồng Khê – “Quảng Hòa” … Trùng Khánh')).toBe('Dong Khe - "Quang Hoa" ... Trung Khanh')
    expect(toGsm7('Hạ Lang 😀')).toBe('Ha Lang ?')
    expect(gsm7Length('a{b}€')).toBe(8)
  })
})

describe('which message an event calls for', () => {
  it('maps the actions that change something for the applicant, and only those', () => {
    expect(templateOfStatusChange({ action: 'submit', status: 'submitted' })).toBe(Template.submitted)
    expect(templateOfStatusChange({ action: 'receive', status: 'received' })).toBe(Template.received)
    expect(templateOfStatusChange({ action: 'request_supplement', status: 'supplement_requested' })).toBe(
      Template.supplementRequested,
    )
    expect(templateOfStatusChange({ action: 'extend', status: 'in_progress' })).toBe(Template.extended)
    expect(templateOfStatusChange({ action: 'approve', status: 'approved' })).toBe(Template.resultReady)
    expect(templateOfStatusChange({ action: 'reject', status: 'rejected' })).toBe(Template.rejected)
    for (const action of ['forward', 'send_back', 'provide_supplement', 'withdraw', 'return_result'])
      expect(templateOfStatusChange({ action, status: 'in_progress' }), action).toBeNull()
  })

  it('gives the dossier page only to an applicant with an account, and links only with PUBLIC_URL', () => {
    const links = { publicUrl: 'https://dichvucong.caobang.gov.vn/' }
    const online = messageFor(statusChanged('receive', 'received'), contact, 'UBND phường Thục Phán', links)!
    expect(online.vars).toMatchObject({
      dossierUrl: `https://dichvucong.caobang.gov.vn/dossiers/${contact.dossierCode}`,
      trackUrl: 'https://dichvucong.caobang.gov.vn/track',
      portal: 'dichvucong.caobang.gov.vn',
      dueAt: '17:00 ngày 02/12/2026',
      collectAt: null,
    })
    const counter = messageFor(
      statusChanged('approve', 'approved'),
      { ...contact, userId: null, channel: 'counter' },
      'UBND phường Thục Phán',
      { publicUrl: undefined },
    )!
    expect(counter.template).toBe(Template.resultReady)
    expect(counter.vars).toMatchObject({
      dossierUrl: null,
      portal: null,
      trackUrl: null,
      collectAt: 'UBND phường Thục Phán',
    })
    const text = renderEmail(counter.template, counter.vars).text
    expect(text).toContain('Mời Ông/Bà đến nhận kết quả tại Bộ phận Tiếp nhận và Trả kết quả của UBND phường')
    expect(text).not.toContain('Kết quả điện tử')
  })

  it('writes the amount and time of a payment, and says nothing for a paper result handed over', () => {
    const paid = messageFor(
      {
        seq: 9,
        topic: 'dossier.fee_paid',
        payload: {
          code: contact.dossierCode,
          unitId: contact.unitId,
          amount: 15000,
          online: false,
          reference: 'BL-2026-0007',
          at: '2026-11-27T02:05:00.000Z',
        },
      },
      contact,
      'UBND phường Thục Phán',
      { publicUrl: undefined },
    )!
    expect(paid.vars).toMatchObject({
      amount: '15.000 đồng',
      paidAt: '09:05 ngày 27/11/2026',
      method: 'nộp tiền mặt tại Bộ phận Tiếp nhận và Trả kết quả',
      reference: 'BL-2026-0007',
    })
    const result = (electronic: boolean): NotificationEvent => ({
      seq: 10,
      topic: 'dossier.result_issued',
      payload: {
        code: contact.dossierCode,
        procedureCode: '1.004873',
        unitId: contact.unitId,
        electronic,
        signed: true,
        at: '2026-12-01T02:00:00.000Z',
      },
    })
    expect(messageFor(result(false), contact, 'UBND', { publicUrl: undefined })).toBeNull()
    expect(messageFor(result(true), contact, 'UBND', { publicUrl: undefined })).toMatchObject({
      template: Template.resultIssued,
      vars: { signer: 'UBND' },
    })
  })

  it('formats times in Cao Bằng whatever the server time zone', () => {
    expect(formatVietnamTime('2026-12-31T17:30:00.000Z')).toBe('00:30 ngày 01/01/2027')
  })
})

describe('recipients', () => {
  it('sends SMS to mobile numbers as 84…, and keeps a landline or a bad address with the reason', () => {
    expect(recipientsOf({ email: ' An.Nguyen@Example.vn ', phone: '0912 000 001' })).toEqual([
      { channel: 'email', recipient: 'an.nguyen@example.vn', unusable: null },
      { channel: 'sms', recipient: '84912000001', unusable: null },
    ])
    const [email, landline] = recipientsOf({ email: 'an.nguyen@', phone: '02063851234' })
    expect(email?.unusable).toMatch(/không hợp lệ/)
    expect(landline).toMatchObject({ recipient: '02063851234', unusable: expect.stringMatching(/di động/) })
    expect(recipientsOf({ email: null, phone: null })).toEqual([])
  })

  it('masks addresses for the pages', () => {
    expect(maskRecipient('email', 'an.nguyen@example.vn')).toBe('a***@example.vn')
    expect(maskRecipient('sms', '84912000001')).toBe('091****001')
  })
})

describe('document reminders to officials', () => {
  const reminder = (kind: 'due_soon' | 'overdue', restricted = false) => ({
    seq: 11,
    topic: 'document.reminder_due' as const,
    payload: {
      reminderId: '5b0c7a52-93f4-4f0e-8a53-2f7f3f0c1d01',
      kind,
      documentId: '8a9b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d',
      unitId: contact.unitId,
      number: 12,
      code: restricted ? null : '1234/UBND-VP',
      summary: restricted ? null : 'V/v triển khai chuyển đổi số năm 2027 trên địa bàn tỉnh Cao Bằng',
      assignmentId: '3c2b1a09-8f7e-4d6c-9b5a-4e3d2c1b0a99',
      assigneeName: 'Phòng Quản lý công nghệ và Phát triển thị trường khoa học và công nghệ',
      role: 'lead',
      dueAt: '2026-12-02T10:00:00.000Z',
      recipients: [],
      at: '2026-12-01T02:00:00.000Z',
    },
  })
  const links = { publicUrl: 'https://dichvucong.caobang.gov.vn' }

  it('greets the official by name and says which document, who handles it and by when', () => {
    const message = documentReminderMessage(
      reminder('due_soon'),
      'Bế Thị Hạnh',
      'Sở Khoa học và Công nghệ',
      links,
    )
    expect(message.template).toBe(Template.documentDueSoon)
    const mail = renderEmail(message.template, message.vars)
    expect(mail.subject).toBe('Văn bản số 1234/UBND-VP sắp đến hạn xử lý')
    expect(mail.text).toMatch(/^Kính gửi đồng chí Bế Thị Hạnh,\n\n/)
    expect(mail.text).toContain(
      'Văn bản số 1234/UBND-VP của Sở Khoa học và Công nghệ giao Phòng Quản lý công nghệ và Phát triển thị trường khoa học và công nghệ chủ trì xử lý sẽ đến hạn vào 17:00 ngày 02/12/2026.',
    )
    expect(mail.text).toContain('Trích yếu: V/v triển khai chuyển đổi số năm 2027')
    expect(mail.text).toContain(
      'Xem và xử lý văn bản (sau khi đăng nhập): https://dichvucong.caobang.gov.vn/admin/documents/8a9b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d',
    )
    expect(mail.text).toContain('Quản lý văn bản và điều hành tỉnh Cao Bằng')
    expect(mail.text).not.toContain('Ông/Bà')
    const overdue = documentReminderMessage(reminder('overdue'), 'Lương Văn Thành', 'Sở KH&CN', links)
    expect(renderEmail(overdue.template, overdue.vars).subject).toBe(
      'Văn bản số 1234/UBND-VP đã quá hạn xử lý',
    )
  })

  it('names a confidential or urgent document only by its register number, without its summary', () => {
    for (const kind of ['due_soon', 'overdue'] as const) {
      const message = documentReminderMessage(reminder(kind, true), 'Bế Thị Hạnh', 'Sở KH&CN', links)
      const mail = renderEmail(message.template, message.vars)
      expect(mail.subject).toMatch(/^Văn bản số đến 12 /)
      expect(mail.text).not.toContain('Trích yếu')
      expect(mail.text).not.toContain('{')
      const sms = renderSms(message.template, message.vars)!
      expect(sms.text).toContain('van ban so den 12')
    }
  })

  it('fits the SMS in one GSM-7 message, shortening a long unit name', () => {
    for (const kind of ['due_soon', 'overdue'] as const) {
      const message = documentReminderMessage(reminder(kind), 'Bế Thị Hạnh', 'Sở KH&CN', links)
      const sms = renderSms(message.template, message.vars)!
      expect(gsm7Length(sms.text), sms.text).toBeLessThanOrEqual(SMS_LIMIT)
      expect(sms.text).toMatch(GSM7)
      expect(sms.text).toMatch(/^QLVB Cao Bang: van ban so 1234\/UBND-VP \(Phong Quan ly .*\.\.\. chu tri\)/)
    }
    const without = documentReminderMessage(reminder('overdue'), 'Bế Thị Hạnh', 'Sở KH&CN', {
      publicUrl: undefined,
    })
    expect(renderSms(without.template, without.vars)!.text).toMatch(
      /da qua han xu ly tu 17:00 ngay 02\/12\/2026\.$/,
    )
  })
})

describe('meeting notices to officials', () => {
  type Kind = 'invitation' | 'change' | 'cancellation' | 'withdrawn'
  type Payload = Parameters<typeof meetingNoticeMessage>[0]['payload']
  const notice = (kind: Kind, extra: Partial<Payload> = {}) => ({
    seq: 21,
    topic: 'meeting.notice' as const,
    payload: {
      kind,
      meetingId: '2f0e4c1a-7b6d-4e5f-8a9b-0c1d2e3f4a5b',
      unitId: contact.unitId,
      title: 'Họp triển khai kế hoạch chuyển đổi số năm 2027',
      startsAt: '2026-12-01T07:00:00.000Z',
      endsAt: '2026-12-01T09:30:00.000Z',
      place: 'Phòng họp tầng 2',
      videoUrl: 'https://hop.caobang.gov.vn/phong-khcn',
      chairName: 'Lương Văn Thành',
      organiserName: 'Lương Văn Thành',
      agenda: ['Báo cáo kết quả năm 2026 — Phòng Chuyển đổi số', 'Thảo luận kế hoạch năm 2027'],
      documents: [] as string[],
      changes: [] as Payload['changes'],
      reason: null as string | null,
      reconfirm: false,
      recipients: [] as string[],
      at: '2026-11-27T02:00:00.000Z',
      ...extra,
    },
  })
  const links = { publicUrl: 'https://qlvb.caobang.gov.vn/' }
  const render = (kind: Kind, extra: Partial<Payload> = {}, publicUrl = links.publicUrl) => {
    const message = meetingNoticeMessage(notice(kind, extra), 'Bế Thị Hạnh', 'Sở Khoa học và Công nghệ', {
      publicUrl,
    })
    return { template: message.template, ...renderEmail(message.template, message.vars) }
  }

  it('writes the time once for a meeting within a day, and both ends for a longer one', () => {
    expect(meetingTimeText('2026-12-01T07:00:00.000Z', '2026-12-01T09:30:00.000Z')).toBe(
      '14:00 đến 16:30 ngày 01/12/2026',
    )
    expect(meetingTimeText('2026-12-01T07:00:00.000Z', '2026-12-02T04:00:00.000Z')).toBe(
      '14:00 ngày 01/12/2026 đến 11:00 ngày 02/12/2026',
    )
    expect(meetingTimeText('2026-12-01T07:00:00.000Z', null)).toBe('14:00 ngày 01/12/2026')
  })

  it('invites with the time, place, link, agenda and documents, and a link to the meeting', () => {
    const mail = render('invitation', { documents: ['Dự thảo báo cáo tổng kết'] })
    expect(mail.template).toBe(Template.meetingInvitation)
    expect(mail.subject).toBe('Giấy mời họp: Họp triển khai kế hoạch chuyển đổi số năm 2027')
    expect(mail.text).toMatch(/^Kính gửi đồng chí Bế Thị Hạnh,\n\n/)
    expect(mail.text).toContain('Thời gian: 14:00 đến 16:30 ngày 01/12/2026\nĐịa điểm: Phòng họp tầng 2')
    expect(mail.text).toContain('Tài liệu họp:\n- Dự thảo báo cáo tổng kết')
    expect(mail.text).toContain(
      'Xem tài liệu họp và xác nhận tham dự (sau khi đăng nhập): https://qlvb.caobang.gov.vn/admin/documents/meetings/2f0e4c1a-7b6d-4e5f-8a9b-0c1d2e3f4a5b',
    )
    expect(mail.html).toContain('<a href="https://hop.caobang.gov.vn/phong-khcn">')
    // Without documents or PUBLIC_URL those paragraphs are left out.
    const bare = render('invitation', { videoUrl: null }, '')
    expect(bare.text).not.toContain('Tài liệu họp')
    expect(bare.text).not.toContain('Họp trực tuyến')
    expect(bare.text).not.toContain('{')
  })

  it('says what, when and where in one SMS of 160 characters, without diacritics', () => {
    const vars = (kind: Kind, extra: Partial<Payload> = {}) => {
      const message = meetingNoticeMessage(
        notice(kind, extra),
        'Bế Thị Hạnh',
        'Sở Khoa học và Công nghệ',
        links,
      )
      return renderSms(message.template, message.vars)!.text
    }
    expect(vars('invitation')).toBe(
      'QLVB Cao Bang: moi dong chi du hop "Hop trien khai ke hoach chuyen doi so nam 2027" vao 14:00 den 16:30 ngay 01/12/2026 tai Phong hop tang 2.',
    )
    expect(vars('change', { place: 'Hội trường UBND tỉnh' })).toBe(
      'QLVB Cao Bang: cuoc hop "Hop trien khai ke hoach chuyen doi so nam 2027" co thay doi, nay vao 14:00 den 16:30 ngay 01/12/2026 tai Hoi truong UBND tinh.',
    )
    expect(vars('cancellation', { reason: 'Lãnh đạo đi công tác' })).toBe(
      'QLVB Cao Bang: HUY cuoc hop "Hop trien khai ke hoach chuyen doi so nam 2027" vao 14:00 den 16:30 ngay 01/12/2026. Ly do: Lanh dao di cong tac',
    )
    // A long title is shortened so that the message stays one SMS.
    const withdrawn = vars('withdrawn')
    expect(withdrawn).toBe(
      'QLVB Cao Bang: dong chi khong con trong danh sach moi hop "Hop trien khai ke hoach ch..." vao 14:00 den 16:30 ngay 01/12/2026; giay moi truoc khong con gia tri.',
    )
    expect(withdrawn.length).toBeLessThanOrEqual(160)
  })

  it('lists each change old → new, and asks again for answers only when the time moved', () => {
    const moved = render('change', {
      changes: [
        { field: 'startsAt', before: '2026-11-30T01:00:00.000Z', after: '2026-12-01T07:00:00.000Z' },
        { field: 'videoUrl', before: 'https://hop.caobang.gov.vn/a', after: null },
      ],
      reason: 'Lãnh đạo Sở bận họp',
      reconfirm: true,
    })
    expect(moved.subject).toBe('Thay đổi cuộc họp: Họp triển khai kế hoạch chuyển đổi số năm 2027')
    expect(moved.text).toContain(
      '- Thời gian bắt đầu: 08:00 ngày 30/11/2026 → 14:00 ngày 01/12/2026\n- Đường dẫn họp trực tuyến: https://hop.caobang.gov.vn/a → (không có)',
    )
    expect(moved.text).toContain('Ghi chú của người tổ chức: Lãnh đạo Sở bận họp')
    expect(moved.text).toContain('xác nhận lại')
    const place = render('change', { changes: [{ field: 'place', before: 'Phòng 1', after: 'Phòng 2' }] })
    expect(place.text).toContain('- Địa điểm: Phòng 1 → Phòng 2')
    expect(place.text).not.toContain('xác nhận lại')
    expect(place.text).not.toContain('Ghi chú')
  })

  it('gives the reason of a cancellation, and no link to someone taken off the list', () => {
    const cancelled = render('cancellation', { reason: 'Lãnh đạo đi công tác' })
    expect(cancelled.subject).toBe('Hủy cuộc họp: Họp triển khai kế hoạch chuyển đổi số năm 2027')
    expect(cancelled.text).toContain(
      'Sở Khoa học và Công nghệ thông báo hủy cuộc họp "Họp triển khai kế hoạch chuyển đổi số năm 2027" dự kiến vào 14:00 đến 16:30 ngày 01/12/2026 tại Phòng họp tầng 2.',
    )
    expect(cancelled.text).toContain('Lý do: Lãnh đạo đi công tác')
    const withdrawn = render('withdrawn')
    expect(withdrawn.subject).toBe('Hủy giấy mời họp: Họp triển khai kế hoạch chuyển đổi số năm 2027')
    expect(withdrawn.text).toContain('Người tổ chức đã rút tên đồng chí khỏi danh sách mời dự cuộc họp')
    expect(withdrawn.text).not.toContain('https://qlvb.caobang.gov.vn')
  })
})
