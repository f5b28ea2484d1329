import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { UnauthenticatedError, type Actor } from '../../platform/auth/actor.js'
import { ErrorSchema } from '../../platform/http/openapi.js'
import { auditContext } from '../../platform/http/plugin.js'
import type { PaymentsService } from './payments.service.js'

const tags = ['Thanh toán']
const errors = { 401: ErrorSchema, 403: ErrorSchema, 422: ErrorSchema }

const NullableString = Type.Union([Type.String(), Type.Null()])

const ReconciliationSchema = Type.Object({
  day: Type.String({ description: 'Ngày (giờ Việt Nam), YYYY-MM-DD' }),
  byStatus: Type.Array(
    Type.Object({
      status: Type.String({ description: 'pending | succeeded | failed | expired' }),
      count: Type.Integer(),
      amount: Type.Integer({ description: 'đồng' }),
    }),
  ),
  totals: Type.Object({
    attempts: Type.Integer(),
    amount: Type.Integer(),
    succeededAmount: Type.Integer(),
    recordedAmount: Type.Integer({ description: 'Phần đã ghi nhận vào hồ sơ' }),
  }),
  flags: Type.Array(
    Type.Object({
      kind: Type.String({
        description: 'not_recorded | amount_differs | pending_too_long | bad_signature | unknown_reference',
      }),
      at: Type.String(),
      reference: NullableString,
      dossierCode: NullableString,
      detail: Type.String(),
    }),
  ),
  payments: Type.Array(
    Type.Object({
      reference: Type.String(),
      dossierCode: Type.String(),
      attempt: Type.Integer(),
      amount: Type.Integer(),
      status: Type.String(),
      provider: Type.String(),
      providerTransaction: NullableString,
      recorded: Type.Boolean(),
      recordProblem: NullableString,
      gatewayStatus: NullableString,
      createdAt: Type.String(),
      paidAt: NullableString,
    }),
  ),
})

const RecheckSchema = Type.Object({
  checked: Type.Integer(),
  succeeded: Type.Integer(),
  failed: Type.Integer(),
  expired: Type.Integer(),
  pending: Type.Integer(),
  unreachable: Type.Integer({ description: 'Không liên lạc được với cổng thanh toán' }),
  recorded: Type.Integer({ description: 'Giao dịch thành công được ghi nhận lại vào hồ sơ' }),
})

function actorOf(request: FastifyRequest): Actor {
  if (!request.actor)
    throw new UnauthenticatedError('Cần xác thực: gửi tiêu đề Authorization: Bearer <khóa truy cập>.')
  return request.actor
}

/** Reconciliation for programs (the treasury's or the finance office's tools): the figures of the page. */
export function paymentsApi(payments: PaymentsService) {
  return async function api(app: FastifyInstance) {
    app.get(
      '/payments',
      {
        schema: {
          tags,
          summary: 'Đối soát thanh toán trực tuyến trong một ngày: theo kết quả, tổng số, các chênh lệch',
          querystring: Type.Object(
            {
              day: Type.Optional(Type.String({ maxLength: 10, description: 'YYYY-MM-DD; mặc định hôm nay' })),
            },
            { additionalProperties: false },
          ),
          response: { 200: ReconciliationSchema, ...errors },
        },
      },
      async (request) => {
        const report = await payments.reconciliation(
          actorOf(request),
          (request.query as { day?: string }).day,
        )
        return {
          day: report.day,
          byStatus: report.byStatus,
          totals: report.totals,
          flags: report.flags.map((f) => ({ ...f, at: f.at.toISOString() })),
          payments: report.payments.map((p) => ({
            reference: p.reference,
            dossierCode: p.dossier_code,
            attempt: p.attempt,
            amount: p.amount,
            status: p.status,
            provider: p.provider,
            providerTransaction: p.provider_transaction,
            recorded: p.recorded,
            recordProblem: p.record_problem,
            gatewayStatus: p.gateway_status,
            createdAt: p.created_at.toISOString(),
            paidAt: p.paid_at?.toISOString() ?? null,
          })),
        }
      },
    )

    app.post(
      '/payments/recheck',
      {
        schema: {
          tags,
          summary: 'Hỏi lại cổng thanh toán về các giao dịch đang chờ kết quả',
          response: { 200: RecheckSchema, ...errors },
        },
      },
      async (request) => payments.recheck(actorOf(request), auditContext(request)),
    )
  }
}
