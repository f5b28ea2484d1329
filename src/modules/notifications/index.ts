import type { FastifyInstance } from 'fastify'
import type { Jobs } from '../../platform/jobs/index.js'
import {
  DOCUMENT_TOPICS,
  MEETING_TOPICS,
  TOPICS,
  type DocumentTopic,
  type MeetingTopic,
  type NotificationTopic,
} from './notification-plan.js'
import { notificationsRoutes } from './notifications.routes.js'
import {
  CONSUMER,
  createNotificationsService,
  DOCUMENT_CONSUMER,
  MEETING_CONSUMER,
  SEND_QUEUE,
  type NotificationsDeps,
} from './notifications.service.js'
import { HttpSmsGateway } from './sms-gateway.js'

export type { NotificationsService } from './notifications.service.js'
export type { SmsSender } from './sms-gateway.js'
export { notificationPaths } from './notifications.paths.js'

export type NotificationsModuleDeps = Omit<NotificationsDeps, 'sms'> & {
  jobs: Pick<Jobs, 'runner' | 'outbox'>
}

/**
 * E-mail and SMS to applicants about their dossiers, and to officials about the deadlines of documents assigned
 * to them and the meetings they are invited to: templates, delivery through the job queue, the pages.
 */
export function createNotificationsModule(deps: NotificationsModuleDeps) {
  const { config } = deps
  const sms = config.smsGateway ? new HttpSmsGateway(config.smsGateway) : null
  const service = createNotificationsService({ ...deps, sms })
  deps.jobs.runner.handle(SEND_QUEUE, service.deliver, {
    concurrency: 4,
    maxAttempts: config.notificationMaxAttempts,
    backoff: { baseMs: config.notificationRetryMs, maxMs: Math.max(config.notificationRetryMs, 60 * 60_000) },
    // nodemailer's own timeouts are longer; an attempt stuck past this counts as failed and is retried.
    timeoutMs: 2 * 60_000,
  })
  // From now: installed on a platform with a history, it must not write to every past applicant.
  deps.jobs.outbox.subscribe<NotificationTopic>(CONSUMER, TOPICS, service.consume, { from: 'now' })
  // Reminders of document deadlines to officials, from the documents module's scan.
  deps.jobs.outbox.subscribe<DocumentTopic>(
    DOCUMENT_CONSUMER,
    DOCUMENT_TOPICS,
    service.consumeDocumentReminder,
    {
      from: 'now',
    },
  )
  // Invitations, change notices and cancellations to the officials invited to a paperless meeting.
  deps.jobs.outbox.subscribe<MeetingTopic>(MEETING_CONSUMER, MEETING_TOPICS, service.consumeMeetingNotice, {
    from: 'now',
  })
  return {
    service,
    routes: async (app: FastifyInstance) => {
      await app.register(notificationsRoutes(service))
    },
  }
}
