import type { FastifyInstance } from 'fastify'
import { Type, type TSchema } from 'typebox'
import { ErrorSchema } from '../../platform/http/openapi.js'
import { indicatorPaths as paths } from './indicators.paths.js'
import { MAX_PERIOD_DAYS, type IndicatorsService } from './indicators.service.js'

const tags = ['Chỉ số phục vụ']
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])
const Count = (description?: string) => Type.Integer({ minimum: 0, ...(description ? { description } : {}) })

const RatioSchema = Type.Object({
  numerator: Type.Integer(),
  denominator: Type.Integer(),
  percent: Nullable(Type.Number({ description: 'Phần trăm, một chữ số thập phân; null khi mẫu số bằng 0' })),
})

const UnitSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  shortName: Nullable(Type.String()),
  type: Type.String(),
})

const ComponentSchema = Type.Object({
  key: Type.String(),
  label: Type.String(),
  formula: Type.String({ description: 'Công thức nền tảng dùng (hoặc "chưa rõ")' }),
  measured: Type.Boolean({ description: 'false: nền tảng chưa có dữ liệu cho thành phần này' }),
  value: Nullable(RatioSchema),
  maxPoints: Nullable(Type.Number({ description: 'Số điểm của thành phần theo nguồn, nếu có' })),
  points: Nullable(Type.Number({ description: 'Điểm ước tính = maxPoints × tỷ lệ' })),
  confirmed: Type.Boolean({
    description: 'true chỉ khi tài liệu tham chiếu xác nhận cả công thức và số điểm',
  }),
  note: Type.String(),
})

const GroupSchema = Type.Object({
  id: Type.Union(['1', '2', '3', '4a', '4b', '5'].map((id) => Type.Literal(id))),
  group: Type.Integer({ minimum: 1, maximum: 5 }),
  api: Type.String({ description: 'Tên nhóm trong API báo cáo của Cổng Dịch vụ công quốc gia' }),
  label: Type.String(),
  maxPoints: Type.Number(),
  maxConfirmed: Type.Boolean(),
  points: Nullable(
    Type.Number({ description: 'Điểm ước tính của nhóm; null khi có thành phần chưa đo hoặc chưa rõ điểm' }),
  ),
  components: Type.Array(ComponentSchema),
})

export const FiguresSchema = Type.Object({
  unit: UnitSchema,
  period: Type.Object({
    from: Type.String({ format: 'date' }),
    to: Type.String({ format: 'date' }),
    days: Type.Integer(),
  }),
  asOf: Type.String({ description: 'Thời điểm tính số hồ sơ đang giải quyết' }),
  pendingEvents: Count('Sự kiện chưa được cập nhật vào số liệu (0: số liệu đã cập nhật đầy đủ)'),
  measures: Type.Object({
    received: Type.Object({ total: Count(), online: Count(), counter: Count() }),
    resolved: Type.Object({
      total: Count(),
      early: Count('Trả kết quả trước ngày hẹn trả'),
      onTime: Count('Trả kết quả trong ngày hẹn trả'),
      late: Count('Trả kết quả sau ngày hẹn trả'),
    }),
    rejected: Count('Từ chối, dừng xử lý (kể cả hồ sơ trực tuyến không được tiếp nhận)'),
    withdrawn: Count('Rút hồ sơ theo yêu cầu'),
    inProgress: Type.Object(
      { total: Count(), onTime: Count(), overdue: Count(), paused: Count('Chờ bổ sung, tạm dừng tính hạn') },
      { description: 'Tại thời điểm asOf, không phụ thuộc kỳ báo cáo' },
    ),
    awaitingIntake: Count('Hồ sơ trực tuyến chưa được tiếp nhận, tại thời điểm asOf'),
    digitisation: Type.Object({
      counterReceived: Count('Hồ sơ tiếp nhận tại quầy'),
      digitised: Count('Trong đó có ít nhất một tệp số hóa'),
    }),
    results: Type.Object({ total: Count(), electronic: Count() }),
    fees: Type.Object({ dossiers: Count('Hồ sơ có phí, lệ phí'), paidOnline: Count() }),
    ratings: Type.Object({
      count: Count(),
      total: Count('Tổng điểm đánh giá'),
      max: Count('Tổng điểm tối đa'),
    }),
    procedures: Type.Object({
      total: Count('Thủ tục các đơn vị thực hiện (danh mục hiện hành)'),
      online: Count('Trong đó trực tuyến toàn trình hoặc một phần'),
    }),
  }),
  shares: Type.Object({
    online: RatioSchema,
    onTime: RatioSchema,
    onlineProcedures: RatioSchema,
    digitised: RatioSchema,
    electronicResults: RatioSchema,
    paidOnline: RatioSchema,
    satisfaction: RatioSchema,
  }),
  criteria: Type.Array(
    Type.Object({
      criterion: Type.Integer({ minimum: 1, maximum: 9 }),
      label: Type.String(),
      ratings: Count(),
      score: Count(),
      average: Nullable(Type.Number({ description: 'Điểm trung bình 0–2' })),
    }),
    { description: 'Các tiêu chí đánh giá của Thông tư 01/2018/TT-VPCP Điều 13' },
  ),
  qd766: Type.Object({
    note: Type.String(),
    maxPoints: Type.Number(),
    groups: Type.Array(GroupSchema),
  }),
  children: Type.Array(
    Type.Object({
      unit: UnitSchema,
      received: Count(),
      receivedOnline: Count(),
      resolved: Count(),
      resolvedOnTime: Count(),
      overdue: Count(),
      shares: Type.Object({ online: RatioSchema, onTime: RatioSchema, satisfaction: RatioSchema }),
    }),
    { description: 'Các đơn vị trực thuộc, mỗi đơn vị tính cả cây con của nó' },
  ),
})

/** JSON for programs: the same figures as the page /admin/indicators. */
export function indicatorsApi(service: IndicatorsService) {
  return async function api(app: FastifyInstance) {
    app.get(
      paths.api.statsPattern,
      {
        schema: {
          tags,
          summary: 'Chỉ số giải quyết hồ sơ của một đơn vị (cả đơn vị trực thuộc) trong một kỳ',
          description:
            'Cán bộ xem được đơn vị mình có vai trò và các đơn vị trực thuộc; quản trị hệ thống xem toàn tỉnh. ' +
            'unit: không gửi là đơn vị cao nhất của người gọi. from, to: YYYY-MM-DD theo giờ Việt Nam, mặc định ' +
            `tháng hiện tại, tối đa ${MAX_PERIOD_DAYS} ngày. Nhóm chỉ số QĐ 766/QĐ-TTg kèm cờ confirmed: phần lớn ` +
            'công thức và cách chia điểm chưa được xác nhận.',
          querystring: Type.Object(
            {
              unit: Type.Optional(Type.String({ maxLength: 40 })),
              from: Type.Optional(Type.String({ maxLength: 10, description: 'YYYY-MM-DD' })),
              to: Type.Optional(Type.String({ maxLength: 10, description: 'YYYY-MM-DD' })),
            },
            { additionalProperties: false },
          ),
          response: {
            200: FiguresSchema,
            400: ErrorSchema,
            401: ErrorSchema,
            403: ErrorSchema,
            404: ErrorSchema,
            422: ErrorSchema,
          },
        },
      },
      async (request) => {
        const query = request.query as { unit?: string; from?: string; to?: string }
        return service.figures(request.actor, query)
      },
    )
  }
}
