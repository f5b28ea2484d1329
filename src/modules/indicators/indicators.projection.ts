import { localDateOf } from '../../platform/calendar/index.js'
import type { OutboxEvent } from '../../platform/jobs/index.js'
import { CRITERION_NUMBERS, type Counter, type Outcome } from './indicators.tables.js'

/** The outbox topics the indicators consumer reads. */
export const INDICATOR_TOPICS = [
  'dossier.status_changed',
  'dossier.fee_paid',
  'dossier.result_issued',
  'dossier.rated',
] as const
export type IndicatorTopic = (typeof INDICATOR_TOPICS)[number]
export type IndicatorEvent = OutboxEvent<IndicatorTopic>

/** What the projection knows of one dossier (a row of indicator_dossiers). */
export type DossierState = {
  code: string
  unitId: string
  channel: 'online' | 'counter' | 'post' | null
  status: string | null
  feeAmount: number
  dueAt: Date | null
  paused: boolean
  receivedDay: string | null
  finishedDay: string | null
  outcome: Outcome | null
  digitised: boolean
  paidOnline: boolean
  resultDay: string | null
  resultElectronic: boolean
  ratedDay: string | null
  lastSeq: number
}

export type CounterDelta = { unitId: string; day: string; counter: Counter; by: number }
export type Projected = { state: DossierState; counters: CounterDelta[] }

// Statuses a dossier has only once the one-stop desk accepted it. Refused or withdrawn straight from "submitted"
// (an online application never taken in) is not a received dossier.
const RECEIVED = new Set(['received', 'in_progress', 'supplement_requested', 'approved', 'returned'])
const FINAL = new Set(['returned', 'rejected', 'withdrawn'])

/** A dossier first heard of through an event other than its status (a payment before any status event). */
function blank(code: string, unitId: string): DossierState {
  return {
    code,
    unitId,
    channel: null,
    status: null,
    feeAmount: 0,
    dueAt: null,
    paused: false,
    receivedDay: null,
    finishedDay: null,
    outcome: null,
    digitised: false,
    paidOnline: false,
    resultDay: null,
    resultElectronic: false,
    ratedDay: null,
    lastSeq: 0,
  }
}

/** Before, on or after the deadline, by local calendar day: finishing any time on the due day is on time. */
export function timeliness(finishedAt: Date, dueAt: Date): 'early' | 'on_time' | 'late' {
  const finished = localDateOf(finishedAt)
  const due = localDateOf(dueAt)
  return finished < due ? 'early' : finished === due ? 'on_time' : 'late'
}

/**
 * Applies one event to what is known of its dossier: the new state and the counters it moves, or null when the
 * event was applied already (its seq is not after the dossier's last one). Counters move only on transitions —
 * the first intake, the first final status, the first file of a counter dossier, the first online payment, the
 * first result, the first rating — so a state seen again adds nothing.
 */
export function project(previous: DossierState | undefined, event: IndicatorEvent): Projected | null {
  if (previous && event.seq <= previous.lastSeq) return null
  const payload = event.payload
  const state: DossierState = { ...(previous ?? blank(payload.code, payload.unitId)), lastSeq: event.seq }
  const counters: CounterDelta[] = []
  const add = (counter: Counter, day: string, by = 1) =>
    counters.push({ unitId: state.unitId, day, counter, by })

  switch (event.topic) {
    case 'dossier.status_changed': {
      const p = event.payload
      const at = new Date(p.at)
      const dueAt = new Date(p.dueAt)
      state.channel = p.channel
      state.status = p.status
      state.feeAmount = p.feeAmount
      state.dueAt = dueAt
      state.paused = p.status === 'supplement_requested'
      if (!state.receivedDay && !state.finishedDay && RECEIVED.has(p.status)) {
        state.receivedDay = localDateOf(at)
        add('received', state.receivedDay)
        if (p.channel === 'online') add('received_online', state.receivedDay)
        if (p.channel === 'counter') add('received_counter', state.receivedDay)
        if (p.feeAmount > 0) {
          add('fee_dossiers', state.receivedDay)
          if (state.paidOnline) add('fee_paid_online', state.receivedDay)
        }
      }
      // Digitisation of a paper dossier: the counter's scans, counted once, on the day of intake.
      if (state.receivedDay && p.channel === 'counter' && !state.digitised && p.files > 0) {
        state.digitised = true
        add('digitised', state.receivedDay)
      }
      if (!state.finishedDay && FINAL.has(p.status)) {
        const finishedAt = new Date(p.finishedAt ?? p.at)
        state.finishedDay = localDateOf(finishedAt)
        if (p.status === 'returned') {
          state.outcome = timeliness(finishedAt, dueAt)
          add(`resolved_${state.outcome}`, state.finishedDay)
        } else {
          state.outcome = p.status === 'rejected' ? 'rejected' : 'withdrawn'
          add(state.outcome, state.finishedDay)
        }
        state.paused = false
      }
      break
    }
    case 'dossier.fee_paid': {
      const p = event.payload
      if (!state.status) state.feeAmount = p.amount
      if (p.online && !state.paidOnline) {
        state.paidOnline = true
        // Counted with the dossier's intake; a payment before intake is counted when the intake comes.
        if (state.receivedDay && state.feeAmount > 0) add('fee_paid_online', state.receivedDay)
      }
      break
    }
    case 'dossier.result_issued': {
      const p = event.payload
      if (!state.resultDay) {
        state.resultDay = localDateOf(new Date(p.at))
        add('results', state.resultDay)
      }
      // One result per dossier; it counts as electronic once any result of it is.
      if (p.electronic && !state.resultElectronic) {
        state.resultElectronic = true
        add('results_electronic', state.resultDay)
      }
      break
    }
    case 'dossier.rated': {
      const p = event.payload
      if (!state.ratedDay) {
        const day = localDateOf(new Date(p.at))
        state.ratedDay = day
        add('ratings', day)
        add('rating_total', day, p.total)
        add('rating_max', day, p.max)
        for (const n of CRITERION_NUMBERS) {
          const score = p.scores[String(n)]
          if (score === undefined) continue
          add(`criterion_${n}_ratings`, day)
          add(`criterion_${n}_score`, day, score)
        }
      }
      break
    }
  }
  return { state, counters }
}
