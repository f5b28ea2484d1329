import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { ErrorSchema } from '../../platform/http/openapi.js'
import { nationalSyncPaths } from './national-sync.paths.js'
import { requireSyncAdmin } from './national-sync.routes.js'
import type { NationalSyncService } from './national-sync.service.js'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()])

/** The status page's figures for monitoring tools. */
export function nationalSyncApi(sync: NationalSyncService) {
  return async function api(app: FastifyInstance) {
    app.get(
      nationalSyncPaths.api.status,
      {
        schema: {
          tags: ['LGSP – đồng bộ Cổng DVC quốc gia'],
          summary: 'Tình trạng đồng bộ hồ sơ với Cổng DVC quốc gia (quản trị)',
          response: {
            200: Type.Object({
              enabled: Type.Boolean(),
              pending: Type.Integer(),
              delivered: Type.Integer(),
              failed: Type.Integer(),
              dossiers: Type.Integer(),
              lastError: Nullable(Type.String()),
              lastErrorAt: Nullable(Type.String()),
              auth: Type.Union([Type.Literal('token'), Type.Literal('oauth2')]),
              deadLetters: Type.Array(
                Type.Object({
                  deliveryId: Type.Integer(),
                  dossierCode: Nullable(Type.String()),
                  position: Type.Integer(),
                  attempts: Type.Integer(),
                  error: Nullable(Type.String()),
                  at: Nullable(Type.String()),
                }),
                {
                  description:
                    'Sự kiện gửi không thành công, kèm lý do (thông điệp của cổng khi cổng từ chối)',
                },
              ),
            }),
            401: ErrorSchema,
            403: ErrorSchema,
          },
        },
      },
      async (request) => {
        requireSyncAdmin(request.actor)
        const status = await sync.status()
        return {
          enabled: status.enabled,
          pending: (status.counts?.queued ?? 0) + (status.counts?.waiting ?? 0),
          delivered: status.counts?.delivered ?? 0,
          failed: status.counts?.dead ?? 0,
          dossiers: status.dossiers,
          lastError: status.lastFailure?.last_error ?? null,
          lastErrorAt: status.lastFailure?.last_attempt_at?.toISOString() ?? null,
          auth: status.auth.kind,
          deadLetters: status.dead.map((d) => ({
            deliveryId: Number(d.id),
            dossierCode: d.key,
            position: Number(d.position),
            attempts: d.attempts,
            error: d.last_error,
            at: d.last_attempt_at?.toISOString() ?? null,
          })),
        }
      },
    )
  }
}
