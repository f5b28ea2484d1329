import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { btree_gin } from '@electric-sql/pglite/contrib/btree_gin'
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm'
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto'
import { unaccent } from '@electric-sql/pglite/contrib/unaccent'
import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely'
import pg from 'pg'
import { PGliteDialect } from './pglite-dialect.js'
import { embeddedSignals, postgresSignals, type Signals } from './signals.js'
import type { PlatformTables } from './tables.js'

export type Db = Kysely<PlatformTables>
export type Tx = Transaction<PlatformTables>
/** Either the pool-backed database or an open transaction: repositories accept both. */
export type Queryable<T = PlatformTables> = Kysely<T> | Transaction<T>

export type Database = {
  db: Db
  kind: 'embedded' | 'postgres'
  /** LISTEN/NOTIFY between the processes on this database (one process when embedded). */
  signals: Signals
  close(): Promise<void>
}

/** Thrown when another process already holds the embedded data directory. */
export class DataDirLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(
      `Thư mục dữ liệu ${dir} đang được tiến trình ${pid} sử dụng. Hãy dừng tiến trình đó trước. ` +
        `(The data directory is in use by process ${pid}; stop it first.)`,
    )
  }
}

// The embedded engine must be given its extensions on every open, or functions built on them fail later.
export const PGLITE_EXTENSIONS = { pg_trgm, unaccent, pgcrypto, btree_gin }

// The same value types as through pg below: a date column is its 'YYYY-MM-DD' text, int8 a number.
export const PGLITE_PARSERS = {
  1082: (value: string) => value,
  20: (value: string) => Number(value),
}

// int8 (count(*), bigserial) arrives as a string through pg; our counts fit in a JS number.
pg.types.setTypeParser(20, (value) => Number(value))
// A date column is a calendar day, not an instant: keep it as 'YYYY-MM-DD'.
pg.types.setTypeParser(1082, (value) => value)

export async function openPostgres(connectionString: string, max = 10): Promise<Database> {
  const pool = new pg.Pool({ connectionString, max })
  // An idle connection dropped by the server (restart, failover, admin termination) must not crash the
  // process: the pool replaces it on the next query, and requests in flight get their own error.
  pool.on('error', (error) => process.emitWarning(`PostgreSQL idle connection lost: ${error.message}`))
  const db = new Kysely<PlatformTables>({ dialect: new PostgresDialect({ pool }) })
  const signals = postgresSignals(connectionString)
  return {
    db,
    kind: 'postgres',
    signals,
    async close() {
      await signals.close()
      await db.destroy()
    },
  }
}

/** Opens PGlite; `dir` undefined means in memory (tests). `loadDataDir` starts from a dumped template. */
export async function openEmbedded(dir: string | undefined, loadDataDir?: Blob): Promise<Database> {
  let release = () => {}
  if (dir) {
    mkdirSync(dir, { recursive: true })
    release = acquireLock(`${dir}.lock`, dir)
  }
  try {
    const pglite = await PGlite.create(dir ?? 'memory://', {
      extensions: PGLITE_EXTENSIONS,
      loadDataDir,
      parsers: PGLITE_PARSERS,
    })
    return wrapPglite(pglite, release)
  } catch (error) {
    release()
    throw error
  }
}

export function wrapPglite(pglite: PGlite, release = () => {}): Database {
  const db = new Kysely<PlatformTables>({ dialect: new PGliteDialect(pglite) })
  const signals = embeddedSignals(pglite, db)
  return {
    db,
    kind: 'embedded',
    signals,
    async close() {
      await signals.close()
      await db.destroy()
      await pglite.close()
      release()
    },
  }
}

/**
 * PGlite does no locking of its own: two processes on one directory corrupt it. A lock file holding
 * our pid guards it; a lock left by a process that died is taken over.
 */
function acquireLock(lockPath: string, dir: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx')
      writeSync(fd, String(process.pid))
      closeSync(fd)
      return () => rmSync(lockPath, { force: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const pid = Number(readFileSync(lockPath, 'utf8').trim())
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new DataDirLockedError(dir, pid)
      }
      rmSync(lockPath, { force: true })
    }
  }
  throw new DataDirLockedError(dir, -1)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function embeddedDir(dataDir: string): string {
  return join(dataDir, 'pglite')
}

export async function ping(db: Db): Promise<boolean> {
  const result = await sql<{ ok: number }>`select 1 as ok`.execute(db)
  return result.rows[0]?.ok === 1
}

/** Runs `work` in one transaction: the row, its history, the audit entry commit together or not at all. */
export function inTransaction<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(work)
}
