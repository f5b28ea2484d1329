import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase } from '../../../test/database.js'
import type { Database } from '../db/database.js'
import { runJobsCommand } from './jobs.cli.js'

let database: Database
let deadId = 0

/** Runs a command and keeps what it printed. */
async function cli(...args: string[]) {
  const lines: string[] = []
  const errors: string[] = []
  const code = await runJobsCommand(args, database.db, {
    log: (line) => lines.push(line),
    error: (line) => errors.push(line),
  })
  return { code, out: lines.join('\n'), err: errors.join('\n') }
}

beforeAll(async () => {
  database = await createTestDatabase()
  await sql`insert into jobs (queue, payload, state) values ('mail.send', '{}', 'queued')`.execute(
    database.db,
  )
  deadId = (
    await sql<{ id: number }>`
      insert into jobs (queue, payload, state, attempts, last_error, finished_at)
      values ('national.sync', '{}', 'dead', 8, 'Cổng quốc gia trả lời 503', now()) returning id`.execute(
      database.db,
    )
  ).rows[0]!.id
})
afterAll(() => database.close())

describe('npm run cli -- jobs', () => {
  it('shows each queue with its waiting and dead jobs, and exits 1 while something is dead', async () => {
    const stats = await cli('stats')
    expect(stats.out).toMatch(/mail\.send: 1 \/ 0 \/ 0 \/ 0 \/ 0/)
    expect(stats.out).toMatch(/national\.sync: 0 \/ 0 \/ 0 \/ 0 \/ 1/)
    expect(stats.code).toBe(1)
  })

  it('lists dead jobs with their last error, filtered by queue', async () => {
    expect((await cli('dead')).out).toContain(`${deadId}\tnational.sync\t8 lần`)
    expect((await cli('dead')).out).toContain('Cổng quốc gia trả lời 503')
    expect((await cli('dead', '--queue', 'mail.send')).out).toBe('Không có công việc nào hết lượt thử.')
  })

  it('retries a dead job once, and says so when there is none with that number', async () => {
    expect((await cli('retry', String(deadId))).code).toBe(0)
    const row = await sql<{ state: string; attempts: number }>`
      select state, attempts from jobs where id = ${deadId}`.execute(database.db)
    expect(row.rows[0]).toEqual({ state: 'queued', attempts: 0 })
    const again = await cli('retry', String(deadId))
    expect(again.code).toBe(1)
    expect(again.err).toContain(`Không có công việc lỗi (dead) số ${deadId}`)
    expect((await cli('retry', 'abc')).code).toBe(2)
    expect((await cli('stats')).code).toBe(0)
  })
})
