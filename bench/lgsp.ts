/**
 * LGSP gateway (`npm run bench` calls it): the same local provider called directly and through the gateway
 * (`/r1/…`, bearer token checked, access right checked, every exchange recorded in the message log), in the same
 * run, with the same load generator. The target is ≥ 0.7× the direct throughput; for scale, a published X-Road
 * measurement (nordic-institute/X-Road issue #1321) shows a consumer/provider security-server pair at about 0.11×.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { sql } from 'kysely'
import { openPostgres } from '../src/platform/db/database.js'

const PORT = 3923
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8)
const CONNECTIONS = 10
const BODY = JSON.stringify({ maHoSo: '000.00.00.H14-260301-0001', trangThai: 4, ghiChu: 'x'.repeat(900) })

/** The provider: a plain node:http server in its own process, answering a small JSON document or an echo. */
const PROVIDER_SOURCE = `
const http = require('node:http')
const answer = JSON.stringify({ maHoSo: '000.00.00.H14-260301-0001', trangThai: 4, tenThuTuc: 'Cấp giấy phép xây dựng' })
const server = http.createServer((req, res) => {
  if (req.method === 'POST') {
    res.writeHead(200, { 'content-type': req.headers['content-type'] || 'application/octet-stream' })
    req.pipe(res)
    return
  }
  req.resume()
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(answer)
})
server.keepAliveTimeout = 60000
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port))
`

/**
 * The ceiling for any proxy written for Node on this machine: a bare node:http reverse proxy (keep-alive pool,
 * bodies piped both ways) with no checks, no hashing and no log. Its figure in the same run shows how much of the
 * gap to the direct figure is the second HTTP hop itself rather than the gateway's work.
 */
const BARE_PROXY_SOURCE = `
const http = require('node:http')
const target = new URL(process.argv[1])
const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, scheduling: 'lifo' })
const server = http.createServer((req, res) => {
  const headers = { ...req.headers, host: target.host }
  const upstream = http.request({ hostname: target.hostname, port: target.port, path: req.url, method: req.method, headers, agent }, (answer) => {
    res.writeHead(answer.statusCode, answer.headers)
    answer.pipe(res)
  })
  upstream.on('error', () => { res.statusCode = 502; res.end() })
  req.pipe(upstream)
})
server.keepAliveTimeout = 60000
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port))
`

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICK_US = 1_000_000 / 100

/** CPU time (user + system, in ticks) a process has used so far, or undefined where /proc cannot tell. */
function cpuTicks(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    // The command name (field 2) may hold spaces; the fields after it are counted from its closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[11]) + Number(fields[12])
  } catch {
    return undefined
  }
}

async function startProvider(
  source = PROVIDER_SOURCE,
  ...args: string[]
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['-e', source, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      const match = /port (\d+)/.exec(chunk.toString())
      if (match) resolve(match[1]!)
    })
    child.once('exit', (code) => reject(new Error(`provider exited with ${code}`)))
  })
  return { child, url: `http://127.0.0.1:${port}` }
}

async function json(url: string, init: RequestInit & { token: string }) {
  const response = await fetch(url, {
    ...init,
    headers: { authorization: `Bearer ${init.token}`, 'content-type': 'application/json' },
  })
  if (response.status >= 300)
    throw new Error(`${init.method ?? 'GET'} ${url}: ${response.status} ${await response.text()}`)
  return (await response.json()) as Record<string, string>
}

type Mode = { label: string; env: Record<string, string>; cleanup?: () => Promise<void> }

async function embeddedMode(dir: string): Promise<Mode> {
  return { label: 'embedded database (PGlite)', env: { DATA_DIR: join(dir, 'data'), DATABASE_URL: '' } }
}

async function postgresMode(dir: string, serverUrl: string): Promise<Mode> {
  const name = `cb_bench_lgsp_${process.pid}`
  const admin = await openPostgres(serverUrl, 1)
  await sql.raw(`drop database if exists ${name}`).execute(admin.db)
  await sql.raw(`create database ${name}`).execute(admin.db)
  await admin.close()
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return {
    label: 'PostgreSQL server',
    env: { DATA_DIR: join(dir, 'data'), DATABASE_URL: url.toString() },
    cleanup: async () => {
      const again = await openPostgres(serverUrl, 1)
      await sql.raw(`drop database if exists ${name} with (force)`).execute(again.db)
      await again.close()
    },
  }
}

async function measure(mode: Mode, dir: string): Promise<string[]> {
  const base = `http://127.0.0.1:${PORT}`
  const env = {
    ...process.env,
    ...mode.env,
    PORT: String(PORT),
    HOST: '127.0.0.1',
    PUBLIC_URL: base,
    LOG_LEVEL: 'warn',
    SEED_DEMO: 'true',
    SECRET_KEY: 'bench-secret-key-0123456789abcdefghij',
    API_RATE_LIMIT: '1000000',
  }
  const cli = (...args: string[]) => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
      env,
      encoding: 'utf8',
    })
    if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr}`)
    return result.stdout
  }
  // Prepared through the CLI before the server holds the embedded data directory.
  cli('seed', '--demo')
  const adminToken = /^cbp_\S+$/m.exec(cli('token', 'create', '--user', 'quantri'))?.[0]
  const created = cli('sso', 'client', 'create', '--name', 'Bench LGSP', '--grant', 'client_credentials')
  const field = (name: string) => new RegExp(`${name}:\\s+(\\S+)`).exec(created)?.[1]
  const clientId = field('client_id')
  const secret = field('client_secret')
  if (!adminToken || !clientId || !secret) throw new Error('bench setup failed (token or SSO client)')

  const provider = await startProvider()
  const bareProxy = await startProvider(BARE_PROXY_SOURCE, provider.url)
  const profile = process.env.BENCH_LGSP_PROFILE
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_LGSP_PROFILE}`]
    : []
  const server = spawn(process.execPath, [...profile, '--import', 'tsx', 'src/main.ts', 'start'], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  try {
    await new Promise<void>((resolve, reject) => {
      server.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('http://')) resolve()
      })
      server.once('exit', (code) => reject(new Error(`server exited with ${code}`)))
    })
    const api = (path: string, body: unknown) =>
      json(`${base}/api/v1${path}`, { method: 'POST', body: JSON.stringify(body), token: adminToken })
    await api('/lgsp/allowed-hosts', { host: new URL(provider.url).host })
    const member = await api('/lgsp/members', {
      memberClass: 'GOV',
      memberCode: '000.00.00.H14',
      name: 'UBND tỉnh',
    })
    const client = await api(`/lgsp/members/${member.id}/subsystems`, {
      code: 'MOTCUA',
      name: 'Một cửa',
      ssoClientId: clientId,
      rateLimitPerMinute: 1_000_000,
    })
    const providerSubsystem = await api(`/lgsp/members/${member.id}/subsystems`, {
      code: 'DANCU',
      name: 'Dân cư',
    })
    const service = await api(`/lgsp/subsystems/${providerSubsystem.id}/services`, {
      code: 'ho-so',
      version: 'v1',
      title: 'Hồ sơ',
      baseUrl: `${provider.url}/v1`,
    })
    await api(`/lgsp/services/${service.id}/rights`, {
      client: client.identifier,
      methods: ['*'],
      pathPattern: '/**',
    })
    const tokenResponse = await fetch(`${base}/oidc/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials&scope=lgsp',
    })
    const bearer = ((await tokenResponse.json()) as { access_token: string }).access_token
    const gatewayHeaders = { authorization: `Bearer ${bearer}`, 'x-road-client': client.identifier! }
    const gatewayUrl = `${base}/r1/VN/GOV/000.00.00.H14/DANCU/ho-so`

    /** One load run; `pid` is the process whose CPU time per request is read from /proc around it. */
    const run = async (url: string, pid: number | undefined, init: Partial<autocannon.Options> = {}) => {
      const before = cpuTicks(pid)
      const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, ...init })
      const after = cpuTicks(pid)
      const cpuUs =
        before !== undefined && after !== undefined && result.requests.total > 0
          ? ((after - before) * TICK_US) / result.requests.total
          : undefined
      return { ...result, cpuUs }
    }
    type Run = Awaited<ReturnType<typeof run>>
    // Warm both paths (JIT, connection pools, the registry snapshot) before measuring.
    await run(`${provider.url}/v1/ho-so/1`, undefined, { duration: 2 })
    await run(`${bareProxy.url}/v1/ho-so/1`, undefined, { duration: 2 })
    await run(`${gatewayUrl}/ho-so/1`, undefined, { duration: 2, headers: gatewayHeaders })
    const post = { method: 'POST' as const, body: BODY }
    // The platform's own cheapest request, for what its HTTP pipeline costs on this machine in this run.
    const healthz = await run(`${base}/healthz`, server.pid)
    const directGet = await run(`${provider.url}/v1/ho-so/1`, provider.child.pid)
    const bareGet = await run(`${bareProxy.url}/v1/ho-so/1`, bareProxy.child.pid)
    const gatewayGet = await run(`${gatewayUrl}/ho-so/1`, server.pid, { headers: gatewayHeaders })
    const jsonType = { 'content-type': 'application/json' }
    const directPost = await run(`${provider.url}/v1/echo`, provider.child.pid, {
      ...post,
      headers: jsonType,
    })
    const barePost = await run(`${bareProxy.url}/v1/echo`, bareProxy.child.pid, {
      ...post,
      headers: jsonType,
    })
    const gatewayPost = await run(`${gatewayUrl}/echo`, server.pid, {
      ...post,
      headers: { ...gatewayHeaders, ...jsonType },
    })
    const statuses = (r: Run) => {
      const odd = Object.entries(r.statusCodeStats ?? {}).filter(([code]) => !code.startsWith('2'))
      return odd.length ? ` (${odd.map(([code, { count }]) => `${code}: ${count}`).join(', ')})` : ''
    }
    const cpu = (r: Run) => (r.cpuUs === undefined ? '—' : String(Math.round(r.cpuUs)))
    const row = (label: string, r: Run, direct?: Run) =>
      `| ${label} | ${Math.round(r.requests.average)} | ${direct ? (r.requests.average / direct.requests.average).toFixed(2) : '1.00'}× | ${r.latency.p50} | ${r.latency.p99} | ${direct ? `+${(r.latency.p50 - direct.latency.p50).toFixed(0)} / +${(r.latency.p99 - direct.latency.p99).toFixed(0)}` : '—'} | ${cpu(r)} | ${r.errors + r.non2xx}${statuses(r)} |`
    const ratio = (a: Run, b: Run) => (a.requests.average / b.requests.average).toFixed(2)
    const cpuRatio = (a: Run, b: Run) =>
      a.cpuUs !== undefined && b.cpuUs !== undefined ? `${(a.cpuUs / b.cpuUs).toFixed(1)}×` : '—'
    return [
      `## LGSP gateway vs calling the provider directly (${mode.label})`,
      '',
      `autocannon, ${CONNECTIONS} connections, ${SECONDS} s per row, load average ${loadavg()[0]!.toFixed(1)} at the end; the provider is a node:http server in its own process on 127.0.0.1. Through the gateway each call is authenticated (SSO bearer token, \`LGSP_TOKEN_CACHE_SECONDS\` default 5), checked against the registry and the access rights, streamed with SHA-256 of both bodies, and recorded in the message log (group commit; chained and signed in batches every second). The bare proxy is a node:http reverse proxy with no checks and no log, the ceiling for a proxy in Node on this machine. "CPU µs/req" is the CPU time (user + system, from /proc) of the process that serves the row (the provider, the bare proxy, or the platform) per request; unlike req/s it hardly moves with other load on the machine. Target ≥ 0.7× direct.`,
      '',
      '| request | req/s | vs direct | p50 ms | p99 ms | added p50 / p99 ms | CPU µs/req | errors |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
      row('platform baseline: GET /healthz (no database)', healthz, directGet),
      row('direct: GET (≈130 B JSON)', directGet),
      row('bare node:http proxy, no checks or log: GET', bareGet, directGet),
      row('through the gateway: GET', gatewayGet, directGet),
      row('direct: POST 1 KB echo', directPost),
      row('bare node:http proxy: POST 1 KB echo', barePost, directPost),
      row('through the gateway: POST 1 KB echo', gatewayPost, directPost),
      '',
      `Gateway vs the bare proxy in the same run: GET ${ratio(gatewayGet, bareGet)}× the throughput at ${cpuRatio(gatewayGet, bareGet)} the CPU per request; POST ${ratio(gatewayPost, barePost)}× at ${cpuRatio(gatewayPost, barePost)}. Gateway GET vs the platform's own /healthz: ${ratio(gatewayGet, healthz)}×.`,
      '',
    ]
  } finally {
    if (server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve))
      server.kill('SIGTERM')
      await exited
    }
    provider.child.kill('SIGTERM')
    bareProxy.child.kill('SIGTERM')
    rmSync(join(dir, 'data'), { recursive: true, force: true })
  }
}

export async function lgspBench(postgresUrl?: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cb-bench-lgsp-'))
  const lines: string[] = []
  try {
    if (process.env.BENCH_LGSP_ONLY !== 'postgres')
      lines.push(...(await measure(await embeddedMode(dir), dir)))
    if (postgresUrl) {
      const mode = await postgresMode(dir, postgresUrl)
      try {
        lines.push(...(await measure(mode, dir)))
      } finally {
        await mode.cleanup?.()
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return lines
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const postgres =
    process.env.BENCH_SKIP_POSTGRES === '1'
      ? undefined
      : (process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres')
  console.log((await lgspBench(postgres)).join('\n'))
}
