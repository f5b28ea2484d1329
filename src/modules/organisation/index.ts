import type { FastifyPluginAsync } from 'fastify'
import type { ModuleDeps } from '../../platform/module.js'
import { organisationApi } from './organisation.api.js'
import { organisationRoutes } from './organisation.routes.js'
import { createOrganisationService, type OrganisationService } from './organisation.service.js'

export type { OrgUnit, OrgUnitType } from './org-unit.js'
export type { OrganisationService, UnitListFilter } from './organisation.service.js'
export { organisationPaths } from './organisation.paths.js'
export { seedOrgUnits } from './organisation.seed.js'

/** The org-unit tree: its service for other modules, its pages for officials, its JSON API. */
export function createOrganisationModule(deps: ModuleDeps): {
  service: OrganisationService
  routes: FastifyPluginAsync
  api: FastifyPluginAsync
} {
  const service = createOrganisationService({ db: deps.db, clock: deps.clock })
  return { service, routes: organisationRoutes(service), api: organisationApi(service) }
}
