import type { Clock } from '../../platform/clock.js'
import { inTransaction, type Db } from '../../platform/db/database.js'
import { INDICATOR_TOPICS, project, type IndicatorEvent } from './indicators.projection.js'
import * as repo from './indicators.repository.js'

export const INDICATORS_CONSUMER = 'indicators'

/** Thrown when another process applied the same event between our read and our write; the dispatcher retries. */
export class ProjectionRaceError extends Error {
  constructor(code: string, seq: number) {
    super(`Sự kiện ${seq} của hồ sơ ${code} vừa được áp dụng ở nơi khác (applied concurrently); thử lại.`)
  }
}

export type IndicatorsConsumer = {
  name: typeof INDICATORS_CONSUMER
  topics: typeof INDICATOR_TOPICS
  /** Applies one outbox event; delivering the same event again changes nothing. */
  handle: (event: IndicatorEvent) => Promise<void>
}

/**
 * The outbox consumer that keeps the projection: the dossier's row (with the seq applied) and the counters it
 * moves are written in one transaction, so a delivery that fails or repeats never counts twice.
 */
export function createIndicatorsConsumer({ db, clock }: { db: Db; clock: Clock }): IndicatorsConsumer {
  return {
    name: INDICATORS_CONSUMER,
    topics: INDICATOR_TOPICS,
    handle: (event) =>
      inTransaction(db, async (tx) => {
        const previous = await repo.lockDossier(tx, event.payload.code)
        const projected = project(previous, event)
        if (!projected) return
        if (!(await repo.saveDossier(tx, projected.state, clock()))) {
          throw new ProjectionRaceError(event.payload.code, event.seq)
        }
        await repo.addCounters(tx, projected.counters)
      }),
  }
}
