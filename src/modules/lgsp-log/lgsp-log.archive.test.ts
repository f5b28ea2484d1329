import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runMessageLogCommand } from './lgsp-log.cli.js'
import { createLogFixture, exchange, tamper } from '../../../test/lgsp-log.js'

let now = new Date('2026-01-10T03:00:00Z')
const clock = () => now
let f: Awaited<ReturnType<typeof createLogFixture>>

/** Runs `lgsp log …` as the CLI does, collecting what it prints. */
async function cli(...args: string[]) {
  const out: string[] = []
  const err: string[] = []
  const code = await runMessageLogCommand(
    args,
    { db: f.db, config: f.config, clock },
    { out: (l) => out.push(l), err: (l) => err.push(l) },
  )
  return { code, out: out.join('\n'), err: err.join('\n') }
}

async function recordAt(at: string, n: number) {
  now = new Date(at)
  for (let i = 0; i < n; i++) {
    await f.service.recorder.record(
      exchange({ startedAt: now, path: `/at/${at}/${i}`, requestBody: Buffer.from(`body ${i}`) }),
    )
  }
  await f.service.chain(4)
}

const count = async () =>
  (await sql<{ n: number }>`select count(*)::int as n from lgsp_log`.execute(f.db)).rows[0]!.n

beforeAll(async () => {
  f = await createLogFixture(clock)
  await recordAt('2026-01-10T03:00:00Z', 6) // batches 1–2, entries 1–6
  await recordAt('2026-02-10T03:00:00Z', 5) // batches 3–4, entries 7–11
})
afterAll(() => f.close())

describe('lgsp log archive', () => {
  const first = () => join(f.dataDir, 'lgsp-2026-01.jsonl')

  it('writes the batches signed before the date to a signed file and removes only those entries', async () => {
    const result = await cli('archive', '--before', '2026-02-01', '--out', first())
    expect(result).toMatchObject({ code: 0, err: '' })
    expect(result.out).toMatch(/Đã lưu 6 bản ghi \(số 1–6, lô 1–2\)/)
    expect(await count()).toBe(5)
    const lines = readFileSync(first(), 'utf8').trim().split('\n')
    expect(JSON.parse(lines[0]!)).toMatchObject({ type: 'header', firstSeq: 1, lastSeq: 6, entries: 6 })
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ type: 'signature' })
    // Bodies stay encrypted in the archive too.
    expect(readFileSync(first(), 'utf8')).not.toContain(Buffer.from('body 1').toString('base64'))
  })

  it('keeps verifying the chain across the archive boundary, and as it grows', async () => {
    const before = await cli('verify')
    expect(before.code).toBe(0)
    expect(before.out).toMatch(/5 bản ghi trong cơ sở dữ liệu, 6 bản ghi đã lưu trữ, 4 lô/)
    await recordAt('2026-03-10T03:00:00Z', 3)
    const after = await cli('verify')
    expect(after.code).toBe(0)
    expect(after.out).toMatch(/8 bản ghi trong cơ sở dữ liệu, 6 bản ghi đã lưu trữ/)
    expect(after.out).toMatch(/Bản ghi cuối số 14/)
  })

  it('verifies the archive file and knows this database recorded it', async () => {
    const result = await cli('verify-archive', first())
    expect(result.code).toBe(0)
    expect(result.out).toMatch(/Tệp lưu trữ hợp lệ: 6 bản ghi \(số 1–6/)
    expect(result.out).toMatch(/đã ghi nhận/)
  })

  it('archives the next period after the first, and both files still verify', async () => {
    const second = join(f.dataDir, 'lgsp-2026-02.jsonl')
    const result = await cli('archive', '--before', '2026-03-01', '--out', second)
    expect(result.code).toBe(0)
    expect(result.out).toMatch(/Đã lưu 5 bản ghi \(số 7–11, lô 3–4\)/)
    expect(await count()).toBe(3)
    expect((await cli('verify-archive', second)).code).toBe(0)
    expect((await cli('verify-archive', first())).code).toBe(0)
    expect((await cli('verify')).out).toMatch(/3 bản ghi trong cơ sở dữ liệu, 11 bản ghi đã lưu trữ/)
  })

  it('says there is nothing to archive, and refuses to overwrite a file or take a bad date', async () => {
    expect(
      await cli('archive', '--before', '2026-01-01', '--out', join(f.dataDir, 'none.jsonl')),
    ).toMatchObject({
      code: 0,
      out: expect.stringMatching(/Không có lô nào/),
    })
    expect(await cli('archive', '--before', '2026-04-01', '--out', first())).toMatchObject({
      code: 2,
      err: expect.stringMatching(/đã tồn tại/),
    })
    expect(await cli('archive', '--before', '2026-02-31', '--out', join(f.dataDir, 'x.jsonl'))).toMatchObject(
      {
        code: 2,
        err: expect.stringMatching(/sai --before/),
      },
    )
    expect(await cli('archive', '--before', '2026-04-01')).toMatchObject({ code: 2, err: /Thiếu --out/ })
    expect(await count()).toBe(3)
  })

  it('finds a changed, a removed and a cut-off line in an archive file', async () => {
    const lines = readFileSync(first(), 'utf8').trim().split('\n')
    const entryIndex = lines.findIndex((l) => l.includes('"seq":3,'))
    const changed = [...lines]
    changed[entryIndex] = changed[entryIndex]!.replace('"status":200', '"status":403')
    const file = join(f.dataDir, 'changed.jsonl')
    writeFileSync(file, `${changed.join('\n')}\n`)
    expect(await cli('verify-archive', file)).toMatchObject({
      code: 1,
      err: expect.stringMatching(/nội dung bản ghi số 3 đã bị sửa/),
    })

    const removed = lines.filter((_, i) => i !== entryIndex)
    writeFileSync(file, `${removed.join('\n')}\n`)
    expect((await cli('verify-archive', file)).err).toMatch(/bản ghi số 3 đã bị xóa khỏi tệp/)

    writeFileSync(file, `${lines.slice(0, -1).join('\n')}\n`)
    expect((await cli('verify-archive', file)).err).toMatch(/thiếu dòng chữ ký/)

    // A header changed to claim fewer entries breaks the file's own signature.
    const header = [...lines]
    header[0] = header[0]!.replace('"entries":6', '"entries":5')
    writeFileSync(file, `${header.join('\n')}\n`)
    expect((await cli('verify-archive', file)).code).toBe(1)

    expect(await cli('verify-archive', join(f.dataDir, 'missing.jsonl'))).toMatchObject({ code: 2 })
  })

  it('refuses to archive a chain that was tampered with, deleting nothing and leaving no file', async () => {
    await recordAt('2026-04-10T03:00:00Z', 2)
    await tamper(f.database, `UPDATE lgsp_log SET client = 'CB/GOV/X/khac' WHERE seq = 13`)
    const before = await count()
    const out = join(f.dataDir, 'tampered.jsonl')
    const result = await cli('archive', '--before', '2026-05-01', '--out', out)
    expect(result.code).toBe(1)
    expect(result.err).toMatch(/nội dung bản ghi số 13 đã bị sửa.*không xóa gì/)
    expect(await count()).toBe(before)
    expect(() => readFileSync(out)).toThrow()
    expect((await cli('verify')).code).toBe(1)
  })

  it('detects a deleted archive record: the archived entries then count as deleted', async () => {
    await tamper(f.database, `UPDATE lgsp_log SET client = 'CB/GOV/000.00.00.H14/dvc' WHERE seq = 13`)
    expect((await cli('verify')).code).toBe(0)
    await tamper(
      f.database,
      `DELETE FROM lgsp_log_archives WHERE id = (SELECT max(id) FROM lgsp_log_archives)`,
    )
    const result = await cli('verify')
    expect(result.code).toBe(1)
    expect(result.err).toMatch(/bản ghi số 7 đã bị xóa/)
  })
})

describe('usage', () => {
  it('prints the usage for an unknown command', async () => {
    expect(await cli('frobnicate')).toMatchObject({ code: 2, err: expect.stringMatching(/lgsp log verify/) })
  })
})
