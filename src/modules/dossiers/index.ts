import type { FastifyInstance } from 'fastify'
import { applyRoutes } from './apply.routes.js'
import { counterRoutes } from './counter.routes.js'
import { dossiersApi } from './dossiers.api.js'
import { dossiersRoutes } from './dossiers.routes.js'
import { createDossierForms } from './dossier-forms.js'
import { createDossiersService, type DossiersDeps } from './dossiers.service.js'

export type { DossiersService } from './dossiers.service.js'
export { dossierPaths } from './dossier-paths.js'
export { DossierStatus, nationalStatus } from './dossier-workflow.js'

/** One-stop dossiers: counter and online intake, workflow with legal deadlines, tracking, work queue. */
export function createDossiersModule(deps: DossiersDeps) {
  const service = createDossiersService(deps)
  const forms = createDossierForms({ ...deps, dossiers: service })
  return {
    service,
    forms,
    routes: async (app: FastifyInstance) => {
      await app.register(dossiersRoutes(service, deps.catalogue, deps.organisation, deps.config, forms))
      await app.register(counterRoutes(service, deps.catalogue, deps.organisation, deps.config))
      await app.register(applyRoutes(service, deps.config))
    },
    api: dossiersApi(service, deps.config, forms),
  }
}
