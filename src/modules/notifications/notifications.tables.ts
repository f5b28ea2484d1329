import type { ColumnType, Generated } from 'kysely'
import type { Channel } from './notification-plan.js'

export const NotificationStatus = {
  queued: 'queued',
  sent: 'sent',
  failed: 'failed',
  skipped: 'skipped',
} as const
export type NotificationStatus = (typeof NotificationStatus)[keyof typeof NotificationStatus]
export const NOTIFICATION_STATUSES = Object.values(NotificationStatus)

/** The notifications module's tables (migrations/0015_notifications_create.sql). */
export type NotificationTables = {
  notifications: {
    id: Generated<string>
    event_seq: number
    event_topic: string
    /** The dossier an applicant is told about; null for a message to an official about a document. */
    dossier_code: string | null
    /** The document an official is reminded of (migration 0026); null for dossier messages. */
    document_id: ColumnType<string | null, string | null | undefined, string | null>
    /** The meeting an invited official is written to about (migration 0034); null otherwise. */
    meeting_id: ColumnType<string | null, string | null | undefined, string | null>
    unit_id: string
    user_id: string | null
    channel: Channel
    recipient: string
    template: string
    template_version: number
    subject: string | null
    body: string
    html: string | null
    status: NotificationStatus
    attempts: Generated<number>
    last_error: string | null
    created_at: Date
    updated_at: Date
    sent_at: Date | null
  }
  notification_contacts: {
    dossier_code: string
    unit_id: string
    channel: string
    user_id: string | null
    email: string | null
    phone: string | null
    procedure_name: string
    updated_at: Date
  }
}
