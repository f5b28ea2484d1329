import { appendAudit, type AuditContext } from '../../platform/audit/audit.js'
import { authorize, can, type Actor } from '../../platform/auth/actor.js'
import { Permission } from '../../platform/auth/roles.js'
import { inTransaction, type Tx } from '../../platform/db/database.js'
import { ConflictError, NotFoundError } from '../../platform/http/errors.js'
import { isUuid } from '../../platform/ids.js'
import { enqueue, type JobContext, type JobsLog } from '../../platform/jobs/index.js'
import type { Mailer } from '../../platform/mail/mailer.js'
import type { ModuleDeps } from '../../platform/module.js'
import type { OfficialContact } from '../identity/index.js'
import type { OrganisationService } from '../organisation/index.js'
import {
  Channel,
  contactOf,
  documentReminderMessage,
  maskRecipient,
  meetingNoticeMessage,
  messageFor,
  recipientsOf,
  type Contact,
  type DocumentReminderEvent,
  type MeetingNoticeEvent,
  type NotificationEvent,
  type Recipient,
} from './notification-plan.js'
import { renderEmail, renderSms, type Template, type TemplateVars } from './notification-templates.js'
import * as repo from './notifications.repository.js'
import type { NotificationStatus } from './notifications.tables.js'
import type { SmsSender } from './sms-gateway.js'

declare module '../../platform/jobs/queue.js' {
  interface JobPayloads {
    /** Sends one message of the notifications table. */
    'notifications.send': { id: string }
  }
}

export const SEND_QUEUE = 'notifications.send'
export const CONSUMER = 'notifications'
/** The outbox consumer of document reminders to officials. */
export const DOCUMENT_CONSUMER = 'notifications.documents'
/** The outbox consumer of notices to the officials invited to a meeting. */
export const MEETING_CONSUMER = 'notifications.meetings'
/** Administrators of a unit (and of the province) see its messages and send failed ones again. */
export const ADMINISTER = Permission.usersManage
export const PAGE_SIZE = 50

export type NotificationsDeps = ModuleDeps & {
  organisation: Pick<OrganisationService, 'findUnitsByIds' | 'listUnits'>
  /** Officials' names and contacts, from the identity module (app.ts passes its officials directory). */
  officials: { contacts(ids: readonly string[]): Promise<OfficialContact[]> }
  mailer: Mailer
  /** null: no SMS gateway configured; SMS are recorded as not sent. */
  sms: SmsSender | null
  log: JobsLog
}

/** What a failed attempt leaves in last_error: the message, not the stack, for the administrators' page. */
function describeError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  return text.length > 1000 ? `${text.slice(0, 1000)}…` : text
}

function render(channel: Channel, template: Template, vars: TemplateVars) {
  if (channel === Channel.email) {
    const mail = renderEmail(template, vars)
    return { version: mail.version, subject: mail.subject, body: mail.text, html: mail.html }
  }
  const sms = renderSms(template, vars)
  return sms && { version: sms.version, subject: null, body: sms.text, html: null }
}

export function createNotificationsService(deps: NotificationsDeps) {
  const { db, clock, config, mailer, sms, log } = deps

  function unavailable(channel: Channel): string | null {
    if (channel === Channel.email && mailer.kind !== 'smtp') {
      return 'Chưa gửi: chưa cấu hình máy chủ thư (not sent: SMTP_URL is not set).'
    }
    if (channel === Channel.sms && !sms) {
      return 'Chưa gửi: chưa cấu hình cổng SMS (not sent: no gateway).'
    }
    return null
  }

  async function unitName(unitId: string): Promise<string> {
    const [unit] = await deps.organisation.findUnitsByIds([unitId])
    return unit?.name ?? 'cơ quan giải quyết hồ sơ'
  }

  /**
   * The outbox consumer. An event that calls for a message becomes one row and one job per recipient, written
   * together; the row's unique key (event, channel, recipient) makes a re-delivered event add nothing, and the
   * job's singleton key keeps a second job off the queue while the first is live.
   */
  async function consume(event: NotificationEvent): Promise<void> {
    const now = clock()
    const contact: Contact | undefined =
      event.topic === 'dossier.status_changed'
        ? contactOf(event.payload)
        : await repo.findContact(db, event.payload.code)
    if (!contact) {
      // A dossier whose status events came before this module was installed: nobody known to tell.
      log.info(
        { event: { seq: event.seq, topic: event.topic, code: event.payload.code } },
        'notification: no contact recorded for the dossier; nothing to send',
      )
      return
    }
    // Read before the transaction: on the embedded database the transaction holds the only connection.
    const message = messageFor(event, contact, await unitName(contact.unitId), {
      publicUrl: config.publicUrl,
    })
    const recipients = message ? recipientsOf(contact) : []
    await inTransaction(db, async (tx) => {
      if (event.topic === 'dossier.status_changed') await repo.saveContact(tx, contact, now)
      if (!message) return
      await writeMessages(
        tx,
        event,
        {
          dossierCode: contact.dossierCode,
          documentId: null,
          unitId: contact.unitId,
          userId: contact.userId,
        },
        recipients,
        message,
        now,
      )
    })
  }

  /**
   * One row and one job per channel and address, unless this event already gave one (the row's unique key);
   * an address that cannot be used, or a channel not configured, is recorded as skipped with the reason.
   */
  async function writeMessages(
    tx: Tx,
    event: { seq: number; topic: string },
    about: {
      dossierCode: string | null
      documentId: string | null
      meetingId?: string | null
      unitId: string
      userId: string | null
    },
    recipients: readonly Recipient[],
    message: { template: Template; vars: TemplateVars },
    now: Date,
  ) {
    for (const { channel, recipient, unusable } of recipients) {
      const rendered = render(channel, message.template, message.vars)
      if (!rendered) continue
      const reason = unusable ?? unavailable(channel)
      const id = await repo.insertNotification(tx, {
        event_seq: event.seq,
        event_topic: event.topic,
        dossier_code: about.dossierCode,
        document_id: about.documentId,
        meeting_id: about.meetingId ?? null,
        unit_id: about.unitId,
        user_id: about.userId,
        channel,
        recipient,
        template: message.template,
        template_version: rendered.version,
        subject: rendered.subject,
        body: rendered.body,
        html: rendered.html,
        status: reason ? 'skipped' : 'queued',
        last_error: reason,
        created_at: now,
        updated_at: now,
        sent_at: null,
      })
      if (id && !reason) {
        await enqueue(tx, SEND_QUEUE, { id }, { singletonKey: `${event.seq}:${channel}:${recipient}` })
      }
    }
  }

  /**
   * The consumer of document reminders: each official named in the event gets the reminder by e-mail and SMS
   * at the addresses on their account (officials no longer active are left out). Re-delivery adds nothing.
   */
  async function consumeDocumentReminder(event: DocumentReminderEvent): Promise<void> {
    const now = clock()
    const people = await deps.officials.contacts(event.payload.recipients)
    if (people.length === 0) return
    const [unit] = await deps.organisation.findUnitsByIds([event.payload.unitId])
    const unitName = unit?.name ?? 'đơn vị'
    await inTransaction(db, async (tx) => {
      for (const person of people) {
        const message = documentReminderMessage(event, person.fullName, unitName, {
          publicUrl: config.publicUrl,
        })
        await writeMessages(
          tx,
          event,
          {
            dossierCode: null,
            documentId: event.payload.documentId,
            unitId: event.payload.unitId,
            userId: person.id,
          },
          recipientsOf(person),
          message,
          now,
        )
      }
    })
  }

  /**
   * The consumer of meeting notices: each official named in the event gets it by e-mail and SMS at the
   * addresses on their account (officials no longer active are left out). Re-delivery adds
   * nothing: the row's unique key is the event, channel and address.
   */
  async function consumeMeetingNotice(event: MeetingNoticeEvent): Promise<void> {
    const now = clock()
    const people = await deps.officials.contacts(event.payload.recipients)
    if (people.length === 0) return
    const [unit] = await deps.organisation.findUnitsByIds([event.payload.unitId])
    const unitName = unit?.name ?? 'đơn vị tổ chức'
    await inTransaction(db, async (tx) => {
      for (const person of people) {
        const message = meetingNoticeMessage(event, person.fullName, unitName, {
          publicUrl: config.publicUrl,
        })
        await writeMessages(
          tx,
          event,
          {
            dossierCode: null,
            documentId: null,
            meetingId: event.payload.meetingId,
            unitId: event.payload.unitId,
            userId: person.id,
          },
          recipientsOf(person),
          message,
          now,
        )
      }
    })
  }

  /**
   * The job handler: sends one message. A failure is recorded on the row and thrown, so the runner retries it
   * with back-off; after the last attempt the row is `failed` and the job `dead`. The user's action that caused
   * the message committed long before and is never touched.
   */
  async function deliver({ id }: { id: string }, job: JobContext): Promise<void> {
    const row = await repo.findNotification(db, id)
    // Sent already: the runner ran the job again after a crash between sending and recording it.
    if (!row || row.status === 'sent' || row.status === 'skipped') return
    const reason = unavailable(row.channel)
    if (reason) {
      await repo.markSkipped(db, id, reason, clock())
      return
    }
    await repo.countAttempt(db, id, clock())
    try {
      if (row.channel === Channel.email) {
        await mailer.deliver({
          to: row.recipient,
          subject: row.subject ?? '',
          text: row.body,
          ...(row.html ? { html: row.html } : {}),
        })
      } else {
        await sms!.send(row.recipient, row.body, job.signal)
      }
    } catch (error) {
      const last = job.attempt >= job.maxAttempts
      await repo.markAttemptFailed(db, id, last ? 'failed' : 'queued', describeError(error), clock())
      const context = {
        err: error,
        notification: {
          id,
          dossierCode: row.dossier_code,
          template: row.template,
          channel: row.channel,
          to: maskRecipient(row.channel, row.recipient),
        },
        attempt: job.attempt,
        maxAttempts: job.maxAttempts,
      }
      if (last) log.error(context, 'notification not sent after its last attempt; marked failed')
      else log.warn(context, 'notification not sent; it will be retried')
      throw error
    }
    await repo.markSent(db, id, clock())
  }

  /** The signed-in person's own messages, newest first. */
  async function listMine(actor: Actor, before?: repo.Cursor) {
    return repo.listNotifications(db, { userId: actor.userId, before }, PAGE_SIZE + 1)
  }

  /** The units whose messages an administrator sees; null for all of them. */
  async function unitsOf(actor: Actor | null): Promise<string[] | null> {
    authorize(actor, ADMINISTER)
    const units = await deps.organisation.listUnits({})
    const allowed = units.filter((unit) => can(actor, ADMINISTER, unit))
    return allowed.length === units.length ? null : allowed.map((unit) => unit.id)
  }

  async function listForAdministrator(
    actor: Actor | null,
    filter: { status?: NotificationStatus; before?: repo.Cursor },
  ) {
    const unitIds = await unitsOf(actor)
    return repo.listNotifications(db, { ...filter, unitIds }, PAGE_SIZE + 1)
  }

  /** Puts a failed message back in the queue, with a fresh set of attempts; audited. */
  async function retry(actor: Actor | null, ctx: AuditContext, id: string): Promise<void> {
    const unitIds = await unitsOf(actor)
    const row = isUuid(id) ? await repo.findNotification(db, id.toLowerCase()) : undefined
    if (!row || (unitIds && !unitIds.includes(row.unit_id))) {
      throw new NotFoundError('Không tìm thấy thông báo.')
    }
    if (row.status !== 'failed') {
      throw new ConflictError('Chỉ gửi lại được thông báo gửi không thành công.', { status: row.status })
    }
    const reason = unavailable(row.channel)
    if (reason) throw new ConflictError(reason)
    const now = clock()
    await inTransaction(db, async (tx) => {
      if (!(await repo.requeue(tx, row.id, now))) {
        throw new ConflictError('Thông báo vừa được gửi lại; vui lòng tải lại trang.')
      }
      const job = await enqueue(
        tx,
        SEND_QUEUE,
        { id: row.id },
        { singletonKey: `${row.event_seq}:${row.channel}:${row.recipient}` },
      )
      // The last attempt has failed but its job is not yet recorded dead: try again in a moment.
      if (job === undefined)
        throw new ConflictError('Thông báo đang được xử lý; vui lòng thử lại sau ít phút.')
      await appendAudit(
        tx,
        ctx,
        {
          action: 'notification.retried',
          objectType: 'notification',
          objectId: row.id,
          unitId: row.unit_id,
          details: { dossierCode: row.dossier_code, channel: row.channel, template: row.template },
        },
        now,
      )
    })
  }

  return {
    consume,
    consumeDocumentReminder,
    consumeMeetingNotice,
    deliver,
    listMine,
    listForAdministrator,
    retry,
  }
}

export type NotificationsService = ReturnType<typeof createNotificationsService>
