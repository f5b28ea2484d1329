import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase } from '../../../test/database.js'
import type { Database } from '../../platform/db/database.js'
import { createSharedRateLimiter, leaseSize } from './lgsp.quota.js'

let database: Database
let now = Date.parse('2026-11-27T02:00:00Z')
const errors: unknown[] = []

/** A server process's limiter: each has its own memory, all share the database. */
const process = () =>
  createSharedRateLimiter({ db: database.db, now: () => now, onError: (error) => errors.push(error) })

let members = 10

/** A client subsystem registered in the LGSP, with its limit per minute. */
async function client(code: string, perMinute: number): Promise<string> {
  members++
  const member = await sql<{ id: string }>`
    insert into lgsp_members (instance, member_class, member_code, name)
    values ('VN', 'GOV', ${`000.00.${members}.H14`}, ${`Cơ quan ${code}`})
    returning id`.execute(database.db)
  const subsystem = await sql<{ id: string }>`
    insert into lgsp_subsystems (member_id, code, name, rate_limit_per_minute)
    values (${member.rows[0]!.id}, ${code}, ${`Hệ thống ${code}`}, ${perMinute})
    returning id`.execute(database.db)
  return subsystem.rows[0]!.id
}

async function calls(limiter: ReturnType<typeof process>, key: string, perMinute: number, count: number) {
  const waits: number[] = []
  for (let i = 0; i < count; i++) waits.push(await limiter.take(key, perMinute))
  return waits
}

beforeAll(async () => {
  database = await createTestDatabase()
})
afterAll(() => database.close())

describe('rate limits shared by the server processes', () => {
  it('lets two processes together make no more calls than the limit, then both refuse until the minute turns', async () => {
    const key = await client('HAI', 10)
    const [a, b] = [process(), process()]
    const waits: number[] = []
    for (let i = 0; i < 7; i++) {
      waits.push(await a.take(key, 10))
      waits.push(await b.take(key, 10))
    }
    expect(waits.filter((w) => w === 0)).toHaveLength(10)
    // 02:00:00 exactly: a whole minute to wait.
    expect(waits.slice(10)).toEqual([60, 60, 60, 60])
    now += 45_000
    expect([await a.take(key, 10), await b.take(key, 10)]).toEqual([15, 15])
    now += 15_000
    expect([await a.take(key, 10), await b.take(key, 10)]).toEqual([0, 0])
    expect(errors).toEqual([])
  })

  it('leases a fiftieth of the limit at a time, so most calls cost no statement', async () => {
    expect([leaseSize(3), leaseSize(600), leaseSize(1_000_000)]).toEqual([1, 12, 20_000])
    const key = await client('BA', 200)
    const [a, b] = [process(), process()]
    expect(await calls(a, key, 200, 3)).toEqual([0, 0, 0])
    const used = async () =>
      (
        await sql<{ used: number }>`select used from lgsp_rate_usage where subsystem_id = ${key}`.execute(
          database.db,
        )
      ).rows[0]!.used
    // One lease of 4 for process a; it holds one call in hand.
    expect(await used()).toBe(4)
    const fromB = await calls(b, key, 200, 200)
    expect(fromB.filter((w) => w === 0)).toHaveLength(196)
    expect(await used()).toBe(200)
    expect(await calls(a, key, 200, 2)).toEqual([0, expect.any(Number)])
  })

  it('grants exactly the limit to calls arriving together', async () => {
    const key = await client('BON', 20)
    const limiter = process()
    const waits = await Promise.all(Array.from({ length: 50 }, async () => limiter.take(key, 20)))
    expect(waits.filter((w) => w === 0)).toHaveLength(20)
    expect(waits.filter((w) => w > 0)).toHaveLength(30)
  })

  it('clears minutes gone by when a new one starts', async () => {
    const key = await client('NAM', 5)
    const limiter = process()
    await calls(limiter, key, 5, 2)
    now += 120_000
    await calls(limiter, key, 5, 1)
    await new Promise((resolve) => setTimeout(resolve, 50))
    const rows = await sql<{ window_start: Date }>`
      select window_start from lgsp_rate_usage where subsystem_id = ${key}`.execute(database.db)
    expect(rows.rows.map((r) => r.window_start.getTime())).toEqual([Math.floor(now / 60_000) * 60_000])
  })

  it('counts per process when the database refuses the lease, and says so', async () => {
    errors.length = 0
    // A subsystem the database does not know: the lease is refused by its foreign key.
    const limiter = process()
    expect(await calls(limiter, randomUUID(), 2, 3)).toEqual([0, 0, expect.any(Number)])
    expect(errors).toHaveLength(1)
  })
})
