import type { Database, Db } from '../db/database.js'
import { jobStats, type JobStats } from './jobs.stats.js'
import { OutboxDispatcher } from './outbox-dispatcher.js'
import type { JobsLog } from './poll-loop.js'
import { JobRunner } from './runner.js'

export { JobState, type JobsTables } from './jobs.tables.js'
export {
  consumerLag,
  jobStats,
  retryDead,
  type ConsumerStats,
  type JobStats,
  type QueueStats,
} from './jobs.stats.js'
export { OutboxDispatcher, type OutboxEvent, type SubscribeOptions, type Topic } from './outbox-dispatcher.js'
export { TimeoutError, type JobsLog } from './poll-loop.js'
export {
  backoffDelay,
  enqueue,
  type Backoff,
  type EnqueueOptions,
  type JobPayloads,
  type QueueName,
} from './queue.js'
export {
  JobRunner,
  purgeFinishedJobs,
  type HandlerOptions,
  type JobContext,
  type JobHandler,
} from './runner.js'

export type JobsOptions = {
  db: Db
  kind: Database['kind']
  logger: JobsLog
  pollMs?: number
  leaseMs?: number
}

/** The job runner and the outbox dispatcher of one process, started and stopped together. */
export type Jobs = {
  runner: JobRunner
  outbox: OutboxDispatcher
  start(): Promise<void>
  /** Waits up to `timeoutMs` for running handlers and deliveries. */
  stop(timeoutMs?: number): Promise<void>
  stats(): Promise<JobStats>
}

/**
 * Register handlers (`jobs.runner.handle`, `jobs.runner.every`) and consumers (`jobs.outbox.subscribe`)
 * while building the app, call `start()` once the server listens, and `stop()` before closing the database.
 */
export function createJobs({ db, kind, logger, pollMs, leaseMs }: JobsOptions): Jobs {
  const runner = new JobRunner({ db, kind, log: logger, pollMs, leaseMs })
  const outbox = new OutboxDispatcher({ db, kind, log: logger, pollMs, leaseMs })
  return {
    runner,
    outbox,
    async start() {
      await runner.start()
      await outbox.start()
    },
    async stop(timeoutMs) {
      await Promise.all([runner.stop(timeoutMs), outbox.stop(timeoutMs)])
    },
    stats: () => jobStats(db),
  }
}
