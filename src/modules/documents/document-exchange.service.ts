import { appendAudit, type AuditContext } from '../../platform/audit/audit.js'
import { ForbiddenError } from '../../platform/auth/actor.js'
import { inTransaction } from '../../platform/db/database.js'
import { AppError, ConflictError, NotFoundError, ValidationError } from '../../platform/http/errors.js'
import type { JobsLog } from '../../platform/jobs/index.js'
import type { ModuleDeps } from '../../platform/module.js'
import type { OrganisationService, OrgUnit } from '../organisation/index.js'
import type { PubsubService } from '../pubsub/index.js'
import { queueStatusSend } from './document-exchange.queue.js'
import * as exchange from './document-exchange.repository.js'
import * as docs from './documents.repository.js'
import type { DocumentsService } from './documents.service.js'
import { applyAmendment, type By } from './edxml-amendments.js'
import {
  BusinessType,
  businessLabel,
  packageKey,
  parseDocumentId,
  parseStatusMessage,
  StatusCode,
  statusDescription,
  type BusinessType as Business,
} from './edxml.js'
import * as outgoingRepo from './outgoing.repository.js'
import type { OutgoingService } from './outgoing.service.js'

/**
 * Who is who on the LGSP, from its registry: an agency is a member of class GOV whose member code is its
 * QCVN 102 code; its systems are the subsystems linked to SSO clients. Given by app.ts (decision 0011).
 */
export type AgencyDirectory = {
  /** The agency whose active subsystem acts through this SSO client. */
  agencyOfClient(clientId: string): Promise<{ code: string; name: string } | undefined>
  /** The SSO clients of the agency's active subsystems. */
  clientsOfAgency(code: string): Promise<string[]>
}

export type ExchangePubsub = Pick<
  PubsubService,
  'authenticate' | 'ensureTopic' | 'publishPlatform' | 'listSubscriptions'
>

/** Documents queued per agency and scan of the status retry; more wait for the next scan. */
const RETRY_BATCH = 500

/** One topic per agency: only its own systems may subscribe, so an agency only sees what is addressed to it. */
export const agencyTopic = (code: string) => `edxml.${code.toLowerCase()}`

/** What a subscriber receives in the pub/sub event's payload. */
export type ExchangeMessage = {
  messageType: 'edoc' | 'status'
  /** edoc: BussinessDocType 0–3. */
  businessType: number | null
  /** status: StatusCode. */
  statusCode: string | null
  from: string
  to: string
  /** The edXML DocumentId the message is about (also the event's key). */
  documentId: string
  edxml: string
}

/** Thrown when a message sent to the exchange API is not an edXML message that can be read. */
export class MalformedMessageError extends AppError {
  constructor(problems: string[], what: string) {
    super(400, 'invalid_edxml', `${what} không hợp lệ: ${problems.join(' ')}`, { problems })
  }
}

export type ExchangeDeps = ModuleDeps & {
  pubsub: ExchangePubsub
  agencies: AgencyDirectory
  documents: DocumentsService
  outgoing: OutgoingService
  organisation: Pick<OrganisationService, 'listUnits'>
  log: JobsLog
}

/**
 * Exchanging edXML with agencies outside the platform over the LGSP: packages and status messages go out
 * through pub/sub, one topic per agency; agencies' systems send theirs to the API with their SSO token.
 */
export function createDocumentExchange(deps: ExchangeDeps) {
  const { db, clock, pubsub, agencies, documents, outgoing, organisation } = deps

  /**
   * The agency's topic when it receives over the LGSP: a registered agency with a system subscribed to its
   * topic (push or pull). The topic is created on first use, and its list of allowed subscribers follows the
   * registry. Otherwise null: the package stays a download.
   */
  async function route(agencyCode: string): Promise<string | null> {
    const clients = await agencies.clientsOfAgency(agencyCode)
    if (clients.length === 0) return null
    const topic = agencyTopic(agencyCode)
    await pubsub.ensureTopic(
      topic,
      `Văn bản điện tử (edXML) và thông báo trạng thái gửi cơ quan ${agencyCode} qua trục LGSP.`,
      clients,
    )
    const subscriptions = await pubsub.listSubscriptions({ topic })
    return subscriptions.some((s) => !s.disabled_at && s.mode !== 'internal' && clients.includes(s.client_id))
      ? topic
      : null
  }

  const unreachable = (code: string) =>
    `Cơ quan ${code} chưa đăng ký nhận văn bản qua trục LGSP; tải gói tin edXML để gửi.`

  // -------------------------------------------------------------------------------------------------------
  // Out

  /** One package: published to the agency's topic, or left to download when the agency is not reachable. */
  async function sendPackage(row: exchange.OutboxRow) {
    const recipient = (await outgoingRepo.listRecipients(db, row.outgoing_id)).find(
      (r) => r.id === row.recipient_id,
    )
    const who = `${recipient?.name ?? ''} (${row.agency_code})`
    const topic = await route(row.agency_code)
    const now = clock()
    const note = async (action: string, text: string, extra: Parameters<typeof exchange.finishOutbox>[2]) =>
      inTransaction(db, async (tx) => {
        // Another job finished it meanwhile (it sent the earlier packages of the same document first).
        if (!(await exchange.finishOutbox(tx, row.id, { attempts: row.attempts + 1, ...extra }))) return
        if (recipient && action === 'sent_lgsp') {
          await outgoingRepo.updateRecipient(tx, recipient.id, {
            channel: 'lgsp',
            ...(row.business_type === BusinessType.new || row.business_type === BusinessType.replace
              ? { status: 'sent' as const, delivered_at: now }
              : {}),
          })
        } else if (recipient && action === 'lgsp_unreachable') {
          await outgoingRepo.updateRecipient(tx, recipient.id, { channel: 'download' })
        }
        await outgoingRepo.appendHistory(tx, {
          outgoing_id: row.outgoing_id,
          action,
          actor_id: null,
          actor_name: null,
          note: text,
          details: JSON.stringify({ outbox: row.id, businessType: row.business_type }),
          at: now,
        })
      })
    if (!topic) {
      await note('lgsp_unreachable', `${who}: ${businessLabel[row.business_type as Business]}`, {
        state: 'unreachable',
        last_error: unreachable(row.agency_code),
      })
      return
    }
    let xml: string
    try {
      xml = await outgoing.packageXml(row.outgoing_id, row.business_type as Business, row.reason)
    } catch (error) {
      // A package that cannot be built (the original changed in storage) will not build on a retry either.
      if (!(error instanceof AppError)) throw error
      deps.log.warn(
        { outbox: row.id, outgoing: row.outgoing_id, agency: row.agency_code, error: error.message },
        'edXML package could not be built for the LGSP',
      )
      await note('exchange_failed', `${who}: ${error.message}`, {
        state: 'failed',
        last_error: error.message,
      })
      return
    }
    const message: ExchangeMessage = {
      messageType: 'edoc',
      businessType: row.business_type,
      statusCode: null,
      from: row.document_key.split(',')[0] ?? '',
      to: row.agency_code,
      documentId: row.document_key,
      edxml: xml,
    }
    const { event } = await pubsub.publishPlatform(
      topic,
      row.document_key,
      message,
      undefined,
      `edoc:${row.id}`,
    )
    await note('sent_lgsp', `${who}: ${businessLabel[row.business_type as Business]}`, {
      state: 'sent',
      topic,
      event_id: event.id,
      sent_at: now,
      last_error: null,
    })
  }

  /** Packages go in the order they were written, per agency and document: earlier ones first. */
  async function sendPackages(outboxId: number) {
    const row = await exchange.findOutbox(db, outboxId)
    if (!row || row.state !== 'queued') return
    for (const item of await exchange.queuedFor(db, row.agency_code, row.document_key)) {
      if (item.id > row.id) break
      await sendPackage(item)
    }
  }

  /** The unsent status messages of a received document, to its sender's topic, oldest first. */
  async function sendStatuses(documentId: string) {
    const messages = await exchange.unsentStatusMessages(db, documentId)
    if (messages.length === 0) return
    const document = await docs.findDocument(db, documentId)
    const key = document?.edxml?.documentId ?? documentId
    const units = document ? await organisation.listUnits({}) : []
    const from = units.find((u) => u.id === document?.unit_id)?.agencyCode ?? ''
    // Every unsent one, oldest first: a job for a later message sends the earlier ones before it (each
    // publish is idempotent by the message's id), so the sender sees them in order.
    for (const m of messages) {
      const topic = await route(m.to_organ_id)
      if (!topic) {
        await exchange.updateStatusMessage(db, m.id, {
          attempts: m.attempts + 1,
          last_error: unreachable(m.to_organ_id),
        })
        continue
      }
      const message: ExchangeMessage = {
        messageType: 'status',
        businessType: null,
        statusCode: m.status_code,
        from,
        to: m.to_organ_id,
        documentId: key,
        edxml: await documents.signStatusMessage(m.xml, document?.unit_id),
      }
      const { event } = await pubsub.publishPlatform(topic, key, message, undefined, `status:${m.id}`)
      await exchange.updateStatusMessage(db, m.id, {
        attempts: m.attempts + 1,
        sent_at: clock(),
        event_id: event.id,
        last_error: null,
      })
    }
  }

  /**
   * The periodic retry (timer `documents.exchange-retry`): status messages owed to a sender that had no
   * subscription when they were written go once one of its systems subscribes. One look at the registry and
   * the subscriptions per agency owed something; a job per document, which sends its unsent messages oldest
   * first. A job still live for the document's latest message (waiting, running, retrying) is not doubled,
   * and every publish is idempotent by the message's id, so a message never goes twice. Returns how many
   * documents it asked to send.
   */
  async function retryStatuses(): Promise<number> {
    let queued = 0
    for (const agencyCode of await exchange.agenciesOwedStatus(db)) {
      if (!(await route(agencyCode))) continue
      for (const owed of await exchange.documentsOwedStatus(db, agencyCode, RETRY_BATCH)) {
        await queueStatusSend(db, owed.document_id, Number(owed.last_id))
        queued++
      }
    }
    return queued
  }

  /** The job of `documents.exchange-send`. */
  async function send(payload: { outboxId: number } | { statusDocumentId: string }) {
    if ('outboxId' in payload) await sendPackages(payload.outboxId)
    else await sendStatuses(payload.statusDocumentId)
  }

  // -------------------------------------------------------------------------------------------------------
  // In

  /** The agency behind a system's bearer token (401 without a valid one, 403 when it is not an agency's). */
  async function caller(authorization: string | undefined) {
    const client = await pubsub.authenticate(authorization)
    const agency = await agencies.agencyOfClient(client.clientId)
    if (!agency) {
      throw new ForbiddenError(
        'documents.exchange',
        null,
        `Hệ thống "${client.clientId}" không gắn với cơ quan nào trên trục LGSP (phân hệ của một thành viên GOV trong sổ đăng ký).`,
      )
    }
    return { client, agency }
  }

  const contextOf = (ctx: AuditContext, clientId: string): AuditContext => ({
    ...ctx,
    actorLabel: `lgsp:${clientId}`,
  })

  function wrongSender(stated: string, agency: { code: string; name: string }, clientId: string): never {
    throw new ForbiddenError(
      'documents.exchange',
      null,
      `Gói tin ghi cơ quan gửi ${stated || '(trống)'}, nhưng hệ thống "${clientId}" là của ${agency.name} (${agency.code}); mỗi cơ quan chỉ gửi văn bản của mình.`,
    )
  }

  type Outcome = {
    unitId: string
    agencyCode: string
    documentId: string | null
    number: number | null
    outcome: 'registered' | 'recalled' | 'updated' | 'refused' | 'duplicate' | 'not_accepted'
    status: string | null
    message: string | null
  }

  /**
   * A package from an agency's system: read with the same strictness as a file import (400 listing every
   * problem), sent by the agency itself (403 otherwise), then taken in by each unit of the platform it is
   * addressed to, exactly as a clerk's import, each in one transaction. The same package twice is refused
   * with 409.
   */
  async function receivePackage(authorization: string | undefined, xml: string, ctx: AuditContext) {
    const { client, agency } = await caller(authorization)
    const parsed = await documents.readEnvelope(xml)
    if (!parsed.ok) throw new MalformedMessageError(parsed.problems, 'Gói tin edXML')
    const pkg = parsed.package
    const d = pkg.document
    if (d.from.organId !== agency.code) wrongSender(d.from.organId, agency, client.clientId)
    const units = (await organisation.listUnits({})).filter(
      (u) => u.agencyCode && d.to.some((o) => o.organId === u.agencyCode),
    )
    if (units.length === 0) {
      throw new ValidationError(
        { edxml: 'to' },
        `Gói tin không gửi đến đơn vị nào trên nền tảng (cơ quan nhận: ${d.to.map((o) => o.organId).join(', ')}).`,
      )
    }
    const by: By = { userId: null, fullName: `Trục LGSP — ${agency.name}` }
    const request = packageKey(xml)
    const results: Outcome[] = []
    let firstError: unknown
    for (const unit of units) {
      try {
        const document = await documents.receiveEdxml(by, contextOf(ctx, client.clientId), unit, pkg, {
          request,
          details: { via: 'lgsp', client: client.clientId },
          signature: parsed.signature,
        })
        results.push({
          unitId: unit.id,
          agencyCode: unit.agencyCode!,
          documentId: document.id,
          number: document.number,
          outcome: outcomeOf(pkg.business.type, document),
          status: document.status,
          message: null,
        })
      } catch (error) {
        // One unit's refusal does not undo another's registration: each is its own transaction.
        if (!(error instanceof AppError) || units.length === 1) throw error
        firstError ??= error
        results.push({
          unitId: unit.id,
          agencyCode: unit.agencyCode!,
          documentId: null,
          number: null,
          outcome: error instanceof ConflictError ? 'duplicate' : 'not_accepted',
          status: null,
          message: error.message,
        })
      }
    }
    if (results.every((r) => r.documentId === null)) throw firstError
    return { businessType: pkg.business.type, results }
  }

  function outcomeOf(type: Business, document: docs.DocumentRow): Outcome['outcome'] {
    if (type === BusinessType.recall) return document.status === 'recalled' ? 'recalled' : 'refused'
    if (type === BusinessType.update)
      return document.status === 'recalled' || document.status === 'replaced' ? 'refused' : 'updated'
    return 'registered'
  }

  /**
   * A status message from an agency's system. About a document the platform sent it (01–06, 02 with its
   * reason, 15/16 answering a recall or an update): the recipient's dispatch status and the document's history
   * take it. A 13 from the agency about a document it sent: a recall, handled as a recall package. The same
   * message twice (same status and timestamp) is taken once.
   */
  async function receiveStatus(authorization: string | undefined, xml: string, ctx: AuditContext) {
    const { client, agency } = await caller(authorization)
    const parsed = await documents.readStatusMessage(xml)
    if (!parsed.ok) throw new MalformedMessageError(parsed.problems, 'Thông báo trạng thái edXML')
    const s = parsed.status
    if (s.from.organId !== agency.code) wrongSender(s.from.organId, agency, client.clientId)
    const statusKey = `${agency.code}:${s.code}:${s.at.toISOString()}`
    const auditCtx = contextOf(ctx, client.clientId)
    if (s.code === StatusCode.recallRequested) return recallByStatus(agency, s, statusKey, auditCtx)

    const ref = parseDocumentId(s.responseFor.documentId)
    const notFound = () =>
      new NotFoundError(
        `Không tìm thấy văn bản "${s.responseFor.documentId}" mà nền tảng đã gửi ${agency.name} (${agency.code}).`,
      )
    if (!ref) throw notFound()
    const units = (await organisation.listUnits({})).filter((u) => u.agencyCode === ref.organId)
    const found = await exchange.findIssued(
      db,
      units.map((u) => u.id),
      ref,
    )
    const recipient = found
      ? (await outgoingRepo.listRecipients(db, found.id)).find(
          (r) => r.kind === 'external' && r.agency_code === agency.code,
        )
      : undefined
    if (!found || !recipient) throw notFound()
    const now = clock()
    const label = statusDescription[s.code]
    return inTransaction(db, async (tx) => {
      await outgoingRepo.lockOutgoing(tx, found.id)
      if (await exchange.statusSeen(tx, found.id, statusKey)) {
        return { outgoingId: found.id, statusCode: s.code, duplicate: true }
      }
      await outgoingRepo.updateRecipient(tx, recipient.id, {
        exchange_status: s.code,
        exchange_note: s.description || label,
        exchange_at: s.at,
      })
      const action =
        s.code === StatusCode.refused
          ? 'refused_by_recipient'
          : s.code === StatusCode.amendmentAgreed || s.code === StatusCode.amendmentRefused
            ? 'amendment_answered'
            : 'status_received'
      await outgoingRepo.appendHistory(tx, {
        outgoing_id: found.id,
        action,
        actor_id: null,
        actor_name: `Trục LGSP — ${agency.name}`,
        note: `${agency.name}: ${s.code} — ${s.description || label}`.slice(0, 2000),
        details: JSON.stringify({ statusKey, agency: agency.code, statusCode: s.code, staff: s.staff.name }),
        at: now,
      })
      await appendAudit(
        tx,
        auditCtx,
        {
          action: 'document.outgoing_status_received',
          objectType: 'outgoing_document',
          objectId: found.id,
          unitId: found.unit_id,
          details: { agency: agency.code, statusCode: s.code },
        },
        now,
      )
      return { outgoingId: found.id, statusCode: s.code, duplicate: false }
    })
  }

  /** A 13 from the sender: each copy received from it under that DocumentId is recalled by the usual rule. */
  async function recallByStatus(
    agency: { code: string; name: string },
    s: Extract<ReturnType<typeof parseStatusMessage>, { ok: true }>['status'],
    statusKey: string,
    ctx: AuditContext,
  ) {
    if (s.responseFor.organId !== agency.code) {
      throw new ForbiddenError(
        'documents.exchange',
        null,
        `Chỉ cơ quan ban hành (${s.responseFor.organId}) mới yêu cầu lấy lại văn bản của mình.`,
      )
    }
    const copies = await exchange.findReceivedAnywhere(db, agency.code, s.responseFor.documentId)
    if (copies.length === 0) {
      throw new NotFoundError(
        `Không tìm thấy văn bản "${s.responseFor.documentId}" nhận từ ${agency.name} (${agency.code}).`,
      )
    }
    const units = await organisation.listUnits({})
    const by: By = { userId: null, fullName: `Trục LGSP — ${agency.name}` }
    const now = clock()
    const results: { documentId: string; statusCode: string; duplicate: boolean }[] = []
    for (const copy of copies) {
      const unit = units.find((u) => u.id === copy.unit_id) as OrgUnit
      results.push(
        await inTransaction(db, async (tx) => {
          const locked = (await docs.lockDocument(tx, copy.id))!
          if (await exchange.requestSeen(tx, locked.id, statusKey))
            return { documentId: locked.id, statusCode: s.code, duplicate: true }
          const answer = await applyAmendment(tx, {
            document: locked,
            unit,
            kind: 'recall',
            reason: s.description || statusDescription[StatusCode.recallRequested],
            by,
            ctx,
            now,
            request: statusKey,
            senderName: agency.name,
          })
          return { documentId: locked.id, statusCode: answer.code, duplicate: false }
        }),
      )
    }
    return { statusCode: s.code, results }
  }

  return { route, send, retryStatuses, receivePackage, receiveStatus }
}

export type DocumentExchange = ReturnType<typeof createDocumentExchange>
