import { can, type Actor } from '../../platform/auth/actor.js'
import { Permission, rolePermissions } from '../../platform/auth/roles.js'
import { parseClock, shippedCalendar, type WorkingCalendar } from '../../platform/calendar/index.js'
import { inTransaction } from '../../platform/db/database.js'
import { emitEvent } from '../../platform/events/outbox.js'
import type { ModuleDeps } from '../../platform/module.js'
import type { OrganisationService } from '../organisation/index.js'
import * as repo from './document-reminders.repository.js'
import { ReminderKind, type RecipientReason } from './document-reminders.tables.js'
import { appendHistory, lockDocument } from './documents.repository.js'
import type { OfficialsLookup } from './outgoing.service.js'

declare module '../../platform/events/outbox.js' {
  interface DomainEvents {
    /**
     * An open assignment's deadline is near (`due_soon`) or has passed (`overdue`): the notifications module
     * tells `recipients` (user ids) by e-mail and SMS. A confidential or urgent document travels without its
     * số/ký hiệu and summary (`code`, `summary` null): only its number in the register and a link.
     */
    'document.reminder_due': {
      reminderId: string
      kind: ReminderKind
      documentId: string
      unitId: string
      number: number
      code: string | null
      summary: string | null
      assignmentId: string
      assigneeName: string
      role: string
      dueAt: string
      recipients: string[]
      at: string
    }
  }
}

export type DocumentRemindersDeps = ModuleDeps & {
  organisation: Pick<OrganisationService, 'findUnitsByIds' | 'listUnits'>
  officials: OfficialsLookup
  calendar?: WorkingCalendar
}

/**
 * Which reminder an open assignment calls for now: the overdue notice once its deadline has passed, the
 * reminder when no more than `aheadMinutes` of working time are left (one working day by default, the queue's
 * "due soon"), otherwise none.
 */
export function reminderDue(
  now: Date,
  dueAt: Date,
  aheadMinutes: number,
  calendar: WorkingCalendar,
): ReminderKind | null {
  if (now.getTime() > dueAt.getTime()) return ReminderKind.overdue
  return calendar.workingTimeBetween(now, dueAt) <= aheadMinutes ? ReminderKind.dueSoon : null
}

const BATCH = 200
// A scan stops after this many batches and goes on at the next run; it never loops without end.
const MAX_BATCHES = 50
// Working time left is checked in code; SQL only bounds the deadlines read (weekends, Tết holidays).
const SLACK_DAYS = 20
const UNREAD_LIMIT = 20
const SYSTEM_NAME = 'Hệ thống (nhắc hạn tự động)'

const grantsAssign = (roles: readonly string[]) =>
  roles.some((role) =>
    (rolePermissions[role as keyof typeof rolePermissions] as readonly Permission[] | undefined)?.includes(
      Permission.documentsAssign,
    ),
  )

/**
 * Reminders of document deadlines: a periodic scan (the `documents.reminders` timer) writes one reminder per
 * open assignment, kind and deadline, with its recipients, a history entry and the `document.reminder_due`
 * event in one transaction; the notifications module turns the event into e-mail and SMS, and the queue page
 * lists a person's unread reminders.
 */
export function createDocumentRemindersService(deps: DocumentRemindersDeps) {
  const { db, clock, config, organisation, officials } = deps
  const calendar = deps.calendar ?? shippedCalendar()
  const dayMinutes = calendar.rules.officeHours.reduce(
    (sum, s) => sum + (parseClock(s.end) - parseClock(s.start)) / 60_000,
    0,
  )
  const aheadMinutes = config.documentReminderDays * dayMinutes

  /** Officials who lead a unit (hold `documents.assign` over it): they are told about the unit's work. */
  async function leadersOf(unitId: string, cache: Map<string, string[]>): Promise<string[]> {
    const known = cache.get(unitId)
    if (known) return known
    const [unit] = await organisation.findUnitsByIds([unitId])
    const leaders = unit
      ? (await officials.inUnit(unit)).filter((p) => grantsAssign(p.roles)).map((p) => p.id)
      : []
    cache.set(unitId, leaders)
    return leaders
  }

  /**
   * Who is told: the person assigned, or for a unit its leaders (they share the work out; a unit's ordinary
   * officials are not all told about every document); for the overdue notice also the leader who assigned it.
   */
  async function recipientsOf(row: repo.Candidate, kind: ReminderKind, cache: Map<string, string[]>) {
    const recipients = new Map<string, RecipientReason>()
    if (row.assignee_user_id) recipients.set(row.assignee_user_id, 'assignee')
    else if (row.assignee_unit_id) {
      for (const id of await leadersOf(row.assignee_unit_id, cache)) recipients.set(id, 'unit_leader')
    }
    if (kind === ReminderKind.overdue) {
      const assigner = row.forwarded_from ? await repo.originalAssigner(db, row.id) : row.assigned_by
      if (assigner && !recipients.has(assigner)) recipients.set(assigner, 'assigner')
    }
    return recipients
  }

  /** Writes one reminder, unless another process did, or the assignment moved on, meanwhile. */
  async function remind(row: repo.Candidate, kind: ReminderKind, now: Date, cache: Map<string, string[]>) {
    // Read before the transaction: on the embedded database the transaction holds the only connection.
    const recipients = await recipientsOf(row, kind, cache)
    return inTransaction(db, async (tx) => {
      // The document first, as assignee actions lock it: a completion and a reminder are served in turn.
      await lockDocument(tx, row.document_id)
      const current = await repo.lockAssignment(tx, row.id)
      if (current?.status !== 'open' || current.due_at?.getTime() !== row.due_at.getTime()) return false
      const id = await repo.insertReminder(tx, {
        assignment_id: row.id,
        document_id: row.document_id,
        kind,
        due_at: row.due_at,
        created_at: now,
      })
      if (!id) return false
      await repo.insertRecipients(
        tx,
        [...recipients].map(([userId, reason]) => ({
          reminder_id: id,
          user_id: userId,
          reason,
          read_at: null,
        })),
      )
      await appendHistory(tx, {
        document_id: row.document_id,
        action: kind === ReminderKind.overdue ? 'reminder_overdue' : 'reminder_due_soon',
        assignment_id: row.id,
        actor_id: null,
        actor_name: SYSTEM_NAME,
        note: null,
        details: JSON.stringify({
          assignee: row.assignee_name,
          dueAt: row.due_at.toISOString(),
          recipients: recipients.size,
        }),
        at: now,
      })
      await emitEvent(tx, 'document.reminder_due', {
        reminderId: id,
        kind,
        documentId: row.document_id,
        unitId: row.unit_id,
        number: row.number,
        code: row.restricted ? null : `${row.code_number}/${row.code_notation}`,
        summary: row.restricted ? null : row.summary,
        assignmentId: row.id,
        assigneeName: row.assignee_name,
        role: row.role,
        dueAt: row.due_at.toISOString(),
        recipients: [...recipients.keys()],
        at: now.toISOString(),
      })
      return true
    })
  }

  /**
   * One pass over the open assignments: overdue notices first, then reminders of deadlines near. Safe to run
   * from several processes at once and as often as wanted: each reminder is written once. Returns how many
   * this pass wrote.
   */
  async function scan(): Promise<{ dueSoon: number; overdue: number }> {
    const now = clock()
    const cache = new Map<string, string[]>()
    const written = { dueSoon: 0, overdue: 0 }
    for (let i = 0; i < MAX_BATCHES; i++) {
      const rows = (await repo.candidates(
        db,
        ReminderKind.overdue,
        { before: now },
        BATCH,
      )) as repo.Candidate[]
      for (const row of rows) if (await remind(row, ReminderKind.overdue, now, cache)) written.overdue++
      if (rows.length < BATCH) break
    }
    const until = new Date(now.getTime() + (config.documentReminderDays + SLACK_DAYS) * 86_400_000)
    for (let i = 0; i < MAX_BATCHES; i++) {
      const rows = (await repo.candidates(
        db,
        ReminderKind.dueSoon,
        { from: now, until },
        BATCH,
      )) as repo.Candidate[]
      // Earliest deadline first: the first one not yet due soon ends the pass.
      const due = rows.findIndex((row) => reminderDue(now, row.due_at, aheadMinutes, calendar) === null)
      for (const row of due === -1 ? rows : rows.slice(0, due)) {
        if (await remind(row, ReminderKind.dueSoon, now, cache)) written.dueSoon++
      }
      if (due !== -1 || rows.length < BATCH) break
    }
    return written
  }

  /** Units the actor leads: reminders about their work stay readable to them. */
  async function leaderUnitsOf(actor: Actor): Promise<string[]> {
    const units = await organisation.listUnits({})
    return units.filter((u) => can(actor, Permission.documentsAssign, u)).map((u) => u.id)
  }

  /**
   * The actor's reminders not yet marked seen, for work still open; when a deadline passed, its overdue notice
   * replaces the earlier reminder.
   */
  async function unread(actor: Actor) {
    const rows = await repo.unreadFor(db, actor.userId, await leaderUnitsOf(actor), UNREAD_LIMIT * 2)
    const overdue = new Set(rows.filter((r) => r.kind === ReminderKind.overdue).map((r) => r.assignment_id))
    return rows
      .filter((r) => r.kind === ReminderKind.overdue || !overdue.has(r.assignment_id))
      .slice(0, UNREAD_LIMIT)
  }

  /** Marks all the actor's reminders seen; returns how many were unread. */
  async function markRead(actor: Actor): Promise<number> {
    return repo.markAllRead(db, actor.userId, clock())
  }

  return { scan, unread, markRead }
}

export type DocumentRemindersService = ReturnType<typeof createDocumentRemindersService>
export type UnreadReminder = Awaited<ReturnType<DocumentRemindersService['unread']>>[number]
