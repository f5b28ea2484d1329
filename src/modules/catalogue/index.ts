import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { catalogueApi } from './catalogue.api.js'
import { catalogueRoutes } from './catalogue.routes.js'
import { createCatalogueService, seedProcedures, type CatalogueDeps } from './catalogue.service.js'

export type { CatalogueService, ImportReport, ImportRecord } from './catalogue.service.js'
export { readImportFile } from './catalogue.service.js'
export type { Fee, Procedure, ProcedureData, RequiredDocument, FormField, FileType } from './procedure.js'
export { cataloguePaths } from './catalogue.routes.js'

export const PROCEDURES_SEED = fileURLToPath(new URL('../../../data/seed/procedures.json', import.meta.url))

/** The catalogue of administrative procedures (thủ tục hành chính): public search, pages and API. */
export function createCatalogueModule(deps: CatalogueDeps) {
  const service = createCatalogueService(deps)
  return {
    service,
    routes: async (app: FastifyInstance) => app.register(catalogueRoutes(service, deps.organisation)),
    api: catalogueApi(service),
    seed: (file = PROCEDURES_SEED) => seedProcedures(deps, file),
  }
}
