import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase } from '../../../test/database.js'
import { inTransaction, openPostgres, type Database } from './database.js'
import { postgresSignals, SIGNALS_APPLICATION_NAME, sqlSignal } from './signals.js'

const onPostgres = Boolean(process.env.DATABASE_URL)
const poll = { timeout: 10_000, interval: 20 }
let database: Database

beforeAll(async () => {
  database = await createTestDatabase()
}, 60_000)

afterAll(async () => {
  await database?.close()
})

/** The URL of this test's own database on the server, for a second "process". */
async function ownUrl(): Promise<string> {
  const name = (await sql<{ name: string }>`select current_database() as name`.execute(database.db)).rows[0]!
    .name
  const url = new URL(process.env.DATABASE_URL!)
  url.pathname = `/${name}`
  return url.toString()
}

describe('signals between processes (LISTEN/NOTIFY)', () => {
  it('delivers a signal when its transaction commits, and never one whose transaction rolls back', async () => {
    const heard: (string | undefined)[] = []
    const stop = await database.signals.listen('test_committed', (payload) => heard.push(payload))
    try {
      await inTransaction(database.db, async (tx) => {
        await sqlSignal('test_committed', 'thu-hoi:ứng-dụng-1').execute(tx)
        await sql`select pg_sleep(0.05)`.execute(tx)
        expect(heard).toEqual([])
      })
      await expect.poll(() => heard, poll).toEqual(['thu-hoi:ứng-dụng-1'])

      await expect(
        inTransaction(database.db, async (tx) => {
          await sqlSignal('test_committed', 'rolled-back').execute(tx)
          throw new Error('the change fails')
        }),
      ).rejects.toThrow('the change fails')
      await sqlSignal('test_committed', 'after').execute(database.db)
      await expect.poll(() => heard, poll).toEqual(['thu-hoi:ứng-dụng-1', 'after'])
    } finally {
      await stop()
    }
  })

  it('stops delivering to a listener that stopped, and keeps the others on the channel', async () => {
    const first: (string | undefined)[] = []
    const second: (string | undefined)[] = []
    const stopFirst = await database.signals.listen('test_two', (payload) => first.push(payload))
    const stopSecond = await database.signals.listen('test_two', (payload) => second.push(payload))
    await sqlSignal('test_two', 'a').execute(database.db)
    await expect.poll(() => [first, second], poll).toEqual([['a'], ['a']])
    await stopFirst()
    await sqlSignal('test_two', 'b').execute(database.db)
    await expect.poll(() => second, poll).toEqual(['a', 'b'])
    expect(first).toEqual(['a'])
    await stopSecond()
  })

  it('refuses a channel name that is not a plain lower-case identifier', async () => {
    expect(() => sqlSignal('x"; drop table audit_log; --', 'p')).toThrow('Invalid signal channel name')
    await expect(database.signals.listen('Hoa', () => {})).rejects.toThrow('Invalid signal channel name')
  })

  it.skipIf(!onPostgres)('reaches another process on the same database', async () => {
    const other = await openPostgres(await ownUrl(), 2)
    try {
      const heard: (string | undefined)[] = []
      await database.signals.listen('test_cross', (payload) => heard.push(payload))
      await inTransaction(other.db, (tx) => sqlSignal('test_cross', 'from-the-other').execute(tx))
      await expect.poll(() => heard, poll).toEqual(['from-the-other'])
    } finally {
      await other.close()
    }
  })

  it.skipIf(!onPostgres)(
    'comes back after its connection is killed, tells the listener of the gap, and hears later signals',
    async () => {
      const signals = postgresSignals(await ownUrl(), { retryMs: 20 })
      try {
        const heard: (string | undefined)[] = []
        await signals.listen('test_gap', (payload) => heard.push(payload))
        await sqlSignal('test_gap', 'before').execute(database.db)
        await expect.poll(() => heard, poll).toEqual(['before'])

        const killed = await sql<{ n: number }>`
          select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
          where application_name = ${SIGNALS_APPLICATION_NAME} and datname = current_database()`.execute(
          database.db,
        )
        expect(killed.rows[0]!.n).toBeGreaterThanOrEqual(1)
        // The gap: whatever was sent while nobody listened is lost, so the listener is told to forget.
        await expect.poll(() => heard, poll).toEqual(['before', undefined])
        await sqlSignal('test_gap', 'after').execute(database.db)
        await expect.poll(() => heard, poll).toEqual(['before', undefined, 'after'])
      } finally {
        await signals.close()
      }
    },
    30_000,
  )
})
