import { randomUUID } from 'node:crypto'
import swagger from '@fastify/swagger'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyServerOptions } from 'fastify'
import { createCalendarModule } from './modules/calendar/index.js'
import { createCatalogueModule } from './modules/catalogue/index.js'
import { createDocumentsModule, identityPeople } from './modules/documents/index.js'
import { createDossiersModule } from './modules/dossiers/index.js'
import { createIdentityModule } from './modules/identity/index.js'
import { createIndicatorsModule, type IndicatorTopic } from './modules/indicators/index.js'
import { createNotificationsModule } from './modules/notifications/index.js'
import { createOrganisationModule } from './modules/organisation/index.js'
import { createPaymentsModule } from './modules/payments/index.js'
import { createPortalModule } from './modules/portal/index.js'
import { createSsoModule } from './modules/sso/index.js'
import { createVerificationModule } from './modules/verification/index.js'
import { chainAudit } from './platform/audit/audit.js'
import { systemClock, type Clock } from './platform/clock.js'
import type { Config } from './platform/config.js'
import type { Database } from './platform/db/database.js'
import { apiDocsRoutes, openApiOptions } from './platform/http/openapi.js'
import { httpKernel } from './platform/http/plugin.js'
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
  const app = Fastify({
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
  const sso = createSsoModule({ ...deps, auth: identity.auth, log: app.log })
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
  const documents = createDocumentsModule({
    ...deps,
    files,
    organisation: organisation.service,
    calendar: calendar.calendar,
    people: identityPeople(identity.users),
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
    log: app.log,
  })

  await app.register(swagger, openApiOptions)
  await app.register(httpKernel, { config, db: database.db, resolveActor: identity.resolveActor })

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
    },
    { prefix: '/api/v1' },
  )
  await app.register(apiDocsRoutes)

  app.decorate('jobs', jobs)
  app.addHook('onClose', () => jobs.stop(5_000))
  return app
}

export type App = Awaited<ReturnType<typeof buildApp>>
