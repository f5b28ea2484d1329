import type { ColumnType, Generated } from 'kysely'

/** The criteria of TT 01/2018 Điều 13, numbered as the circular does. */
export const CRITERION_NUMBERS = [1, 2, 3, 4, 5, 6, 7, 8, 9] as const
export type CriterionNumber = (typeof CRITERION_NUMBERS)[number]

const BASE_COUNTERS = [
  'received',
  'received_online',
  'received_counter',
  'resolved_early',
  'resolved_on_time',
  'resolved_late',
  'rejected',
  'withdrawn',
  'digitised',
  'fee_dossiers',
  'fee_paid_online',
  'results',
  'results_electronic',
  'ratings',
  'rating_total',
  'rating_max',
] as const

export type CriterionCounter = `criterion_${CriterionNumber}_${'ratings' | 'score'}`
export type Counter = (typeof BASE_COUNTERS)[number] | CriterionCounter
export type Counters = Record<Counter, number>

/** Counter columns of indicator_daily and indicator_monthly, in the order the migration declares them. */
export const COUNTERS: readonly Counter[] = [
  ...BASE_COUNTERS,
  ...CRITERION_NUMBERS.flatMap((n) => [`criterion_${n}_ratings`, `criterion_${n}_score`] as const),
]

export type Outcome = 'early' | 'on_time' | 'late' | 'rejected' | 'withdrawn'

type CounterColumns = { [K in Counter]: Generated<number> }

/** Tables of migrations/0014_indicators_projection.sql. Dates are 'YYYY-MM-DD' local days. */
export type IndicatorTables = {
  indicator_dossiers: {
    code: string
    unit_id: string
    channel: 'online' | 'counter' | 'post' | null
    status: string | null
    fee_amount: number
    due_at: Date | null
    paused: boolean
    received_day: string | null
    finished_day: string | null
    outcome: Outcome | null
    digitised: boolean
    paid_online: boolean
    result_day: string | null
    result_electronic: boolean
    rated_day: string | null
    last_seq: number
    updated_at: ColumnType<Date, Date | undefined, Date>
  }
  indicator_daily: { unit_id: string; day: string } & CounterColumns
  indicator_monthly: { unit_id: string; month: string } & CounterColumns
}
