import { buildApp, type App } from './app.js'
import { openConfiguredDatabase } from './database.js'
import type { Config } from './platform/config.js'
import { migrate } from './platform/db/migrate.js'
import { demoAccountsText, seed } from './seed.js'

/** Opens the database, brings its schema and reference data up to date, and listens. */
export async function startServer(config: Config): Promise<App> {
  const startedAt = performance.now()
  const database = await openConfiguredDatabase(config)
  let app: App | undefined
  try {
    await migrate(database.db)
    const seeded = await seed(database.db, config, config.seedDemo)
    app = await buildApp({ config, database })
    await app.listen({ port: config.port, host: config.host })
    await app.jobs.start()
    const address = `http://localhost:${(app.server.address() as { port: number }).port}`
    app.log.info(
      { database: database.kind, ms: Math.round(performance.now() - startedAt), seeded },
      `ready at ${address}`,
    )
    process.stdout.write(
      `\nNền tảng chính quyền số tỉnh Cao Bằng đang chạy tại ${address}\n` +
        `(Cao Bằng digital-government platform is running at ${address}; ${database.kind} database)\n` +
        (config.seedDemo ? `\n${demoAccountsText()}\n\n` : '\n'),
    )
  } catch (error) {
    await app?.close()
    await database.close()
    throw error
  }

  let closing = false
  const shutdown = async (signal: string) => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down: finishing requests in flight')
    const force = setTimeout(() => process.exit(1), 10_000)
    force.unref()
    await app.close()
    await database.close()
    process.exit(0)
  }
  process.once('SIGINT', () => void shutdown('SIGINT'))
  process.once('SIGTERM', () => void shutdown('SIGTERM'))
  return app
}
