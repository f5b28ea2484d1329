import { generateKeyPairSync, sign } from 'node:crypto'
import { copyFileSync, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import forge from 'node-forge'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SYSTEM_CONTEXT } from '../../platform/audit/audit.js'
import { ForbiddenError } from '../../platform/auth/actor.js'
import { SigningKeys } from '../../platform/signing/index.js'
import { batchSignedBytes, certificateFingerprint, entryHash } from './lgsp-log.crypto.js'
import { createMessageLogService } from './lgsp-log.service.js'
import { createLogFixture, exchange, provinceAdmin, specialist, tamper } from '../../../test/lgsp-log.js'

type Fixture = Awaited<ReturnType<typeof createLogFixture>>

/** A log of `n` exchanges recorded one after another, chained in batches of `batchSize`. */
async function chainedLog(n: number, batchSize = 4): Promise<Fixture> {
  const f = await createLogFixture()
  for (let i = 0; i < n; i++) await f.service.recorder.record(exchange({ path: `/item/${i}` }))
  await f.service.chain(batchSize)
  return f
}

describe('recording and chaining', () => {
  let f: Fixture
  beforeAll(async () => {
    f = await createLogFixture()
  })
  afterAll(() => f.close())

  it('chains exchanges recorded concurrently, in recording order, while chainers race', async () => {
    const writers = Array.from({ length: 60 }, (_, i) =>
      f.service.recorder.record(exchange({ path: `/p/${i}`, status: 200 + (i % 3) })),
    )
    const chainers = Array.from({ length: 3 }, () => f.service.chain(7))
    await Promise.all([...writers, ...chainers])
    await f.service.chain(7)

    const rows = await sql<{ seq: number; batch_no: number }>`
      select seq::int, batch_no::int from lgsp_log order by seq`.execute(f.db)
    expect(rows.rows.map((r) => r.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1))
    const pending = await sql<{ n: number }>`select count(*)::int as n from lgsp_log_pending`.execute(f.db)
    expect(pending.rows[0]!.n).toBe(0)
    // Every batch holds at most 7 entries and is signed.
    const batches = await sql<{ size: number; signature: string }>`
      select (last_seq - first_seq + 1)::int as size, signature from lgsp_log_batches order by batch_no`.execute(
      f.db,
    )
    expect(batches.rows.length).toBeGreaterThanOrEqual(9)
    expect(batches.rows.every((b) => b.size <= 7 && b.signature.length > 100)).toBe(true)
    expect(batches.rows.reduce((sum, b) => sum + b.size, 0)).toBe(60)

    const result = await f.service.verify()
    expect(result).toMatchObject({ ok: true, entries: 60, archivedEntries: 0, headSeq: 60 })
  })

  it('keeps the order of recording within the chain', async () => {
    const fresh = await createLogFixture()
    try {
      for (let i = 0; i < 10; i++) await fresh.service.recorder.record(exchange({ path: `/n/${i}` }))
      await fresh.service.chain(3)
      const rows = await sql<{ path: string }>`select path from lgsp_log order by seq`.execute(fresh.db)
      expect(rows.rows.map((r) => r.path)).toEqual(Array.from({ length: 10 }, (_, i) => `/n/${i}`))
    } finally {
      await fresh.close()
    }
  })

  it('stores every exchange of a busy gateway, and one bad exchange costs the others nothing', async () => {
    const fresh = await createLogFixture()
    try {
      // Recorded at once: they are written together (group commit), each promise settling with its own row.
      const results = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) =>
          fresh.service.recorder.record(
            exchange({ path: `/busy/${i}`, status: i === 17 ? Number.NaN : 200 }),
          ),
        ),
      )
      expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1)
      expect(results[17]!.status).toBe('rejected')
      const stored = await sql<{ path: string }>`select path from lgsp_log_pending order by id`.execute(
        fresh.db,
      )
      expect(stored.rows.map((r) => r.path)).toEqual(
        Array.from({ length: 40 }, (_, i) => `/busy/${i}`).filter((p) => p !== '/busy/17'),
      )
    } finally {
      await fresh.close()
    }
  })

  it('refuses to update or delete chained entries and batches', async () => {
    await expect(sql`update lgsp_log set status = 500 where seq = 1`.execute(f.db)).rejects.toThrow(
      /append-only/,
    )
    await expect(sql`delete from lgsp_log where seq = 1`.execute(f.db)).rejects.toThrow(/append-only/)
    await expect(sql`update lgsp_log_batches set signature = 'x'`.execute(f.db)).rejects.toThrow(
      /append-only/,
    )
  })
})

describe('verifying without the signing key', () => {
  it('checks what is chained against the trust list, and warns about what could not be chained', async () => {
    const f = await chainedLog(5)
    try {
      await f.service.recorder.record(exchange())
      // Another process: the key file cannot be opened (wrong passphrase), no trial CA; the CA is in trusted/.
      mkdirSync(join(f.config.signingDir, 'trusted'), { recursive: true })
      copyFileSync(join(f.config.signingDir, 'test-ca.pem'), join(f.config.signingDir, 'trusted', 'ca.pem'))
      const signing = new SigningKeys({
        dir: f.config.signingDir,
        passphrase: 'not-the-passphrase',
        generateTestCertificates: false,
      })
      const other = createMessageLogService({ db: f.db, config: f.config, clock: () => new Date(), signing })
      const result = await other.verify()
      expect(result).toMatchObject({ ok: true, entries: 5, pending: 1 })
      expect(result.chainError).toMatch(/mật khẩu|PKCS#12/)

      // Without the CA in the trust list the same batches are not believed.
      rmSync(join(f.config.signingDir, 'trusted'), { recursive: true })
      expect(await other.verify()).toMatchObject({ ok: false, kind: 'certificate_untrusted', batchNo: 1 })
    } finally {
      await f.close()
    }
  })
})

describe('bodies', () => {
  let f: Fixture
  const secret = 'Số CCCD 004099001234 của Nguyễn Thị Ánh'
  beforeAll(async () => {
    f = await createLogFixture()
    await f.service.recorder.record(
      exchange({ requestBody: Buffer.from(`{"query":"${secret}"}`), responseBody: Buffer.from(secret) }),
    )
    await f.service.recorder.record(exchange())
    await f.service.chain()
  })
  afterAll(() => f.close())

  it('stores kept bodies only encrypted, pending or chained', async () => {
    const raw = await sql<{ request_body: Uint8Array | null; response_body: Uint8Array | null }>`
      select request_body, response_body from lgsp_log order by seq`.execute(f.db)
    const first = raw.rows[0]!
    expect(first.request_body).not.toBeNull()
    expect(Buffer.from(first.request_body!).includes(Buffer.from('004099001234'))).toBe(false)
    expect(Buffer.from(first.response_body!).includes(Buffer.from(secret))).toBe(false)
    // The second exchange's service keeps no bodies.
    expect(raw.rows[1]!.request_body).toBeNull()
    expect(raw.rows[1]!.response_body).toBeNull()
  })

  it('decrypts a kept body for an administrator and audits the reading', async () => {
    const context = { ...SYSTEM_CONTEXT, actorId: provinceAdmin.userId, actorLabel: 'quantri' }
    const view = await f.service.readBody(provinceAdmin, 1, 'response', context)
    expect(view.body.toString('utf8')).toBe(secret)
    expect(view.hashMatches).toBe(true)
    const audit = await sql<{ action: string; outcome: string; object_id: string }>`
      select action, outcome, object_id from audit_pending where action = 'lgsp.log.body_read'`.execute(f.db)
    expect(audit.rows).toEqual([{ action: 'lgsp.log.body_read', outcome: 'ok', object_id: '1' }])
  })

  it('refuses the body to an official without the permission', async () => {
    await expect(f.service.readBody(specialist, 1, 'request', SYSTEM_CONTEXT)).rejects.toBeInstanceOf(
      ForbiddenError,
    )
  })

  it('says so when a body cannot be decrypted with the current key', async () => {
    const other = await createLogFixture()
    try {
      await other.service.recorder.record(exchange({ requestBody: Buffer.from('abc') }))
      await other.service.chain()
      // A body moved from one entry to another no longer decrypts: the message id is bound to it.
      await other.service.recorder.record(exchange({ requestBody: Buffer.from('xyz') }))
      await other.service.chain()
      await tamper(
        other.database,
        `UPDATE lgsp_log SET request_body = (SELECT request_body FROM lgsp_log WHERE seq = 2) WHERE seq = 1`,
      )
      await expect(other.service.readBody(provinceAdmin, 1, 'request', SYSTEM_CONTEXT)).rejects.toMatchObject(
        { statusCode: 422, message: expect.stringMatching(/Không giải mã được/) },
      )
    } finally {
      await other.close()
    }
  })
})

describe('verification finds tampering', () => {
  it('names the entry whose status was changed', async () => {
    const f = await chainedLog(10)
    try {
      await tamper(f.database, `UPDATE lgsp_log SET status = 404 WHERE seq = 6`)
      const result = await f.service.verify()
      expect(result).toMatchObject({ ok: false, kind: 'changed', seq: 6, entries: 5 })
      if (!result.ok) expect(result.reason).toMatch(/bản ghi số 6 đã bị sửa/)
    } finally {
      await f.close()
    }
  })

  it('names a deleted entry by its missing number', async () => {
    const f = await chainedLog(10)
    try {
      await tamper(f.database, `DELETE FROM lgsp_log WHERE seq = 3`)
      const result = await f.service.verify()
      expect(result).toMatchObject({ ok: false, kind: 'deleted', seq: 3, entries: 2 })
      if (!result.ok) expect(result.reason).toMatch(/bản ghi số 3 đã bị xóa/)
    } finally {
      await f.close()
    }
  })

  it('names two entries that swapped places', async () => {
    const f = await chainedLog(10)
    try {
      await tamper(
        f.database,
        `UPDATE lgsp_log SET seq = CASE seq WHEN 4 THEN -4 WHEN 5 THEN -5 END WHERE seq IN (4, 5);
         UPDATE lgsp_log SET seq = CASE seq WHEN -4 THEN 5 WHEN -5 THEN 4 END WHERE seq IN (-4, -5)`,
      )
      const result = await f.service.verify()
      expect(result).toMatchObject({ ok: false, kind: 'reordered', seq: 4 })
      if (!result.ok) expect(result.reason).toMatch(/số 4 và số 5 bị đổi thứ tự/)
    } finally {
      await f.close()
    }
  })

  it('finds a forged batch signature', async () => {
    const f = await chainedLog(10)
    try {
      await tamper(
        f.database,
        `UPDATE lgsp_log_batches SET signature = (SELECT signature FROM lgsp_log_batches WHERE batch_no = 1)
         WHERE batch_no = 2`,
      )
      const result = await f.service.verify()
      expect(result).toMatchObject({ ok: false, kind: 'signature_invalid', batchNo: 2 })
      if (!result.ok) expect(result.reason).toMatch(/chữ ký của lô số 2 không hợp lệ/)
    } finally {
      await f.close()
    }
  })

  it('finds a changed entry re-hashed and signed with another key under the platform certificate', async () => {
    const f = await chainedLog(3, 10)
    try {
      // The intruder rewrites the only entry, recomputes the chain and signs the batch with a key of their own.
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
      void publicKey
      await tamper(f.database, `UPDATE lgsp_log SET status = 500 WHERE seq = 3`)
      const rows = await sql<Record<string, unknown>>`
        select *, encode(sha256(request_body), 'hex') as request_body_sha256,
               encode(sha256(response_body), 'hex') as response_body_sha256
        from lgsp_log order by seq`.execute(f.db)
      const last = rows.rows[2]!
      const hash = entryHash(last.prev_hash as string, last as never)
      await tamper(f.database, `UPDATE lgsp_log SET hash = '${hash}' WHERE seq = 3`)
      const batch = await sql<{ signed_at: Date }>`select signed_at from lgsp_log_batches`.execute(f.db)
      const signature = sign(
        'sha256',
        batchSignedBytes({
          batchNo: 1,
          firstSeq: 1,
          lastSeq: 3,
          lastHash: hash,
          signedAt: batch.rows[0]!.signed_at,
        }),
        privateKey,
      ).toString('base64')
      // A self-made certificate is not at hand in SQL; the forged signature alone must not pass.
      await tamper(
        f.database,
        `UPDATE lgsp_log_batches SET last_hash = '${hash}', signature = '${signature}'`,
      )
      const result = await f.service.verify()
      expect(result).toMatchObject({ ok: false, kind: 'signature_invalid', batchNo: 1 })
    } finally {
      await f.close()
    }
  })

  it('refuses a chain rewritten and re-signed with a certificate nobody trusts', async () => {
    const f = await chainedLog(3, 10)
    try {
      // The intruder makes a key and a self-signed certificate, rewrites an entry, re-hashes and re-signs.
      const pair = generateKeyPairSync('rsa', { modulusLength: 2048 })
      const keys = {
        publicKey: forge.pki.publicKeyFromPem(
          pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        ),
        privateKey: forge.pki.privateKeyFromPem(
          pair.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
        ),
      }
      const certificate = forge.pki.createCertificate()
      certificate.publicKey = keys.publicKey
      certificate.serialNumber = '01'
      certificate.validity.notBefore = new Date('2026-01-01T00:00:00Z')
      certificate.validity.notAfter = new Date('2036-01-01T00:00:00Z')
      const name = [{ name: 'commonName', value: 'Uy ban nhan dan tinh Cao Bang' }]
      certificate.setSubject(name)
      certificate.setIssuer(name)
      certificate.sign(keys.privateKey, forge.md.sha256.create())
      const pem = forge.pki.certificateToPem(certificate)
      const privateKey = pair.privateKey
      const fingerprint = certificateFingerprint(pem)

      await tamper(f.database, `UPDATE lgsp_log SET status = 500 WHERE seq = 3`)
      const rows = await sql<Record<string, unknown>>`
        select *, encode(sha256(request_body), 'hex') as request_body_sha256,
               encode(sha256(response_body), 'hex') as response_body_sha256
        from lgsp_log where seq = 3`.execute(f.db)
      const row = rows.rows[0]!
      const hash = entryHash(row.prev_hash as string, row as never)
      const batch = await sql<{ signed_at: Date }>`select signed_at from lgsp_log_batches`.execute(f.db)
      const signature = sign(
        'sha256',
        batchSignedBytes({
          batchNo: 1,
          firstSeq: 1,
          lastSeq: 3,
          lastHash: hash,
          signedAt: batch.rows[0]!.signed_at,
        }),
        privateKey,
      ).toString('base64')
      await sql`insert into lgsp_log_certificates (fingerprint, certificate_pem, subject, not_after, first_used_at)
        values (${fingerprint}, ${pem}, 'CN=Uy ban nhan dan tinh Cao Bang', '2036-01-01', now())`.execute(
        f.db,
      )
      await tamper(
        f.database,
        `UPDATE lgsp_log SET hash = '${hash}' WHERE seq = 3;
         UPDATE lgsp_log_batches SET last_hash = '${hash}', signature = '${signature}',
           certificate_fingerprint = '${fingerprint}'`,
      )
      const result = await f.service.verify()
      expect(result).toMatchObject({ ok: false, kind: 'certificate_untrusted', batchNo: 1 })
      if (!result.ok) expect(result.reason).toMatch(/chứng thư không được tin cậy/)
    } finally {
      await f.close()
    }
  })

  it('finds a whole batch deleted from the middle', async () => {
    const f = await chainedLog(12)
    try {
      await tamper(
        f.database,
        `DELETE FROM lgsp_log WHERE batch_no = 2; DELETE FROM lgsp_log_batches WHERE batch_no = 2`,
      )
      const result = await f.service.verify()
      expect(result).toMatchObject({ ok: false, kind: 'batch_deleted', batchNo: 2, seq: 5 })
    } finally {
      await f.close()
    }
  })
})
