import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { UnauthenticatedError, type Actor } from '../../platform/auth/actor.js'
import { ErrorSchema } from '../../platform/http/openapi.js'
import { auditContext } from '../../platform/http/plugin.js'
import { Action, nationalStatus, statusLabel } from './dossier-workflow.js'
import type { DossierRow } from './dossiers.repository.js'
import type { DossiersService } from './dossiers.service.js'

const tags = ['Hồ sơ']
const errors = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  409: ErrorSchema,
  422: ErrorSchema,
}
const Code = Type.Object({ code: Type.String({ maxLength: 40 }) }, { additionalProperties: false })

const DossierSchema = Type.Object({
  code: Type.String({ description: 'Mã hồ sơ theo Thông tư 01/2018/TT-VPCP' }),
  procedureCode: Type.String(),
  procedureName: Type.String(),
  unitId: Type.String(),
  channel: Type.String(),
  status: Type.String(),
  statusLabel: Type.String(),
  nationalStatus: Type.Integer({ description: 'Mã trạng thái trên Cổng Dịch vụ công quốc gia (1–10)' }),
  step: Type.Integer(),
  receivedAt: Type.String(),
  countsFrom: Type.String(),
  dueAt: Type.String(),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
  receiptUrl: Type.String(),
})

function actorOf(request: FastifyRequest): Actor {
  if (!request.actor)
    throw new UnauthenticatedError('Cần xác thực: gửi tiêu đề Authorization: Bearer <khóa truy cập>.')
  return request.actor
}

export function dossierJson(d: DossierRow) {
  return {
    code: d.code,
    procedureCode: d.procedure_code,
    procedureName: d.procedure_name,
    unitId: d.unit_id,
    channel: d.channel,
    status: d.status,
    statusLabel: statusLabel[d.status],
    nationalStatus: nationalStatus[d.status],
    step: d.step,
    receivedAt: d.received_at.toISOString(),
    countsFrom: d.counts_from,
    dueAt: d.due_at.toISOString(),
    finishedAt: d.finished_at?.toISOString() ?? null,
    receiptUrl: `/dossiers/${d.code}/receipt`,
  }
}

export function dossiersApi(dossiers: DossiersService) {
  return async function api(app: FastifyInstance) {
    app.post(
      '/dossiers',
      {
        schema: {
          tags,
          summary:
            'Nộp hồ sơ (trực tuyến) hoặc tiếp nhận tại quầy; gửi kèm Idempotency-Key để thử lại an toàn',
          headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ maxLength: 200 })) }),
          body: Type.Object(
            {
              procedureCode: Type.String({ maxLength: 20 }),
              unitId: Type.String({ maxLength: 40 }),
              channel: Type.Optional(Type.Union([Type.Literal('online'), Type.Literal('counter')])),
              applicant: Type.Optional(
                Type.Object(
                  {
                    name: Type.Optional(Type.String({ maxLength: 150 })),
                    idNumber: Type.Optional(Type.String({ maxLength: 20 })),
                    phone: Type.Optional(Type.String({ maxLength: 20 })),
                    email: Type.Optional(Type.String({ maxLength: 200 })),
                    address: Type.Optional(Type.String({ maxLength: 300 })),
                  },
                  { additionalProperties: false },
                ),
              ),
              form: Type.Optional(
                Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 200: DossierSchema, 201: DossierSchema, ...errors },
        },
      },
      async (request, reply) => {
        const key = request.headers['idempotency-key'] as string | undefined
        const result = await dossiers.submit(
          actorOf(request),
          auditContext(request),
          request.body as never,
          key,
        )
        return reply.code(result.created ? 201 : 200).send(dossierJson(result.dossier))
      },
    )

    app.get(
      '/dossiers/:code',
      {
        schema: {
          tags,
          summary: 'Hồ sơ của tôi hoặc của đơn vị tôi',
          params: Code,
          response: { 200: DossierSchema, ...errors },
        },
      },
      async (request) => {
        const { dossier } = await dossiers.get(
          actorOf(request),
          (request.params as { code: string }).code,
          auditContext(request),
        )
        return dossierJson(dossier)
      },
    )

    app.post(
      '/dossiers/:code/actions',
      {
        schema: {
          tags,
          summary: 'Thao tác xử lý hồ sơ; 409 nếu trạng thái hiện tại không cho phép',
          params: Code,
          body: Type.Object(
            {
              action: Type.Union(Object.values(Action).map((a) => Type.Literal(a))),
              note: Type.Optional(Type.String({ maxLength: 2000 })),
              days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: DossierSchema, ...errors },
        },
      },
      async (request) =>
        dossierJson(
          await dossiers.act(
            actorOf(request),
            auditContext(request),
            (request.params as { code: string }).code,
            request.body as never,
          ),
        ),
    )

    app.get(
      '/track/:code',
      {
        schema: {
          tags,
          summary: 'Tra cứu tình trạng hồ sơ (công khai) bằng mã hồ sơ và số điện thoại hoặc số định danh',
          security: [],
          params: Code,
          querystring: Type.Object(
            {
              phone: Type.Optional(Type.String({ maxLength: 20 })),
              idNumber: Type.Optional(Type.String({ maxLength: 20 })),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              code: Type.String(),
              procedureName: Type.String(),
              status: Type.String(),
              statusLabel: Type.String(),
              nationalStatus: Type.Integer(),
              receivedAt: Type.String(),
              dueAt: Type.String(),
              finishedAt: Type.Union([Type.String(), Type.Null()]),
              steps: Type.Array(
                Type.Object({ action: Type.String(), status: Type.String(), at: Type.String() }),
              ),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const { phone, idNumber } = request.query as { phone?: string; idNumber?: string }
        const found = await dossiers.track((request.params as { code: string }).code, phone ?? idNumber ?? '')
        return {
          ...found,
          receivedAt: found.receivedAt.toISOString(),
          dueAt: found.dueAt.toISOString(),
          finishedAt: found.finishedAt?.toISOString() ?? null,
          steps: found.steps.map((s) => ({ ...s, at: s.at.toISOString() })),
        }
      },
    )
  }
}
