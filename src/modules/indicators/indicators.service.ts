import { authorize, ForbiddenError, type Actor } from '../../platform/auth/actor.js'
import { Permission, Role, rolePermissions } from '../../platform/auth/roles.js'
import { localDateOf } from '../../platform/calendar/index.js'
import { NotFoundError, ValidationError, type FieldErrors } from '../../platform/http/errors.js'
import { isUuid } from '../../platform/ids.js'
import type { ModuleDeps } from '../../platform/module.js'
import { consumerLag } from '../../platform/jobs/index.js'
import type { CatalogueService, Procedure } from '../catalogue/index.js'
import type { OrganisationService, OrgUnit, OrgUnitType } from '../organisation/index.js'
import { INDICATORS_CONSUMER } from './indicators.consumer.js'
import { INDICATOR_TOPICS } from './indicators.projection.js'
import * as repo from './indicators.repository.js'
import { COUNTERS, CRITERION_NUMBERS, type Counters } from './indicators.tables.js'
import { QD766_NOTE, ratio, scoreQd766, type Group, type Ratio, type Shares } from './qd766.js'

export type IndicatorsDeps = ModuleDeps & { organisation: OrganisationService; catalogue: CatalogueService }

/** As sent in the address or the API's query string; all optional. */
export type FiguresQuery = { unit?: string; from?: string; to?: string }

export const MAX_PERIOD_DAYS = 366

/** The criteria of TT 01/2018 Điều 13 the applicant scores 0, 1 or 2. */
export const CRITERIA = [
  'Tổng thời gian giải quyết so với quy định',
  'Thời gian giải quyết của từng cơ quan tham gia',
  'Số lần phải liên hệ để hoàn thiện hồ sơ',
  'Số cơ quan phải liên hệ',
  'Tiếp nhận, giải quyết, trả kết quả tại Bộ phận Một cửa',
  'Công khai thủ tục hành chính',
  'Thái độ của cán bộ',
  'Tiếp thu, giải trình phản ánh, kiến nghị',
  'Tiến độ và chất lượng dịch vụ công trực tuyến',
] as const

export type UnitSummary = { id: string; name: string; shortName: string | null; type: OrgUnitType }

export type Measures = {
  received: { total: number; online: number; counter: number }
  resolved: { total: number; early: number; onTime: number; late: number }
  rejected: number
  withdrawn: number
  /** At `asOf`, whatever the period: received and not finished. */
  inProgress: { total: number; onTime: number; overdue: number; paused: number }
  /** Online applications not yet taken in, at `asOf`. */
  awaitingIntake: number
  digitisation: { counterReceived: number; digitised: number }
  results: { total: number; electronic: number }
  fees: { dossiers: number; paidOnline: number }
  ratings: { count: number; total: number; max: number }
  procedures: { total: number; online: number }
}

export type CriterionFigures = {
  criterion: number
  label: string
  ratings: number
  score: number
  /** Mean score, 0–2, two decimals; null when nobody scored it. */
  average: number | null
}

export type ChildFigures = {
  unit: UnitSummary
  received: number
  receivedOnline: number
  resolved: number
  resolvedOnTime: number
  overdue: number
  shares: { online: Ratio; onTime: Ratio; satisfaction: Ratio }
}

/** Everything the page shows and the API returns, for one unit's subtree and one period. */
export type Figures = {
  unit: UnitSummary
  period: { from: string; to: string; days: number }
  /** The instant open dossiers are counted at. */
  asOf: string
  /** Outbox events not yet applied to the projection (0 when it is up to date). */
  pendingEvents: number
  measures: Measures
  shares: Shares
  criteria: CriterionFigures[]
  qd766: { note: string; maxPoints: number; groups: Group[] }
  /** The unit's direct subordinates active in the period, each with its own subtree's figures. */
  children: ChildFigures[]
}

const TYPE_ORDER: Record<OrgUnitType, number> = {
  province_committee: 0,
  department: 1,
  district_committee: 2,
  ward_committee: 3,
  commune_committee: 4,
  office: 5,
}

// Departments by agency code, communes by national code: the order official lists use.
function compareUnits(a: OrgUnit, b: OrgUnit): number {
  return (
    TYPE_ORDER[a.type] - TYPE_ORDER[b.type] ||
    (a.adminUnitCode ?? '').localeCompare(b.adminUnitCode ?? '') ||
    (a.agencyCode ?? '~').localeCompare(b.agencyCode ?? '~') ||
    a.name.localeCompare(b.name, 'vi')
  )
}

function summary(unit: OrgUnit): UnitSummary {
  return { id: unit.id, name: unit.name, shortName: unit.shortName, type: unit.type }
}

/** YYYY-MM-DD, or D/M/YYYY typed by hand where a phone's browser has no date picker. */
export function parseDay(text: string): string | undefined {
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text)
  const vn = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text)
  const [y, m, d] = iso
    ? [Number(iso[1]), Number(iso[2]), Number(iso[3])]
    : vn
      ? [Number(vn[3]), Number(vn[2]), Number(vn[1])]
      : [NaN, NaN, NaN]
  if (!(y >= 2000 && y <= 2200)) return undefined
  const date = new Date(Date.UTC(y, m - 1, d))
  if (date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return undefined
  return date.toISOString().slice(0, 10)
}

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1
}

/** The first and last day of the month `day` falls in. */
export function monthOf(day: string): { from: string; to: string } {
  const [y, m] = day.split('-').map(Number) as [number, number]
  return { from: `${day.slice(0, 8)}01`, to: new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10) }
}

/** The period asked for; the current month by default. Messages name the query parameters. */
export function parsePeriod(query: FiguresQuery, today: string): { from: string; to: string; days: number } {
  const month = monthOf(today)
  const errors: FieldErrors = {}
  const read = (field: 'from' | 'to', label: string) => {
    const text = query[field]?.trim() ?? ''
    if (text === '') return month[field]
    const day = parseDay(text)
    if (!day) errors[field] = `${label} (${field}) không hợp lệ: dùng dạng YYYY-MM-DD, ví dụ 2026-11-01.`
    return day
  }
  const from = read('from', 'Ngày bắt đầu')
  const to = read('to', 'Ngày kết thúc')
  if (from && to) {
    if (to < from) errors.to = 'Ngày kết thúc (to) phải bằng hoặc sau ngày bắt đầu (from).'
    else if (daysBetween(from, to) > MAX_PERIOD_DAYS) {
      errors.to = `Khoảng thời gian tối đa ${MAX_PERIOD_DAYS} ngày; hãy chọn khoảng ngắn hơn.`
    }
  }
  if (!from || !to || Object.keys(errors).length > 0) {
    throw new ValidationError(errors, Object.values(errors).join(' '))
  }
  return { from, to, days: daysBetween(from, to) }
}

function emptyCounters(): Counters {
  return Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Counters
}

function addInto(target: Counters, source: Counters) {
  for (const c of COUNTERS) target[c] += source[c]
}

type Open = { onTime: number; overdue: number; paused: number; awaiting: number }

function measuresOf(c: Counters, open: Open, procedures: { total: number; online: number }): Measures {
  return {
    received: { total: c.received, online: c.received_online, counter: c.received_counter },
    resolved: {
      total: c.resolved_early + c.resolved_on_time + c.resolved_late,
      early: c.resolved_early,
      onTime: c.resolved_on_time,
      late: c.resolved_late,
    },
    rejected: c.rejected,
    withdrawn: c.withdrawn,
    inProgress: {
      total: open.onTime + open.overdue + open.paused,
      onTime: open.onTime,
      overdue: open.overdue,
      paused: open.paused,
    },
    awaitingIntake: open.awaiting,
    digitisation: { counterReceived: c.received_counter, digitised: c.digitised },
    results: { total: c.results, electronic: c.results_electronic },
    fees: { dossiers: c.fee_dossiers, paidOnline: c.fee_paid_online },
    ratings: { count: c.ratings, total: c.rating_total, max: c.rating_max },
    procedures,
  }
}

export function sharesOf(m: Measures): Shares {
  return {
    online: ratio(m.received.online, m.received.total),
    onTime: ratio(m.resolved.early + m.resolved.onTime, m.resolved.total),
    onlineProcedures: ratio(m.procedures.online, m.procedures.total),
    digitised: ratio(m.digitisation.digitised, m.digitisation.counterReceived),
    electronicResults: ratio(m.results.electronic, m.results.total),
    paidOnline: ratio(m.fees.paidOnline, m.fees.dossiers),
    satisfaction: ratio(m.ratings.total, m.ratings.max),
  }
}

const CATALOGUE_TTL_MS = 5 * 60_000

export function createIndicatorsService({ db, clock, organisation, catalogue }: IndicatorsDeps) {
  let procedures: { day: string; at: number; list: Procedure[] } | undefined

  /** Procedures in force today, read from the catalogue at most every few minutes. */
  async function proceduresInForce(): Promise<Procedure[]> {
    const day = catalogue.today()
    if (procedures && procedures.day === day && Date.now() - procedures.at < CATALOGUE_TTL_MS) {
      return procedures.list
    }
    const list: Procedure[] = []
    let after: string | undefined
    do {
      const page = await catalogue.search({ after }, 500)
      list.push(...page.items)
      after = page.next ?? undefined
    } while (after)
    procedures = { day, at: Date.now(), list }
    return list
  }

  /** Procedures the subtree's units carry out (by their type or by name), and how many of them are online. */
  async function procedureCoverage(units: readonly OrgUnit[]) {
    const today = catalogue.today()
    const active = units.filter((u) => u.validFrom <= today && (u.validTo === null || u.validTo >= today))
    const types = new Set<string>(active.map((u) => u.type))
    const keys = new Set(active.map((u) => u.key).filter((k): k is string => !!k))
    const performed = (await proceduresInForce()).filter(
      (p) => p.unitTypes.some((type) => types.has(type)) || p.unitKeys.some((key) => keys.has(key)),
    )
    return { total: performed.length, online: performed.filter((p) => p.onlineLevel !== 'none').length }
  }

  const isAdministrator = (actor: Actor) => actor.grants.some((g) => g.role === Role.systemAdmin)

  /** Officials see the units they hold a back-office role in, with their subtrees; system administrators see all. */
  function mayView(actor: Actor, unit: Pick<OrgUnit, 'path'>): boolean {
    if (isAdministrator(actor)) return true
    return actor.grants.some(
      (g) =>
        !!g.unitPath &&
        unit.path.startsWith(g.unitPath) &&
        (rolePermissions[g.role] as readonly Permission[]).includes(Permission.backofficeAccess),
    )
  }

  /** The units whose figures the actor may see. */
  function viewable(actor: Actor, units: readonly OrgUnit[]): OrgUnit[] {
    return units.filter((u) => mayView(actor, u))
  }

  async function resolve(actor: Actor | null, query: FiguresQuery) {
    authorize(actor, Permission.backofficeAccess)
    const period = parsePeriod(query, localDateOf(clock()))
    const units = await organisation.listUnits({})
    let unit: OrgUnit | undefined
    const asked = query.unit?.trim() ?? ''
    if (asked !== '') {
      unit = isUuid(asked) ? units.find((u) => u.id === asked.toLowerCase()) : undefined
      if (!unit) throw new NotFoundError('Không tìm thấy đơn vị.')
      if (!mayView(actor, unit)) {
        throw new ForbiddenError(
          Permission.backofficeAccess,
          unit.id,
          'Bạn không có quyền xem số liệu của đơn vị này.',
        )
      }
    } else {
      // The actor's highest unit: the province for an administrator.
      unit = viewable(actor, units).sort((a, b) => a.level - b.level || compareUnits(a, b))[0]
      if (!unit)
        throw new ForbiddenError(
          Permission.backofficeAccess,
          null,
          'Bạn chưa được giao vai trò ở đơn vị nào.',
        )
    }
    return { actor, period, units, unit }
  }

  async function compute(
    unit: OrgUnit,
    units: readonly OrgUnit[],
    period: { from: string; to: string; days: number },
  ): Promise<Figures> {
    const now = clock()
    const subtree = units.filter((u) => u.path.startsWith(unit.path))
    const ids = subtree.map((u) => u.id)
    const [counters, open, coverage, lag] = await Promise.all([
      repo.sumCounters(db, ids, period.from, period.to),
      repo.countOpen(db, ids, now),
      procedureCoverage(subtree),
      consumerLag(db, INDICATORS_CONSUMER, INDICATOR_TOPICS),
    ])

    // Each unit of the subtree adds to the total and to the child of `unit` it sits under.
    const depth = unit.path.split('/').filter(Boolean).length
    const childOf = (u: OrgUnit) => u.path.split('/').filter(Boolean)[depth]
    const children = units
      .filter(
        (u) =>
          u.parentId === unit.id &&
          u.validFrom <= period.to &&
          (u.validTo === null || u.validTo >= period.from),
      )
      .sort(compareUnits)
    const perChild = new Map(children.map((c) => [c.id, { counters: emptyCounters(), overdue: 0 }]))
    const byId = new Map(subtree.map((u) => [u.id, u]))
    const total = emptyCounters()
    for (const row of counters) {
      addInto(total, row)
      const child = perChild.get(childOf(byId.get(row.unit_id)!) ?? '')
      if (child) addInto(child.counters, row)
    }
    const openTotal: Open = { onTime: 0, overdue: 0, paused: 0, awaiting: 0 }
    for (const row of open) {
      openTotal.onTime += row.on_time
      openTotal.overdue += row.overdue
      openTotal.paused += row.paused
      openTotal.awaiting += row.awaiting
      const child = perChild.get(childOf(byId.get(row.unit_id)!) ?? '')
      if (child) child.overdue += row.overdue
    }

    const measures = measuresOf(total, openTotal, coverage)
    const shares = sharesOf(measures)
    return {
      unit: summary(unit),
      period,
      asOf: now.toISOString(),
      pendingEvents: lag.pending,
      measures,
      shares,
      criteria: CRITERION_NUMBERS.map((n) => {
        const ratings = total[`criterion_${n}_ratings`]
        const score = total[`criterion_${n}_score`]
        return {
          criterion: n,
          label: CRITERIA[n - 1]!,
          ratings,
          score,
          average: ratings > 0 ? Math.round((score / ratings) * 100) / 100 : null,
        }
      }),
      qd766: { note: QD766_NOTE, maxPoints: 100, groups: scoreQd766(shares) },
      children: children.map((child) => {
        const { counters: c, overdue } = perChild.get(child.id)!
        const resolved = c.resolved_early + c.resolved_on_time + c.resolved_late
        return {
          unit: summary(child),
          received: c.received,
          receivedOnline: c.received_online,
          resolved,
          resolvedOnTime: c.resolved_early + c.resolved_on_time,
          overdue,
          shares: {
            online: ratio(c.received_online, c.received),
            onTime: ratio(c.resolved_early + c.resolved_on_time, resolved),
            satisfaction: ratio(c.rating_total, c.rating_max),
          },
        }
      }),
    }
  }

  /** The figures of a unit's subtree over a period, for officials of that unit or above it. */
  async function figures(actor: Actor | null, query: FiguresQuery): Promise<Figures> {
    const { unit, units, period } = await resolve(actor, query)
    return compute(unit, units, period)
  }

  /** The figures with the path from the highest unit the actor may see down to this one, for the page. */
  async function page(actor: Actor | null, query: FiguresQuery) {
    const resolved = await resolve(actor, query)
    const { unit, units, period } = resolved
    const trail = units
      .filter((u) => unit.path.startsWith(u.path) && u.id !== unit.id && mayView(resolved.actor, u))
      .sort((a, b) => a.path.length - b.path.length)
      .map(summary)
    return { figures: await compute(unit, units, period), trail }
  }

  return { figures, page }
}

export type IndicatorsService = ReturnType<typeof createIndicatorsService>
