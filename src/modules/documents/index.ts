import type { FastifyInstance } from 'fastify'
import { can, type Actor } from '../../platform/auth/actor.js'
import { Permission } from '../../platform/auth/roles.js'
import type { UsersService } from '../identity/index.js'
import { documentsApi } from './documents.api.js'
import { documentsRoutes } from './documents.routes.js'
import { createDocumentsService, type DocumentsDeps, type PeopleDirectory } from './documents.service.js'

export type { DocumentsService, PeopleDirectory, Person } from './documents.service.js'
export { documentPaths } from './documents.paths.js'

/**
 * The officials a person may hand a document to, from the identity module: those whose accounts they may
 * see (a leader sees their unit's). Someone without that right forwards to units only.
 */
export function identityPeople(users: Pick<UsersService, 'listUsers'>): PeopleDirectory {
  return {
    async assignable(actor: Actor) {
      if (!can(actor, Permission.usersRead)) return []
      const rows = await users.listUsers(actor, {}, 500)
      return rows
        .filter((u) => u.status === 'active')
        .map((u) => ({ id: u.id, fullName: u.full_name, unitId: u.home_unit_id }))
    },
  }
}

/** Official documents (văn bản đến): registers, registration, assignment and processing, edXML, search. */
export function createDocumentsModule(deps: DocumentsDeps) {
  const service = createDocumentsService(deps)
  return {
    service,
    routes: async (app: FastifyInstance) => {
      await app.register(documentsRoutes(service, deps.config))
    },
    api: documentsApi(service, deps.config),
  }
}
