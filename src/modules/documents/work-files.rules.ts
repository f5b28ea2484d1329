import type { OrgUnit } from '../organisation/index.js'

/** A work file (hồ sơ công việc) is kept open, closed when its matter ends, then handed to the archive. */
export const WORK_FILE_STATUSES = ['open', 'closed', 'archived'] as const
export type WorkFileStatus = (typeof WORK_FILE_STATUSES)[number]

export const WorkFileAction = {
  addDocument: 'add_document',
  removeDocument: 'remove_document',
  close: 'close',
  reopen: 'reopen',
  archive: 'archive',
} as const
export type WorkFileAction = (typeof WorkFileAction)[keyof typeof WorkFileAction]

/** What each status allows; an archived file is the archive's and changes no more. */
export const workFileActions = {
  open: [WorkFileAction.addDocument, WorkFileAction.removeDocument, WorkFileAction.close],
  closed: [WorkFileAction.reopen, WorkFileAction.archive],
  archived: [],
} as const satisfies Record<WorkFileStatus, readonly WorkFileAction[]>

export function allows(status: WorkFileStatus, action: WorkFileAction): boolean {
  return (workFileActions[status] as readonly WorkFileAction[]).includes(action)
}

export const workFileStatusLabel: Record<WorkFileStatus, string> = {
  open: 'Đang lập',
  closed: 'Đã kết thúc',
  archived: 'Đã nộp lưu',
}

export const workFileActionLabel: Record<WorkFileAction | 'opened', string> = {
  opened: 'Mở hồ sơ',
  add_document: 'Thêm văn bản',
  remove_document: 'Bỏ văn bản khỏi hồ sơ',
  close: 'Kết thúc hồ sơ',
  reopen: 'Mở lại hồ sơ',
  archive: 'Nộp lưu',
}

/** Government levels of the plan's targets. */
export const LEVELS = ['province', 'district', 'commune'] as const
export type Level = (typeof LEVELS)[number]

export const levelLabel: Record<Level, string> = {
  province: 'Cấp tỉnh',
  district: 'Cấp huyện',
  commune: 'Cấp xã',
}

/**
 * The level a unit's work files count for: a department counts with the province, an office with the unit
 * it belongs to. Districts were abolished on 1/7/2025; their files of earlier years still count as district.
 */
export function levelOf(unit: OrgUnit, byId: ReadonlyMap<string, OrgUnit>): Level {
  let current: OrgUnit | undefined = unit
  for (let depth = 0; current && current.type === 'office' && depth < 8; depth++) {
    current = current.parentId ? byId.get(current.parentId) : undefined
  }
  switch (current?.type) {
    case 'district_committee':
      return 'district'
    case 'commune_committee':
    case 'ward_committee':
      return 'commune'
    default:
      return 'province'
  }
}

/** Targets of a plan, as data with the years they apply to. */
export type ElectronicTargets = {
  fromYear: number
  toYear: number | null
  source: string
  targets: Record<Level, number>
}

/**
 * Share of work files processed electronically, by level. The province's plan for 2021–2025 (Kế hoạch ban
 * hành kèm Quyết định 2893/QĐ-UBND ngày 31/12/2020): 95% province, 85% district, 80% commune. No later
 * plan is recorded, so its targets stay in force for later years until one is added here.
 */
export const ELECTRONIC_TARGETS: readonly ElectronicTargets[] = [
  {
    fromYear: 2021,
    toYear: null,
    source: 'Kế hoạch ban hành kèm Quyết định 2893/QĐ-UBND ngày 31/12/2020 của UBND tỉnh Cao Bằng',
    targets: { province: 0.95, district: 0.85, commune: 0.8 },
  },
]

export function targetsFor(year: number): ElectronicTargets | undefined {
  return ELECTRONIC_TARGETS.find((t) => year >= t.fromYear && (t.toYear === null || year <= t.toYear))
}

/** A share as a fraction, or null when nothing was measured (no finished file). */
export function share(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole
}

/** "1/2026", "01.VP", "HS-15": letters, digits and . / - _ (số và ký hiệu hồ sơ). */
export const WORK_FILE_CODE = /^[\p{L}\p{N}][\p{L}\p{N}./_-]{0,49}$/u
