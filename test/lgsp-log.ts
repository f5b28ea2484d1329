import { createHash, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { createTestDatabase } from './database.js'
import type { Actor } from '../src/platform/auth/actor.js'
import type { Clock } from '../src/platform/clock.js'
import { loadConfig } from '../src/platform/config.js'
import type { Database } from '../src/platform/db/database.js'
import { SigningKeys } from '../src/platform/signing/index.js'
import type { ExchangeRecord } from '../src/modules/lgsp-log/exchange.js'
import { createMessageLogService } from '../src/modules/lgsp-log/lgsp-log.service.js'

/** A fresh database, key directory and message log service for one scenario of a test file. */
export async function createLogFixture(clock: Clock = () => new Date()) {
  const database: Database = await createTestDatabase()
  const dataDir = mkdtempSync(join(tmpdir(), 'cb-lgsp-log-'))
  const config = loadConfig({
    SECRET_KEY: 'test-secret-key-that-is-long-enough-000',
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
  })
  const signing = new SigningKeys({
    dir: config.signingDir,
    passphrase: config.signingPassword,
    generateTestCertificates: true,
  })
  const service = createMessageLogService({ db: database.db, config, clock, signing })
  return {
    database,
    db: database.db,
    config,
    signing,
    service,
    dataDir,
    async close() {
      await database.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** An exchange as the gateway would hand it over; `overrides` set what a test looks at. */
export function exchange(overrides: Partial<ExchangeRecord> = {}): ExchangeRecord {
  const request = overrides.requestBody ?? Buffer.from('')
  const response = overrides.responseBody ?? Buffer.from('{"ok":true}')
  const started = overrides.startedAt ?? new Date('2026-11-27T01:00:00.000Z')
  return {
    messageId: randomUUID(),
    requestId: randomUUID(),
    client: 'CB/GOV/000.00.00.H14/dvc',
    service: 'CB/GOV/000.02.00.H14/hr/employees',
    tokenClientId: 'dvc-client',
    method: 'GET',
    path: '/employees?page=1',
    status: 200,
    startedAt: started,
    finishedAt: new Date(started.getTime() + 12),
    requestHash: createHash('sha256').update(request).digest('base64'),
    responseHash: createHash('sha256').update(response).digest('base64'),
    requestBytes: request.length,
    responseBytes: response.length,
    ...overrides,
  }
}

/** Changes the log as an intruder with table rights would: with the append-only triggers out of the way. */
export async function tamper(database: Database, statement: string) {
  await sql
    .raw(
      `ALTER TABLE lgsp_log DISABLE TRIGGER USER; ALTER TABLE lgsp_log_batches DISABLE TRIGGER USER;
       ALTER TABLE lgsp_log_archives DISABLE TRIGGER USER;
       ${statement};
       ALTER TABLE lgsp_log ENABLE TRIGGER USER; ALTER TABLE lgsp_log_batches ENABLE TRIGGER USER;
       ALTER TABLE lgsp_log_archives ENABLE TRIGGER USER`,
    )
    .execute(database.db)
}

/** A province-wide system administrator, as the permission checks see one. */
export const provinceAdmin: Actor = {
  userId: '00000000-0000-4000-8000-000000000001',
  username: 'quantri',
  fullName: 'Quản trị',
  kind: 'official',
  homeUnitId: null,
  grants: [{ role: 'system_admin', unitId: null, unitPath: null, unitName: null, includeSubtree: true }],
  via: 'session',
}

export const specialist: Actor = {
  ...provinceAdmin,
  userId: '00000000-0000-4000-8000-000000000002',
  username: 'chuyenvien',
  grants: [{ role: 'specialist', unitId: null, unitPath: null, unitName: null, includeSubtree: false }],
}
