import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openPostgres, type Database } from '../src/platform/db/database.js'

// Crash safety on the real PostgreSQL server: it runs in the CI pass that sets DATABASE_URL.
const serverUrl = process.env.DATABASE_URL
const name = `cb_test_${process.env.TEST_RUN_ID ?? 'x'}_crash_${randomBytes(4).toString('hex')}`
const port = 3900 + Math.floor(Math.random() * 90)
let url = ''
let server: ChildProcess | undefined
let token = ''
let wardId = ''
let database: Database

const env = () => ({
  ...process.env,
  DATABASE_URL: url,
  SECRET_KEY: 'crash-test-secret-key-0123456789abcdef',
  PORT: String(port),
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  API_RATE_LIMIT: '100000',
  SEED_DEMO: 'true',
})
const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    env: env(),
    encoding: 'utf8',
    timeout: 120_000,
  })

async function start(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'start'], {
    env: env(),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (c: Buffer) => (output += c.toString()))
  child.stderr.on('data', (c: Buffer) => (output += c.toString()))
  const deadline = Date.now() + 60_000
  while (!output.includes('đang chạy tại')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server did not start: ${output}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  return child
}

async function submit(key: string): Promise<{ status: number; code?: string }> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/api/v1/dossiers`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'idempotency-key': key,
      },
      body: JSON.stringify({
        procedureCode: '2.000815',
        unitId: wardId,
        channel: 'counter',
        applicant: { name: 'Người Thử Nghiệm', phone: '0912345678' },
        form: {
          applicantFullName: 'Người Thử Nghiệm',
          applicantIdNumber: '004090000001',
          documentTitle: 'Bằng tốt nghiệp',
          pageCount: 1,
          copyCount: 2,
        },
      }),
    })
    const body = (await response.json()) as { code?: string }
    return { status: response.status, code: body.code }
  } catch {
    return { status: 0 } // the server died under us
  }
}

describe.skipIf(!serverUrl)('crash safety on PostgreSQL', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    const admin = await openPostgres(serverUrl!, 1)
    await sql.raw(`create database ${name}`).execute(admin.db)
    await admin.close()
    const u = new URL(serverUrl!)
    u.pathname = `/${name}`
    url = u.toString()
    expect(cli('seed', '--demo').status).toBe(0)
    token = /^cbp_\S+$/m.exec(cli('token', 'create', '--user', 'motcua.thucphan').stdout)![0]
    database = await openPostgres(url, 2)
    wardId = (
      await sql<{ id: string }>`select id from org_units where key = 'phuong-thuc-phan'`.execute(database.db)
    ).rows[0]!.id
  }, 180_000)

  afterAll(async () => {
    if (server && server.exitCode === null) server.kill('SIGKILL')
    await database?.close()
    const admin = await openPostgres(serverUrl!, 1)
    await sql.raw(`drop database if exists ${name} with (force)`).execute(admin.db)
    await admin.close()
  })

  it('keeps every acknowledged submission exactly once after a SIGKILL and retries', async () => {
    server = await start()
    const keys = Array.from(
      { length: 80 },
      (_, i) => `crash-${i.toString().padStart(4, '0')}-${randomBytes(4).toString('hex')}`,
    )
    const acknowledged = new Map<string, string>()
    let killed = false
    // Ten clients submit in parallel; the server is killed once a third of the keys are acknowledged.
    await Promise.all(
      Array.from({ length: 10 }, async (_, client) => {
        for (let i = client; i < keys.length; i += 10) {
          const result = await submit(keys[i]!)
          if (result.status === 201 || result.status === 200) acknowledged.set(keys[i]!, result.code!)
          if (!killed && acknowledged.size >= keys.length / 3) {
            killed = true
            server!.kill('SIGKILL')
          }
        }
      }),
    )
    expect(killed).toBe(true)
    expect(acknowledged.size).toBeGreaterThan(0)
    expect(acknowledged.size).toBeLessThan(keys.length)

    server = await start()
    for (const key of keys) {
      const result = await submit(key)
      expect([200, 201]).toContain(result.status)
      if (acknowledged.has(key)) {
        // Acknowledged before the crash: the retry finds the same dossier.
        expect(result.status).toBe(200)
        expect(result.code).toBe(acknowledged.get(key))
      }
    }

    const rows = await sql<{ code: string; idempotency_key: string }>`
      select code, idempotency_key from dossiers where idempotency_key like 'crash-%'`.execute(database.db)
    expect(rows.rows.length).toBe(keys.length)
    expect(new Set(rows.rows.map((r) => r.code)).size).toBe(keys.length)
    expect(new Set(rows.rows.map((r) => r.idempotency_key))).toEqual(new Set(keys))
    server.kill('SIGTERM')
  })
})
