/**
 * `npm run bench`: measures the platform on this machine and writes docs/benchmarks.md.
 * Each figure stands next to a baseline from the same run: the server's own /healthz for HTTP
 * (what Fastify alone costs here), and plain inserts for the audit chain.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { get } from 'node:http'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { sql } from 'kysely'
import { appendAudit, chainAudit, SYSTEM_CONTEXT, verifyAudit } from '../src/platform/audit/audit.js'
import { openEmbedded, openPostgres } from '../src/platform/db/database.js'
import { migrate } from '../src/platform/db/migrate.js'
import { documentBench, documentEmbeddedBench } from './documents.js'
import { dossierBench } from './dossiers.js'
import { indicatorBench } from './indicators.js'
import { lgspBench } from './lgsp.js'
import { messageLogBench } from './lgsp-log.js'
import { ssoBench } from './sso.js'

const PORT = 3917
const DURATION = Number(process.env.BENCH_SECONDS ?? 8)
const lines: string[] = []

async function startServer(
  dataDir: string,
  extraEnv: Record<string, string>,
): Promise<{ child: ChildProcess; readyMs: number }> {
  const started = performance.now()
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'start'], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(PORT),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      DATABASE_URL: '',
      // The bench measures throughput, not the limiter.
      API_RATE_LIMIT: '1000000',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('http://localhost:')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)))
  })
  return { child, readyMs: performance.now() - started }
}

type Load = { path: string; label: string; cookie?: string }

/** Bytes on the wire for a browser that accepts brotli, as a phone on 2G would receive them. */
function compressedSize({ path, cookie }: Load): Promise<number> {
  return new Promise((resolve, reject) => {
    get(
      `http://127.0.0.1:${PORT}${path}`,
      { headers: { 'accept-encoding': 'br, gzip', ...(cookie ? { cookie } : {}) } },
      (response) => {
        let bytes = 0
        response.on('data', (chunk: Buffer) => (bytes += chunk.length))
        response.on('end', () => resolve(bytes))
      },
    ).on('error', reject)
  })
}

async function load({ path, cookie }: Load) {
  const result = await autocannon({
    url: `http://127.0.0.1:${PORT}${path}`,
    connections: 10,
    duration: DURATION,
    headers: cookie ? { cookie } : {},
  })
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    bytes: result.throughput.average / result.requests.average,
    errors: result.errors + result.non2xx,
  }
}

async function login(): Promise<string> {
  const base = `http://127.0.0.1:${PORT}`
  const page = await fetch(`${base}/login`)
  const csrfCookie = page.headers
    .getSetCookie()
    .map((c) => c.split(';')[0] ?? '')
    .join('; ')
  const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!
  const response = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrfCookie },
    body: new URLSearchParams({ login: 'quantri', password: 'CaoBang@2026', _csrf: token }).toString(),
  })
  const session = response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0] ?? '')
    .find((c) => c.startsWith('cb_session='))
  if (!session) throw new Error(`login failed: ${response.status}`)
  return `${csrfCookie}; ${session}`
}

async function httpBench(mode: 'embedded' | 'postgres') {
  const dir = mkdtempSync(join(tmpdir(), 'cb-bench-'))
  const dbName = `cb_bench_${process.pid}`
  const serverUrl = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
  let env: Record<string, string> = {}
  if (mode === 'postgres') {
    const admin = await openPostgres(serverUrl, 1)
    await sql.raw(`drop database if exists ${dbName}`).execute(admin.db)
    await sql.raw(`create database ${dbName}`).execute(admin.db)
    await admin.close()
    const url = new URL(serverUrl)
    url.pathname = `/${dbName}`
    env = {
      DATABASE_URL: url.toString(),
      SECRET_KEY: 'bench-secret-key-0123456789abcdefghij',
      SEED_DEMO: 'true',
    }
  }
  const { child, readyMs } = await startServer(join(dir, 'data'), env)
  try {
    const cookie = await login()
    const targets: Load[] = [
      { path: '/healthz', label: 'baseline: GET /healthz (JSON, no database)' },
      { path: '/', label: 'home page (anonymous)' },
      { path: '/login', label: 'login page (CSRF cookie + token)' },
      { path: '/admin', label: 'back-office home (session lookup + actor with grants)', cookie },
      { path: '/admin/units', label: 'org-unit tree, 89 units (session)', cookie },
      { path: '/api/v1/units', label: 'API: list of units (JSON)' },
    ]
    const results = []
    for (const target of targets) {
      results.push({ target, wire: await compressedSize(target), ...(await load(target)) })
    }
    const base = results[0]!
    lines.push(
      `## HTTP on the ${mode === 'embedded' ? 'embedded database (PGlite)' : 'PostgreSQL server (127.0.0.1:5432)'}`,
      '',
      `autocannon, 10 connections, ${DURATION} s each, server in a separate process. Start to ready on an empty database: **${(readyMs / 1000).toFixed(1)} s** (migrations, 89 units, 25 procedures, 11 demo accounts).`,
      '',
      '| request | req/s | vs baseline | p99 ms | KB per response | KB compressed (br) | errors |',
      '|---|---:|---:|---:|---:|---:|---:|',
      ...results.map(
        (r) =>
          `| ${r.target.label} | ${Math.round(r.rps)} | ${(r.rps / base.rps).toFixed(2)}× | ${r.p99} | ${(r.bytes / 1024).toFixed(1)} | ${(r.wire / 1024).toFixed(1)} | ${r.errors} |`,
      ),
      '',
    )
  } finally {
    child.kill('SIGTERM')
    await new Promise((resolve) => child.once('exit', resolve))
    rmSync(dir, { recursive: true, force: true })
    if (mode === 'postgres') {
      const admin = await openPostgres(serverUrl, 1)
      await sql.raw(`drop database if exists ${dbName} with (force)`).execute(admin.db)
      await admin.close()
    }
  }
}

async function auditBench() {
  const database = await openEmbedded(undefined)
  try {
    await migrate(database.db)
    await sql`create table bench_plain (id bigserial primary key, at timestamptz, action text, details jsonb)`.execute(
      database.db,
    )
    const n = Number(process.env.BENCH_AUDIT_ROWS ?? 3000)
    let started = performance.now()
    for (let i = 0; i < n; i++) {
      await sql`insert into bench_plain (at, action, details) values (now(), 'bench', ${JSON.stringify({ i })})`.execute(
        database.db,
      )
    }
    const plain = n / ((performance.now() - started) / 1000)
    started = performance.now()
    for (let i = 0; i < n; i++)
      await appendAudit(database.db, SYSTEM_CONTEXT, { action: 'bench', details: { i } })
    const appended = n / ((performance.now() - started) / 1000)
    started = performance.now()
    await chainAudit(database.db)
    const chained = n / ((performance.now() - started) / 1000)
    started = performance.now()
    const verified = await verifyAudit(database.db)
    const verifyRate = verified.count / ((performance.now() - started) / 1000)
    lines.push(
      `## Audit chain (embedded database, ${n} sequential entries)`,
      '',
      '| operation | rows/s | vs baseline |',
      '|---|---:|---:|',
      `| baseline: plain single-row INSERT, autocommit | ${Math.round(plain)} | 1.00× |`,
      `| appendAudit (insert into audit_pending, no lock; decision 0005) | ${Math.round(appended)} | ${(appended / plain).toFixed(2)}× |`,
      `| chainAudit (batches of 500: advisory lock, previous hash, SHA-256, insert, delete pending) | ${Math.round(chained)} | ${(chained / plain).toFixed(2)}× |`,
      `| verifyAudit (read in batches of 2000, recompute each hash) | ${Math.round(verifyRate)} | ${(verifyRate / plain).toFixed(2)}× |`,
      '',
    )
  } finally {
    await database.close()
  }
}

await httpBench('embedded')
if (process.env.BENCH_SKIP_POSTGRES !== '1') await httpBench('postgres')
await auditBench()
lines.push(
  ...(await messageLogBench(
    process.env.BENCH_SKIP_POSTGRES === '1'
      ? null
      : (process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'),
  )),
)
lines.push(...(await ssoBench()))
lines.push(
  ...(await lgspBench(
    process.env.BENCH_SKIP_POSTGRES === '1'
      ? undefined
      : (process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'),
  )),
)
if (process.env.BENCH_SKIP_POSTGRES !== '1') {
  lines.push(
    ...(await dossierBench(process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres')),
  )
  lines.push(
    ...(await indicatorBench(
      process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    )),
  )
  lines.push(
    ...(await documentBench(process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres')),
  )
}
lines.push(...(await documentEmbeddedBench()))

const notes = [
  '## Reading the numbers',
  '',
  '- Command: `npm run bench` (set `BENCH_SECONDS`, `BENCH_DOSSIERS`, `BENCH_EVENTS`, `BENCH_DOCUMENTS`, `BENCH_DOCUMENTS_EMBEDDED`, `BENCH_SKIP_POSTGRES=1` to shorten). Server, load generator and PostgreSQL share the same 2 cores.',
  '- Targets met: tracking and procedure search p99 ≤ 20 ms with 1 million dossiers; document search p99 ≤ 50 ms with 1 million documents on one connection (bench/documents.ts); pages far under 50 KB (about 1 KB on the wire with brotli).',
  "- Service indicators: the endpoint does the module's aggregation (whole months, edge days, open dossiers from the index) plus the unit tree, token and JSON; HTTP p50 is 2–5× the direct queries. Its p99 target (≤ 200 ms) was met or missed with the machine's load (the run above shared 2 cores with other test runs at load ≈ 11); recomputing from the per-dossier rows instead costs about a second.",
  '- Target missed: dossier submissions through HTTP reach about a quarter of pgbench running the same inserts (target ≥ 0.5). Each submission holds two',
  '  serialising locks for its whole transaction: the agency-day counter row (by design of TT 01/2018 codes; real load spreads over 56 communes and the',
  "  departments) and the audit chain's advisory lock (global). Next step: insert audit rows unchained and let one chainer hash them in order after commit.",
  '',
]

const header = [
  '# Benchmarks',
  '',
  `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}.`,
  'Each table compares against a baseline measured in the same run on the same machine; absolute numbers move with the machine, ratios less so.',
  'The load generator shares the 2 cores with the server, so absolute req/s are a lower bound.',
  '',
]
writeFileSync(new URL('../docs/benchmarks.md', import.meta.url), [...header, ...lines, ...notes].join('\n'))
console.log([...header, ...lines].join('\n'))
