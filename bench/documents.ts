/**
 * Official documents on the PostgreSQL server (`npm run bench` calls it):
 * - incoming registrations per second through HTTP against pgbench running the same writes directly, in the
 *   same run;
 * - search latency (without diacritics, with and without filters) after bulk-generating a million documents,
 *   against the same query sent straight to PostgreSQL in the same run.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { sql } from 'kysely'
import { openPostgres } from '../src/platform/db/database.js'

const PORT = 3919
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8)
const BULK = Number(process.env.BENCH_DOCUMENTS ?? 1_000_000)

/** Words of real summaries (trích yếu), combined so that some queries match many documents and some few. */
const SUBJECTS = [
  'Kế hoạch chuyển đổi số năm 2026',
  'Báo cáo tình hình kinh tế xã hội tháng',
  'Hướng dẫn thực hiện thủ tục hành chính trên Cổng dịch vụ công',
  'Đề nghị cung cấp số liệu đất đai',
  'Triển khai nền tảng tích hợp chia sẻ dữ liệu',
  'Tăng cường phòng chống cháy rừng mùa khô',
  'Giấy mời họp giao ban công tác quý',
  'Phê duyệt dự toán kinh phí ứng dụng công nghệ thông tin',
  'Tổ chức kiểm tra an toàn thông tin cấp độ 3',
  'Thông báo kết luận của Chủ tịch Ủy ban nhân dân tỉnh',
  'Quy chế phối hợp quản lý văn bản điện tử',
  'Đôn đốc giải ngân vốn đầu tư công',
]
const ISSUERS = [
  'Ủy ban nhân dân tỉnh Cao Bằng',
  'Sở Thông tin và Truyền thông',
  'Sở Tài chính',
  'Bộ Khoa học và Công nghệ',
  'Văn phòng Chính phủ',
  'Ủy ban nhân dân huyện Hà Quảng',
]

function pgbenchPath(): string | null {
  for (const candidate of ['pgbench', '/usr/lib/postgresql/15/bin/pgbench']) {
    if (spawnSync(candidate, ['--version']).status === 0) return candidate
  }
  return null
}

/** p50 and p99 of `runs` sequential executions of a query, in milliseconds. */
async function timeQuery(run: () => Promise<unknown>, runs: number) {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    await run()
    times.push(performance.now() - started)
  }
  times.sort((a, b) => a - b)
  const at = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!
  return { p50: at(0.5), p99: at(0.99) }
}

export async function documentBench(serverUrl: string): Promise<string[]> {
  const lines: string[] = []
  const name = `cb_bench_documents_${process.pid}`
  const admin = await openPostgres(serverUrl, 1)
  await sql.raw(`drop database if exists ${name}`).execute(admin.db)
  await sql.raw(`create database ${name}`).execute(admin.db)
  await admin.close()
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  const dir = mkdtempSync(join(tmpdir(), 'cb-bench-docs-'))
  const env = {
    ...process.env,
    DATABASE_URL: url.toString(),
    DATA_DIR: join(dir, 'data'),
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
  const tokenOf = (user: string) => {
    const token = /^cbp_\S+$/m.exec(cli('token', 'create', '--user', user).stdout)?.[0]
    if (!token) throw new Error(`could not create a bench token for ${user}`)
    return token
  }
  const clerk = tokenOf('vanthu.sokhcn')
  const leader = tokenOf('lanhdao.sokhcn')

  const db = await openPostgres(url.toString(), 2)
  let server: ChildProcess | undefined
  try {
    const unitId = (await sql<{ id: string }>`select id from org_units where key = 'so-khcn'`.execute(db.db))
      .rows[0]!.id
    server = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'start'], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    await new Promise<void>((resolve, reject) => {
      server!.stdout!.on('data', (c: Buffer) => c.toString().includes('http://localhost:') && resolve())
      server!.once('exit', (code) => reject(new Error(`server exited ${code}`)))
    })

    // Registrations: each request a different document (its own number), so none is refused as a duplicate.
    let serial = 0
    const http = await autocannon({
      url: `http://127.0.0.1:${PORT}`,
      connections: 10,
      duration: SECONDS,
      requests: [
        {
          method: 'POST',
          path: '/api/v1/documents',
          headers: { authorization: `Bearer ${clerk}`, 'content-type': 'application/json' },
          setupRequest: (request) => ({
            ...request,
            body: JSON.stringify({
              unitId,
              source: 'electronic',
              codeNumber: String(++serial),
              codeNotation: 'UBND-VP',
              issuedOn: '2026-11-20',
              issuerName: 'Ủy ban nhân dân tỉnh Cao Bằng',
              issuerCode: '000.00.00.H10',
              typeCode: 'cong-van',
              summary: `Về việc đo tải đăng ký văn bản đến số ${serial}`,
            }),
          }),
        },
      ],
    })
    const registered = (
      await sql<{ n: number }>`select count(*)::int as n from documents where unit_id = ${unitId}`.execute(
        db.db,
      )
    ).rows[0]!.n
    const registerId = (
      await sql<{ id: string }>`
        select id from document_registers where unit_id = ${unitId} and is_default order by year desc limit 1`.execute(
        db.db,
      )
    ).rows[0]?.id

    // The same writes as one registration, sent by pgbench: the duplicate check under its advisory lock, the
    // register's counter, the document, its first history step, the outbox event and the pending audit entry.
    let tps: number | null = null
    const pgbench = pgbenchPath()
    if (pgbench && registerId) {
      const script = join(dir, 'register.sql')
      writeFileSync(
        script,
        `\\set n random(1, 1000000000)
BEGIN;
SELECT pg_advisory_xact_lock(7302, hashtext('${unitId}|bench|' || :n));
SELECT id FROM documents WHERE unit_id = '${unitId}' AND dedupe_key = 'bench|' || :n LIMIT 1;
INSERT INTO document_counters (register_id, last) VALUES ('${registerId}', 1)
  ON CONFLICT (register_id) DO UPDATE SET last = document_counters.last + 1 RETURNING last \\gset
WITH d AS (
INSERT INTO documents (direction, unit_id, register_id, number, received_at, source, code_number, code_notation,
  issued_on, issuer_name, issuer_code, type_code, summary, urgency, confidentiality, status, dedupe_key)
  VALUES ('incoming', '${unitId}', '${registerId}', :last, now(), 'electronic', :n, 'UBND-VP', '2026-11-20',
  'Ủy ban nhân dân tỉnh Cao Bằng', '000.00.00.H10', 'cong-van', 'Về việc đo tải đăng ký văn bản đến', 'normal',
  'normal', 'registered', 'bench|' || :n)
  RETURNING id)
INSERT INTO document_history (document_id, seq, action, note, at) SELECT id, 1, 'registered', NULL, now() FROM d;
INSERT INTO outbox (topic, payload) VALUES ('document.registered', '{"id":"x"}');
INSERT INTO audit_pending (at, action, outcome, details) VALUES (now(), 'document.registered', 'ok', '{}');
COMMIT;
`,
      )
      const run = spawnSync(
        pgbench,
        ['-n', '-c', '10', '-j', '2', '-T', String(SECONDS), '-f', script, url.toString()],
        { encoding: 'utf8' },
      )
      tps = Number(/tps = ([\d.]+)/.exec(run.stdout)?.[1] ?? NaN)
    }
    lines.push(
      '## Registering incoming documents on the PostgreSQL server',
      '',
      `\`POST /api/v1/documents\` as the clerk (validation, duplicate check under an advisory lock, the register's gap-free number, document, history,`,
      `outbox, pending audit entry), autocannon 10 connections ${SECONDS} s, against \`pgbench -c 10 -j 2 -T ${SECONDS}\` running the same`,
      'statements (bench/documents.ts) in the same run. All registrations go to one register, whose counter row serialises them (numbers without gaps).',
      '',
      '| what | per second | p99 ms | errors |',
      '|---|---:|---:|---:|',
      `| baseline: pgbench, same statements in one transaction | ${tps === null ? 'pgbench not found' : Math.round(tps)} | | |`,
      `| HTTP registrations (${registered} stored) | ${Math.round(http.requests.average)} | ${http.latency.p99} | ${http.errors + http.non2xx} |`,
      '',
      tps ? `Ratio HTTP / pgbench: **${(http.requests.average / tps).toFixed(2)}**.` : '',
      '',
    )

    // A million documents over every unit's register for 2025, with summaries and issuers mixed so that a common
    // query matches a twelfth of them and a number matches one.
    const started = performance.now()
    await sql`
      insert into document_registers (unit_id, year, direction, name, is_default)
      select id, 2025, 'incoming', 'Sổ văn bản đến 2025 (đo tải)', false from org_units
      on conflict do nothing`.execute(db.db)
    await sql`
      with regs as (
        select r.id, r.unit_id, row_number() over (order by r.unit_id) - 1 as i, count(*) over () as n
        from document_registers r where r.year = 2025)
      insert into documents (direction, unit_id, register_id, number, received_at, source, code_number,
        code_notation, issued_on, issuer_name, type_code, summary, urgency, confidentiality, status, dedupe_key)
      select 'incoming', regs.unit_id, regs.id, g, timestamptz '2025-01-01' + (g % 360) * interval '1 day',
        'electronic', (1000000 + g)::text, 'UBND-VP', date '2025-01-01' + (g % 360),
        ((${ISSUERS})::text[])[1 + g % ${ISSUERS.length}],
        'cong-van', ((${SUBJECTS})::text[])[1 + g % ${SUBJECTS.length}] || ' đợt ' || g,
        case when g % 50 = 0 then 'urgent' else 'normal' end, 'normal',
        case when g % 3 = 0 then 'completed' else 'registered' end, 'bulk|' || g
      from generate_series(1, ${BULK}) g
      join regs on regs.i = g % regs.n`.execute(db.db)
    await sql`analyze documents`.execute(db.db)
    const bulkSeconds = (performance.now() - started) / 1000
    const count = (await sql<{ n: number }>`select count(*)::int as n from documents`.execute(db.db)).rows[0]!
      .n
    const inUnit = (
      await sql<{ n: number }>`select count(*)::int as n from documents where unit_id = ${unitId}`.execute(
        db.db,
      )
    ).rows[0]!.n

    const queries = [
      {
        label: 'common words, no diacritics (`q=ke hoach chuyen doi so`)',
        query: 'q=ke+hoach+chuyen+doi+so',
      },
      { label: 'a document number (`q=1000777`)', query: 'q=1000777' },
      {
        label: 'words + issuer + date range',
        query: 'q=bao+cao&issuer=uy+ban+nhan+dan+tinh&from=2025-03-01&to=2025-06-30',
      },
      { label: 'no words: the register, newest first', query: '' },
    ]
    lines.push(
      `## Searching ${count.toLocaleString('en')} documents (PostgreSQL, bulk insert took ${bulkSeconds.toFixed(0)} s)`,
      '',
      `As the leader of Sở Khoa học và Công nghệ (${inUnit.toLocaleString('en')} of them in the unit; the visibility rule applies), autocannon`,
      `10 connections ${SECONDS} s per query. Baseline: the words-only query sent straight to PostgreSQL with the same index (GIN on the`,
      'unaccented tsvector), 200 times in a row, in the same run.',
      '',
      '| query | req/s | p50 ms | p99 ms | target p99 | errors |',
      '|---|---:|---:|---:|---:|---:|',
    )
    for (const { label, query } of queries) {
      const result = await autocannon({
        url: `http://127.0.0.1:${PORT}/api/v1/documents?${query}`,
        connections: 10,
        duration: SECONDS,
        headers: { authorization: `Bearer ${leader}` },
      })
      lines.push(
        `| ${label} | ${Math.round(result.requests.average)} | ${result.latency.p50} | ${result.latency.p99} | ≤ 50 | ${result.errors + result.non2xx} |`,
      )
    }
    const direct = await timeQuery(
      () =>
        sql`select id from documents where unit_id = ${unitId}
              and search @@ to_tsquery('simple', 'ke & hoach & chuyen & doi & so:*')
            order by received_at desc, id desc limit 21`.execute(db.db),
      200,
    )
    lines.push(
      `| baseline: the first query's SQL alone, one connection | | ${direct.p50.toFixed(1)} | ${direct.p99.toFixed(1)} | | |`,
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
