import { sql } from 'kysely'
import { expect } from 'vitest'
import type { TestApp } from './app.js'

type Poll = { timeout: number; interval: number }
const POLL: Poll = { timeout: 20_000, interval: 50 }

/** Every event of `topic` read by the notifications consumer `consumer`, and every message job finished. */
export async function notificationsSettled(t: TestApp, topic: string, consumer: string, poll = POLL) {
  await expect
    .poll(async () => {
      const result = await sql<{ live: number; unread: number }>`
        select
          (select count(*)::int from jobs where queue = 'notifications.send'
            and state in ('queued', 'running', 'failed')) as live,
          (select count(*)::int from outbox where topic = ${topic} and (seq is null
            or seq > coalesce((select last_seq from outbox_cursors where consumer = ${consumer}), 0)))
            as unread`.execute(t.database.db)
      return result.rows[0]
    }, poll)
    .toEqual({ live: 0, unread: 0 })
}

/** The app's timer `name` has run a whole scan that started after this call (so with the clock as it is now). */
export async function timerScanned(t: TestApp, name: string, poll = POLL) {
  const { rows } = await sql<{ t0: Date }>`select now() as t0`.execute(t.database.db)
  const t0 = rows[0]!.t0
  await expect
    .poll(async () => {
      const result = await sql<{ done: boolean }>`
        select last_started_at > ${t0} and last_finished_at >= last_started_at as done
        from job_timers where name = ${name}`.execute(t.database.db)
      return result.rows[0]?.done
    }, poll)
    .toBe(true)
}
