/**
 * Job throughput with a no-op handler: `npx tsx src/platform/jobs/jobs.bench.ts` (embedded, in memory), or
 * with DATABASE_URL set for PostgreSQL (a scratch database is created and dropped). BENCH_JOBS sets the
 * count (default 5000), BENCH_CONCURRENCY the handler's concurrency (default 10).
 */
import { sql } from 'kysely'
import { openEmbedded, openPostgres, type Database } from '../db/database.js'
import { migrate } from '../db/migrate.js'
import type { JobsLog } from './poll-loop.js'
import { enqueue } from './queue.js'
import { JobRunner } from './runner.js'

declare module './queue.js' {
  interface JobPayloads {
    'bench.noop': { n: number }
  }
}

const JOBS = Number(process.env.BENCH_JOBS ?? 5_000)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10)
const log: JobsLog = { info() {}, warn() {}, error: (obj, msg) => console.error(msg, obj) }

async function remaining(database: Database): Promise<number> {
  const result = await sql<{ n: number }>`
    select count(*)::int as n from jobs where queue = 'bench.noop' and state <> 'done'`.execute(database.db)
  return result.rows[0]!.n
}

async function drain(database: Database, runner: JobRunner): Promise<void> {
  await runner.start()
  while ((await remaining(database)) > 0) await new Promise((resolve) => setTimeout(resolve, 20))
  await runner.stop()
}

function noopRunner(database: Database): JobRunner {
  return new JobRunner({ db: database.db, kind: database.kind, log, pollMs: 250 }).handle(
    'bench.noop',
    async () => {},
    { concurrency: CONCURRENCY },
  )
}

async function measure(database: Database): Promise<string[]> {
  await migrate(database.db)
  await sql`delete from jobs where queue = 'bench.noop'`.execute(database.db)
  const rate = (ms: number) => `${Math.round((JOBS / ms) * 1000)} jobs/s (${Math.round(ms)} ms)`

  // Enqueue alone (one autocommit insert per job, as a request would), then run the backlog.
  let started = performance.now()
  for (let n = 0; n < JOBS; n++) await enqueue(database.db, 'bench.noop', { n })
  const enqueueMs = performance.now() - started
  // Baseline: as many single-row autocommit inserts into a plain table, after the enqueue so that both
  // run on a warmed-up database.
  await sql`create table if not exists bench_jobs_baseline (id bigserial primary key, payload jsonb not null)`.execute(
    database.db,
  )
  started = performance.now()
  for (let n = 0; n < JOBS; n++) {
    await sql`insert into bench_jobs_baseline (payload) values (${JSON.stringify({ n })}::jsonb)`.execute(
      database.db,
    )
  }
  const baselineMs = performance.now() - started
  await sql`drop table bench_jobs_baseline`.execute(database.db)

  started = performance.now()
  await drain(database, noopRunner(database))
  const runMs = performance.now() - started

  // Both at once: the runner works while jobs arrive; the clock stops when the last one is done.
  await sql`delete from jobs where queue = 'bench.noop'`.execute(database.db)
  const runner = noopRunner(database)
  started = performance.now()
  await runner.start()
  for (let n = 0; n < JOBS; n++) await enqueue(database.db, 'bench.noop', { n })
  await drain(database, runner)
  const bothMs = performance.now() - started

  return [
    `${database.kind}, ${JOBS} jobs, concurrency ${CONCURRENCY}:`,
    `  baseline: plain insert ${rate(baselineMs)}`,
    `  enqueue only        ${rate(enqueueMs)}`,
    `  run backlog only    ${rate(runMs)}`,
    `  enqueue + run       ${rate(bothMs)}`,
  ]
}

const serverUrl = process.env.DATABASE_URL
if (serverUrl) {
  const name = `cb_bench_jobs_${process.pid}`
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
