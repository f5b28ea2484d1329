import { randomUUID } from 'node:crypto'
import swagger from '@fastify/swagger'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyServerOptions } from 'fastify'
import { createCalendarModule } from './modules/calendar/index.js'
import { createCatalogueModule } from './modules/catalogue/index.js'
import {
  acceptsExchangeToken,
  createDocumentsModule,
  identityPeople,
  lgspAgencies,
} from './modules/documents/index.js'
import { createDossiersModule } from './modules/dossiers/index.js'
import { createIdentityModule, officialsDirectory } from './modules/identity/index.js'
import { createIndicatorsModule, type IndicatorTopic } from './modules/indicators/index.js'
import { createLgspModule, gatewayPaths } from './modules/lgsp/index.js'
import { CHAIN_INTERVAL_MS, createMessageLogModule } from './modules/lgsp-log/index.js'
import { createNationalSyncModule } from './modules/national-sync/index.js'
import { createNotificationsModule } from './modules/notifications/index.js'
import { createOrganisationModule } from './modules/organisation/index.js'
import { createPaymentsModule } from './modules/payments/index.js'
import { createPortalModule } from './modules/portal/index.js'
import { acceptsSystemToken, createPubsubModule, ssoClientDirectory } from './modules/pubsub/index.js'
import { createSsoModule } from './modules/sso/index.js'
import { createVerificationModule } from './modules/verification/index.js'
import { chainAudit } from './platform/audit/audit.js'
import { systemClock, type Clock } from './platform/clock.js'
import type { Config } from './platform/config.js'
import type { Database } from './platform/db/database.js'
import { apiDocsRoutes, openApiOptions } from './platform/http/openapi.js'
import { httpKernel } from './platform/http/plugin.js'
import { createRawRoutes } from './platform/http/raw-routes.js'
import { validatorCompiler } from './platform/http/validation.js'
import { openObjectStore, openScanner } from './platform/files/index.js'
import { createJobs, type Jobs } from './platform/jobs/index.js'
import { createMailer } from './platform/mail/mailer.js'
import { SigningKeys } from './platform/signing/index.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The job runner and outbox dispatcher; `start()` them to process background work. */
    jobs: Jobs
  }
}

export type AppOptions = {
  config: Config
  database: Database
  clock?: Clock
  logger?: FastifyServerOptions['logger']
}

/** Builds the whole platform: the kernel first, then each system of the province's plan, in order. */
export async function buildApp({ config, database, clock = systemClock, logger }: AppOptions) {
  // System-to-system paths (the LGSP gateway) are served by Node's server before Fastify's page kernel.
  const rawRoutes = createRawRoutes()
  const app = Fastify({
    serverFactory: rawRoutes.serverFactory,
    logger: logger ?? { level: config.logLevel },
    genReqId: () => randomUUID(),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<TypeBoxTypeProvider>()
  app.setValidatorCompiler(validatorCompiler)

  const deps = { db: database.db, config, clock }
  // Background work of this process: started by the server once it listens, stopped when the app closes.
  const jobs = createJobs({ db: database.db, kind: database.kind, logger: app.log })
  jobs.runner.every('platform.audit.chain', 500, async () => {
    await chainAudit(database.db)
  })
  const organisation = createOrganisationModule(deps)
  const mailer = createMailer(config, app.log)
  const identity = createIdentityModule({ ...deps, organisation: organisation.service, mailer })
  const sso = createSsoModule({ ...deps, auth: identity.auth, log: app.log, signals: database.signals })
  // Expired provider records and retired keys go; a key rotation done from the CLI is picked up.
  jobs.runner.every('sso.maintain', 60_000, () => sso.service.maintain())
  const portal = createPortalModule(deps)
  const calendar = createCalendarModule(deps)
  const catalogue = createCatalogueModule({ ...deps, organisation: organisation.service })
  const signing = new SigningKeys({
    dir: config.signingDir,
    passphrase: config.signingPassword,
    generateTestCertificates: config.signingTestCertificates,
    clock,
  })
  const verification = createVerificationModule({ config, signing })
  // The LGSP message log: the gateway records every exchange; the timer chains and signs them in batches.
  const lgspLog = createMessageLogModule({ ...deps, signing })
  jobs.runner.every('lgsp.log.chain', CHAIN_INTERVAL_MS, lgspLog.chain)
  // The LGSP registry and gateway: SSO tokens authenticate client systems, the message log records each call.
  const lgsp = createLgspModule({
    ...deps,
    sso: sso.service,
    recorder: lgspLog.recorder,
    log: app.log,
    signals: database.signals,
  })
  rawRoutes.mount(`${gatewayPaths.prefix}/`, lgsp.gateway.serve)
  await lgsp.start()
  const files = {
    store: openObjectStore(config),
    scanner: openScanner(config),
    maxBytes: config.uploadMaxBytes,
  }
  const dossiers = createDossiersModule({
    ...deps,
    files,
    signing,
    organisation: organisation.service,
    catalogue: catalogue.service,
    calendar: calendar.calendar,
    applicantProfile: async (userId) => {
      const user = await identity.auth.getProfile(userId)
      return { citizenId: user.citizen_id, phone: user.phone, email: user.email }
    },
  })
  const officials = officialsDirectory(database.db)
  // LGSP publish/subscribe: systems publish and pull with SSO access tokens; the platform's dossier and
  // document events become topics, and documents for agencies outside the platform go to their topics.
  const pubsub = createPubsubModule({
    ...deps,
    jobs,
    clients: ssoClientDirectory(sso.service),
    organisation: organisation.service,
    log: app.log,
  })
  const documents = createDocumentsModule({
    ...deps,
    files,
    organisation: organisation.service,
    calendar: calendar.calendar,
    people: identityPeople(identity.users),
    jobs,
    signing,
    officials,
    // edXML packages and status messages with agencies over the LGSP (decision 0011).
    exchange: { pubsub: pubsub.service, agencies: lgspAgencies(lgsp.service), log: app.log },
  })
  const indicators = createIndicatorsModule({
    ...deps,
    organisation: organisation.service,
    catalogue: catalogue.service,
  })
  jobs.outbox.subscribe<IndicatorTopic>(
    indicators.consumer.name,
    indicators.consumer.topics,
    indicators.consumer.handle,
  )
  const payments = createPaymentsModule({
    ...deps,
    jobs,
    signing,
    dossiers: dossiers.service,
    organisation: organisation.service,
  })
  const notifications = createNotificationsModule({
    ...deps,
    jobs,
    mailer,
    organisation: organisation.service,
    officials,
    log: app.log,
  })

  // Dossier events to the national public-service portal, through pub/sub (off without NATIONAL_PORTAL_URL).
  const nationalSync = createNationalSyncModule({
    ...deps,
    pubsub: pubsub.service,
    organisation: organisation.service,
    catalogue: catalogue.service,
    log: app.log,
  })

  await app.register(swagger, openApiOptions)
  await app.register(httpKernel, {
    config,
    db: database.db,
    // A system's SSO access token is not a personal token: pub/sub and the documents' exchange API check it
    // themselves. Without a session such a call carries no ambient credential, so it needs no CSRF token either.
    resolveActor: async (request, reply) => {
      const system = { actor: null, via: 'token', sessionId: null } as const
      const systemPath = acceptsSystemToken(request) || acceptsExchangeToken(request)
      try {
        const resolved = await identity.resolveActor(request, reply)
        return resolved.actor === null && systemPath ? system : resolved
      } catch (error) {
        if (systemPath) return system
        throw error
      }
    },
  })

  // Pages for people.
  await app.register(portal.routes)
  await app.register(identity.routes)
  await app.register(sso.routes)
  await app.register(organisation.routes)
  await app.register(calendar.routes)
  await app.register(catalogue.routes)
  await app.register(dossiers.routes)
  await app.register(documents.routes)
  await app.register(payments.routes)
  await app.register(indicators.routes)
  await app.register(notifications.routes)
  await app.register(verification.routes)
  await app.register(pubsub.routes)
  await app.register(nationalSync.routes)
  await app.register(lgsp.routes)
  await app.register(lgspLog.routes)

  // JSON for programs.
  await app.register(
    async (api) => {
      api.addHook(
        'onRequest',
        api.rateLimit({
          max: config.apiRateLimitPerMinute,
          timeWindow: '1 minute',
          // Per token when one is sent, so clients behind one NAT do not share a budget.
          keyGenerator: (request) => String(request.headers.authorization ?? request.ip).slice(0, 80),
        }),
      )
      await api.register(identity.api)
      await api.register(organisation.api)
      await api.register(calendar.api)
      await api.register(catalogue.api)
      await api.register(dossiers.api)
      await api.register(documents.api)
      await api.register(payments.api)
      await api.register(indicators.api)
      await api.register(verification.api)
      await api.register(pubsub.api)
      await api.register(nationalSync.api)
      await api.register(lgsp.api)
      await api.register(lgspLog.api)
    },
    { prefix: '/api/v1' },
  )
  await app.register(apiDocsRoutes)

  // Calls between systems, X-Road style (/r1/…): bearer tokens only, no cookies, no CSRF, bodies streamed.
  await app.register(lgsp.gatewayRoutes)

  app.decorate('jobs', jobs)
  app.addHook('onClose', async () => {
    await lgspLog.drain()
    await jobs.stop(5_000)
  })
  return app
}

export type App = Awaited<ReturnType<typeof buildApp>>
