import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { sql } from 'kysely'
import type { Db } from './database.js'

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations/', import.meta.url))
const NAME = /^(\d{4})_[a-z0-9]+_[a-z0-9_]+\.sql$/

export type Migration = { version: string; name: string; sql: string }

export function listMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => {
      const match = NAME.exec(file)
      if (!match) throw new Error(`Tên migration không hợp lệ: ${file} (expected NNNN_<module>_<what>.sql)`)
      return { version: match[1]!, name: file, sql: readFileSync(`${dir}/${file}`, 'utf8') }
    })
  // The number is what schema_migrations records: a second file with the same number would never run.
  for (let i = 1; i < migrations.length; i++) {
    const [before, file] = [migrations[i - 1]!, migrations[i]!]
    if (before.version === file.version) {
      throw new Error(
        `Hai migration cùng số ${file.version}: ${before.name} và ${file.name} (two migrations share a number; give the newer one the next free number)`,
      )
    }
  }
  return migrations
}

/**
 * Applies pending migrations in order, each in its own transaction. An advisory lock keeps two
 * server processes starting together from applying the same file twice.
 */
export async function migrate(db: Db, dir = MIGRATIONS_DIR): Promise<string[]> {
  await sql`create table if not exists schema_migrations (
    version text primary key, applied_at timestamptz not null default now())`.execute(db)
  const applied: string[] = []
  for (const migration of listMigrations(dir)) {
    const done = await db.transaction().execute(async (tx) => {
      await sql`select pg_advisory_xact_lock(7301994)`.execute(tx)
      const existing = await tx
        .selectFrom('schema_migrations')
        .select('version')
        .where('version', '=', migration.version)
        .executeTakeFirst()
      if (existing) return false
      await sql.raw(migration.sql).execute(tx)
      await tx.insertInto('schema_migrations').values({ version: migration.version }).execute()
      return true
    })
    if (done) applied.push(migration.name)
  }
  return applied
}
