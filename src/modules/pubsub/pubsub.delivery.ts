import { sql } from 'kysely'
import { inTransaction, type Db, type Tx } from '../../platform/db/database.js'
import { tablesOf } from '../../platform/db/tables.js'
import { enqueue, type JobContext, type JobsLog } from '../../platform/jobs/index.js'
import * as repo from './pubsub.repository.js'
import { RefusedEventError, type PubsubService } from './pubsub.service.js'
import { DeliveryState, SubscriptionMode, type PubsubTables } from './pubsub.tables.js'
import { decryptSecret, signWebhook, WebhookHeader, webhookHostAllowed } from './pubsub.webhook.js'

const t = tablesOf<PubsubTables>
const HOSTS_TTL_MS = 3_000

/** Thrown into the job runner when an attempt failed and another one is due after the back-off. */
export class DeliveryFailedError extends Error {}

export type DeliveryDeps = {
  db: Db
  secretKey: string
  timeoutMs: number
  service: PubsubService
  log: JobsLog
}

type Loaded = NonNullable<Awaited<ReturnType<typeof repo.loadDelivery>>>

/**
 * Delivers one event to one subscription as a job: success or the last failed attempt closes the delivery
 * and hands the next event of the same key to the queue; other failures are written on the delivery and
 * thrown, so the runner retries after its exponential back-off.
 */
export function createDeliveryHandler({ db, secretKey, timeoutMs, service, log }: DeliveryDeps) {
  // The allow-list is read at most every few seconds: removing a host stops pushes to it within that time.
  let hosts: { list: string[]; readAt: number } = { list: [], readAt: 0 }
  async function allowedHosts(): Promise<string[]> {
    if (Date.now() - hosts.readAt > HOSTS_TTL_MS) {
      hosts = { list: (await repo.allowedHosts(db)).map((h) => h.host), readAt: Date.now() }
    }
    return hosts.list
  }

  async function push(row: Loaded, attempt: number, signal: AbortSignal): Promise<number> {
    const allowed = await allowedHosts()
    if (!row.endpoint || !webhookHostAllowed(row.endpoint, allowed)) {
      throw new Error('Máy chủ nhận không còn trong danh sách được phép (host no longer allowed)')
    }
    const body = JSON.stringify({
      id: row.event_id,
      topic: row.topic,
      position: Number(row.position),
      key: row.key,
      publishedAt: row.published_at.toISOString(),
      payload: row.payload,
    })
    const timestamp = Math.floor(Date.now() / 1000)
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'CaoBang-LGSP-PubSub/1',
      [WebhookHeader.timestamp]: String(timestamp),
      [WebhookHeader.signature]: signWebhook(decryptSecret(secretKey, row.secret_enc!), timestamp, body),
      [WebhookHeader.eventId]: row.event_id,
      [WebhookHeader.topic]: row.topic,
      [WebhookHeader.position]: String(row.position),
      [WebhookHeader.subscription]: row.subscription_id,
      [WebhookHeader.attempt]: String(attempt),
    }
    if (row.key !== null) headers[WebhookHeader.key] = encodeURIComponent(row.key)
    const response = await fetch(row.endpoint, {
      method: 'POST',
      headers,
      body,
      // A redirect could lead anywhere, past the allow-list: it counts as a failure.
      redirect: 'manual',
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    })
    await response.body?.cancel().catch(() => undefined)
    if (response.status < 200 || response.status > 299) {
      const error = new DeliveryFailedError(`Máy chủ nhận trả về HTTP ${response.status}`)
      ;(error as DeliveryFailedError & { status?: number }).status = response.status
      throw error
    }
    return response.status
  }

  async function close(
    row: Loaded,
    state: 'delivered' | 'dead',
    attempt: number,
    status: number | null,
    error: string | null,
  ) {
    const update = (q: Db | Tx) =>
      t(q)
        .updateTable('pubsub_deliveries')
        .set({
          state,
          attempts: attempt,
          last_status: status,
          last_error: error,
          last_attempt_at: new Date(),
          delivered_at: state === DeliveryState.delivered ? new Date() : null,
          updated_at: new Date(),
        })
        .where('id', '=', row.id)
        .where('state', '=', DeliveryState.queued)
        .executeTakeFirst()
    // Nothing waits behind an event without a key (re-drive and seek promote those themselves).
    if (row.key === null) {
      await update(db)
      return
    }
    await inTransaction(db, async (tx) => {
      await repo.lockTopic(tx, row.topic)
      const closed = await update(tx)
      if (Number(closed.numUpdatedRows) === 0) return
      await repo.promote(tx, row.subscription_id, row.key, row.max_attempts)
    })
  }

  return async function deliver(payload: { deliveryId: number }, job: JobContext): Promise<void> {
    const row = await repo.loadDelivery(db, payload.deliveryId)
    // Delivered, dead or re-queued by another job in the meantime: nothing to do.
    if (!row || row.state !== DeliveryState.queued) return
    const attempt = row.attempts + 1
    // Taken off the topic's list of subscribers since: never sent, and no point retrying.
    if (row.subscribers !== null && !row.subscribers.includes(row.client_id)) {
      await close(row, DeliveryState.dead, attempt, null, 'Hệ thống không còn được nhận loại sự kiện này')
      return
    }
    let status: number | null = null
    let failure: string | null = null
    let refused = false
    try {
      if (row.disabled_at) throw new Error('Đăng ký đã bị vô hiệu hóa (subscription disabled)')
      if (row.mode === SubscriptionMode.push) {
        status = await push(row, attempt, job.signal)
      } else {
        const handler = service.internalHandler(row.client_id)
        if (!handler) throw new Error(`Không có bộ xử lý nội bộ ${row.client_id} trong tiến trình này`)
        await handler(
          {
            id: row.event_id,
            topic: row.topic,
            position: Number(row.position),
            key: row.key,
            publishedAt: row.published_at.toISOString(),
            payload: row.payload,
            internal: row.internal,
          },
          { attempt, signal: job.signal },
        )
      }
    } catch (error) {
      const e = error as Error & { status?: number; cause?: { code?: string } }
      refused = error instanceof RefusedEventError
      status = e.status ?? null
      failure = (e.cause?.code ? `${e.message} (${e.cause.code})` : e.message).slice(0, 2000)
    }
    if (failure === null) {
      await close(row, DeliveryState.delivered, attempt, status, null)
      return
    }
    if (refused || job.attempt >= job.maxAttempts) {
      log.warn(
        { delivery: row.id, subscription: row.subscription_id, topic: row.topic, position: row.position },
        refused
          ? 'pubsub delivery dead-lettered: the receiver refused the event'
          : 'pubsub delivery dead-lettered after its last attempt',
      )
      await close(row, DeliveryState.dead, attempt, status, failure)
      return
    }
    await t(db)
      .updateTable('pubsub_deliveries')
      .set({
        attempts: attempt,
        last_status: status,
        last_error: failure,
        last_attempt_at: new Date(),
        updated_at: new Date(),
      })
      .where('id', '=', row.id)
      .execute()
    throw new DeliveryFailedError(failure)
  }
}

/**
 * Safety net run by a timer: hands to the queue the heads that nobody promoted (a crash between commit and
 * promotion cannot happen, but a job the runner gave up on without calling the handler can), and re-enqueues
 * deliveries queued for long without a live job (the singleton key makes that a no-op when one exists).
 */
/**
 * Retention: removes events published before `before` that nobody is owed any more — every delivery of them
 * delivered (none waiting, queued or dead) and every active pull subscription of their topic acknowledged past
 * them — with their deliveries, at most `limit` per call, in one statement. Replaying (seek) from before the oldest
 * kept event starts at the oldest kept one.
 */
export async function purgeExpiredEvents(db: Db, before: Date, limit = 1000): Promise<number> {
  const result = await sql<{ id: string }>`
    with doomed as (
      select e.id from pubsub_events e
      where e.published_at < ${before}
        and not exists (
          select 1 from pubsub_deliveries d where d.event_id = e.id and d.state <> 'delivered')
        and not exists (
          select 1 from pubsub_subscriptions s
          where s.topic = e.topic and s.mode = 'pull' and s.disabled_at is null and s.acked_position < e.position)
      order by e.published_at
      limit ${limit}
    ), deliveries as (
      delete from pubsub_deliveries d using doomed where d.event_id = doomed.id
    )
    delete from pubsub_events e using doomed where e.id = doomed.id
    returning e.id`.execute(db)
  return result.rows.length
}

export async function sweepDeliveries(db: Db): Promise<number> {
  const stuck = await sql<{ subscription_id: string; topic: string; max_attempts: number }>`
    select distinct d.subscription_id, s.topic, s.max_attempts
    from pubsub_deliveries d join pubsub_subscriptions s on s.id = d.subscription_id
    where d.state = 'waiting' and d.created_at < now() - interval '5 seconds'
    limit 100`.execute(db)
  let promoted = 0
  for (const row of stuck.rows) {
    promoted += await inTransaction(db, async (tx) => {
      await repo.lockTopic(tx, row.topic)
      return (await repo.promote(tx, row.subscription_id, undefined, row.max_attempts)).length
    })
  }
  const stale = await sql<{ id: number; max_attempts: number }>`
    select d.id, s.max_attempts from pubsub_deliveries d join pubsub_subscriptions s on s.id = d.subscription_id
    where d.state = 'queued' and d.updated_at < now() - interval '10 minutes'
    order by d.id limit 500`.execute(db)
  for (const row of stale.rows) {
    const id = Number(row.id)
    const job = await enqueue(
      db,
      repo.DELIVER_QUEUE,
      { deliveryId: id },
      { maxAttempts: row.max_attempts, singletonKey: `pubsub:${id}` },
    )
    if (job !== undefined) {
      // A new job: the previous one is gone, so the wait starts again from now.
      await t(db)
        .updateTable('pubsub_deliveries')
        .set({ updated_at: new Date() })
        .where('id', '=', id)
        .execute()
      promoted++
    }
  }
  return promoted
}
