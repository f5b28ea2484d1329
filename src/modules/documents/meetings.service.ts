import type { Readable } from 'node:stream'
import { appendAudit, type AuditContext } from '../../platform/audit/audit.js'
import { authorize, ForbiddenError, type Actor } from '../../platform/auth/actor.js'
import { Permission } from '../../platform/auth/roles.js'
import { localDateOf, localInstant, VN_UTC_OFFSET_MINUTES } from '../../platform/calendar/index.js'
import type { Clock } from '../../platform/clock.js'
import { inTransaction, type Db, type Queryable } from '../../platform/db/database.js'
import { emitEvent } from '../../platform/events/outbox.js'
import {
  ConflictError,
  inFormOrder,
  NotFoundError,
  ValidationError,
  type FieldErrors,
} from '../../platform/http/errors.js'
import type { OrganisationService } from '../organisation/index.js'
import {
  discardAttachments,
  storeAttachment,
  type FileStoreDeps,
  type StoredAttachment,
} from './document-files.js'
import { text } from './document-input.js'
import * as docs from './documents.repository.js'
import * as repo from './meetings.repository.js'
import type { AttendeeResponse } from './meetings.tables.js'
import { documentScope, officialsOf, type UnitOfficials } from './work-files.scope.js'

/** What a notice to the people of a meeting says: invited, changed, called off, taken off the list. */
export const MeetingNoticeKind = {
  invitation: 'invitation',
  change: 'change',
  cancellation: 'cancellation',
  withdrawn: 'withdrawn',
} as const
export type MeetingNoticeKind = (typeof MeetingNoticeKind)[keyof typeof MeetingNoticeKind]

/** The fields of a meeting whose change is told to its attendees, each with the former and new value. */
export const CHANGE_FIELDS = ['title', 'startsAt', 'endsAt', 'place', 'videoUrl', 'agenda', 'chair'] as const
export type MeetingChangeField = (typeof CHANGE_FIELDS)[number]
/** Times as ISO instants, the agenda as its items joined by "; ", the chair by name; null for no value. */
export type MeetingChange = { field: MeetingChangeField; before: string | null; after: string | null }

declare module '../../platform/events/outbox.js' {
  interface DomainEvents {
    /**
     * Officials to write to about a meeting (`recipients`, user ids; the notifications module reads their
     * addresses, so none travels in the outbox): `invitation` (convened, or invited later), `change` (what
     * changed, old → new, in `changes`; `reconfirm` when the time moved and answers were reset),
     * `cancellation` (called off, `reason`), `withdrawn` (taken off the list; `reason` is the organiser's note).
     * `documents` are the titles of the meeting's documents, never those of a confidential or urgent document.
     * The one who acted is not written to.
     */
    'meeting.notice': {
      kind: MeetingNoticeKind
      meetingId: string
      unitId: string
      title: string
      startsAt: string
      endsAt: string | null
      place: string
      videoUrl: string | null
      chairName: string
      organiserName: string
      agenda: string[]
      documents: string[]
      changes: MeetingChange[]
      reason: string | null
      reconfirm: boolean
      recipients: string[]
      at: string
    }
  }
}

export type MeetingsDeps = {
  db: Db
  clock: Clock
  organisation: OrganisationService
  officials: UnitOfficials
  files: FileStoreDeps
}

export const MEETING_FIELDS = [
  'unitId',
  'title',
  'startsAt',
  'endsAt',
  'place',
  'chairId',
  'guestUnitIds',
  'attendeeIds',
  'agenda',
  'videoUrl',
  'note',
]

/** What an attendee who may not read a linked document sees in its place (the history's note, the API). */
export const RESTRICTED_DOCUMENT_NOTE = 'Tài liệu đã được giới hạn quyền xem'

const MAX_ATTENDEES = 100
const MAX_AGENDA = 30
const MAX_DOCUMENTS = 30

export const meetingActionLabel: Record<string, string> = {
  created: 'Tạo cuộc họp, mời người dự',
  document_added: 'Thêm tài liệu họp',
  responded: 'Xác nhận tham dự',
  minutes_recorded: 'Ghi biên bản họp',
  cancelled: 'Hủy cuộc họp',
  edited: 'Sửa cuộc họp',
  document_removed: 'Gỡ tài liệu họp',
}

/** The value of a datetime-local field for an instant: "YYYY-MM-DDTHH:mm" in Việt Nam time. */
export function localInputValue(at: Date | null): string {
  return at ? new Date(at.getTime() + VN_UTC_OFFSET_MINUTES * 60_000).toISOString().slice(0, 16) : ''
}

/** An agenda item as one line, "title — presenter", as the form takes it and the e-mails show it. */
export const agendaLine = (a: { title: string; presenter: string | null }) =>
  a.presenter ? `${a.title} — ${a.presenter}` : a.title

/**
 * A time as a person gives it: "YYYY-MM-DDTHH:mm" (a form's datetime-local, Việt Nam time) or an ISO
 * instant with its offset (the API). Undefined when it is neither.
 */
export function parseMeetingTime(value: string): Date | undefined {
  const local = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})$/.exec(value)
  if (local) {
    try {
      const at = localInstant(local[1]!, local[2])
      return Number.isNaN(at.getTime()) || localDateOf(at) !== local[1] ? undefined : at
    } catch {
      // Not a day of the calendar (30 February).
      return undefined
    }
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    const at = new Date(value)
    return Number.isNaN(at.getTime()) ? undefined : at
  }
  return undefined
}

/** Only an https link to a video-conference service; anything else could be a trap for the attendees. */
export function parseVideoUrl(value: string): string | null | undefined {
  if (!value) return null
  try {
    const url = new URL(value)
    if (url.protocol !== 'https:' || !url.hostname || url.username || url.password) return undefined
    return value.length <= 500 ? url.toString() : undefined
  } catch {
    return undefined
  }
}

/** Agenda from a form (one item per line, "title — presenter") or the API (objects). */
function parseAgenda(raw: unknown): { title: string; presenter: string | null }[] {
  if (Array.isArray(raw)) {
    return raw.map((item: unknown) => {
      const o = (typeof item === 'object' && item !== null ? item : { title: item }) as {
        title?: unknown
        presenter?: unknown
      }
      return { title: text(o.title), presenter: text(o.presenter) || null }
    })
  }
  return String(typeof raw === 'string' ? raw : '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [title, presenter] = line.split(/\s+[—–-]\s+/, 2)
      return { title: text(title), presenter: text(presenter) || null }
    })
}

const list = (raw: unknown): string[] =>
  (Array.isArray(raw) ? raw : raw === undefined || raw === '' ? [] : [raw])
    .map((v) => text(v))
    .filter(Boolean)

/** Paperless meetings: invitations, agenda, documents before the meeting, attendance, minutes, history. */
export function createMeetingsService(deps: MeetingsDeps) {
  const { db, clock, organisation, officials } = deps

  async function scopeOf(actor: Actor) {
    authorize(actor, Permission.backofficeAccess)
    const units = await organisation.listUnits({})
    return { ...documentScope(actor, units), units }
  }

  /** Organiser, chair or invited: anyone else is told the meeting does not exist. */
  async function visibleMeeting(actor: Actor, id: string) {
    const meeting = await repo.findMeeting(db, id)
    const mine =
      meeting &&
      (meeting.organiser_id === actor.userId ||
        meeting.chair_id === actor.userId ||
        (await repo.isAttendee(db, meeting.id, actor.userId)))
    if (!meeting || !mine) throw new NotFoundError('Không tìm thấy cuộc họp.')
    return meeting
  }

  /**
   * Units the actor organises meetings for, and the officials they may invite: those of their own units,
   * and of other units they name (`guestUnitIds`), so a department can invite a commune's officials.
   */
  async function choices(actor: Actor, guestUnitIds: readonly string[] = []) {
    const scope = await scopeOf(actor)
    const today = localDateOf(clock())
    const active = scope.units.filter((u) => u.validTo === null || u.validTo >= today)
    const units = active.filter((u) => scope.officialUnits.includes(u.id))
    const guests = active.filter((u) => guestUnitIds.includes(u.id) && !units.includes(u))
    const others = (await officialsOf(officials, [...units, ...guests])).filter((p) => p.id !== actor.userId)
    return {
      units,
      guests,
      allUnits: active,
      people: [{ id: actor.userId, fullName: actor.fullName }, ...others],
    }
  }

  /**
   * Writes a notice to `recipients` (the actor left out) in the caller's transaction, with the meeting as it
   * is in that transaction. A linked document that is confidential or urgent is left out of `documents`.
   */
  async function notify(
    tx: Queryable,
    actor: Actor,
    meeting: repo.MeetingRow,
    kind: MeetingNoticeKind,
    recipients: readonly string[],
    now: Date,
    extra: { changes?: MeetingChange[]; reason?: string | null; reconfirm?: boolean } = {},
  ) {
    const to = [...new Set(recipients)].filter((id) => id !== actor.userId)
    if (to.length === 0) return
    const agenda = await repo.listAgenda(tx, meeting.id)
    const documents = await repo.listMeetingDocuments(tx, meeting.id)
    await emitEvent(tx, 'meeting.notice', {
      kind,
      meetingId: meeting.id,
      unitId: meeting.unit_id,
      title: meeting.title,
      startsAt: meeting.starts_at.toISOString(),
      endsAt: meeting.ends_at?.toISOString() ?? null,
      place: meeting.place,
      videoUrl: meeting.video_url,
      chairName: meeting.chair_name,
      organiserName: meeting.organiser_name,
      agenda: agenda.map(agendaLine),
      documents: documents.filter((d) => !(d.document_id && d.restricted)).map((d) => d.title),
      changes: extra.changes ?? [],
      reason: extra.reason ?? null,
      reconfirm: extra.reconfirm ?? false,
      recipients: to,
      at: now.toISOString(),
    })
  }

  async function mine(actor: Actor, limit = 200) {
    authorize(actor, Permission.backofficeAccess)
    return repo.meetingsOf(db, actor.userId, clock(), limit)
  }

  /** Convenes a meeting: its officials are invited (the chair among them) and see it from now on. */
  async function create(actor: Actor, ctx: AuditContext, raw: Record<string, unknown>) {
    const guestUnitIds = list(raw.guestUnitIds)
    const { units, allUnits, people: invitable } = await choices(actor, guestUnitIds)
    const errors: FieldErrors = {}
    if (guestUnitIds.some((id) => !allUnits.some((u) => u.id === id)))
      errors.guestUnitIds = 'Chọn đơn vị được mời trong danh sách đơn vị đang hoạt động.'
    const now = clock()
    const unitId = text(raw.unitId) || (units.length === 1 ? units[0]!.id : '')
    const unit = units.find((u) => u.id === unitId)
    if (!unit) errors.unitId = 'Chọn đơn vị tổ chức cuộc họp.'
    const title = text(raw.title)
    if (title.length < 2 || title.length > 500) errors.title = 'Tên cuộc họp từ 2 đến 500 ký tự.'
    const startsAt = parseMeetingTime(text(raw.startsAt))
    if (!startsAt) errors.startsAt = 'Nhập thời gian bắt đầu (ngày và giờ).'
    else if (startsAt.getTime() <= now.getTime()) errors.startsAt = 'Thời gian bắt đầu phải sau bây giờ.'
    const endsText = text(raw.endsAt)
    const endsAt = endsText ? parseMeetingTime(endsText) : null
    if (endsAt === undefined) errors.endsAt = 'Thời gian kết thúc không hợp lệ.'
    else if (endsAt && startsAt && endsAt <= startsAt)
      errors.endsAt = 'Thời gian kết thúc phải sau thời gian bắt đầu.'
    const place = text(raw.place)
    if (place.length < 2 || place.length > 300) errors.place = 'Nhập địa điểm họp (2 đến 300 ký tự).'
    const byId = new Map(invitable.map((p) => [p.id, p]))
    const chair = byId.get(text(raw.chairId) || actor.userId)
    if (!chair) errors.chairId = 'Chọn người chủ trì trong danh sách.'
    const attendeeIds = [...new Set(list(raw.attendeeIds))]
    const unknown = attendeeIds.filter((id) => !byId.has(id))
    if (unknown.length > 0) errors.attendeeIds = 'Chỉ mời được các cán bộ trong danh sách.'
    else if (attendeeIds.length > MAX_ATTENDEES) errors.attendeeIds = `Tối đa ${MAX_ATTENDEES} người dự họp.`
    const agenda = parseAgenda(raw.agenda)
    if (agenda.length === 0) errors.agenda = 'Nhập ít nhất một nội dung họp (mỗi dòng một nội dung).'
    else if (agenda.length > MAX_AGENDA) errors.agenda = `Tối đa ${MAX_AGENDA} nội dung họp.`
    else if (
      agenda.some((a) => a.title.length < 2 || a.title.length > 500 || (a.presenter?.length ?? 0) > 200)
    )
      errors.agenda = 'Mỗi nội dung họp từ 2 đến 500 ký tự; người trình bày tối đa 200 ký tự.'
    const videoUrl = parseVideoUrl(text(raw.videoUrl))
    if (videoUrl === undefined)
      errors.videoUrl =
        'Đường dẫn họp trực tuyến phải là địa chỉ https:// hợp lệ (ví dụ https://meet.caobang.gov.vn/phong-1).'
    if (Object.keys(errors).length > 0 || !unit || !chair || !startsAt)
      throw new ValidationError(inFormOrder(errors, MEETING_FIELDS))
    const attendees = [...new Set([chair.id, ...attendeeIds])].map((id) => byId.get(id)!)
    return inTransaction(db, async (tx) => {
      const meeting = await repo.insertMeeting(tx, {
        unit_id: unit.id,
        title,
        starts_at: startsAt,
        ends_at: endsAt ?? null,
        place,
        video_url: videoUrl ?? null,
        chair_id: chair.id,
        chair_name: chair.fullName,
        organiser_id: actor.userId,
        organiser_name: actor.fullName,
        status: 'scheduled',
        minutes: null,
        minutes_by: null,
        minutes_at: null,
      })
      await repo.insertAttendees(
        tx,
        attendees.map((p) => ({
          meeting_id: meeting.id,
          user_id: p.id,
          name: p.fullName,
          response: 'pending' as const,
          response_note: null,
          responded_at: null,
        })),
      )
      await repo.insertAgenda(
        tx,
        agenda.map((a, i) => ({
          meeting_id: meeting.id,
          position: i + 1,
          title: a.title,
          presenter: a.presenter,
        })),
      )
      await repo.appendMeetingHistory(tx, {
        meeting_id: meeting.id,
        action: 'created',
        actor_id: actor.userId,
        actor_name: actor.fullName,
        note: null,
        details: JSON.stringify({ attendees: attendees.length, agenda: agenda.length }),
        at: now,
      })
      await appendAudit(
        tx,
        ctx,
        {
          action: 'meeting.created',
          objectType: 'meeting',
          objectId: meeting.id,
          unitId: unit.id,
          details: { attendees: attendees.map((a) => a.id), startsAt: startsAt.toISOString() },
        },
        now,
      )
      await notify(
        tx,
        actor,
        meeting,
        MeetingNoticeKind.invitation,
        attendees.map((a) => a.id),
        now,
      )
      return meeting
    })
  }

  /** What the actor may do with a meeting now. */
  function permissions(actor: Actor, meeting: repo.MeetingRow, attending: boolean, now: Date) {
    const before = now < meeting.starts_at
    const scheduled = meeting.status === 'scheduled'
    const organiser = meeting.organiser_id === actor.userId
    return {
      addDocuments: organiser && scheduled,
      removeDocuments: organiser && scheduled,
      edit: organiser && scheduled && !(meeting.ends_at && now >= meeting.ends_at),
      respond: attending && scheduled && before,
      recordMinutes:
        (organiser || meeting.chair_id === actor.userId) && meeting.status !== 'cancelled' && !before,
      cancel: organiser && scheduled && before,
    }
  }

  /**
   * The linked documents of a meeting that the actor may not see: those that have since become confidential
   * or urgent, unless the documents' own rule lets the actor read them (their unit's leaders, assignees).
   */
  async function hiddenDocuments(actor: Actor, meetingId: string) {
    const restricted = (await repo.linkedDocumentsOf(db, meetingId)).filter((d) => d.restricted)
    const hidden = new Set<string>()
    if (restricted.length === 0) return hidden
    const { scope } = await scopeOf(actor)
    for (const d of restricted) if (!(await docs.isVisible(db, scope, d.id))) hidden.add(d.id)
    return hidden
  }

  /**
   * A meeting with its attendees, agenda, documents and history. A linked document that has since become
   * confidential or urgent is left out for attendees who may not see it under the documents' own rule, and the
   * history entries naming it (its title holds its number, notation and summary) say only that it is restricted
   * (`restricted: true`, the note replaced by `RESTRICTED_DOCUMENT_NOTE`).
   */
  async function get(actor: Actor, id: string) {
    const meeting = await visibleMeeting(actor, id)
    const [attendees, agenda, documents, history, hidden] = await Promise.all([
      repo.listAttendees(db, meeting.id),
      repo.listAgenda(db, meeting.id),
      repo.listMeetingDocuments(db, meeting.id),
      repo.listMeetingHistory(db, meeting.id),
      hiddenDocuments(actor, id),
    ])
    const shown = []
    for (const d of documents) {
      if (d.document_id && hidden.has(d.document_id)) continue
      const files = d.document_id ? await docs.listFiles(db, d.document_id) : []
      shown.push({ ...d, files: files.map((f) => ({ id: f.id, fileName: f.file_name, size: f.size })) })
    }
    const attending = attendees.some((a) => a.user_id === actor.userId)
    return {
      meeting,
      attendees,
      agenda,
      documents: shown,
      history: history.map((h) => {
        const linked = (h.details as { linked?: unknown }).linked
        return typeof linked === 'string' && hidden.has(linked)
          ? { ...h, note: RESTRICTED_DOCUMENT_NOTE, restricted: true }
          : { ...h, restricted: false }
      }),
      me: attendees.find((a) => a.user_id === actor.userId),
      can: permissions(actor, meeting, attending, clock()),
    }
  }

  async function storeUpload(stream: Readable | Buffer, fileName: string) {
    return storeAttachment(deps.files, stream, fileName, clock())
  }

  /**
   * The organiser adds a document before the meeting: an uploaded file, or a link to a registered
   * document they may see. A confidential or urgent document is not linked: its readers are fixed by the
   * documents' rule, so the organiser attaches an extract instead.
   */
  async function addDocument(
    actor: Actor,
    ctx: AuditContext,
    id: string,
    raw: { title?: unknown; documentId?: unknown },
    file?: StoredAttachment,
  ) {
    try {
      const meeting = await visibleMeeting(actor, id)
      const now = clock()
      if (!permissions(actor, meeting, false, now).addDocuments) {
        if (meeting.organiser_id !== actor.userId)
          throw new ForbiddenError(
            Permission.backofficeAccess,
            meeting.unit_id,
            'Chỉ người tổ chức thêm được tài liệu họp.',
          )
        throw new ConflictError('Cuộc họp đã diễn ra hoặc đã hủy; không thêm tài liệu được nữa.')
      }
      const documentId = text(raw.documentId)
      const errors: FieldErrors = {}
      let linked: docs.DocumentRow | undefined
      if (documentId && file) errors.documentId = 'Chọn một trong hai: tải tệp lên hoặc chọn văn bản.'
      else if (documentId) {
        linked = await docs.findDocument(db, documentId)
        const { scope } = await scopeOf(actor)
        if (!linked || !(await docs.isVisible(db, scope, linked.id)))
          errors.documentId = 'Chọn một văn bản bạn được xem.'
        else if (linked.restricted)
          errors.documentId =
            'Văn bản mật hoặc khẩn chỉ người được giao xử lý được xem; hãy đính kèm bản trích gửi người dự họp.'
      } else if (!file) errors.file = 'Chọn tệp tài liệu hoặc một văn bản đã vào sổ.'
      const title =
        text(raw.title) ||
        (linked ? `${linked.code_number}/${linked.code_notation}: ${linked.summary}` : (file?.fileName ?? ''))
      if (title.length > 500) errors.title = 'Tên tài liệu tối đa 500 ký tự.'
      if (Object.keys(errors).length > 0) throw new ValidationError(errors)
      return await inTransaction(db, async (tx) => {
        const locked = await repo.lockMeeting(tx, meeting.id)
        if (!locked || locked.status !== 'scheduled') throw new ConflictError('Cuộc họp vừa bị hủy.')
        if ((await repo.countMeetingDocuments(tx, meeting.id)) >= MAX_DOCUMENTS)
          throw new ValidationError({ file: `Mỗi cuộc họp tối đa ${MAX_DOCUMENTS} tài liệu.` })
        const position = await repo.nextDocumentPosition(tx, meeting.id)
        const row = await repo
          .insertMeetingDocument(tx, {
            meeting_id: meeting.id,
            position,
            title: title.slice(0, 500),
            document_id: linked?.id ?? null,
            file_name: file?.fileName ?? null,
            mime: file?.mime ?? null,
            size: file?.size ?? null,
            sha256: file?.sha256 ?? null,
            object_key: file?.key ?? null,
            scanned: file?.scanned ?? null,
            added_by: actor.userId,
            added_at: now,
          })
          .catch((error: unknown) => {
            if ((error as { code?: string }).code === '23505')
              throw new ValidationError({ documentId: 'Văn bản này đã có trong tài liệu họp.' })
            throw error
          })
        await repo.appendMeetingHistory(tx, {
          meeting_id: meeting.id,
          action: 'document_added',
          actor_id: actor.userId,
          actor_name: actor.fullName,
          note: row.title,
          details: JSON.stringify({ document: row.id, linked: linked?.id ?? null }),
          at: now,
        })
        await appendAudit(
          tx,
          ctx,
          {
            action: 'meeting.document_added',
            objectType: 'meeting',
            objectId: meeting.id,
            unitId: meeting.unit_id,
            details: { document: row.id, linked: linked?.id ?? null },
          },
          now,
        )
        return row
      })
    } catch (error) {
      if (file) await discardAttachments(deps.files.store, [file])
      throw error
    }
  }

  /** A meeting document's file for the meeting's people: an uploaded file, or a file of a linked document. */
  async function openFile(
    actor: Actor,
    ctx: AuditContext,
    id: string,
    meetingDocumentId: string,
    fileId?: string,
  ) {
    const view = await get(actor, id)
    const item = view.documents.find((d) => d.id === meetingDocumentId)
    if (!item) throw new NotFoundError('Không tìm thấy tài liệu họp.')
    if (item.object_key) {
      return {
        file: { fileName: item.file_name ?? 'tai-lieu', mime: item.mime ?? 'application/octet-stream' },
        stream: await deps.files.store.get(item.object_key),
      }
    }
    const file = fileId && item.document_id ? await docs.findFile(db, item.document_id, fileId) : undefined
    if (!file) throw new NotFoundError('Không tìm thấy tệp.')
    await appendAudit(db, ctx, {
      action: 'meeting.file_downloaded',
      objectType: 'document_file',
      objectId: file.id,
      unitId: view.meeting.unit_id,
      details: { meeting: view.meeting.id, document: item.document_id },
    })
    return {
      file: { fileName: file.file_name, mime: file.mime },
      stream: await deps.files.store.get(file.object_key),
    }
  }

  /** An invited official confirms or declines before the meeting starts. */
  async function respond(
    actor: Actor,
    ctx: AuditContext,
    id: string,
    raw: { response?: unknown; note?: unknown },
  ) {
    const meeting = await visibleMeeting(actor, id)
    const response = text(raw.response) as AttendeeResponse
    const note = text(raw.note) || null
    const errors: FieldErrors = {}
    if (response !== 'accepted' && response !== 'declined')
      errors.response = 'Chọn tham dự hoặc không tham dự.'
    if (response === 'declined' && !note) errors.note = 'Nhập lý do không tham dự.'
    if (note && note.length > 1000) errors.note = 'Nội dung tối đa 1000 ký tự.'
    if (Object.keys(errors).length > 0) throw new ValidationError(errors)
    if (!(await repo.isAttendee(db, meeting.id, actor.userId)))
      throw new ConflictError('Bạn không có trong danh sách mời dự họp.')
    const now = clock()
    if (meeting.status !== 'scheduled' || now >= meeting.starts_at)
      throw new ConflictError('Cuộc họp đã bắt đầu, đã diễn ra hoặc đã hủy; không xác nhận được nữa.')
    await inTransaction(db, async (tx) => {
      await repo.updateAttendee(tx, meeting.id, actor.userId, {
        response,
        response_note: note,
        responded_at: now,
      })
      await repo.appendMeetingHistory(tx, {
        meeting_id: meeting.id,
        action: 'responded',
        actor_id: actor.userId,
        actor_name: actor.fullName,
        note,
        details: JSON.stringify({ response }),
        at: now,
      })
      await appendAudit(
        tx,
        ctx,
        {
          action: 'meeting.responded',
          objectType: 'meeting',
          objectId: meeting.id,
          unitId: meeting.unit_id,
          details: { response },
        },
        now,
      )
    })
  }

  /** The organiser or the chair records the minutes (biên bản) once the meeting has started; it is then held. */
  async function recordMinutes(actor: Actor, ctx: AuditContext, id: string, raw: { minutes?: unknown }) {
    const meeting = await visibleMeeting(actor, id)
    const minutes = typeof raw.minutes === 'string' ? raw.minutes.normalize('NFC').trim() : ''
    if (minutes.length < 10 || minutes.length > 50_000)
      throw new ValidationError({ minutes: 'Nhập nội dung biên bản họp (từ 10 đến 50.000 ký tự).' })
    const now = clock()
    if (!permissions(actor, meeting, false, now).recordMinutes) {
      if (meeting.organiser_id !== actor.userId && meeting.chair_id !== actor.userId)
        throw new ForbiddenError(
          Permission.backofficeAccess,
          meeting.unit_id,
          'Chỉ người tổ chức hoặc người chủ trì ghi biên bản họp.',
        )
      throw new ConflictError(
        meeting.status === 'cancelled'
          ? 'Cuộc họp đã hủy; không ghi biên bản.'
          : 'Cuộc họp chưa bắt đầu; biên bản được ghi khi họp.',
      )
    }
    return inTransaction(db, async (tx) => {
      const updated = await repo.updateMeeting(tx, meeting.id, {
        status: 'held',
        minutes,
        minutes_by: actor.fullName,
        minutes_at: now,
        updated_at: now,
      })
      await repo.appendMeetingHistory(tx, {
        meeting_id: meeting.id,
        action: 'minutes_recorded',
        actor_id: actor.userId,
        actor_name: actor.fullName,
        note: null,
        details: JSON.stringify({ length: minutes.length, amended: meeting.minutes !== null }),
        at: now,
      })
      await appendAudit(
        tx,
        ctx,
        {
          action: 'meeting.minutes_recorded',
          objectType: 'meeting',
          objectId: meeting.id,
          unitId: meeting.unit_id,
          details: { amended: meeting.minutes !== null },
        },
        now,
      )
      return updated
    })
  }

  /** The organiser calls a meeting off before it starts, saying why; attendees still see it, as cancelled. */
  async function cancel(actor: Actor, ctx: AuditContext, id: string, raw: { note?: unknown }) {
    const meeting = await visibleMeeting(actor, id)
    const note = text(raw.note)
    if (!note || note.length > 1000)
      throw new ValidationError({ cancelNote: 'Nhập lý do hủy cuộc họp (tối đa 1000 ký tự).' })
    const now = clock()
    if (!permissions(actor, meeting, false, now).cancel) {
      if (meeting.organiser_id !== actor.userId)
        throw new ForbiddenError(
          Permission.backofficeAccess,
          meeting.unit_id,
          'Chỉ người tổ chức hủy được cuộc họp.',
        )
      throw new ConflictError('Cuộc họp đã bắt đầu, đã diễn ra hoặc đã hủy.')
    }
    return inTransaction(db, async (tx) => {
      const locked = await repo.lockMeeting(tx, meeting.id)
      if (!locked || locked.status !== 'scheduled')
        throw new ConflictError('Cuộc họp đã bắt đầu, đã diễn ra hoặc đã hủy.')
      const updated = await repo.updateMeeting(tx, meeting.id, {
        status: 'cancelled',
        cancel_reason: note,
        cancelled_at: now,
        updated_at: now,
      })
      await repo.appendMeetingHistory(tx, {
        meeting_id: meeting.id,
        action: 'cancelled',
        actor_id: actor.userId,
        actor_name: actor.fullName,
        note,
        details: JSON.stringify({}),
        at: now,
      })
      await appendAudit(
        tx,
        ctx,
        {
          action: 'meeting.cancelled',
          objectType: 'meeting',
          objectId: meeting.id,
          unitId: meeting.unit_id,
          details: {},
        },
        now,
      )
      const attendees = await repo.listAttendees(tx, meeting.id)
      await notify(
        tx,
        actor,
        updated,
        MeetingNoticeKind.cancellation,
        attendees.map((a) => a.user_id),
        now,
        { reason: note },
      )
      return updated
    })
  }

  /** Refuses a change by anyone but the organiser (403), and of a meeting held, cancelled or over (409). */
  function assertEditable(actor: Actor, meeting: repo.MeetingRow, now: Date) {
    if (meeting.organiser_id !== actor.userId)
      throw new ForbiddenError(
        Permission.backofficeAccess,
        meeting.unit_id,
        'Chỉ người tổ chức sửa được cuộc họp.',
      )
    if (meeting.status === 'held')
      throw new ConflictError('Cuộc họp đã diễn ra và đã có biên bản; không sửa được nữa.')
    if (meeting.status === 'cancelled') throw new ConflictError('Cuộc họp đã hủy; không sửa được nữa.')
    if (meeting.ends_at && now >= meeting.ends_at)
      throw new ConflictError('Cuộc họp đã kết thúc; không sửa được nữa.')
  }

  /** The meeting as the edit form starts from it; only for its organiser while it may still change. */
  async function editable(actor: Actor, id: string) {
    const view = await get(actor, id)
    assertEditable(actor, view.meeting, clock())
    return view
  }

  /**
   * The organiser changes a convened meeting: title, time, place, video link, agenda, the chair (another
   * official they may invite, or one invited already; invited too if not yet) and who is invited (the chair
   * always stays). Only the fields given change (the API); the form gives them all. Each edit is one
   * history entry with every change, old → new, and the people added and taken off. The attendees are told:
   * a change notice to those still invited, the invitation to those added, a notice that they are no longer
   * invited to those taken off. When the start moves, earlier answers no longer hold and go back to pending.
   * An edit that changes nothing writes nothing.
   */
  async function edit(actor: Actor, ctx: AuditContext, id: string, raw: Record<string, unknown>) {
    const meeting = await visibleMeeting(actor, id)
    const now = clock()
    assertEditable(actor, meeting, now)
    const given = (key: string) => raw[key] !== undefined
    const errors: FieldErrors = {}
    let title = meeting.title
    if (given('title')) {
      title = text(raw.title)
      if (title.length < 2 || title.length > 500) errors.title = 'Tên cuộc họp từ 2 đến 500 ký tự.'
    }
    let startsAt: Date | undefined = meeting.starts_at
    if (given('startsAt')) {
      startsAt = parseMeetingTime(text(raw.startsAt))
      if (!startsAt) errors.startsAt = 'Nhập thời gian bắt đầu (ngày và giờ).'
      else if (startsAt.getTime() !== meeting.starts_at.getTime() && startsAt.getTime() <= now.getTime())
        errors.startsAt = 'Thời gian bắt đầu mới phải sau bây giờ.'
    }
    let endsAt: Date | null | undefined = meeting.ends_at
    if (given('endsAt')) {
      const endsText = raw.endsAt === null ? '' : text(raw.endsAt)
      endsAt = endsText ? parseMeetingTime(endsText) : null
      if (endsAt === undefined) errors.endsAt = 'Thời gian kết thúc không hợp lệ.'
    }
    if (endsAt && startsAt && endsAt <= startsAt)
      errors.endsAt = 'Thời gian kết thúc phải sau thời gian bắt đầu.'
    let place = meeting.place
    if (given('place')) {
      place = text(raw.place)
      if (place.length < 2 || place.length > 300) errors.place = 'Nhập địa điểm họp (2 đến 300 ký tự).'
    }
    let videoUrl: string | null | undefined = meeting.video_url
    if (given('videoUrl')) {
      videoUrl = parseVideoUrl(raw.videoUrl === null ? '' : text(raw.videoUrl))
      if (videoUrl === undefined)
        errors.videoUrl =
          'Đường dẫn họp trực tuyến phải là địa chỉ https:// hợp lệ (ví dụ https://meet.caobang.gov.vn/phong-1).'
    }
    let agenda: { title: string; presenter: string | null }[] | undefined
    if (given('agenda')) {
      agenda = parseAgenda(raw.agenda)
      if (agenda.length === 0) errors.agenda = 'Nhập ít nhất một nội dung họp (mỗi dòng một nội dung).'
      else if (agenda.length > MAX_AGENDA) errors.agenda = `Tối đa ${MAX_AGENDA} nội dung họp.`
      else if (
        agenda.some((a) => a.title.length < 2 || a.title.length > 500 || (a.presenter?.length ?? 0) > 200)
      )
        errors.agenda = 'Mỗi nội dung họp từ 2 đến 500 ký tự; người trình bày tối đa 200 ký tự.'
    }
    // Who may be invited, or chair: the organiser's choices (with the guest units named now) and whoever is
    // invited already.
    let invited: Map<string, string> | undefined
    /** The chair this edit names, when not the current one. */
    let chair: { id: string; name: string } | undefined
    if (given('attendeeIds') || given('chairId')) {
      const guestUnitIds = list(raw.guestUnitIds)
      const { allUnits, people } = await choices(actor, guestUnitIds)
      if (guestUnitIds.some((unitId) => !allUnits.some((u) => u.id === unitId)))
        errors.guestUnitIds = 'Chọn đơn vị được mời trong danh sách đơn vị đang hoạt động.'
      const byId = new Map(people.map((p) => [p.id, p.fullName]))
      for (const a of await repo.listAttendees(db, meeting.id)) byId.set(a.user_id, a.name)
      const chairId = text(raw.chairId) || meeting.chair_id
      if (chairId !== meeting.chair_id) {
        const name = byId.get(chairId)
        if (name === undefined) errors.chairId = 'Chọn người chủ trì trong danh sách.'
        else chair = { id: chairId, name }
      }
      if (given('attendeeIds')) {
        const ids = [...new Set([chair?.id ?? meeting.chair_id, ...list(raw.attendeeIds)])]
        if (ids.some((userId) => !byId.has(userId)))
          errors.attendeeIds = 'Chỉ mời được các cán bộ trong danh sách.'
        else if (ids.length > MAX_ATTENDEES + 1) errors.attendeeIds = `Tối đa ${MAX_ATTENDEES} người dự họp.`
        invited = new Map(ids.map((userId) => [userId, byId.get(userId) ?? '']))
      }
    }
    const note = text(raw.note) || null
    if (note && note.length > 1000) errors.note = 'Ghi chú tối đa 1000 ký tự.'
    if (Object.keys(errors).length > 0 || !startsAt || endsAt === undefined || videoUrl === undefined)
      throw new ValidationError(inFormOrder(errors, MEETING_FIELDS))

    return inTransaction(db, async (tx) => {
      // A second organiser's tab, the minutes or a cancellation may have come first.
      const current = await repo.lockMeeting(tx, meeting.id)
      if (!current) throw new NotFoundError('Không tìm thấy cuộc họp.')
      assertEditable(actor, current, now)
      const iso = (at: Date | null) => at?.toISOString() ?? null
      const changes: MeetingChange[] = []
      const compare = (field: MeetingChangeField, before: string | null, after: string | null) => {
        if (before !== after) changes.push({ field, before, after })
      }
      compare('title', current.title, title)
      compare('startsAt', iso(current.starts_at), iso(startsAt))
      compare('endsAt', iso(current.ends_at), iso(endsAt))
      compare('place', current.place, place)
      compare('videoUrl', current.video_url, videoUrl)
      if (agenda) {
        const before = (await repo.listAgenda(tx, meeting.id)).map(agendaLine).join('; ')
        compare('agenda', before, agenda.map(agendaLine).join('; '))
      }
      // Only a chair named in this edit changes it: one changed meanwhile in another tab stays.
      const newChair = chair && chair.id !== current.chair_id ? chair : undefined
      if (newChair) changes.push({ field: 'chair', before: current.chair_name, after: newChair.name })
      const attendees = await repo.listAttendees(tx, meeting.id)
      // A new chair is invited with the others when the list is not given.
      const target =
        invited ??
        (newChair
          ? new Map([...attendees.map((a) => [a.user_id, a.name] as const), [newChair.id, newChair.name]])
          : undefined)
      const added = target
        ? [...target].filter(([userId]) => !attendees.some((a) => a.user_id === userId))
        : []
      const removed = target ? attendees.filter((a) => !target.has(a.user_id)) : []
      if (changes.length === 0 && added.length === 0 && removed.length === 0)
        return { meeting: current, changes, added: [], removed: [] }

      const reconfirm = changes.some((c) => c.field === 'startsAt')
      const updated = await repo.updateMeeting(tx, meeting.id, {
        title,
        starts_at: startsAt,
        ends_at: endsAt,
        place,
        video_url: videoUrl,
        chair_id: newChair?.id ?? current.chair_id,
        chair_name: newChair?.name ?? current.chair_name,
        updated_at: now,
      })
      if (agenda && changes.some((c) => c.field === 'agenda'))
        await repo.replaceAgenda(
          tx,
          meeting.id,
          agenda.map((a, i) => ({ meeting_id: meeting.id, position: i + 1, ...a })),
        )
      await repo.deleteAttendees(
        tx,
        meeting.id,
        removed.map((a) => a.user_id),
      )
      if (reconfirm) await repo.resetResponses(tx, meeting.id)
      await repo.insertAttendees(
        tx,
        added.map(([userId, name]) => ({
          meeting_id: meeting.id,
          user_id: userId,
          name,
          response: 'pending' as const,
          response_note: null,
          responded_at: null,
        })),
      )
      const people = {
        added: added.map(([userId, name]) => ({ id: userId, name })),
        removed: removed.map((a) => ({ id: a.user_id, name: a.name })),
      }
      await repo.appendMeetingHistory(tx, {
        meeting_id: meeting.id,
        action: 'edited',
        actor_id: actor.userId,
        actor_name: actor.fullName,
        note,
        details: JSON.stringify({ changes, ...people, reconfirm }),
        at: now,
      })
      await appendAudit(
        tx,
        ctx,
        {
          action: 'meeting.edited',
          objectType: 'meeting',
          objectId: meeting.id,
          unitId: meeting.unit_id,
          details: {
            fields: changes.map((c) => c.field),
            added: people.added.map((p) => p.id),
            removed: people.removed.map((p) => p.id),
          },
        },
        now,
      )
      const stayed = attendees.filter((a) => target?.has(a.user_id) ?? true).map((a) => a.user_id)
      if (changes.length > 0)
        await notify(tx, actor, updated, MeetingNoticeKind.change, stayed, now, {
          changes,
          reason: note,
          reconfirm,
        })
      await notify(
        tx,
        actor,
        updated,
        MeetingNoticeKind.invitation,
        people.added.map((p) => p.id),
        now,
      )
      await notify(
        tx,
        actor,
        updated,
        MeetingNoticeKind.withdrawn,
        people.removed.map((p) => p.id),
        now,
        { reason: note },
      )
      return { meeting: updated, changes, ...people }
    })
  }

  /** The organiser takes a document off the meeting while it is scheduled; it stays on record, unseen. */
  async function removeDocument(actor: Actor, ctx: AuditContext, id: string, itemId: string) {
    const meeting = await visibleMeeting(actor, id)
    const now = clock()
    if (!permissions(actor, meeting, false, now).removeDocuments) {
      if (meeting.organiser_id !== actor.userId)
        throw new ForbiddenError(
          Permission.backofficeAccess,
          meeting.unit_id,
          'Chỉ người tổ chức gỡ được tài liệu họp.',
        )
      throw new ConflictError('Cuộc họp đã diễn ra hoặc đã hủy; không gỡ tài liệu được nữa.')
    }
    await inTransaction(db, async (tx) => {
      const locked = await repo.lockMeeting(tx, meeting.id)
      if (!locked || locked.status !== 'scheduled')
        throw new ConflictError('Cuộc họp đã diễn ra hoặc đã hủy; không gỡ tài liệu được nữa.')
      const row = await repo.removeMeetingDocument(tx, meeting.id, itemId, actor.userId, now)
      if (!row) throw new NotFoundError('Không tìm thấy tài liệu họp.')
      await repo.appendMeetingHistory(tx, {
        meeting_id: meeting.id,
        action: 'document_removed',
        actor_id: actor.userId,
        actor_name: actor.fullName,
        note: row.title,
        details: JSON.stringify({ document: row.id, linked: row.document_id }),
        at: now,
      })
      await appendAudit(
        tx,
        ctx,
        {
          action: 'meeting.document_removed',
          objectType: 'meeting',
          objectId: meeting.id,
          unitId: meeting.unit_id,
          details: { document: row.id, linked: row.document_id },
        },
        now,
      )
    })
  }

  /** Recent ordinary documents the organiser may see, to link to a meeting. */
  async function linkable(actor: Actor) {
    const { scope } = await scopeOf(actor)
    const rows = await docs.searchDocuments(db, scope, { tsquery: null, limit: 100 })
    return rows.filter((r) => !r.restricted)
  }

  const discard = (files: readonly StoredAttachment[]) => discardAttachments(deps.files.store, files)

  return {
    choices,
    mine,
    create,
    get,
    linkable,
    storeUpload,
    discard,
    addDocument,
    openFile,
    respond,
    recordMinutes,
    cancel,
    editable,
    edit,
    removeDocument,
  }
}

export type MeetingsService = ReturnType<typeof createMeetingsService>
