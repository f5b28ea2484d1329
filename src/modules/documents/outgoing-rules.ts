import { fold } from './document-input.js'

/** Where an outgoing document stands: drafted, under review, sent back, approved for issue, issued. */
export const OutgoingStatus = {
  draft: 'draft',
  inReview: 'in_review',
  returned: 'returned',
  approved: 'approved',
  issued: 'issued',
} as const
export type OutgoingStatus = (typeof OutgoingStatus)[keyof typeof OutgoingStatus]
export const OUTGOING_STATUSES = Object.values(OutgoingStatus)

export const outgoingStatusLabel: Record<OutgoingStatus, string> = {
  draft: 'Dự thảo',
  in_review: 'Đang trình duyệt',
  returned: 'Trả lại để chỉnh sửa',
  approved: 'Đã duyệt, chờ phát hành',
  issued: 'Đã phát hành',
}

export const RecipientKind = { internal: 'internal', external: 'external' } as const
export type RecipientKind = (typeof RecipientKind)[keyof typeof RecipientKind]

export const RecipientStatus = {
  pending: 'pending',
  delivered: 'delivered',
  packaged: 'packaged',
  duplicate: 'duplicate',
  paper: 'paper',
  /** Published over the LGSP to the agency's own topic (decision 0011). */
  sent: 'sent',
} as const
export type RecipientStatus = (typeof RecipientStatus)[keyof typeof RecipientStatus]

export const recipientStatusLabel: Record<RecipientStatus, string> = {
  pending: 'Chưa gửi',
  delivered: 'Đã chuyển vào sổ văn bản đến của nơi nhận',
  packaged: 'Gói tin edXML sẵn sàng (tải về để gửi)',
  duplicate: 'Nơi nhận đã có văn bản này',
  paper: 'Gửi bản giấy (văn bản mật không gửi qua mạng)',
  sent: 'Đã gửi qua trục LGSP',
}

/** What became of an issued document afterwards. */
export const withdrawnLabel = { recalled: 'Đã thu hồi', replaced: 'Đã bị thay thế' } as const

export const StepKind = { review: 'review', approve: 'approve' } as const
export type StepKind = (typeof StepKind)[keyof typeof StepKind]

export const stepKindLabel: Record<StepKind, string> = { review: 'Cho ý kiến', approve: 'Duyệt ban hành' }

export const StepStatus = {
  waiting: 'waiting',
  pending: 'pending',
  approved: 'approved',
  returned: 'returned',
  forwarded: 'forwarded',
  cancelled: 'cancelled',
} as const
export type StepStatus = (typeof StepStatus)[keyof typeof StepStatus]

export const stepStatusLabel: Record<StepStatus, string> = {
  waiting: 'Chờ đến lượt',
  pending: 'Đang chờ xử lý',
  approved: 'Đồng ý',
  returned: 'Trả lại',
  forwarded: 'Đã chuyển',
  cancelled: 'Không còn hiệu lực',
}

/** What the person at the current step does: agree (and pass on, or approve for issue), send back, hand on. */
export const StepAction = { approve: 'approve', return: 'return', forward: 'forward' } as const
export type StepAction = (typeof StepAction)[keyof typeof StepAction]
export const STEP_ACTIONS = Object.values(StepAction)

/** What may happen in each status; anything else is a conflict naming the status. */
export const outgoingActions = {
  draft: ['edit', 'submit', 'comment'],
  in_review: ['step', 'comment'],
  returned: ['edit', 'submit', 'comment'],
  approved: ['issue', 'comment'],
  issued: [],
} as const satisfies Record<OutgoingStatus, readonly string[]>
export type OutgoingAction = (typeof outgoingActions)[OutgoingStatus][number]

export function allows(status: OutgoingStatus, action: OutgoingAction): boolean {
  return (outgoingActions[status] as readonly string[]).includes(action)
}

export const outgoingActionLabel: Record<string, string> = {
  created: 'Tạo dự thảo',
  edited: 'Sửa dự thảo (phiên bản mới)',
  submitted: 'Trình duyệt',
  approved: 'Đồng ý',
  approved_for_issue: 'Duyệt ban hành',
  returned: 'Trả lại để chỉnh sửa',
  forwarded: 'Chuyển người khác cho ý kiến',
  commented: 'Góp ý',
  issued: 'Cấp số, ký số và phát hành',
  delivered: 'Chuyển đến đơn vị nhận trên nền tảng',
  packaged: 'Lập gói tin edXML gửi cơ quan ngoài nền tảng',
  package_downloaded: 'Tải gói tin edXML',
  refused_by_recipient: 'Nơi nhận từ chối tiếp nhận',
  reply_received: 'Nơi nhận đã trả lời',
  recalled: 'Thu hồi văn bản',
  updated: 'Cập nhật văn bản đã phát hành',
  replaced: 'Bị thay thế bằng văn bản khác',
  replacement_issued: 'Phát hành thay thế văn bản trước',
  sent_lgsp: 'Gửi qua trục LGSP',
  resent_lgsp: 'Văn thư gửi lại qua trục LGSP',
  lgsp_unreachable: 'Cơ quan chưa nhận qua LGSP: tải gói tin để gửi',
  exchange_failed: 'Không lập được gói tin để gửi qua LGSP',
  status_received: 'Nơi nhận gửi thông báo trạng thái',
  amendment_answered: 'Nơi nhận trả lời yêu cầu thu hồi, cập nhật, thay thế',
}

/** At most this many people in one approval chain. */
export const MAX_CHAIN = 6
/** At most this many recipients of one document. */
export const MAX_RECIPIENTS = 100

/**
 * The unit's abbreviation in a notation when the clerk has set none: the short name without diacritics,
 * words in capitals kept whole ("Sở KH&CN" → SKHCN, "UBND phường Thục Phán" → UBNDPTP), others by their
 * first letter. NĐ 30/2020 Phụ lục I leaves the abbreviation to the agency; the clerk can set its own.
 */
export function deriveAbbreviation(shortName: string | null, name: string): string {
  const source = (shortName ?? name).normalize('NFC')
  const letters = source
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => {
      const clean = word.replace(/[^\p{L}\p{N}]/gu, '')
      if (!clean) return ''
      const upper = clean === clean.toUpperCase() && clean.length > 1
      return upper ? clean : clean[0]!
    })
    .join('')
  const ascii = fold(letters.replace(/đ/gi, 'D')).toUpperCase()
  return ascii.replace(/[^A-Z0-9]/g, '').slice(0, 20) || 'CQ'
}

/** Abbreviation typed by a clerk: capitals and digits, Đ allowed, 1–20 characters. */
export const ABBREVIATION = /^[A-ZĐ0-9]{1,20}$/

/** Số: numbers under 10 are written with a leading zero (NĐ 30/2020 Phụ lục I, mục I.2). */
export function formatNumber(n: number): string {
  return n < 10 ? `0${n}` : String(n)
}

/**
 * Ký hiệu (NĐ 30/2020 Phụ lục I): a document of a named type carries the type's abbreviation and the
 * agency's (QĐ-SKHCN); a công văn, which has none, the agency's and the drafting division's (SKHCN-VP).
 */
export function buildNotation(input: {
  typeAbbreviation: string | null
  unitAbbreviation: string
  division: string | null
}): string {
  if (input.typeAbbreviation) return `${input.typeAbbreviation}-${input.unitAbbreviation}`
  return input.division ? `${input.unitAbbreviation}-${input.division}` : input.unitAbbreviation
}
