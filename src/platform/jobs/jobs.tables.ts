import type { ColumnType, Generated } from 'kysely'

export const JobState = {
  queued: 'queued',
  running: 'running',
  done: 'done',
  failed: 'failed',
  dead: 'dead',
} as const
export type JobState = (typeof JobState)[keyof typeof JobState]

type Json<T> = ColumnType<T, string, string>

/** Kernel tables of the job queue, the timers and the outbox cursors (migrations/0010_platform_jobs.sql). */
export type JobsTables = {
  jobs: {
    id: Generated<number>
    queue: string
    payload: Json<unknown>
    state: Generated<JobState>
    run_at: Generated<Date>
    attempts: Generated<number>
    max_attempts: number | null
    last_error: string | null
    locked_by: string | null
    locked_until: Date | null
    singleton_key: string | null
    created_at: Generated<Date>
    started_at: Date | null
    finished_at: Date | null
  }
  job_timers: {
    name: string
    next_run_at: Generated<Date>
    last_started_at: Date | null
    last_finished_at: Date | null
    last_error: string | null
  }
  outbox_cursors: {
    consumer: string
    last_seq: Generated<number>
    attempts: Generated<number>
    last_error: string | null
    retry_at: Date | null
    locked_by: string | null
    locked_until: Date | null
    updated_at: Generated<Date>
  }
}
