/**
 * LGSP message log (`npm run bench` calls it; `npx tsx bench/lgsp-log.ts` runs it alone): how many exchanges
 * per second `recorder.record()` takes while the chainer runs beside it (hashing, batch signatures), against
 * plain single-row inserts of the same columns into a table with no chain, in the same run, with the same
 * number of concurrent writers. Then how fast the chain is verified and archived.
 */
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import type { ExchangeRecord } from '../src/modules/lgsp-log/index.js'
import { createMessageLogService } from '../src/modules/lgsp-log/lgsp-log.service.js'
import { loadConfig } from '../src/platform/config.js'
import { openEmbedded, openPostgres, type Database } from '../src/platform/db/database.js'
import { migrate } from '../src/platform/db/migrate.js'
import { SigningKeys } from '../src/platform/signing/index.js'

const N = Number(process.env.BENCH_LOG_RECORDS ?? 5000)
const WRITERS = 16
const CHAIN_EVERY_MS = 250
const ROUNDS = 5

function exchange(i: number, body: Buffer | undefined): ExchangeRecord {
  const started = new Date()
  return {
    messageId: randomUUID(),
    requestId: randomUUID(),
    client: 'CB/GOV/000.00.00.H14/dvc',
    service: 'CB/GOV/000.02.00.H14/hr/employees',
    tokenClientId: 'bench-client',
    method: 'GET',
    path: `/employees/${i}?fields=name,unit`,
    status: 200,
    startedAt: started,
    finishedAt: new Date(started.getTime() + 3),
    requestHash: 'y2RKQ0qE0b0oQdC7d9Yb4QzGxg3mK4sM1cJ3bE2b6zU=',
    responseHash: 'kqJ3H5lY8QvQmWkS8v3x2Ck3qv7rS3C2b4oG1m9tK5Y=',
    requestBytes: body?.length ?? 0,
    responseBytes: body?.length ?? 512,
    requestBody: body,
    responseBody: body,
  }
}

/** Runs `work(i)` for i < n with `writers` concurrent loops; returns the rate per second. */
async function concurrently(n: number, writers: number, work: (i: number) => Promise<unknown>) {
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: writers }, async () => {
      for (let i = next++; i < n; i = next++) await work(i)
    }),
  )
  return n / ((performance.now() - started) / 1000)
}

async function measure(database: Database, label: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cb-bench-log-'))
  try {
    await migrate(database.db)
    const config = loadConfig({ SECRET_KEY: 'bench-secret-key-0123456789abcdefghij', DATA_DIR: dir })
    const signing = new SigningKeys({
      dir: config.signingDir,
      passphrase: config.signingPassword,
      generateTestCertificates: true,
    })
    const log = createMessageLogService({ db: database.db, config, clock: () => new Date(), signing })
    await log.seal() // the trial certificate is made once, before anything is timed
    await sql`create table bench_plain (like lgsp_log_pending including defaults)`.execute(database.db)
    const body = Buffer.alloc(1024, 'x')

    const plainInsert = (i: number, withBody: boolean) => {
      const e = exchange(i, withBody ? body : undefined)
      return sql`insert into bench_plain (message_id, request_id, client, service, token_client_id, method, path,
          status, error_code, started_at, finished_at, recorded_at, request_hash, response_hash, request_bytes,
          response_bytes, request_body, response_body)
        values (${e.messageId}, ${e.requestId}, ${e.client}, ${e.service}, ${e.tokenClientId}, ${e.method}, ${e.path},
          ${e.status}, null, ${e.startedAt}, ${e.finishedAt}, now(), ${e.requestHash}, ${e.responseHash},
          ${e.requestBytes}, ${e.responseBytes}, ${e.requestBody ?? null}, ${e.responseBody ?? null})`.execute(
        database.db,
      )
    }

    // The chainer runs beside record() as the server's timer does; its busy time gives its capacity. It is
    // stopped and drained before each baseline round, so the baseline never shares the database with it.
    let chained = 0
    let chainerMs = 0
    const chainOnce = async () => {
      const started = performance.now()
      chained += await log.chain()
      chainerMs += performance.now() - started
    }
    let stopping = false
    let chainer: Promise<void> = Promise.resolve()
    const startChainer = () => {
      stopping = false
      chainer = (async () => {
        while (!stopping) {
          await chainOnce()
          await new Promise((resolve) => setTimeout(resolve, CHAIN_EVERY_MS))
        }
      })()
    }
    const stopChainer = async () => {
      stopping = true
      await chainer
      await chainOnce()
    }

    // The machine is shared: the three kinds run in alternating rounds, so a burst of outside load hits all.
    const totals = { plain: 0, plainBodies: 0, bare: 0, bodies: 0 }
    const per = Math.ceil(N / ROUNDS)
    const timed = async (kind: keyof typeof totals, work: (i: number) => Promise<unknown>) => {
      const started = performance.now()
      await concurrently(per, WRITERS, work)
      totals[kind] += performance.now() - started
    }
    for (let round = 0; round < ROUNDS; round++) {
      await timed('plain', (i) => plainInsert(i, false))
      await timed('plainBodies', (i) => plainInsert(i, true))
      startChainer()
      await timed('bare', (i) => log.recorder.record(exchange(i, undefined)))
      await timed('bodies', (i) => log.recorder.record(exchange(i, body)))
      await stopChainer()
    }
    const rate = (kind: keyof typeof totals) => (per * ROUNDS) / (totals[kind] / 1000)
    const plain = rate('plain')
    const bare = rate('bare')
    const bodies = rate('bodies')
    const plainBodies = rate('plainBodies')
    const chainRate = chained / (chainerMs / 1000)

    let started = performance.now()
    const verified = await log.verify()
    const verifyRate = (verified.ok ? verified.entries : 0) / ((performance.now() - started) / 1000)
    if (!verified.ok) throw new Error(`bench chain does not verify: ${verified.reason}`)
    started = performance.now()
    const archived = await log.archive({
      before: new Date(Date.now() + 60_000),
      out: join(dir, 'archive.jsonl'),
    })
    const archiveRate = (archived.archived ? archived.entries : 0) / ((performance.now() - started) / 1000)
    const batches = await sql<{ n: number }>`select count(*)::int as n from lgsp_log_batches`.execute(
      database.db,
    )

    const row = (name: string, rate: number) =>
      `| ${name} | ${Math.round(rate)} | ${(rate / plain).toFixed(2)}× |`
    return [
      `## LGSP message log (${label}, ${N} exchanges per run, ${WRITERS} concurrent writers)`,
      '',
      `Command: \`npx tsx bench/lgsp-log.ts\` (also part of \`npm run bench\`; \`BENCH_LOG_RECORDS\` sets the count). ` +
        `The chainer runs every ${CHAIN_EVERY_MS} ms beside the writers, as the server's timer does (every 1 s there); ` +
        `${batches.rows[0]!.n} signed batches (RSA-2048, SHA-256) were made for ${2 * per * ROUNDS} entries. ` +
        `Plain inserts (without and with bodies) and the two kinds of record() run in ${ROUNDS} alternating rounds, so outside load on the shared machine hits each alike.`,
      '',
      '| operation | per second | vs baseline |',
      '|---|---:|---:|',
      row('baseline: plain single-row INSERT of the same columns (no chain, no encryption)', plain),
      row('`recorder.record()` with the chainer running (no bodies kept)', bare),
      row(
        'plain INSERT with 1 KiB request and response bodies in clear (bytea), for comparison',
        plainBodies,
      ),
      row('`recorder.record()` keeping 1 KiB request and response bodies (AES-256-GCM)', bodies),
      row(
        'chainer capacity: entries hashed, signed in batches and moved per second of its busy time',
        chainRate,
      ),
      row('`lgsp log verify` (hashes, links, batch signatures)', verifyRate),
      row('`lgsp log archive` (write, sign, re-verify the file, delete)', archiveRate),
      '',
    ]
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export async function messageLogBench(postgresUrl: string | null): Promise<string[]> {
  const lines: string[] = []
  const embedded = await openEmbedded(undefined)
  try {
    lines.push(...(await measure(embedded, 'embedded PGlite')))
  } finally {
    await embedded.close()
  }
  if (postgresUrl) {
    const name = `cb_bench_log_${process.pid}`
    const admin = await openPostgres(postgresUrl, 1)
    await sql.raw(`drop database if exists ${name}`).execute(admin.db)
    await sql.raw(`create database ${name}`).execute(admin.db)
    await admin.close()
    const url = new URL(postgresUrl)
    url.pathname = `/${name}`
    const database = await openPostgres(url.toString(), WRITERS + 2)
    try {
      lines.push(...(await measure(database, 'PostgreSQL 15 at 127.0.0.1:5432')))
    } finally {
      await database.close()
      const again = await openPostgres(postgresUrl, 1)
      await sql.raw(`drop database if exists ${name} with (force)`).execute(again.db)
      await again.close()
    }
  }
  return lines
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const url =
    process.env.BENCH_SKIP_POSTGRES === '1'
      ? null
      : (process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres')
  console.log((await messageLogBench(url)).join('\n'))
}
