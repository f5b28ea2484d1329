import type { FastifyInstance } from 'fastify'
import { nationalSyncApi } from './national-sync.api.js'
import { nationalSyncRoutes } from './national-sync.routes.js'
import { createNationalSyncService, type NationalSyncDeps } from './national-sync.service.js'

export type { NationalSyncService } from './national-sync.service.js'
export { nationalSyncPaths } from './national-sync.paths.js'
export { NATIONAL_STATUS_LABELS, NationalService, portalDate } from './national-sync.messages.js'

/**
 * Synchronisation of dossiers with the national public-service portal: an internal subscriber of the pub/sub
 * topic `dossier.status_changed` (its retries, dead letters and order per dossier), turning each event into the
 * portal's calls. Off, with a status page saying so, while NATIONAL_PORTAL_URL is unset.
 */
export function createNationalSyncModule(deps: NationalSyncDeps) {
  const service = createNationalSyncService(deps)
  return {
    service,
    routes: async (app: FastifyInstance) => {
      await app.register(nationalSyncRoutes(service))
    },
    api: nationalSyncApi(service),
  }
}
