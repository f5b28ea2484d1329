import type { FastifyInstance, FastifyRequest } from 'fastify'
import { can, type Actor } from '../../platform/auth/actor.js'
import { Permission } from '../../platform/auth/roles.js'
import type { Jobs, JobsLog } from '../../platform/jobs/index.js'
import type { UsersService } from '../identity/index.js'
import type { LgspService } from '../lgsp/index.js'
import { documentExchangeApi, EXCHANGE_API_PREFIX } from './document-exchange.api.js'
import { EXCHANGE_QUEUE } from './document-exchange.queue.js'
import {
  createDocumentExchange,
  type AgencyDirectory,
  type DocumentExchange,
  type ExchangePubsub,
} from './document-exchange.service.js'
import { createDocumentRemindersService } from './document-reminders.js'
import { documentRemindersRoutes } from './document-reminders.routes.js'
import { documentTextApi } from './document-text.api.js'
import { TEXT_QUEUE } from './document-text.queue.js'
import { createDocumentTextService, TEXT_JOB_TIMEOUT_MS } from './document-text.service.js'
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
export type { AgencyDirectory, DocumentExchange, ExchangeMessage } from './document-exchange.service.js'
export { agencyTopic } from './document-exchange.service.js'
export { documentPaths } from './documents.paths.js'
export { outgoingPaths } from './outgoing.paths.js'
export type { OfficialsLookup, OutgoingService } from './outgoing.service.js'
export { workFilePaths } from './work-files.paths.js'
export { meetingPaths } from './meetings.paths.js'
export type { WorkFilesService } from './work-files.service.js'
export type { MeetingsService } from './meetings.service.js'
export type { DocumentRemindersService } from './document-reminders.js'

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
 * Agencies as the LGSP registry knows them: a member of class GOV is an agency by its QCVN 102 code, and its
 * active subsystems linked to SSO clients are its systems (decision 0011).
 */
export function lgspAgencies(lgsp: Pick<LgspService, 'snapshot'>): AgencyDirectory {
  const active = async () =>
    (await lgsp.snapshot()).subsystems.filter(
      (s) => s.member.member_class === 'GOV' && s.disabled_at === null && s.sso_client_id !== null,
    )
  return {
    async agencyOfClient(clientId) {
      const subsystem = (await active()).find((s) => s.sso_client_id === clientId)
      return subsystem && { code: subsystem.member.member_code, name: subsystem.member.name }
    },
    async clientsOfAgency(code) {
      return (await active()).filter((s) => s.member.member_code === code).map((s) => s.sso_client_id!)
    },
  }
}

/**
 * Whether a request may carry an agency system's SSO access token rather than a personal token: the
 * exchange API checks such tokens itself (app.ts lets them through without a person).
 */
export function acceptsExchangeToken(request: FastifyRequest): boolean {
  return request.url.startsWith(EXCHANGE_API_PREFIX)
}

/**
 * Official documents (văn bản đến): registers, registration, assignment and processing, edXML, search
 * (metadata and the text of attached PDFs, extracted by a job when `jobs` is given), work files and their
 * share processed electronically, paperless meetings.
 */
export function createDocumentsModule(
  deps: DocumentsDeps & { jobs?: Pick<Jobs, 'runner'> } & Pick<OutgoingDeps, 'signing' | 'officials'> & {
      /** Exchange with agencies over the LGSP (pub/sub out, the exchange API in); off without it. */
      exchange?: { pubsub: ExchangePubsub; agencies: AgencyDirectory; log: JobsLog }
    },
) {
  const service = createDocumentsService(deps)
  // Outgoing documents: drafts, approval chain, outgoing register, signature and dispatch. A clerk's resend
  // to one agency asks the exchange (built below, as it builds packages from outgoing documents) whether
  // the agency receives over the LGSP now.
  const lgsp: { exchange?: DocumentExchange } = {}
  const outgoing = createOutgoingService({
    ...deps,
    lgspReachable: async (agencyCode) =>
      lgsp.exchange ? (await lgsp.exchange.route(agencyCode)) !== null : false,
  })
  const workFiles = createWorkFilesService(deps)
  const meetings = createMeetingsService(deps)
  const text = createDocumentTextService({ ...deps, store: deps.files.store })
  // One PDF at a time per process: reading runs in a worker thread, off the request path.
  deps.jobs?.runner.handle(TEXT_QUEUE, text.extractFile, {
    concurrency: 1,
    maxAttempts: 5,
    timeoutMs: TEXT_JOB_TIMEOUT_MS,
  })
  const exchange = deps.exchange
    ? createDocumentExchange({
        ...deps,
        ...deps.exchange,
        documents: service,
        outgoing,
        organisation: deps.organisation,
      })
    : undefined
  lgsp.exchange = exchange
  // Packages and status messages to agencies over the LGSP: retried with back-off while the pub/sub or the
  // database fails; an agency that does not receive over the LGSP is noted at once, not retried.
  if (exchange) {
    deps.jobs?.runner.handle(EXCHANGE_QUEUE, exchange.send, {
      concurrency: 2,
      maxAttempts: 10,
      timeoutMs: 2 * 60_000,
    })
    // Status messages owed to a sender that had no subscription go once it subscribes: one scan per
    // interval across processes, the sending itself by the jobs above.
    deps.jobs?.runner.every('documents.exchange-retry', deps.config.documentExchangeRetryMs, async () => {
      await exchange.retryStatuses()
    })
  }
  // Reminders before deadlines and overdue notices: one scan per interval across processes, each reminder once.
  const reminders = createDocumentRemindersService(deps)
  deps.jobs?.runner.every('documents.reminders', deps.config.documentReminderScanMs, async () => {
    await reminders.scan()
  })
  return {
    service,
    outgoing,
    workFiles,
    meetings,
    text,
    reminders,
    exchange,
    routes: async (app: FastifyInstance) => {
      await app.register(documentsRoutes(service, deps.config, reminders))
      await app.register(documentRemindersRoutes(reminders))
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
      if (exchange) await app.register(documentExchangeApi(exchange, deps.config))
    },
  }
}
