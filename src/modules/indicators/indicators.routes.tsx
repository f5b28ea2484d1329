import type { FastifyInstance } from 'fastify'
import { ValidationError } from '../../platform/http/errors.js'
import { sendPage } from '../../platform/http/plugin.js'
import { IndicatorsPage } from './indicators.pages.js'
import { indicatorPaths as paths } from './indicators.paths.js'
import type { IndicatorsService } from './indicators.service.js'

const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, 40) : '')

/** The officials' scorecard page; the same figures as GET /api/v1/stats/dossiers. */
export function indicatorsRoutes(service: IndicatorsService) {
  return async function routes(app: FastifyInstance) {
    app.get(paths.page, async (request, reply) => {
      const raw = request.query as Record<string, unknown>
      const query = { unit: text(raw.unit), from: text(raw.from), to: text(raw.to) }
      try {
        const { figures, trail } = await service.page(request.actor, query)
        const values = { unit: figures.unit.id, from: figures.period.from, to: figures.period.to }
        return sendPage(
          reply,
          <IndicatorsPage
            ctx={app.pageContext(request, reply)}
            figures={figures}
            trail={trail}
            values={values}
          />,
        )
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error
        return sendPage(
          reply,
          <IndicatorsPage
            ctx={app.pageContext(request, reply)}
            figures={null}
            trail={[]}
            values={query}
            errors={error.fields}
          />,
          400,
        )
      }
    })
  }
}
