import type { Generated } from 'kysely'
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
    dossier_code: string
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
