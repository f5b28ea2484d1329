import { Permission } from '../../platform/auth/roles.js'

/** Internal statuses of a dossier; each maps to a status code of the national public-service portal. */
export const DossierStatus = {
  submitted: 'submitted',
  received: 'received',
  inProgress: 'in_progress',
  supplementRequested: 'supplement_requested',
  approved: 'approved',
  returned: 'returned',
  rejected: 'rejected',
  withdrawn: 'withdrawn',
} as const
export type DossierStatus = (typeof DossierStatus)[keyof typeof DossierStatus]

/** Codes 1–10 of the national portal (vn-standards Appendix A). */
export const nationalStatus = {
  submitted: 1, // Mới đăng ký
  received: 2, // Được tiếp nhận
  in_progress: 4, // Đang xử lý
  supplement_requested: 5, // Yêu cầu bổ sung giấy tờ
  withdrawn: 7, // Công dân yêu cầu rút hồ sơ
  rejected: 8, // Dừng xử lý
  approved: 9, // Đã xử lý xong
  returned: 10, // Đã trả kết quả
} as const satisfies Record<DossierStatus, number>

export const statusLabel = {
  submitted: 'Mới đăng ký',
  received: 'Đã tiếp nhận',
  in_progress: 'Đang xử lý',
  supplement_requested: 'Yêu cầu bổ sung giấy tờ',
  approved: 'Đã xử lý xong',
  returned: 'Đã trả kết quả',
  rejected: 'Dừng xử lý, từ chối',
  withdrawn: 'Đã rút hồ sơ theo yêu cầu',
} as const satisfies Record<DossierStatus, string>

export const Action = {
  receive: 'receive',
  forward: 'forward',
  sendBack: 'send_back',
  requestSupplement: 'request_supplement',
  provideSupplement: 'provide_supplement',
  approve: 'approve',
  reject: 'reject',
  returnResult: 'return_result',
  withdraw: 'withdraw',
  extend: 'extend',
} as const
export type Action = (typeof Action)[keyof typeof Action]

export const actionLabel = {
  receive: 'Tiếp nhận hồ sơ',
  forward: 'Chuyển bước tiếp theo',
  send_back: 'Trả lại bước trước',
  request_supplement: 'Yêu cầu bổ sung',
  provide_supplement: 'Nộp bổ sung',
  approve: 'Phê duyệt',
  reject: 'Từ chối, dừng xử lý',
  return_result: 'Trả kết quả',
  withdraw: 'Rút hồ sơ theo yêu cầu',
  extend: 'Gia hạn, gửi phiếu xin lỗi',
} as const satisfies Record<Action, string>

/** A step of a workflow: who acts, and its share of the legal deadline. */
export type Step = { key: string; label: string; permission: Permission; share: number }

/** Workflows are data: a procedure names one; each step is done by a role of the dossier's unit. */
export const workflows = {
  standard: [
    { key: 'intake', label: 'Tiếp nhận', permission: Permission.dossiersReceive, share: 0.1 },
    { key: 'appraisal', label: 'Thẩm định', permission: Permission.dossiersProcess, share: 0.6 },
    { key: 'approval', label: 'Lãnh đạo phê duyệt', permission: Permission.dossiersApprove, share: 0.2 },
    { key: 'return', label: 'Trả kết quả', permission: Permission.dossiersReceive, share: 0.1 },
  ],
  'one-step': [
    { key: 'intake', label: 'Tiếp nhận và giải quyết', permission: Permission.dossiersReceive, share: 0.9 },
    { key: 'return', label: 'Trả kết quả', permission: Permission.dossiersReceive, share: 0.1 },
  ],
} as const satisfies Record<string, readonly Step[]>
export type WorkflowName = keyof typeof workflows

export function workflowOf(name: string): readonly Step[] {
  return (workflows as Record<string, readonly Step[]>)[name] ?? workflows.standard
}

/** Which actions the status allows; the step refines it (approval only at the approving step, …). */
export const allowedByStatus = {
  submitted: [Action.receive, Action.reject, Action.withdraw],
  received: [
    Action.forward,
    Action.approve,
    Action.requestSupplement,
    Action.reject,
    Action.withdraw,
    Action.extend,
  ],
  in_progress: [
    Action.forward,
    Action.sendBack,
    Action.approve,
    Action.requestSupplement,
    Action.reject,
    Action.withdraw,
    Action.extend,
  ],
  supplement_requested: [Action.provideSupplement, Action.withdraw],
  approved: [Action.returnResult],
  returned: [],
  rejected: [],
  withdrawn: [],
} as const satisfies Record<DossierStatus, readonly Action[]>

/** The actions open on a dossier now, given its status and step. */
export function allowedActions(
  status: DossierStatus,
  stepIndex: number,
  steps: readonly Step[],
  extended: boolean,
): Action[] {
  const last = steps.length - 1
  const approving = stepIndex === last - 1
  return (allowedByStatus[status] as readonly Action[]).filter((action) => {
    switch (action) {
      case Action.forward:
        return !approving && stepIndex < last - 1
      case Action.approve:
        return approving
      case Action.sendBack:
        return stepIndex > 0
      case Action.extend:
        return !extended
      default:
        return true
    }
  })
}

/** Where an action leads. */
export function transition(
  action: Action,
  stepIndex: number,
  current: DossierStatus,
): { status: DossierStatus; step: number } {
  switch (action) {
    case Action.receive:
      return { status: DossierStatus.received, step: 0 }
    case Action.forward:
      return { status: DossierStatus.inProgress, step: stepIndex + 1 }
    case Action.sendBack:
      return {
        status: stepIndex - 1 === 0 ? DossierStatus.received : DossierStatus.inProgress,
        step: stepIndex - 1,
      }
    case Action.requestSupplement:
      return { status: DossierStatus.supplementRequested, step: stepIndex }
    case Action.provideSupplement:
      return { status: stepIndex === 0 ? DossierStatus.received : DossierStatus.inProgress, step: stepIndex }
    case Action.approve:
      return { status: DossierStatus.approved, step: stepIndex + 1 }
    case Action.reject:
      return { status: DossierStatus.rejected, step: stepIndex }
    case Action.returnResult:
      return { status: DossierStatus.returned, step: stepIndex }
    case Action.withdraw:
      return { status: DossierStatus.withdrawn, step: stepIndex }
    case Action.extend:
      return { status: current, step: stepIndex }
  }
}

/** Actions that need a reason written down (shown to the applicant). */
export const needsNote: readonly Action[] = [
  Action.requestSupplement,
  Action.reject,
  Action.sendBack,
  Action.extend,
  Action.withdraw,
]

export const FINAL: readonly DossierStatus[] = [
  DossierStatus.returned,
  DossierStatus.rejected,
  DossierStatus.withdrawn,
]
