/**
 * A meeting as a calendar file (iCalendar, RFC 5545), so an official can put it in the calendar they already use
 * (Outlook, Thunderbird, a phone). One VEVENT whose UID stays the meeting's and whose SEQUENCE grows with each edit,
 * so a calendar that imports the file again updates the event; a cancelled meeting says STATUS:CANCELLED.
 */

export type CalendarMeeting = {
  id: string
  title: string
  startsAt: Date
  /** Without an end, the event lasts an hour. */
  endsAt: Date | null
  place: string
  videoUrl: string | null
  organiserName: string
  chairName: string
  status: 'scheduled' | 'held' | 'cancelled'
  cancelReason: string | null
  agenda: { title: string; presenter: string | null }[]
  /** How many times it was edited after convening. */
  sequence: number
  updatedAt: Date
}

const HOUR = 3_600_000

/** 20261130T010000Z */
const utc = (date: Date) =>
  date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '')

/** TEXT values escape backslash, semicolon, comma and line breaks (RFC 5545 §3.3.11). */
const text = (value: string) =>
  value
    .normalize('NFC')
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\r\n|\r|\n/g, '\\n')

/**
 * Lines longer than 75 octets are folded: CRLF and a space, never inside a UTF-8 character (§3.1). Vietnamese
 * letters take two or three octets, so the cut is counted in bytes.
 */
function fold(line: string): string {
  const parts: string[] = []
  let current = ''
  let octets = 0
  for (const char of line) {
    const size = Buffer.byteLength(char, 'utf8')
    const limit = parts.length === 0 ? 75 : 74
    if (octets + size > limit) {
      parts.push(current)
      current = ''
      octets = 0
    }
    current += char
    octets += size
  }
  parts.push(current)
  return parts.join('\r\n ')
}

export function meetingCalendar(meeting: CalendarMeeting, pageUrl: string, host: string, now: Date): string {
  const end = meeting.endsAt ?? new Date(meeting.startsAt.getTime() + HOUR)
  const description = [
    `Chủ trì: ${meeting.chairName}`,
    `Người tổ chức: ${meeting.organiserName}`,
    ...(meeting.agenda.length
      ? [
          'Nội dung:',
          ...meeting.agenda.map(
            (item, index) => `${index + 1}. ${item.title}${item.presenter ? ` — ${item.presenter}` : ''}`,
          ),
        ]
      : []),
    ...(meeting.videoUrl ? [`Họp trực tuyến: ${meeting.videoUrl}`] : []),
    ...(meeting.status === 'cancelled' ? [`Đã hủy: ${meeting.cancelReason ?? ''}`] : []),
    `Tài liệu họp: ${pageUrl}`,
  ].join('\n')
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Tinh Cao Bang//Nen tang chinh quyen so//VI',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    'BEGIN:VEVENT',
    `UID:meeting-${meeting.id}@${host}`,
    `DTSTAMP:${utc(now)}`,
    `LAST-MODIFIED:${utc(meeting.updatedAt)}`,
    `SEQUENCE:${meeting.sequence}`,
    `DTSTART:${utc(meeting.startsAt)}`,
    `DTEND:${utc(end)}`,
    `SUMMARY:${text(meeting.title)}`,
    `LOCATION:${text(meeting.place)}`,
    `DESCRIPTION:${text(description)}`,
    `URL:${pageUrl}`,
    `STATUS:${meeting.status === 'cancelled' ? 'CANCELLED' : 'CONFIRMED'}`,
    'END:VEVENT',
    'END:VCALENDAR',
  ]
  return `${lines.map(fold).join('\r\n')}\r\n`
}
