import { sql } from 'kysely'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase } from '../../../test/database.js'
import { inTransaction, openPostgres, type Database } from '../db/database.js'
import { ConflictError, NotFoundError } from '../http/errors.js'
import { jobStats, retryDead } from './jobs.stats.js'
import type { JobsLog } from './poll-loop.js'
import { backoffDelay, enqueue } from './queue.js'
import { JobRunner, type HandlerOptions } from './runner.js'

declare module './queue.js' {
  interface JobPayloads {
    'test.once': { n: number }
    'test.flaky': { n: number }
    'test.rollback': { n: number }
    'test.shared': { n: number }
    'test.slow': { n: number }
    'test.hang': { n: number }
    'test.crashed': { n: number }
    'test.singleton': { n: number }
    'test.dead': { n: number }
    'test.later': { n: number }
    'test.long': { n: number }
  }
}

const onPostgres = Boolean(process.env.DATABASE_URL)
const quiet: JobsLog = { info() {}, warn() {}, error() {} }
const fast = { pollMs: 20, log: quiet }
const poll = { timeout: 10_000, interval: 10 }

let database: Database
const runners: JobRunner[] = []

function runner(db = database.db, options: { leaseMs?: number } = {}) {
  const created = new JobRunner({ db, kind: database.kind, ...fast, ...options })
  runners.push(created)
  return created
}

async function jobRow(id: number) {
  const result = await sql<{ state: string; attempts: number; last_error: string | null }>`
    select state, attempts, last_error from jobs where id = ${id}`.execute(database.db)
  return result.rows[0]
}

beforeAll(async () => {
  database = await createTestDatabase()
})
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop(1_000)))
})
afterAll(() => database.close())

describe('job runner', () => {
  it('runs a job once', async () => {
    const seen: number[] = []
    runner().handle('test.once', async ({ n }) => void seen.push(n))
    await runners[0]!.start()
    const id = (await enqueue(database.db, 'test.once', { n: 1 }))!
    await expect.poll(async () => (await jobRow(id))?.state, poll).toBe('done')
    // A second job queued behind the first: once it is done, the runner has polled again since.
    const after = (await enqueue(database.db, 'test.once', { n: 2 }))!
    await expect.poll(async () => (await jobRow(after))?.state, poll).toBe('done')
    expect(seen).toEqual([1, 2])
    expect(await jobRow(id)).toMatchObject({ attempts: 1, last_error: null })
  })

  it('does not run a job before its runAt', async () => {
    const seen: number[] = []
    runner().handle('test.later', async ({ n }) => void seen.push(n))
    await runners[0]!.start()
    const later = (await enqueue(
      database.db,
      'test.later',
      { n: 1 },
      { runAt: new Date(Date.now() + 3_600_000) },
    ))!
    const now = (await enqueue(database.db, 'test.later', { n: 2 }))!
    await expect.poll(async () => (await jobRow(now))?.state, poll).toBe('done')
    expect(seen).toEqual([2])
    expect((await jobRow(later))?.state).toBe('queued')
  })

  it('keeps the lease of a handler that runs longer than the lease, so no one else runs it', async () => {
    let release!: () => void
    const blocked = new Promise<void>((resolve) => (release = resolve))
    let runs = 0
    runner(database.db, { leaseMs: 300 }).handle('test.long', async () => {
      runs++
      await blocked
    })
    await runners[0]!.start()
    const id = (await enqueue(database.db, 'test.long', { n: 1 }))!
    const leases = new Set<number>()
    await expect
      .poll(async () => {
        const row = await sql<{ locked_until: Date | null }>`
          select locked_until from jobs where id = ${id}`.execute(database.db)
        const until = row.rows[0]?.locked_until
        if (until) leases.add(until.getTime())
        return leases.size
      }, poll)
      .toBeGreaterThanOrEqual(4)
    release()
    await expect.poll(async () => (await jobRow(id))?.state, poll).toBe('done')
    expect(runs).toBe(1)
    expect((await jobRow(id))?.attempts).toBe(1)
  })

  it('retries a failing job with growing back-off and keeps it dead with its error after the last attempt', async () => {
    const attemptsAt: number[] = []
    const options: HandlerOptions = { maxAttempts: 3, backoff: { baseMs: 80, maxMs: 1_000 } }
    runner().handle(
      'test.flaky',
      async (_payload, job) => {
        attemptsAt.push(Date.now())
        throw new Error(`Máy chủ thư từ chối (SMTP 451), lần ${job.attempt}`)
      },
      options,
    )
    await runners[0]!.start()
    const id = (await enqueue(database.db, 'test.flaky', { n: 1 }))!
    await expect.poll(async () => (await jobRow(id))?.state, poll).toBe('dead')
    const row = await jobRow(id)
    expect(row?.attempts).toBe(3)
    expect(row?.last_error).toMatch(/SMTP 451\), lần 3/)
    expect(attemptsAt).toHaveLength(3)
    // Equal jitter waits at least half the exponential delay: ≥ 40 ms, then ≥ 80 ms.
    expect(attemptsAt[1]! - attemptsAt[0]!).toBeGreaterThanOrEqual(40)
    expect(attemptsAt[2]! - attemptsAt[1]!).toBeGreaterThanOrEqual(80)
    const stats = await jobStats(database.db)
    expect(stats.queues.find((q) => q.queue === 'test.flaky')).toMatchObject({ dead: 1, queued: 0 })
  })

  it('never runs a job enqueued in a transaction that rolled back', async () => {
    const seen: number[] = []
    runner().handle('test.rollback', async ({ n }) => void seen.push(n))
    await runners[0]!.start()
    await expect(
      inTransaction(database.db, async (tx) => {
        await enqueue(tx, 'test.rollback', { n: 1 })
        throw new Error('the change failed')
      }),
    ).rejects.toThrow('the change failed')
    const committed = await inTransaction(database.db, (tx) => enqueue(tx, 'test.rollback', { n: 2 }))
    await expect.poll(async () => (await jobRow(committed!))?.state, poll).toBe('done')
    expect(seen).toEqual([2])
    const rows = await sql<{ n: number }>`
      select count(*)::int as n from jobs where queue = 'test.rollback'`.execute(database.db)
    expect(rows.rows[0]!.n).toBe(1)
  })

  it.skipIf(!onPostgres)('never runs a job twice when two runners share the queue', async () => {
    const name = (await sql<{ name: string }>`select current_database() as name`.execute(database.db))
      .rows[0]!.name
    const url = new URL(process.env.DATABASE_URL!)
    url.pathname = `/${name}`
    const second = await openPostgres(url.toString(), 5)
    try {
      const runs: { n: number; by: string }[] = []
      const handler =
        (by: string) =>
        async ({ n }: { n: number }) => {
          runs.push({ n, by })
          await new Promise((resolve) => setImmediate(resolve))
        }
      runner().handle('test.shared', handler('a'), { concurrency: 4 })
      runner(second.db).handle('test.shared', handler('b'), { concurrency: 4 })
      for (let n = 0; n < 300; n++) await enqueue(database.db, 'test.shared', { n })
      await Promise.all(runners.map((r) => r.start()))
      const done = async () =>
        (
          await sql<{ n: number }>`
            select count(*)::int as n from jobs where queue = 'test.shared' and state = 'done'`.execute(
            database.db,
          )
        ).rows[0]!.n
      await expect.poll(done, poll).toBe(300)
      await Promise.all(runners.splice(0).map((r) => r.stop(1_000)))
      expect(runs).toHaveLength(300)
      expect(new Set(runs.map((r) => r.n)).size).toBe(300)
      // Both took part, or the test proves nothing about concurrent claims.
      expect(runs.some((r) => r.by === 'a') && runs.some((r) => r.by === 'b')).toBe(true)
    } finally {
      await second.close()
    }
  })

  it('waits in stop() for a running handler and records its outcome', async () => {
    let release!: () => void
    const blocked = new Promise<void>((resolve) => (release = resolve))
    let started = false
    runner().handle('test.slow', async () => {
      started = true
      await blocked
    })
    await runners[0]!.start()
    const id = (await enqueue(database.db, 'test.slow', { n: 1 }))!
    await expect.poll(() => started, poll).toBe(true)
    let stopped = false
    const stopping = runners[0]!.stop(10_000).then(() => (stopped = true))
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(stopped).toBe(false)
    release()
    await stopping
    expect(await jobRow(id)).toMatchObject({ state: 'done', attempts: 1 })
  })

  it('hands a job back when stop() times out, aborting its signal and not counting the attempt', async () => {
    let signal: AbortSignal | undefined
    runner().handle('test.hang', async (_payload, job) => {
      signal = job.signal
      await new Promise(() => {})
    })
    await runners[0]!.start()
    const id = (await enqueue(database.db, 'test.hang', { n: 1 }))!
    await expect.poll(() => signal, poll).toBeDefined()
    await runners[0]!.stop(50)
    expect(signal!.aborted).toBe(true)
    expect(await jobRow(id)).toMatchObject({ state: 'failed', attempts: 0 })
  })

  it('fails an attempt that runs past its timeout', async () => {
    runner().handle('test.hang', async () => new Promise(() => {}), {
      timeoutMs: 50,
      maxAttempts: 1,
    })
    await runners[0]!.start()
    const id = (await enqueue(database.db, 'test.hang', { n: 2 }))!
    await expect.poll(async () => (await jobRow(id))?.state, poll).toBe('dead')
    expect((await jobRow(id))?.last_error).toMatch(/timed out/)
  })

  it('runs again a job whose process stopped while running it, once its lease runs out', async () => {
    const seen: number[] = []
    runner(database.db, { leaseMs: 100 }).handle('test.crashed', async ({ n }) => void seen.push(n))
    await runners[0]!.start()
    // What a process that died mid-job leaves behind: running, leased by it for a little longer.
    const crashed = await sql<{ id: number }>`
      insert into jobs (queue, payload, state, attempts, locked_by, locked_until, started_at)
      values ('test.crashed', '{"n": 7}', 'running', 1, 'other-host:4242:gone:1',
        now() + interval '200 milliseconds', now())
      returning id`.execute(database.db)
    const id = crashed.rows[0]!.id
    await expect.poll(async () => (await jobRow(id))?.state, poll).toBe('done')
    expect(seen).toEqual([7])
    expect((await jobRow(id))?.attempts).toBe(2)
  })

  it('keeps one live job per singleton key', async () => {
    const first = await enqueue(database.db, 'test.singleton', { n: 1 }, { singletonKey: 'dossier-1' })
    const again = await enqueue(database.db, 'test.singleton', { n: 2 }, { singletonKey: 'dossier-1' })
    expect(first).toBeTypeOf('number')
    expect(again).toBeUndefined()
    runner().handle('test.singleton', async () => {})
    await runners[0]!.start()
    await expect.poll(async () => (await jobRow(first!))?.state, poll).toBe('done')
    expect(await enqueue(database.db, 'test.singleton', { n: 3 }, { singletonKey: 'dossier-1' })).toBeTypeOf(
      'number',
    )
  })

  it('runs a dead job again when an operator retries it', async () => {
    let healthy = false
    runner().handle(
      'test.dead',
      async () => {
        if (!healthy) throw new Error('cổng quốc gia không trả lời')
      },
      { maxAttempts: 1 },
    )
    await runners[0]!.start()
    const id = (await enqueue(database.db, 'test.dead', { n: 1 }))!
    await expect.poll(async () => (await jobRow(id))?.state, poll).toBe('dead')
    await expect(retryDead(database.db, id + 1000)).rejects.toBeInstanceOf(NotFoundError)
    healthy = true
    await retryDead(database.db, id)
    await expect.poll(async () => (await jobRow(id))?.state, poll).toBe('done')
    await expect(retryDead(database.db, id)).rejects.toBeInstanceOf(NotFoundError)
  })

  it('refuses to retry a dead job when a live one holds its singleton key', async () => {
    const dead = await sql<{ id: number }>`
      insert into jobs (queue, payload, state, attempts, singleton_key, finished_at)
      values ('test.nobody', '{}', 'dead', 5, 'k', now()) returning id`.execute(database.db)
    await sql`insert into jobs (queue, payload, singleton_key) values ('test.nobody', '{}', 'k')`.execute(
      database.db,
    )
    await expect(retryDead(database.db, dead.rows[0]!.id)).rejects.toBeInstanceOf(ConflictError)
  })
})

describe('timers', () => {
  it('runs a timer at most once per interval across runners', async () => {
    const startedAt: number[] = []
    const tick = async () => {
      const row = await sql<{ at: Date }>`
        select last_started_at as at from job_timers where name = 'test.tick'`.execute(database.db)
      startedAt.push(row.rows[0]!.at.getTime())
    }
    runner().every('test.tick', 150, tick)
    runner().every('test.tick', 150, tick)
    await Promise.all(runners.map((r) => r.start()))
    await expect.poll(() => startedAt.length, poll).toBeGreaterThanOrEqual(4)
    await Promise.all(runners.splice(0).map((r) => r.stop(1_000)))
    const gaps = startedAt.slice(1).map((at, i) => at - startedAt[i]!)
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(150)
  })

  it('records a failed timer run and keeps the schedule', async () => {
    let runs = 0
    runner().every('test.failing-timer', 60_000, async () => {
      runs++
      throw new Error('chỉ số chưa tính được')
    })
    await runners[0]!.start()
    await expect
      .poll(async () => {
        const stats = await jobStats(database.db)
        return stats.timers.find((t) => t.name === 'test.failing-timer')?.lastError ?? null
      }, poll)
      .toMatch(/chỉ số chưa tính được/)
    expect(runs).toBe(1)
  })
})

describe('backoffDelay', () => {
  it('doubles with each failure, stays within half and all of the delay, and stops at the cap', () => {
    const backoff = { baseMs: 1_000, maxMs: 10_000 }
    expect(backoffDelay(1, backoff, () => 0)).toBe(500)
    expect(backoffDelay(1, backoff, () => 1)).toBe(1_000)
    expect(backoffDelay(3, backoff, () => 0)).toBe(2_000)
    expect(backoffDelay(3, backoff, () => 1)).toBe(4_000)
    expect(backoffDelay(20, backoff, () => 1)).toBe(10_000)
  })
})
