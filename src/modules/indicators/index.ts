import type { FastifyInstance } from 'fastify'
import { indicatorsApi } from './indicators.api.js'
import { createIndicatorsConsumer, type IndicatorsConsumer } from './indicators.consumer.js'
import { indicatorsRoutes } from './indicators.routes.js'
import { createIndicatorsService, type IndicatorsDeps, type IndicatorsService } from './indicators.service.js'

export type { IndicatorsConsumer } from './indicators.consumer.js'
export { createIndicatorsConsumer, INDICATORS_CONSUMER } from './indicators.consumer.js'
export type { IndicatorEvent, IndicatorTopic } from './indicators.projection.js'
export { INDICATOR_TOPICS } from './indicators.projection.js'
export type { Figures, FiguresQuery, IndicatorsService } from './indicators.service.js'
export { indicatorPaths } from './indicators.paths.js'

/**
 * Service indicators (QĐ 766/QĐ-TTg): a projection of the dossier events kept by an outbox consumer, and the
 * figures of a unit's subtree over a period as a staff page and a JSON endpoint.
 */
export function createIndicatorsModule(deps: IndicatorsDeps): {
  service: IndicatorsService
  consumer: IndicatorsConsumer
  routes: (app: FastifyInstance) => Promise<void>
  api: (app: FastifyInstance) => Promise<void>
} {
  const service = createIndicatorsService(deps)
  return {
    service,
    consumer: createIndicatorsConsumer({ db: deps.db, clock: deps.clock }),
    routes: indicatorsRoutes(service),
    api: indicatorsApi(service),
  }
}
