import { appendAudit, type AuditContext } from '../../platform/audit/audit.js'
import { authorize, can, ForbiddenError, type Actor } from '../../platform/auth/actor.js'
import { Permission } from '../../platform/auth/roles.js'
import { localDateOf } from '../../platform/calendar/index.js'
import type { Clock } from '../../platform/clock.js'
import { inTransaction, type Db } from '../../platform/db/database.js'
import { emitEvent } from '../../platform/events/outbox.js'
import {
  ConflictError,
  inFormOrder,
  NotFoundError,
  ValidationError,
  type FieldErrors,
} from '../../platform/http/errors.js'
import type { OrganisationService, OrgUnit } from '../organisation/index.js'
import { fold, isIsoDate, prefixTsQuery, text } from './document-input.js'
import * as docs from './documents.repository.js'
import { outgoingStatusLabel } from './outgoing-rules.js'
import * as outgoing from './outgoing.repository.js'
import * as repo from './work-files.repository.js'
import {
  allows,
  LEVELS,
  levelOf,
  share,
  targetsFor,
  WORK_FILE_CODE,
  WORK_FILE_STATUSES,
  workFileActionLabel,
  workFileStatusLabel,
  type Level,
  type WorkFileAction,
  type WorkFileStatus,
} from './work-files.rules.js'
import { documentScope, officialsOf, type UnitOfficials } from './work-files.scope.js'

declare module '../../platform/events/outbox.js' {
  interface DomainEvents {
    /** A work file was closed and measured (for the reporting system and the IOC). */
    'work_file.closed': {
      id: string
      unitId: string
      year: number
      documents: number
      electronic: number
      processedElectronically: boolean
      at: string
    }
    'work_file.reopened': { id: string; unitId: string; year: number; at: string }
    'work_file.archived': {
      id: string
      unitId: string
      year: number
      processedElectronically: boolean
      at: string
    }
  }
}

export type WorkFilesDeps = {
  db: Db
  clock: Clock
  organisation: OrganisationService
  officials: UnitOfficials
}

/** What names a document to file: an incoming one by `documentId`, an outgoing one by `outgoingId`. */
export type FiledInput = { documentId?: unknown; outgoingId?: unknown }

/** The outgoing documents' visibility for the actor (the same rule as the outgoing service). */
function outgoingScope(actor: Actor, units: readonly OrgUnit[]): outgoing.OutgoingScope {
  const ids = (permission: Permission) => units.filter((u) => can(actor, permission, u)).map((u) => u.id)
  return {
    userId: actor.userId,
    leaderUnits: ids(Permission.documentsApprove),
    clerkUnits: ids(Permission.documentsIssue),
  }
}

export const WORK_FILE_FIELDS = [
  'unitId',
  'year',
  'code',
  'title',
  'keeperId',
  'retention',
  'openedOn',
  'note',
]

/** Work files (hồ sơ công việc): open, file documents, close (measured), reopen, hand to the archive; stats. */
export function createWorkFilesService(deps: WorkFilesDeps) {
  const { db, clock, organisation, officials } = deps

  async function scopeOf(actor: Actor) {
    authorize(actor, Permission.backofficeAccess)
    const units = await organisation.listUnits({})
    return { ...documentScope(actor, units), units }
  }

  /** A work file the actor may see (an official of its unit), or 404: other units do not learn it exists. */
  async function visibleWorkFile(actor: Actor, id: string) {
    const file = await repo.findWorkFile(db, id)
    const scope = await scopeOf(actor)
    if (!file || !scope.officialUnits.includes(file.unit_id)) throw new NotFoundError('Không tìm thấy hồ sơ.')
    const unit = scope.units.find((u) => u.id === file.unit_id)!
    return { file, unit, scope }
  }

  const isLeader = (actor: Actor, unit: OrgUnit) => can(actor, Permission.documentsAssign, unit)
  const isClerk = (actor: Actor, unit: OrgUnit) => can(actor, Permission.documentsRegister, unit)

  /** Who may do what: the keeper and the unit's leaders file and close, leaders reopen, clerks and leaders archive. */
  function may(actor: Actor, file: repo.WorkFileRow, unit: OrgUnit, action: WorkFileAction): boolean {
    if (!allows(file.status, action)) return false
    const keeper = file.keeper_id === actor.userId
    switch (action) {
      case 'add_document':
      case 'remove_document':
      case 'close':
        return keeper || isLeader(actor, unit)
      case 'reopen':
        return isLeader(actor, unit)
      case 'archive':
        return isLeader(actor, unit) || isClerk(actor, unit)
    }
  }

  function check(actor: Actor, file: repo.WorkFileRow, unit: OrgUnit, action: WorkFileAction) {
    if (!allows(file.status, action)) {
      throw new ConflictError(
        `Hồ sơ ${file.code} đang ở trạng thái "${workFileStatusLabel[file.status]}": không thể ${workFileActionLabel[
          action
        ].toLowerCase()}.`,
      )
    }
    if (!may(actor, file, unit, action)) throw new ForbiddenError(Permission.documentsProcess, unit.id)
  }

  /** Units the actor keeps work files for, and their officials who may keep one (the actor first). */
  async function choices(actor: Actor) {
    const scope = await scopeOf(actor)
    const today = localDateOf(clock())
    const units = scope.units.filter(
      (u) => scope.officialUnits.includes(u.id) && (u.validTo === null || u.validTo >= today),
    )
    const others = (await officialsOf(officials, units)).filter((p) => p.id !== actor.userId)
    return {
      units,
      keepers: [{ id: actor.userId, fullName: actor.fullName }, ...others],
      year: Number(today.slice(0, 4)),
    }
  }

  async function list(actor: Actor, raw: Record<string, unknown>, limit = 200) {
    const scope = await scopeOf(actor)
    const errors: FieldErrors = {}
    const yearText = text(raw.year)
    const year = yearText ? Number(yearText) : undefined
    if (year !== undefined && !(Number.isInteger(year) && year >= 2000 && year <= 2200))
      errors.year = 'Năm không hợp lệ.'
    const status = text(raw.status) as WorkFileStatus
    if (status && !WORK_FILE_STATUSES.includes(status)) errors.status = 'Trạng thái không hợp lệ.'
    const unitId = text(raw.unitId)
    if (unitId && !scope.officialUnits.includes(unitId)) errors.unitId = 'Chọn một đơn vị của bạn.'
    if (Object.keys(errors).length > 0) throw new ValidationError(errors)
    const q = fold(text(raw.q))
      .replace(/[%_\\]/g, '')
      .slice(0, 200)
    const rows = await repo.listWorkFiles(db, {
      unitIds: unitId ? [unitId] : scope.officialUnits,
      year,
      status: status || undefined,
      q: q || undefined,
      limit,
    })
    const names = new Map(scope.units.map((u) => [u.id, u.shortName ?? u.name]))
    return rows.map((r) => ({
      ...r,
      unit_name: names.get(r.unit_id) ?? '',
      document_total: Number(r.document_total),
    }))
  }

  /** Opens a work file for one of the actor's units; the keeper is the actor or an official they may assign. */
  async function create(actor: Actor, ctx: AuditContext, raw: Record<string, unknown>) {
    const { units, keepers, year: thisYear } = await choices(actor)
    const errors: FieldErrors = {}
    const unitId = text(raw.unitId) || (units.length === 1 ? units[0]!.id : '')
    const unit = units.find((u) => u.id === unitId)
    if (!unit) errors.unitId = 'Chọn đơn vị lập hồ sơ.'
    const yearText = text(typeof raw.year === 'number' ? String(raw.year) : raw.year)
    const year = yearText ? Number(yearText) : thisYear
    if (!Number.isInteger(year) || year < thisYear - 1 || year > thisYear + 1)
      errors.year = `Năm của hồ sơ từ ${thisYear - 1} đến ${thisYear + 1}.`
    const code = text(raw.code)
    if (!code) errors.code = 'Nhập số và ký hiệu hồ sơ.'
    else if (!WORK_FILE_CODE.test(code))
      errors.code = 'Số và ký hiệu hồ sơ tối đa 50 ký tự: chữ, số và các dấu . / - _ (ví dụ 01.VP).'
    const title = text(raw.title)
    if (title.length < 2 || title.length > 500) errors.title = 'Tiêu đề hồ sơ từ 2 đến 500 ký tự.'
    const keeperId = text(raw.keeperId) || actor.userId
    const keeper = keepers.find((k) => k.id === keeperId)
    if (!keeper) errors.keeperId = 'Chọn người lập hồ sơ trong danh sách.'
    else if (
      unit &&
      keeper.id !== actor.userId &&
      !(await officials.inUnit(unit)).some((p) => p.id === keeper.id)
    )
      errors.keeperId = `${keeper.fullName} không làm việc tại ${unit.name}.`
    const retention = text(typeof raw.retention === 'number' ? String(raw.retention) : raw.retention)
    const permanent = retention === 'permanent'
    const retentionYears = permanent ? null : Number(retention)
    if (!permanent && !(Number.isInteger(retentionYears) && retentionYears! >= 1 && retentionYears! <= 99))
      errors.retention = 'Chọn thời hạn bảo quản: vĩnh viễn hoặc từ 1 đến 99 năm.'
    const today = localDateOf(clock())
    const openedOn = text(raw.openedOn) || today
    if (!isIsoDate(openedOn)) errors.openedOn = 'Ngày mở hồ sơ không hợp lệ (năm-tháng-ngày).'
    else if (openedOn > today) errors.openedOn = 'Ngày mở hồ sơ không được sau hôm nay.'
    const note = text(raw.note) || null
    if (note && note.length > 2000) errors.note = 'Ghi chú tối đa 2000 ký tự.'
    if (Object.keys(errors).length > 0 || !unit || !keeper)
      throw new ValidationError(inFormOrder(errors, WORK_FILE_FIELDS))
    const now = clock()
    try {
      return await inTransaction(db, async (tx) => {
        const file = await repo.insertWorkFile(tx, {
          unit_id: unit.id,
          year,
          code,
          title,
          keeper_id: keeper.id,
          keeper_name: keeper.fullName,
          retention_years: retentionYears,
          permanent,
          status: 'open',
          opened_on: openedOn,
          closed_on: null,
          archived_at: null,
          documents_count: null,
          electronic_count: null,
          processed_electronically: null,
          note,
          created_by: actor.userId,
        })
        await repo.appendWorkFileHistory(tx, {
          work_file_id: file.id,
          action: 'opened',
          actor_id: actor.userId,
          actor_name: actor.fullName,
          note,
          details: JSON.stringify({ code, keeper: keeper.fullName }),
          at: now,
        })
        await appendAudit(
          tx,
          ctx,
          {
            action: 'work_file.opened',
            objectType: 'work_file',
            objectId: file.id,
            unitId: unit.id,
            details: { code, year, keeper: keeper.id },
          },
          now,
        )
        return file
      })
    } catch (error) {
      if ((error as { code?: string }).code === '23505')
        throw new ValidationError({ code: `Đơn vị đã có hồ sơ số ${code} năm ${year}.` })
      throw error
    }
  }

  /** Whether the actor may see a filed document, under the rule of its kind. */
  async function sees(actor: Actor, scope: Awaited<ReturnType<typeof scopeOf>>, ref: repo.FiledRef) {
    if (ref.kind === 'incoming') return docs.isVisible(db, scope.scope, ref.id)
    return outgoing.isVisible(db, outgoingScope(actor, scope.units), ref.id)
  }

  /**
   * A work file with the documents the actor may see (the others are left out without a trace: a
   * confidential document's existence is protected), its history, what the actor may do, and how it would
   * measure if closed now.
   */
  async function get(actor: Actor, id: string) {
    const { file, unit, scope } = await visibleWorkFile(actor, id)
    const [filed, history, measured] = await Promise.all([
      repo.filedDocuments(db, file.id),
      repo.listWorkFileHistory(db, file.id),
      repo.measure(db, file.id),
    ])
    const names = new Map(scope.units.map((u) => [u.id, u.name]))
    const visible: repo.FiledDocument[] = []
    for (const d of filed) {
      if (!(await sees(actor, scope, d))) continue
      visible.push(d.issuer_unit_id ? { ...d, issuer_name: names.get(d.issuer_unit_id) ?? '' } : d)
    }
    const actions = (['add_document', 'remove_document', 'close', 'reopen', 'archive'] as const).filter((a) =>
      may(actor, file, unit, a),
    )
    return { file, unit, documents: visible, history, measured, actions }
  }

  /** Incoming and outgoing documents the actor may see that match the words, to pick from when filing. */
  async function candidates(actor: Actor, id: string, q: string) {
    const { file, scope } = await visibleWorkFile(actor, id)
    const tsquery = prefixTsQuery(text(q).slice(0, 200))
    if (!tsquery) return []
    const [incoming, sent, filed] = await Promise.all([
      docs.searchDocuments(db, scope.scope, { tsquery, limit: 20 }),
      outgoing.listOutgoing(db, outgoingScope(actor, scope.units), { tsquery, limit: 20 }),
      repo.filedDocuments(db, file.id),
    ])
    const taken = new Set(filed.map((d) => d.id))
    return [
      ...incoming.map((d) => ({
        kind: 'incoming' as const,
        id: d.id,
        code: `${d.code_number}/${d.code_notation}`,
        summary: d.summary,
      })),
      ...sent.map((d) => ({
        kind: 'outgoing' as const,
        id: d.id,
        code: d.code_number ? `${d.code_number}/${d.code_notation}` : outgoingStatusLabel[d.status],
        summary: d.summary,
      })),
    ].filter((d) => !taken.has(d.id))
  }

  /** The document a request names: `documentId` (incoming) or `outgoingId`, if the actor may see it. */
  async function resolve(actor: Actor, scope: Awaited<ReturnType<typeof scopeOf>>, raw: FiledInput) {
    const documentId = text(raw.documentId)
    const outgoingId = text(raw.outgoingId)
    if (documentId && outgoingId) return undefined
    if (documentId) {
      const d = await docs.findDocument(db, documentId)
      if (!d || !(await sees(actor, scope, { kind: 'incoming', id: d.id }))) return undefined
      return { ref: { kind: 'incoming' as const, id: d.id }, code: `${d.code_number}/${d.code_notation}` }
    }
    if (outgoingId) {
      const o = await outgoing.findOutgoing(db, outgoingId)
      if (!o || !(await sees(actor, scope, { kind: 'outgoing', id: o.id }))) return undefined
      return {
        ref: { kind: 'outgoing' as const, id: o.id },
        code: o.code_number ? `${o.code_number}/${o.code_notation}` : `"${o.summary.slice(0, 60)}"`,
      }
    }
    return undefined
  }

  async function addDocument(actor: Actor, ctx: AuditContext, id: string, raw: FiledInput) {
    const { file, unit, scope } = await visibleWorkFile(actor, id)
    check(actor, file, unit, 'add_document')
    const found = await resolve(actor, scope, raw)
    if (!found) throw new ValidationError({ documentId: 'Chọn một văn bản bạn được xem.' })
    const { ref } = found
    const holder = await repo.workFileHolding(db, unit.id, ref)
    if (holder) {
      throw new ValidationError({
        documentId: `Văn bản ${found.code} đã nằm trong hồ sơ ${holder.code} năm ${holder.year} của đơn vị.`,
      })
    }
    const now = clock()
    try {
      await inTransaction(db, async (tx) => {
        const locked = await repo.lockWorkFile(tx, file.id)
        if (!locked || locked.status !== 'open')
          throw new ConflictError('Hồ sơ vừa được kết thúc; không thêm văn bản được nữa.')
        await repo.fileDocument(tx, {
          work_file_id: file.id,
          document_id: ref.kind === 'incoming' ? ref.id : null,
          outgoing_id: ref.kind === 'outgoing' ? ref.id : null,
          unit_id: unit.id,
          added_by: actor.userId,
          added_by_name: actor.fullName,
          added_at: now,
        })
        await repo.updateWorkFile(tx, file.id, { updated_at: now })
        await repo.appendWorkFileHistory(tx, {
          work_file_id: file.id,
          action: 'add_document',
          actor_id: actor.userId,
          actor_name: actor.fullName,
          // No summary: the history is read by officials who may not see a confidential document.
          note: null,
          details: JSON.stringify({ [ref.kind]: ref.id }),
          at: now,
        })
        await appendAudit(
          tx,
          ctx,
          {
            action: 'work_file.document_added',
            objectType: 'work_file',
            objectId: file.id,
            unitId: unit.id,
            details: { [ref.kind]: ref.id },
          },
          now,
        )
      })
    } catch (error) {
      if ((error as { code?: string }).code === '23505')
        throw new ValidationError({ documentId: 'Văn bản đã nằm trong một hồ sơ của đơn vị.' })
      throw error
    }
    return ref
  }

  /** Takes a document (incoming or outgoing, by its id) out of an open work file. */
  async function removeDocument(actor: Actor, ctx: AuditContext, id: string, documentId: string) {
    const { file, unit, scope } = await visibleWorkFile(actor, id)
    check(actor, file, unit, 'remove_document')
    const filed = (await repo.filedDocuments(db, file.id)).find((d) => d.id === documentId)
    if (!filed || !(await sees(actor, scope, filed)))
      throw new NotFoundError('Không tìm thấy văn bản trong hồ sơ.')
    const ref: repo.FiledRef = { kind: filed.kind, id: filed.id }
    const now = clock()
    await inTransaction(db, async (tx) => {
      const locked = await repo.lockWorkFile(tx, file.id)
      if (!locked || locked.status !== 'open')
        throw new ConflictError('Hồ sơ vừa được kết thúc; không bỏ văn bản được nữa.')
      if ((await repo.unfileDocument(tx, file.id, ref)) === 0)
        throw new NotFoundError('Không tìm thấy văn bản trong hồ sơ.')
      await repo.updateWorkFile(tx, file.id, { updated_at: now })
      await repo.appendWorkFileHistory(tx, {
        work_file_id: file.id,
        action: 'remove_document',
        actor_id: actor.userId,
        actor_name: actor.fullName,
        note: null,
        details: JSON.stringify({ [ref.kind]: ref.id }),
        at: now,
      })
      await appendAudit(
        tx,
        ctx,
        {
          action: 'work_file.document_removed',
          objectType: 'work_file',
          objectId: file.id,
          unitId: unit.id,
          details: { [ref.kind]: ref.id },
        },
        now,
      )
    })
  }

  /**
   * Ends a work file (kết thúc hồ sơ): measured in the closing transaction, so the share of files processed
   * electronically is what the file held when it was closed. An empty file is not closed.
   */
  async function close(actor: Actor, ctx: AuditContext, id: string, raw: { note?: unknown } = {}) {
    const { file, unit } = await visibleWorkFile(actor, id)
    check(actor, file, unit, 'close')
    const note = text(raw.note) || null
    if (note && note.length > 2000) throw new ValidationError({ note: 'Ghi chú tối đa 2000 ký tự.' })
    const now = clock()
    return inTransaction(db, async (tx) => {
      const locked = await repo.lockWorkFile(tx, file.id)
      if (!locked || locked.status !== 'open') throw new ConflictError('Hồ sơ vừa được người khác kết thúc.')
      const { total, electronic } = await repo.measure(tx, file.id)
      if (total === 0)
        throw new ValidationError({ documentId: 'Hồ sơ chưa có văn bản nào; chưa kết thúc được.' })
      const processed = electronic === total
      const closedOn = localDateOf(now)
      const updated = await repo.updateWorkFile(tx, file.id, {
        status: 'closed',
        closed_on: closedOn < locked.opened_on ? locked.opened_on : closedOn,
        documents_count: total,
        electronic_count: electronic,
        processed_electronically: processed,
        updated_at: now,
      })
      await repo.appendWorkFileHistory(tx, {
        work_file_id: file.id,
        action: 'close',
        actor_id: actor.userId,
        actor_name: actor.fullName,
        note,
        details: JSON.stringify({ documents: total, electronic, processedElectronically: processed }),
        at: now,
      })
      await emitEvent(tx, 'work_file.closed', {
        id: file.id,
        unitId: unit.id,
        year: file.year,
        documents: total,
        electronic,
        processedElectronically: processed,
        at: now.toISOString(),
      })
      await appendAudit(
        tx,
        ctx,
        {
          action: 'work_file.closed',
          objectType: 'work_file',
          objectId: file.id,
          unitId: unit.id,
          details: { documents: total, electronic },
        },
        now,
      )
      return updated
    })
  }

  /** A leader reopens a closed work file that is not yet archived, saying why; its measure is dropped. */
  async function reopen(actor: Actor, ctx: AuditContext, id: string, raw: { note?: unknown }) {
    const { file, unit } = await visibleWorkFile(actor, id)
    check(actor, file, unit, 'reopen')
    const note = text(raw.note)
    if (!note) throw new ValidationError({ note: 'Nhập lý do mở lại hồ sơ.' })
    if (note.length > 2000) throw new ValidationError({ note: 'Lý do tối đa 2000 ký tự.' })
    const now = clock()
    return inTransaction(db, async (tx) => {
      const locked = await repo.lockWorkFile(tx, file.id)
      if (!locked || locked.status !== 'closed')
        throw new ConflictError('Hồ sơ vừa được nộp lưu hoặc mở lại.')
      const updated = await repo.updateWorkFile(tx, file.id, {
        status: 'open',
        closed_on: null,
        documents_count: null,
        electronic_count: null,
        processed_electronically: null,
        updated_at: now,
      })
      await repo.appendWorkFileHistory(tx, {
        work_file_id: file.id,
        action: 'reopen',
        actor_id: actor.userId,
        actor_name: actor.fullName,
        note,
        details: JSON.stringify({}),
        at: now,
      })
      await emitEvent(tx, 'work_file.reopened', {
        id: file.id,
        unitId: unit.id,
        year: file.year,
        at: now.toISOString(),
      })
      await appendAudit(
        tx,
        ctx,
        {
          action: 'work_file.reopened',
          objectType: 'work_file',
          objectId: file.id,
          unitId: unit.id,
          details: {},
        },
        now,
      )
      return updated
    })
  }

  /** Hands a closed work file to the archive (nộp lưu): from then on nothing in it changes. */
  async function archive(actor: Actor, ctx: AuditContext, id: string) {
    const { file, unit } = await visibleWorkFile(actor, id)
    check(actor, file, unit, 'archive')
    const now = clock()
    return inTransaction(db, async (tx) => {
      const locked = await repo.lockWorkFile(tx, file.id)
      if (!locked || locked.status !== 'closed')
        throw new ConflictError('Hồ sơ vừa được mở lại hoặc nộp lưu.')
      const updated = await repo.updateWorkFile(tx, file.id, {
        status: 'archived',
        archived_at: now,
        updated_at: now,
      })
      await repo.appendWorkFileHistory(tx, {
        work_file_id: file.id,
        action: 'archive',
        actor_id: actor.userId,
        actor_name: actor.fullName,
        note: null,
        details: JSON.stringify({}),
        at: now,
      })
      await emitEvent(tx, 'work_file.archived', {
        id: file.id,
        unitId: unit.id,
        year: file.year,
        processedElectronically: locked.processed_electronically ?? false,
        at: now.toISOString(),
      })
      await appendAudit(
        tx,
        ctx,
        {
          action: 'work_file.archived',
          objectType: 'work_file',
          objectId: file.id,
          unitId: unit.id,
          details: {},
        },
        now,
      )
      return updated
    })
  }

  /**
   * The share of work files processed electronically in a year, per unit and per level (province, district,
   * commune), against the plan's targets. Counted over finished (closed or archived) files, as measured when
   * each was closed; open files are shown beside. Aggregate figures only: any official may read them.
   */
  async function stats(actor: Actor, raw: { year?: unknown }) {
    authorize(actor, Permission.backofficeAccess)
    const thisYear = Number(localDateOf(clock()).slice(0, 4))
    const yearText = text(typeof raw.year === 'number' ? String(raw.year) : raw.year)
    const year = yearText ? Number(yearText) : thisYear
    if (!/^\d{4}$/.test(String(year)) || year < 2000 || year > 2200)
      throw new ValidationError({ year: 'Năm không hợp lệ (bốn chữ số, ví dụ 2026).' })
    const [units, counts] = await Promise.all([organisation.listUnits({}), repo.countsByUnit(db, year)])
    const byId = new Map(units.map((u) => [u.id, u]))
    const plan = targetsFor(year)
    const rows = counts
      .map((c) => {
        const unit = byId.get(c.unitId)
        const level = unit ? levelOf(unit, byId) : ('province' as Level)
        const ratio = share(c.electronic, c.finished)
        const target = plan?.targets[level] ?? null
        return {
          unitId: c.unitId,
          unitName: unit?.name ?? '',
          level,
          open: c.open,
          finished: c.finished,
          electronic: c.electronic,
          share: ratio,
          target,
          met: ratio === null || target === null ? null : ratio >= target,
        }
      })
      .sort(
        (a, b) =>
          LEVELS.indexOf(a.level) - LEVELS.indexOf(b.level) || a.unitName.localeCompare(b.unitName, 'vi'),
      )
    const levels = LEVELS.map((level) => {
      const of = rows.filter((r) => r.level === level)
      const finished = of.reduce((s, r) => s + r.finished, 0)
      const electronic = of.reduce((s, r) => s + r.electronic, 0)
      const ratio = share(electronic, finished)
      const target = plan?.targets[level] ?? null
      return {
        level,
        units: of.length,
        open: of.reduce((s, r) => s + r.open, 0),
        finished,
        electronic,
        share: ratio,
        target,
        met: ratio === null || target === null ? null : ratio >= target,
      }
    })
    return { year, source: plan?.source ?? null, levels, units: rows }
  }

  return {
    choices,
    list,
    create,
    get,
    candidates,
    addDocument,
    removeDocument,
    close,
    reopen,
    archive,
    stats,
  }
}

export type WorkFilesService = ReturnType<typeof createWorkFilesService>
