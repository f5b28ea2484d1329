import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { sql } from 'kysely'
import { openEmbedded, openPostgres, type Database } from '../src/platform/db/database.js'

/** A fresh, migrated database for one test file: embedded by default, PostgreSQL when DATABASE_URL is set. */
export async function createTestDatabase(): Promise<Database> {
  const serverUrl = process.env.DATABASE_URL
  const template = process.env.TEST_PG_TEMPLATE
  if (serverUrl && template) {
    const name = `cb_test_${process.env.TEST_RUN_ID ?? 'x'}_${randomBytes(6).toString('hex')}`
    const admin = await openPostgres(serverUrl, 1)
    await sql.raw(`create database ${name} template ${template}`).execute(admin.db)
    await admin.close()
    const url = new URL(serverUrl)
    url.pathname = `/${name}`
    const database = await openPostgres(url.toString(), 5)
    return {
      ...database,
      async close() {
        await database.close()
        const again = await openPostgres(serverUrl, 1)
        await sql.raw(`drop database if exists ${name} with (force)`).execute(again.db)
        await again.close()
      },
    }
  }
  const file = process.env.TEST_PGLITE_TEMPLATE
  if (!file) throw new Error('test/global-setup.ts did not run')
  return openEmbedded(undefined, new Blob([readFileSync(file)]))
}
