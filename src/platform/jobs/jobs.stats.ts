import { sql } from 'kysely'
import type { Db } from '../db/database.js'
import { ConflictError, NotFoundError } from '../http/errors.js'
import type { JobState } from './jobs.tables.js'

export type QueueStats = Record<JobState, number> & {
  queue: string
  /** How long the job that has waited longest since it became due has been waiting; null when none waits. */
  oldestDueMs: number | null
}

export type ConsumerStats = {
  consumer: string
  lastSeq: number
  /** Outbox rows after the cursor, of every topic: an upper bound of what the consumer still has to read. */
  behind: number
  attempts: number
  lastError: string | null
  retryAt: Date | null
}

export type TimerStats = {
  name: string
  nextRunAt: Date
  lastStartedAt: Date | null
  lastFinishedAt: Date | null
  lastError: string | null
}

export type JobStats = {
  queues: QueueStats[]
  timers: TimerStats[]
  consumers: ConsumerStats[]
  /** Outbox rows committed but not yet numbered for delivery; stays near zero while a dispatcher runs. */
  unsequencedEvents: number
}

/** What an operator needs to see whether background work keeps up: counts, waiting times, stuck consumers. */
export async function jobStats(db: Db): Promise<JobStats> {
  const queues = await sql<QueueStats>`
    select queue,
      count(*) filter (where state = 'queued')::int as queued,
      count(*) filter (where state = 'running')::int as running,
      count(*) filter (where state = 'failed')::int as failed,
      count(*) filter (where state = 'done')::int as done,
      count(*) filter (where state = 'dead')::int as dead,
      (extract(epoch from now() - min(run_at) filter (where state in ('queued', 'failed') and run_at <= now()))
        * 1000)::float8 as "oldestDueMs"
    from jobs group by queue order by queue`.execute(db)
  const timers = await sql<TimerStats>`
    select name, next_run_at as "nextRunAt", last_started_at as "lastStartedAt",
      last_finished_at as "lastFinishedAt", last_error as "lastError"
    from job_timers order by name`.execute(db)
  const consumers = await sql<ConsumerStats>`
    select consumer, last_seq as "lastSeq",
      greatest(0, (select coalesce(max(seq), 0) from outbox) - last_seq)::int as behind,
      attempts, last_error as "lastError", retry_at as "retryAt"
    from outbox_cursors order by consumer`.execute(db)
  const unsequenced = await sql<{ n: number }>`
    select count(*)::int as n from outbox where seq is null`.execute(db)
  return {
    queues: queues.rows.map((row) => ({
      ...row,
      oldestDueMs: row.oldestDueMs === null ? null : Math.round(row.oldestDueMs),
    })),
    timers: timers.rows,
    consumers: consumers.rows,
    unsequencedEvents: unsequenced.rows[0]!.n,
  }
}

/**
 * How far one consumer is behind the outbox in the topics it reads: committed events after its cursor, and
 * whether some committed events are not yet numbered (they will be, and then count). What a projection shows
 * its readers as "figures up to date, or N events behind".
 */
export async function consumerLag(
  db: Db,
  consumer: string,
  topics: readonly string[],
): Promise<{ pending: number; unsequenced: boolean }> {
  const result = await sql<{ pending: number; unsequenced: boolean }>`
    select
      (select count(*)::int from outbox
        where seq > coalesce((select last_seq from outbox_cursors where consumer = ${consumer}), 0)
          and topic = any(${[...topics]}::text[])) as pending,
      exists (select 1 from outbox where seq is null and topic = any(${[...topics]}::text[])) as unsequenced`.execute(
    db,
  )
  return result.rows[0]!
}

/**
 * Gives a dead job a fresh set of attempts, due now; its last error stays until the next attempt.
 * Throws NotFoundError when no dead job has this id, ConflictError when a live job with the same
 * singleton key already exists.
 */
export async function retryDead(db: Db, id: number): Promise<void> {
  try {
    const result = await sql`
      update jobs set state = 'queued', attempts = 0, run_at = now(), finished_at = null,
        locked_by = null, locked_until = null
      where id = ${id} and state = 'dead'`.execute(db)
    if (Number(result.numAffectedRows ?? 0) === 0) {
      throw new NotFoundError(`Không có công việc lỗi (dead) số ${id}.`)
    }
  } catch (error) {
    if ((error as { code?: string }).code === '23505') {
      throw new ConflictError(
        `Công việc số ${id} không chạy lại được: đã có một công việc cùng khóa đang chờ (a live job has the same singleton key).`,
      )
    }
    throw error
  }
}
