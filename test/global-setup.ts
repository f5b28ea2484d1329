import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { sql } from 'kysely'
import { openPostgres, PGLITE_EXTENSIONS, wrapPglite } from '../src/platform/db/database.js'
import { migrate } from '../src/platform/db/migrate.js'

/**
 * Migrates one template database per run; each test file then starts from a copy of it (a PGlite
 * data-dir dump, or CREATE DATABASE … TEMPLATE on PostgreSQL), which is far faster than migrating again.
 */
export default async function setup() {
  const serverUrl = process.env.DATABASE_URL
  if (serverUrl) {
    // Names carry this run's id, so two runs on one server (CI beside a developer's run) never drop each other's.
    const run = `${process.pid}`
    process.env.TEST_RUN_ID = run
    const template = `cb_test_tpl_${run}`
    const admin = await openPostgres(serverUrl, 1)
    await sql.raw(`drop database if exists ${template}`).execute(admin.db)
    await sql.raw(`create database ${template}`).execute(admin.db)
    const url = new URL(serverUrl)
    url.pathname = `/${template}`
    const tpl = await openPostgres(url.toString(), 1)
    await migrate(tpl.db)
    await tpl.close()
    process.env.TEST_PG_TEMPLATE = template
    return async () => {
      const dbs = await sql<{
        datname: string
      }>`select datname from pg_database where datname like ${`cb\\_test\\_${run}\\_%`} or datname = ${template}`.execute(
        admin.db,
      )
      for (const { datname } of dbs.rows) {
        await sql.raw(`drop database if exists ${datname} with (force)`).execute(admin.db)
      }
      await admin.close()
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'cb-test-'))
  const pglite = await PGlite.create({ extensions: PGLITE_EXTENSIONS })
  const database = wrapPglite(pglite)
  await migrate(database.db)
  const dump = await pglite.dumpDataDir('none')
  const file = join(dir, 'template.tar')
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()))
  await database.close()
  process.env.TEST_PGLITE_TEMPLATE = file
  return () => rmSync(dir, { recursive: true, force: true })
}
