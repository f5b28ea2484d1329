/**
 * The one-stop rules that decide deadlines, as versions with effective dates: a dossier is handled under
 * the version in force on the day it was received, even after the law changes.
 */
export type OneStopRules = {
  id: string
  legalBasis: string
  effectiveFrom: string
  effectiveTo: string | null
  /** Local 'HH:MM': a dossier received later counts from the next working day. */
  cutoff: string
  /** After a supplement the full processing time runs again from the day it is complete. */
  supplementRestartsClock: boolean
  /** An extension (with the apology letter) must be sent at least this many working days before the due date. */
  extensionNoticeWorkingDays: number
  maxExtensions: number
}

export const ONE_STOP_RULES: readonly OneStopRules[] = [
  {
    id: 'nd61-2018',
    legalBasis: 'Nghị định 61/2018/NĐ-CP; Thông tư 01/2018/TT-VPCP',
    effectiveFrom: '2018-06-21',
    effectiveTo: '2025-06-30',
    cutoff: '15:00',
    supplementRestartsClock: true,
    extensionNoticeWorkingDays: 1,
    maxExtensions: 1,
  },
  {
    id: 'nd118-2025',
    legalBasis: 'Nghị định 118/2025/NĐ-CP (sửa đổi bởi Nghị định 367/2025/NĐ-CP)',
    effectiveFrom: '2025-07-01',
    effectiveTo: null,
    cutoff: '15:00',
    supplementRestartsClock: true,
    extensionNoticeWorkingDays: 1,
    maxExtensions: 1,
  },
]

export function rulesOn(day: string): OneStopRules {
  const found = ONE_STOP_RULES.find(
    (r) => r.effectiveFrom <= day && (r.effectiveTo === null || day <= r.effectiveTo),
  )
  if (!found) throw new Error(`No one-stop rules in force on ${day}`)
  return found
}

export function rulesById(id: string): OneStopRules {
  return ONE_STOP_RULES.find((r) => r.id === id) ?? rulesOn('9999-12-31')
}
