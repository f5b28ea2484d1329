import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase } from '../../../test/database.js'
import { exchange } from '../../../test/lgsp-log.js'
import type { Database } from '../../platform/db/database.js'
import { createRecorder } from './lgsp-log.recorder.js'

const SECRET = 'recorder-test-secret-0123456789abcdef'

let database: Database
beforeAll(async () => {
  database = await createTestDatabase()
})
afterAll(() => database.close())

async function pendingPaths(prefix: string): Promise<string[]> {
  const rows = await sql<{ path: string }>`
    select path from lgsp_log_pending where path like ${`${prefix}%`} order by id`.execute(database.db)
  return rows.rows.map((r) => r.path)
}

describe('the recorder gathering exchanges into one insert', () => {
  it('writes exchanges that arrive within the wait together, each settling only once stored', async () => {
    const recorder = createRecorder({
      db: database.db,
      secretKey: SECRET,
      clock: () => new Date(),
      gatherMs: 50,
    })
    const settled: string[] = []
    const all = Array.from({ length: 12 }, (_, i) =>
      recorder.record(exchange({ path: `/gather/${i}` })).then(() => settled.push(`/gather/${i}`)),
    )
    // Nothing is written before the wait is over.
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(await pendingPaths('/gather/')).toEqual([])
    expect(settled).toEqual([])
    await Promise.all(all)
    // Rows written by one statement share its transaction id.
    const inserts = new Set(
      (
        await sql<{
          xmin: string
        }>`select xmin::text from lgsp_log_pending where path like '/gather/%'`.execute(database.db)
      ).rows.map((r) => r.xmin),
    ).size
    // One transaction wrote all twelve rows, in the order they were recorded.
    expect(inserts).toBe(1)
    expect(await pendingPaths('/gather/')).toEqual(Array.from({ length: 12 }, (_, i) => `/gather/${i}`))
    expect(settled).toHaveLength(12)
  })

  it('writes what is still waiting at once when drained (on shutdown), losing nothing', async () => {
    const recorder = createRecorder({
      db: database.db,
      secretKey: SECRET,
      clock: () => new Date(),
      gatherMs: 60_000,
    })
    const recorded = Array.from({ length: 5 }, (_, i) => recorder.record(exchange({ path: `/drain/${i}` })))
    const started = Date.now()
    await recorder.drain()
    expect(Date.now() - started).toBeLessThan(30_000)
    expect(await pendingPaths('/drain/')).toEqual(Array.from({ length: 5 }, (_, i) => `/drain/${i}`))
    await Promise.all(recorded)
    // Drained twice, or with nothing waiting: nothing more happens.
    await recorder.drain()
    expect(await pendingPaths('/drain/')).toHaveLength(5)
  })

  it('keeps recording while a bad exchange in the same set is refused on its own', async () => {
    const recorder = createRecorder({
      db: database.db,
      secretKey: SECRET,
      clock: () => new Date(),
      gatherMs: 20,
    })
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        recorder.record(exchange({ path: `/mixed/${i}`, status: i === 2 ? Number.NaN : 200 })),
      ),
    )
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ])
    expect(await pendingPaths('/mixed/')).toEqual([
      '/mixed/0',
      '/mixed/1',
      '/mixed/3',
      '/mixed/4',
      '/mixed/5',
    ])
  })
})
