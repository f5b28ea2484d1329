import { sql } from 'kysely'
import type { Database, Db } from '../db/database.js'
import type { DomainEvents } from '../events/outbox.js'
import { leaseToken, PollLoop, THIS_PROCESS, withTimeout, type JobsLog } from './poll-loop.js'
import { backoffDelay, errorText, type Backoff } from './queue.js'

export type Topic = Extract<keyof DomainEvents, string>

/** One outbox row as a consumer receives it; `topic` narrows `payload`. */
export type OutboxEvent<K extends Topic = Topic> = {
  [T in K]: { id: number; seq: number; topic: T; payload: DomainEvents[T]; createdAt: Date }
}[K]

export type SubscribeOptions = {
  /** Where a consumer seen for the first time starts: every event kept in the outbox, or only new ones. */
  from?: 'start' | 'now'
  batchSize?: number
  backoff?: Backoff
  /** A delivery still running after this long counts as failed; keep it under two thirds of leaseMs. */
  timeoutMs?: number
}

export type OutboxDispatcherOptions = {
  db: Db
  kind: Database['kind']
  log: JobsLog
  pollMs?: number
  /** How long a process keeps a consumer to itself without acknowledging; another takes over after it. */
  leaseMs?: number
}

type Consumer = {
  name: string
  topics: string[]
  handler: (event: OutboxEvent) => Promise<void>
  from: 'start' | 'now'
  batchSize: number
  backoff: Backoff
  timeoutMs: number
  /** The head of the outbox this process last saw the consumer reach; no read while nothing is newer. */
  reached: number
  retryAt: number
  pumping: boolean
}

type EventRow = {
  head: number
  id: number | null
  seq: number | null
  topic: string | null
  payload: unknown
  created_at: Date | null
}

// Two-key form, so it shares no key space with the single-key locks of migrations and audit.
const SEQUENCER_LOCK = sql`7301, 10`

export const DEFAULT_CONSUMER_BACKOFF: Backoff = { baseMs: 1_000, maxMs: 5 * 60_000 }

/**
 * Delivers outbox events to named consumers, each at least once and in outbox order, each at its own pace.
 *
 * Each consumer has a cursor row (outbox_cursors) that a loop advances itself; deliveries are not jobs.
 * A consumer such as the national-portal synchronisation must receive a dossier's events in order, so a
 * failing event has to hold back the ones after it; a job per delivery would let later events overtake
 * the one being retried, and would write a row per event and consumer. The cursor row also keeps the
 * retry state (attempts, last_error, retry_at) where operators see it, and a lease on it keeps two
 * processes from delivering to one consumer at the same time.
 *
 * Order is `seq`, given by the sequencer to committed rows (see migrations/0010_platform_jobs.sql): the
 * id order, except that an event whose transaction commits late comes after the events that committed
 * before it, where an id cursor would have stepped past it for good. Per-consumer cursors replace
 * `outbox.delivered_at`, which stays null.
 */
export class OutboxDispatcher {
  private readonly db: Db
  private readonly kind: Database['kind']
  private readonly log: JobsLog
  private readonly leaseMs: number
  private readonly token = leaseToken()
  private readonly consumers = new Map<string, Consumer>()
  private readonly pumps = new Set<Promise<void>>()
  private readonly loop: PollLoop

  constructor(options: OutboxDispatcherOptions) {
    this.db = options.db
    this.kind = options.kind
    this.log = options.log
    this.leaseMs = options.leaseMs ?? 60_000
    this.loop = new PollLoop('outbox dispatcher', options.pollMs ?? 250, this.log, () => this.tick())
  }

  subscribe<K extends Topic>(
    consumer: string,
    topics: readonly K[],
    handler: (event: OutboxEvent<K>) => Promise<void>,
    options: SubscribeOptions = {},
  ): this {
    if (this.consumers.has(consumer)) throw new Error(`Consumer ${consumer} is already subscribed`)
    if (this.loop.isRunning) throw new Error('Subscribe consumers before starting the dispatcher')
    this.consumers.set(consumer, {
      name: consumer,
      topics: [...topics],
      handler: handler as Consumer['handler'],
      from: options.from ?? 'start',
      batchSize: options.batchSize ?? 100,
      backoff: options.backoff ?? DEFAULT_CONSUMER_BACKOFF,
      timeoutMs: options.timeoutMs ?? 20_000,
      reached: -1,
      retryAt: 0,
      pumping: false,
    })
    return this
  }

  async start(): Promise<void> {
    if (this.loop.isRunning) return
    if (this.kind === 'embedded') {
      // Only one process opens an embedded database: a lease held by another process is left over.
      await sql`update outbox_cursors set locked_by = null, locked_until = null
        where locked_by not like ${THIS_PROCESS}`.execute(this.db)
    }
    await this.sequence()
    for (const consumer of this.consumers.values()) {
      await sql`
        insert into outbox_cursors (consumer, last_seq)
        values (${consumer.name},
          case when ${consumer.from} = 'now' then (select coalesce(max(seq), 0) from outbox) else 0 end)
        on conflict (consumer) do nothing`.execute(this.db)
    }
    this.loop.start()
  }

  /** Stops reading; deliveries in progress finish and are acknowledged, waiting up to `timeoutMs`. */
  async stop(timeoutMs = 5_000): Promise<void> {
    await this.loop.stop()
    if (this.pumps.size === 0) return
    let timer: NodeJS.Timeout | undefined
    const finished = await Promise.race([
      Promise.allSettled(this.pumps).then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ])
    clearTimeout(timer)
    if (!finished) {
      this.log.warn(
        { consumers: [...this.consumers.values()].filter((c) => c.pumping).map((c) => c.name) },
        'outbox dispatcher stopped with deliveries still running; they will be delivered again',
      )
    }
  }

  private async tick(): Promise<void> {
    const head = await this.sequence()
    const now = Date.now()
    for (const consumer of this.consumers.values()) {
      if (consumer.pumping || now < consumer.retryAt || consumer.reached >= head) continue
      consumer.pumping = true
      const pump: Promise<void> = this.pump(consumer)
        .catch((error: unknown) => {
          consumer.retryAt = Date.now() + backoffDelay(1, consumer.backoff)
          this.log.error({ err: error, consumer: consumer.name }, 'outbox delivery: database error')
        })
        .finally(() => {
          consumer.pumping = false
          this.pumps.delete(pump)
        })
      this.pumps.add(pump)
    }
  }

  /**
   * Numbers committed rows that have no seq yet, in id order, one process at a time, and returns the
   * highest seq. Serialised by the lock, the numbers become visible in increasing order.
   */
  private async sequence(): Promise<number> {
    const state = await sql<{ pending: boolean; head: number }>`
      select exists (select 1 from outbox where seq is null) as pending,
        (select coalesce(max(seq), 0) from outbox) as head`.execute(this.db)
    const { pending, head } = state.rows[0]!
    if (!pending) return head
    const numbered = await this.db.transaction().execute(async (tx) => {
      const lock = await sql<{ locked: boolean }>`
        select pg_try_advisory_xact_lock(${SEQUENCER_LOCK}) as locked`.execute(tx)
      // Another process is numbering the same rows; its numbers show at its commit.
      if (!lock.rows[0]!.locked) return head
      const result = await sql<{ head: number | null }>`
        with numbered as (
          update outbox set seq = next.seq
          from (
            select id, (select coalesce(max(seq), 0) from outbox) + row_number() over (order by id) as seq
            from (select id from outbox where seq is null order by id limit 5000) unnumbered
          ) next
          where outbox.id = next.id
          returning outbox.seq
        )
        select max(seq) as head from numbered`.execute(tx)
      return result.rows[0]?.head ?? head
    })
    return Math.max(head, numbered)
  }

  private async pump(consumer: Consumer): Promise<void> {
    const claimed = await sql<{ last_seq: number; attempts: number }>`
      update outbox_cursors
      set locked_by = ${this.token}, locked_until = now() + ${this.leaseMs}::int * interval '1 millisecond'
      where consumer = ${consumer.name}
        and (locked_by is null or locked_by = ${this.token} or locked_until < now())
        and (retry_at is null or retry_at <= now())
      returning last_seq, attempts`.execute(this.db)
    const cursor = claimed.rows[0]
    // Another process holds the consumer, or its retry is not due yet.
    if (!cursor) return
    let delivered = cursor.last_seq
    let acknowledgedAt = Date.now()
    try {
      for (;;) {
        const batch = await sql<EventRow>`
          with head as (select coalesce(max(seq), 0) as head from outbox)
          select head.head, e.id, e.seq, e.topic, e.payload, e.created_at
          from head left join lateral (
            select id, seq, topic, payload, created_at from outbox
            where seq > ${delivered} and topic = any(${consumer.topics}::text[])
            order by seq
            limit ${consumer.batchSize}
          ) e on true
          order by e.seq`.execute(this.db)
        const head = batch.rows[0]!.head
        const events = batch.rows.filter((row) => row.seq !== null)
        for (const row of events) {
          if (!this.loop.isRunning) return
          const event = {
            id: row.id!,
            seq: row.seq!,
            topic: row.topic!,
            payload: row.payload,
            createdAt: row.created_at!,
          } as OutboxEvent
          try {
            await withTimeout(() => consumer.handler(event), consumer.timeoutMs)
          } catch (error) {
            await this.failed(consumer, cursor, delivered, event, error)
            return
          }
          delivered = row.seq!
          // Acknowledging also renews the lease, so a long batch keeps the consumer.
          if (Date.now() - acknowledgedAt > this.leaseMs / 3) {
            if (!(await this.acknowledge(consumer, delivered, true))) return
            acknowledgedAt = Date.now()
          }
        }
        if (events.length < consumer.batchSize) {
          // Everything up to the head that concerns this consumer is delivered; skip the rest of it.
          delivered = Math.max(delivered, head)
          consumer.reached = head
          return
        }
      }
    } finally {
      await this.acknowledge(consumer, delivered, false)
    }
  }

  /** Moves the cursor; false when this process no longer holds the consumer's lease. */
  private async acknowledge(consumer: Consumer, seq: number, keepLease: boolean): Promise<boolean> {
    const result = await sql`
      update outbox_cursors
      set last_seq = greatest(last_seq, ${seq}::bigint),
        attempts = case when ${seq}::bigint > last_seq then 0 else attempts end,
        last_error = case when ${seq}::bigint > last_seq then null else last_error end,
        locked_by = case when ${keepLease} then locked_by end,
        locked_until = case when ${keepLease}
          then now() + ${this.leaseMs}::int * interval '1 millisecond' end,
        updated_at = now()
      where consumer = ${consumer.name} and locked_by = ${this.token}`.execute(this.db)
    return Number(result.numAffectedRows ?? 0) > 0
  }

  private async failed(
    consumer: Consumer,
    cursor: { last_seq: number; attempts: number },
    delivered: number,
    event: OutboxEvent,
    error: unknown,
  ): Promise<void> {
    // Failures in a row on the same event: the count restarts when earlier events of the batch got through.
    const attempts = delivered > cursor.last_seq ? 1 : cursor.attempts + 1
    const delayMs = backoffDelay(attempts, consumer.backoff)
    consumer.retryAt = Date.now() + delayMs
    this.log.warn(
      {
        err: error,
        consumer: consumer.name,
        event: { id: event.id, seq: event.seq, topic: event.topic },
        attempts,
      },
      `outbox delivery failed, retrying in ${delayMs} ms`,
    )
    await sql`
      update outbox_cursors
      set last_seq = greatest(last_seq, ${delivered}::bigint), attempts = ${attempts}, last_error = ${errorText(error)},
        retry_at = now() + ${delayMs}::int * interval '1 millisecond', updated_at = now()
      where consumer = ${consumer.name} and locked_by = ${this.token}`.execute(this.db)
  }
}
