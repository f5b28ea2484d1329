import { sql } from 'kysely'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase } from '../../../test/database.js'
import { inTransaction, type Database } from '../db/database.js'
import { emitEvent } from '../events/outbox.js'
import { jobStats } from './jobs.stats.js'
import { OutboxDispatcher, type OutboxEvent } from './outbox-dispatcher.js'
import type { JobsLog } from './poll-loop.js'

declare module '../events/outbox.js' {
  interface DomainEvents {
    'test.filed': { n: number }
    'test.noise': { n: number }
  }
}

const onPostgres = Boolean(process.env.DATABASE_URL)
const quiet: JobsLog = { info() {}, warn() {}, error() {} }
const poll = { timeout: 10_000, interval: 10 }
const quickRetry = { backoff: { baseMs: 20, maxMs: 40 } }

let database: Database
const dispatchers: OutboxDispatcher[] = []

function dispatcher() {
  const created = new OutboxDispatcher({ db: database.db, kind: database.kind, log: quiet, pollMs: 20 })
  dispatchers.push(created)
  return created
}

async function emit(topic: 'test.filed' | 'test.noise', n: number) {
  await inTransaction(database.db, (tx) => emitEvent(tx, topic, { n }))
}

async function cursor(consumer: string) {
  const result = await sql<{ last_seq: number; attempts: number; last_error: string | null }>`
    select last_seq, attempts, last_error from outbox_cursors where consumer = ${consumer}`.execute(
    database.db,
  )
  return result.rows[0]
}

async function head() {
  const result = await sql<{ head: number }>`select coalesce(max(seq), 0) as head from outbox`.execute(
    database.db,
  )
  return result.rows[0]!.head
}

beforeAll(async () => {
  database = await createTestDatabase()
})
afterEach(async () => {
  await Promise.all(dispatchers.splice(0).map((d) => d.stop(1_000)))
  // Each test starts from an empty outbox and new consumers.
  await sql`delete from outbox`.execute(database.db)
  await sql`delete from outbox_cursors`.execute(database.db)
})
afterAll(() => database.close())

describe('outbox dispatcher', () => {
  it('delivers a consumer its topics in order and nothing else', async () => {
    const received: OutboxEvent<'test.filed'>[] = []
    dispatcher().subscribe('test.portal', ['test.filed'], async (event) => void received.push(event))
    for (let n = 1; n <= 3; n++) await emit('test.filed', n)
    await emit('test.noise', 99)
    await dispatchers[0]!.start()
    for (let n = 4; n <= 6; n++) await emit('test.filed', n)
    await expect.poll(() => received.length, poll).toBe(6)
    expect(received.map((e) => e.payload.n)).toEqual([1, 2, 3, 4, 5, 6])
    expect(received.every((e) => e.topic === 'test.filed')).toBe(true)
    const seqs = received.map((e) => e.seq)
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs)
    // The cursor passes the rows of other topics too, so they are not read again.
    await expect.poll(async () => (await cursor('test.portal'))?.last_seq, poll).toBe(await head())
  })

  it('delivers a failed event again after back-off, without holding back another consumer', async () => {
    let portalUp = false
    const portal: number[] = []
    const webhook: number[] = []
    dispatcher()
      .subscribe(
        'test.portal',
        ['test.filed'],
        async ({ payload }) => {
          if (!portalUp) throw new Error('cổng dịch vụ công quốc gia không trả lời')
          portal.push(payload.n)
        },
        quickRetry,
      )
      .subscribe('test.webhook', ['test.filed'], async ({ payload }) => void webhook.push(payload.n))
    await dispatchers[0]!.start()
    for (let n = 1; n <= 3; n++) await emit('test.filed', n)
    await expect.poll(() => webhook, poll).toEqual([1, 2, 3])
    await expect.poll(async () => (await cursor('test.portal'))?.attempts, poll).toBeGreaterThanOrEqual(2)
    expect(portal).toEqual([])
    expect((await cursor('test.portal'))?.last_error).toMatch(/không trả lời/)
    const stats = await jobStats(database.db)
    expect(stats.consumers.find((c) => c.consumer === 'test.portal')).toMatchObject({ lastSeq: 0, behind: 3 })
    portalUp = true
    await expect.poll(() => portal, poll).toEqual([1, 2, 3])
    await expect.poll(async () => (await cursor('test.portal'))?.attempts, poll).toBe(0)
  })

  it('keeps the events after a failing one back until it gets through', async () => {
    const seen: number[] = []
    let failuresLeft = 2
    dispatcher().subscribe(
      'test.portal',
      ['test.filed'],
      async ({ payload }) => {
        if (payload.n === 2 && failuresLeft-- > 0) throw new Error('tạm thời lỗi')
        seen.push(payload.n)
      },
      { ...quickRetry, batchSize: 2 },
    )
    for (let n = 1; n <= 5; n++) await emit('test.filed', n)
    await dispatchers[0]!.start()
    await expect.poll(() => seen, poll).toEqual([1, 2, 3, 4, 5])
  })

  it('resumes from the acknowledged cursor in a new dispatcher, without delivering again', async () => {
    const first: number[] = []
    dispatcher().subscribe('test.portal', ['test.filed'], async ({ payload }) => void first.push(payload.n))
    await dispatchers[0]!.start()
    for (let n = 1; n <= 3; n++) await emit('test.filed', n)
    await expect.poll(() => first, poll).toEqual([1, 2, 3])
    await dispatchers[0]!.stop()

    for (let n = 4; n <= 5; n++) await emit('test.filed', n)
    const second: number[] = []
    dispatcher().subscribe('test.portal', ['test.filed'], async ({ payload }) => void second.push(payload.n))
    await dispatchers[1]!.start()
    await expect.poll(async () => (await cursor('test.portal'))?.last_seq, poll).toBe(await head())
    expect(second).toEqual([4, 5])
  })

  it('starts a new consumer at the head when asked to', async () => {
    await emit('test.filed', 1)
    const seen: number[] = []
    dispatcher().subscribe(
      'test.dashboard',
      ['test.filed'],
      async ({ payload }) => void seen.push(payload.n),
      {
        from: 'now',
      },
    )
    await dispatchers[0]!.start()
    await emit('test.filed', 2)
    await expect.poll(() => seen, poll).toEqual([2])
  })

  it.skipIf(!onPostgres)('delivers an event whose transaction commits after a later one', async () => {
    const seen: number[] = []
    dispatcher().subscribe('test.portal', ['test.filed'], async ({ payload }) => void seen.push(payload.n))
    await dispatchers[0]!.start()
    let commitLate!: () => void
    const late = new Promise<void>((resolve) => (commitLate = resolve))
    let inserted!: () => void
    const hasId = new Promise<void>((resolve) => (inserted = resolve))
    // Takes the lower id, then stays open while another transaction commits a higher one.
    const slow = inTransaction(database.db, async (tx) => {
      await emitEvent(tx, 'test.filed', { n: 1 })
      inserted()
      await late
    })
    await hasId
    await emit('test.filed', 2)
    await expect.poll(() => seen, poll).toEqual([2])
    commitLate()
    await slow
    await expect.poll(() => seen, poll).toEqual([2, 1])
    const ids = await sql<{ id: number; n: number }>`
      select id, (payload->>'n')::int as n from outbox order by id`.execute(database.db)
    expect(ids.rows.map((r) => r.n)).toEqual([1, 2])
  })
})
