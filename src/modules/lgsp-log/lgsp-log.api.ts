import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { UnauthenticatedError, type Actor } from '../../platform/auth/actor.js'
import { NotFoundError } from '../../platform/http/errors.js'
import { ErrorSchema } from '../../platform/http/openapi.js'
import { auditContext } from '../../platform/http/plugin.js'
import { messageLogPaths as paths } from './lgsp-log.paths.js'
import { parseFilters, type LogEntry, type MessageLogService, type RawFilters } from './lgsp-log.service.js'

const tags = ['Nhật ký trao đổi LGSP']
const errors = { 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 422: ErrorSchema }

const EntrySchema = Type.Object({
  seq: Type.Union([Type.Integer(), Type.Null()], {
    description: 'Số thứ tự trong chuỗi; null khi chờ nối chuỗi',
  }),
  batch: Type.Union([Type.Integer(), Type.Null()], { description: 'Lô ký số' }),
  messageId: Type.String({ description: 'X-Road-Id' }),
  requestId: Type.String({ description: 'X-Road-Request-Id' }),
  client: Type.String({ description: 'INSTANCE/CLASS/MEMBER/SUBSYSTEM' }),
  service: Type.String({ description: 'INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE' }),
  tokenClientId: Type.String(),
  method: Type.String(),
  path: Type.String(),
  status: Type.Integer(),
  errorCode: Type.Union([Type.String(), Type.Null()]),
  startedAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.String({ format: 'date-time' }),
  recordedAt: Type.String({ format: 'date-time' }),
  requestHash: Type.String(),
  responseHash: Type.String(),
  requestBytes: Type.Integer(),
  responseBytes: Type.Integer(),
  requestBodyKept: Type.Boolean(),
  responseBodyKept: Type.Boolean(),
  hash: Type.Union([Type.String(), Type.Null()], { description: 'Mã băm của bản ghi trong chuỗi' }),
})

const Seq = Type.Object({ seq: Type.String({ pattern: '^[1-9][0-9]{0,15}$' }) })

function entryJson(e: LogEntry) {
  return {
    seq: e.seq,
    batch: e.batch_no,
    messageId: e.message_id,
    requestId: e.request_id,
    client: e.client,
    service: e.service,
    tokenClientId: e.token_client_id,
    method: e.method,
    path: e.path,
    status: e.status,
    errorCode: e.error_code,
    startedAt: e.started_at.toISOString(),
    finishedAt: e.finished_at.toISOString(),
    recordedAt: e.recorded_at.toISOString(),
    requestHash: e.request_hash,
    responseHash: e.response_hash,
    requestBytes: e.request_bytes,
    responseBytes: e.response_bytes,
    requestBodyKept: e.has_request_body,
    responseBodyKept: e.has_response_body,
    hash: e.hash,
  }
}

function actorOf(request: FastifyRequest): Actor {
  if (!request.actor)
    throw new UnauthenticatedError('Cần xác thực: gửi tiêu đề Authorization: Bearer <khóa truy cập>.')
  return request.actor
}

/** The message log for programs (a SIEM, an auditor's tools): the search of the admin page, and kept bodies. */
export function messageLogApi(log: MessageLogService) {
  return async function api(app: FastifyInstance) {
    app.get(
      paths.api.list,
      {
        schema: {
          tags,
          summary: 'Tìm trong nhật ký trao đổi LGSP, mới nhất trước (phân trang theo số thứ tự)',
          querystring: Type.Object(
            {
              client: Type.Optional(Type.String({ maxLength: 512, description: 'Hệ thống gọi, đầy đủ' })),
              service: Type.Optional(Type.String({ maxLength: 512, description: 'Dịch vụ, đầy đủ' })),
              requestId: Type.Optional(
                Type.String({ maxLength: 512, description: 'X-Road-Request-Id hoặc X-Road-Id' }),
              ),
              status: Type.Optional(
                Type.String({ maxLength: 3, description: '200, 404… hoặc 2xx, 4xx, 5xx' }),
              ),
              from: Type.Optional(
                Type.String({
                  maxLength: 40,
                  description: 'YYYY-MM-DD (giờ Việt Nam) hoặc ISO 8601; tính từ',
                }),
              ),
              to: Type.Optional(
                Type.String({
                  maxLength: 40,
                  description: 'YYYY-MM-DD (cả ngày đó, giờ Việt Nam) hoặc ISO 8601; trước thời điểm này',
                }),
              ),
              before: Type.Optional(
                Type.Integer({ minimum: 1, description: 'Trang sau: nextBefore của trang trước' }),
              ),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              pending: Type.Array(EntrySchema, { description: 'Đã ghi, chờ nối chuỗi (chỉ ở trang đầu)' }),
              entries: Type.Array(EntrySchema),
              nextBefore: Type.Union([Type.Integer(), Type.Null()]),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const actor = actorOf(request)
        log.assertCanRead(actor)
        const query = request.query as RawFilters & { before?: number; limit?: number }
        const page = await log.search(actor, parseFilters(query), {
          before: query.before,
          limit: query.limit,
        })
        return {
          pending: page.pending.map(entryJson),
          entries: page.entries.map(entryJson),
          nextBefore: page.nextBefore,
        }
      },
    )

    app.get(
      paths.api.entry(':seq'),
      {
        schema: {
          tags,
          summary: 'Một bản ghi của nhật ký trao đổi LGSP',
          params: Seq,
          response: { 200: EntrySchema, ...errors },
        },
      },
      async (request) => {
        const { seq } = request.params as { seq: string }
        return entryJson(await log.getEntry(actorOf(request), Number(seq)))
      },
    )

    app.post(
      paths.api.body(':seq', ':part'),
      {
        schema: {
          tags,
          summary:
            'Giải mã nội dung yêu cầu hoặc phản hồi đã lưu của một bản ghi (được ghi nhật ký kiểm toán)',
          params: Type.Object({
            seq: Seq.properties.seq,
            part: Type.String({ description: 'request | response' }),
          }),
          response: {
            200: Type.Object({
              part: Type.String(),
              bytes: Type.Integer(),
              hashMatches: Type.Boolean({ description: 'SHA-256 của nội dung khớp mã băm đã ghi' }),
              base64: Type.String(),
            }),
            ...errors,
          },
        },
      },
      async (request, reply) => {
        const { seq, part } = request.params as { seq: string; part: string }
        if (part !== 'request' && part !== 'response') throw new NotFoundError()
        const view = await log.readBody(actorOf(request), Number(seq), part, auditContext(request))
        reply.header('cache-control', 'no-store')
        return {
          part: view.part,
          bytes: view.body.length,
          hashMatches: view.hashMatches,
          base64: view.body.toString('base64'),
        }
      },
    )
  }
}
