/**
 * Pub/sub throughput: `npx tsx src/modules/pubsub/pubsub.bench.ts` (embedded, in memory), or with DATABASE_URL for
 * PostgreSQL (a scratch database is created and dropped). BENCH_EVENTS sets the count (default 2000).
 *
 * In one run, against a webhook receiver on 127.0.0.1: the baseline is the same number of signed-size POSTs sent
 * straight to the receiver with the delivery concurrency (8); then publishing (service level: no HTTP, no token
 * check) to a topic with one push subscription, and delivering the backlog through the job queue, unkeyed and with
 * 20 ordering keys.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { sql } from 'kysely'
import { openEmbedded, openPostgres, type Database } from '../../platform/db/database.js'
import { migrate } from '../../platform/db/migrate.js'
import { loadConfig } from '../../platform/config.js'
import { createJobs, type JobsLog } from '../../platform/jobs/index.js'
import { createPubsubModule } from './index.js'
import { encryptSecret } from './pubsub.webhook.js'

const EVENTS = Number(process.env.BENCH_EVENTS ?? 2_000)
const CONCURRENCY = 8
const log: JobsLog = { info() {}, warn() {}, error: (obj, msg) => console.error(msg, obj) }
const payload = (n: number) => ({
  soDinhDanh: String(4190000000 + n).padStart(12, '0'),
  hoTen: 'Nông Thị Hoa',
  n,
})

async function measure(database: Database): Promise<string[]> {
  await migrate(database.db)
  let received = 0
  const server = createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      received++
      response.writeHead(204).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`
  const config = loadConfig({
    SECRET_KEY: 'bench-secret-key-that-is-long-enough-0000',
    PUBSUB_RETRY_MS: '100',
  })
  const rate = (ms: number) => `${Math.round((EVENTS / ms) * 1000)} events/s (${Math.round(ms)} ms)`
  const lines = [`${database.kind}, ${EVENTS} events, delivery concurrency ${CONCURRENCY}:`]
  try {
    // Baseline: the receiver called directly, CONCURRENCY requests in flight, bodies the size of a push.
    const body = JSON.stringify({
      id: crypto.randomUUID(),
      topic: 'bench',
      position: 1,
      key: null,
      payload: payload(1),
    })
    let next = 0
    let started = performance.now()
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next++ < EVENTS) {
          const response = await fetch(url, {
            method: 'POST',
            body,
            headers: { 'content-type': 'application/json' },
          })
          await response.arrayBuffer()
        }
      }),
    )
    lines.push(`  baseline: direct POST to the receiver   ${rate(performance.now() - started)}`)

    for (const keys of [0, 20]) {
      const topic = `bench.k${keys}`
      await sql`insert into pubsub_topics (name, publishers) values (${topic}, ${['bench-client']})`.execute(
        database.db,
      )
      await sql`insert into pubsub_allowed_hosts (host) values ('127.0.0.1') on conflict do nothing`.execute(
        database.db,
      )
      await sql`insert into pubsub_subscriptions (topic, client_id, mode, endpoint, secret_enc)
        values (${topic}, 'bench-receiver', 'push', ${url}, ${encryptSecret(config.secretKey, 'whsec_bench')})`.execute(
        database.db,
      )
      const jobs = createJobs({ db: database.db, kind: database.kind, logger: log })
      const pubsub = createPubsubModule({
        db: database.db,
        config,
        clock: () => new Date(),
        jobs,
        log,
        organisation: { findUnitsByIds: async () => [] },
        clients: { authenticate: async () => undefined, find: async () => undefined },
      })
      const client = { clientId: 'bench-client', scope: ['lgsp'] }
      started = performance.now()
      for (let n = 0; n < EVENTS; n++) {
        await pubsub.service.publish(
          client,
          topic,
          keys ? { payload: payload(n), key: `K${n % keys}` } : { payload: payload(n) },
        )
      }
      const publishMs = performance.now() - started
      received = 0
      started = performance.now()
      await jobs.start()
      while (received < EVENTS) await new Promise((resolve) => setTimeout(resolve, 10))
      const deliverMs = performance.now() - started
      await jobs.stop()
      const label = keys ? `${keys} keys` : 'no key'
      lines.push(`  publish (${label}, 1 push subscriber)  ${rate(publishMs)}`)
      lines.push(`  deliver the backlog (${label})        ${rate(deliverMs)}`)
    }
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  return lines
}

const serverUrl = process.env.DATABASE_URL
if (serverUrl) {
  const name = `cb_bench_pubsub_${process.pid}`
  const admin = await openPostgres(serverUrl, 1)
  await sql.raw(`create database ${name}`).execute(admin.db)
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  const database = await openPostgres(url.toString())
  try {
    console.log((await measure(database)).join('\n'))
  } finally {
    await database.close()
    await sql.raw(`drop database if exists ${name} with (force)`).execute(admin.db)
    await admin.close()
  }
} else {
  const database = await openEmbedded(undefined)
  try {
    console.log((await measure(database)).join('\n'))
  } finally {
    await database.close()
  }
}
