import type { Readable } from 'node:stream'
import { appendAudit, type AuditContext } from '../../platform/audit/audit.js'
import { authorize, can, ForbiddenError, type Actor } from '../../platform/auth/actor.js'
import { Permission } from '../../platform/auth/roles.js'
import {
  localDateOf,
  parseClock,
  shippedCalendar,
  type WorkingCalendar,
} from '../../platform/calendar/index.js'
import { inTransaction } from '../../platform/db/database.js'
import type { SigningKeys } from '../../platform/signing/index.js'
import { emitEvent } from '../../platform/events/outbox.js'
import {
  ConflictError,
  NotFoundError,
  ValidationError,
  type FieldErrors,
} from '../../platform/http/errors.js'
import type { ModuleDeps } from '../../platform/module.js'
import type { CatalogueService } from '../catalogue/index.js'
import type { OrganisationService, OrgUnit } from '../organisation/index.js'
import {
  attachExtraFiles,
  attachFiles,
  checkDocuments,
  countFiles,
  deleteUnattachedFile,
  describeFile,
  extensionOf,
  findFile,
  listStoredFiles,
  reuseFile,
  listDossierFiles,
  listDraftFiles,
  MAX_FILES_PER_DOCUMENT,
  missingRequired,
  storeDossierFile,
  type FilePurpose,
  type FileStoreDeps,
} from './dossier-files.js'
import { feeDue, validateForm } from './dossier-form.js'
import { findRating, insertRating, parseRating } from './dossier-ratings.js'
import {
  createResults,
  describeResult,
  findResult,
  listResults,
  listResultsOfApplicant,
} from './dossier-results.js'
import {
  Action,
  allowedActions,
  DossierStatus,
  FINAL,
  nationalStatus,
  needsNote,
  statusLabel,
  transition,
  workflowOf,
  type Step,
} from './dossier-workflow.js'
import * as repo from './dossiers.repository.js'
import { rulesById, rulesOn } from './one-stop-rules.js'

declare module '../../platform/events/outbox.js' {
  interface DomainEvents {
    'dossier.fee_paid': {
      code: string
      unitId: string
      amount: number
      online: boolean
      /** The payment's transaction number, or the cash receipt number. */
      reference: string
      at: string
    }
    /** A result was handed over: electronic (signed file the applicant downloads) or paper (scanned copy kept). */
    'dossier.result_issued': {
      code: string
      procedureCode: string
      unitId: string
      electronic: boolean
      signed: boolean
      at: string
    }
    /** The applicant's rating under TT 01/2018 Điều 13: criterion number → 0, 1 or 2. */
    'dossier.rated': {
      code: string
      procedureCode: string
      unitId: string
      scores: Record<string, 0 | 1 | 2>
      total: number
      max: number
      at: string
    }
    /**
     * Every status change, with the dossier as it stands after it: consumers (indicators, notifications,
     * national synchronisation) need no read-back.
     */
    'dossier.status_changed': {
      code: string
      procedureCode: string
      unitId: string
      status: string
      nationalStatus: number
      action: string
      at: string
      channel: 'online' | 'counter' | 'post'
      receivedAt: string
      dueAt: string
      /** Set when the status is final (returned, rejected, withdrawn). */
      finishedAt: string | null
      feeAmount: number
      /** Files attached so far: the applicant's documents and the counter's scans (digitisation). */
      files: number
      applicantUserId: string | null
      applicantName: string
      applicantIdNumber: string | null
      applicantEmail: string | null
      applicantPhone: string | null
      procedureName: string
      note: string | null
    }
  }
}

export type DossiersDeps = ModuleDeps & {
  files: FileStoreDeps
  /** Signs the forms of TT 01/2018 and the results with the certificate of the issuing unit. */
  signing: SigningKeys
  organisation: OrganisationService
  catalogue: CatalogueService
  calendar?: WorkingCalendar
  applicantProfile: (
    userId: string,
  ) => Promise<{ citizenId: string | null; phone: string | null; email: string | null }>
}

export type SubmitInput = {
  procedureCode?: unknown
  unitId?: unknown
  channel?: unknown
  applicant?: { name?: unknown; idNumber?: unknown; phone?: unknown; email?: unknown; address?: unknown }
  form?: Record<string, unknown>
  /** Files already uploaded by the submitter, each for one required document (its position in the list). */
  documents?: unknown
}

/** Reads `[{ document, fileId }]` from a client; anything else is a field error, never a 500. */
function documentChoices(raw: unknown, errors: FieldErrors): { index: number; fileId: string }[] {
  if (raw === undefined || raw === null) return []
  if (!Array.isArray(raw) || raw.length > 200) {
    errors.documents = 'documents phải là danh sách { document, fileId } (tối đa 200 tệp).'
    return []
  }
  const choices: { index: number; fileId: string }[] = []
  raw.forEach((item: unknown, n) => {
    const { document, fileId } = (item ?? {}) as { document?: unknown; fileId?: unknown }
    if (!Number.isInteger(document) || (document as number) < 0 || typeof fileId !== 'string') {
      errors[`documents.${n}`] = 'Mỗi tệp cần "document" (số thứ tự thành phần hồ sơ, từ 0) và "fileId".'
    } else choices.push({ index: document as number, fileId })
  })
  return choices
}

const CODE = /^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}-\d{6}-\d{4}$/
const PHONE = /^0\d{9}$/
const ID_NUMBER = /^\d{12}$/

/** Why an unpaid fee stops this action now, or null: online intake waits for a fee due before intake, and
 * the result for any fee. */
export function unpaidFeeBlocks(dossier: repo.DossierRow, action: Action): string | null {
  if (dossier.fee_amount === 0 || dossier.fee_paid_at) return null
  const amount = `${dossier.fee_amount.toLocaleString('vi-VN')} đồng`
  if (dossier.fee_timing === 'before_intake' && action === Action.receive) {
    return `Hồ sơ chưa nộp phí, lệ phí (${amount}); chỉ tiếp nhận sau khi đã nộp.`
  }
  // Whatever the timing, a result is never handed over while its fee is unpaid.
  if (action === Action.returnResult) {
    return `Hồ sơ chưa nộp phí, lệ phí (${amount}); chỉ trả kết quả sau khi đã nộp.`
  }
  return null
}

/** The dossier fields every status event carries. */
function snapshot(row: repo.DossierRow, files: number) {
  return {
    channel: row.channel,
    receivedAt: row.received_at.toISOString(),
    dueAt: row.due_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
    feeAmount: row.fee_amount,
    files,
    applicantUserId: row.applicant_user_id,
    applicantName: row.applicant_name,
    applicantIdNumber: row.applicant_id_no,
    applicantEmail: row.applicant_email,
    applicantPhone: row.applicant_phone,
    procedureName: row.procedure_name,
  }
}

/** Office minutes in one working day under a calendar's rules (7.5 h → 450 by default). */
function workingDayMinutes(calendar: WorkingCalendar): number {
  return calendar.rules.officeHours.reduce(
    (sum, s) => sum + (parseClock(s.end) - parseClock(s.start)) / 60_000,
    0,
  )
}

const text = (value: unknown) =>
  typeof value === 'string' ? value.normalize('NFC').trim().replace(/\s+/g, ' ') : ''
const digits = (value: unknown) => text(value).replace(/[\s.-]/g, '')

export function createDossiersService(deps: DossiersDeps) {
  const { db, clock, organisation, catalogue } = deps
  const results = createResults(deps)
  const baseCalendar = deps.calendar ?? shippedCalendar()
  const calendarFor = (ruleId: string) => baseCalendar.withRules({ cutoff: rulesById(ruleId).cutoff })

  async function unitOf(id: string): Promise<OrgUnit> {
    const [unit] = await organisation.findUnitsByIds([id])
    if (!unit) throw new NotFoundError('Không tìm thấy đơn vị.')
    return unit
  }

  /** The instant a step should be done by: its share of the dossier's working time, from when it started. */
  function stepDueAt(dossier: repo.DossierRow, steps: readonly Step[]): Date {
    const calendar = calendarFor(dossier.rule_version)
    const dayMinutes = workingDayMinutes(calendar)
    const share = steps[dossier.step]?.share ?? 0
    return calendar.addWorkingMinutes(
      dossier.step_started_at,
      Math.max(1, dossier.processing_days) * dayMinutes * share,
    )
  }

  /**
   * Online by the applicant, or at the counter by a receiving officer on the applicant's behalf. A retry
   * with the same Idempotency-Key returns the first dossier (created: false).
   */
  async function submit(actor: Actor, ctx: AuditContext, input: SubmitInput, idempotencyKey?: string) {
    if (idempotencyKey !== undefined && !/^[\x21-\x7e]{8,200}$/.test(idempotencyKey)) {
      throw new ValidationError({ idempotencyKey: 'Idempotency-Key phải gồm 8–200 ký tự ASCII in được.' })
    }
    if (idempotencyKey) {
      const existing = await repo.findByIdempotencyKey(db, actor.userId, idempotencyKey)
      if (existing) return { dossier: existing, created: false }
    }
    const errors: FieldErrors = {}
    const procedureCode = text(input.procedureCode)
    const procedure = await catalogue.getInForce(procedureCode).catch(() => {
      errors.procedureCode = 'Không có thủ tục hành chính đang hiệu lực với mã này.'
      return null
    })
    const unitId = text(input.unitId)
    const [unit] = unitId ? await organisation.findUnitsByIds([unitId]) : []
    if (!unit) errors.unitId = 'Chọn đơn vị tiếp nhận hồ sơ.'
    else if (
      procedure &&
      !procedure.unitTypes.includes(unit.type) &&
      !procedure.unitKeys.includes(unit.key ?? '')
    ) {
      errors.unitId = 'Đơn vị này không thực hiện thủ tục đã chọn.'
    } else if (!unit.agencyCode)
      errors.unitId = 'Đơn vị này chưa có mã định danh nên chưa tiếp nhận hồ sơ được.'

    const counter = input.channel === 'counter'
    if (counter && unit) authorize(actor, Permission.dossiersReceive, unit)
    if (!counter && actor.kind === 'official') {
      errors.channel = 'Cán bộ tiếp nhận hồ sơ tại quầy với kênh "counter".'
    }
    if (!counter && procedure && procedure.onlineLevel === 'none') {
      errors.procedureCode = 'Thủ tục này chưa được nộp trực tuyến; vui lòng nộp tại Bộ phận Một cửa.'
    }

    const a = input.applicant ?? {}
    const applicant = counter
      ? {
          name: text(a.name),
          idNumber: digits(a.idNumber) || null,
          phone: digits(a.phone) || null,
          email: text(a.email).toLowerCase() || null,
          address: text(a.address) || null,
        }
      : { name: actor.fullName, idNumber: null, phone: null, email: null, address: text(a.address) || null }
    if (counter) {
      if (applicant.name.length < 2) errors['applicant.name'] = 'Nhập họ tên người nộp hồ sơ.'
      if (applicant.idNumber && !ID_NUMBER.test(applicant.idNumber)) {
        errors['applicant.idNumber'] = 'Số định danh cá nhân phải gồm 12 chữ số.'
      }
      if (applicant.phone && !PHONE.test(applicant.phone)) {
        errors['applicant.phone'] = 'Số điện thoại phải gồm 10 chữ số, bắt đầu bằng 0.'
      }
      if (!applicant.phone && !applicant.idNumber) {
        errors['applicant.phone'] = 'Nhập số điện thoại hoặc số định danh để người nộp tra cứu hồ sơ.'
      }
    }
    const form = procedure ? validateForm(procedure.form, input.form ?? {}) : { values: {}, errors: {} }
    for (const [field, message] of Object.entries(form.errors)) errors[`form.${field}`] = message
    const choices = documentChoices(input.documents, errors)
    // Online, every mandatory document comes as a file; at the counter the paper is there and scans are extra.
    const attached = procedure
      ? await checkDocuments(db, {
          owner: actor,
          documents: procedure.documents,
          chosen: choices,
          requireAll: !counter,
        })
      : { rows: [], errors: {} }
    Object.assign(errors, attached.errors)
    if (Object.keys(errors).length > 0 || !procedure || !unit) throw new ValidationError(errors)

    const now = clock()
    const rules = rulesOn(localDateOf(now))
    const calendar = calendarFor(rules.id)
    const countsFrom = calendar.receiptDate(now)
    const dueAt = calendar.addWorkingDays(now, procedure.processingDays)
    const status = counter ? DossierStatus.received : DossierStatus.submitted
    // The applicant's contact details come from their verified account, not from what they type.
    const profile = counter ? null : await deps.applicantProfile(actor.userId)

    // The number is drawn in its own short transaction: the counter row is the one lock every submission
    // of an agency shares, so it is held for one statement, not for the whole submission. A submission
    // that fails afterwards leaves a gap in the day's numbers, never a duplicate (TT 01/2018 asks only that
    // codes be unique).
    const sequence = await repo.nextSequence(db, unit.agencyCode!, countsFrom)
    if (sequence > 9999) throw new ConflictError('Đơn vị đã hết số hồ sơ trong ngày (9999).')
    const code = `${unit.agencyCode}-${countsFrom.slice(2).replace(/-/g, '')}-${String(sequence).padStart(4, '0')}`
    try {
      const dossier = await inTransaction(db, async (tx) => {
        const row = await repo.insertDossier(tx, {
          code,
          procedure_id: procedure.id,
          procedure_code: procedure.code,
          procedure_name: procedure.name,
          workflow: procedure.workflow,
          unit_id: unit.id,
          channel: counter ? 'counter' : 'online',
          status,
          step: 0,
          applicant_user_id: counter ? null : actor.userId,
          applicant_name: applicant.name,
          applicant_id_no: profile?.citizenId ?? applicant.idNumber,
          applicant_phone: profile?.phone ?? applicant.phone,
          applicant_email: profile?.email ?? applicant.email,
          applicant_address: applicant.address,
          form_data: JSON.stringify(form.values),
          rule_version: rules.id,
          processing_days: procedure.processingDays,
          received_at: now,
          counts_from: countsFrom,
          due_at: dueAt,
          step_started_at: now,
          paused_at: null,
          finished_at: null,
          created_by: actor.userId,
          idempotency_key: idempotencyKey ?? null,
          fee_amount: feeDue(procedure.fees, form.values),
          fee_timing: procedure.feeTiming,
        })
        await attachFiles(tx, row.id, procedure.documents, attached.rows)
        await repo.insertAction(tx, {
          dossier_id: row.id,
          seq: 1,
          action: counter ? Action.receive : 'submit',
          from_status: null,
          to_status: status,
          from_step: null,
          to_step: 0,
          actor_id: actor.userId,
          actor_name: actor.fullName,
          unit_id: unit.id,
          note: null,
          at: now,
          step_due_at: null,
          on_time: true,
        })
        await emitEvent(tx, 'dossier.status_changed', {
          code,
          procedureCode: procedure.code,
          unitId: unit.id,
          status,
          nationalStatus: nationalStatus[status],
          action: counter ? Action.receive : 'submit',
          at: now.toISOString(),
          ...snapshot(row, attached.rows.length),
          note: null,
        })
        await appendAudit(
          tx,
          ctx,
          {
            action: 'dossier.created',
            objectType: 'dossier',
            objectId: code,
            unitId: unit.id,
            details: { procedureCode: procedure.code, channel: row.channel },
          },
          now,
        )
        return row
      })
      return { dossier, created: true }
    } catch (error) {
      // Two requests with the same key raced: the loser returns the winner's dossier.
      if (idempotencyKey && (error as { code?: string }).code === '23505') {
        const existing = await repo.findByIdempotencyKey(db, actor.userId, idempotencyKey)
        if (existing) return { dossier: existing, created: false }
      }
      throw error
    }
  }

  /** Officers of the dossier's unit (or above it with a subtree grant), and the applicant, may read it. */
  async function authorizeRead(actor: Actor, dossier: repo.DossierRow) {
    if (dossier.applicant_user_id === actor.userId) return
    const unit = await unitOf(dossier.unit_id)
    const officer = [Permission.dossiersReceive, Permission.dossiersProcess, Permission.dossiersApprove].some(
      (p) => can(actor, p, unit),
    )
    if (!officer) throw new ForbiddenError(Permission.dossiersProcess, unit.id)
  }

  async function get(actor: Actor, code: string, ctx: AuditContext) {
    const dossier = CODE.test(code) ? await repo.findByCode(db, code) : undefined
    if (!dossier) throw new NotFoundError('Không tìm thấy hồ sơ.')
    await authorizeRead(actor, dossier)
    if (dossier.applicant_user_id !== actor.userId) {
      await appendAudit(db, ctx, {
        action: 'personal_data.viewed',
        objectType: 'dossier',
        objectId: code,
        unitId: dossier.unit_id,
      })
    }
    return describe(dossier, actor)
  }

  async function describe(dossier: repo.DossierRow, actor: Actor | null) {
    const steps = workflowOf(dossier.workflow)
    const history = await repo.listActions(db, dossier.id)
    const actions = actor ? await actionsFor(actor, dossier, steps) : []
    return {
      dossier,
      steps,
      history,
      actions,
      files: (await listDossierFiles(db, dossier.id)).map(describeFile),
      results: (await listResults(db, dossier.id)).map(describeResult),
      rating: await findRating(db, dossier.id),
      stepDueAt: FINAL.includes(dossier.status) ? null : stepDueAt(dossier, steps),
    }
  }

  /** What this actor may do now: the status and step allow it, and the actor holds the role for it. */
  async function actionsFor(actor: Actor, dossier: repo.DossierRow, steps: readonly Step[]) {
    const unit = await unitOf(dossier.unit_id)
    const applicant = dossier.applicant_user_id === actor.userId
    const officer = can(actor, steps[dossier.step]?.permission ?? Permission.dossiersReceive, unit)
    const receiving = can(actor, Permission.dossiersReceive, unit)
    return allowedActions(dossier.status, dossier.step, steps, dossier.extended).filter((action) => {
      if (action === Action.provideSupplement) return applicant
      if (action === Action.withdraw) return applicant || receiving
      return officer
    })
  }

  async function act(
    actor: Actor,
    ctx: AuditContext,
    code: string,
    input: { action?: unknown; note?: unknown; days?: unknown; fileIds?: unknown },
  ) {
    const action = text(input.action) as Action
    const note = text(input.note) || null
    if (!Object.values(Action).includes(action)) {
      throw new ValidationError({ action: 'Thao tác không hợp lệ.' })
    }
    if (needsNote.includes(action) && !note)
      throw new ValidationError({ note: 'Nhập lý do hoặc nội dung gửi người nộp hồ sơ.' })
    if (note && note.length > 2000) throw new ValidationError({ note: 'Nội dung tối đa 2000 ký tự.' })
    if (!CODE.test(code)) throw new NotFoundError('Không tìm thấy hồ sơ.')

    const now = clock()
    // Permission checks read other modules through the pool, so they run before the transaction: on the
    // embedded database the transaction holds the only connection.
    const seen = await repo.findByCode(db, code)
    if (!seen) throw new NotFoundError('Không tìm thấy hồ sơ.')
    await authorizeRead(actor, seen)
    const steps = workflowOf(seen.workflow)
    const open = allowedActions(seen.status, seen.step, steps, seen.extended)
    if (!open.includes(action)) {
      throw new ConflictError(
        `Hồ sơ đang ở trạng thái "${statusLabel[seen.status]}"; không thể "${action}". ` +
          (open.length ? `Các thao tác được phép: ${open.join(', ')}.` : 'Hồ sơ đã kết thúc.'),
        { status: seen.status, allowed: open },
      )
    }
    const mine = await actionsFor(actor, seen, steps)
    if (!mine.includes(action))
      throw new ForbiddenError(steps[seen.step]?.permission ?? 'dossiers', seen.unit_id)
    const extraFiles = await supplementFiles(actor, action, input.fileIds)
    const unpaid = unpaidFeeBlocks(seen, action)
    if (unpaid) throw new ConflictError(unpaid, { feeAmount: seen.fee_amount, feeTiming: seen.fee_timing })
    const issued = action === Action.returnResult ? await listResults(db, seen.id) : []
    const electronic = issued.some((r) => r.kind === 'electronic')
    // An applicant who applied online receives the result online: it must exist before it is "returned".
    if (action === Action.returnResult && seen.channel === 'online' && !electronic) {
      throw new ConflictError(
        'Hồ sơ nộp trực tuyến: cần phát hành kết quả điện tử (tải lên hoặc tạo từ mẫu) trước khi trả kết quả.',
      )
    }

    return inTransaction(db, async (tx) => {
      const dossier = await repo.lockByCode(tx, code)
      if (!dossier || dossier.status !== seen.status || dossier.step !== seen.step) {
        throw new ConflictError(
          'Hồ sơ vừa được người khác cập nhật. Vui lòng tải lại trang và thực hiện lại.',
          {
            status: dossier?.status,
          },
        )
      }

      const rules = rulesById(dossier.rule_version)
      const calendar = calendarFor(rules.id)
      const next = transition(action, dossier.step, dossier.status)
      const stepDue = stepDueAt(dossier, steps)
      const changes: Parameters<typeof repo.updateDossier>[2] = {
        status: next.status,
        step: next.step,
        updated_at: now,
      }
      if (next.step !== dossier.step) changes.step_started_at = now
      if (action === Action.requestSupplement) changes.paused_at = now
      if (action === Action.provideSupplement && rules.supplementRestartsClock) {
        changes.paused_at = null
        changes.due_at = calendar.addWorkingDays(now, dossier.processing_days)
        changes.step_started_at = now
      }
      if (action === Action.extend) {
        const days = Number(input.days)
        if (!Number.isInteger(days) || days < 1 || days > Math.max(1, dossier.processing_days)) {
          throw new ValidationError({
            days: `Số ngày gia hạn từ 1 đến ${Math.max(1, dossier.processing_days)} ngày làm việc.`,
          })
        }
        const minutesLeft = calendar.workingTimeBetween(now, dossier.due_at)
        if (minutesLeft < rules.extensionNoticeWorkingDays * workingDayMinutes(calendar)) {
          throw new ConflictError('Chỉ được gia hạn chậm nhất 01 ngày làm việc trước hạn trả kết quả.', {
            dueAt: dossier.due_at,
          })
        }
        // N more working days from the appointment itself, not from a new receipt: no cut-off applies.
        changes.due_at = calendar.addWorkingMinutes(dossier.due_at, days * workingDayMinutes(calendar))
        changes.extended = true
      }
      if (FINAL.includes(next.status)) changes.finished_at = now
      const updated = await repo.updateDossier(tx, dossier.id, changes)
      await attachExtraFiles(tx, dossier.id, extraFiles)
      await repo.appendAction(tx, {
        dossier_id: dossier.id,
        action,
        from_status: dossier.status,
        to_status: next.status,
        from_step: dossier.step,
        to_step: next.step,
        actor_id: actor.userId,
        actor_name: actor.fullName,
        unit_id: dossier.unit_id,
        note,
        at: now,
        step_due_at: stepDue,
        on_time: now <= stepDue,
        details:
          action === Action.extend
            ? JSON.stringify({
                previousDueAt: dossier.due_at.toISOString(),
                dueAt: changes.due_at?.toISOString(),
              })
            : null,
      })
      // An extension keeps the status but moves the appointment: consumers (the apology to the applicant,
      // the national portal) must hear of it too.
      if (next.status !== dossier.status || action === Action.extend) {
        await emitEvent(tx, 'dossier.status_changed', {
          code,
          procedureCode: dossier.procedure_code,
          unitId: dossier.unit_id,
          status: next.status,
          nationalStatus: nationalStatus[next.status],
          action,
          at: now.toISOString(),
          ...snapshot(updated, await countFiles(tx, dossier.id)),
          note,
        })
      }
      if (action === Action.returnResult) {
        await emitEvent(tx, 'dossier.result_issued', {
          code,
          procedureCode: dossier.procedure_code,
          unitId: dossier.unit_id,
          electronic,
          signed: issued.some((r) => r.signed),
          at: now.toISOString(),
        })
      }
      await appendAudit(
        tx,
        ctx,
        {
          action: `dossier.${action}`,
          objectType: 'dossier',
          objectId: code,
          unitId: dossier.unit_id,
          details: { from: dossier.status, to: next.status },
        },
        now,
      )
      return updated
    })
  }

  /** A receiving officer records a fee paid in cash at the desk. */
  async function recordCashPayment(actor: Actor, ctx: AuditContext, code: string, reference: unknown) {
    const seen = CODE.test(code) ? await repo.findByCode(db, code) : undefined
    if (!seen) throw new NotFoundError('Không tìm thấy hồ sơ.')
    authorize(actor, Permission.dossiersReceive, await unitOf(seen.unit_id))
    if (seen.fee_amount === 0) throw new ConflictError('Hồ sơ này không phải nộp phí, lệ phí.')
    if (seen.fee_paid_at) throw new ConflictError('Hồ sơ đã nộp phí, lệ phí.')
    const receipt = text(reference)
    if (!/^[\p{L}\p{N} ./_-]{1,60}$/u.test(receipt)) {
      throw new ValidationError({ reference: 'Nhập số biên lai thu tiền (tối đa 60 ký tự).' })
    }
    const { dossier } = await recordPayment(ctx, code, {
      online: false,
      reference: receipt,
      amount: seen.fee_amount,
      at: clock(),
    })
    return dossier
  }

  /** Recording a payment (online through the payments module, or cash at the counter); once only. */
  async function recordPayment(
    ctx: AuditContext,
    code: string,
    payment: { online: boolean; reference: string; amount: number; at: Date },
  ) {
    return inTransaction(db, async (tx) => {
      const dossier = await repo.lockByCode(tx, code)
      if (!dossier) throw new NotFoundError('Không tìm thấy hồ sơ.')
      if (dossier.fee_paid_at) return { dossier, recorded: false }
      if (payment.amount !== dossier.fee_amount) {
        throw new ConflictError(
          `Số tiền ${payment.amount} đồng khác số phải nộp ${dossier.fee_amount} đồng của hồ sơ ${code}.`,
        )
      }
      const updated = await repo.updateDossier(tx, dossier.id, {
        fee_paid_at: payment.at,
        fee_paid_online: payment.online,
        fee_reference: payment.reference,
        updated_at: payment.at,
      })
      await emitEvent(tx, 'dossier.fee_paid', {
        code,
        unitId: dossier.unit_id,
        amount: payment.amount,
        online: payment.online,
        reference: payment.reference,
        at: payment.at.toISOString(),
      })
      await appendAudit(
        tx,
        ctx,
        {
          action: 'dossier.fee_paid',
          objectType: 'dossier',
          objectId: code,
          unitId: dossier.unit_id,
          details: { amount: payment.amount, online: payment.online, reference: payment.reference },
        },
        payment.at,
      )
      return { dossier: updated, recorded: true }
    })
  }

  /** Public tracking: a code and the applicant's phone or ID number; answers status and dates, nothing personal. */
  async function track(code: string, secret: string) {
    const dossier = CODE.test(code) ? await repo.findByCode(db, code) : undefined
    const given = digits(secret)
    const matches =
      !!dossier &&
      given.length >= 9 &&
      (given === dossier.applicant_phone || given === dossier.applicant_id_no)
    if (!dossier || !matches) {
      throw new NotFoundError('Không tìm thấy hồ sơ với mã và số điện thoại (hoặc số định danh) đã nhập.')
    }
    const history = await repo.listActions(db, dossier.id)
    return {
      code: dossier.code,
      procedureName: dossier.procedure_name,
      status: dossier.status,
      statusLabel: statusLabel[dossier.status],
      nationalStatus: nationalStatus[dossier.status],
      receivedAt: dossier.received_at,
      dueAt: dossier.due_at,
      finishedAt: dossier.finished_at,
      steps: history.map((h) => ({ action: h.action, status: h.to_status, at: h.at })),
    }
  }

  /** The officer's work queue: open dossiers whose current step the officer may act on, earliest deadline first. */
  async function queue(actor: Actor, limit = 200) {
    const units = await organisation.listUnits({})
    const scoped = units.filter((u) =>
      [Permission.dossiersReceive, Permission.dossiersProcess, Permission.dossiersApprove].some((p) =>
        can(actor, p, u),
      ),
    )
    const byId = new Map(scoped.map((u) => [u.id, u]))
    const rows = await repo.listOpenForUnits(db, [...byId.keys()], limit)
    const now = clock()
    return rows
      .filter((row) => {
        const steps = workflowOf(row.workflow)
        const permission =
          row.status === DossierStatus.approved ? Permission.dossiersReceive : steps[row.step]?.permission
        return (
          row.status === DossierStatus.supplementRequested ||
          (!!permission && can(actor, permission, byId.get(row.unit_id)))
        )
      })
      .map((row) => {
        const calendar = calendarFor(row.rule_version)
        const left = calendar.workingTimeBetween(now, row.due_at)
        const state = left < 0 ? 'overdue' : left <= workingDayMinutes(calendar) ? 'due_soon' : 'on_time'
        return {
          dossier: row,
          unit: byId.get(row.unit_id)!,
          state: row.paused_at ? ('paused' as const) : state,
        }
      })
  }

  /** The online application in progress: the procedure in force, the units that may take it, the draft. */
  async function application(actor: Actor, procedureCode: string) {
    if (actor.kind === 'official') {
      throw new ForbiddenError(
        Permission.dossiersReceive,
        null,
        'Cán bộ tiếp nhận hồ sơ tại quầy, không nộp trực tuyến.',
      )
    }
    const procedure = await catalogue.getInForce(procedureCode)
    if (procedure.onlineLevel === 'none') {
      throw new ConflictError('Thủ tục này chưa được nộp trực tuyến; vui lòng nộp tại Bộ phận Một cửa.')
    }
    const units = await catalogue.performingUnits(procedure)
    const draft = await repo.findDraft(db, actor.userId, procedure.code)
    return { procedure, units, draft }
  }

  async function saveApplicationUnit(actor: Actor, procedureCode: string, unitId: unknown) {
    const { procedure, units } = await application(actor, procedureCode)
    if (typeof unitId !== 'string' || !units.some((u) => u.id === unitId)) {
      throw new ValidationError({ unitId: 'Chọn nơi nộp hồ sơ trong danh sách.' })
    }
    return repo.saveDraft(db, actor.userId, procedure.code, { unitId }, clock())
  }

  /** Checks the answers against the procedure's form and keeps them in the draft. */
  async function saveApplicationForm(actor: Actor, procedureCode: string, raw: Record<string, unknown>) {
    const { procedure } = await application(actor, procedureCode)
    const { values, errors } = validateForm(procedure.form, raw)
    if (Object.keys(errors).length > 0) throw new ValidationError(errors)
    return repo.saveDraft(db, actor.userId, procedure.code, { data: values }, clock())
  }

  /** Submits the draft; the draft id is the idempotency key, so a double click files one dossier. */
  async function submitApplication(actor: Actor, ctx: AuditContext, procedureCode: string) {
    const { procedure, draft } = await application(actor, procedureCode)
    // No draft: it was just submitted (a second click) or never started; the caller shows the list.
    if (!draft) return null
    if (!draft.unit_id) throw new ValidationError({ unitId: 'Chọn nơi nộp hồ sơ.' })
    const files = await listDraftFiles(db, draft.id)
    const documents = files
      .filter((f) => f.document_index !== null)
      .map((f) => ({ document: f.document_index, fileId: f.id }))
    const result = await submit(
      actor,
      ctx,
      { procedureCode: procedure.code, unitId: draft.unit_id, form: draft.data, documents },
      `draft-${draft.id}`,
    )
    await repo.deleteDraft(db, draft.id)
    return result.dossier
  }

  async function mine(actor: Actor) {
    return repo.listForApplicant(db, actor.userId, 100)
  }

  async function findForOfficer(actor: Actor, code: string) {
    const dossier = CODE.test(code) ? await repo.findByCode(db, code) : undefined
    if (!dossier) throw new NotFoundError('Không tìm thấy hồ sơ.')
    await authorizeRead(actor, dossier)
    return dossier
  }

  /** A result uploaded by the receiving officer: electronic (signed by the unit) or the scan of a paper one. */
  async function uploadResult(
    actor: Actor,
    ctx: AuditContext,
    code: string,
    input: { stream: Readable; fileName: string; kind: unknown; title: unknown; validUntil: unknown },
  ) {
    return results.upload(actor, ctx, await findForOfficer(actor, code), input)
  }

  async function generateResult(actor: Actor, ctx: AuditContext, code: string, validUntil: unknown) {
    return results.generate(actor, ctx, await findForOfficer(actor, code), validUntil)
  }

  /** A result file, for the applicant and the unit's officers (officers' reads audited). */
  async function openResult(actor: Actor, ctx: AuditContext, code: string, id: string) {
    const dossier = await findForOfficer(actor, code)
    const row = await findResult(db, id)
    if (!row || row.dossier_id !== dossier.id || row.withdrawn_at)
      throw new NotFoundError('Không tìm thấy kết quả.')
    if (dossier.applicant_user_id !== actor.userId) {
      await appendAudit(db, ctx, {
        action: 'personal_data.result_downloaded',
        objectType: 'dossier',
        objectId: code,
        unitId: dossier.unit_id,
      })
    }
    return results.open(row)
  }

  /** The applicant rates the handling of their finished dossier, once (TT 01/2018 Điều 13–14). */
  async function rate(actor: Actor, ctx: AuditContext, code: string, input: Record<string, unknown>) {
    const dossier = CODE.test(code) ? await repo.findByCode(db, code) : undefined
    if (!dossier || dossier.applicant_user_id !== actor.userId)
      throw new NotFoundError('Không tìm thấy hồ sơ.')
    if (dossier.status !== DossierStatus.returned) {
      throw new ConflictError('Chỉ đánh giá được sau khi nhận kết quả giải quyết.', {
        status: dossier.status,
      })
    }
    const { scores, comment, errors } = parseRating(input)
    if (Object.keys(errors).length > 0) throw new ValidationError(errors)
    const now = clock()
    const total = Object.values(scores).reduce<number>((sum, v) => sum + v, 0)
    const max = 2 * Object.keys(scores).length
    try {
      await inTransaction(db, async (tx) => {
        await insertRating(tx, {
          dossier_id: dossier.id,
          unit_id: dossier.unit_id,
          scores: JSON.stringify(scores),
          total,
          max,
          comment,
          rated_by: actor.userId,
          rated_at: now,
        })
        await emitEvent(tx, 'dossier.rated', {
          code,
          procedureCode: dossier.procedure_code,
          unitId: dossier.unit_id,
          scores,
          total,
          max,
          at: now.toISOString(),
        })
        await appendAudit(
          tx,
          ctx,
          {
            action: 'dossier.rated',
            objectType: 'dossier',
            objectId: code,
            unitId: dossier.unit_id,
            details: { total, max },
          },
          now,
        )
      })
    } catch (error) {
      if ((error as { code?: string }).code === '23505') {
        throw new ConflictError('Hồ sơ này đã được đánh giá; mỗi hồ sơ chỉ đánh giá một lần.')
      }
      throw error
    }
    return { total, max }
  }

  /**
   * The citizen's data store (kho dữ liệu, TT 01/2023 Điều 24): their dossiers, the results issued to them with
   * their validity, and the documents they uploaded, each usable again in a new application.
   */
  async function dataStore(actor: Actor) {
    const [dossierRows, resultRows, fileRows] = await Promise.all([
      repo.listForApplicant(db, actor.userId, 200),
      listResultsOfApplicant(db, actor.userId),
      listStoredFiles(db, actor.userId),
    ])
    return {
      dossiers: dossierRows,
      results: resultRows.map(describeResult),
      documents: fileRows.map(describeFile),
    }
  }

  /**
   * Attaches a document from the data store (an uploaded file or a result) to a required document of the draft,
   * without uploading it again: a new row pointing at the same stored object.
   */
  async function reuseInDraft(actor: Actor, procedureCode: string, index: number, source: string) {
    const { procedure, draft } = await application(actor, procedureCode)
    const doc = procedure.documents[index]
    if (!draft || !doc)
      throw new ValidationError({ [`doc-${index}`]: 'Thành phần hồ sơ không có trong thủ tục.' })
    const [kind, id = ''] = source.split(':')
    const store = await dataStore(actor)
    const found =
      kind === 'file'
        ? store.documents.find((f) => f.id === id)
        : kind === 'result'
          ? store.results.find((r) => r.id === id)
          : undefined
    if (!found)
      throw new ValidationError({ [`doc-${index}`]: 'Không tìm thấy giấy tờ trong kho dữ liệu của bạn.' })
    if (!doc.accept.some((type) => extensionOf(found.mime) === type)) {
      throw new ValidationError({
        [`doc-${index}`]: `"${found.fileName}" không thuộc loại được nhận cho "${doc.name}" (${doc.accept.join(', ')}).`,
      })
    }
    const objectKey =
      kind === 'file' ? (await findFile(db, id))!.object_key : (await findResult(db, id))!.object_key
    await reuseFile(db, {
      owner: actor,
      draftId: draft.id,
      index,
      documentName: doc.name,
      file: found,
      objectKey,
      now: clock(),
    })
  }

  /** Files sent with a supplement: the applicant's own, just uploaded, not yet part of any dossier. */
  async function supplementFiles(actor: Actor, action: Action, raw: unknown) {
    if (raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0)) return []
    if (action !== Action.provideSupplement) {
      throw new ValidationError({ fileIds: 'Chỉ gửi kèm tệp khi bổ sung hồ sơ.' })
    }
    if (!Array.isArray(raw) || raw.length > 50 || raw.some((id) => typeof id !== 'string')) {
      throw new ValidationError({ fileIds: 'fileIds phải là danh sách mã tệp (tối đa 50).' })
    }
    const rows = []
    for (const id of raw as string[]) {
      const row = await findFile(db, id)
      if (!row || row.owner_id !== actor.userId || row.dossier_id) {
        throw new ValidationError({ fileIds: `Không tìm thấy tệp ${id} (hoặc tệp đã thuộc hồ sơ khác).` })
      }
      rows.push(row)
    }
    return rows
  }

  /**
   * Keeps an uploaded file for later use by its uploader: the API's two-step submission, the counter's scans,
   * a supplement. It belongs to nobody until a submission or an action attaches it.
   */
  async function upload(
    actor: Actor,
    input: {
      stream: Readable
      fileName: string
      purpose: FilePurpose
      document?: { procedureCode: string; index: number }
    },
  ) {
    let document = null
    if (input.document) {
      const procedure = await catalogue.getInForce(input.document.procedureCode)
      const doc = procedure.documents[input.document.index]
      if (!doc) throw new ValidationError({ document: 'Thành phần hồ sơ không có trong thủ tục.' })
      document = { index: input.document.index, doc }
    }
    const row = await storeDossierFile(db, deps.files, {
      owner: actor,
      stream: input.stream,
      fileName: input.fileName,
      purpose: input.purpose,
      document,
      now: clock(),
    })
    return describeFile(row)
  }

  /** Attaches a file to one required document of the citizen's draft application. */
  async function uploadDraftFile(
    actor: Actor,
    procedureCode: string,
    index: number,
    input: { stream: Readable; fileName: string },
  ) {
    const { procedure, draft } = await application(actor, procedureCode)
    const doc = procedure.documents[index]
    if (!draft || !doc)
      throw new ValidationError({ [`doc-${index}`]: 'Thành phần hồ sơ không có trong thủ tục.' })
    const existing = await listDraftFiles(db, draft.id)
    if (existing.filter((f) => f.document_index === index).length >= MAX_FILES_PER_DOCUMENT) {
      throw new ValidationError({
        [`doc-${index}`]: `Mỗi thành phần hồ sơ tối đa ${MAX_FILES_PER_DOCUMENT} tệp.`,
      })
    }
    const row = await storeDossierFile(db, deps.files, {
      owner: actor,
      stream: input.stream,
      fileName: input.fileName,
      purpose: 'application',
      document: { index, doc },
      draftId: draft.id,
      now: clock(),
    })
    return describeFile(row)
  }

  /**
   * Answers the applicant need not type again: their name, ID number, phone and email from their verified
   * account, under the field names the catalogue uses for them.
   */
  async function prefill(actor: Actor): Promise<Record<string, string>> {
    const profile = await deps.applicantProfile(actor.userId)
    const values: Record<string, string> = {
      applicantFullName: actor.fullName,
      ownerFullName: actor.fullName,
    }
    if (profile.citizenId)
      Object.assign(values, { applicantIdNumber: profile.citizenId, ownerIdNumber: profile.citizenId })
    if (profile.phone) Object.assign(values, { applicantPhone: profile.phone, contactPhone: profile.phone })
    if (profile.email) values.applicantEmail = profile.email
    return values
  }

  /** The mandatory documents the draft still lacks, as form errors. */
  async function missingDocuments(actor: Actor, procedureCode: string) {
    const { procedure, draft } = await application(actor, procedureCode)
    const files = draft ? await listDraftFiles(db, draft.id) : []
    return missingRequired(
      procedure.documents,
      files.map((f) => f.document_index),
    )
  }

  async function draftFiles(actor: Actor, procedureCode: string) {
    const { draft } = await application(actor, procedureCode)
    return draft ? (await listDraftFiles(db, draft.id)).map(describeFile) : []
  }

  /** The actor's own uploaded files that no dossier holds yet, among the given ids. */
  async function unattachedFiles(actor: Actor, ids: readonly string[]) {
    const rows = await Promise.all(ids.slice(0, 200).map((id) => findFile(db, id)))
    return rows
      .filter((row) => !!row && row.owner_id === actor.userId && !row.dossier_id)
      .map((row) => describeFile(row!))
  }

  /** Removes a file the owner uploaded and has not yet submitted. */
  async function removeFile(actor: Actor, fileId: string) {
    const row = await findFile(db, fileId)
    if (!row || row.owner_id !== actor.userId || row.dossier_id)
      throw new NotFoundError('Không tìm thấy tệp.')
    await deleteUnattachedFile(db, deps.files.store, row)
  }

  /**
   * A file to download: an attached one for whoever may read its dossier (officers' reads are audited), an
   * unattached one for its owner only.
   */
  async function openFile(actor: Actor, ctx: AuditContext, fileId: string, dossierCode?: string) {
    const row = await findFile(db, fileId)
    if (!row) throw new NotFoundError('Không tìm thấy tệp.')
    if (row.dossier_id) {
      const dossier =
        dossierCode && CODE.test(dossierCode) ? await repo.findByCode(db, dossierCode) : undefined
      if (!dossier || dossier.id !== row.dossier_id) throw new NotFoundError('Không tìm thấy tệp.')
      await authorizeRead(actor, dossier)
      if (dossier.applicant_user_id !== actor.userId) {
        await appendAudit(db, ctx, {
          action: 'personal_data.file_downloaded',
          objectType: 'dossier_file',
          objectId: row.id,
          unitId: dossier.unit_id,
          details: { dossier: dossier.code },
        })
      }
    } else if (row.owner_id !== actor.userId) throw new NotFoundError('Không tìm thấy tệp.')
    return { file: describeFile(row), stream: await deps.files.store.get(row.object_key) }
  }

  return {
    submit,
    get,
    act,
    track,
    queue,
    mine,
    describe,
    application,
    saveApplicationUnit,
    saveApplicationForm,
    submitApplication,
    recordPayment,
    recordCashPayment,
    uploadResult,
    generateResult,
    openResult,
    rate,
    dataStore,
    reuseInDraft,
    prefill,
    upload,
    uploadDraftFile,
    draftFiles,
    missingDocuments,
    unattachedFiles,
    removeFile,
    openFile,
  }
}

export type DossiersService = ReturnType<typeof createDossiersService>
