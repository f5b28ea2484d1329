import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// `npm start` as an operator runs it: embedded database in a fresh data directory.
let dir: string
let server: ChildProcess
let output = ''
const port = 3700 + Math.floor(Math.random() * 200)
const env = () => ({
  ...process.env,
  DATA_DIR: dir,
  DATABASE_URL: '',
  PORT: String(port),
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
})

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cb-start-'))
  server = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'start'], {
    env: env(),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  server.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  server.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const deadline = Date.now() + 120_000
  while (!output.includes('đang chạy tại') && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 200))
}, 150_000)
afterAll(() => {
  if (server.exitCode === null) server.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

describe('npm start', { timeout: 150_000 }, () => {
  it('serves the home page and prints the demo accounts on first start', async () => {
    expect(output).toContain(`http://localhost:${port}`)
    expect(output).toMatch(/quantri\s+Quản trị hệ thống/)
    const home = await fetch(`http://127.0.0.1:${port}/`)
    expect(home.status).toBe(200)
    expect(await home.text()).toContain('Chính quyền số tỉnh Cao Bằng')
  })

  it('refuses a second process on the same data directory with a clear message', () => {
    const second = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'start'], {
      env: { ...env(), PORT: String(port + 1) },
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(second.status).toBe(78)
    expect(second.stderr).toContain(`đang được tiến trình ${server.pid} sử dụng`)
  })

  it('shuts down cleanly on SIGTERM and releases the data directory', async () => {
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)))
    server.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(existsSync(join(dir, 'pglite.lock'))).toBe(false)
  })

  it('reuses the data on the next start without seeding the demo accounts again', () => {
    const again = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'seed', '--demo'], {
      env: env(),
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(again.status).toBe(0)
    expect(again.stdout).toContain('Đơn vị: thêm 0, cập nhật 0; thủ tục: thêm 0; tài khoản dùng thử: 0')
  })
})
