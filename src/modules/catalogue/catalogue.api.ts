import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { ErrorSchema } from '../../platform/http/openapi.js'
import type { CatalogueService } from './catalogue.service.js'
import {
  DOCUMENT_KINDS,
  FEE_TIMINGS,
  FIELD_TYPES,
  FILE_TYPES,
  ONLINE_LEVELS,
  type Procedure,
} from './procedure.js'

const tags = ['Thủ tục hành chính']
const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)))
const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()])

const ProcedureSchema = Type.Object({
  code: Type.String({ description: 'Mã thủ tục trên Cổng Dịch vụ công quốc gia' }),
  name: Type.String(),
  field: Type.String(),
  onlineLevel: literals(ONLINE_LEVELS),
  legacyLevel: Type.Union([Type.Integer(), Type.Null()]),
  processingDays: Type.Integer({ description: 'Thời hạn giải quyết, ngày làm việc' }),
  feeTiming: literals(FEE_TIMINGS),
  fees: Type.Array(
    Type.Object({
      name: Type.String(),
      amountVnd: Type.Integer(),
      note: Nullable(Type.String()),
      optional: Type.Boolean({ description: 'Chỉ thu khi người nộp yêu cầu (ví dụ cấp thêm bản sao)' }),
      quantityField: Nullable(Type.String({ description: 'Trường số của biểu mẫu nhân với mức thu' })),
    }),
  ),
  documents: Type.Array(
    Type.Object({
      name: Type.String(),
      kind: literals(DOCUMENT_KINDS),
      copies: Type.Integer(),
      required: Type.Boolean(),
      template: Nullable(Type.String()),
      accept: Type.Array(literals(FILE_TYPES), { description: 'Loại tệp được nhận (theo nội dung tệp)' }),
    }),
  ),
  form: Type.Array(
    Type.Object({
      name: Type.String(),
      label: Type.String(),
      type: literals(FIELD_TYPES),
      required: Type.Boolean(),
      pattern: Nullable(Type.String()),
      options: Type.Array(Type.String()),
    }),
  ),
  resultType: Nullable(Type.String()),
  legalBasis: Type.Array(Type.String()),
  unitTypes: Type.Array(Type.String()),
  unitKeys: Type.Array(Type.String()),
  workflow: Type.String(),
  effectiveFrom: Type.String({ format: 'date' }),
  effectiveTo: Nullable(Type.String({ format: 'date' })),
  isSample: Type.Boolean(),
  sourceNote: Nullable(Type.String()),
})

const strip = ({ id: _id, ...rest }: Procedure) => rest

export function catalogueApi(catalogue: CatalogueService) {
  return async function api(app: FastifyInstance) {
    app.get(
      '/procedures',
      {
        schema: {
          tags,
          summary: 'Tìm thủ tục hành chính đang có hiệu lực (không dấu cũng được)',
          security: [],
          querystring: Type.Object(
            {
              q: Type.Optional(Type.String({ maxLength: 200 })),
              field: Type.Optional(Type.String({ maxLength: 200 })),
              unit: Type.Optional(Type.String({ format: 'uuid' })),
              level: Type.Optional(literals(ONLINE_LEVELS)),
              after: Type.Optional(Type.String({ maxLength: 500 })),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              items: Type.Array(ProcedureSchema),
              next: Type.Union([Type.String(), Type.Null()]),
            }),
            400: ErrorSchema,
          },
        },
      },
      async (request) => {
        const { limit, unit, ...filter } = request.query as Record<string, string | undefined> & {
          limit?: number
        }
        const result = await catalogue.search({ ...filter, unitId: unit }, limit ?? 20)
        return { items: result.items.map(strip), next: result.next }
      },
    )

    app.get(
      '/procedures/:code',
      {
        schema: {
          tags,
          summary: 'Một thủ tục hành chính: phiên bản đang có hiệu lực',
          security: [],
          params: Type.Object(
            { code: Type.String({ pattern: '^\\d\\.\\d{6}$' }) },
            { additionalProperties: false },
          ),
          response: { 200: ProcedureSchema, 400: ErrorSchema, 404: ErrorSchema },
        },
      },
      async (request) => strip(await catalogue.getInForce((request.params as { code: string }).code)),
    )
  }
}
