import { sql } from 'kysely'
import type { Database, Db } from '../db/database.js'
import { leaseToken, PollLoop, THIS_PROCESS, withTimeout, type JobsLog } from './poll-loop.js'
import {
  backoffDelay,
  DEFAULT_BACKOFF,
  errorText,
  type Backoff,
  type JobPayloads,
  type QueueName,
} from './queue.js'

/** What a handler knows about the job besides its payload. */
export type JobContext = {
  id: number
  queue: string
  /** 1 on the first run. */
  attempt: number
  maxAttempts: number
  createdAt: Date
  /** Aborted when the attempt times out or the runner stops without it finishing. */
  signal: AbortSignal
}

export type JobHandler<Q extends QueueName> = (payload: JobPayloads[Q], job: JobContext) => Promise<void>

export type HandlerOptions = {
  /** Jobs of this queue running at once in this process. */
  concurrency?: number
  maxAttempts?: number
  backoff?: Backoff
  /** An attempt still running after this long counts as failed and frees its slot. */
  timeoutMs?: number
}

export type JobRunnerOptions = {
  db: Db
  kind: Database['kind']
  log: JobsLog
  /** How often an idle runner looks for due jobs and timers. */
  pollMs?: number
  /** How long a claimed job stays reserved without a heartbeat; a crashed process's jobs return after it. */
  leaseMs?: number
  /** Done jobs are deleted after this long, dead ones after `keepDeadMs`. */
  keepDoneMs?: number
  keepDeadMs?: number
}

type Registration = {
  fn: (payload: unknown, job: JobContext) => Promise<void>
  concurrency: number
  maxAttempts: number
  backoff: Backoff
  timeoutMs: number
  active: number
  /** The last claim filled every free slot, so more jobs may be due: a freed slot looks again at once. */
  backlog: boolean
}

type Timer = {
  name: string
  intervalMs: number
  fn: () => Promise<void>
  checkAt: number
  running: boolean
}

type ClaimedJob = {
  id: number
  queue: string
  payload: unknown
  attempts: number
  max_attempts: number | null
  last_error: string | null
  created_at: Date
}

type InFlight = { job: ClaimedJob; controller: AbortController; done: Promise<void> }

const DAY = 24 * 60 * 60_000

/**
 * Runs queued jobs and timers. A job is claimed with FOR UPDATE SKIP LOCKED in one short statement, its
 * handler runs outside any transaction (it uses the database itself, and PGlite has one session), and
 * its outcome is written in another short statement, guarded by the lease (locked_by, and the attempt
 * number for failures) so a late answer from an attempt that lost its lease cannot undo a newer one.
 */
export class JobRunner {
  private readonly db: Db
  private readonly kind: Database['kind']
  private readonly log: JobsLog
  private readonly pollMs: number
  private readonly leaseMs: number
  private readonly token = leaseToken()
  private readonly handlers = new Map<string, Registration>()
  private readonly timers = new Map<string, Timer>()
  private readonly inFlight = new Map<number, InFlight>()
  private readonly timersInFlight = new Set<Promise<void>>()
  private readonly loop: PollLoop
  private readonly completions: { id: number; resolve: () => void }[] = []
  private flushing = false
  private nextReapAt = 0
  private nextHeartbeatAt = 0

  constructor(options: JobRunnerOptions) {
    this.db = options.db
    this.kind = options.kind
    this.log = options.log
    this.pollMs = options.pollMs ?? 250
    this.leaseMs = options.leaseMs ?? 60_000
    this.loop = new PollLoop('job runner', this.pollMs, this.log, () => this.tick())
    const keepDoneMs = options.keepDoneMs ?? 7 * DAY
    const keepDeadMs = options.keepDeadMs ?? 90 * DAY
    this.every('platform.jobs.purge', 60 * 60_000, async () => {
      const deleted = await purgeFinishedJobs(this.db, keepDoneMs, keepDeadMs)
      if (deleted > 0) this.log.info({ deleted }, 'finished jobs purged')
    })
  }

  /** Registers the handler of a queue; jobs of queues without a handler here wait for a process that has one. */
  handle<Q extends QueueName>(queue: Q, fn: JobHandler<Q>, options: HandlerOptions = {}): this {
    if (this.handlers.has(queue)) throw new Error(`Queue ${queue} already has a handler`)
    this.handlers.set(queue, {
      fn: fn as Registration['fn'],
      concurrency: options.concurrency ?? 1,
      maxAttempts: options.maxAttempts ?? 5,
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      timeoutMs: options.timeoutMs ?? 5 * 60_000,
      active: 0,
      backlog: false,
    })
    this.loop.wake()
    return this
  }

  /**
   * Runs `fn` at most once per interval across all processes sharing the database: a run starts only by
   * moving the timer's next_run_at forward in the statement that finds it due. A run that fails is logged
   * and not retried before the next interval; work that needs retries should be enqueued as jobs by `fn`.
   */
  every(name: string, intervalMs: number, fn: () => Promise<void>): this {
    if (this.timers.has(name)) throw new Error(`Timer ${name} already exists`)
    this.timers.set(name, { name, intervalMs, fn, checkAt: 0, running: false })
    this.loop.wake()
    return this
  }

  async start(): Promise<void> {
    if (this.loop.isRunning) return
    if (this.kind === 'embedded') {
      // Only one process opens an embedded database, so a lease held by another process is left over
      // from one that stopped: release it now rather than after the lease runs out.
      await sql`
        update jobs set state = 'failed', locked_by = null, locked_until = null,
          last_error = 'Tiến trình trước đã dừng khi công việc đang chạy (interrupted: previous process stopped)'
        where state = 'running' and locked_by not like ${THIS_PROCESS}`.execute(this.db)
    }
    const names = [...this.timers.keys()]
    if (names.length > 0) {
      await sql`insert into job_timers (name) select unnest(${names}::text[]) on conflict do nothing`.execute(
        this.db,
      )
    }
    this.loop.start()
  }

  /**
   * Stops claiming, then waits up to `timeoutMs` for running handlers and timers. Jobs still running after
   * that are aborted and handed back (state failed, due now, the attempt not counted) for the next start.
   */
  async stop(timeoutMs = 5_000): Promise<void> {
    await this.loop.stop()
    const pending = [...[...this.inFlight.values()].map((f) => f.done), ...this.timersInFlight]
    if (pending.length === 0) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      Promise.allSettled(pending),
      new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ])
    clearTimeout(timer)
    const unfinished = [...this.inFlight.values()]
    if (unfinished.length === 0) return
    for (const flight of unfinished) flight.controller.abort(new Error('job runner stopped'))
    const ids = unfinished.map((f) => f.job.id)
    // No longer ours to wait for: a second stop() does not wait for them again.
    for (const id of ids) this.inFlight.delete(id)
    this.log.warn({ ids }, 'job runner stopped with jobs still running; they will run again')
    await sql`
      update jobs set state = 'failed', run_at = now(), attempts = attempts - 1, locked_by = null,
        locked_until = null, last_error = 'Bị dừng khi tắt máy chủ (interrupted by shutdown)'
      where id = any(${ids}::bigint[]) and locked_by = ${this.token} and state = 'running'`.execute(this.db)
  }

  private async tick(): Promise<void> {
    const now = Date.now()
    if (now >= this.nextReapAt) {
      await this.reapExpiredLeases()
      this.nextReapAt = now + Math.min(5_000, this.leaseMs)
    }
    if (now >= this.nextHeartbeatAt) {
      await this.heartbeat()
      this.nextHeartbeatAt = now + this.leaseMs / 3
    }
    await this.startDueTimers(now)
    await this.claim()
  }

  private async claim(): Promise<void> {
    const queues: string[] = []
    const limits: number[] = []
    for (const [queue, registration] of this.handlers) {
      const free = registration.concurrency - registration.active
      if (free > 0) {
        queues.push(queue)
        limits.push(free)
      }
    }
    if (queues.length === 0) return
    const claimed = await sql<ClaimedJob>`
      with due as (
        select j.id from unnest(${queues}::text[], ${limits}::int[]) as q(name, n)
        cross join lateral (
          select id from jobs
          where queue = q.name and state in ('queued', 'failed') and run_at <= now()
          order by run_at, id
          limit q.n
          for update skip locked
        ) j
      )
      update jobs set state = 'running', attempts = attempts + 1, locked_by = ${this.token},
        locked_until = now() + ${this.leaseMs}::int * interval '1 millisecond', started_at = now()
      where jobs.id = any(array(select id from due))
      returning jobs.id, jobs.queue, jobs.payload, jobs.attempts, jobs.max_attempts, jobs.last_error,
        jobs.created_at`.execute(this.db)
    queues.forEach((queue, i) => {
      this.handlers.get(queue)!.backlog =
        claimed.rows.filter((job) => job.queue === queue).length === limits[i]
    })
    for (const job of claimed.rows) {
      const registration = this.handlers.get(job.queue)!
      registration.active++
      const controller = new AbortController()
      const flight: InFlight = { job, controller, done: Promise.resolve() }
      this.inFlight.set(job.id, flight)
      flight.done = this.run(job, registration, controller).finally(() => this.inFlight.delete(job.id))
    }
  }

  private async run(job: ClaimedJob, registration: Registration, controller: AbortController) {
    const maxAttempts = job.max_attempts ?? registration.maxAttempts
    let failure: { error: unknown } | undefined
    try {
      if (job.attempts > maxAttempts) {
        // Only a lease that ran out gets here: the last allowed attempt never reported back.
        failure = { error: job.last_error ?? 'lease expired' }
      } else {
        await withTimeout(
          (signal) =>
            registration.fn(job.payload, {
              id: job.id,
              queue: job.queue,
              attempt: job.attempts,
              maxAttempts,
              createdAt: job.created_at,
              signal,
            }),
          registration.timeoutMs,
          controller,
        )
      }
    } catch (error) {
      failure = { error }
    } finally {
      // The slot is free once the handler is; the outcome is written in the next batch.
      registration.active--
      if (registration.backlog) this.loop.wake()
    }
    if (!failure) {
      await this.markDone(job)
      return
    }
    const dead = job.attempts >= maxAttempts
    const delayMs = dead ? 0 : backoffDelay(job.attempts, registration.backoff)
    this.log[dead ? 'error' : 'warn'](
      { err: failure.error, job: { id: job.id, queue: job.queue, attempt: job.attempts, maxAttempts } },
      dead ? 'job failed for the last time and is dead' : `job failed, retrying in ${delayMs} ms`,
    )
    await this.markFailed(job, dead ? 'dead' : 'failed', errorText(failure.error), delayMs)
  }

  /**
   * Marks a job done. Completions that arrive while a write is in flight go together in the next one,
   * so a busy queue pays one statement (and one commit) per batch rather than per job, and an idle one
   * waits for nothing.
   */
  private markDone(job: ClaimedJob): Promise<void> {
    return new Promise((resolve) => {
      this.completions.push({ id: job.id, resolve })
      if (!this.flushing) void this.flushCompletions()
    })
  }

  private async flushCompletions(): Promise<void> {
    this.flushing = true
    while (this.completions.length > 0) {
      const batch = this.completions.splice(0, 1_000)
      try {
        // No attempt check: if any attempt of the job succeeded, the job is done.
        await sql`
          update jobs set state = 'done', finished_at = now(), locked_by = null, locked_until = null
          where id = any(${batch.map((c) => c.id)}::bigint[]) and locked_by = ${this.token}
            and state = 'running'`.execute(this.db)
      } catch (error) {
        this.log.error(
          { err: error, jobs: batch.map((c) => c.id) },
          'could not mark jobs done; they will run again when their lease runs out',
        )
      }
      for (const completion of batch) completion.resolve()
    }
    this.flushing = false
  }

  /** Writes a failed attempt, only while this attempt still holds the lease. */
  private async markFailed(job: ClaimedJob, state: 'failed' | 'dead', error: string, delayMs: number) {
    try {
      await sql`
        update jobs set state = ${state}, last_error = ${error},
          run_at = now() + ${delayMs}::int * interval '1 millisecond',
          finished_at = case when ${state} = 'dead' then now() end,
          locked_by = null, locked_until = null
        where id = ${job.id} and locked_by = ${this.token} and attempts = ${job.attempts}
          and state = 'running'`.execute(this.db)
    } catch (failure) {
      this.log.error(
        { err: failure, job: { id: job.id, queue: job.queue } },
        'could not record a failed job attempt; it will run again when its lease runs out',
      )
    }
  }

  /** Running jobs whose lease ran out belong to a process that stopped or lost the database. */
  private async reapExpiredLeases(): Promise<void> {
    const result = await sql<{ id: number; queue: string }>`
      update jobs set state = 'failed', locked_by = null, locked_until = null,
        last_error = 'Hết thời hạn giữ công việc (lease expired: the process running it stopped)'
      where state = 'running' and locked_until < now()
      returning id, queue`.execute(this.db)
    if (result.rows.length > 0) this.log.warn({ jobs: result.rows }, 'released jobs whose lease expired')
  }

  private async heartbeat(): Promise<void> {
    if (this.inFlight.size === 0) return
    await sql`
      update jobs set locked_until = now() + ${this.leaseMs}::int * interval '1 millisecond'
      where id = any(${[...this.inFlight.keys()]}::bigint[]) and locked_by = ${this.token}
        and state = 'running'`.execute(this.db)
  }

  private async startDueTimers(now: number): Promise<void> {
    for (const timer of this.timers.values()) {
      if (timer.running || now < timer.checkAt) continue
      const result = await sql<{ started: boolean; wait_ms: number | null }>`
        with started as (
          update job_timers
          set next_run_at = now() + ${timer.intervalMs}::bigint * interval '1 millisecond', last_started_at = now()
          where name = ${timer.name} and next_run_at <= now()
          returning name
        )
        select exists (select 1 from started) as started,
          (select extract(epoch from next_run_at - now()) * 1000 from job_timers
           where name = ${timer.name})::float8 as wait_ms`.execute(this.db)
      const row = result.rows[0]!
      if (!row.started) {
        timer.checkAt = now + Math.max(0, Math.min(row.wait_ms ?? 0, timer.intervalMs))
        if (row.wait_ms === null) {
          await sql`insert into job_timers (name) values (${timer.name}) on conflict do nothing`.execute(
            this.db,
          )
        }
        continue
      }
      timer.checkAt = now + timer.intervalMs
      timer.running = true
      const run = this.runTimer(timer).finally(() => {
        timer.running = false
        this.timersInFlight.delete(run)
      })
      this.timersInFlight.add(run)
    }
  }

  private async runTimer(timer: Timer): Promise<void> {
    let error: string | null = null
    try {
      await timer.fn()
    } catch (failure) {
      error = errorText(failure)
      this.log.error({ err: failure, timer: timer.name }, 'timer failed; it runs again at its next interval')
    }
    try {
      await sql`update job_timers set last_finished_at = now(), last_error = ${error}
        where name = ${timer.name}`.execute(this.db)
    } catch (failure) {
      this.log.error({ err: failure, timer: timer.name }, 'could not record a timer run')
    }
  }
}

/** Deletes done jobs older than keepDoneMs and dead ones older than keepDeadMs, in batches. */
export async function purgeFinishedJobs(db: Db, keepDoneMs: number, keepDeadMs: number): Promise<number> {
  let total = 0
  for (;;) {
    const result = await sql`
      delete from jobs where id in (
        select id from jobs
        where (state = 'done' and finished_at < now() - ${keepDoneMs}::bigint * interval '1 millisecond')
          or (state = 'dead' and finished_at < now() - ${keepDeadMs}::bigint * interval '1 millisecond')
        limit 5000)`.execute(db)
    const deleted = Number(result.numAffectedRows ?? 0)
    total += deleted
    if (deleted < 5000) return total
  }
}
