import type { Generated } from 'kysely'

export const SubscriptionMode = { push: 'push', pull: 'pull', internal: 'internal' } as const
export type SubscriptionMode = (typeof SubscriptionMode)[keyof typeof SubscriptionMode]

export const DeliveryState = {
  /** Behind an earlier open delivery of the same key. */
  waiting: 'waiting',
  /** A job is delivering it, retrying with back-off. */
  queued: 'queued',
  delivered: 'delivered',
  /** Out of attempts: kept for an administrator's re-drive. */
  dead: 'dead',
} as const
export type DeliveryState = (typeof DeliveryState)[keyof typeof DeliveryState]

/** The pubsub module's tables (migrations/0021_pubsub_create.sql). */
export type PubsubTables = {
  pubsub_topics: {
    name: string
    description: Generated<string>
    payload_schema: unknown
    publishers: Generated<string[]>
    /** The only clients that may subscribe; null: any client an administrator subscribes (migration 0027). */
    subscribers: Generated<string[] | null>
    platform: Generated<boolean>
    last_position: Generated<number>
    created_at: Generated<Date>
    updated_at: Generated<Date>
  }
  pubsub_events: {
    id: Generated<string>
    topic: string
    position: number
    key: string | null
    payload: unknown
    internal: unknown
    publisher: string
    idempotency_key: string | null
    published_at: Generated<Date>
  }
  pubsub_subscriptions: {
    id: Generated<string>
    topic: string
    client_id: string
    mode: SubscriptionMode
    endpoint: string | null
    secret_enc: string | null
    max_attempts: Generated<number>
    acked_position: Generated<number>
    disabled_at: Date | null
    created_by: string | null
    created_at: Generated<Date>
    updated_at: Generated<Date>
  }
  pubsub_deliveries: {
    id: Generated<number>
    subscription_id: string
    event_id: string
    position: number
    key: string | null
    state: Generated<DeliveryState>
    attempts: Generated<number>
    last_error: string | null
    last_status: number | null
    last_attempt_at: Date | null
    delivered_at: Date | null
    created_at: Generated<Date>
    updated_at: Generated<Date>
  }
  pubsub_allowed_hosts: {
    host: string
    note: Generated<string>
    created_by: string | null
    created_at: Generated<Date>
  }
}
