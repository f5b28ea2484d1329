/**
 * The messages sent to applicants, as data: one template per kind of event, in Vietnamese, each with a version
 * that is recorded on every message sent with it. Change the words → raise the version.
 *
 * A template's text has `{placeholders}`. An e-mail paragraph whose placeholders do not all have a value is left
 * out (no tracking link without PUBLIC_URL, no "send it online" to a counter applicant without an account); an
 * SMS is the first of its variants whose placeholders all have one.
 *
 * SMS are written here with diacritics, for whoever reads and reviews them, and sent without (`toGsm7`):
 * Vietnamese with diacritics only fits the UCS-2 encoding, 70 characters per SMS (67 per part of a long one),
 * against 160 in GSM-7, so the same notice costs two or three messages instead of one; brandname SMS is priced
 * per part, and operators' brandname templates are commonly registered without diacritics. Unaccented
 * Vietnamese is what people are used to reading in SMS from banks and public services.
 */

export const Template = {
  submitted: 'submitted',
  received: 'received',
  supplementRequested: 'supplement_requested',
  extended: 'extended',
  resultReady: 'result_ready',
  resultIssued: 'result_issued',
  rejected: 'rejected',
  feePaid: 'fee_paid',
  /** To officials: an assigned document's deadline is near, or has passed (document reminders). */
  documentDueSoon: 'document_due_soon',
  documentOverdue: 'document_overdue',
  /** To officials invited to a paperless meeting: invited, the meeting changed, called off, no longer invited. */
  meetingInvitation: 'meeting_invitation',
  meetingChanged: 'meeting_changed',
  meetingCancelled: 'meeting_cancelled',
  meetingWithdrawn: 'meeting_withdrawn',
} as const
export type Template = (typeof Template)[keyof typeof Template]

export const VARIABLES = [
  'code',
  'procedureName',
  'unitName',
  'dueAt',
  'note',
  'amount',
  'method',
  'paidAt',
  'reference',
  'trackUrl',
  'dossierUrl',
  /** The portal's host name: short enough for an SMS where a full link is not. */
  'portal',
  /** The unit where a paper result is collected; only for dossiers not submitted online. */
  'collectAt',
  /** The unit that signed an electronic result; only when it is signed. */
  'signer',
  /** Document reminders: the official's name, "số 12/UBND-VP" (or "số đến 7" for a restricted document). */
  'recipientName',
  'documentRef',
  /** Trích yếu; absent for a confidential or urgent document. */
  'summary',
  'assigneeName',
  /** "chủ trì" or "phối hợp". */
  'role',
  'documentUrl',
  /** Meeting notices: its title, "08:00 ngày 30/11/2026 đến 11:00 ngày 30/11/2026", place, chair, organiser. */
  'meetingTitle',
  'meetingTime',
  'place',
  'chairName',
  'organiserName',
  /** The video-conference link (https only, checked by the meetings service). */
  'videoUrl',
  /** One line per agenda item, and per meeting document (never a confidential or urgent document's). */
  'agenda',
  'meetingDocuments',
  /** One line per change: "Thời gian bắt đầu: 08:00 ngày 30/11/2026 → 14:00 ngày 01/12/2026". */
  'changes',
  /** Why the meeting was cancelled, or the organiser's note on a change. */
  'reason',
  /** Set when the time changed: earlier confirmations no longer hold. */
  'reconfirm',
  'meetingUrl',
] as const
export type Variable = (typeof VARIABLES)[number]
export type TemplateVars = Partial<Record<Variable, string | null>>

type MessageTemplate = {
  version: number
  /** The e-mail's first and last paragraphs; by default those to applicants. */
  greeting?: string
  footer?: string
  subject: string
  paragraphs: readonly string[]
  sms: readonly string[]
  /** The value shortened, with "...", when the SMS would not fit one message of 160 characters. */
  smsElastic?: Variable
}

const GREETING = 'Kính gửi Ông/Bà,'
const FOOTER =
  'Thư này được gửi tự động từ Cổng Dịch vụ công tỉnh Cao Bằng; xin vui lòng không trả lời thư này. ' +
  'Cần hỗ trợ, Ông/Bà liên hệ Bộ phận Tiếp nhận và Trả kết quả nơi giải quyết hồ sơ.'
const DOSSIER = 'Mã hồ sơ: {code}\nThủ tục: {procedureName}'
const OFFICIAL_GREETING = 'Kính gửi đồng chí {recipientName},'
const OFFICIAL_FOOTER =
  'Thư này được gửi tự động từ hệ thống Quản lý văn bản và điều hành tỉnh Cao Bằng; xin vui lòng không trả lời thư này. ' +
  'Đồng chí nhận thư vì được giao xử lý văn bản, là lãnh đạo đơn vị được giao hoặc là người giao xử lý.'

const MEETING_FOOTER =
  'Thư này được gửi tự động từ hệ thống Quản lý văn bản và điều hành tỉnh Cao Bằng; xin vui lòng không trả lời thư này. ' +
  'Đồng chí nhận thư vì có tên trong danh sách mời họp; tài liệu mật hoặc khẩn không được nêu trong thư, chỉ xem trên hệ thống.'
const MEETING_DETAILS = 'Thời gian: {meetingTime}\nĐịa điểm: {place}\nChủ trì: {chairName}'

export const templates = {
  submitted: {
    version: 1,
    subject: 'Hồ sơ {code} đã được gửi trực tuyến',
    paragraphs: [
      'Cổng Dịch vụ công tỉnh Cao Bằng đã nhận hồ sơ Ông/Bà nộp trực tuyến tới {unitName}.',
      DOSSIER,
      'Bộ phận Tiếp nhận và Trả kết quả sẽ kiểm tra hồ sơ; khi hồ sơ được tiếp nhận, Ông/Bà sẽ nhận thông báo kèm ngày hẹn trả kết quả. Ngày hẹn dự kiến: {dueAt}.',
      'Theo dõi hồ sơ (sau khi đăng nhập): {dossierUrl}',
      'Tra cứu tình trạng hồ sơ bằng mã hồ sơ và số điện thoại: {trackUrl}',
    ],
    sms: [
      'DVC Cao Bằng: đã nhận hồ sơ trực tuyến {code}, đang chờ tiếp nhận. Tra cứu: {trackUrl}',
      'DVC Cao Bằng: đã nhận hồ sơ trực tuyến {code}, đang chờ tiếp nhận.',
    ],
  },
  received: {
    version: 1,
    subject: 'Hồ sơ {code} đã được tiếp nhận',
    paragraphs: [
      '{unitName} đã tiếp nhận hồ sơ của Ông/Bà.',
      `${DOSSIER}\nNgày hẹn trả kết quả: {dueAt}`,
      'Theo dõi hồ sơ (sau khi đăng nhập): {dossierUrl}',
      'Tra cứu tình trạng hồ sơ bằng mã hồ sơ và số điện thoại: {trackUrl}',
    ],
    sms: [
      'DVC Cao Bằng: hồ sơ {code} đã được tiếp nhận, hẹn trả kết quả {dueAt}. Tra cứu: {trackUrl}',
      'DVC Cao Bằng: hồ sơ {code} đã được tiếp nhận, hẹn trả kết quả {dueAt}.',
    ],
  },
  supplement_requested: {
    version: 1,
    subject: 'Hồ sơ {code} cần bổ sung giấy tờ',
    paragraphs: [
      '{unitName} đề nghị Ông/Bà bổ sung hồ sơ {code} ({procedureName}) để tiếp tục giải quyết.',
      'Nội dung cần bổ sung: {note}',
      'Gửi bổ sung trực tuyến: đăng nhập Cổng Dịch vụ công, mở hồ sơ tại {dossierUrl}, chọn "Nộp bổ sung", tải lên giấy tờ còn thiếu rồi gửi.',
      'Ông/Bà cũng có thể nộp bổ sung trực tiếp tại Bộ phận Tiếp nhận và Trả kết quả của {unitName}.',
      'Thời hạn giải quyết tạm dừng cho đến khi hồ sơ được bổ sung đầy đủ.',
    ],
    sms: [
      'DVC Cao Bằng: hồ sơ {code} cần bổ sung: {note}. Nộp bổ sung tại {portal} hoặc Bộ phận một cửa.',
      'DVC Cao Bằng: hồ sơ {code} cần bổ sung: {note}. Nộp tại Bộ phận một cửa.',
    ],
    smsElastic: 'note',
  },
  extended: {
    version: 1,
    subject: 'Thư xin lỗi và hẹn lại ngày trả kết quả hồ sơ {code}',
    paragraphs: [
      '{unitName} thành thật xin lỗi Ông/Bà vì hồ sơ {code} ({procedureName}) chưa giải quyết được trong thời hạn đã hẹn.',
      'Lý do: {note}',
      'Ngày hẹn trả kết quả mới: {dueAt}',
      'Rất mong Ông/Bà thông cảm. Tra cứu tình trạng hồ sơ: {trackUrl}',
    ],
    sms: ['DVC Cao Bằng xin lỗi: hồ sơ {code} chậm giải quyết, hẹn trả kết quả mới {dueAt}. Lý do: {note}'],
    smsElastic: 'note',
  },
  result_ready: {
    version: 1,
    subject: 'Hồ sơ {code} đã có kết quả',
    paragraphs: [
      'Hồ sơ {code} ({procedureName}) đã được {unitName} giải quyết xong.',
      'Mời Ông/Bà đến nhận kết quả tại Bộ phận Tiếp nhận và Trả kết quả của {collectAt}, mang theo giấy tiếp nhận hồ sơ và hẹn trả kết quả cùng giấy tờ tùy thân.',
      'Kết quả điện tử được trả trên Cổng Dịch vụ công: Ông/Bà đăng nhập và tải về tại {dossierUrl}',
      'Tra cứu tình trạng hồ sơ: {trackUrl}',
    ],
    sms: [
      'DVC Cao Bằng: hồ sơ {code} đã có kết quả. Tải kết quả tại {dossierUrl}',
      'DVC Cao Bằng: hồ sơ {code} đã có kết quả. Mời nhận tại Bộ phận một cửa {collectAt}.',
      'DVC Cao Bằng: hồ sơ {code} đã có kết quả.',
    ],
    smsElastic: 'collectAt',
  },
  result_issued: {
    version: 1,
    subject: 'Kết quả điện tử của hồ sơ {code}',
    paragraphs: [
      'Kết quả giải quyết hồ sơ {code} ({procedureName}) đã được phát hành dưới dạng điện tử.',
      'Kết quả có chữ ký số của {signer}.',
      'Ông/Bà đăng nhập Cổng Dịch vụ công và tải kết quả tại {dossierUrl}. Kết quả cũng được lưu trong kho dữ liệu của Ông/Bà để dùng cho các thủ tục sau.',
    ],
    sms: [
      'DVC Cao Bằng: kết quả điện tử của hồ sơ {code} đã được phát hành. Tải về: {dossierUrl}',
      'DVC Cao Bằng: kết quả điện tử của hồ sơ {code} đã được phát hành trên Cổng Dịch vụ công.',
    ],
  },
  rejected: {
    version: 1,
    subject: 'Hồ sơ {code} không được giải quyết',
    paragraphs: [
      '{unitName} thông báo hồ sơ {code} ({procedureName}) không đủ điều kiện giải quyết và đã dừng xử lý.',
      'Lý do: {note}',
      'Ông/Bà có thể liên hệ Bộ phận Tiếp nhận và Trả kết quả của {unitName} để được hướng dẫn, hoặc nộp hồ sơ mới khi đủ điều kiện.',
      'Xem hồ sơ (sau khi đăng nhập): {dossierUrl}',
    ],
    sms: ['DVC Cao Bằng: hồ sơ {code} không được giải quyết. Lý do: {note}'],
    smsElastic: 'note',
  },
  fee_paid: {
    version: 1,
    subject: 'Đã nhận phí, lệ phí của hồ sơ {code}',
    paragraphs: [
      'Đã ghi nhận Ông/Bà nộp {amount} phí, lệ phí cho hồ sơ {code} ({procedureName}).',
      'Hình thức: {method}\nThời điểm: {paidAt}',
      'Mã giao dịch hoặc số biên lai: {reference}',
      'Xem hồ sơ và biên lai (sau khi đăng nhập): {dossierUrl}',
    ],
    sms: [
      'DVC Cao Bằng: đã nhận {amount} phí, lệ phí hồ sơ {code} lúc {paidAt}. Mã GD/biên lai: {reference}',
      'DVC Cao Bằng: đã nhận {amount} phí, lệ phí hồ sơ {code} lúc {paidAt}.',
    ],
  },
  document_due_soon: {
    version: 1,
    greeting: OFFICIAL_GREETING,
    footer: OFFICIAL_FOOTER,
    subject: 'Văn bản {documentRef} sắp đến hạn xử lý',
    paragraphs: [
      'Văn bản {documentRef} của {unitName} giao {assigneeName} {role} xử lý sẽ đến hạn vào {dueAt}.',
      'Trích yếu: {summary}',
      'Xem và xử lý văn bản (sau khi đăng nhập): {documentUrl}',
    ],
    sms: [
      'QLVB Cao Bằng: văn bản {documentRef} ({assigneeName} {role}) sắp đến hạn xử lý lúc {dueAt}. {documentUrl}',
      'QLVB Cao Bằng: văn bản {documentRef} ({assigneeName} {role}) sắp đến hạn xử lý lúc {dueAt}.',
    ],
    smsElastic: 'assigneeName',
  },
  document_overdue: {
    version: 1,
    greeting: OFFICIAL_GREETING,
    footer: OFFICIAL_FOOTER,
    subject: 'Văn bản {documentRef} đã quá hạn xử lý',
    paragraphs: [
      'Văn bản {documentRef} của {unitName} giao {assigneeName} {role} xử lý đã quá hạn từ {dueAt} mà chưa hoàn thành.',
      'Trích yếu: {summary}',
      'Đề nghị khẩn trương hoàn thành, hoặc báo cáo tiến độ và lý do chậm trên hệ thống.',
      'Xem văn bản (sau khi đăng nhập): {documentUrl}',
    ],
    sms: [
      'QLVB Cao Bằng: văn bản {documentRef} ({assigneeName} {role}) đã quá hạn xử lý từ {dueAt}. {documentUrl}',
      'QLVB Cao Bằng: văn bản {documentRef} ({assigneeName} {role}) đã quá hạn xử lý từ {dueAt}.',
    ],
    smsElastic: 'assigneeName',
  },
  // Meeting notices: the e-mail carries the agenda, the documents, the changes and the link; the SMS only what,
  // when and where, for an official away from their desk (a link to the meeting would not fit in 160 characters).
  meeting_invitation: {
    version: 1,
    greeting: OFFICIAL_GREETING,
    footer: MEETING_FOOTER,
    subject: 'Giấy mời họp: {meetingTitle}',
    paragraphs: [
      '{organiserName} ({unitName}) trân trọng kính mời đồng chí dự cuộc họp "{meetingTitle}".',
      MEETING_DETAILS,
      'Họp trực tuyến: {videoUrl}',
      'Nội dung họp:\n{agenda}',
      'Tài liệu họp:\n{meetingDocuments}',
      'Xem tài liệu họp và xác nhận tham dự (sau khi đăng nhập): {meetingUrl}',
    ],
    sms: ['QLVB Cao Bằng: mời đồng chí dự họp "{meetingTitle}" vào {meetingTime} tại {place}.'],
    smsElastic: 'meetingTitle',
  },
  meeting_changed: {
    version: 1,
    greeting: OFFICIAL_GREETING,
    footer: MEETING_FOOTER,
    subject: 'Thay đổi cuộc họp: {meetingTitle}',
    paragraphs: [
      'Cuộc họp "{meetingTitle}" do {unitName} tổ chức, đồng chí được mời dự, có thay đổi như sau:',
      '{changes}',
      'Ghi chú của người tổ chức: {reason}',
      `Sau khi thay đổi:\n${MEETING_DETAILS}`,
      'Họp trực tuyến: {videoUrl}',
      '{reconfirm}',
      'Xem chi tiết cuộc họp (sau khi đăng nhập): {meetingUrl}',
    ],
    sms: ['QLVB Cao Bằng: cuộc họp "{meetingTitle}" có thay đổi, nay vào {meetingTime} tại {place}.'],
    smsElastic: 'meetingTitle',
  },
  meeting_cancelled: {
    version: 1,
    greeting: OFFICIAL_GREETING,
    footer: MEETING_FOOTER,
    subject: 'Hủy cuộc họp: {meetingTitle}',
    paragraphs: [
      '{unitName} thông báo hủy cuộc họp "{meetingTitle}" dự kiến vào {meetingTime} tại {place}.',
      'Lý do: {reason}',
      'Xem cuộc họp (sau khi đăng nhập): {meetingUrl}',
    ],
    sms: [
      'QLVB Cao Bằng: HỦY cuộc họp "{meetingTitle}" vào {meetingTime}. Lý do: {reason}',
      'QLVB Cao Bằng: HỦY cuộc họp "{meetingTitle}" vào {meetingTime}.',
    ],
    smsElastic: 'meetingTitle',
  },
  meeting_withdrawn: {
    version: 1,
    greeting: OFFICIAL_GREETING,
    footer: MEETING_FOOTER,
    subject: 'Hủy giấy mời họp: {meetingTitle}',
    paragraphs: [
      'Người tổ chức đã rút tên đồng chí khỏi danh sách mời dự cuộc họp "{meetingTitle}" của {unitName} vào {meetingTime} tại {place}. Đồng chí không cần tham dự cuộc họp này; giấy mời trước đây không còn giá trị.',
      'Ghi chú của người tổ chức: {reason}',
    ],
    sms: [
      'QLVB Cao Bằng: đồng chí không còn trong danh sách mời họp "{meetingTitle}" vào {meetingTime}; giấy mời trước không còn giá trị.',
    ],
    smsElastic: 'meetingTitle',
  },
} as const satisfies Record<Template, MessageTemplate>

export type RenderedEmail = { version: number; subject: string; text: string; html: string }
export type RenderedSms = { version: number; text: string }

const PLACEHOLDER = /\{(\w+)\}/g

function valueOf(vars: TemplateVars, name: string): string | undefined {
  const value = (vars as Record<string, string | null | undefined>)[name]
  return value === null || value === undefined || value === '' ? undefined : value
}

/** The text with its placeholders filled, or null when one has no value. */
export function fill(text: string, vars: TemplateVars): string | null {
  let missing = false
  const filled = text.replace(PLACEHOLDER, (_, name: string) => {
    const value = valueOf(vars, name)
    if (value === undefined) missing = true
    return value ?? ''
  })
  return missing ? null : filled
}

const escapeHtml = (text: string) =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')

/** A paragraph as HTML: text escaped, line breaks kept, link values (`…Url`) as links. */
function htmlParagraph(text: string, vars: TemplateVars): string {
  let out = ''
  let last = 0
  for (const match of text.matchAll(PLACEHOLDER)) {
    out += escapeHtml(text.slice(last, match.index))
    const name = match[1]!
    const value = escapeHtml(valueOf(vars, name) ?? '')
    out += name.endsWith('Url') ? `<a href="${value}">${value}</a>` : value
    last = match.index + match[0].length
  }
  out += escapeHtml(text.slice(last))
  return `<p>${out.replace(/\n/g, '<br>\n')}</p>`
}

/** The e-mail of a template: plain text, and the same paragraphs as simple HTML that any mail client shows. */
export function renderEmail(name: Template, vars: TemplateVars): RenderedEmail {
  const template: MessageTemplate = templates[name]
  const subject = fill(template.subject, vars)
  if (subject === null) throw new Error(`Template ${name}: the subject needs ${template.subject}`)
  const paragraphs = template.paragraphs.filter((p) => fill(p, vars) !== null)
  const greeting = template.greeting ?? GREETING
  const footer = template.footer ?? FOOTER
  if (fill(greeting, vars) === null) throw new Error(`Template ${name}: the greeting needs ${greeting}`)
  const text = [greeting, ...paragraphs, footer].map((p) => fill(p, vars)!).join('\n\n')
  const html =
    '<!doctype html>\n<html lang="vi">\n<head><meta charset="utf-8">' +
    `<title>${escapeHtml(subject)}</title></head>\n` +
    '<body style="font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#1b1b1b">\n' +
    [greeting, ...paragraphs].map((p) => htmlParagraph(p, vars)).join('\n') +
    `\n<p style="color:#505a5f;font-size:13px">${escapeHtml(footer)}</p>\n</body>\n</html>\n`
  return { version: template.version, subject, text, html }
}

export const SMS_LIMIT = 160

/**
 * The SMS of a template in GSM-7: the first variant that fits one message of 160 characters, shortening the
 * elastic value ("...") where that leaves it at least 20 characters; failing that, the first variant whole
 * (sent as a long SMS in parts). Null when no variant has its values.
 */
export function renderSms(name: Template, vars: TemplateVars): RenderedSms | null {
  const template: MessageTemplate = templates[name]
  const gsmVars: TemplateVars = Object.fromEntries(
    Object.entries(vars).map(([key, value]) => [key, value ? toGsm7(value) : value]),
  )
  const elastic = template.smsElastic
  const value = elastic ? valueOf(gsmVars, elastic) : undefined
  let whole: string | null = null
  for (const variant of template.sms.map(toGsm7)) {
    const full = fill(variant, gsmVars)
    if (full === null) continue
    whole ??= full
    if (gsm7Length(full) <= SMS_LIMIT) return { version: template.version, text: full }
    if (!elastic || value === undefined || !variant.includes(`{${elastic}}`)) continue
    const room = SMS_LIMIT - (gsm7Length(full) - gsm7Length(value))
    if (room < 20) continue
    let shortened = ''
    for (const char of value) {
      if (gsm7Length(shortened + char) > room - 3) break
      shortened += char
    }
    return {
      version: template.version,
      text: fill(variant, { ...gsmVars, [elastic]: `${shortened.trimEnd()}...` })!,
    }
  }
  return whole === null ? null : { version: template.version, text: whole }
}

const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà'
const GSM7_EXTENDED = '^{}\\[~]|€\f'
const TYPOGRAPHY: Record<string, string> = {
  '‘': "'",
  '’': "'",
  '“': '"',
  '”': '"',
  '–': '-',
  '—': '-',
  '…': '...',
  '\u00a0': ' ',
  '\t': ' ',
}

/**
 * Vietnamese without diacritics, in the GSM-7 alphabet: marks removed (ệ → e), đ → d, typographic quotes and
 * dashes made plain; anything else outside the alphabet becomes "?".
 */
export function toGsm7(text: string): string {
  const plain = text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .normalize('NFC')
  let out = ''
  for (const char of plain) {
    const mapped = TYPOGRAPHY[char] ?? char
    for (const c of mapped) out += GSM7_BASIC.includes(c) || GSM7_EXTENDED.includes(c) ? c : '?'
  }
  return out
}

/** Septets used: the extension characters take two (escape + character). */
export function gsm7Length(text: string): number {
  let length = 0
  for (const char of text) length += GSM7_EXTENDED.includes(char) ? 2 : 1
  return length
}
