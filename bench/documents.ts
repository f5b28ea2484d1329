/**
 * Official documents (`npm run bench` calls it):
 * - incoming registrations per second through HTTP against pgbench running the same writes directly, in the
 *   same run;
 * - search latency over a million documents on the PostgreSQL server (words without diacritics, a number,
 *   filters, words only in PDFs, no words, a deep page), for a unit's leader and a specialist, against the bare
 *   statement for the unit alone in the same run;
 * - the same search on the embedded database (PGlite) at a size it holds in memory.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { sql, type RawBuilder } from 'kysely'
import {
  searchDocuments,
  type Scope,
  type SearchFilter,
} from '../src/modules/documents/documents.repository.js'
import { loadConfig } from '../src/platform/config.js'
import { openEmbedded, openPostgres, type Db } from '../src/platform/db/database.js'
import { migrate } from '../src/platform/db/migrate.js'
import { seed } from '../src/seed.js'

const PORT = 3919
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8)
const BULK = Number(process.env.BENCH_DOCUMENTS ?? 1_000_000)
const EMBEDDED = Number(process.env.BENCH_DOCUMENTS_EMBEDDED ?? 100_000)

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

/** Words of the attached PDFs (folded, as `document_texts` keeps them), and topics found only there. */
const PDF_WORDS = (
  'can cu luat to chuc chinh quyen dia phuong nghi dinh thong tu huong dan thi hanh uy ban nhan dan tinh ' +
  'cac so ban nganh doan the huyen xa phuong thi tran to chuc thuc hien noi dung bao cao ket qua kiem tra ' +
  'giam sat danh gia tien do kinh phi du toan nguon von dau tu cong nghe thong tin chuyen doi so du lieu ' +
  'ho so cong viec van ban dien tu chu ky so trien khai phoi hop trach nhiem thu truong co quan don vi ' +
  'noi nhan luu van thu phu luc kem theo bieu mau so lieu thong ke dinh ky hang thang quy nam'
).split(' ')
const PDF_TOPICS = [
  'ngan sach nha nuoc',
  'ha tang ky thuat',
  'an ninh mang',
  'dich vu cong truc tuyen',
  'dat dai',
]

/**
 * Bulk documents with generate_series, in minutes for a million: every unit's register for 2025, one document
 * every 31 seconds of the year spread over the units in turn; summaries and issuers mixed independently (a
 * common query matches a twelfth, an issuer a sixth); one in 50 urgent and one in 97 confidential. Assignments
 * as a past year of work leaves them, all completed (open ones past their deadline would set the reminder scan
 * to work during the measurement): two documents in three to their own unit, half of Sở KH&CN's documents to its
 * specialist, one in ten of the province committee's documents handed down to Sở KH&CN. One document in five
 * has PDF text: about 80 words from 50 texts, and a topic found nowhere in the summaries.
 */
export async function loadDocuments(db: Db, count: number): Promise<number> {
  const started = performance.now()
  const list = (values: string[]) => sql`array[${sql.join(values.map((v) => sql`${v}`))}]::text[]`
  const texts = Array.from({ length: 50 }, (_, i) =>
    Array.from({ length: 80 }, (_, k) => PDF_WORDS[(i * 31 + k * 7) % PDF_WORDS.length]).join(' '),
  )
  await sql`
    insert into document_registers (unit_id, year, direction, name, is_default)
    select id, 2025, 'incoming', 'Sổ văn bản đến 2025 (đo tải)', false from org_units
    on conflict do nothing`.execute(db)
  await sql`
    with regs as (
      select r.id, r.unit_id, row_number() over (order by r.unit_id) - 1 as i, count(*) over () as n
      from document_registers r where r.name = 'Sổ văn bản đến 2025 (đo tải)')
    insert into documents (direction, unit_id, register_id, number, received_at, source, code_number,
      code_notation, issued_on, issuer_name, type_code, summary, urgency, confidentiality, status, dedupe_key)
    select 'incoming', regs.unit_id, regs.id, g, timestamptz '2025-01-01 08:00+07' + g * interval '31 seconds',
      'electronic', (1000000 + g)::text, 'UBND-VP',
      (timestamptz '2025-01-01 08:00+07' + g * interval '31 seconds')::date - g % 4,
      (${list(ISSUERS)})[1 + (g / 7) % ${ISSUERS.length}],
      'cong-van', (${list(SUBJECTS)})[1 + g % ${SUBJECTS.length}] || ' đợt ' || g,
      case when g % 50 = 0 then 'urgent' else 'normal' end,
      case when g % 97 = 0 then 'confidential' else 'normal' end,
      case when g % 3 = 0 then 'completed' else 'registered' end, 'bulk|' || g
    from generate_series(1, ${count}) g
    join regs on regs.i = g % regs.n`.execute(db)
  const assign = (who: RawBuilder<unknown>, where: RawBuilder<unknown>) => sql`
    insert into document_assignments (document_id, assignee_unit_id, assignee_user_id, assignee_name, role,
      status, assigned_at, due_at, finished_at)
    select d.id, ${who}, 'Đơn vị', 'lead', 'completed', d.received_at + interval '1 hour',
      d.received_at + interval '10 days', d.received_at + interval '3 days'
    from documents d join document_registers r on r.id = d.register_id
    where r.name = 'Sổ văn bản đến 2025 (đo tải)' and ${where}`
  await assign(sql`d.unit_id, null`, sql`d.number % 3 <> 0`).execute(db)
  await assign(
    sql`null, (select id from users where username = 'chuyenvien.sokhcn')`,
    sql`d.unit_id = (select id from org_units where key = 'so-khcn') and d.number % 2 = 0`,
  ).execute(db)
  await assign(
    sql`(select id from org_units where key = 'so-khcn'), null`,
    sql`d.unit_id = (select id from org_units where key = 'ubnd-tinh') and d.number % 10 = 0`,
  ).execute(db)
  await sql`
    insert into document_texts (document_id, search, updated_at)
    select d.id, d.search || to_tsvector('simple',
      (${list(texts)})[1 + (d.number / 5) % 50] || ' ' || (${list(PDF_TOPICS)})[1 + (d.number / 5) % 5]), now()
    from documents d join document_registers r on r.id = d.register_id
    where r.name = 'Sổ văn bản đến 2025 (đo tải)' and d.number % 5 = 0`.execute(db)
  // As autovacuum leaves a table a year old: statistics, and the visibility map that index-only scans rely on.
  await sql`vacuum analyze documents, document_assignments, document_texts`.execute(db)
  return (performance.now() - started) / 1000
}

type Shape = { label: string; query: string; filter: Omit<SearchFilter, 'limit'>; bare: RawBuilder<unknown> }

/** The query shapes measured, with the bare statement for the unit alone that each is compared with. */
async function shapesFor(db: Db, unitId: string): Promise<Shape[]> {
  const page = sql`order by received_at desc, id desc limit 51`
  const words = (q: string) => sql`to_tsquery('simple', ${q})`
  // A document some way down the unit's register: its number is searched for, and a page starts after it.
  const inUnit = (
    await sql<{ n: number }>`select count(*)::int as n from documents where unit_id = ${unitId}`.execute(db)
  ).rows[0]!.n
  const depth = Math.min(3000, Math.floor(inUnit / 2))
  const pick = (
    await sql<{ code_number: string; received_at: Date; id: string }>`
      select code_number, received_at, id from documents where unit_id = ${unitId}
      order by received_at desc, id desc offset ${depth} limit 1`.execute(db)
  ).rows[0]!
  const cursor = `${pick.received_at.toISOString()}_${pick.id}`
  return [
    {
      label: 'common words, no diacritics (`q=ke hoach chuyen doi so`)',
      query: 'q=ke+hoach+chuyen+doi+so',
      filter: { tsquery: 'ke & hoach & chuyen & doi & so:*' },
      bare: sql`select id from documents where unit_id = ${unitId}
        and search @@ ${words('ke & hoach & chuyen & doi & so:*')} ${page}`,
    },
    {
      label: `a document number (\`q=${pick.code_number}\`)`,
      query: `q=${pick.code_number}`,
      filter: { tsquery: `${pick.code_number}:*` },
      bare: sql`select id from documents where unit_id = ${unitId}
        and search @@ ${words(`${pick.code_number}:*`)} ${page}`,
    },
    {
      label: 'words + issuer + date range (`q=bao cao&issuer=so thong tin&from=2025-03-01&to=2025-06-30`)',
      query: 'q=bao+cao&issuer=so+thong+tin&from=2025-03-01&to=2025-06-30',
      filter: { tsquery: 'bao & cao:*', issuer: 'so thong tin', from: '2025-03-01', to: '2025-06-30' },
      bare: sql`select id from documents where unit_id = ${unitId} and search @@ ${words('bao & cao:*')}
        and f_unaccent(issuer_name) like '%so thong tin%' and issued_on between '2025-03-01' and '2025-06-30'
        ${page}`,
    },
    {
      label: 'words found only in attached PDFs (`q=an ninh mang`)',
      query: 'q=an+ninh+mang',
      filter: { tsquery: 'an & ninh & mang:*' },
      bare: sql`select id from documents d where unit_id = ${unitId}
        and (search @@ ${words('an & ninh & mang:*')} or exists (select 1 from document_texts x
          where x.document_id = d.id and x.search @@ ${words('an & ninh & mang:*')})) ${page}`,
    },
    {
      label: 'no words: the register, newest first',
      query: '',
      filter: { tsquery: null },
      bare: sql`select id from documents where unit_id = ${unitId} ${page}`,
    },
    {
      label: `no words, page ${Math.floor(depth / 50) + 1} (\`before=\` ${depth.toLocaleString('en')} documents)`,
      query: `before=${encodeURIComponent(cursor)}`,
      filter: { tsquery: null, before: { receivedAt: pick.received_at, id: pick.id } },
      bare: sql`select id from documents where unit_id = ${unitId}
        and (received_at, id) < (${pick.received_at}, ${pick.id}::uuid) ${page}`,
    },
  ]
}

/** The scopes of Sở KH&CN's leader and specialist, as the documents service builds them from their roles. */
async function scopesFor(db: Db, unitId: string): Promise<Record<'leader' | 'specialist', Scope>> {
  const userId = async (username: string) =>
    (await sql<{ id: string }>`select id from users where username = ${username}`.execute(db)).rows[0]!.id
  return {
    leader: {
      userId: await userId('lanhdao.sokhcn'),
      readUnits: [unitId],
      leaderUnits: [unitId],
      processUnits: [unitId],
    },
    specialist: {
      userId: await userId('chuyenvien.sokhcn'),
      readUnits: [],
      leaderUnits: [],
      processUnits: [unitId],
    },
  }
}

const ms = (value: number) => (value < 10 ? value.toFixed(1) : value.toFixed(0))
const load = () => `load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores (\`uptime\`)`

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

    // A million documents (loadDocuments), searched by Sở KH&CN's leader and specialist.
    const bulkSeconds = await loadDocuments(db.db, BULK)
    const count = (await sql<{ n: number }>`select count(*)::int as n from documents`.execute(db.db)).rows[0]!
      .n
    const inUnit = (
      await sql<{ n: number }>`select count(*)::int as n from documents where unit_id = ${unitId}`.execute(
        db.db,
      )
    ).rows[0]!.n
    const specialist = tokenOf('chuyenvien.sokhcn')
    const shapes = await shapesFor(db.db, unitId)
    const scopes = await scopesFor(db.db, unitId)
    // One connection of its own for the sequential timings, JIT off as the search sets it for itself.
    const single = await openPostgres(url.toString(), 1)
    await sql`set jit = off`.execute(single.db)
    const loadBefore = load()
    const api = (path: string, token: string, connections: number) =>
      autocannon({
        url: `http://127.0.0.1:${PORT}${path}`,
        connections,
        duration: SECONDS,
        headers: { authorization: `Bearer ${token}` },
      })
    // What any authenticated API call costs here: the token, the actor, one small query, JSON.
    const floor = [
      await api('/api/v1/document-types', leader, 1),
      await api('/api/v1/document-types', leader, 10),
    ]
    const rows: string[] = [
      `| baseline: \`GET /api/v1/document-types\` (token, actor, one small query) | | | | ${floor[0]!.latency.p50} / ${floor[0]!.latency.p99} | ${Math.round(floor[1]!.requests.average)} | ${floor[1]!.latency.p50} / ${floor[1]!.latency.p99} | | ${floor[0]!.errors + floor[0]!.non2xx + floor[1]!.errors + floor[1]!.non2xx} |`,
    ]
    try {
      for (const shape of shapes) {
        const found = await Promise.all(
          [scopes.leader, scopes.specialist].map(
            async (scope) => (await searchDocuments(single.db, scope, { ...shape.filter, limit: 51 })).length,
          ),
        )
        const bare = await timeQuery(() => shape.bare.execute(single.db), 200)
        const direct = await timeQuery(
          () => searchDocuments(single.db, scopes.leader, { ...shape.filter, limit: 51 }),
          200,
        )
        const path = `/api/v1/documents?${shape.query}`
        const alone = await api(path, leader, 1)
        const asLeader = await api(path, leader, 10)
        const asSpecialist = await api(path, specialist, 10)
        const errors = [alone, asLeader, asSpecialist].reduce((n, r) => n + r.errors + r.non2xx, 0)
        rows.push(
          `| ${shape.label} | ${found.join(' / ')} | ${ms(bare.p50)} / ${ms(bare.p99)} | ${ms(direct.p50)} / ${ms(direct.p99)} | ${alone.latency.p50} / **${alone.latency.p99}** | ${Math.round(asLeader.requests.average)} | ${asLeader.latency.p50} / ${asLeader.latency.p99} | ${asSpecialist.latency.p50} / ${asSpecialist.latency.p99} | ${errors} |`,
        )
      }
    } finally {
      await single.close()
    }
    lines.push(
      `## Searching ${count.toLocaleString('en')} documents (PostgreSQL; generating them took ${bulkSeconds.toFixed(0)} s)`,
      '',
      `Sở Khoa học và Công nghệ holds ${inUnit.toLocaleString('en')} of them. Its leader sees the unit's register and what was assigned to the unit`,
      'or to them; its specialist what was assigned to the unit (ordinary documents) or to them in person (about 6,400) — the visibility rule',
      'applies in every row. All figures in milliseconds. "bare SQL": the statement for the unit alone (`unit_id = …` with the words and',
      'filters, newest first, no visibility rule), 200 times on one connection. "searchDocuments": the repository function for the leader, 200',
      `times on one connection. "HTTP": \`GET /api/v1/documents\` through the running server with autocannon, ${SECONDS} s each: one connection`,
      '(the latency of one search; **the target p99 ≤ 50**), then 10 connections for the leader and for the specialist (throughput: the server,',
      'PostgreSQL and autocannon share the 2 cores, so latency there is mostly queueing). "found": the first page (at most 51) for the',
      `leader / the specialist. PostgreSQL at its Debian settings (shared_buffers 128 MB). Before: ${loadBefore}; after: ${load()}.`,
      '',
      '| query | found | bare SQL p50 / p99 | searchDocuments p50 / p99 | HTTP, 1 connection, p50 / p99 | HTTP, 10 conn., req/s (leader) | HTTP, 10 conn., leader p50 / p99 | HTTP, 10 conn., specialist p50 / p99 | errors |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...rows,
      '',
    )

    // Registrations, after the search (so its newest documents are the generated year, not this burst) and into a
    // table of a million documents: each request a different document (its own number), none refused as a duplicate.
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
      await sql<{ n: number }>`
        select count(*)::int as n from documents d join document_registers r on r.id = d.register_id
        where r.unit_id = ${unitId} and r.is_default`.execute(db.db)
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
      'statements (bench/documents.ts) in the same run, with the million documents below already stored. All registrations go to one register, whose counter',
      'row serialises them (numbers without gaps).',
      '',
      '| what | per second | p99 ms | errors |',
      '|---|---:|---:|---:|',
      `| baseline: pgbench, same statements in one transaction | ${tps === null ? 'pgbench not found' : Math.round(tps)} | | |`,
      `| HTTP registrations (${registered} stored) | ${Math.round(http.requests.average)} | ${http.latency.p99} | ${http.errors + http.non2xx} |`,
      '',
      tps ? `Ratio HTTP / pgbench: **${(http.requests.average / tps).toFixed(2)}**.` : '',
      '',
    )
  } finally {
    // The server finishes and closes its connections before the database is dropped under it.
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve))
      server.kill('SIGTERM')
      await exited
    }
    await db.close()
    rmSync(dir, { recursive: true, force: true })
    const again = await openPostgres(serverUrl, 1)
    await sql.raw(`drop database if exists ${name} with (force)`).execute(again.db)
    await again.close()
  }
  return lines
}

/**
 * The same search on the embedded database (PGlite, in memory, in this process): `EMBEDDED` documents (a
 * million does not fit the memory of one WebAssembly instance), timed one query after another as the single
 * connection PGlite has, against the bare statement for the unit alone.
 */
export async function documentEmbeddedBench(): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cb-bench-docs-embedded-'))
  const database = await openEmbedded(undefined)
  try {
    await migrate(database.db)
    const config = loadConfig({
      SECRET_KEY: 'bench-secret-key-0123456789abcdefghij',
      DATA_DIR: dir,
      LOG_LEVEL: 'silent',
    })
    await seed(database.db, config, true)
    const seconds = await loadDocuments(database.db, EMBEDDED)
    const unitId = (
      await sql<{ id: string }>`select id from org_units where key = 'so-khcn'`.execute(database.db)
    ).rows[0]!.id
    const inUnit = (
      await sql<{ n: number }>`select count(*)::int as n from documents where unit_id = ${unitId}`.execute(
        database.db,
      )
    ).rows[0]!.n
    const shapes = await shapesFor(database.db, unitId)
    const scopes = await scopesFor(database.db, unitId)
    const loadBefore = load()
    const rows: string[] = []
    for (const shape of shapes) {
      const run = (scope: Scope) => () => searchDocuments(database.db, scope, { ...shape.filter, limit: 51 })
      const found = [(await run(scopes.leader)()).length, (await run(scopes.specialist)()).length]
      const bare = await timeQuery(() => shape.bare.execute(database.db), 100)
      const leader = await timeQuery(run(scopes.leader), 100)
      const specialist = await timeQuery(run(scopes.specialist), 100)
      rows.push(
        `| ${shape.label} | ${found.join(' / ')} | ${ms(bare.p50)} / ${ms(bare.p99)} | ${ms(leader.p50)} / **${ms(leader.p99)}** | ${ms(specialist.p50)} / **${ms(specialist.p99)}** |`,
      )
    }
    return [
      `## Searching ${EMBEDDED.toLocaleString('en')} documents on the embedded database (PGlite; generating them took ${seconds.toFixed(0)} s)`,
      '',
      `The same data set at a tenth of the size (Sở KH&CN holds ${inUnit.toLocaleString('en')}), in memory, in the bench process; each query 100 times`,
      'one after another (PGlite serves one query at a time). A million documents are not measured here: generating them in one WebAssembly',
      `instance (single-threaded, memory-bound) is impractical; the embedded mode is for a commune or a trial. Before: ${loadBefore}; after: ${load()}.`,
      '',
      '| query | found (leader / specialist) | bare SQL p50 / p99 | searchDocuments, leader p50 / p99 | searchDocuments, specialist p50 / p99 |',
      '|---|---:|---:|---:|---:|',
      ...rows,
      '',
    ]
  } finally {
    await database.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

// `npx tsx bench/documents.ts`: these sections alone, printed (npm run bench writes them into docs/benchmarks.md).
if (import.meta.url === `file://${process.argv[1]}`) {
  const server = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
  console.log([...(await documentBench(server)), ...(await documentEmbeddedBench())].join('\n'))
}
