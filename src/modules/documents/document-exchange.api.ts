import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { Config } from '../../platform/config.js'
import { ErrorSchema } from '../../platform/http/openapi.js'
import { auditContext } from '../../platform/http/plugin.js'
import { AppError } from '../../platform/http/errors.js'
import type { DocumentExchange } from './document-exchange.service.js'

const tags = ['Liên thông văn bản qua LGSP']
const errors = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  409: ErrorSchema,
  413: ErrorSchema,
  422: ErrorSchema,
}
const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()])

/** Requests under this prefix carry an agency system's SSO access token, not a person's (app.ts). */
export const EXCHANGE_API_PREFIX = '/api/v1/documents/exchange/'

const paths = { packages: '/documents/exchange/packages', status: '/documents/exchange/status' }

function xmlBody(request: FastifyRequest): string {
  if (typeof request.body !== 'string' || request.body.trim() === '') {
    throw new AppError(
      400,
      'invalid_edxml',
      'Gửi gói tin edXML trong thân yêu cầu với Content-Type: application/xml.',
    )
  }
  return request.body
}

/**
 * The API agencies' systems call over the LGSP, with a client-credentials access token from the platform's
 * SSO (scope lgsp) whose client is a subsystem of the agency in the LGSP registry (decision 0011).
 */
export function documentExchangeApi(
  exchange: DocumentExchange,
  { uploadMaxBytes }: Pick<Config, 'uploadMaxBytes'>,
) {
  return async function api(app: FastifyInstance) {
    app.addContentTypeParser(
      ['application/xml', 'text/xml'],
      { parseAs: 'string', bodyLimit: Math.max(6 * uploadMaxBytes, 1_048_576) },
      (_request, body, done) => done(null, body),
    )

    app.post(
      paths.packages,
      {
        schema: {
          tags,
          summary:
            'Cơ quan gửi gói tin edXML (văn bản mới, thu hồi, cập nhật, thay thế) đến đơn vị trên nền tảng; Bearer token của hệ thống cơ quan (scope lgsp). Gói tin sai: 400; không phải của cơ quan: 403; đã nhận: 409',
          consumes: ['application/xml'],
          response: {
            201: Type.Object({
              businessType: Type.Integer({ description: '0 mới, 1 thu hồi, 2 cập nhật, 3 thay thế' }),
              results: Type.Array(
                Type.Object({
                  unitId: Type.String(),
                  agencyCode: Type.String(),
                  documentId: Nullable(Type.String()),
                  number: Type.Union([Type.Integer(), Type.Null()]),
                  outcome: Type.String({
                    description: 'registered | recalled | updated | refused | duplicate | not_accepted',
                  }),
                  status: Nullable(Type.String()),
                  message: Nullable(Type.String()),
                }),
              ),
            }),
            ...errors,
          },
        },
      },
      async (request, reply) => {
        const result = await exchange.receivePackage(
          request.headers.authorization,
          xmlBody(request),
          auditContext(request),
        )
        return reply.code(201).send(result)
      },
    )

    app.post(
      paths.status,
      {
        schema: {
          tags,
          summary:
            'Cơ quan gửi thông báo trạng thái edXML (01–06, 02, 13, 15, 16) về văn bản nền tảng đã gửi (hoặc 13 về văn bản của chính cơ quan)',
          consumes: ['application/xml'],
          response: {
            200: Type.Object({
              statusCode: Type.String(),
              outgoingId: Type.Optional(Type.String()),
              duplicate: Type.Optional(Type.Boolean()),
              results: Type.Optional(
                Type.Array(
                  Type.Object({
                    documentId: Type.String(),
                    statusCode: Type.String(),
                    duplicate: Type.Boolean(),
                  }),
                ),
              ),
            }),
            ...errors,
          },
        },
      },
      async (request) =>
        exchange.receiveStatus(request.headers.authorization, xmlBody(request), auditContext(request)),
    )
  }
}
