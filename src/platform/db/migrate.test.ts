import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { listMigrations } from './migrate.js'

let dir: string | undefined
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }))

function folder(files: string[]): string {
  dir = mkdtempSync(join(tmpdir(), 'cb-migrations-'))
  for (const file of files) writeFileSync(join(dir, file), 'select 1;')
  return dir
}

describe('listMigrations', () => {
  it('lists the files in the order of their numbers', () => {
    const names = listMigrations(folder(['0002_b_two.sql', '0001_a_one.sql'])).map((m) => m.version)
    expect(names).toEqual(['0001', '0002'])
  })

  it('refuses two files with one number, since the second would never run', () => {
    expect(() => listMigrations(folder(['0001_a_one.sql', '0001_b_other.sql']))).toThrow(
      /Hai migration cùng số 0001: 0001_a_one.sql và 0001_b_other.sql/,
    )
  })

  it('refuses a file not named NNNN_<module>_<what>.sql', () => {
    expect(() => listMigrations(folder(['1_a.sql']))).toThrow(/Tên migration không hợp lệ: 1_a.sql/)
  })
})
