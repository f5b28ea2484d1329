import type { FastifyInstance } from 'fastify'
import type { ExchangeRecorder } from './exchange.js'
import { messageLogApi } from './lgsp-log.api.js'
import { messageLogRoutes } from './lgsp-log.routes.js'
import { createMessageLogService, type MessageLogDeps } from './lgsp-log.service.js'

export type { ExchangeRecord, ExchangeRecorder } from './exchange.js'
export type { MessageLogDeps, MessageLogService, LogFilters, LogPage, LogEntry } from './lgsp-log.service.js'
export type { Verification } from './lgsp-log.chain.js'
export { LGSP_LOG_USAGE, runMessageLogCommand } from './lgsp-log.cli.js'
export { messageLogPaths } from './lgsp-log.paths.js'

/** How often each server process moves recorded exchanges into the signed chain. */
export const CHAIN_INTERVAL_MS = 1000

/**
 * The LGSP message log: the evidence of every exchange through the gateway, appended without a lock,
 * hash-chained and signed in batches by the platform's key, searchable by administrators, archived to signed
 * files. The gateway calls `recorder.record(entry)`; app.ts runs `chain()` on a timer.
 */
export function createMessageLogModule(deps: MessageLogDeps) {
  const service = createMessageLogService(deps)
  const recorder: ExchangeRecorder = service.recorder
  return {
    recorder,
    service,
    /** Writes the exchanges still gathering for an insert; app.ts calls it when the server closes. */
    drain: () => service.recorder.drain(),
    /** For `jobs.runner.every('lgsp.log.chain', CHAIN_INTERVAL_MS, chain)`. */
    chain: async () => {
      await service.chain()
    },
    routes: async (app: FastifyInstance) => {
      await app.register(messageLogRoutes(service))
    },
    api: async (api: FastifyInstance) => {
      await api.register(messageLogApi(service))
    },
  }
}
