/** Độ khẩn (NĐ 30/2020 Điều 8 and Phụ lục I): normal, urgent, very urgent, flash. */
export const Urgency = {
  normal: 'normal',
  urgent: 'urgent',
  veryUrgent: 'very_urgent',
  flash: 'flash',
} as const
export type Urgency = (typeof Urgency)[keyof typeof Urgency]
export const URGENCIES = Object.values(Urgency)

export const urgencyLabel: Record<Urgency, string> = {
  normal: 'Thường',
  urgent: 'Khẩn',
  very_urgent: 'Thượng khẩn',
  flash: 'Hỏa tốc',
}

/**
 * edXML OtherInfo/Priority grows with urgency (0 normal … 3 flash); the exact table is not published
 * (vn-standards §3.1), so anything above 3 is read as flash.
 */
export const urgencyPriority: Record<Urgency, number> = { normal: 0, urgent: 1, very_urgent: 2, flash: 3 }
export function urgencyOfPriority(priority: number): Urgency {
  return priority <= 0 ? 'normal' : priority === 1 ? 'urgent' : priority === 2 ? 'very_urgent' : 'flash'
}

/** Độ mật (Luật Bảo vệ bí mật nhà nước 2018 Điều 8): ordinary, confidential, secret, top secret. */
export const Confidentiality = {
  normal: 'normal',
  confidential: 'confidential',
  secret: 'secret',
  topSecret: 'top_secret',
} as const
export type Confidentiality = (typeof Confidentiality)[keyof typeof Confidentiality]
export const CONFIDENTIALITIES = Object.values(Confidentiality)

export const confidentialityLabel: Record<Confidentiality, string> = {
  normal: 'Thường',
  confidential: 'Mật',
  secret: 'Tối mật',
  top_secret: 'Tuyệt mật',
}

export const DocumentStatus = {
  registered: 'registered',
  assigned: 'assigned',
  inProgress: 'in_progress',
  completed: 'completed',
  /** A document received as edXML that the clerk refused (status message 02 goes back to the sender). */
  refused: 'refused',
  /** Recalled by its sender (thu hồi, edXML BussinessDocType 1): its open work is closed. */
  recalled: 'recalled',
  /** Replaced by a new document of its sender (thay thế, BussinessDocType 3): its open work is closed. */
  replaced: 'replaced',
} as const
export type DocumentStatus = (typeof DocumentStatus)[keyof typeof DocumentStatus]
export const DOCUMENT_STATUSES = Object.values(DocumentStatus)

export const statusLabel: Record<DocumentStatus, string> = {
  registered: 'Đã vào sổ, chờ phân công',
  assigned: 'Đã phân công',
  in_progress: 'Đang xử lý',
  completed: 'Hoàn thành',
  refused: 'Từ chối tiếp nhận',
  recalled: 'Đã bị thu hồi',
  replaced: 'Đã bị thay thế',
}

/** Statuses in which nothing more is done with a document: no assignment, no processing. */
export const CLOSED_STATUSES: readonly DocumentStatus[] = ['completed', 'refused', 'recalled', 'replaced']

export const Source = {
  paper: 'paper',
  electronic: 'electronic',
  edxml: 'edxml',
  /** Sent by another unit of the platform: an outgoing document delivered straight into this register. */
  internal: 'internal',
} as const
export type Source = (typeof Source)[keyof typeof Source]

export const sourceLabel: Record<Source, string> = {
  paper: 'Văn bản giấy',
  electronic: 'Văn bản điện tử',
  edxml: 'Liên thông (edXML)',
  internal: 'Liên thông nội bộ (trên nền tảng)',
}

export const AssignmentRole = { lead: 'lead', support: 'support' } as const
export type AssignmentRole = (typeof AssignmentRole)[keyof typeof AssignmentRole]

export const roleLabel: Record<AssignmentRole, string> = { lead: 'Chủ trì', support: 'Phối hợp' }

export const AssignmentStatus = {
  open: 'open',
  forwarded: 'forwarded',
  completed: 'completed',
  closed: 'closed',
} as const
export type AssignmentStatus = (typeof AssignmentStatus)[keyof typeof AssignmentStatus]

export const assignmentStatusLabel: Record<AssignmentStatus, string> = {
  open: 'Đang xử lý',
  forwarded: 'Đã chuyển',
  completed: 'Đã hoàn thành',
  closed: 'Đã đóng',
}

/** What an assignee does with an open assignment. */
export const AssigneeAction = {
  comment: 'comment',
  report: 'report',
  forward: 'forward',
  complete: 'complete',
} as const
export type AssigneeAction = (typeof AssigneeAction)[keyof typeof AssigneeAction]
export const ASSIGNEE_ACTIONS = Object.values(AssigneeAction)

export const actionLabel: Record<string, string> = {
  registered: 'Vào sổ văn bản đến',
  imported: 'Nhận văn bản liên thông (edXML)',
  files_added: 'Bổ sung tệp đính kèm',
  assigned: 'Phân công xử lý',
  comment: 'Ý kiến',
  report: 'Báo cáo kết quả',
  forward: 'Chuyển xử lý',
  complete: 'Hoàn thành',
  document_completed: 'Văn bản hoàn thành xử lý',
  exported: 'Xuất gói tin edXML',
  received_internal: 'Nhận văn bản từ đơn vị trên nền tảng',
  refused: 'Từ chối tiếp nhận (trả lại nơi gửi)',
  reply_issued: 'Đã phát hành văn bản trả lời',
  reply_received: 'Nhận văn bản trả lời',
  recalled: 'Nơi gửi thu hồi văn bản',
  recall_refused: 'Không thu hồi được (văn bản đã xử lý xong)',
  updated_by_sender: 'Nơi gửi cập nhật văn bản',
  update_refused: 'Không cập nhật được (văn bản đã bị thu hồi hoặc thay thế)',
  replaced: 'Được thay thế bằng văn bản khác',
  replaces: 'Văn bản thay thế văn bản đã nhận',
  reminder_due_soon: 'Nhắc hạn xử lý (sắp đến hạn)',
  reminder_overdue: 'Thông báo quá hạn xử lý',
}

/** Actions the assignee of an assignment in this status may take; only open work can move. */
export const allowedActions: Record<AssignmentStatus, readonly AssigneeAction[]> = {
  open: ASSIGNEE_ACTIONS,
  forwarded: [],
  completed: [],
  closed: [],
}

/** Actions that need a note: a comment or report says something, a forward says why. */
export const needsNote: readonly AssigneeAction[] = ['comment', 'report']

/** Where a deadline stands for the person who has to meet it. */
export type DeadlineState = 'on_time' | 'due_soon' | 'overdue' | 'no_deadline'
