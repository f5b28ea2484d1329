/**
 * Single sign-on (`npm run bench` calls it): client-credential tokens per second from the platform's OIDC
 * provider, against GET /healthz of the same server in the same run. Keycloak sizes client-credential grants
 * at about 120 per second per vCPU (its "Concepts for sizing CPU and memory resources" guide).
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'

const PORT = 3921
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8)
const KEYCLOAK_PER_VCPU = 120

export async function ssoBench(): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cb-bench-sso-'))
  const env = {
    ...process.env,
    DATA_DIR: join(dir, 'data'),
    DATABASE_URL: '',
    PORT: String(PORT),
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${PORT}`,
    LOG_LEVEL: 'warn',
    SEED_DEMO: 'false',
  }
  // Registered through the CLI before the server holds the embedded data directory.
  const created = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/main.ts',
      'sso',
      'client',
      'create',
      '--name',
      'Bench',
      '--grant',
      'client_credentials',
    ],
    { env, encoding: 'utf8' },
  )
  const field = (name: string) => new RegExp(`${name}:\\s+(\\S+)`).exec(created.stdout)?.[1]
  const clientId = field('client_id')
  const secret = field('client_secret')
  if (!clientId || !secret) throw new Error(`sso client create failed: ${created.stderr}`)

  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'start'], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('http://')) resolve()
      })
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)))
    })
    const run = (path: string, init: Partial<autocannon.Options> = {}) =>
      autocannon({ url: `http://127.0.0.1:${PORT}${path}`, connections: 10, duration: SECONDS, ...init })
    const baseline = await run('/healthz')
    const tokens = await run('/oidc/token', {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials&scope=lgsp',
    })
    const cores = cpus().length
    const rate = tokens.requests.average
    return [
      '## Single sign-on: client-credential tokens (embedded database)',
      '',
      `autocannon, 10 connections, ${SECONDS} s, POST /oidc/token (client_secret_basic, hashed secret, token stored in the database).`,
      '',
      '| request | req/s | vs baseline | p50 ms | p99 ms | errors |',
      '|---|---:|---:|---:|---:|---:|',
      `| baseline: GET /healthz | ${Math.round(baseline.requests.average)} | 1.00× | ${baseline.latency.p50} | ${baseline.latency.p99} | ${baseline.errors + baseline.non2xx} |`,
      `| client-credential token | ${Math.round(rate)} | ${(rate / baseline.requests.average).toFixed(2)}× | ${tokens.latency.p50} | ${tokens.latency.p99} | ${tokens.errors + tokens.non2xx} |`,
      '',
      `Per core: **${Math.round(rate / cores)} tokens/s** on ${cores} cores shared with the load generator; Keycloak's sizing guide plans ${KEYCLOAK_PER_VCPU}/s per vCPU (${(rate / cores / KEYCLOAK_PER_VCPU).toFixed(2)}×).`,
      '',
    ]
  } finally {
    child.kill('SIGTERM')
    await new Promise((resolve) => child.once('exit', resolve))
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log((await ssoBench()).join('\n'))
