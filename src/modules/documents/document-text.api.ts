import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { UnauthenticatedError, type Actor } from '../../platform/auth/actor.js'
import { ErrorSchema } from '../../platform/http/openapi.js'
import type { DocumentTextService } from './document-text.service.js'
import { textStatusLabel } from './document-text.service.js'

function actorOf(request: FastifyRequest): Actor {
  if (!request.actor)
    throw new UnauthenticatedError('Cần xác thực: gửi tiêu đề Authorization: Bearer <khóa truy cập>.')
  return request.actor
}

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()])

export function documentTextApi(text: DocumentTextService) {
  return async function api(app: FastifyInstance) {
    app.get(
      '/documents/:id/files/:fileId/text',
      {
        schema: {
          tags: ['Văn bản'],
          summary:
            'Nội dung chữ đọc được từ tệp PDF đính kèm (dùng cho tìm kiếm toàn văn): lớp chữ của tệp, và nhận dạng ký tự (OCR) các trang quét không có lớp chữ',
          params: Type.Object(
            { id: Type.String({ maxLength: 40 }), fileId: Type.String({ maxLength: 40 }) },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              fileId: Type.String(),
              fileName: Type.String(),
              state: Type.String({ description: 'not_applicable | pending | extracted | no_text | failed' }),
              stateLabel: Type.String({
                description: 'Trạng thái bằng lời, nói rõ việc nhận dạng ký tự (OCR)',
              }),
              method: Type.Union([Type.Literal('text_layer'), Type.Literal('ocr'), Type.Null()], {
                description: 'text_layer: chỉ từ lớp chữ; ocr: có phần nhận dạng ký tự từ trang quét',
              }),
              ocr: Type.Union([
                Type.Object({
                  state: Type.String({
                    description: 'done | page_limit | time_limit | unavailable | failed',
                  }),
                  scannedPages: Type.Integer({ description: 'Số trang không có lớp chữ (trang quét)' }),
                  recognisedPages: Type.Integer({ description: 'Số trang quét đã nhận dạng ký tự' }),
                }),
                Type.Null(),
              ]),
              pages: Type.Union([Type.Integer(), Type.Null()]),
              error: Nullable(Type.String()),
              extractedAt: Nullable(Type.String()),
              text: Nullable(Type.String()),
            }),
            401: ErrorSchema,
            403: ErrorSchema,
            404: ErrorSchema,
          },
        },
      },
      async (request) => {
        const { id, fileId } = request.params as { id: string; fileId: string }
        const result = await text.fileText(actorOf(request), id, fileId)
        return {
          ...result,
          stateLabel: textStatusLabel(result),
          extractedAt: result.extractedAt?.toISOString() ?? null,
        }
      },
    )
  }
}
