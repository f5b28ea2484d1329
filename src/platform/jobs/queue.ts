import { sql } from 'kysely'
import type { Queryable } from '../db/database.js'

/**
 * Payloads by queue name. Modules add their queues by declaration merging:
 * `declare module '…/platform/jobs/queue.js' { interface JobPayloads { 'mail.send': { to: string; … } } }`.
 * A payload is stored as jsonb, so it must survive JSON.stringify (no Dates, no undefined in arrays).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface JobPayloads {}
export type QueueName = Extract<keyof JobPayloads, string>

export type EnqueueOptions = {
  /** Not before this instant; default now. */
  runAt?: Date
  /** Overrides the handler's maxAttempts for this job. */
  maxAttempts?: number
  /** While a job with this key is queued, running or waiting to retry in the same queue, another is not added. */
  singletonKey?: string
}

/**
 * Adds a job. Given the caller's transaction, the job exists exactly when the change that asked for it
 * commits: a rolled-back action sends no notice. Returns the new id, or undefined when the singleton key
 * already has a live job.
 */
export async function enqueue<Q extends QueueName>(
  q: Queryable,
  queue: Q,
  payload: JobPayloads[Q],
  options: EnqueueOptions = {},
): Promise<number | undefined> {
  const result = await sql<{ id: number }>`
    insert into jobs (queue, payload, run_at, max_attempts, singleton_key)
    values (${queue}, ${JSON.stringify(payload)}::jsonb, coalesce(${options.runAt ?? null}::timestamptz, now()),
      ${options.maxAttempts ?? null}::int, ${options.singletonKey ?? null}::text)
    on conflict (queue, singleton_key)
      where singleton_key is not null and state in ('queued', 'running', 'failed')
      do nothing
    returning id`.execute(q)
  return result.rows[0]?.id
}

/** Exponential back-off between attempts: base·2^(n−1), capped, with jitter. */
export type Backoff = { baseMs: number; maxMs: number }

export const DEFAULT_BACKOFF: Backoff = { baseMs: 1_000, maxMs: 60 * 60_000 }

/**
 * The wait before attempt `failures + 1`. Half the delay is fixed and half random ("equal jitter"), so
 * jobs that failed together (a mail server down) do not all come back in the same instant, and the wait
 * still grows with every failure.
 */
export function backoffDelay(failures: number, backoff: Backoff, random: () => number = Math.random): number {
  const exponential = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, failures - 1))
  return Math.round(exponential / 2 + (random() * exponential) / 2)
}

/** The text kept in last_error: the stack when there is one, bounded so a huge message cannot bloat the row. */
export function errorText(error: unknown): string {
  const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error)
  return text.length > 4000 ? `${text.slice(0, 4000)}…` : text
}
