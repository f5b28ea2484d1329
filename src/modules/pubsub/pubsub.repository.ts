import { sql, type Selectable } from 'kysely'
import type { Queryable } from '../../platform/db/database.js'
import { tablesOf } from '../../platform/db/tables.js'
import { enqueue } from '../../platform/jobs/index.js'
import { DeliveryState, type PubsubTables } from './pubsub.tables.js'

export type TopicRow = Selectable<PubsubTables['pubsub_topics']>
export type EventRow = Selectable<PubsubTables['pubsub_events']>
export type SubscriptionRow = Selectable<PubsubTables['pubsub_subscriptions']>
export type DeliveryRow = Selectable<PubsubTables['pubsub_deliveries']>

const t = (q: Queryable) => tablesOf<PubsubTables>(q)

declare module '../../platform/jobs/queue.js' {
  interface JobPayloads {
    /** Push one event to one subscription (a webhook, or a handler inside the platform). */
    'pubsub.deliver': { deliveryId: number }
  }
}

export const DELIVER_QUEUE = 'pubsub.deliver'

export function findTopic(q: Queryable, name: string) {
  return t(q).selectFrom('pubsub_topics').selectAll().where('name', '=', name).executeTakeFirst()
}

export function listTopics(q: Queryable) {
  return t(q).selectFrom('pubsub_topics').selectAll().orderBy('platform', 'desc').orderBy('name').execute()
}

/** Takes the topic's row lock: publishing, finishing a delivery and re-driving serialise on it per topic. */
export async function lockTopic(q: Queryable, name: string): Promise<void> {
  await sql`select 1 from pubsub_topics where name = ${name} for update`.execute(q)
}

/** The next position of a topic; the row stays locked until the caller's transaction ends. */
export async function nextPosition(q: Queryable, name: string): Promise<number> {
  const row = await t(q)
    .updateTable('pubsub_topics')
    .set({ last_position: sql`last_position + 1` })
    .where('name', '=', name)
    .returning('last_position')
    .executeTakeFirstOrThrow()
  return Number(row.last_position)
}

export function findEventByIdempotencyKey(q: Queryable, topic: string, publisher: string, key: string) {
  return t(q)
    .selectFrom('pubsub_events')
    .selectAll()
    .where('topic', '=', topic)
    .where('publisher', '=', publisher)
    .where('idempotency_key', '=', key)
    .executeTakeFirst()
}

export function eventsAfter(q: Queryable, topic: string, after: number, limit: number) {
  return t(q)
    .selectFrom('pubsub_events')
    .selectAll()
    .where('topic', '=', topic)
    .where('position', '>', after)
    .orderBy('position')
    .limit(limit)
    .execute()
}

export function findSubscription(q: Queryable, id: string) {
  return t(q).selectFrom('pubsub_subscriptions').selectAll().where('id', '=', id).executeTakeFirst()
}

export function listSubscriptions(q: Queryable, filter: { topic?: string; clientId?: string } = {}) {
  let query = t(q).selectFrom('pubsub_subscriptions').selectAll()
  if (filter.topic) query = query.where('topic', '=', filter.topic)
  if (filter.clientId) query = query.where('client_id', '=', filter.clientId)
  return query.orderBy('topic').orderBy('created_at').execute()
}

/** Subscriptions that get a delivery row for each new event of the topic (only allowed subscribers). */
export function pushTargets(q: Queryable, topic: string) {
  return t(q)
    .selectFrom('pubsub_subscriptions')
    .select(['id', 'max_attempts'])
    .where('topic', '=', topic)
    .where('disabled_at', 'is', null)
    .where('mode', 'in', ['push', 'internal'])
    .where(
      sql<boolean>`(select tp.subscribers is null or pubsub_subscriptions.client_id = any(tp.subscribers)
        from pubsub_topics tp where tp.name = pubsub_subscriptions.topic)`,
    )
    .execute()
}

export type DeliveryCounts = Record<DeliveryState, number>

/** Deliveries by state for each subscription asked for. */
export async function deliveryCounts(q: Queryable, ids: readonly string[]) {
  const counts = new Map<string, DeliveryCounts>()
  for (const id of ids) counts.set(id, { waiting: 0, queued: 0, delivered: 0, dead: 0 })
  if (ids.length === 0) return counts
  const rows = await t(q)
    .selectFrom('pubsub_deliveries')
    .select(['subscription_id', 'state', sql<number>`count(*)::int`.as('n')])
    .where('subscription_id', 'in', ids)
    .groupBy(['subscription_id', 'state'])
    .execute()
  for (const row of rows) counts.get(row.subscription_id)![row.state] = row.n
  return counts
}

/** The most recent failure of a subscription still open or dead: what an operator looks at first. */
export function lastFailure(q: Queryable, subscriptionId: string) {
  return t(q)
    .selectFrom('pubsub_deliveries')
    .select(['id', 'position', 'last_error', 'last_status', 'last_attempt_at', 'state'])
    .where('subscription_id', '=', subscriptionId)
    .where('last_error', 'is not', null)
    .where('state', 'in', ['queued', 'dead'])
    .orderBy('last_attempt_at', 'desc')
    .limit(1)
    .executeTakeFirst()
}

export function deliveriesOf(
  q: Queryable,
  subscriptionId: string,
  states: readonly DeliveryState[],
  limit = 100,
) {
  return t(q)
    .selectFrom('pubsub_deliveries')
    .innerJoin('pubsub_events', 'pubsub_events.id', 'pubsub_deliveries.event_id')
    .select([
      'pubsub_deliveries.id',
      'pubsub_deliveries.position',
      'pubsub_deliveries.key',
      'pubsub_deliveries.state',
      'pubsub_deliveries.attempts',
      'pubsub_deliveries.last_error',
      'pubsub_deliveries.last_status',
      'pubsub_deliveries.last_attempt_at',
      'pubsub_deliveries.delivered_at',
      'pubsub_events.id as event_id',
      'pubsub_events.published_at',
    ])
    .where('pubsub_deliveries.subscription_id', '=', subscriptionId)
    .where('pubsub_deliveries.state', 'in', states)
    .orderBy('pubsub_deliveries.position')
    .limit(limit)
    .execute()
}

/** A queued delivery with what sending it needs. */
export function loadDelivery(q: Queryable, id: number) {
  return t(q)
    .selectFrom('pubsub_deliveries as d')
    .innerJoin('pubsub_subscriptions as s', 's.id', 'd.subscription_id')
    .innerJoin('pubsub_events as e', 'e.id', 'd.event_id')
    .innerJoin('pubsub_topics as tp', 'tp.name', 's.topic')
    .select([
      'tp.subscribers',
      'd.id',
      'd.state',
      'd.attempts',
      'd.key',
      'd.position',
      's.id as subscription_id',
      's.topic',
      's.client_id',
      's.mode',
      's.endpoint',
      's.secret_enc',
      's.disabled_at',
      's.max_attempts',
      'e.id as event_id',
      'e.payload',
      'e.internal',
      'e.published_at',
    ])
    .where('d.id', '=', id)
    .executeTakeFirst()
}

export function allowedHosts(q: Queryable) {
  return t(q).selectFrom('pubsub_allowed_hosts').selectAll().orderBy('host').execute()
}

/**
 * Hands the next deliveries to the job queue, keeping at most one queued delivery per (subscription, key):
 * for each key, the lowest waiting position when none of that key is queued; events without a key go at once.
 * `key` undefined looks at every key of the subscription. Call it holding the topic's lock.
 */
export async function promote(
  q: Queryable,
  subscriptionId: string,
  key: string | null | undefined,
  maxAttempts: number,
): Promise<number[]> {
  const keyed = key === undefined ? sql`w.key is not null` : key === null ? sql`false` : sql`w.key = ${key}`
  const result = await sql<{ id: number }>`
    with heads as (
      select distinct on (w.key) w.id
      from pubsub_deliveries w
      where w.subscription_id = ${subscriptionId} and w.state = 'waiting' and ${keyed}
        and not exists (
          select 1 from pubsub_deliveries q
          where q.subscription_id = w.subscription_id and q.key = w.key and q.state = 'queued')
      order by w.key, w.position
    ),
    unkeyed as (
      select id from pubsub_deliveries
      where subscription_id = ${subscriptionId} and state = 'waiting' and key is null
        and ${key === undefined || key === null}
    )
    update pubsub_deliveries d set state = 'queued', updated_at = now()
    where d.id in (select id from heads union all select id from unkeyed)
    returning d.id`.execute(q)
  const ids = result.rows.map((r) => Number(r.id))
  for (const id of ids) {
    await enqueue(q, DELIVER_QUEUE, { deliveryId: id }, { maxAttempts, singletonKey: `pubsub:${id}` })
  }
  return ids
}
