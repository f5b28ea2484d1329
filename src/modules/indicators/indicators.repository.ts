import { sql } from 'kysely'
import type { Queryable } from '../../platform/db/database.js'
import { tablesOf } from '../../platform/db/tables.js'
import type { CounterDelta, DossierState } from './indicators.projection.js'
import { COUNTERS, type Counter, type Counters, type IndicatorTables } from './indicators.tables.js'

const t = (q: Queryable) => tablesOf<IndicatorTables>(q)

/** The dossier's projection row, locked until the transaction ends. */
export async function lockDossier(q: Queryable, code: string): Promise<DossierState | undefined> {
  const row = await t(q)
    .selectFrom('indicator_dossiers')
    .selectAll()
    .where('code', '=', code)
    .forUpdate()
    .executeTakeFirst()
  if (!row) return undefined
  return {
    code: row.code,
    unitId: row.unit_id,
    channel: row.channel,
    status: row.status,
    feeAmount: row.fee_amount,
    dueAt: row.due_at,
    paused: row.paused,
    receivedDay: row.received_day,
    finishedDay: row.finished_day,
    outcome: row.outcome,
    digitised: row.digitised,
    paidOnline: row.paid_online,
    resultDay: row.result_day,
    resultElectronic: row.result_electronic,
    ratedDay: row.rated_day,
    lastSeq: row.last_seq,
  }
}

/**
 * Writes the dossier's new state, unless a row with this or a later seq is already there (another process
 * applied the event first): false then, and the caller must not move the counters.
 */
export async function saveDossier(q: Queryable, s: DossierState, now: Date): Promise<boolean> {
  const values = {
    code: s.code,
    unit_id: s.unitId,
    channel: s.channel,
    status: s.status,
    fee_amount: s.feeAmount,
    due_at: s.dueAt,
    paused: s.paused,
    received_day: s.receivedDay,
    finished_day: s.finishedDay,
    outcome: s.outcome,
    digitised: s.digitised,
    paid_online: s.paidOnline,
    result_day: s.resultDay,
    result_electronic: s.resultElectronic,
    rated_day: s.ratedDay,
    last_seq: s.lastSeq,
    updated_at: now,
  }
  const { code: _code, ...changes } = values
  const result = await t(q)
    .insertInto('indicator_dossiers')
    .values(values)
    .onConflict((oc) =>
      oc.column('code').doUpdateSet(changes).where('indicator_dossiers.last_seq', '<', s.lastSeq),
    )
    .executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0
}

/** Adds the deltas to the daily and monthly counters, one upsert each per unit and day. */
export async function addCounters(q: Queryable, deltas: readonly CounterDelta[]): Promise<void> {
  const rows = new Map<string, { unitId: string; day: string; sums: Partial<Counters> }>()
  for (const d of deltas) {
    const key = `${d.unitId}|${d.day}`
    const row = rows.get(key) ?? { unitId: d.unitId, day: d.day, sums: {} }
    row.sums[d.counter] = (row.sums[d.counter] ?? 0) + d.by
    rows.set(key, row)
  }
  for (const { unitId, day, sums } of rows.values()) {
    const columns = Object.keys(sums) as Counter[]
    const names = sql.join(columns.map((c) => sql.ref(c)))
    const values = sql.join(columns.map((c) => sums[c]))
    const add = (table: string) =>
      sql.join(
        columns.map((c) => sql`${sql.ref(c)} = ${sql.table(table)}.${sql.ref(c)} + excluded.${sql.ref(c)}`),
      )
    await sql`
      insert into indicator_daily (unit_id, day, ${names}) values (${unitId}, ${day}, ${values})
      on conflict (unit_id, day) do update set ${add('indicator_daily')}`.execute(q)
    await sql`
      insert into indicator_monthly (unit_id, month, ${names}) values (${unitId}, ${`${day.slice(0, 8)}01`}, ${values})
      on conflict (unit_id, month) do update set ${add('indicator_monthly')}`.execute(q)
  }
}

/** The first day of the month after the one `day` falls in. */
function nextMonth(day: string): string {
  const [y, m] = day.split('-').map(Number) as [number, number]
  return new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 10)
}

/**
 * The months lying wholly inside [from, to], as [fullFrom, fullTo) of first days; empty (fullFrom = fullTo) when
 * the period holds no whole month.
 */
export function wholeMonths(from: string, to: string): { fullFrom: string; fullTo: string } {
  const fullFrom = from.endsWith('-01') ? from : nextMonth(from)
  const dayAfter = new Date(Date.parse(`${to}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)
  const fullTo = `${dayAfter.slice(0, 8)}01`
  return fullFrom < fullTo ? { fullFrom, fullTo } : { fullFrom: from, fullTo: from }
}

export type UnitCounters = Counters & { unit_id: string }

/**
 * The counters of each unit over a period of local days (inclusive): whole months from indicator_monthly, the
 * days of partial months from indicator_daily. Two plain aggregates, added up here: as one UNION the planner
 * chose a parallel plan whose start-up cost more than the few thousand rows it reads. Units without any row are
 * absent.
 */
export async function sumCounters(
  q: Queryable,
  unitIds: readonly string[],
  from: string,
  to: string,
): Promise<UnitCounters[]> {
  if (unitIds.length === 0) return []
  const { fullFrom, fullTo } = wholeMonths(from, to)
  const ids = [...unitIds]
  const sums = sql.join(COUNTERS.map((c) => sql`sum(${sql.ref(c)})::int as ${sql.ref(c)}`))
  const [months, days] = await Promise.all([
    fullFrom < fullTo
      ? sql<UnitCounters>`
          select unit_id, ${sums} from indicator_monthly
          where unit_id = any(${ids}::uuid[]) and month >= ${fullFrom}::date and month < ${fullTo}::date
          group by unit_id`.execute(q)
      : { rows: [] },
    sql<UnitCounters>`
      select unit_id, ${sums} from indicator_daily
      where unit_id = any(${ids}::uuid[])
        and ((day >= ${from}::date and day < ${fullFrom}::date) or (day >= ${fullTo}::date and day <= ${to}::date))
      group by unit_id`.execute(q),
  ])
  const byUnit = new Map<string, UnitCounters>()
  for (const row of [...months.rows, ...days.rows]) {
    const seen = byUnit.get(row.unit_id)
    if (!seen) byUnit.set(row.unit_id, { ...row })
    else for (const c of COUNTERS) seen[c] += row[c]
  }
  return [...byUnit.values()]
}

export type OpenCounts = {
  unit_id: string
  on_time: number
  overdue: number
  paused: number
  awaiting: number
}

/**
 * Open dossiers of each unit at `now`, from the partial index: received and running (on time or overdue),
 * waiting for a supplement (deadline paused), and online applications not yet taken in.
 */
export async function countOpen(q: Queryable, unitIds: readonly string[], now: Date): Promise<OpenCounts[]> {
  if (unitIds.length === 0) return []
  const result = await sql<OpenCounts>`
    select unit_id,
      count(*) filter (where received_day is not null and not paused and due_at >= ${now})::int as on_time,
      count(*) filter (where received_day is not null and not paused and due_at < ${now})::int as overdue,
      count(*) filter (where received_day is not null and paused)::int as paused,
      count(*) filter (where received_day is null)::int as awaiting
    from indicator_dossiers
    where finished_day is null and unit_id = any(${[...unitIds]}::uuid[])
    group by unit_id`.execute(q)
  return result.rows
}
