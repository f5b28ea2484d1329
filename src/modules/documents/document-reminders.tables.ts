import type { Generated } from 'kysely'

/** A reminder before an assignment's deadline, or the notice once it has passed. */
export const ReminderKind = { dueSoon: 'due_soon', overdue: 'overdue' } as const
export type ReminderKind = (typeof ReminderKind)[keyof typeof ReminderKind]

/** Why someone is told: they hold the assignment, lead the unit that does, or assigned it (overdue only). */
export const RecipientReason = {
  assignee: 'assignee',
  unitLeader: 'unit_leader',
  assigner: 'assigner',
} as const
export type RecipientReason = (typeof RecipientReason)[keyof typeof RecipientReason]

/** Reminders of document deadlines (migrations/0026_document_reminders.sql). */
export type DocumentReminderTables = {
  document_reminders: {
    id: Generated<string>
    assignment_id: string
    document_id: string
    kind: ReminderKind
    /** The deadline the reminder was for: a later deadline arms the reminders again. */
    due_at: Date
    created_at: Date
  }
  document_reminder_recipients: {
    reminder_id: string
    user_id: string
    reason: RecipientReason
    read_at: Date | null
  }
}
