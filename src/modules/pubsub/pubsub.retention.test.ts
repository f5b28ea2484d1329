import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase } from '../../../test/database.js'
import type { Database } from '../../platform/db/database.js'
import { purgeExpiredEvents } from './pubsub.delivery.js'

let database: Database
const OLD = new Date('2026-09-01T00:00:00Z')
const YOUNG = new Date('2026-11-26T00:00:00Z')
const CUTOFF = new Date('2026-10-28T00:00:00Z')

beforeAll(async () => {
  database = await createTestDatabase()
  const db = database.db
  await sql`insert into pubsub_topics (name, description) values ('ho-so.trang-thai', 'test'), ('van-ban.moi', 'test')`.execute(
    db,
  )
  // Topic 1: one push subscriber and one pull subscriber (acknowledged up to 3), and a disabled pull one.
  await sql`insert into pubsub_subscriptions (id, topic, client_id, mode, endpoint, secret_enc, acked_position, disabled_at) values
    ('00000000-0000-0000-0000-0000000000a1', 'ho-so.trang-thai', 'push-client', 'push', 'https://x.example/hook', 'sealed', 0, null),
    ('00000000-0000-0000-0000-0000000000a2', 'ho-so.trang-thai', 'pull-client', 'pull', null, null, 3, null),
    ('00000000-0000-0000-0000-0000000000a3', 'ho-so.trang-thai', 'gone-client', 'pull', null, null, 0, now())`.execute(
    db,
  )
  const events: [number, Date, string | null][] = [
    [1, OLD, 'delivered'], // done by everyone: goes
    [2, OLD, 'dead'], // a dead letter an operator may still re-drive: stays
    [3, OLD, 'waiting'], // still owed to the push subscriber: stays
    [4, OLD, 'delivered'], // delivered by push, not yet acknowledged by the pull subscriber: stays
    [5, YOUNG, 'delivered'], // younger than the retention: stays
  ]
  for (const [position, at, state] of events) {
    const id = `00000000-0000-0000-0000-00000000000${position}`
    await sql`insert into pubsub_events (id, topic, position, payload, publisher, published_at)
      values (${id}, 'ho-so.trang-thai', ${position}, '{}'::jsonb, 'test', ${at})`.execute(db)
    if (state)
      await sql`insert into pubsub_deliveries (subscription_id, event_id, position, state)
        values ('00000000-0000-0000-0000-0000000000a1', ${id}, ${position}, ${state})`.execute(db)
  }
  // Topic 2: nobody subscribes; an old event there is owed to no one.
  await sql`insert into pubsub_events (id, topic, position, payload, publisher, published_at)
    values ('00000000-0000-0000-0000-0000000000b1', 'van-ban.moi', 1, '{}'::jsonb, 'test', ${OLD})`.execute(
    db,
  )
})
afterAll(() => database.close())

const kept = async () =>
  (
    await sql<{ topic: string; position: number }>`
      select topic, position::int from pubsub_events order by topic, position`.execute(database.db)
  ).rows.map((r) => `${r.topic}#${r.position}`)

describe('pub/sub retention', () => {
  it('removes only old events that every subscriber is done with, and their deliveries', async () => {
    expect(await purgeExpiredEvents(database.db, CUTOFF)).toBe(2)
    expect(await kept()).toEqual([
      'ho-so.trang-thai#2',
      'ho-so.trang-thai#3',
      'ho-so.trang-thai#4',
      'ho-so.trang-thai#5',
    ])
    const deliveries = await sql<{ n: number }>`select count(*)::int as n from pubsub_deliveries`.execute(
      database.db,
    )
    expect(deliveries.rows[0]!.n).toBe(4)
  })

  it('lets an event go once the pull subscriber acknowledges it, and never twice', async () => {
    await sql`update pubsub_subscriptions set acked_position = 4 where client_id = 'pull-client'`.execute(
      database.db,
    )
    expect(await purgeExpiredEvents(database.db, CUTOFF)).toBe(1)
    expect(await kept()).toEqual(['ho-so.trang-thai#2', 'ho-so.trang-thai#3', 'ho-so.trang-thai#5'])
    expect(await purgeExpiredEvents(database.db, CUTOFF)).toBe(0)
  })
})
