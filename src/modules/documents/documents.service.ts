import type { Readable } from 'node:stream'
import { randomUUID, X509Certificate } from 'node:crypto'
import { appendAudit, type AuditContext } from '../../platform/audit/audit.js'
import { authorize, can, ForbiddenError, type Actor } from '../../platform/auth/actor.js'
import { Permission } from '../../platform/auth/roles.js'
import {
  localDateOf,
  localInstant,
  parseClock,
  shippedCalendar,
  type WorkingCalendar,
} from '../../platform/calendar/index.js'
import { inTransaction, type Tx } from '../../platform/db/database.js'
import { emitEvent } from '../../platform/events/outbox.js'
import {
  ConflictError,
  inFormOrder,
  NotFoundError,
  ValidationError,
  type FieldErrors,
} from '../../platform/http/errors.js'
import type { ModuleDeps } from '../../platform/module.js'
import type { SigningKeys } from '../../platform/signing/index.js'
import type { OrganisationService, OrgUnit } from '../organisation/index.js'
import {
  describeFile,
  discardAttachments,
  storeAttachment,
  type FileStoreDeps,
  type StoredAttachment,
} from './document-files.js'
import {
  dedupeKey,
  fold,
  isIsoDate,
  parseRegistration,
  prefixTsQuery,
  REGISTRATION_FIELDS,
  text,
} from './document-input.js'
import {
  allowedActions,
  ASSIGNEE_ACTIONS,
  CLOSED_STATUSES,
  DOCUMENT_STATUSES,
  statusLabel,
  needsNote,
  urgencyOfPriority,
  urgencyPriority,
  type AssigneeAction,
  type AssignmentRole,
  type DeadlineState,
  type DocumentStatus,
} from './document-rules.js'
import * as repo from './documents.repository.js'
import type { EdxmlExtra } from './documents.tables.js'
import { amendReceived, findReplaced, markReplaced, type By } from './edxml-amendments.js'
import {
  edxmlSigner,
  readSignedEnvelope,
  readSignedStatusMessage,
  type EdxmlSignature,
  type SignaturePolicy,
} from './edxml-signature.js'
import {
  buildEnvelope,
  buildStatusMessage,
  edxmlDocumentId,
  emptyOrgan,
  BusinessType,
  packageKey,
  StatusCode,
  statusDescription,
  type EdxmlPackage,
} from './edxml.js'

declare module '../../platform/events/outbox.js' {
  interface DomainEvents {
    /** An incoming document entered a register; no summary, so confidential ones leak nothing. */
    'document.registered': {
      id: string
      unitId: string
      registerId: string
      number: number
      source: string
      urgency: string
      confidentiality: string
      dueOn: string | null
      at: string
    }
    /** A leader assigned the document (for reminders and notifications to the assignees). */
    'document.assigned': {
      id: string
      unitId: string
      assignments: {
        id: string
        unitId: string | null
        userId: string | null
        role: string
        dueAt: string | null
      }[]
      at: string
    }
    'document.completed': { id: string; unitId: string; at: string }
  }
}

/** An official the actor may hand a document to. */
export type Person = { id: string; fullName: string; unitId: string | null }

/** Who works where: given by app.ts from the identity module, so this module reads no account tables. */
export type PeopleDirectory = { assignable(actor: Actor): Promise<Person[]> }

export type DocumentsDeps = ModuleDeps & {
  files: FileStoreDeps
  organisation: OrganisationService
  people: PeopleDirectory
  calendar?: WorkingCalendar
  /** The units' keys: status messages to senders are signed with them (`edxml-signature.ts`). */
  signing: SigningKeys
}

/** Who an assignment goes to: `unit:<id>` or `user:<id>` in forms, an object in the API. */
export type AssigneeRef = { kind: 'unit' | 'user'; id: string }

export function parseAssigneeRef(value: unknown): AssigneeRef | null {
  if (typeof value === 'object' && value !== null) {
    const { kind, id } = value as { kind?: unknown; id?: unknown }
    return (kind === 'unit' || kind === 'user') && typeof id === 'string' ? { kind, id } : null
  }
  const match = typeof value === 'string' ? /^(unit|user):([0-9a-f-]{36})$/.exec(value) : null
  return match ? { kind: match[1] as 'unit' | 'user', id: match[2]! } : null
}

const MAX_ATTACHMENTS = 20

export function createDocumentsService(deps: DocumentsDeps) {
  const { db, clock, organisation, people } = deps
  const calendar = deps.calendar ?? shippedCalendar()
  const dayMinutes = calendar.rules.officeHours.reduce(
    (sum, s) => sum + (parseClock(s.end) - parseClock(s.start)) / 60_000,
    0,
  )
  const closing = calendar.rules.officeHours.at(-1)?.end ?? '17:00'
  const signer = edxmlSigner(deps.signing)
  /** How received edXML signatures are judged; the trust list is read each time, so a CA added counts at once. */
  const signaturePolicy = async (): Promise<SignaturePolicy> => ({
    requireSignature: deps.config.edxmlRequireSignature,
    requireTrustedSigner: deps.config.edxmlRequireTrustedSigner,
    anchors: (await deps.signing.trustAnchors()).map((pem) => new X509Certificate(pem)),
    now: clock(),
  })

  /** The actor's units for each kind of access; every list and check is scoped by it. */
  async function scopeOf(actor: Actor) {
    const units = await organisation.listUnits({})
    const ids = (permission: Permission) => units.filter((u) => can(actor, permission, u)).map((u) => u.id)
    const leaderUnits = ids(Permission.documentsAssign)
    const registerUnits = ids(Permission.documentsRegister)
    const scope: repo.Scope = {
      userId: actor.userId,
      readUnits: [...new Set([...registerUnits, ...leaderUnits])],
      leaderUnits,
      processUnits: ids(Permission.documentsProcess),
    }
    return { scope, units, registerUnits }
  }

  async function unitOf(id: string): Promise<OrgUnit> {
    const [unit] = await organisation.findUnitsByIds([id])
    if (!unit) throw new NotFoundError('Không tìm thấy đơn vị.')
    return unit
  }

  function deadlineState(now: Date, due: Date | null): DeadlineState {
    if (!due) return 'no_deadline'
    const left = calendar.workingTimeBetween(now, due)
    return left < 0 ? 'overdue' : left <= dayMinutes ? 'due_soon' : 'on_time'
  }

  /**
   * A document the actor may see, or an error: 404 for a restricted one (its existence is itself
   * protected), 403 (audited by the HTTP layer) for an ordinary one of another unit.
   */
  async function visibleDocument(actor: Actor, id: string) {
    const document = await repo.findDocument(db, id)
    if (!document) throw new NotFoundError('Không tìm thấy văn bản.')
    const { scope } = await scopeOf(actor)
    if (!(await repo.isVisible(db, scope, document.id))) {
      if (document.restricted) throw new NotFoundError('Không tìm thấy văn bản.')
      throw new ForbiddenError(Permission.documentsProcess, document.unit_id)
    }
    return { document, scope }
  }

  /** The status messages a document received as edXML sends back to its sender, in the change's transaction. */
  async function reportStatus(
    tx: Tx,
    document: repo.DocumentRow,
    unit: OrgUnit,
    code: StatusCode,
    actor: By,
    now: Date,
  ) {
    const extra = document.edxml
    if (document.source !== 'edxml' || !extra) return
    const xml = buildStatusMessage({
      responseFor: {
        organId: extra.from.organId,
        code: `${document.code_number}/${document.code_notation}`,
        promulgationDate: document.issued_on,
        documentId: extra.documentId,
      },
      from: emptyOrgan(unit.agencyCode ?? '', unit.name),
      code,
      description: statusDescription[code],
      at: now,
      staff: { department: unit.name, name: actor.fullName, email: '' },
    })
    await repo.insertStatusMessage(tx, {
      document_id: document.id,
      to_organ_id: extra.from.organId,
      status_code: code,
      description: statusDescription[code],
      xml,
      created_at: now,
      sent_at: null,
      last_error: null,
    })
  }

  async function types() {
    return repo.listTypes(db)
  }

  /** Units the actor registers documents for, with this year's registers (the default one made on first use). */
  async function registrationChoices(actor: Actor) {
    authorize(actor, Permission.documentsRegister)
    const { units, registerUnits } = await scopeOf(actor)
    const year = Number(localDateOf(clock()).slice(0, 4))
    const registers = await repo.listRegisters(db, registerUnits, year)
    return {
      units: units.filter((u) => registerUnits.includes(u.id)),
      registers,
      types: await repo.listTypes(db),
      year,
    }
  }

  /** A further register of this year for a unit (e.g. a separate register for confidential documents). */
  async function createRegister(
    actor: Actor,
    ctx: AuditContext,
    input: { unitId?: unknown; name?: unknown },
  ) {
    const unitId = text(input.unitId)
    const [unit] = unitId ? await organisation.findUnitsByIds([unitId]) : []
    if (!unit) throw new ValidationError({ unitId: 'Chọn đơn vị.' })
    authorize(actor, Permission.documentsRegister, unit)
    const name = text(input.name)
    if (name.length < 2 || name.length > 200)
      throw new ValidationError({ name: 'Tên sổ từ 2 đến 200 ký tự.' })
    const now = clock()
    const year = Number(localDateOf(now).slice(0, 4))
    try {
      return await inTransaction(db, async (tx) => {
        await repo.defaultRegister(tx, unit.id, year, `Sổ văn bản đến năm ${year}`)
        const register = await repo.insertRegister(tx, {
          unit_id: unit.id,
          year,
          direction: 'incoming',
          name,
          is_default: false,
          created_by: actor.userId,
        })
        await appendAudit(
          tx,
          ctx,
          {
            action: 'document.register_created',
            objectType: 'document_register',
            objectId: register.id,
            unitId: unit.id,
            details: { name, year },
          },
          now,
        )
        return register
      })
    } catch (error) {
      if ((error as { code?: string }).code === '23505')
        throw new ConflictError(`Đơn vị đã có sổ "${name}" năm ${year}.`)
      throw error
    }
  }

  /** Puts an uploaded attachment in the store; `register` or `addFiles` then attaches it, or discards it. */
  async function storeUpload(stream: Readable | Buffer, fileName: string) {
    return storeAttachment(deps.files, stream, fileName, clock())
  }

  async function discard(files: readonly StoredAttachment[]) {
    await discardAttachments(deps.files.store, files)
  }

  /** What a duplicate looks like to the clerk: where and when the same document was registered before. */
  function duplicateMessage(
    found: NonNullable<Awaited<ReturnType<typeof repo.findDuplicate>>>,
    described: string,
  ) {
    const on = localDateOf(found.received_at).split('-').reverse().join('/')
    return `${described} đã được vào sổ "${found.register_name}", số đến ${found.number}, ngày ${on}.`
  }

  type Insert = Omit<Parameters<typeof repo.insertDocument>[1], 'register_id' | 'number' | 'dedupe_key'>

  /**
   * The shared core of registering and importing: in one transaction, the duplicate check under a lock on
   * the document's key, the register's next number, the row, its files, its history, its event and audit.
   * The stored files belong to the document afterwards; when it fails, the caller removes them.
   */
  async function insertIncoming(input: {
    actor: By
    ctx: AuditContext
    unit: OrgUnit
    registerId: string | null
    values: Insert
    files: readonly StoredAttachment[]
    fileKind: 'scan' | 'electronic'
    confirmDifferent: boolean
    history: { action: 'registered' | 'imported'; details: Record<string, unknown> }
    statuses: StatusCode[]
    /** More work in the same transaction once the row exists (a replacement marks the document it replaces). */
    within?: (tx: Tx, document: repo.DocumentRow) => Promise<void>
  }) {
    const { actor, ctx, unit, values } = input
    const now = values.received_at
    const key = dedupeKey({
      issuerCode: values.issuer_code ?? null,
      issuerName: values.issuer_name,
      codeNumber: values.code_number,
      codeNotation: values.code_notation,
      issuedOn: values.issued_on,
    })
    const year = Number(localDateOf(now).slice(0, 4))
    return inTransaction(db, async (tx) => {
      const register = input.registerId
        ? await repo.findRegister(tx, input.registerId)
        : await repo.defaultRegister(tx, unit.id, year, `Sổ văn bản đến năm ${year}`)
      if (!register || register.unit_id !== unit.id || register.year !== year) {
        throw new ValidationError({ registerId: `Chọn một sổ văn bản đến năm ${year} của đơn vị.` })
      }
      await repo.lockDedupeKey(tx, unit.id, key)
      const earlier = await repo.findDuplicate(tx, unit.id, key)
      if (earlier && !input.confirmDifferent) {
        const described = `Văn bản số ${values.code_number}/${values.code_notation} ngày ${values.issued_on
          .split('-')
          .reverse()
          .join('/')} của ${values.issuer_name}`
        throw new ConflictError(duplicateMessage(earlier, described), {
          duplicateOf: { id: earlier.id, number: earlier.number, register: earlier.register_name },
        })
      }
      const number = await repo.nextNumber(tx, register.id)
      const document = await repo.insertDocument(tx, {
        ...values,
        register_id: register.id,
        number,
        dedupe_key: key,
        duplicate_of: earlier?.id ?? null,
      })
      for (const [index, file] of input.files.entries()) {
        await repo.insertFile(tx, {
          document_id: document.id,
          position: index + 1,
          kind: input.fileKind,
          file_name: file.fileName,
          description: file.description ?? null,
          content_id: file.contentId ?? randomUUID(),
          mime: file.mime,
          size: file.size,
          sha256: file.sha256,
          object_key: file.key,
          scanned: file.scanned,
          uploaded_by: actor.userId,
          uploaded_at: now,
        })
      }
      await repo.appendHistory(tx, {
        document_id: document.id,
        action: input.history.action,
        assignment_id: null,
        actor_id: actor.userId,
        actor_name: actor.fullName,
        note: null,
        details: JSON.stringify({
          register: register.name,
          number,
          files: input.files.length,
          ...(earlier ? { confirmedDifferentFrom: earlier.id } : {}),
          ...input.history.details,
        }),
        at: now,
      })
      for (const code of input.statuses) await reportStatus(tx, document, unit, code, actor, now)
      if (input.within) await input.within(tx, document)
      await emitEvent(tx, 'document.registered', {
        id: document.id,
        unitId: unit.id,
        registerId: register.id,
        number,
        source: document.source,
        urgency: document.urgency,
        confidentiality: document.confidentiality,
        dueOn: document.due_on,
        at: now.toISOString(),
      })
      await appendAudit(
        tx,
        ctx,
        {
          action: `document.${input.history.action}`,
          objectType: 'document',
          objectId: document.id,
          unitId: unit.id,
          details: {
            register: register.id,
            number,
            files: input.files.length,
            ...(earlier ? { confirmedDifferentFrom: earlier.id } : {}),
          },
        },
        now,
      )
      return { document, register }
    })
  }

  /**
   * A clerk registers an incoming document with its attachments (already stored by the caller: they are
   * attached, or removed if the registration fails). A document already registered in the unit (same
   * issuer, number/notation and date of issue) is refused with 409 naming the earlier registration, unless
   * the clerk confirms it is a different one.
   */
  async function register(
    actor: Actor,
    ctx: AuditContext,
    raw: Record<string, unknown>,
    files: readonly StoredAttachment[] = [],
  ) {
    try {
      const now = clock()
      const { value, errors } = parseRegistration(raw, localDateOf(now))
      const { registerUnits } = await scopeOf(actor)
      authorize(actor, Permission.documentsRegister)
      const unitId = value.unitId || (registerUnits.length === 1 ? registerUnits[0]! : '')
      const unit = unitId ? (await organisation.findUnitsByIds([unitId]))[0] : undefined
      if (!unit) errors.unitId = 'Chọn đơn vị vào sổ.'
      if (value.typeCode && !(await repo.findType(db, value.typeCode))) errors.typeCode = 'Chọn loại văn bản.'
      if (files.length > MAX_ATTACHMENTS) errors.files = `Mỗi văn bản tối đa ${MAX_ATTACHMENTS} tệp.`
      if (Object.keys(errors).length > 0 || !unit)
        throw new ValidationError(inFormOrder(errors, REGISTRATION_FIELDS))
      authorize(actor, Permission.documentsRegister, unit)
      const result = await insertIncoming({
        actor,
        ctx,
        unit,
        registerId: value.registerId,
        values: {
          direction: 'incoming',
          unit_id: unit.id,
          received_at: now,
          source: value.source,
          code_number: value.codeNumber,
          code_notation: value.codeNotation,
          issued_on: value.issuedOn,
          issue_place: value.issuePlace,
          issuer_name: value.issuerName,
          issuer_code: value.issuerCode,
          type_code: value.typeCode,
          summary: value.summary,
          content: value.content,
          signer_name: value.signerName,
          signer_position: value.signerPosition,
          signer_competence: null,
          urgency: value.urgency,
          confidentiality: value.confidentiality,
          due_on: value.dueOn,
          status: 'registered',
          completed_at: null,
          edxml: null,
          created_by: actor.userId,
        },
        files,
        fileKind: value.source === 'paper' ? 'scan' : 'electronic',
        confirmDifferent: value.confirmDifferent,
        history: { action: 'registered', details: {} },
        statuses: [],
      })
      return result.document
    } catch (error) {
      await discard(files)
      throw error
    }
  }

  /**
   * An edXML package from another agency lands in the unit's incoming register with its attachments, in
   * one transaction. A malformed or incomplete package is refused with every problem named, and nothing
   * is kept; a package already received is refused as a duplicate.
   */
  async function importEdxml(actor: Actor, ctx: AuditContext, input: { unitId?: unknown; xml: string }) {
    const { registerUnits } = await scopeOf(actor)
    authorize(actor, Permission.documentsRegister)
    const unitId = text(input.unitId) || (registerUnits.length === 1 ? registerUnits[0]! : '')
    const unit = unitId ? (await organisation.findUnitsByIds([unitId]))[0] : undefined
    if (!unit) throw new ValidationError({ unitId: 'Chọn đơn vị nhận văn bản.' })
    authorize(actor, Permission.documentsRegister, unit)
    const parsed = readSignedEnvelope(input.xml, await signaturePolicy())
    if (!parsed.ok) return refuseEdxml(parsed.problems)
    return receiveEdxml(actor, ctx, unit, parsed.package, {
      request: packageKey(input.xml),
      signature: parsed.signature,
    })
  }

  /**
   * A package or a status message as read from an agency (`document-exchange.service.ts`): the envelope's
   * problems listed, a broken signature (or none, when EDXML_REQUIRE_SIGNATURE is set) refused with 422.
   */
  const readEnvelope = async (xml: string) => readSignedEnvelope(xml, await signaturePolicy())
  const readStatusMessage = async (xml: string) => readSignedStatusMessage(xml, await signaturePolicy())

  /** A status message as it leaves for the sender: signed with the key of the unit that received the document. */
  async function signStatusMessage(xml: string, unitId: string | undefined) {
    if (!unitId) throw new NotFoundError('Không tìm thấy văn bản của thông báo trạng thái.')
    return signer.sign(xml, await unitOf(unitId))
  }

  /**
   * A package for a unit, read by `readSignedEnvelope`: from a clerk's import, or from an agency over the LGSP
   * (`document-exchange.service.ts`, which acts as the platform). A new document or a replacement lands in
   * the register; a recall or an update applies to the document received earlier from the same sender.
   */
  async function receiveEdxml(
    actor: By,
    ctx: AuditContext,
    unit: OrgUnit,
    pkg: Required<EdxmlPackage>,
    via: { request: string; details?: Record<string, unknown>; signature?: EdxmlSignature },
  ): Promise<repo.DocumentRow> {
    const refuse = refuseEdxml
    const { document: d, attachments, business } = pkg
    const problems: string[] = []
    if (!unit.agencyCode) {
      problems.push(`${unit.name} chưa có mã định danh nên chưa nhận được văn bản liên thông.`)
    } else if (!d.to.some((o) => o.organId === unit.agencyCode)) {
      problems.push(
        `Gói tin không gửi đến ${unit.name} (${unit.agencyCode}); cơ quan nhận: ${d.to.map((o) => o.organId).join(', ')}.`,
      )
    }
    if (!d.from.organName) problems.push('Thiếu MessageHeader/From/OrganName (tên cơ quan ban hành).')
    const types = await repo.listTypes(db)
    const type =
      types.find((t) => d.type.name && fold(t.name) === fold(d.type.name)) ??
      (d.type.code > 0 ? types.find((t) => t.edxml_type === d.type.code) : undefined)
    if (!type) {
      problems.push(
        `Loại văn bản "${d.type.name || d.type.code}" không có trong danh mục loại văn bản (Nghị định 30/2020/NĐ-CP).`,
      )
    }
    if (d.codeNumber.length > 20 || !/^[\p{L}\p{N}.-]+$/u.test(d.codeNumber))
      problems.push(`MessageHeader/Code/CodeNumber "${d.codeNumber}" không phải số văn bản hợp lệ.`)
    if (d.subject.length > 2000) problems.push('MessageHeader/Subject (trích yếu) dài quá 2000 ký tự.')
    if (attachments.length > MAX_ATTACHMENTS) problems.push(`Gói tin có quá ${MAX_ATTACHMENTS} tệp đính kèm.`)
    if (problems.length > 0 || !type) return refuse(problems)
    if (business.type === BusinessType.recall || business.type === BusinessType.update) {
      return amendReceived(db, {
        by: actor,
        ctx,
        unit,
        pkg,
        request: via.request,
        now: clock(),
        store: (a) => storeUpload(a.bytes, a.name),
        discard,
      })
    }
    // A replacement must name a document received from the same sender: checked before anything is stored.
    const replaced = business.type === BusinessType.replace ? await findReplaced(db, unit, pkg) : undefined

    const stored: StoredAttachment[] = []
    try {
      for (const a of attachments) {
        const file = await storeUpload(a.bytes, a.name).catch((error: unknown) => {
          if (error instanceof ValidationError) refuse([`Tệp đính kèm "${a.name}": ${error.message}`])
          throw error
        })
        stored.push({ ...file, contentId: a.contentId, description: a.description || undefined })
      }
    } catch (error) {
      await discard(stored)
      throw error
    }
    const extra: EdxmlExtra = {
      documentId: d.documentId,
      from: d.from,
      to: d.to,
      typeCode: d.type.code,
      toPlaces: d.toPlaces,
      sphereOfPromulgation: d.sphereOfPromulgation,
      typerNotation: d.typerNotation,
      promulgationAmount: d.promulgationAmount,
      pageAmount: d.pageAmount,
      appendixes: d.appendixes,
      responseFor: d.responseFor,
      steeringType: d.steeringType,
      ...(via.signature ? { signature: via.signature } : {}),
    }
    const now = clock()
    try {
      const { document } = await insertIncoming({
        actor,
        ctx,
        unit,
        registerId: null,
        values: {
          direction: 'incoming',
          unit_id: unit.id,
          received_at: now,
          source: 'edxml',
          code_number: d.codeNumber,
          code_notation: d.codeNotation,
          issued_on: d.promulgationDate,
          issue_place: d.place || null,
          issuer_name: d.from.organName,
          issuer_code: d.from.organId,
          type_code: type.code,
          summary: d.subject,
          content: d.content || null,
          signer_name: d.signer.fullName || null,
          signer_position: d.signer.position || null,
          signer_competence: d.signer.competence || null,
          urgency: urgencyOfPriority(d.priority),
          // State secrets never travel over the exchange network: what arrives is ordinary.
          confidentiality: 'normal',
          due_on: d.dueDate,
          status: 'registered',
          completed_at: null,
          edxml: JSON.stringify(extra),
          created_by: actor.userId,
        },
        files: stored,
        fileKind: 'electronic',
        confirmDifferent: false,
        history: {
          action: 'imported',
          details: {
            documentId: d.documentId,
            from: d.from.organId,
            ...(replaced ? { replaces: replaced.map((r) => r.id) } : {}),
            ...via.details,
          },
        },
        statuses: [StatusCode.arrived, StatusCode.accepted],
        within: replaced
          ? (tx, created) =>
              markReplaced(tx, { old: replaced, replacement: created, unit, pkg, by: actor, ctx, now })
          : undefined,
      })
      return document
    } catch (error) {
      await discard(stored)
      if (error instanceof ConflictError) {
        throw new ConflictError(
          `Văn bản liên thông này đã được nhận trước đây: ${error.message}`,
          error.details,
        )
      }
      throw error
    }
  }

  /** Refuses a package, naming every problem; nothing is kept. */
  function refuseEdxml(problems: string[]): never {
    throw new ValidationError(
      { edxml: problems.join(' ') },
      `Gói tin edXML không được tiếp nhận: ${problems.join(' ')}`,
    )
  }

  /** The package of a document, as it would be sent: the envelope that arrived, with its attachments. */
  async function exportEdxml(actor: Actor, ctx: AuditContext, id: string) {
    const { document } = await visibleDocument(actor, id)
    if (document.confidentiality !== 'normal') {
      throw new ConflictError(
        'Văn bản mật không được gửi qua mạng liên thông văn bản (Luật Bảo vệ bí mật nhà nước).',
      )
    }
    const files = await repo.listFiles(db, document.id)
    if (files.length === 0)
      throw new ConflictError('Văn bản chưa có tệp đính kèm nên chưa xuất được gói tin edXML.')
    const unit = await unitOf(document.unit_id)
    const type = await repo.findType(db, document.type_code)
    const extra = document.edxml
    const attachments: EdxmlPackage['attachments'] = []
    for (const file of files) {
      const chunks: Buffer[] = []
      for await (const chunk of await deps.files.store.get(file.object_key)) chunks.push(chunk as Buffer)
      attachments.push({
        contentId: file.content_id,
        name: file.file_name,
        contentType: file.mime,
        description: file.description ?? '',
        bytes: Buffer.concat(chunks),
      })
    }
    const from = extra?.from ?? emptyOrgan(document.issuer_code ?? '', document.issuer_name)
    const xml = buildEnvelope(
      {
        document: {
          from,
          to: extra?.to ?? [emptyOrgan(unit.agencyCode ?? '', unit.name)],
          codeNumber: document.code_number,
          codeNotation: document.code_notation,
          place: document.issue_place ?? '',
          promulgationDate: document.issued_on,
          type: { code: type?.edxml_type ?? extra?.typeCode ?? 0, name: type?.name ?? '' },
          subject: document.summary,
          content: document.content ?? '',
          signer: {
            competence: document.signer_competence ?? '',
            position: document.signer_position ?? '',
            fullName: document.signer_name ?? '',
          },
          dueDate: document.due_on,
          toPlaces: extra?.toPlaces ?? [],
          priority: urgencyPriority[document.urgency],
          sphereOfPromulgation: extra?.sphereOfPromulgation ?? '',
          typerNotation: extra?.typerNotation ?? '',
          promulgationAmount: extra?.promulgationAmount ?? null,
          pageAmount: extra?.pageAmount ?? null,
          appendixes: extra?.appendixes ?? [],
          responseFor: extra?.responseFor ?? [],
          steeringType: extra?.steeringType ?? 0,
          documentId:
            extra?.documentId ??
            edxmlDocumentId(from.organId, document.issued_on, document.code_number, document.code_notation),
        },
        attachments,
      },
      clock(),
    )
    await appendAudit(db, ctx, {
      action: 'document.exported',
      objectType: 'document',
      objectId: document.id,
      unitId: document.unit_id,
      details: { format: 'edXML' },
    })
    return { xml, fileName: `edxml-${document.number}-${localDateOf(document.received_at)}.xml` }
  }

  /** A document with everything its page shows; opening a confidential one is audited. */
  async function get(actor: Actor, ctx: AuditContext, id: string) {
    const { document, scope } = await visibleDocument(actor, id)
    if (document.confidentiality !== 'normal') {
      await appendAudit(db, ctx, {
        action: 'document.viewed',
        objectType: 'document',
        objectId: document.id,
        unitId: document.unit_id,
        details: { confidentiality: document.confidentiality },
      })
    }
    const [unit, type, register, files, assignments, history, statusMessages] = await Promise.all([
      unitOf(document.unit_id),
      repo.findType(db, document.type_code),
      repo.findRegister(db, document.register_id),
      repo.listFiles(db, document.id),
      repo.listAssignments(db, document.id),
      repo.listHistory(db, document.id),
      repo.listStatusMessages(db, document.id),
    ])
    const now = clock()
    const open = !CLOSED_STATUSES.includes(document.status)
    return {
      document,
      unit,
      typeName: type?.name ?? document.type_code,
      registerName: register?.name ?? '',
      files: files.map(describeFile),
      assignments: assignments.map((a) => ({
        ...a,
        state: a.status === 'open' ? deadlineState(now, a.due_at) : ('no_deadline' as const),
        actions: canActOn(scope, document, a) ? allowedActions[a.status] : [],
      })),
      history,
      statusMessages,
      canAssign: open && can(actor, Permission.documentsAssign, unit),
      canAddFiles: open && can(actor, Permission.documentsRegister, unit),
    }
  }

  function canActOn(scope: repo.Scope, document: repo.DocumentRow, a: repo.AssignmentRow): boolean {
    if (a.assignee_user_id) return a.assignee_user_id === scope.userId
    const unitId = a.assignee_unit_id ?? ''
    return scope.leaderUnits.includes(unitId) || (!document.restricted && scope.processUnits.includes(unitId))
  }

  /** Units and people a document may be handed to: the document's unit and the units under it, and the
   * officials the actor may see. */
  async function assignTargets(actor: Actor, document: repo.DocumentRow) {
    const unit = await unitOf(document.unit_id)
    const today = localDateOf(clock())
    const units = (await organisation.listUnits({ activeOn: today })).filter((u) =>
      u.path.startsWith(unit.path),
    )
    return { units, people: await people.assignable(actor) }
  }

  async function resolveTarget(actor: Actor, document: repo.DocumentRow, ref: AssigneeRef, field: string) {
    const targets = await assignTargets(actor, document)
    if (ref.kind === 'unit') {
      const unit = targets.units.find((u) => u.id === ref.id)
      if (!unit) throw new ValidationError({ [field]: 'Đơn vị được chọn không nhận được văn bản này.' })
      return { unitId: unit.id, userId: null, name: unit.name }
    }
    const person = targets.people.find((p) => p.id === ref.id)
    if (!person) throw new ValidationError({ [field]: 'Không thể giao văn bản cho người được chọn.' })
    return { unitId: null, userId: person.id, name: person.fullName }
  }

  /**
   * A leader of the document's unit hands it to units or people, one lead (chủ trì) and any supporting
   * (phối hợp), with a deadline in working days (or the document's own deadline) and a direction note.
   */
  async function assign(
    actor: Actor,
    ctx: AuditContext,
    id: string,
    input: { lead?: unknown; support?: unknown; days?: unknown; note?: unknown },
  ) {
    const { document } = await visibleDocument(actor, id)
    const unit = await unitOf(document.unit_id)
    authorize(actor, Permission.documentsAssign, unit)
    if (document.status === 'completed')
      throw new ConflictError('Văn bản đã hoàn thành xử lý; không phân công thêm.')
    if (document.status === 'refused')
      throw new ConflictError('Văn bản đã bị từ chối tiếp nhận; không phân công xử lý.')
    if (document.status === 'recalled' || document.status === 'replaced')
      throw new ConflictError(`Văn bản ${statusLabel[document.status].toLowerCase()}; không phân công xử lý.`)
    const errors: FieldErrors = {}
    const leadRef =
      input.lead === undefined || input.lead === '' || input.lead === null
        ? null
        : parseAssigneeRef(input.lead)
    if (input.lead && !leadRef) errors.lead = 'Chọn đơn vị hoặc người chủ trì.'
    const rawSupport = input.support === undefined || input.support === '' ? [] : input.support
    const supportList = Array.isArray(rawSupport) ? rawSupport : [rawSupport]
    const supportRefs = supportList.map(parseAssigneeRef)
    if (supportRefs.some((r) => !r) || supportList.length > 30)
      errors.support = 'Chọn đơn vị hoặc người phối hợp trong danh sách (tối đa 30).'
    const note = text(input.note) || null
    if (note && note.length > 2000) errors.note = 'Ý kiến chỉ đạo tối đa 2000 ký tự.'
    const daysText = text(typeof input.days === 'number' ? String(input.days) : input.days)
    const days = daysText ? Number(daysText) : null
    if (days !== null && (!Number.isInteger(days) || days < 1 || days > 365))
      errors.days = 'Thời hạn xử lý từ 1 đến 365 ngày làm việc.'
    if (days === null && !document.due_on)
      errors.days = 'Nhập thời hạn xử lý (số ngày làm việc): văn bản không có hạn xử lý.'
    const existing = await repo.listAssignments(db, document.id)
    const openLead = existing.find((a) => a.role === 'lead' && a.status === 'open')
    if (!leadRef && !openLead && !errors.lead) errors.lead = 'Chọn đơn vị hoặc người chủ trì xử lý.'
    if (leadRef && openLead)
      errors.lead = `Văn bản đã có ${openLead.assignee_name} chủ trì; chỉ thêm đơn vị, người phối hợp.`
    if (!leadRef && supportRefs.length === 0 && !errors.lead && !errors.support)
      errors.support = 'Chọn ít nhất một đơn vị hoặc người phối hợp.'
    if (Object.keys(errors).length > 0) throw new ValidationError(errors)

    const targets: { unitId: string | null; userId: string | null; name: string; role: AssignmentRole }[] = []
    if (leadRef) targets.push({ ...(await resolveTarget(actor, document, leadRef, 'lead')), role: 'lead' })
    for (const ref of supportRefs)
      targets.push({ ...(await resolveTarget(actor, document, ref!, 'support')), role: 'support' })
    const key = (t: { unitId: string | null; userId: string | null }) => t.unitId ?? t.userId
    if (new Set(targets.map(key)).size !== targets.length)
      throw new ValidationError({ support: 'Mỗi đơn vị, người chỉ được chọn một lần.' })
    const taken = existing
      .filter((a) => a.status === 'open')
      .map((a) => a.assignee_unit_id ?? a.assignee_user_id)
    const again = targets.find((t) => taken.includes(key(t)))
    if (again) throw new ValidationError({ support: `${again.name} đang xử lý văn bản này.` })

    const now = clock()
    const dueAt = days !== null ? calendar.addWorkingDays(now, days) : localInstant(document.due_on!, closing)
    return inTransaction(db, async (tx) => {
      const locked = await repo.lockDocument(tx, document.id)
      if (!locked || CLOSED_STATUSES.includes(locked.status))
        throw new ConflictError('Văn bản vừa hoàn thành xử lý hoặc bị thu hồi; không phân công thêm.')
      const rows = []
      for (const target of targets) {
        rows.push(
          await repo.insertAssignment(tx, {
            document_id: document.id,
            assignee_unit_id: target.unitId,
            assignee_user_id: target.userId,
            assignee_name: target.name,
            role: target.role,
            due_at: dueAt,
            note,
            status: 'open',
            forwarded_from: null,
            assigned_by: actor.userId,
            assigned_by_name: actor.fullName,
            assigned_at: now,
            reported_at: null,
            finished_at: null,
          }),
        )
      }
      if (locked.status === 'registered') {
        await repo.updateDocument(tx, document.id, { status: 'assigned', updated_at: now })
      }
      await repo.appendHistory(tx, {
        document_id: document.id,
        action: 'assigned',
        assignment_id: rows.find((r) => r.role === 'lead')?.id ?? rows[0]?.id ?? null,
        actor_id: actor.userId,
        actor_name: actor.fullName,
        note,
        details: JSON.stringify({
          assignees: rows.map((r) => ({ name: r.assignee_name, role: r.role })),
          dueAt: dueAt.toISOString(),
          days,
        }),
        at: now,
      })
      await reportStatus(tx, locked, unit, StatusCode.assigned, actor, now)
      await emitEvent(tx, 'document.assigned', {
        id: document.id,
        unitId: unit.id,
        assignments: rows.map((r) => ({
          id: r.id,
          unitId: r.assignee_unit_id,
          userId: r.assignee_user_id,
          role: r.role,
          dueAt: r.due_at?.toISOString() ?? null,
        })),
        at: now.toISOString(),
      })
      await appendAudit(
        tx,
        ctx,
        {
          action: 'document.assigned',
          objectType: 'document',
          objectId: document.id,
          unitId: unit.id,
          details: { assignments: rows.map((r) => r.id), dueAt: dueAt.toISOString() },
        },
        now,
      )
      return rows
    })
  }

  /**
   * An assignee comments, reports, forwards (to a unit or person; their assignment ends as forwarded) or
   * completes. The first step moves the document to "in progress"; when the last open lead completes, the
   * document is completed and the supporting work still open is closed.
   */
  async function act(
    actor: Actor,
    ctx: AuditContext,
    id: string,
    assignmentId: string,
    input: { action?: unknown; note?: unknown; to?: unknown },
  ) {
    const { document, scope } = await visibleDocument(actor, id)
    const action = text(input.action) as AssigneeAction
    if (!ASSIGNEE_ACTIONS.includes(action)) throw new ValidationError({ action: 'Chọn thao tác.' })
    const note = text(input.note) || null
    if (needsNote.includes(action) && !note)
      throw new ValidationError({ note: 'Nhập nội dung ý kiến hoặc báo cáo.' })
    if (note && note.length > 4000) throw new ValidationError({ note: 'Nội dung tối đa 4000 ký tự.' })
    const assignment = (await repo.listAssignments(db, document.id)).find((a) => a.id === assignmentId)
    if (!assignment) throw new NotFoundError('Không tìm thấy phân công.')
    if (!canActOn(scope, document, assignment))
      throw new ForbiddenError(Permission.documentsProcess, assignment.assignee_unit_id ?? document.unit_id)
    if (!allowedActions[assignment.status].includes(action)) {
      throw new ConflictError(
        `Phân công của ${assignment.assignee_name} đã kết thúc (${assignment.status}); không thể thực hiện thêm.`,
      )
    }
    let target: Awaited<ReturnType<typeof resolveTarget>> | null = null
    if (action === 'forward') {
      const ref = parseAssigneeRef(input.to)
      if (!ref) throw new ValidationError({ to: 'Chọn đơn vị hoặc người nhận chuyển xử lý.' })
      target = await resolveTarget(actor, document, ref, 'to')
      if ((target.unitId ?? target.userId) === (assignment.assignee_unit_id ?? assignment.assignee_user_id))
        throw new ValidationError({ to: 'Chọn đơn vị hoặc người khác với người đang xử lý.' })
    }
    const unit = await unitOf(document.unit_id)
    const now = clock()
    return inTransaction(db, async (tx) => {
      const locked = await repo.lockDocument(tx, document.id)
      const current = (await repo.listAssignments(tx, document.id)).find((a) => a.id === assignment.id)
      if (!locked || !current || current.status !== 'open') {
        throw new ConflictError('Phân công vừa được người khác cập nhật. Vui lòng tải lại trang.')
      }
      let forwarded: repo.AssignmentRow | null = null
      if (action === 'report') await repo.updateAssignment(tx, current.id, { reported_at: now })
      if (action === 'forward' && target) {
        await repo.updateAssignment(tx, current.id, { status: 'forwarded', finished_at: now })
        forwarded = await repo.insertAssignment(tx, {
          document_id: document.id,
          assignee_unit_id: target.unitId,
          assignee_user_id: target.userId,
          assignee_name: target.name,
          role: current.role,
          due_at: current.due_at,
          note,
          status: 'open',
          forwarded_from: current.id,
          assigned_by: actor.userId,
          assigned_by_name: actor.fullName,
          assigned_at: now,
          reported_at: null,
          finished_at: null,
        })
      }
      if (action === 'complete') {
        await repo.updateAssignment(tx, current.id, { status: 'completed', finished_at: now })
      }
      await repo.appendHistory(tx, {
        document_id: document.id,
        action,
        assignment_id: current.id,
        actor_id: actor.userId,
        actor_name: actor.fullName,
        note,
        details: JSON.stringify({
          assignee: current.assignee_name,
          role: current.role,
          ...(forwarded ? { to: forwarded.assignee_name, assignment: forwarded.id } : {}),
          ...(current.due_at ? { onTime: now <= current.due_at } : {}),
        }),
        at: now,
      })
      let status: DocumentStatus = locked.status
      if (status === 'assigned' || status === 'registered') {
        status = 'in_progress'
        await reportStatus(tx, locked, unit, StatusCode.inProgress, actor, now)
      }
      const finished =
        action === 'complete' && current.role === 'lead' && (await repo.countOpenLeads(tx, document.id)) === 0
      if (finished) {
        status = 'completed'
        await repo.closeOpenAssignments(tx, document.id, now)
        await repo.appendHistory(tx, {
          document_id: document.id,
          action: 'document_completed',
          assignment_id: current.id,
          actor_id: actor.userId,
          actor_name: actor.fullName,
          note: null,
          details: JSON.stringify({}),
          at: now,
        })
        await reportStatus(tx, locked, unit, StatusCode.completed, actor, now)
        await emitEvent(tx, 'document.completed', { id: document.id, unitId: unit.id, at: now.toISOString() })
      }
      const updated =
        status !== locked.status
          ? await repo.updateDocument(tx, document.id, {
              status,
              updated_at: now,
              ...(finished ? { completed_at: now } : {}),
            })
          : locked
      await appendAudit(
        tx,
        ctx,
        {
          action: `document.${action}`,
          objectType: 'document',
          objectId: document.id,
          unitId: unit.id,
          details: { assignment: current.id, ...(forwarded ? { forwardedTo: forwarded.id } : {}) },
        },
        now,
      )
      return { document: updated, forwarded }
    })
  }

  /** The clerk adds attachments (more scan pages, the electronic original) to a registered document. */
  async function addFiles(actor: Actor, ctx: AuditContext, id: string, files: readonly StoredAttachment[]) {
    try {
      const { document } = await visibleDocument(actor, id)
      const unit = await unitOf(document.unit_id)
      authorize(actor, Permission.documentsRegister, unit)
      if (files.length === 0) throw new ValidationError({ files: 'Chọn tệp đính kèm.' })
      const now = clock()
      return await inTransaction(db, async (tx) => {
        const locked = await repo.lockDocument(tx, document.id)
        if (!locked) throw new NotFoundError('Không tìm thấy văn bản.')
        let position = await repo.nextFilePosition(tx, document.id)
        if (position - 1 + files.length > MAX_ATTACHMENTS)
          throw new ValidationError({ files: `Mỗi văn bản tối đa ${MAX_ATTACHMENTS} tệp.` })
        const rows = []
        for (const file of files) {
          rows.push(
            await repo.insertFile(tx, {
              document_id: document.id,
              position: position++,
              kind: document.source === 'paper' ? 'scan' : 'electronic',
              file_name: file.fileName,
              description: null,
              content_id: randomUUID(),
              mime: file.mime,
              size: file.size,
              sha256: file.sha256,
              object_key: file.key,
              scanned: file.scanned,
              uploaded_by: actor.userId,
              uploaded_at: now,
            }),
          )
        }
        await repo.appendHistory(tx, {
          document_id: document.id,
          action: 'files_added',
          assignment_id: null,
          actor_id: actor.userId,
          actor_name: actor.fullName,
          note: rows.map((r) => r.file_name).join(', '),
          details: JSON.stringify({ files: rows.map((r) => r.id) }),
          at: now,
        })
        await appendAudit(
          tx,
          ctx,
          {
            action: 'document.files_added',
            objectType: 'document',
            objectId: document.id,
            unitId: unit.id,
            details: { files: rows.map((r) => r.id) },
          },
          now,
        )
        return rows.map(describeFile)
      })
    } catch (error) {
      await discard(files)
      throw error
    }
  }

  /** An attachment for whoever may see its document; downloads of confidential ones are audited. */
  async function openFile(actor: Actor, ctx: AuditContext, id: string, fileId: string) {
    const { document } = await visibleDocument(actor, id)
    const row = await repo.findFile(db, document.id, fileId)
    if (!row) throw new NotFoundError('Không tìm thấy tệp.')
    if (document.confidentiality !== 'normal') {
      await appendAudit(db, ctx, {
        action: 'document.file_downloaded',
        objectType: 'document_file',
        objectId: row.id,
        unitId: document.unit_id,
        details: { document: document.id, confidentiality: document.confidentiality },
      })
    }
    return { file: describeFile(row), stream: await deps.files.store.get(row.object_key) }
  }

  /**
   * Search over what the actor may see: words without diacritics over the summary, number/notation and
   * issuer, and filters; newest first, `before` continues a page.
   */
  async function search(actor: Actor, raw: Record<string, unknown>, limit = 50) {
    const errors: FieldErrors = {}
    const q = text(raw.q).slice(0, 200)
    const from = text(raw.from)
    const to = text(raw.to)
    if (from && !isIsoDate(from)) errors.from = 'Ngày không hợp lệ (năm-tháng-ngày).'
    if (to && !isIsoDate(to)) errors.to = 'Ngày không hợp lệ (năm-tháng-ngày).'
    const status = text(raw.status) as DocumentStatus
    if (status && !DOCUMENT_STATUSES.includes(status)) errors.status = 'Trạng thái không hợp lệ.'
    const before = text(raw.before)
    const cursor = /^(\d{4}-\d{2}-\d{2}T[\d:.]+Z)_([0-9a-f-]{36})$/.exec(before)
    if (before && !cursor) errors.before = 'Con trỏ trang không hợp lệ.'
    if (Object.keys(errors).length > 0) throw new ValidationError(errors)
    const issuerText = text(raw.issuer).replace(/[%_\\]/g, '')
    const issuer = /^\d{3}\.\d{2}\.\d{2}\.[a-z]\d{2}$/i.test(issuerText)
      ? issuerText.toUpperCase()
      : fold(issuerText)
    const { scope } = await scopeOf(actor)
    const rows = await repo.searchDocuments(db, scope, {
      tsquery: prefixTsQuery(q),
      registerId: text(raw.registerId) || undefined,
      typeCode: text(raw.typeCode) || undefined,
      issuer: issuer || undefined,
      from: from || undefined,
      to: to || undefined,
      status: status || undefined,
      before: cursor ? { receivedAt: new Date(cursor[1]!), id: cursor[2]! } : undefined,
      limit: limit + 1,
    })
    const items = rows.slice(0, limit)
    const last = items.at(-1)
    return {
      items,
      next: rows.length > limit && last ? `${last.received_at.toISOString()}_${last.id}` : null,
    }
  }

  /**
   * The person's work: their open assignments (and their units'), earliest deadline first with where each
   * stands; for leaders, documents waiting to be assigned and the unit's overdue assignments.
   */
  async function queue(actor: Actor, limit = 200) {
    const { scope } = await scopeOf(actor)
    const now = clock()
    const [assignments, unassigned, overdue] = await Promise.all([
      repo.openAssignmentsFor(db, scope, limit),
      repo.unassignedIn(db, scope.leaderUnits, limit),
      repo.overdueIn(db, scope.leaderUnits, now, limit),
    ])
    return {
      assignments: assignments.map((a) => ({ ...a, state: deadlineState(now, a.due_at) })),
      unassigned,
      overdue,
    }
  }

  async function registers(actor: Actor) {
    const { scope } = await scopeOf(actor)
    return repo.listRegisters(db, scope.readUnits)
  }

  return {
    types,
    registers,
    registrationChoices,
    createRegister,
    storeUpload,
    discard,
    register,
    importEdxml,
    readEnvelope,
    readStatusMessage,
    receiveEdxml,
    signStatusMessage,
    exportEdxml,
    get,
    assignTargets: async (actor: Actor, id: string) =>
      assignTargets(actor, (await visibleDocument(actor, id)).document),
    assign,
    act,
    addFiles,
    openFile,
    search,
    queue,
  }
}

export type DocumentsService = ReturnType<typeof createDocumentsService>
