import type { DomainEvents } from '../../platform/events/outbox.js'
import { documentPaths, meetingPaths } from '../documents/index.js'
import { DossierStatus, dossierPaths } from '../dossiers/index.js'
import { Template, type TemplateVars } from './notification-templates.js'

/** The events this module turns into messages. */
export const TOPICS = ['dossier.status_changed', 'dossier.fee_paid', 'dossier.result_issued'] as const
export type NotificationTopic = (typeof TOPICS)[number]
export type NotificationEvent = {
  [T in NotificationTopic]: { seq: number; topic: T; payload: DomainEvents[T] }
}[NotificationTopic]

/** Document reminders to officials: a consumer of their own, so neither kind of message holds the other up. */
export const DOCUMENT_TOPICS = ['document.reminder_due'] as const
export type DocumentTopic = (typeof DOCUMENT_TOPICS)[number]
export type DocumentReminderEvent = {
  seq: number
  topic: DocumentTopic
  payload: DomainEvents['document.reminder_due']
}

/** Notices to the officials invited to a paperless meeting: a consumer of their own too. */
export const MEETING_TOPICS = ['meeting.notice'] as const
export type MeetingTopic = (typeof MEETING_TOPICS)[number]
export type MeetingNoticeEvent = {
  seq: number
  topic: MeetingTopic
  payload: DomainEvents['meeting.notice']
}

export const Channel = { email: 'email', sms: 'sms' } as const
export type Channel = (typeof Channel)[keyof typeof Channel]

/** Who to tell about a dossier and what to call it, as its last status event said. */
export type Contact = {
  dossierCode: string
  unitId: string
  channel: string
  userId: string | null
  email: string | null
  phone: string | null
  procedureName: string
}

export type LinkSettings = { publicUrl: string | undefined }

/**
 * Which template a status change calls for, by the action that made it. Steps inside the unit (forward, send
 * back), the applicant's own actions (supplement provided, withdrawal) and the hand-over of the result tell the
 * applicant nothing new.
 */
export function templateOfStatusChange(change: { action: string; status: string }): Template | null {
  switch (change.action) {
    case 'submit':
      return Template.submitted
    case 'receive':
      return Template.received
    case 'request_supplement':
      return Template.supplementRequested
    case 'extend':
      return Template.extended
    case 'reject':
      return Template.rejected
    default:
      return change.status === DossierStatus.approved ? Template.resultReady : null
  }
}

/** The contact a status event carries; the payment and result events carry none. */
export function contactOf(payload: DomainEvents['dossier.status_changed']): Contact {
  return {
    dossierCode: payload.code,
    unitId: payload.unitId,
    channel: payload.channel,
    userId: payload.applicantUserId,
    email: payload.applicantEmail,
    phone: payload.applicantPhone,
    procedureName: payload.procedureName,
  }
}

const TZ = 'Asia/Ho_Chi_Minh'
const timeFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: TZ,
  hour: '2-digit',
  minute: '2-digit',
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
  hourCycle: 'h23',
})

/** "17:00 ngày 02/12/2026", in Cao Bằng's time. */
export function formatVietnamTime(iso: string): string {
  const parts = Object.fromEntries(timeFormat.formatToParts(new Date(iso)).map((p) => [p.type, p.value]))
  return `${parts.hour}:${parts.minute} ngày ${parts.day}/${parts.month}/${parts.year}`
}

/** "15.000 đồng". */
export function formatAmount(amount: number): string {
  return `${new Intl.NumberFormat('vi-VN').format(amount)} đồng`
}

/** The template and its values for one event, or null when the event calls for no message. */
export function messageFor(
  event: NotificationEvent,
  contact: Contact,
  unitName: string,
  links: LinkSettings,
): { template: Template; vars: TemplateVars } | null {
  const base = links.publicUrl?.replace(/\/+$/, '')
  const common: TemplateVars = {
    code: contact.dossierCode,
    procedureName: contact.procedureName,
    unitName,
    trackUrl: base ? `${base}${dossierPaths.track}` : null,
    // Only someone with an account can open the dossier's page.
    dossierUrl: base && contact.userId ? `${base}${dossierPaths.dossier(contact.dossierCode)}` : null,
    portal: base && contact.userId ? new URL(base).host : null,
  }
  switch (event.topic) {
    case 'dossier.status_changed': {
      const template = templateOfStatusChange(event.payload)
      if (!template) return null
      return {
        template,
        vars: {
          ...common,
          dueAt: formatVietnamTime(event.payload.dueAt),
          note: event.payload.note,
          collectAt: contact.channel === 'online' ? null : unitName,
        },
      }
    }
    case 'dossier.fee_paid': {
      // The receipt number, or the provider's transaction reference.
      const reference = (event.payload as { reference?: unknown }).reference
      return {
        template: Template.feePaid,
        vars: {
          ...common,
          amount: formatAmount(event.payload.amount),
          method: event.payload.online
            ? 'thanh toán trực tuyến'
            : 'nộp tiền mặt tại Bộ phận Tiếp nhận và Trả kết quả',
          paidAt: formatVietnamTime(event.payload.at),
          reference: typeof reference === 'string' ? reference : null,
        },
      }
    }
    case 'dossier.result_issued':
      // A paper result is handed over in person: the applicant is at the counter already.
      if (!event.payload.electronic) return null
      return {
        template: Template.resultIssued,
        vars: { ...common, signer: event.payload.signed ? unitName : null },
      }
  }
}

/**
 * The message to one official about an assignment whose deadline is near or passed. A restricted document
 * (confidential or urgent) arrives without its số/ký hiệu and summary and is named by its number in the register.
 */
export function documentReminderMessage(
  event: DocumentReminderEvent,
  recipientName: string,
  unitName: string,
  links: LinkSettings,
): { template: Template; vars: TemplateVars } {
  const p = event.payload
  const base = links.publicUrl?.replace(/\/+$/, '')
  return {
    template: p.kind === 'overdue' ? Template.documentOverdue : Template.documentDueSoon,
    vars: {
      recipientName,
      documentRef: p.code ? `số ${p.code}` : `số đến ${p.number}`,
      summary: p.summary,
      unitName,
      assigneeName: p.assigneeName,
      role: p.role === 'lead' ? 'chủ trì' : 'phối hợp',
      dueAt: formatVietnamTime(p.dueAt),
      documentUrl: base ? `${base}${documentPaths.document(p.documentId)}` : null,
    },
  }
}

const MEETING_FIELD_LABELS: Record<string, string> = {
  title: 'Tên cuộc họp',
  startsAt: 'Thời gian bắt đầu',
  endsAt: 'Thời gian kết thúc',
  place: 'Địa điểm',
  videoUrl: 'Đường dẫn họp trực tuyến',
  agenda: 'Nội dung họp',
  chair: 'Người chủ trì',
}

/** "08:00 đến 11:00 ngày 30/11/2026", or two whole times when the meeting runs over a day. */
export function meetingTimeText(startsAt: string, endsAt: string | null): string {
  const start = formatVietnamTime(startsAt)
  if (!endsAt) return start
  const end = formatVietnamTime(endsAt)
  // "HH:MM" then " ngày dd/mm/yyyy": the same day is written once.
  return start.slice(5) === end.slice(5) ? `${start.slice(0, 5)} đến ${end}` : `${start} đến ${end}`
}

/** One line per change, old → new, times in Cao Bằng's time. */
export function meetingChangeLines(changes: DomainEvents['meeting.notice']['changes']): string | null {
  const value = (field: string, v: string | null) =>
    v === null || v === ''
      ? '(không có)'
      : field === 'startsAt' || field === 'endsAt'
        ? formatVietnamTime(v)
        : v
  const lines = changes.map(
    (c) =>
      `- ${MEETING_FIELD_LABELS[c.field] ?? c.field}: ${value(c.field, c.before)} → ${value(c.field, c.after)}`,
  )
  return lines.length > 0 ? lines.join('\n') : null
}

const list = (items: readonly string[]) => (items.length > 0 ? items.map((i) => `- ${i}`).join('\n') : null)

/**
 * The message to one official about a meeting they are (or were) invited to. The event carries only the
 * titles of documents anyone invited may read: a confidential or urgent document is never named in it.
 * Someone taken off the list gets no link: the meeting is no longer theirs to open.
 */
export function meetingNoticeMessage(
  event: MeetingNoticeEvent,
  recipientName: string,
  unitName: string,
  links: LinkSettings,
): { template: Template; vars: TemplateVars } {
  const p = event.payload
  const base = links.publicUrl?.replace(/\/+$/, '')
  const template = {
    invitation: Template.meetingInvitation,
    change: Template.meetingChanged,
    cancellation: Template.meetingCancelled,
    withdrawn: Template.meetingWithdrawn,
  }[p.kind]
  return {
    template,
    vars: {
      recipientName,
      unitName,
      meetingTitle: p.title,
      meetingTime: meetingTimeText(p.startsAt, p.endsAt),
      place: p.place,
      chairName: p.chairName,
      organiserName: p.organiserName,
      videoUrl: p.videoUrl,
      agenda: list(p.agenda),
      meetingDocuments: list(p.documents),
      changes: meetingChangeLines(p.changes),
      reason: p.reason,
      reconfirm: p.reconfirm
        ? 'Thời gian họp đã thay đổi nên xác nhận tham dự trước đây không còn giá trị; đồng chí vui lòng xác nhận lại trên hệ thống.'
        : null,
      meetingUrl: base && p.kind !== 'withdrawn' ? `${base}${meetingPaths.meeting(p.meetingId)}` : null,
    },
  }
}

export type Recipient = { channel: Channel; recipient: string; unusable: string | null }

/**
 * The addresses to send to. A mobile number becomes 84xxxxxxxxx, the form brandname SMS gateways take;
 * a landline or a malformed address is kept with the reason it is not used.
 */
export function recipientsOf(contact: Pick<Contact, 'email' | 'phone'>): Recipient[] {
  const recipients: Recipient[] = []
  const email = contact.email?.trim().toLowerCase()
  if (email) {
    recipients.push({
      channel: Channel.email,
      recipient: email,
      unusable: /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) ? null : 'Địa chỉ thư điện tử không hợp lệ.',
    })
  }
  const digits = contact.phone?.replace(/[\s.+()-]/g, '')
  if (digits) {
    const mobile = /^(?:0|84)([35789]\d{8})$/.exec(digits)
    recipients.push(
      mobile
        ? { channel: Channel.sms, recipient: `84${mobile[1]}`, unusable: null }
        : {
            channel: Channel.sms,
            recipient: digits,
            unusable: 'Không phải số điện thoại di động Việt Nam; không nhắn tin được.',
          },
    )
  }
  return recipients
}

/** An address as the pages show it: enough to recognise, not enough to harvest. */
export function maskRecipient(channel: Channel, recipient: string): string {
  if (channel === Channel.email) {
    const at = recipient.lastIndexOf('@')
    if (at < 1) return '***'
    return `${recipient[0]}***${recipient.slice(at)}`
  }
  const local = recipient.startsWith('84') ? `0${recipient.slice(2)}` : recipient
  if (local.length < 7) return '***'
  return `${local.slice(0, 3)}****${local.slice(-3)}`
}
