import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase } from '../../../test/database.js'
import type { Database } from '../db/database.js'
import { appendAudit, canonicalJson, chainAudit, listAudit, SYSTEM_CONTEXT, verifyAudit } from './audit.js'

let database: Database

beforeAll(async () => {
  database = await createTestDatabase()
  for (let i = 1; i <= 5; i++) {
    await appendAudit(database.db, SYSTEM_CONTEXT, {
      action: 'test.event',
      objectType: 'thing',
      objectId: String(i),
      details: { n: i, name: 'Nguyễn Văn Ánh', nested: { b: 1, a: [1, 2] } },
    })
  }
})
afterAll(() => database.close())

// Tampering needs the append-only triggers out of the way, as an intruder with table rights would do.
async function tamper(statement: string) {
  await sql
    .raw(
      `ALTER TABLE audit_log DISABLE TRIGGER USER; ${statement}; ALTER TABLE audit_log ENABLE TRIGGER USER`,
    )
    .execute(database.db)
}

describe('audit chain', () => {
  it('verifies an untouched chain and reports its length', async () => {
    const result = await verifyAudit(database.db)
    expect(result).toMatchObject({ ok: true, count: 5 })
  })

  it('refuses updates and deletes through the append-only trigger', async () => {
    await expect(sql`update audit_log set action = 'x' where seq = 1`.execute(database.db)).rejects.toThrow(
      /append-only/,
    )
    await expect(sql`delete from audit_log where seq = 1`.execute(database.db)).rejects.toThrow(/append-only/)
  })

  it('writes concurrent entries as one unbroken chain', async () => {
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        appendAudit(database.db, SYSTEM_CONTEXT, { action: 'test.parallel', details: { i } }),
      ),
    )
    expect(await verifyAudit(database.db)).toMatchObject({ ok: true, count: 15 })
  })

  it('reports the first row whose content was edited', async () => {
    await tamper(`UPDATE audit_log SET details = '{"n": 99}' WHERE seq = 3`)
    expect(await verifyAudit(database.db)).toMatchObject({ ok: false, brokenAt: 3, count: 2 })
  })

  it('reports a deleted row by its missing number', async () => {
    const fresh = await createTestDatabase()
    try {
      for (let i = 0; i < 4; i++)
        await appendAudit(fresh.db, SYSTEM_CONTEXT, { action: 'test.event', details: { i } })
      await chainAudit(fresh.db)
      await sql
        .raw(
          `ALTER TABLE audit_log DISABLE TRIGGER USER; DELETE FROM audit_log WHERE seq = 2; ALTER TABLE audit_log ENABLE TRIGGER USER`,
        )
        .execute(fresh.db)
      const result = await verifyAudit(fresh.db)
      expect(result).toMatchObject({ ok: false, brokenAt: 2, count: 1 })
      if (!result.ok) expect(result.reason).toMatch(/xóa/)
    } finally {
      await fresh.close()
    }
  })
})

describe('chaining after commit', () => {
  it('keeps an entry out of the chain until its transaction commits, and drops it on rollback', async () => {
    const fresh = await createTestDatabase()
    try {
      await fresh.db
        .transaction()
        .execute(async (tx) => {
          await appendAudit(tx, SYSTEM_CONTEXT, { action: 'test.rolled_back' })
          throw new Error('abort')
        })
        .catch(() => undefined)
      await fresh.db.transaction().execute(async (tx) => {
        await appendAudit(tx, SYSTEM_CONTEXT, { action: 'test.committed' })
      })
      const pending = await sql<{ n: number }>`select count(*)::int as n from audit_pending`.execute(fresh.db)
      expect(pending.rows[0]!.n).toBe(1)
      expect(await chainAudit(fresh.db)).toBe(1)
      const entries = await listAudit(fresh.db, {})
      expect(entries.map((e) => e.action)).toEqual(['test.committed'])
      expect(entries[0]!.seq).toBe(1)
      const left = await sql<{ n: number }>`select count(*)::int as n from audit_pending`.execute(fresh.db)
      expect(left.rows[0]!.n).toBe(0)
    } finally {
      await fresh.close()
    }
  })

  it('chains in batches and in the order entries were written', async () => {
    const fresh = await createTestDatabase()
    try {
      for (let i = 0; i < 23; i++)
        await appendAudit(fresh.db, SYSTEM_CONTEXT, { action: 'test.n', details: { i } })
      expect(await chainAudit(fresh.db, 5)).toBe(23)
      const entries = await listAudit(fresh.db, { limit: 100 })
      expect(entries.map((e) => (e.details as { i: number }).i)).toEqual(
        Array.from({ length: 23 }, (_, i) => 22 - i),
      )
      expect(await verifyAudit(fresh.db)).toMatchObject({ ok: true, count: 23 })
    } finally {
      await fresh.close()
    }
  })

  it('never forks the chain when several chainers run at once', async () => {
    const fresh = await createTestDatabase()
    try {
      const writers = Array.from({ length: 40 }, (_, i) =>
        appendAudit(fresh.db, SYSTEM_CONTEXT, { action: 'test.race', details: { i } }),
      )
      const chainers = Array.from({ length: 4 }, () => chainAudit(fresh.db, 7))
      await Promise.all([...writers, ...chainers])
      await chainAudit(fresh.db)
      expect(await verifyAudit(fresh.db)).toMatchObject({ ok: true, count: 40 })
    } finally {
      await fresh.close()
    }
  })
})

describe('canonicalJson', () => {
  it('gives the same text whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }),
    )
  })
})
