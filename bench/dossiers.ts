/**
 * Dossier intake and lookups on the PostgreSQL server (`npm run bench` calls it):
 * - submissions per second through HTTP against pgbench running the same inserts directly, in the same run;
 * - tracking and procedure search latency after bulk-generating many dossiers.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { sql } from 'kysely'
import { openPostgres } from '../src/platform/db/database.js'

const PORT = 3918
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8)
const BULK = Number(process.env.BENCH_DOSSIERS ?? 1_000_000)

function pgbenchPath(): string | null {
  for (const candidate of ['pgbench', '/usr/lib/postgresql/15/bin/pgbench']) {
    if (spawnSync(candidate, ['--version']).status === 0) return candidate
  }
  return null
}

export async function dossierBench(serverUrl: string): Promise<string[]> {
  const lines: string[] = []
  const name = `cb_bench_dossiers_${process.pid}`
  const admin = await openPostgres(serverUrl, 1)
  await sql.raw(`drop database if exists ${name}`).execute(admin.db)
  await sql.raw(`create database ${name}`).execute(admin.db)
  await admin.close()
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  const env = {
    ...process.env,
    DATABASE_URL: url.toString(),
    SECRET_KEY: 'bench-secret-key-0123456789abcdefghij',
    SEED_DEMO: 'true',
    PORT: String(PORT),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    API_RATE_LIMIT: '1000000',
  }
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], { env, encoding: 'utf8' })
  cli('seed', '--demo')
  const token = /^cbp_\S+$/m.exec(cli('token', 'create', '--user', 'motcua.thucphan').stdout)?.[0]
  if (!token) throw new Error('could not create a bench token')

  const db = await openPostgres(url.toString(), 2)
  const ids = (
    await sql<{ unit: string; procedure: string; agency: string }>`
      select u.id as unit, p.id as procedure, u.agency_code as agency from org_units u, procedures p
      where u.key = 'phuong-thuc-phan' and p.code = '2.000815'`.execute(db.db)
  ).rows[0]!
  const dir = mkdtempSync(join(tmpdir(), 'cb-bench-'))
  let server: ChildProcess | undefined
  try {
    server = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'start'], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    await new Promise<void>((resolve, reject) => {
      server!.stdout!.on('data', (c: Buffer) => c.toString().includes('http://localhost:') && resolve())
      server!.once('exit', (code) => reject(new Error(`server exited ${code}`)))
    })

    const body = JSON.stringify({
      procedureCode: '2.000815',
      unitId: ids.unit,
      channel: 'counter',
      applicant: { name: 'Người Đo Tải', phone: '0912345678' },
      form: {
        applicantFullName: 'Người Đo Tải',
        applicantIdNumber: '004090000001',
        documentTitle: 'Bằng',
        pageCount: 1,
        copyCount: 1,
      },
    })
    const http = await autocannon({
      url: `http://127.0.0.1:${PORT}/api/v1/dossiers`,
      method: 'POST',
      connections: 10,
      duration: SECONDS,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    })

    // The same writes as one submission (decision 0005): the counter in its own statement, then one transaction
    // with the dossier, the control-slip row, the outbox event and the pending audit entry.
    const script = join(dir, 'submit.sql')
    writeFileSync(
      script,
      `INSERT INTO dossier_counters (agency_code, day, last) VALUES ('${ids.agency}', '2099-01-01', 1)
  ON CONFLICT (agency_code, day) DO UPDATE SET last = dossier_counters.last + 1 RETURNING last \\gset
BEGIN;
WITH d AS (
INSERT INTO dossiers (code, procedure_id, procedure_code, procedure_name, workflow, unit_id, channel, status, step,
  applicant_name, applicant_phone, form_data, rule_version, processing_days, received_at, counts_from, due_at, step_started_at)
  VALUES ('${ids.agency}-990101-' || lpad((:last % 10000)::text, 4, '0') || '-' || :client_id || '-' || random(), '${ids.procedure}', '2.000815', 'Chứng thực', 'one-step',
  '${ids.unit}', 'counter', 'received', 0, 'Người Đo Tải', '0912345678', '{"a":1}', 'nd118-2025', 0, now(), '2099-01-01', now(), now())
  RETURNING id)
INSERT INTO dossier_actions (dossier_id, seq, action, to_status, to_step, at, on_time) SELECT id, 1, 'receive', 'received', 0, now(), true FROM d;
INSERT INTO outbox (topic, payload) VALUES ('dossier.status_changed', '{"code":"x"}');
INSERT INTO audit_pending (at, action, outcome, details) VALUES (now(), 'dossier.created', 'ok', '{}');
COMMIT;
`,
    )
    // The code check forbids the baseline's longer codes: drop it for the baseline only, then restore it.
    await sql`alter table dossiers drop constraint if exists dossiers_code_check`.execute(db.db)
    const pgbench = pgbenchPath()
    let tps: number | null = null
    if (pgbench) {
      const run = spawnSync(
        pgbench,
        ['-n', '-c', '10', '-j', '2', '-T', String(SECONDS), '-f', script, url.toString()],
        { encoding: 'utf8' },
      )
      tps = Number(/tps = ([\d.]+)/.exec(run.stdout)?.[1] ?? NaN)
    }
    await sql`delete from dossier_actions where dossier_id in (select id from dossiers where counts_from = '2099-01-01')`.execute(
      db.db,
    )
    await sql`delete from dossiers where counts_from = '2099-01-01'`.execute(db.db)

    lines.push(
      '## Dossier submission on the PostgreSQL server',
      '',
      `\`POST /api/v1/dossiers\` (counter intake: validation, code, dossier, control slip, outbox, pending audit entry), autocannon 10 connections ${SECONDS} s,`,
      `against \`pgbench -c 10 -j 2 -T ${SECONDS}\` running the same inserts (bench/dossiers.ts) in the same run.`,
      '',
      '| what | per second | p99 ms | errors |',
      '|---|---:|---:|---:|',
      `| baseline: pgbench, same inserts in one transaction | ${tps === null ? 'pgbench not found' : Math.round(tps)} | | |`,
      `| HTTP submissions | ${Math.round(http.requests.average)} | ${http.latency.p99} | ${http.errors + http.non2xx} |`,
      '',
      tps ? `Ratio HTTP / pgbench: **${(http.requests.average / tps).toFixed(2)}** (target ≥ 0.5).` : '',
      '',
    )

    // Bulk data for lookups: BULK dossiers spread over 400 days and the 56 communes' agency codes.
    const started = performance.now()
    await sql`
      insert into dossiers (code, procedure_id, procedure_code, procedure_name, workflow, unit_id, channel, status, step,
        applicant_name, applicant_phone, form_data, rule_version, processing_days, received_at, counts_from, due_at, step_started_at)
      select ${ids.agency} || '-' || to_char(date '2024-01-01' + (g / 2400), 'YYMMDD') || '-' || lpad((g % 2400 + 5000)::text, 4, '0'),
        ${ids.procedure}, '2.000815', 'Chứng thực', 'one-step', ${ids.unit}, 'counter', 'returned', 1,
        'Người ' || g, '09' || lpad((g % 100000000)::text, 8, '0'), '{}', 'nd118-2025', 0,
        now(), date '2024-01-01' + (g / 2400), now(), now()
      from generate_series(1, ${BULK}) g`.execute(db.db)
    await sql`analyze dossiers`.execute(db.db)
    const bulkSeconds = (performance.now() - started) / 1000
    const sample = (
      await sql<{ code: string; phone: string }>`
        select code, applicant_phone as phone from dossiers where counts_from < '2099-01-01' order by code desc limit 1`.execute(
        db.db,
      )
    ).rows[0]!
    const track = await autocannon({
      url: `http://127.0.0.1:${PORT}/api/v1/track/${sample.code}?phone=${sample.phone}`,
      connections: 10,
      duration: SECONDS,
    })
    const search = await autocannon({
      url: `http://127.0.0.1:${PORT}/api/v1/procedures?q=giay+phep+xay+dung`,
      connections: 10,
      duration: SECONDS,
    })
    const count = (await sql<{ n: number }>`select count(*)::int as n from dossiers`.execute(db.db)).rows[0]!
      .n
    lines.push(
      `## Lookups with ${count.toLocaleString('en')} dossiers (PostgreSQL, bulk insert took ${bulkSeconds.toFixed(0)} s)`,
      '',
      '| request | req/s | p50 ms | p99 ms | target p99 | errors |',
      '|---|---:|---:|---:|---:|---:|',
      `| \`GET /api/v1/track/{code}?phone=\` | ${Math.round(track.requests.average)} | ${track.latency.p50} | ${track.latency.p99} | ≤ 20 | ${track.errors + track.non2xx} |`,
      `| \`GET /api/v1/procedures?q=giay+phep+xay+dung\` | ${Math.round(search.requests.average)} | ${search.latency.p50} | ${search.latency.p99} | ≤ 20 | ${search.errors + search.non2xx} |`,
      '',
    )
  } finally {
    server?.kill('SIGTERM')
    await db.close()
    rmSync(dir, { recursive: true, force: true })
    const again = await openPostgres(serverUrl, 1)
    await sql.raw(`drop database if exists ${name} with (force)`).execute(again.db)
    await again.close()
  }
  return lines
}
