import type { Config } from './platform/config.js'
import { embeddedDir, openEmbedded, openPostgres, type Database } from './platform/db/database.js'

/** PostgreSQL when DATABASE_URL is set, otherwise the embedded engine inside DATA_DIR. */
export function openConfiguredDatabase(config: Config): Promise<Database> {
  return config.databaseUrl ? openPostgres(config.databaseUrl) : openEmbedded(embeddedDir(config.dataDir))
}
