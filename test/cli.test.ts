import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PGLITE_EXTENSIONS } from '../src/platform/db/database.js'

// The CLI as an operator runs it, on its own embedded data directory.
let dir: string
const env = () => ({
  ...process.env,
  DATA_DIR: dir,
  DATABASE_URL: '',
  LOG_LEVEL: 'silent',
  SEED_DEMO: 'false',
})
const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    env: env(),
    encoding: 'utf8',
    timeout: 120_000,
  })

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cb-cli-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('command line', { timeout: 180_000 }, () => {
  it('migrates and seeds the org units', () => {
    expect(cli('migrate').status).toBe(0)
    const seeded = cli('seed')
    expect(seeded.status).toBe(0)
    expect(seeded.stdout).toContain('Đơn vị: thêm 89')
    expect(seeded.stdout).toMatch(/thủ tục: thêm 2\d/)
  })

  it('creates a system administrator and a token for them, shown once', () => {
    const created = cli(
      'user',
      'create',
      '--username',
      'admin.tinh',
      '--name',
      'Quản Trị Tỉnh',
      '--unit',
      'ubnd-tinh',
      '--role',
      'system_admin',
      '--subtree',
    )
    expect(created.status).toBe(0)
    expect(created.stdout).toMatch(/Mật khẩu ban đầu \(chỉ hiển thị một lần\): \S{12,}/)
    const token = cli('token', 'create', '--user', 'admin.tinh', '--days', '7')
    expect(token.status).toBe(0)
    expect(token.stdout).toMatch(/^cbp_[A-Za-z0-9_-]{40}$/m)
  })

  it('imports procedures, reporting bad rows by line while keeping good ones, and exports CSV', () => {
    const imported = cli('catalogue', 'import', 'test/fixtures/procedures-import.json')
    expect(imported.status).toBe(1)
    expect(imported.stderr).toContain('Dòng 36 (9.00002): code: mã thủ tục phải có dạng 1.001193')
    expect(imported.stderr).toContain('Nhập thủ tục: 3/3')
    expect(imported.stdout).toContain('Đã nhập: thêm 1, cập nhật 0, bị từ chối 2.')
    const out = join(dir, 'export.csv')
    expect(cli('catalogue', 'export', '--out', out).status).toBe(0)
    const text = readFileSync(out, 'utf8')
    expect(text.split('\n')[0]).toMatch(/^code,name,field,onlineLevel/)
    expect(text).toContain('9.000001,Thủ tục thử nghiệm nhập hợp lệ')
  })

  it('refuses an official without a unit, with a message', () => {
    const result = cli('user', 'create', '--username', 'khong.donvi', '--name', 'Không Đơn Vị')
    expect(result.status).toBe(2)
    expect(result.stderr).toContain('Tài khoản cán bộ cần --unit.')
  })

  it('stops with the variable named when the configuration is malformed', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'migrate'], {
      env: { ...env(), PORT: 'abc' },
      encoding: 'utf8',
    })
    expect(result.status).toBe(78)
    expect(result.stderr).toContain('PORT="abc"')
  })

  it('verifies the audit chain, then reports the first row changed behind its back', async () => {
    const ok = cli('audit', 'verify')
    expect(ok.status).toBe(0)
    expect(ok.stdout).toMatch(/Nhật ký kiểm toán toàn vẹn: \d+ bản ghi/)

    const pglite = await PGlite.create(join(dir, 'pglite'), { extensions: PGLITE_EXTENSIONS })
    await pglite.exec(
      `ALTER TABLE audit_log DISABLE TRIGGER USER; UPDATE audit_log SET actor_label = 'ke-gian' WHERE seq = 2; ALTER TABLE audit_log ENABLE TRIGGER USER;`,
    )
    await pglite.close()

    const broken = cli('audit', 'verify')
    expect(broken.status).toBe(1)
    expect(broken.stderr).toContain('bị phá vỡ tại bản ghi số 2')
  })
})
