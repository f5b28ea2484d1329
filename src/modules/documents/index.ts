import type { FastifyInstance } from 'fastify'
import { can, type Actor } from '../../platform/auth/actor.js'
import { Permission } from '../../platform/auth/roles.js'
import type { Jobs } from '../../platform/jobs/index.js'
import type { UsersService } from '../identity/index.js'
import { documentTextApi } from './document-text.api.js'
import { TEXT_QUEUE } from './document-text.queue.js'
import { createDocumentTextService } from './document-text.service.js'
import { documentsApi } from './documents.api.js'
import { documentsRoutes } from './documents.routes.js'
import { outgoingApi } from './outgoing.api.js'
import { outgoingRoutes } from './outgoing.routes.js'
import { createOutgoingService, type OutgoingDeps } from './outgoing.service.js'
import { createDocumentsService, type DocumentsDeps, type PeopleDirectory } from './documents.service.js'
import { createMeetingsService } from './meetings.service.js'
import { meetingsApi } from './meetings.api.js'
import { meetingsRoutes } from './meetings.routes.js'
import { workFilesApi } from './work-files.api.js'
import { workFilesRoutes } from './work-files.routes.js'
import { createWorkFilesService } from './work-files.service.js'

export type { DocumentsService, PeopleDirectory, Person } from './documents.service.js'
export { documentPaths } from './documents.paths.js'
export { outgoingPaths } from './outgoing.paths.js'
export type { OfficialsLookup, OutgoingService } from './outgoing.service.js'
export { workFilePaths } from './work-files.paths.js'
export { meetingPaths } from './meetings.paths.js'
export type { WorkFilesService } from './work-files.service.js'
export type { MeetingsService } from './meetings.service.js'

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

/**
 * Official documents (văn bản đến): registers, registration, assignment and processing, edXML, search
 * (metadata and the text of attached PDFs, extracted by a job when `jobs` is given), work files and their
 * share processed electronically, paperless meetings.
 */
export function createDocumentsModule(
  deps: DocumentsDeps & { jobs?: Pick<Jobs, 'runner'> } & Pick<OutgoingDeps, 'signing' | 'officials'>,
) {
  const service = createDocumentsService(deps)
  // Outgoing documents: drafts, approval chain, outgoing register, signature and dispatch.
  const outgoing = createOutgoingService(deps)
  const workFiles = createWorkFilesService(deps)
  const meetings = createMeetingsService(deps)
  const text = createDocumentTextService({ ...deps, store: deps.files.store })
  // One PDF at a time per process: reading runs in a worker thread, off the request path.
  deps.jobs?.runner.handle(TEXT_QUEUE, text.extractFile, {
    concurrency: 1,
    maxAttempts: 5,
    timeoutMs: 3 * 60_000,
  })
  return {
    service,
    outgoing,
    workFiles,
    meetings,
    text,
    routes: async (app: FastifyInstance) => {
      await app.register(documentsRoutes(service, deps.config))
      await app.register(outgoingRoutes(outgoing, deps.config))
      await app.register(workFilesRoutes(workFiles))
      await app.register(meetingsRoutes(meetings, deps.config))
    },
    api: async (app: FastifyInstance) => {
      await app.register(documentsApi(service, deps.config))
      await app.register(outgoingApi(outgoing, deps.config))
      await app.register(workFilesApi(workFiles))
      await app.register(meetingsApi(meetings, deps.config))
      await app.register(documentTextApi(text))
    },
  }
}
