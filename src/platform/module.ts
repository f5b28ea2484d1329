import type { Clock } from './clock.js'
import type { Config } from './config.js'
import type { Db } from './db/database.js'

/** What app.ts hands every module: no globals, so tests pass their own database and clock. */
export type ModuleDeps = { db: Db; config: Config; clock: Clock }
