import { createHash, randomUUID } from 'node:crypto'
import type { Readable } from 'node:stream'
import { appendAudit, type AuditContext } from '../../platform/audit/audit.js'
import { authorize, can, ForbiddenError, type Actor } from '../../platform/auth/actor.js'
import { Permission, rolePermissions, type Role } from '../../platform/auth/roles.js'
import { localDateOf } from '../../platform/calendar/index.js'
import { inTransaction, type Tx } from '../../platform/db/database.js'
import { emitEvent } from '../../platform/events/outbox.js'
import {
  ConflictError,
  inFormOrder,
  NotFoundError,
  ValidationError,
  type FieldErrors,
} from '../../platform/http/errors.js'
import { ObjectNotFound } from '../../platform/files/index.js'
import type { ModuleDeps } from '../../platform/module.js'
import type { SigningKeys } from '../../platform/signing/index.js'
import type { OrganisationService, OrgUnit } from '../organisation/index.js'
import {
  discardAttachments,
  storeAttachment,
  type FileStoreDeps,
  type StoredAttachment,
} from './document-files.js'
import { AGENCY_CODE, dedupeKey, isIsoDate, prefixTsQuery, text } from './document-input.js'
import {
  CONFIDENTIALITIES,
  URGENCIES,
  urgencyPriority,
  type Confidentiality,
  type Urgency,
} from './document-rules.js'
import * as exchange from './document-exchange.repository.js'
import { queuePackageSend } from './document-exchange.queue.js'
import * as docs from './documents.repository.js'
import type { EdxmlExtra } from './documents.tables.js'
import {
  buildEnvelope,
  buildStatusMessage,
  BusinessType,
  businessLabel,
  edxmlDocumentId,
  emptyOrgan,
  newBusiness,
  StatusCode,
  type EdxmlOrgan,
  type EdxmlResponseFor,
} from './edxml.js'
import { applyAmendment, type AmendmentKind, type DocumentChanges } from './edxml-amendments.js'
import { edxmlSigner } from './edxml-signature.js'
import { checkDraftPdf, stampAndSign, vietnameseDate } from './outgoing-pdf.js'
import {
  ABBREVIATION,
  allows,
  buildNotation,
  deriveAbbreviation,
  formatNumber,
  MAX_CHAIN,
  MAX_RECIPIENTS,
  OUTGOING_STATUSES,
  outgoingStatusLabel,
  STEP_ACTIONS,
  withdrawnLabel,
  type OutgoingAction,
  type OutgoingStatus,
  type RecipientKind,
  type StepAction,
} from './outgoing-rules.js'
import * as repo from './outgoing.repository.js'
import type { VersionFields } from './outgoing.tables.js'

declare module '../../platform/events/outbox.js' {
  interface DomainEvents {
    /** A draft went to its approval chain; `userId` is the first person to act. */
    'document.outgoing_submitted': { id: string; unitId: string; userId: string; round: number; at: string }
    /** The unit leader approved it for issue: the unit's clerks have work. */
    'document.outgoing_approved': { id: string; unitId: string; at: string }
    /** Numbered, signed and sent; internal deliveries also emit `document.registered` at the recipient. */
    'document.outgoing_issued': {
      id: string
      unitId: string
      registerId: string
      number: number
      notation: string
      delivered: string[]
      at: string
    }
    /** The clerk refused a document received from another agency (status 02 to the sender). */
    'document.refused': { id: string; unitId: string; at: string }
    /** The issuing unit recalled an issued document (its recipients are told, decision 0011). */
    'document.outgoing_recalled': { id: string; unitId: string; at: string }
    /** The issuing unit corrected an issued document's summary, content or deadline. */
    'document.outgoing_updated': { id: string; unitId: string; at: string }
  }
}

/** Officials of a unit with the roles they hold over it: given by app.ts from the identity module. */
export type OfficialsLookup = {
  inUnit(unit: { id: string; path: string }): Promise<{ id: string; fullName: string; roles: Role[] }[]>
}

export type OutgoingDeps = ModuleDeps & {
  files: FileStoreDeps
  organisation: OrganisationService
  signing: SigningKeys
  officials: OfficialsLookup
  /**
   * Whether an agency receives over the LGSP now (registered, one of its systems subscribed to its topic);
   * given by the documents module from the exchange. Without it no agency is reachable.
   */
  lgspReachable?: (agencyCode: string) => Promise<boolean>
}

/** A recipient as clients send it: a unit of the platform, or an agency outside it by its QCVN 102 code. */
export type RecipientInput =
  { kind: 'internal'; unitId: string } | { kind: 'external'; agencyCode: string; name: string }

const DRAFT_FIELDS = [
  'unitId',
  'typeCode',
  'division',
  'summary',
  'content',
  'urgency',
  'confidentiality',
  'dueOn',
  'replyTo',
  'replaces',
  'recipients',
  'file',
]

/** Keeps line breaks (content is prose), normalises the rest like `text`. */
const multiline = (value: unknown) =>
  typeof value === 'string'
    ? value
        .normalize('NFC')
        .replace(/\r\n?/g, '\n')
        .replace(/[ \t]+/g, ' ')
        .trim()
    : ''

const list = (value: unknown): unknown[] =>
  value === undefined || value === null || value === '' ? [] : Array.isArray(value) ? value : [value]

/**
 * External recipients as the form's textarea gives them, one per line: the agency code then its name
 * ("000.00.00.G22 Văn phòng Chính phủ"); the API sends objects.
 */
export function parseExternalLines(raw: unknown): { agencyCode: string; name: string; line: number }[] {
  return multiline(raw)
    .split('\n')
    .map((line, index) => ({ line: line.trim(), index }))
    .filter(({ line }) => line !== '')
    .map(({ line, index }) => {
      const match = /^(\S+)\s*[-–—:|,]?\s*(.*)$/.exec(line)
      return {
        agencyCode: (match?.[1] ?? '').toUpperCase(),
        name: (match?.[2] ?? '').trim(),
        line: index + 1,
      }
    })
}

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')
const dmy = (iso: string) => iso.split('-').reverse().join('/')

export function createOutgoingService(deps: OutgoingDeps) {
  const { db, clock, organisation, signing, officials } = deps
  const store = deps.files.store
  // Packages carry an XML signature by the unit's key, the one its PDFs are signed with.
  const packageSigner = edxmlSigner(signing)

  async function unitOf(id: string): Promise<OrgUnit> {
    const [unit] = await organisation.findUnitsByIds([id])
    if (!unit) throw new NotFoundError('Không tìm thấy đơn vị.')
    return unit
  }

  async function scopeOf(actor: Actor) {
    const units = await organisation.listUnits({})
    const ids = (permission: Permission) => units.filter((u) => can(actor, permission, u)).map((u) => u.id)
    const scope: repo.OutgoingScope = {
      userId: actor.userId,
      leaderUnits: ids(Permission.documentsApprove),
      clerkUnits: ids(Permission.documentsIssue),
    }
    return { scope, units, draftUnits: ids(Permission.documentsProcess) }
  }

  /**
   * An outgoing document the actor may see, or an error: 404 for a classified one (its existence is
   * protected) and 403 (audited by the HTTP layer) for an ordinary one of someone else.
   */
  async function visible(actor: Actor, id: string) {
    const outgoing = await repo.findOutgoing(db, id)
    if (!outgoing) throw new NotFoundError('Không tìm thấy văn bản đi.')
    const { scope } = await scopeOf(actor)
    if (!(await repo.isVisible(db, scope, outgoing.id))) {
      if (outgoing.confidentiality !== 'normal') throw new NotFoundError('Không tìm thấy văn bản đi.')
      throw new ForbiddenError(Permission.documentsProcess, outgoing.unit_id)
    }
    return outgoing
  }

  function refuseInStatus(status: OutgoingStatus, what: string): never {
    throw new ConflictError(`${what}: văn bản đang ở trạng thái "${outgoingStatusLabel[status]}".`, {
      status,
    })
  }

  function expect(outgoing: repo.OutgoingRow, action: OutgoingAction, what: string) {
    if (!allows(outgoing.status, action)) refuseInStatus(outgoing.status, what)
  }

  async function history(
    tx: Tx,
    outgoing: { id: string },
    actor: Actor | null,
    action: string,
    note: string | null,
    details: Record<string, unknown>,
    at: Date,
  ) {
    await repo.appendHistory(tx, {
      outgoing_id: outgoing.id,
      action,
      actor_id: actor?.userId ?? null,
      actor_name: actor?.fullName ?? null,
      note,
      details: JSON.stringify(details),
      at,
    })
  }

  async function audit(
    q: Tx | typeof db,
    ctx: AuditContext,
    action: string,
    outgoing: { id: string; unit_id: string },
    details: Record<string, unknown>,
    at: Date,
  ) {
    await appendAudit(
      q,
      ctx,
      { action, objectType: 'outgoing_document', objectId: outgoing.id, unitId: outgoing.unit_id, details },
      at,
    )
  }

  // -------------------------------------------------------------------------------------------------------
  // Drafts

  /** What the new-draft form offers the actor: units they draft for, types, units of the platform. */
  async function draftChoices(actor: Actor) {
    authorize(actor, Permission.documentsProcess)
    const { units, draftUnits } = await scopeOf(actor)
    const today = localDateOf(clock())
    const active = units.filter((u) => u.validFrom <= today && (!u.validTo || u.validTo >= today))
    return {
      units: active.filter((u) => draftUnits.includes(u.id)),
      recipients: active,
      types: await docs.listTypes(db),
    }
  }

  type ParsedDraft = {
    unit: OrgUnit
    fields: VersionFields
    recipients: { kind: RecipientKind; unitId: string | null; agencyCode: string | null; name: string }[]
  }

  /** Checks a draft's fields; every problem is named against its field, in form order. */
  async function parseDraft(
    actor: Actor,
    raw: Record<string, unknown>,
    fixedUnit?: OrgUnit,
  ): Promise<ParsedDraft> {
    const errors: FieldErrors = {}
    const { units, draftUnits } = await scopeOf(actor)
    let unit = fixedUnit
    if (!unit) {
      const unitId = text(raw.unitId) || (draftUnits.length === 1 ? draftUnits[0]! : '')
      unit = units.find((u) => u.id === unitId)
      if (!unit) errors.unitId = 'Chọn đơn vị soạn thảo.'
      else if (!draftUnits.includes(unit.id)) throw new ForbiddenError(Permission.documentsProcess, unit.id)
    }
    const typeCode = text(raw.typeCode)
    const type = typeCode ? await docs.findType(db, typeCode) : undefined
    if (!type) errors.typeCode = 'Chọn loại văn bản.'
    const division = text(raw.division).toUpperCase() || null
    if (division && !ABBREVIATION.test(division))
      errors.division = 'Viết tắt đơn vị soạn thảo gồm chữ in hoa và chữ số, tối đa 20 ký tự (ví dụ VP).'
    const summary = text(raw.summary)
    if (summary.length < 2 || summary.length > 2000) errors.summary = 'Nhập trích yếu (2 đến 2000 ký tự).'
    const content = multiline(raw.content) || null
    if (content && content.length > 20000) errors.content = 'Nội dung tối đa 20000 ký tự.'
    const urgency = (text(raw.urgency) || 'normal') as Urgency
    if (!URGENCIES.includes(urgency)) errors.urgency = 'Chọn độ khẩn.'
    const confidentiality = (text(raw.confidentiality) || 'normal') as Confidentiality
    if (!CONFIDENTIALITIES.includes(confidentiality)) errors.confidentiality = 'Chọn độ mật.'
    const dueOn = text(raw.dueOn) || null
    if (dueOn && !isIsoDate(dueOn)) errors.dueOn = 'Hạn trả lời không hợp lệ (năm-tháng-ngày).'
    else if (dueOn && dueOn < localDateOf(clock())) errors.dueOn = 'Hạn trả lời đã qua.'
    const replyTo = text(raw.replyTo) || null
    if (replyTo) {
      const answered = await docs.findDocument(db, replyTo)
      const { scope } = await documentsScope(actor, units)
      if (!answered || !(await docs.isVisible(db, scope, answered.id)))
        errors.replyTo = 'Không tìm thấy văn bản đến được trả lời, hoặc bạn không được xem văn bản đó.'
    }

    // Recipients: units of the platform by id, agencies outside by their QCVN 102 code.
    const recipients: ParsedDraft['recipients'] = []
    const problems: string[] = []
    const internalIds = list(raw.internalUnits).map((v) => text(v))
    const externals: { agencyCode: string; name: string; line: number }[] = [
      ...parseExternalLines(raw.external),
    ]
    for (const [index, r] of list(raw.recipients).entries()) {
      const item = (typeof r === 'object' && r !== null ? r : {}) as Record<string, unknown>
      if (item.kind === 'internal') internalIds.push(text(item.unitId))
      else if (item.kind === 'external')
        externals.push({
          agencyCode: text(item.agencyCode).toUpperCase(),
          name: text(item.name),
          line: index + 1,
        })
      else problems.push(`Nơi nhận thứ ${index + 1}: kind phải là internal hoặc external.`)
    }
    for (const id of new Set(internalIds.filter(Boolean))) {
      const target = units.find((u) => u.id === id)
      if (!target) problems.push('Đơn vị nhận không có trên nền tảng.')
      else if (unit && target.id === unit.id)
        problems.push('Đơn vị soạn thảo không gửi văn bản cho chính mình.')
      else
        recipients.push({
          kind: 'internal',
          unitId: target.id,
          agencyCode: target.agencyCode,
          name: target.name,
        })
    }
    const seen = new Set<string>()
    for (const e of externals) {
      if (!AGENCY_CODE.test(e.agencyCode)) {
        problems.push(
          `Dòng ${e.line}: "${e.agencyCode}" không phải mã định danh cơ quan theo QCVN 102:2016 (dạng 000.00.00.H14).`,
        )
      } else if (e.name.length < 2 || e.name.length > 300) {
        problems.push(`Dòng ${e.line}: ghi tên cơ quan nhận sau mã ${e.agencyCode}.`)
      } else if (unit && e.agencyCode === unit.agencyCode) {
        problems.push('Đơn vị soạn thảo không gửi văn bản cho chính mình.')
      } else if (!seen.has(e.agencyCode)) {
        seen.add(e.agencyCode)
        recipients.push({ kind: 'external', unitId: null, agencyCode: e.agencyCode, name: e.name })
      }
    }
    if (recipients.length === 0 && problems.length === 0)
      problems.push(
        'Chọn ít nhất một nơi nhận: đơn vị trên nền tảng hoặc cơ quan ngoài (mã định danh và tên).',
      )
    if (recipients.length > MAX_RECIPIENTS) problems.push(`Tối đa ${MAX_RECIPIENTS} nơi nhận.`)
    if (problems.length > 0) errors.recipients = [...new Set(problems)].join(' ')
    if (Object.keys(errors).length > 0 || !unit || !type)
      throw new ValidationError(inFormOrder(errors, DRAFT_FIELDS))
    return {
      unit,
      recipients,
      fields: {
        typeCode: type.code,
        summary,
        content,
        division,
        urgency,
        confidentiality,
        dueOn,
        replyTo,
        recipients: recipients.map((r) => ({ ...r })),
      },
    }
  }

  /** The visibility of incoming documents, for the document a draft answers. */
  async function documentsScope(actor: Actor, units: OrgUnit[]) {
    const ids = (permission: Permission) => units.filter((u) => can(actor, permission, u)).map((u) => u.id)
    const leaderUnits = ids(Permission.documentsAssign)
    const scope: docs.Scope = {
      userId: actor.userId,
      readUnits: [...new Set([...ids(Permission.documentsRegister), ...leaderUnits])],
      leaderUnits,
      processUnits: ids(Permission.documentsProcess),
    }
    return { scope }
  }

  const recipientRows = (draft: ParsedDraft) =>
    draft.recipients.map((r) => ({
      kind: r.kind,
      unit_id: r.unitId,
      agency_code: r.agencyCode,
      name: r.name,
      status: 'pending' as const,
    }))

  /** Puts an uploaded draft file in the store, after checking it is a PDF that can be issued. */
  async function storeDraftFile(stream: Readable | Buffer, fileName: string): Promise<StoredAttachment> {
    const stored = await storeAttachment(deps.files, stream, fileName, clock()).catch((error: unknown) => {
      if (error instanceof ValidationError) throw new ValidationError({ file: error.message }, error.message)
      throw error
    })
    try {
      if (stored.mime !== 'application/pdf')
        throw new ValidationError({ file: 'Tệp dự thảo phải là tệp PDF.' }, 'Tệp dự thảo phải là tệp PDF.')
      await checkDraftPdf(await bytesOf(await store.get(stored.key)), await signing.trustAnchors())
      return stored
    } catch (error) {
      await discard([stored])
      throw error
    }
  }

  async function discard(files: readonly (StoredAttachment | undefined)[]) {
    await discardAttachments(
      store,
      files.filter((f): f is StoredAttachment => f !== undefined),
    )
  }

  const versionFile = (file: StoredAttachment | undefined, previous?: repo.VersionRow) =>
    file
      ? {
          file_name: file.fileName,
          mime: file.mime,
          size: file.size,
          sha256: file.sha256,
          object_key: file.key,
        }
      : {
          file_name: previous?.file_name ?? null,
          mime: previous?.mime ?? null,
          size: previous?.size ?? null,
          sha256: previous?.sha256 ?? null,
          object_key: previous?.object_key ?? null,
        }

  /** A specialist (or leader) drafts a document for their unit: version 1, with its PDF if given. */
  async function create(
    actor: Actor,
    ctx: AuditContext,
    raw: Record<string, unknown>,
    file?: StoredAttachment,
  ) {
    try {
      authorize(actor, Permission.documentsProcess)
      const draft = await parseDraft(actor, raw)
      const replaces = await replacedDocument(actor, draft.unit, raw.replaces)
      const now = clock()
      return await inTransaction(db, async (tx) => {
        const outgoing = await repo.insertOutgoing(tx, {
          replaces: replaces?.id ?? null,
          unit_id: draft.unit.id,
          drafter_id: actor.userId,
          drafter_name: actor.fullName,
          type_code: draft.fields.typeCode,
          summary: draft.fields.summary,
          content: draft.fields.content,
          division: draft.fields.division,
          urgency: draft.fields.urgency,
          confidentiality: draft.fields.confidentiality,
          due_on: draft.fields.dueOn,
          reply_to: draft.fields.replyTo,
          status: 'draft',
          version: 1,
          round: 0,
          approved_by: null,
          signer_name: null,
          signer_position: null,
          signer_competence: null,
          approved_at: null,
          register_id: null,
          number: null,
          code_number: null,
          code_notation: null,
          issued_on: null,
          issued_at: null,
          issued_by: null,
          issued_by_name: null,
          signed_file_name: null,
          signed_object_key: null,
          signed_sha256: null,
          signed_size: null,
          created_at: now,
          updated_at: now,
        })
        await repo.insertVersion(tx, {
          outgoing_id: outgoing.id,
          version: 1,
          fields: JSON.stringify(draft.fields),
          ...versionFile(file),
          note: null,
          created_by: actor.userId,
          created_by_name: actor.fullName,
          created_at: now,
        })
        await repo.replaceRecipients(tx, outgoing.id, recipientRows(draft))
        await history(
          tx,
          outgoing,
          actor,
          'created',
          replaces ? `Thay thế văn bản số ${replaces.code_number}/${replaces.code_notation}` : null,
          { version: 1, file: file?.fileName ?? null, ...(replaces ? { replaces: replaces.id } : {}) },
          now,
        )
        await audit(tx, ctx, 'document.outgoing_created', outgoing, { version: 1 }, now)
        return outgoing
      })
    } catch (error) {
      await discard([file])
      throw error
    }
  }

  /**
   * The issued document a new draft replaces (thay thế): one of the drafter's unit they may see, issued and
   * neither recalled nor replaced. At issue, it is marked replaced and its recipients are told.
   */
  async function replacedDocument(actor: Actor, unit: OrgUnit, raw: unknown) {
    const id = text(raw)
    if (!id) return null
    const old = await repo.findOutgoing(db, id)
    const { scope } = await scopeOf(actor)
    if (!old || old.unit_id !== unit.id || !(await repo.isVisible(db, scope, old.id))) {
      throw new ValidationError({
        replaces: 'Không tìm thấy văn bản đi được thay thế của đơn vị, hoặc bạn không được xem văn bản đó.',
      })
    }
    if (old.status !== 'issued' || old.withdrawn) {
      throw new ValidationError({
        replaces: 'Chỉ thay thế văn bản đã phát hành, chưa bị thu hồi hoặc thay thế.',
      })
    }
    return old
  }

  /** The drafter changes a draft (or one sent back): a new version; earlier ones stay readable. */
  async function edit(
    actor: Actor,
    ctx: AuditContext,
    id: string,
    raw: Record<string, unknown>,
    file?: StoredAttachment,
  ) {
    try {
      const outgoing = await visible(actor, id)
      if (outgoing.drafter_id !== actor.userId)
        throw new ForbiddenError(
          Permission.documentsProcess,
          outgoing.unit_id,
          'Chỉ người soạn thảo sửa được dự thảo.',
        )
      expect(outgoing, 'edit', 'Không sửa được dự thảo')
      const draft = await parseDraft(actor, raw, await unitOf(outgoing.unit_id))
      const note = text(raw.note) || null
      if (note && note.length > 2000) throw new ValidationError({ note: 'Ghi chú tối đa 2000 ký tự.' })
      const now = clock()
      return await inTransaction(db, async (tx) => {
        const locked = await repo.lockOutgoing(tx, outgoing.id)
        if (!locked || locked.version !== outgoing.version) {
          throw new ConflictError('Dự thảo vừa được cập nhật. Vui lòng tải lại trang.')
        }
        expect(locked, 'edit', 'Không sửa được dự thảo')
        const previous = await repo.findVersion(tx, locked.id, locked.version)
        const version = locked.version + 1
        await repo.insertVersion(tx, {
          outgoing_id: locked.id,
          version,
          fields: JSON.stringify(draft.fields),
          ...versionFile(file, previous),
          note,
          created_by: actor.userId,
          created_by_name: actor.fullName,
          created_at: now,
        })
        await repo.replaceRecipients(tx, locked.id, recipientRows(draft))
        const updated = await repo.updateOutgoing(tx, locked.id, {
          type_code: draft.fields.typeCode,
          summary: draft.fields.summary,
          content: draft.fields.content,
          division: draft.fields.division,
          urgency: draft.fields.urgency,
          confidentiality: draft.fields.confidentiality,
          due_on: draft.fields.dueOn,
          reply_to: draft.fields.replyTo,
          version,
          updated_at: now,
        })
        await history(tx, locked, actor, 'edited', note, { version, file: file?.fileName ?? null }, now)
        await audit(tx, ctx, 'document.outgoing_edited', locked, { version }, now)
        return updated
      })
    } catch (error) {
      await discard([file])
      throw error
    }
  }

  /** A new file for a draft, its fields unchanged: the next version (the API's upload). */
  async function uploadVersion(
    actor: Actor,
    ctx: AuditContext,
    id: string,
    file: StoredAttachment | undefined,
    note: unknown,
  ) {
    try {
      if (!file) throw new ValidationError({ file: 'Chọn tệp PDF dự thảo.' })
      const outgoing = await visible(actor, id)
      const current = await repo.findVersion(db, outgoing.id, outgoing.version)
      if (!current) throw new NotFoundError('Không tìm thấy phiên bản hiện tại.')
      const f = current.fields
      return await edit(
        actor,
        ctx,
        id,
        {
          typeCode: f.typeCode,
          summary: f.summary,
          content: f.content ?? '',
          division: f.division ?? '',
          urgency: f.urgency,
          confidentiality: f.confidentiality,
          dueOn: f.dueOn ?? '',
          replyTo: f.replyTo ?? '',
          recipients: f.recipients.map((r) =>
            r.kind === 'internal'
              ? { kind: 'internal', unitId: r.unitId }
              : { kind: 'external', agencyCode: r.agencyCode, name: r.name },
          ),
          note,
        },
        file,
      )
    } catch (error) {
      await discard([file])
      throw error
    }
  }

  /** Anyone who may see a document comments on its current version. */
  async function comment(actor: Actor, ctx: AuditContext, id: string, raw: { body?: unknown }) {
    const outgoing = await visible(actor, id)
    const body = multiline(raw.body)
    if (body.length < 1) throw new ValidationError({ body: 'Nhập nội dung góp ý.' })
    if (body.length > 4000) throw new ValidationError({ body: 'Góp ý tối đa 4000 ký tự.' })
    expect(outgoing, 'comment', 'Không góp ý được nữa')
    const now = clock()
    return inTransaction(db, async (tx) => {
      const row = await repo.insertComment(tx, {
        outgoing_id: outgoing.id,
        version: outgoing.version,
        author_id: actor.userId,
        author_name: actor.fullName,
        body,
        created_at: now,
      })
      await history(tx, outgoing, actor, 'commented', body.slice(0, 200), { version: outgoing.version }, now)
      await audit(tx, ctx, 'document.outgoing_commented', outgoing, { comment: row.id }, now)
      return row
    })
  }

  // -------------------------------------------------------------------------------------------------------
  // Approval chain

  const approves = (roles: readonly Role[]) =>
    roles.some((r) => (rolePermissions[r] as readonly Permission[]).includes(Permission.documentsApprove))

  /** The people a draft can go to: officials of its unit other than the drafter; approvers marked. */
  async function chainCandidates(outgoing: repo.OutgoingRow) {
    const unit = await unitOf(outgoing.unit_id)
    const people = await officials.inUnit(unit)
    return people
      .filter((p) => p.id !== outgoing.drafter_id)
      .filter((p) =>
        p.roles.some((r) =>
          (rolePermissions[r] as readonly Permission[]).includes(Permission.documentsProcess),
        ),
      )
      .map((p) => ({ id: p.id, fullName: p.fullName, approver: approves(p.roles) }))
  }

  /**
   * The drafter sends the draft to its chain, in order: reviewers (e.g. the head of division) and, last, a
   * leader of the unit who approves it for issue. Each submission is a new round.
   */
  async function submit(
    actor: Actor,
    ctx: AuditContext,
    id: string,
    raw: { chain?: unknown; note?: unknown },
  ) {
    const outgoing = await visible(actor, id)
    if (outgoing.drafter_id !== actor.userId)
      throw new ForbiddenError(
        Permission.documentsProcess,
        outgoing.unit_id,
        'Chỉ người soạn thảo trình được dự thảo.',
      )
    expect(outgoing, 'submit', 'Không trình được dự thảo')
    const chain = list(raw.chain)
      .map((v) => text(v))
      .filter(Boolean)
    const note = text(raw.note) || null
    const candidates = await chainCandidates(outgoing)
    const errors: FieldErrors = {}
    if (chain.length === 0) errors.chain = 'Chọn người duyệt: ít nhất lãnh đạo đơn vị duyệt ban hành.'
    else if (chain.length > MAX_CHAIN) errors.chain = `Tối đa ${MAX_CHAIN} người trong một lượt trình.`
    else if (new Set(chain).size !== chain.length) errors.chain = 'Mỗi người chỉ xuất hiện một lần.'
    const people = chain.map((userId) => candidates.find((c) => c.id === userId))
    if (!errors.chain && people.some((p) => !p))
      errors.chain = 'Chỉ trình cán bộ, lãnh đạo của đơn vị soạn thảo (không phải chính người soạn).'
    if (!errors.chain && !people.at(-1)?.approver)
      errors.chain = 'Người cuối cùng phải là lãnh đạo đơn vị, người duyệt ban hành.'
    if (note && note.length > 2000) errors.note = 'Ghi chú tối đa 2000 ký tự.'
    if (Object.keys(errors).length > 0) throw new ValidationError(errors)
    const file = await repo.findVersion(db, outgoing.id, outgoing.version)
    if (!file?.object_key)
      throw new ConflictError('Dự thảo chưa có tệp PDF. Tải tệp dự thảo lên trước khi trình.')
    const now = clock()
    return inTransaction(db, async (tx) => {
      const locked = await repo.lockOutgoing(tx, outgoing.id)
      if (!locked || locked.version !== outgoing.version || locked.status !== outgoing.status)
        throw new ConflictError('Dự thảo vừa được cập nhật. Vui lòng tải lại trang.')
      const round = locked.round + 1
      for (const [index, person] of people.entries()) {
        await repo.insertStep(tx, {
          outgoing_id: locked.id,
          round,
          position: index + 1,
          user_id: person!.id,
          user_name: person!.fullName,
          kind: index === people.length - 1 ? 'approve' : 'review',
          status: index === 0 ? 'pending' : 'waiting',
          note: null,
          forwarded_from: null,
          acted_at: null,
        })
      }
      const updated = await repo.updateOutgoing(tx, locked.id, {
        status: 'in_review',
        round,
        updated_at: now,
      })
      await history(
        tx,
        locked,
        actor,
        'submitted',
        note,
        { round, version: locked.version, chain: people.map((p) => p!.fullName) },
        now,
      )
      await emitEvent(tx, 'document.outgoing_submitted', {
        id: locked.id,
        unitId: locked.unit_id,
        userId: people[0]!.id,
        round,
        at: now.toISOString(),
      })
      await audit(tx, ctx, 'document.outgoing_submitted', locked, { round, chain: chain }, now)
      return updated
    })
  }

  /**
   * The person at the current step agrees (passing it on, or, at the last step, approving it for issue),
   * sends it back to the drafter with a comment, or hands their step on to someone else. Only that person
   * may act (403 otherwise); a document not under review is a conflict.
   */
  async function act(
    actor: Actor,
    ctx: AuditContext,
    id: string,
    raw: {
      action?: unknown
      note?: unknown
      to?: unknown
      signerPosition?: unknown
      signerCompetence?: unknown
    },
  ) {
    const outgoing = await visible(actor, id)
    const action = text(raw.action) as StepAction
    if (!STEP_ACTIONS.includes(action))
      throw new ValidationError({ action: 'Chọn thao tác: đồng ý, trả lại hoặc chuyển.' })
    expect(outgoing, 'step', 'Không duyệt được')
    const steps = await repo.listSteps(db, outgoing.id)
    const current = steps.find((s) => s.round === outgoing.round && s.status === 'pending')
    if (!current) refuseInStatus(outgoing.status, 'Không có bước nào đang chờ')
    if (current.user_id !== actor.userId) {
      throw new ForbiddenError(
        Permission.documentsProcess,
        outgoing.unit_id,
        `Chưa đến lượt bạn: dự thảo đang chờ ${current.user_name} xử lý.`,
      )
    }
    const unit = await unitOf(outgoing.unit_id)
    const note = multiline(raw.note) || null
    const errors: FieldErrors = {}
    if (action === 'return' && !note) errors.note = 'Nhập lý do trả lại, nội dung cần chỉnh sửa.'
    if (note && note.length > 4000) errors.note = 'Ý kiến tối đa 4000 ký tự.'
    const signerPosition = text(raw.signerPosition) || null
    const signerCompetence = text(raw.signerCompetence).toUpperCase() || null
    if (signerPosition && signerPosition.length > 200) errors.signerPosition = 'Chức vụ tối đa 200 ký tự.'
    if (signerCompetence && signerCompetence.length > 100)
      errors.signerCompetence = 'Thẩm quyền ký tối đa 100 ký tự.'
    let target: { id: string; fullName: string; approver: boolean } | undefined
    if (action === 'forward') {
      const toId = text(raw.to)
      target = (await chainCandidates(outgoing)).find((c) => c.id === toId)
      if (!target) errors.to = 'Chọn cán bộ, lãnh đạo của đơn vị để chuyển.'
      else if (target.id === actor.userId) errors.to = 'Chọn người khác với bạn.'
      else if (current.kind === 'approve' && !target.approver)
        errors.to = 'Bước duyệt ban hành chỉ chuyển được cho lãnh đạo đơn vị.'
    }
    if (Object.keys(errors).length > 0) throw new ValidationError(errors)
    if (action === 'approve' && current.kind === 'approve')
      authorize(actor, Permission.documentsApprove, unit)

    const now = clock()
    return inTransaction(db, async (tx) => {
      const locked = await repo.lockOutgoing(tx, outgoing.id)
      const freshSteps = await repo.listSteps(tx, outgoing.id)
      const fresh = freshSteps.find((s) => s.id === current.id)
      if (!locked || locked.status !== 'in_review' || fresh?.status !== 'pending')
        throw new ConflictError('Dự thảo vừa được người khác xử lý. Vui lòng tải lại trang.')
      let updated = locked
      if (action === 'approve') {
        await repo.updateStep(tx, current.id, { status: 'approved', note, acted_at: now })
        if (current.kind === 'approve') {
          updated = await repo.updateOutgoing(tx, locked.id, {
            status: 'approved',
            approved_by: actor.userId,
            approved_at: now,
            signer_name: actor.fullName,
            signer_position: signerPosition,
            signer_competence: signerCompetence,
            updated_at: now,
          })
          await history(
            tx,
            locked,
            actor,
            'approved_for_issue',
            note,
            { round: locked.round, version: locked.version },
            now,
          )
          await emitEvent(tx, 'document.outgoing_approved', {
            id: locked.id,
            unitId: locked.unit_id,
            at: now.toISOString(),
          })
        } else {
          const next = freshSteps
            .filter(
              (s) => s.round === locked.round && s.status === 'waiting' && s.position > current.position,
            )
            .sort((a, b) => a.position - b.position)[0]
          if (next) await repo.updateStep(tx, next.id, { status: 'pending' })
          updated = await repo.updateOutgoing(tx, locked.id, { updated_at: now })
          await history(
            tx,
            locked,
            actor,
            'approved',
            note,
            { round: locked.round, next: next?.user_name ?? null },
            now,
          )
        }
      } else if (action === 'return') {
        await repo.updateStep(tx, current.id, { status: 'returned', note, acted_at: now })
        await repo.cancelWaiting(tx, locked.id, locked.round)
        updated = await repo.updateOutgoing(tx, locked.id, { status: 'returned', updated_at: now })
        await history(
          tx,
          locked,
          actor,
          'returned',
          note,
          { round: locked.round, version: locked.version },
          now,
        )
      } else {
        await repo.updateStep(tx, current.id, { status: 'forwarded', note, acted_at: now })
        await repo.shiftSteps(tx, locked.id, locked.round, current.position)
        await repo.insertStep(tx, {
          outgoing_id: locked.id,
          round: locked.round,
          position: current.position + 1,
          user_id: target!.id,
          user_name: target!.fullName,
          kind: current.kind,
          status: 'pending',
          note: null,
          forwarded_from: current.id,
          acted_at: null,
        })
        updated = await repo.updateOutgoing(tx, locked.id, { updated_at: now })
        await history(
          tx,
          locked,
          actor,
          'forwarded',
          note,
          { round: locked.round, to: target!.fullName },
          now,
        )
      }
      await audit(
        tx,
        ctx,
        `document.outgoing_${action}`,
        locked,
        { step: current.id, round: locked.round },
        now,
      )
      return updated
    })
  }

  // -------------------------------------------------------------------------------------------------------
  // Issue and dispatch

  async function abbreviationOf(unit: OrgUnit): Promise<string> {
    return (await repo.findAbbreviation(db, unit.id)) ?? deriveAbbreviation(unit.shortName, unit.name)
  }

  /** The clerk sets the unit's abbreviation for notations (e.g. SKHCN). */
  async function setAbbreviation(
    actor: Actor,
    ctx: AuditContext,
    raw: { unitId?: unknown; abbreviation?: unknown },
  ) {
    const unit = await unitOf(text(raw.unitId))
    authorize(actor, Permission.documentsIssue, unit)
    const abbreviation = text(raw.abbreviation).toUpperCase()
    if (!ABBREVIATION.test(abbreviation))
      throw new ValidationError({
        abbreviation: 'Chữ viết tắt gồm chữ in hoa và chữ số, 1 đến 20 ký tự (ví dụ SKHCN).',
      })
    const now = clock()
    await inTransaction(db, async (tx) => {
      await repo.saveAbbreviation(tx, unit.id, abbreviation, actor.userId, now)
      await appendAudit(
        tx,
        ctx,
        {
          action: 'document.outgoing_abbreviation_set',
          objectType: 'org_unit',
          objectId: unit.id,
          unitId: unit.id,
          details: { abbreviation },
        },
        now,
      )
    })
    return abbreviation
  }

  /** Reads a stored file and checks it is the one recorded: a changed object is refused, never sent. */
  async function readChecked(key: string, expected: string, what: string): Promise<Buffer> {
    const bytes = await store
      .get(key)
      .then(bytesOf)
      .catch((error: unknown) => {
        if (error instanceof ObjectNotFound)
          throw new ConflictError(
            `${what} không còn trong kho lưu trữ; không sử dụng được. Báo quản trị hệ thống.`,
          )
        throw error
      })
    if (sha256(bytes) !== expected) {
      throw new ConflictError(
        `${what} trong kho lưu trữ đã bị thay đổi (mã băm không khớp bản đã ghi nhận); không sử dụng được. Báo quản trị hệ thống.`,
      )
    }
    return bytes
  }

  function organOf(unit: OrgUnit): EdxmlOrgan {
    return emptyOrgan(unit.agencyCode ?? '', unit.name)
  }

  async function responseFor(outgoing: repo.OutgoingRow): Promise<EdxmlResponseFor[]> {
    if (!outgoing.reply_to) return []
    const answered = await docs.findDocument(db, outgoing.reply_to)
    if (!answered) return []
    return [
      {
        organId: answered.issuer_code ?? '',
        code: `${answered.code_number}/${answered.code_notation}`,
        promulgationDate: answered.issued_on,
        documentId:
          answered.edxml?.documentId ??
          edxmlDocumentId(
            answered.issuer_code ?? '',
            answered.issued_on,
            answered.code_number,
            answered.code_notation,
          ),
      },
    ]
  }

  const codeOf = (o: { code_number: string | null; code_notation: string | null }) =>
    `${o.code_number ?? ''}/${o.code_notation ?? ''}`

  /** The edXML DocumentId of an issued document: `{agency},{yyyy/MM/dd},{số}/{ký hiệu}`. */
  const documentIdOf = (o: repo.OutgoingRow, unit: OrgUnit) =>
    edxmlDocumentId(unit.agencyCode ?? '', o.issued_on!, o.code_number!, o.code_notation!)

  const replacementReason = (old: repo.OutgoingRow) =>
    `Thay thế văn bản số ${codeOf(old)} ngày ${dmy(old.issued_on!)}`

  /** The recall, update or replacement rights: the unit's clerks (who issue) and leaders (who approve). */
  function mayAmend(actor: Actor, unit: OrgUnit) {
    if (!can(actor, Permission.documentsIssue, unit) && !can(actor, Permission.documentsApprove, unit))
      throw new ForbiddenError(Permission.documentsIssue, unit.id)
  }

  type Copy = { recipientId: string; documentId: string; unit: OrgUnit }

  /** The copies units of the platform received of a document (read before the transaction that amends them). */
  async function copiesOf(outgoingId: string): Promise<Copy[]> {
    const rows = (await repo.listRecipients(db, outgoingId)).filter(
      (r) => r.kind === 'internal' && r.status === 'delivered' && r.document_id,
    )
    const units = await organisation.findUnitsByIds(rows.map((r) => r.unit_id!))
    return rows.flatMap((r) => {
      const unit = units.find((u) => u.id === r.unit_id)
      return unit ? [{ recipientId: r.id, documentId: r.document_id!, unit }] : []
    })
  }

  /**
   * A recall, update or replacement reaches the copies on the platform at once, in the sender's transaction:
   * each copy takes it or not by the same rule as a package from outside (`amendmentAnswer`), and the answer
   * (15/16) is recorded on the recipient and in the sender's history.
   */
  async function amendCopies(
    tx: Tx,
    input: {
      outgoing: repo.OutgoingRow
      sender: OrgUnit
      copies: readonly Copy[]
      kind: AmendmentKind
      reason: string
      actor: Actor
      ctx: AuditContext
      now: Date
      request: string
      changes?: DocumentChanges
      /** For a replacement: the new copy each unit received in the same transaction. */
      replacements?: Map<string, string>
    },
  ) {
    const { now } = input
    for (const copy of input.copies) {
      const locked = await docs.lockDocument(tx, copy.documentId)
      if (!locked) continue
      const replacedBy = input.replacements?.get(copy.unit.id) ?? null
      const answer = await applyAmendment(tx, {
        document: locked,
        unit: copy.unit,
        kind: input.kind,
        reason: input.reason,
        by: input.actor,
        ctx: input.ctx,
        now,
        request: input.request,
        changes: input.changes,
        replacedBy,
        senderName: input.sender.name,
      })
      if (replacedBy && answer.code === '15') {
        await docs.appendHistory(tx, {
          document_id: replacedBy,
          action: 'replaces',
          assignment_id: null,
          actor_id: input.actor.userId,
          actor_name: input.actor.fullName,
          note: `Thay thế văn bản số ${locked.code_number}/${locked.code_notation} (số đến ${locked.number})`,
          details: JSON.stringify({ replaces: [locked.id] }),
          at: now,
        })
      }
      await repo.updateRecipient(tx, copy.recipientId, {
        exchange_status: answer.code,
        exchange_note: answer.note,
        exchange_at: now,
      })
      await history(
        tx,
        input.outgoing,
        null,
        'amendment_answered',
        `${copy.unit.name}: ${answer.code} — ${answer.note}`,
        { unitId: copy.unit.id, statusCode: answer.code },
        now,
      )
    }
  }

  /** A recall or an update for the agencies outside the platform: a package each, sent like the document. */
  async function queueExternal(
    tx: Tx,
    outgoing: repo.OutgoingRow,
    unit: OrgUnit,
    type: BusinessType,
    reason: string,
    now: Date,
  ) {
    if (!unit.agencyCode || outgoing.confidentiality !== 'normal') return 0
    const recipients = (await repo.listRecipients(tx, outgoing.id)).filter(
      (r) => r.kind === 'external' && (r.status === 'packaged' || r.status === 'sent'),
    )
    for (const r of recipients) {
      await exchange.insertOutbox(tx, {
        outgoing_id: outgoing.id,
        recipient_id: r.id,
        agency_code: r.agency_code!,
        business_type: type,
        reason,
        document_key: documentIdOf(outgoing, unit),
        topic: null,
        event_id: null,
        last_error: null,
        created_at: now,
        sent_at: null,
      })
      if (type === BusinessType.recall)
        await repo.updateRecipient(tx, r.id, {
          exchange_status: StatusCode.recallRequested,
          exchange_note: 'Đã yêu cầu thu hồi, chờ nơi nhận trả lời.',
          exchange_at: now,
        })
    }
    return recipients.length
  }

  /** Checks that an issued document may be recalled or updated by the actor; returns it and its unit. */
  async function amendable(actor: Actor, id: string, what: string) {
    const outgoing = await visible(actor, id)
    const unit = await unitOf(outgoing.unit_id)
    mayAmend(actor, unit)
    if (outgoing.status !== 'issued') refuseInStatus(outgoing.status, `Chỉ ${what} văn bản đã phát hành`)
    if (outgoing.withdrawn)
      throw new ConflictError(
        `Văn bản ${withdrawnLabel[outgoing.withdrawn].toLowerCase()}; không ${what} được nữa.`,
      )
    return { outgoing, unit }
  }

  const reasonOf = (raw: unknown, what: string) => {
    const reason = multiline(raw)
    if (reason.length < 5 || reason.length > 2000)
      throw new ValidationError({
        reason: `Nhập lý do ${what} (5 đến 2000 ký tự); nơi nhận sẽ nhận được lý do này.`,
      })
    return reason
  }

  /**
   * Thu hồi: the unit's clerk or leader recalls an issued document, with a reason. Copies on the platform are
   * recalled at once (or not, once completed: 16); each agency outside gets a recall package (BussinessDocType
   * 1) and shows 13 until it answers.
   */
  async function recall(actor: Actor, ctx: AuditContext, id: string, raw: { reason?: unknown }) {
    const { outgoing, unit } = await amendable(actor, id, 'thu hồi')
    const reason = reasonOf(raw.reason, 'thu hồi')
    const copies = await copiesOf(outgoing.id)
    const now = clock()
    return inTransaction(db, async (tx) => {
      const locked = await repo.lockOutgoing(tx, outgoing.id)
      if (!locked || locked.withdrawn)
        throw new ConflictError('Văn bản vừa được người khác thu hồi hoặc thay thế. Vui lòng tải lại trang.')
      const updated = await repo.updateOutgoing(tx, locked.id, {
        withdrawn: 'recalled',
        withdrawn_at: now,
        withdrawn_reason: reason,
        updated_at: now,
      })
      await history(tx, locked, actor, 'recalled', reason, {}, now)
      await amendCopies(tx, {
        outgoing: locked,
        sender: unit,
        copies,
        kind: 'recall',
        reason,
        actor,
        ctx,
        now,
        request: locked.id,
      })
      const external = await queueExternal(tx, locked, unit, BusinessType.recall, reason, now)
      await emitEvent(tx, 'document.outgoing_recalled', {
        id: locked.id,
        unitId: unit.id,
        at: now.toISOString(),
      })
      await audit(tx, ctx, 'document.outgoing_recalled', locked, { copies: copies.length, external }, now)
      return updated
    })
  }

  /**
   * Cập nhật: the unit's clerk or leader corrects an issued document's summary, content or deadline, with a
   * reason. Copies on the platform are updated at once (the former values stay in their history); agencies
   * outside get an update package (BussinessDocType 2) with the corrected header and the signed original.
   */
  async function update(actor: Actor, ctx: AuditContext, id: string, raw: Record<string, unknown>) {
    const { outgoing, unit } = await amendable(actor, id, 'cập nhật')
    const errors: FieldErrors = {}
    const summary = raw.summary === undefined ? outgoing.summary : text(raw.summary)
    if (summary.length < 2 || summary.length > 2000) errors.summary = 'Nhập trích yếu (2 đến 2000 ký tự).'
    const content = raw.content === undefined ? outgoing.content : multiline(raw.content) || null
    if (content && content.length > 20000) errors.content = 'Nội dung tối đa 20000 ký tự.'
    const dueOn = raw.dueOn === undefined ? outgoing.due_on : text(raw.dueOn) || null
    if (dueOn && !isIsoDate(dueOn)) errors.dueOn = 'Hạn trả lời không hợp lệ (năm-tháng-ngày).'
    const reason = multiline(raw.reason)
    if (reason.length < 5 || reason.length > 2000)
      errors.reason = 'Nhập lý do cập nhật (5 đến 2000 ký tự); nơi nhận sẽ nhận được lý do này.'
    const before = { summary: outgoing.summary, content: outgoing.content, due_on: outgoing.due_on }
    const after = { summary, content, due_on: dueOn }
    const changed = Object.fromEntries(
      Object.entries(after).filter(([k, v]) => v !== before[k as keyof typeof before]),
    )
    if (Object.keys(errors).length === 0 && Object.keys(changed).length === 0)
      errors.summary = 'Không có thông tin nào thay đổi: sửa trích yếu, nội dung hoặc hạn trả lời.'
    if (Object.keys(errors).length > 0)
      throw new ValidationError(inFormOrder(errors, ['summary', 'content', 'dueOn', 'reason']))
    const copies = await copiesOf(outgoing.id)
    const now = clock()
    return inTransaction(db, async (tx) => {
      const locked = await repo.lockOutgoing(tx, outgoing.id)
      if (!locked || locked.withdrawn)
        throw new ConflictError('Văn bản vừa được người khác thu hồi hoặc thay thế. Vui lòng tải lại trang.')
      const updated = await repo.updateOutgoing(tx, locked.id, { ...changed, updated_at: now })
      await history(tx, locked, actor, 'updated', reason, { before, after: changed }, now)
      await amendCopies(tx, {
        outgoing: updated,
        sender: unit,
        copies,
        kind: 'update',
        reason,
        actor,
        ctx,
        now,
        request: `${locked.id}:${now.toISOString()}`,
        changes: changed,
      })
      const external = await queueExternal(tx, updated, unit, BusinessType.update, reason, now)
      await emitEvent(tx, 'document.outgoing_updated', {
        id: locked.id,
        unitId: unit.id,
        at: now.toISOString(),
      })
      await audit(
        tx,
        ctx,
        'document.outgoing_updated',
        locked,
        { fields: Object.keys(changed), external },
        now,
      )
      return updated
    })
  }

  /**
   * The clerk issues an approved document: the next number of the unit's outgoing register (in the
   * transaction, so numbers have no gaps), the notation of NĐ 30/2020, the date; the approved PDF stamped
   * with them and signed with the unit's key; then dispatch: units of the platform receive it in their
   * incoming register at once; agencies outside get an edXML package to download. Classified documents
   * are numbered and signed but go on paper.
   */
  async function issue(actor: Actor, ctx: AuditContext, id: string) {
    const found = await repo.findOutgoing(db, id)
    const clerk = found ? can(actor, Permission.documentsIssue, await unitOf(found.unit_id)) : false
    // The unit's clerk learns why an ordinary draft cannot be issued yet; anyone else is refused first.
    const outgoing = clerk && found && found.confidentiality === 'normal' ? found : await visible(actor, id)
    const unit = await unitOf(outgoing.unit_id)
    authorize(actor, Permission.documentsIssue, unit)
    if (outgoing.status !== 'approved') {
      refuseInStatus(outgoing.status, 'Chỉ phát hành văn bản đã được lãnh đạo duyệt ban hành')
    }
    const version = await repo.findVersion(db, outgoing.id, outgoing.version)
    if (!version?.object_key || !version.sha256)
      throw new ConflictError('Văn bản chưa có tệp PDF được duyệt.')
    const draft = await readChecked(version.object_key, version.sha256, 'Tệp dự thảo đã duyệt')
    const type = await docs.findType(db, outgoing.type_code)
    const notation = buildNotation({
      typeAbbreviation: type?.abbreviation ?? null,
      unitAbbreviation: await abbreviationOf(unit),
      division: outgoing.division,
    })
    const recipients = await repo.listRecipients(db, outgoing.id)
    const targetUnits = await organisation.findUnitsByIds(
      recipients.flatMap((r) => (r.unit_id ? [r.unit_id] : [])),
    )
    const signer = await signing.signerFor(unit.agencyCode ?? unit.key ?? unit.id, unit.name)
    const extraResponse = await responseFor(outgoing)
    const answered = outgoing.reply_to ? await docs.findDocument(db, outgoing.reply_to) : undefined
    const answeredFrom = answered ? await repo.findDeliveredFrom(db, answered.id) : undefined
    // A replacement: the document it replaces and the copies units of the platform received of it.
    const replaced = outgoing.replaces ? await repo.findOutgoing(db, outgoing.replaces) : undefined
    const replacedCopies = replaced ? await copiesOf(replaced.id) : []
    const now = clock()
    const today = localDateOf(now)
    const year = Number(today.slice(0, 4))
    const written: string[] = []
    try {
      return await inTransaction(db, async (tx) => {
        const locked = await repo.lockOutgoing(tx, outgoing.id)
        if (!locked || locked.status !== 'approved' || locked.version !== outgoing.version)
          throw new ConflictError('Văn bản vừa được người khác xử lý. Vui lòng tải lại trang.')
        const old = replaced ? await repo.lockOutgoing(tx, replaced.id) : undefined
        if (old?.withdrawn)
          throw new ConflictError(
            `Văn bản số ${codeOf(old)} được thay thế đã ${withdrawnLabel[old.withdrawn].toLowerCase()}; không phát hành văn bản thay thế cho nó được nữa.`,
          )
        const register = await repo.defaultRegister(tx, unit.id, year)
        const number = await repo.nextNumber(tx, register.id)
        const codeNumber = formatNumber(number)
        const code = `${codeNumber}/${notation}`
        const signed = await stampAndSign(
          draft,
          { code, place: 'Cao Bằng', issuedOn: today, title: `${type?.name ?? 'Văn bản'} số ${code}` },
          signer,
          { reason: `Phát hành văn bản số ${code}: ${locked.summary}`.slice(0, 300), signerName: unit.name },
        )
        const key = `documents/outgoing/${year}/${locked.id}-${number}.pdf`
        written.push(key)
        const put = await store.put(key, signed, { contentType: 'application/pdf' })
        const fileName = `${(type?.abbreviation ?? 'CV').toLowerCase().replace(/[^a-z0-9]/g, '') || 'vb'}-${codeNumber}-${today}.pdf`
        const issued = await repo.updateOutgoing(tx, locked.id, {
          status: 'issued',
          register_id: register.id,
          number,
          code_number: codeNumber,
          code_notation: notation,
          issued_on: today,
          issued_at: now,
          issued_by: actor.userId,
          issued_by_name: actor.fullName,
          signed_file_name: fileName,
          signed_object_key: key,
          signed_sha256: put.sha256,
          signed_size: put.size,
          updated_at: now,
        })
        await history(
          tx,
          locked,
          actor,
          'issued',
          `Số ${code}, ${vietnameseDate(today)}`,
          { register: register.name, number, notation, sha256: put.sha256 },
          now,
        )

        const delivered: string[] = []
        const copies = new Map<string, string>()
        for (const recipient of recipients) {
          if (locked.confidentiality !== 'normal') {
            await repo.updateRecipient(tx, recipient.id, { status: 'paper' })
            continue
          }
          if (recipient.kind === 'external') {
            // A package to download, and over the LGSP when the agency receives that way (decision 0011).
            await repo.updateRecipient(tx, recipient.id, { status: 'packaged', delivered_at: now })
            if (unit.agencyCode)
              await exchange.insertOutbox(tx, {
                outgoing_id: locked.id,
                recipient_id: recipient.id,
                agency_code: recipient.agency_code!,
                business_type: old ? BusinessType.replace : BusinessType.new,
                reason: old ? replacementReason(old) : null,
                document_key: documentIdOf(issued, unit),
                topic: null,
                event_id: null,
                last_error: null,
                created_at: now,
                sent_at: null,
              })
            continue
          }
          const target = targetUnits.find((u) => u.id === recipient.unit_id)
          if (!target) continue
          const result = await deliver(tx, {
            actor,
            ctx,
            outgoing: issued,
            from: unit,
            to: target,
            recipients: recipients,
            signed,
            fileName,
            typeEdxml: type?.edxml_type ?? 0,
            responseFor: extraResponse,
            now,
            written,
            answeredFrom: answeredFrom?.unit_id === target.id ? answeredFrom : undefined,
          })
          await repo.updateRecipient(tx, recipient.id, {
            status: result.duplicate ? 'duplicate' : 'delivered',
            document_id: result.documentId,
            delivered_at: now,
          })
          if (!result.duplicate) delivered.push(target.name)
          if (result.documentId) copies.set(target.id, result.documentId)
        }
        if (delivered.length > 0) await history(tx, locked, actor, 'delivered', delivered.join('; '), {}, now)
        if (old) {
          const reason = `Thay thế bằng văn bản số ${code} ngày ${dmy(today)}`
          await repo.updateOutgoing(tx, old.id, {
            withdrawn: 'replaced',
            withdrawn_at: now,
            withdrawn_reason: reason,
            replaced_by: locked.id,
            updated_at: now,
          })
          await history(tx, old, actor, 'replaced', reason, { replacedBy: locked.id }, now)
          await history(
            tx,
            locked,
            actor,
            'replacement_issued',
            `Thay thế văn bản số ${codeOf(old)}`,
            { replaces: old.id },
            now,
          )
          await amendCopies(tx, {
            outgoing: old,
            sender: unit,
            copies: replacedCopies,
            kind: 'replace',
            reason,
            actor,
            ctx,
            now,
            request: locked.id,
            replacements: copies,
          })
        }
        const external = recipients.filter((r) => r.kind === 'external')
        if (external.length > 0 && locked.confidentiality === 'normal')
          await history(
            tx,
            locked,
            actor,
            'packaged',
            external.map((r) => `${r.name} (${r.agency_code})`).join('; '),
            {},
            now,
          )
        if (answered) {
          await docs.appendHistory(tx, {
            document_id: answered.id,
            action: 'reply_issued',
            assignment_id: null,
            actor_id: actor.userId,
            actor_name: actor.fullName,
            note: `${type?.name ?? 'Văn bản'} số ${code} ngày ${dmy(today)}: ${locked.summary}`.slice(0, 500),
            details: JSON.stringify({ outgoingId: locked.id }),
            at: now,
          })
        }
        await emitEvent(tx, 'document.outgoing_issued', {
          id: locked.id,
          unitId: unit.id,
          registerId: register.id,
          number,
          notation,
          delivered: recipients.filter((r) => r.kind === 'internal').map((r) => r.unit_id!),
          at: now.toISOString(),
        })
        await audit(
          tx,
          ctx,
          'document.outgoing_issued',
          locked,
          { register: register.id, number, notation, sha256: put.sha256 },
          now,
        )
        return issued
      })
    } catch (error) {
      await Promise.all(written.map((key) => store.delete(key).catch(() => undefined)))
      throw error
    }
  }

  /**
   * Internal dispatch: the signed document lands in the recipient unit's incoming register as an
   * electronic document (source `internal`), with its own copy of the file, a history entry on both
   * sides, and `document.registered`. A copy the unit already registered is not registered twice.
   */
  async function deliver(
    tx: Tx,
    input: {
      actor: Actor
      ctx: AuditContext
      outgoing: repo.OutgoingRow
      from: OrgUnit
      to: OrgUnit
      recipients: repo.RecipientRow[]
      signed: Buffer
      fileName: string
      typeEdxml: number
      responseFor: EdxmlResponseFor[]
      now: Date
      written: string[]
      answeredFrom: repo.OutgoingRow | undefined
    },
  ): Promise<{ documentId: string | null; duplicate: boolean }> {
    const { outgoing: o, from, to, now } = input
    const values = {
      issuerCode: from.agencyCode,
      issuerName: from.name,
      codeNumber: o.code_number!,
      codeNotation: o.code_notation!,
      issuedOn: o.issued_on!,
    }
    const key = dedupeKey(values)
    await docs.lockDedupeKey(tx, to.id, key)
    const earlier = await docs.findDuplicate(tx, to.id, key)
    if (earlier) return { documentId: earlier.id, duplicate: true }
    const year = Number(localDateOf(now).slice(0, 4))
    const register = await docs.defaultRegister(tx, to.id, year, `Sổ văn bản đến năm ${year}`)
    const number = await docs.nextNumber(tx, register.id)
    const extra: EdxmlExtra = {
      documentId: edxmlDocumentId(from.agencyCode ?? '', o.issued_on!, o.code_number!, o.code_notation!),
      from: organOf(from),
      to: input.recipients.map((r) => emptyOrgan(r.agency_code ?? '', r.name)),
      typeCode: input.typeEdxml,
      toPlaces: input.recipients.map((r) => r.name),
      sphereOfPromulgation: '',
      typerNotation: '',
      promulgationAmount: null,
      pageAmount: null,
      appendixes: [],
      responseFor: input.responseFor,
      steeringType: 0,
    }
    const document = await docs.insertDocument(tx, {
      direction: 'incoming',
      unit_id: to.id,
      register_id: register.id,
      number,
      received_at: now,
      source: 'internal',
      code_number: o.code_number!,
      code_notation: o.code_notation!,
      issued_on: o.issued_on!,
      issue_place: 'Cao Bằng',
      issuer_name: from.name,
      issuer_code: from.agencyCode,
      type_code: o.type_code,
      summary: o.summary,
      content: o.content,
      signer_name: o.signer_name,
      signer_position: o.signer_position,
      signer_competence: o.signer_competence,
      urgency: o.urgency,
      confidentiality: 'normal',
      due_on: o.due_on,
      status: 'registered',
      completed_at: null,
      dedupe_key: key,
      duplicate_of: null,
      edxml: JSON.stringify(extra),
      created_by: input.actor.userId,
    })
    const objectKey = `documents/${now.getUTCFullYear()}/${String(now.getUTCMonth() + 1).padStart(2, '0')}/${randomUUID()}`
    input.written.push(objectKey)
    const put = await store.put(objectKey, input.signed, { contentType: 'application/pdf' })
    await docs.insertFile(tx, {
      document_id: document.id,
      position: 1,
      kind: 'electronic',
      file_name: input.fileName,
      description: 'Bản gốc điện tử đã ký số',
      content_id: randomUUID(),
      mime: 'application/pdf',
      size: put.size,
      sha256: put.sha256,
      object_key: objectKey,
      scanned: false,
      uploaded_by: input.actor.userId,
      uploaded_at: now,
    })
    const code = `${o.code_number}/${o.code_notation}`
    await docs.appendHistory(tx, {
      document_id: document.id,
      action: 'received_internal',
      assignment_id: null,
      actor_id: input.actor.userId,
      actor_name: input.actor.fullName,
      note: `${from.name} gửi văn bản số ${code}`,
      details: JSON.stringify({ register: register.name, number, outgoingId: o.id }),
      at: now,
    })
    if (input.answeredFrom) {
      const earlierCode = `${input.answeredFrom.code_number}/${input.answeredFrom.code_notation}`
      await docs.appendHistory(tx, {
        document_id: document.id,
        action: 'reply_received',
        assignment_id: null,
        actor_id: null,
        actor_name: null,
        note: `Trả lời văn bản số ${earlierCode} của đơn vị`,
        details: JSON.stringify({ outgoingId: input.answeredFrom.id }),
        at: now,
      })
      await history(
        tx,
        input.answeredFrom,
        null,
        'reply_received',
        `${from.name} trả lời bằng văn bản số ${code}`,
        { documentId: document.id },
        now,
      )
    }
    await emitEvent(tx, 'document.registered', {
      id: document.id,
      unitId: to.id,
      registerId: register.id,
      number,
      source: 'internal',
      urgency: document.urgency,
      confidentiality: document.confidentiality,
      dueOn: document.due_on,
      at: now.toISOString(),
    })
    await appendAudit(
      tx,
      input.ctx,
      {
        action: 'document.received_internal',
        objectType: 'document',
        objectId: document.id,
        unitId: to.id,
        details: { register: register.id, number, from: o.id },
      },
      now,
    )
    return { documentId: document.id, duplicate: false }
  }

  /**
   * The edXML package of an issued document for its agencies outside the platform (To: each of them): the
   * document with its signed original and the document it answers in ResponseFor (a replacement also names
   * what it replaces), its recall (no file), or an update (the corrected header and the original). A signed
   * original that no longer matches its SHA-256 is never sent (409). The package carries an XML signature
   * by the unit's key (`edxml-signature.ts`).
   */
  async function buildPackage(
    outgoing: repo.OutgoingRow,
    business: { type: BusinessType; reason: string | null },
  ) {
    if (outgoing.status !== 'issued')
      refuseInStatus(outgoing.status, 'Chỉ lập gói tin cho văn bản đã phát hành')
    if (outgoing.confidentiality !== 'normal') {
      throw new ConflictError(
        'Văn bản mật không được gửi qua mạng liên thông văn bản (Luật Bảo vệ bí mật nhà nước).',
      )
    }
    const unit = await unitOf(outgoing.unit_id)
    if (!unit.agencyCode)
      throw new ConflictError(
        `${unit.name} chưa có mã định danh (QCVN 102:2016) nên chưa lập được gói tin edXML.`,
      )
    const recipients = await repo.listRecipients(db, outgoing.id)
    const external = recipients.filter((r) => r.kind === 'external')
    if (external.length === 0)
      throw new ConflictError(
        'Văn bản không có nơi nhận ngoài nền tảng; các đơn vị trên nền tảng đã nhận trực tiếp.',
      )
    const signed =
      business.type === BusinessType.recall
        ? null
        : await readChecked(outgoing.signed_object_key!, outgoing.signed_sha256!, 'Bản gốc đã ký số')
    const type = await docs.findType(db, outgoing.type_code)
    const documentId = documentIdOf(outgoing, unit)
    const old =
      business.type === BusinessType.replace && outgoing.replaces
        ? await repo.findOutgoing(db, outgoing.replaces)
        : undefined
    const replacements = old
      ? [
          {
            documentId: documentIdOf(old, unit),
            organIds: (await repo.listRecipients(db, old.id)).flatMap((r) =>
              r.kind === 'external' && r.agency_code ? [r.agency_code] : [],
            ),
          },
        ]
      : []
    const unsigned = buildEnvelope(
      {
        document: {
          from: organOf(unit),
          to: external.map((r) => emptyOrgan(r.agency_code!, r.name)),
          codeNumber: outgoing.code_number!,
          codeNotation: outgoing.code_notation!,
          place: 'Cao Bằng',
          promulgationDate: outgoing.issued_on!,
          type: { code: type?.edxml_type ?? 0, name: type?.name ?? '' },
          subject: outgoing.summary,
          content: outgoing.content ?? '',
          signer: {
            competence: outgoing.signer_competence ?? '',
            position: outgoing.signer_position ?? '',
            fullName: outgoing.signer_name ?? '',
          },
          dueDate: outgoing.due_on,
          toPlaces: recipients.map((r) => r.name),
          priority: urgencyPriority[outgoing.urgency],
          sphereOfPromulgation: '',
          typerNotation: '',
          promulgationAmount: null,
          pageAmount: null,
          appendixes: [],
          responseFor: await responseFor(outgoing),
          steeringType: 0,
          documentId,
        },
        attachments: signed
          ? [
              {
                contentId: outgoing.id,
                name: outgoing.signed_file_name ?? 'van-ban.pdf',
                contentType: 'application/pdf',
                description: 'Bản gốc điện tử đã ký số',
                bytes: signed,
              },
            ]
          : [],
        business: {
          type: business.type,
          reason: business.reason ?? newBusiness().reason,
          documentId: business.type === BusinessType.new ? '' : documentId,
          replacements,
        },
      },
      clock(),
    )
    return { xml: await packageSigner.sign(unsigned, unit), external, documentId }
  }

  /** What the package to download carries: the document (or its replacement), its recall, or its update. */
  async function businessOf(outgoing: repo.OutgoingRow, kind: string) {
    if (kind === 'recall') {
      if (outgoing.withdrawn !== 'recalled')
        throw new ConflictError('Văn bản chưa bị thu hồi nên không có gói tin thu hồi.')
      return { type: BusinessType.recall, reason: outgoing.withdrawn_reason }
    }
    if (kind === 'update') {
      const last = (await exchange.listOutbox(db, outgoing.id))
        .filter((r) => r.business_type === BusinessType.update)
        .at(-1)
      if (!last) throw new ConflictError('Văn bản chưa được cập nhật sau khi phát hành.')
      return { type: BusinessType.update, reason: last.reason }
    }
    if (kind) throw new ValidationError({ kind: 'Loại gói tin (kind) là recall hoặc update.' })
    const old = outgoing.replaces ? await repo.findOutgoing(db, outgoing.replaces) : undefined
    return old
      ? { type: BusinessType.replace, reason: replacementReason(old) }
      : { type: BusinessType.new, reason: null }
  }

  /** The package the clerk downloads for an agency that does not receive over the LGSP. */
  async function edxmlPackage(actor: Actor, ctx: AuditContext, id: string, kind = '') {
    const outgoing = await visible(actor, id)
    const business = await businessOf(outgoing, kind)
    const { xml, external } = await buildPackage(outgoing, business)
    const now = clock()
    await inTransaction(db, async (tx) => {
      await history(
        tx,
        outgoing,
        actor,
        'package_downloaded',
        business.type === BusinessType.new ? null : businessLabel[business.type],
        { to: external.map((r) => r.agency_code), business: business.type },
        now,
      )
      await audit(
        tx,
        ctx,
        'document.outgoing_exported',
        outgoing,
        { format: 'edXML', business: business.type },
        now,
      )
    })
    const suffix = kind ? `-${kind === 'recall' ? 'thu-hoi' : 'cap-nhat'}` : ''
    return { xml, fileName: `edxml-${outgoing.code_number}-${outgoing.issued_on}${suffix}.xml` }
  }

  /** The package a row of the exchange outbox carries, for the job that sends it over the LGSP. */
  async function packageXml(outgoingId: string, type: BusinessType, reason: string | null) {
    const outgoing = await repo.findOutgoing(db, outgoingId)
    if (!outgoing) throw new NotFoundError('Không tìm thấy văn bản đi.')
    return (await buildPackage(outgoing, { type, reason })).xml
  }

  /**
   * The clerk sends again over the LGSP what could not go (the agency had no subscription then, or the
   * package could not be built): the packages go back to the queue. Returns how many.
   */
  async function resend(actor: Actor, ctx: AuditContext, id: string) {
    const outgoing = await visible(actor, id)
    const unit = await unitOf(outgoing.unit_id)
    authorize(actor, Permission.documentsIssue, unit)
    const rows = await exchange.unsentOf(db, outgoing.id)
    if (rows.length === 0)
      throw new ConflictError('Không có gói tin nào chờ gửi lại qua LGSP: các gói tin đã được gửi.')
    const now = clock()
    await inTransaction(db, async (tx) => {
      for (const row of rows) {
        await exchange.updateOutbox(tx, row.id, { state: 'queued', last_error: null })
        await queuePackageSend(tx, row.id)
      }
      await audit(tx, ctx, 'document.outgoing_resent', outgoing, { packages: rows.length }, now)
    })
    return rows.length
  }

  /**
   * The clerk sends one agency's packages again over the LGSP (from its row in the dispatch list), once one
   * of its systems subscribed: what went as a download only, or could not be built. Refused with 409 when
   * they were delivered already, are waiting to go, or the agency still does not receive over the LGSP (the
   * package stays to download). Returns how many packages were queued, and for whom.
   */
  async function resendTo(actor: Actor, ctx: AuditContext, id: string, recipientId: string) {
    const outgoing = await visible(actor, id)
    const unit = await unitOf(outgoing.unit_id)
    authorize(actor, Permission.documentsIssue, unit)
    const recipient = (await repo.listRecipients(db, outgoing.id)).find(
      (r) => r.id === recipientId && r.kind === 'external',
    )
    if (!recipient?.agency_code) {
      throw new NotFoundError('Không tìm thấy cơ quan nhận này trong danh sách gửi văn bản qua edXML.')
    }
    const agencyCode = recipient.agency_code
    const who = `${recipient.name} (${agencyCode})`
    const unsentOf = async (q: Tx | typeof db) => {
      const packages = await exchange.outboxOfRecipient(q, outgoing.id, recipient.id)
      const unsent = packages.filter((p) => p.state === 'unreachable' || p.state === 'failed')
      if (unsent.length > 0) return unsent
      if (packages.some((p) => p.state === 'queued')) {
        throw new ConflictError(`Gói tin gửi ${who} đang chờ gửi qua trục LGSP; không cần gửi lại.`)
      }
      throw new ConflictError(
        packages.length > 0
          ? `Gói tin đã được gửi đến ${who} qua trục LGSP; không gửi lại gói tin đã gửi.`
          : `Chưa có gói tin nào gửi ${who}: văn bản chưa phát hành hoặc là văn bản mật.`,
      )
    }
    await unsentOf(db)
    const reachable = deps.lgspReachable ? await deps.lgspReachable(agencyCode) : false
    if (!reachable) {
      throw new ConflictError(
        `${who} vẫn chưa đăng ký nhận văn bản qua trục LGSP; chưa gửi lại được. Tải gói tin edXML để gửi.`,
      )
    }
    const now = clock()
    return inTransaction(db, async (tx) => {
      // Two clerks at once: the second finds the packages queued already.
      await repo.lockOutgoing(tx, outgoing.id)
      const rows = await unsentOf(tx)
      for (const row of rows) {
        await exchange.updateOutbox(tx, row.id, { state: 'queued', last_error: null })
        await queuePackageSend(tx, row.id)
      }
      await history(
        tx,
        outgoing,
        actor,
        'resent_lgsp',
        who,
        { agency: agencyCode, packages: rows.length },
        now,
      )
      await audit(
        tx,
        ctx,
        'document.outgoing_resent',
        outgoing,
        { agency: agencyCode, recipient: recipient.id, packages: rows.length },
        now,
      )
      return { queued: rows.length, agency: who }
    })
  }

  // -------------------------------------------------------------------------------------------------------
  // Reading

  async function get(actor: Actor, ctx: AuditContext, id: string) {
    const outgoing = await visible(actor, id)
    if (outgoing.confidentiality !== 'normal') {
      await audit(
        db,
        ctx,
        'document.outgoing_viewed',
        outgoing,
        { confidentiality: outgoing.confidentiality },
        clock(),
      )
    }
    const unit = await unitOf(outgoing.unit_id)
    const [type, versions, comments, recipients, steps, events, register] = await Promise.all([
      docs.findType(db, outgoing.type_code),
      repo.listVersions(db, outgoing.id),
      repo.listComments(db, outgoing.id),
      repo.listRecipients(db, outgoing.id),
      repo.listSteps(db, outgoing.id),
      repo.listHistory(db, outgoing.id),
      outgoing.register_id ? repo.findRegister(db, outgoing.register_id) : Promise.resolve(undefined),
    ])
    const answered = outgoing.reply_to ? await docs.findDocument(db, outgoing.reply_to) : undefined
    const current = steps.find((s) => s.round === outgoing.round && s.status === 'pending')
    const isDrafter = outgoing.drafter_id === actor.userId
    const myTurn = outgoing.status === 'in_review' && current?.user_id === actor.userId
    // The documents this one replaces or is replaced by, and the packages for agencies outside.
    const linked = async (other: string | null) => {
      const row = other ? await repo.findOutgoing(db, other) : undefined
      return row ? { id: row.id, code: row.code_number ? codeOf(row) : null, status: row.status } : null
    }
    const [replaces, replacedBy, outbox] = await Promise.all([
      linked(outgoing.replaces),
      linked(outgoing.replaced_by),
      exchange.listOutbox(db, outgoing.id),
    ])
    // The agencies whose packages did not go over the LGSP: the clerk may send them again, row by row.
    const resendable = can(actor, Permission.documentsIssue, unit)
      ? [
          ...new Set(
            outbox
              .filter((r) => r.state === 'unreachable' || r.state === 'failed')
              .map((r) => r.recipient_id),
          ),
        ]
      : []
    const amendable =
      outgoing.status === 'issued' &&
      !outgoing.withdrawn &&
      (can(actor, Permission.documentsIssue, unit) || can(actor, Permission.documentsApprove, unit))
    return {
      outgoing,
      unit,
      typeName: type?.name ?? outgoing.type_code,
      registerName: register?.name ?? null,
      versions,
      comments,
      recipients,
      steps,
      current: current ?? null,
      history: events,
      // Only the number and summary of the answered document, and only when it is not restricted.
      replyTo: answered
        ? {
            id: answered.id,
            code: answered.restricted ? null : `${answered.code_number}/${answered.code_notation}`,
            summary: answered.restricted ? null : answered.summary,
          }
        : null,
      replaces,
      replacedBy,
      outbox,
      /** Recipients with packages to send again over the LGSP (empty unless the actor is the unit's clerk). */
      resendable,
      can: {
        edit: isDrafter && allows(outgoing.status, 'edit'),
        submit: isDrafter && allows(outgoing.status, 'submit'),
        act: myTurn,
        approveForIssue: myTurn && current?.kind === 'approve',
        issue: outgoing.status === 'approved' && can(actor, Permission.documentsIssue, unit),
        comment: allows(outgoing.status, 'comment'),
        package:
          outgoing.status === 'issued' &&
          outgoing.confidentiality === 'normal' &&
          recipients.some((r) => r.kind === 'external'),
        recall: amendable,
        update: amendable,
        // Anyone who drafts for the unit may start the replacement (a unit's only leader cannot approve a draft
        // of their own); it goes through the approval chain like any draft.
        replace:
          outgoing.status === 'issued' &&
          !outgoing.withdrawn &&
          can(actor, Permission.documentsProcess, unit),
        resend: resendable.length > 0,
        recallPackage:
          outgoing.withdrawn === 'recalled' &&
          outgoing.confidentiality === 'normal' &&
          recipients.some((r) => r.kind === 'external'),
        updatePackage: outbox.some((r) => r.business_type === BusinessType.update),
      },
    }
  }

  /** The people the drafter can submit to, or the one at the current step can hand on to. */
  async function candidates(actor: Actor, id: string) {
    return chainCandidates(await visible(actor, id))
  }

  async function openVersion(actor: Actor, ctx: AuditContext, id: string, versionNo: number) {
    const outgoing = await visible(actor, id)
    const version = Number.isInteger(versionNo)
      ? await repo.findVersion(db, outgoing.id, versionNo)
      : undefined
    if (!version?.object_key) throw new NotFoundError('Phiên bản này không có tệp.')
    if (outgoing.confidentiality !== 'normal')
      await audit(db, ctx, 'document.outgoing_file_downloaded', outgoing, { version: versionNo }, clock())
    return {
      file: { fileName: version.file_name ?? 'du-thao.pdf', mime: version.mime ?? 'application/pdf' },
      stream: await store.get(version.object_key),
    }
  }

  async function openSigned(actor: Actor, ctx: AuditContext, id: string) {
    const outgoing = await visible(actor, id)
    if (!outgoing.signed_object_key) throw new NotFoundError('Văn bản chưa được phát hành.')
    if (outgoing.confidentiality !== 'normal')
      await audit(db, ctx, 'document.outgoing_file_downloaded', outgoing, { signed: true }, clock())
    return {
      file: { fileName: outgoing.signed_file_name ?? 'van-ban.pdf', mime: 'application/pdf' },
      stream: await store.get(outgoing.signed_object_key),
    }
  }

  /** Drafts and documents the actor may see: `box` mine | pending (waiting for my step) | all. */
  async function listFor(actor: Actor, raw: Record<string, unknown>, limit = 50) {
    authorize(actor, Permission.backofficeAccess)
    const errors: FieldErrors = {}
    const status = text(raw.status) as OutgoingStatus
    if (status && !OUTGOING_STATUSES.includes(status)) errors.status = 'Trạng thái không hợp lệ.'
    const box = text(raw.box) || 'all'
    if (!['all', 'mine', 'pending'].includes(box))
      errors.box = 'Chọn danh sách: của tôi, chờ tôi xử lý hoặc tất cả.'
    const before = text(raw.before)
    const cursor = /^(\d{4}-\d{2}-\d{2}T[\d:.]+Z)_([0-9a-f-]{36})$/.exec(before)
    if (before && !cursor) errors.before = 'Con trỏ trang không hợp lệ.'
    if (Object.keys(errors).length > 0) throw new ValidationError(errors)
    const { scope } = await scopeOf(actor)
    const rows = await repo.listOutgoing(db, scope, {
      tsquery: prefixTsQuery(text(raw.q).slice(0, 200)),
      status: status || undefined,
      pendingFor: box === 'pending' ? actor.userId : undefined,
      drafter: box === 'mine' ? actor.userId : undefined,
      before: cursor ? { updatedAt: new Date(cursor[1]!), id: cursor[2]! } : undefined,
      limit: limit + 1,
    })
    const items = rows.slice(0, limit)
    const last = items.at(-1)
    return { items, next: rows.length > limit && last ? `${last.updated_at.toISOString()}_${last.id}` : null }
  }

  /** Sổ văn bản đi of a unit and year, for its clerks and leaders (what each may see). */
  async function outgoingRegister(actor: Actor, raw: Record<string, unknown>, limit = 100) {
    const { scope, units } = await scopeOf(actor)
    const unitIds = [...new Set([...scope.clerkUnits, ...scope.leaderUnits])]
    if (unitIds.length === 0) throw new ForbiddenError(Permission.documentsIssue)
    const unitId = text(raw.unitId) || unitIds[0]!
    if (!unitIds.includes(unitId)) throw new ForbiddenError(Permission.documentsIssue, unitId)
    const yearText = text(raw.year) || localDateOf(clock()).slice(0, 4)
    if (!/^\d{4}$/.test(yearText)) throw new ValidationError({ year: 'Năm không hợp lệ.' })
    const year = Number(yearText)
    const beforeText = text(raw.before)
    if (beforeText && !/^\d{1,9}$/.test(beforeText))
      throw new ValidationError({ before: 'Con trỏ trang không hợp lệ.' })
    const unit = units.find((u) => u.id === unitId)!
    const registers = (await repo.listRegisters(db, [unitId])).filter((r) => r.year === year)
    const register = registers.find((r) => r.is_default)
    const rows = register
      ? await repo.listIssued(db, scope, register.id, limit + 1, beforeText ? Number(beforeText) : undefined)
      : []
    const items = rows.slice(0, limit)
    return {
      unit,
      units: units.filter((u) => unitIds.includes(u.id)),
      year,
      register: register ?? null,
      items,
      next: rows.length > limit ? String(items.at(-1)!.number) : null,
      abbreviation: await abbreviationOf(unit),
      canSetAbbreviation: can(actor, Permission.documentsIssue, unit),
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Refusal of a received document (status 02)

  /**
   * The clerk refuses a document that came from another agency (edXML) or another unit of the platform,
   * before it is assigned: the document leaves the work queue as "refused", and a status message 02 with
   * the reason is written for the sender (edXML), or the sending unit's outgoing document notes it.
   */
  async function refuse(actor: Actor, ctx: AuditContext, documentId: string, raw: { reason?: unknown }) {
    const document = await docs.findDocument(db, documentId)
    if (!document) throw new NotFoundError('Không tìm thấy văn bản.')
    const unit = await unitOf(document.unit_id)
    if (!can(actor, Permission.documentsRegister, unit)) {
      if (document.restricted) throw new NotFoundError('Không tìm thấy văn bản.')
      throw new ForbiddenError(Permission.documentsRegister, unit.id)
    }
    if (document.source !== 'edxml' && document.source !== 'internal')
      throw new ConflictError(
        'Chỉ từ chối được văn bản nhận qua liên thông (edXML hoặc từ đơn vị trên nền tảng).',
      )
    if (document.status !== 'registered')
      throw new ConflictError('Văn bản đã được phân công xử lý hoặc đã từ chối; không từ chối được nữa.', {
        status: document.status,
      })
    const reason = multiline(raw.reason)
    if (reason.length < 5 || reason.length > 2000)
      throw new ValidationError({ reason: 'Nhập lý do từ chối (5 đến 2000 ký tự), nơi gửi sẽ nhận được.' })
    const sender = document.source === 'internal' ? await repo.findDeliveredFrom(db, document.id) : undefined
    const now = clock()
    return inTransaction(db, async (tx) => {
      const locked = await docs.lockDocument(tx, document.id)
      if (!locked || locked.status !== 'registered')
        throw new ConflictError('Văn bản vừa được người khác xử lý. Vui lòng tải lại trang.')
      const updated = await docs.updateDocument(tx, document.id, { status: 'refused', updated_at: now })
      await docs.appendHistory(tx, {
        document_id: document.id,
        action: 'refused',
        assignment_id: null,
        actor_id: actor.userId,
        actor_name: actor.fullName,
        note: reason,
        details: JSON.stringify({ statusCode: StatusCode.refused }),
        at: now,
      })
      const extra = locked.edxml
      if (locked.source === 'edxml' && extra) {
        const description = `Từ chối tiếp nhận: ${reason}`
        await docs.insertStatusMessage(tx, {
          document_id: document.id,
          to_organ_id: extra.from.organId,
          status_code: StatusCode.refused,
          description,
          reason,
          xml: buildStatusMessage({
            responseFor: {
              organId: extra.from.organId,
              code: `${locked.code_number}/${locked.code_notation}`,
              promulgationDate: locked.issued_on,
              documentId: extra.documentId,
            },
            from: organOf(unit),
            code: StatusCode.refused,
            description,
            at: now,
            staff: { department: unit.name, name: actor.fullName, email: '' },
          }),
          created_at: now,
          sent_at: null,
          last_error: null,
        })
      }
      if (sender) {
        await history(
          tx,
          sender,
          actor,
          'refused_by_recipient',
          `${unit.name}: ${reason}`,
          { documentId: document.id },
          now,
        )
      }
      await emitEvent(tx, 'document.refused', { id: document.id, unitId: unit.id, at: now.toISOString() })
      await appendAudit(
        tx,
        ctx,
        {
          action: 'document.refused',
          objectType: 'document',
          objectId: document.id,
          unitId: unit.id,
          details: { source: locked.source },
        },
        now,
      )
      return updated
    })
  }

  /** Outgoing documents that answer an incoming one, for its page (the other side of the link). */
  async function repliesTo(actor: Actor, documentId: string) {
    const { scope } = await scopeOf(actor)
    return repo.listRepliesTo(db, scope, documentId)
  }

  return {
    draftChoices,
    storeDraftFile,
    discard,
    create,
    edit,
    uploadVersion,
    comment,
    candidates,
    submit,
    act,
    issue,
    recall,
    update,
    edxmlPackage,
    packageXml,
    resend,
    resendTo,
    setAbbreviation,
    get,
    openVersion,
    openSigned,
    list: listFor,
    outgoingRegister,
    refuse,
    repliesTo,
  }
}

export type OutgoingService = ReturnType<typeof createOutgoingService>
