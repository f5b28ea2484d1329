import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Jobs, JobsLog } from '../../platform/jobs/index.js'
import type { ModuleDeps } from '../../platform/module.js'
import type { OrganisationService } from '../organisation/index.js'
import type { SsoService } from '../sso/index.js'
import { createDeliveryHandler, purgeExpiredEvents, sweepDeliveries } from './pubsub.delivery.js'
import { platformEventsConsumer, PLATFORM_TOPICS, type PlatformTopic } from './pubsub.platform-events.js'
import { pubsubApi } from './pubsub.api.js'
import { SYSTEM_API_PREFIX } from './pubsub.paths.js'
import { DELIVER_QUEUE } from './pubsub.repository.js'
import { pubsubRoutes } from './pubsub.routes.js'
import { createPubsubService, type ClientDirectory } from './pubsub.service.js'

export type {
  ClientDirectory,
  InternalHandler,
  PublishedEvent,
  PubsubService,
  SystemClient,
} from './pubsub.service.js'
export { internalClientId, LGSP_SCOPE, RefusedEventError } from './pubsub.service.js'
export { pubsubPaths } from './pubsub.paths.js'
export { PLATFORM_TOPICS, type PlatformTopic } from './pubsub.platform-events.js'
export { signWebhook, verifyWebhookSignature, WebhookHeader } from './pubsub.webhook.js'
export { DeliveryState } from './pubsub.tables.js'

export type PubsubModuleDeps = ModuleDeps & {
  jobs: Pick<Jobs, 'runner' | 'outbox'>
  clients: ClientDirectory
  organisation: Pick<OrganisationService, 'findUnitsByIds'>
  log: JobsLog
}

/** The SSO's registered clients as pub/sub sees them: bearer tokens of systems, and names for the pages. */
export function ssoClientDirectory(sso: SsoService): ClientDirectory {
  return {
    authenticate: async (token) => {
      const found = await sso.authenticateBearer(token)
      return found && { clientId: found.clientId, scope: found.scope }
    },
    find: async (clientId) => {
      const row = await sso.clients.findClientPublic(clientId)
      return row && { clientId: row.client_id, name: row.name, disabled: row.disabled_at !== null }
    },
  }
}

/**
 * Whether a request may carry a system's SSO access token rather than a personal token: the identity module
 * knows only personal tokens, so app.ts lets these through without a person and pub/sub checks them itself.
 */
export function acceptsSystemToken(request: FastifyRequest): boolean {
  return request.url.startsWith(SYSTEM_API_PREFIX)
}

/**
 * Publish/subscribe of the integration platform: event types, publishing by systems, push (signed webhooks
 * through the job queue, retries, dead letters, order per key) and pull (ack, seek) subscriptions, and the
 * platform's own dossier and document events republished as topics.
 */
export function createPubsubModule(deps: PubsubModuleDeps) {
  const service = createPubsubService(deps, PLATFORM_TOPICS)
  const { config, jobs } = deps
  jobs.runner.handle(
    DELIVER_QUEUE,
    createDeliveryHandler({
      db: deps.db,
      secretKey: config.secretKey,
      timeoutMs: config.pubsubTimeoutMs,
      service,
      log: deps.log,
    }),
    {
      concurrency: 8,
      maxAttempts: config.pubsubMaxAttempts,
      backoff: { baseMs: config.pubsubRetryMs, maxMs: 60 * 60_000 },
      timeoutMs: config.pubsubTimeoutMs + 30_000,
    },
  )
  jobs.runner.every('pubsub.sweep', 5_000, async () => {
    await sweepDeliveries(deps.db)
  })
  jobs.runner.every('pubsub.retention', 10 * 60_000, async () => {
    const before = new Date(deps.clock().getTime() - config.pubsubRetentionDays * 86_400_000)
    await purgeExpiredEvents(deps.db, before)
  })
  const consumer = platformEventsConsumer(service, deps.organisation)
  jobs.outbox.subscribe<PlatformTopic>(consumer.name, consumer.topics, consumer.handle)
  return {
    service,
    routes: async (app: FastifyInstance) => {
      // Platform topics and internal subscriptions exist before the first event is republished.
      await service.ensurePlatformTopics()
      await service.ensureInternalSubscriptions()
      await app.register(pubsubRoutes(service))
    },
    api: pubsubApi(service),
  }
}
