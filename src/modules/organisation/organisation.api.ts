import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { Type, type TSchema } from 'typebox'
import { authorize } from '../../platform/auth/actor.js'
import { Permission } from '../../platform/auth/roles.js'
import { ErrorSchema } from '../../platform/http/openapi.js'
import { auditContext } from '../../platform/http/plugin.js'
import { ORG_UNIT_TYPES } from './org-unit.js'
import { organisationPaths as paths } from './organisation.paths.js'
import type { OrganisationService } from './organisation.service.js'

const tags = ['Đơn vị']
const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

const UnitType = Type.Enum(ORG_UNIT_TYPES, {
  description:
    'province_committee: UBND tỉnh; department: sở, ban, ngành; district_committee: UBND huyện (đến 30/06/2025); ' +
    'commune_committee: UBND xã; ward_committee: UBND phường; office: phòng, đơn vị trực thuộc',
})

export const OrgUnitSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  parentId: nullable(Type.String({ format: 'uuid' })),
  path: Type.String({ description: "'/<id gốc>/…/<id đơn vị>/': chuỗi tổ tiên, dùng để so khớp cây con" }),
  key: nullable(Type.String({ description: 'Khóa của dữ liệu mẫu (tệp data/seed/org-units.csv)' })),
  name: Type.String(),
  shortName: nullable(Type.String()),
  type: UnitType,
  level: Type.Integer({ minimum: 1, maximum: 4 }),
  agencyCode: nullable(
    Type.String({ description: 'Mã định danh theo QCVN 102:2016/BTTTT, ví dụ 000.00.00.H14' }),
  ),
  adminUnitCode: nullable(Type.String({ description: 'Mã đơn vị hành chính (2, 3 hoặc 5 chữ số)' })),
  validFrom: Type.String({ format: 'date' }),
  validTo: nullable(Type.String({ format: 'date' })),
  isSample: Type.Boolean({ description: 'Mã định danh là dữ liệu mẫu, chưa phải mã chính thức' }),
  requireTotp: Type.Boolean({ description: 'Cán bộ của đơn vị phải đăng nhập bằng xác thực hai lớp' }),
  source: nullable(Type.String()),
})

// Types only: the rules (lengths, code formats, dates) live in the service, which answers 422 with
// one Vietnamese message per field, the same as the HTML form.
const writable = {
  parentId: Type.Optional(
    nullable(Type.String({ description: 'Đơn vị cấp trên; null chỉ dành cho UBND tỉnh (đơn vị gốc)' })),
  ),
  name: Type.String({ description: 'Tên đơn vị, 2–200 ký tự' }),
  shortName: Type.Optional(nullable(Type.String())),
  type: Type.String({ description: 'Một trong: ' + ORG_UNIT_TYPES.join(', ') }),
  agencyCode: Type.Optional(
    nullable(Type.String({ description: 'Dạng 000.00.00.H14 (QCVN 102:2016/BTTTT)' })),
  ),
  adminUnitCode: Type.Optional(nullable(Type.String({ description: '2, 3 hoặc 5 chữ số' }))),
  validFrom: Type.String({ description: 'YYYY-MM-DD' }),
  validTo: Type.Optional(nullable(Type.String({ description: 'YYYY-MM-DD; null: còn hiệu lực' }))),
  requireTotp: Type.Optional(Type.Boolean()),
}

const CreateUnitBody = Type.Object(writable, { additionalProperties: false })
const UpdateUnitBody = Type.Object(
  {
    parentId: writable.parentId,
    name: Type.Optional(writable.name),
    shortName: writable.shortName,
    type: Type.Optional(writable.type),
    agencyCode: writable.agencyCode,
    adminUnitCode: writable.adminUnitCode,
    validFrom: Type.Optional(writable.validFrom),
    validTo: writable.validTo,
    requireTotp: writable.requireTotp,
  },
  { additionalProperties: false },
)

// Before the body is validated, so an anonymous caller learns 401, not what the body lacks.
const mustManageUnits = async (request: FastifyRequest) => authorize(request.actor, Permission.unitsManage)

const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) })

const errors = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  422: ErrorSchema,
}

/** JSON for programs: the org tree is public; changing it needs units.manage on the units involved. */
export function organisationApi(service: OrganisationService): FastifyPluginAsync {
  return async (instance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()

    app.get(
      paths.api.listPattern,
      {
        schema: {
          tags,
          summary: 'Danh sách đơn vị',
          security: [],
          description:
            'Cơ cấu tổ chức của tỉnh, công khai. activeOn: chỉ các đơn vị còn hiệu lực vào ngày đó ' +
            '(không gửi: mọi thời kỳ). q: tìm theo tên, không phân biệt dấu và hoa thường.',
          querystring: Type.Object({
            activeOn: Type.Optional(Type.String({ format: 'date', description: 'YYYY-MM-DD' })),
            q: Type.Optional(Type.String({ maxLength: 200 })),
          }),
          response: { 200: Type.Object({ items: Type.Array(OrgUnitSchema) }), 400: ErrorSchema },
        },
      },
      async (request) => {
        const { activeOn, q } = request.query
        return { items: await service.listUnits({ activeOn, q }) }
      },
    )

    app.get(
      paths.api.onePattern,
      {
        schema: {
          tags,
          summary: 'Thông tin một đơn vị',
          security: [],
          params: IdParams,
          response: { 200: OrgUnitSchema, 400: ErrorSchema, 404: ErrorSchema },
        },
      },
      async (request) => service.getUnit(request.params.id),
    )

    app.post(
      paths.api.listPattern,
      {
        preValidation: mustManageUnits,
        schema: {
          tags,
          summary: 'Thêm đơn vị',
          description: 'Cần quyền quản lý đơn vị (units.manage) tại đơn vị cấp trên.',
          body: CreateUnitBody,
          response: { 201: OrgUnitSchema, ...errors },
        },
      },
      async (request, reply) => {
        const unit = await service.createUnit(request.actor, auditContext(request), request.body)
        return reply.code(201).send(unit)
      },
    )

    app.patch(
      paths.api.onePattern,
      {
        preValidation: mustManageUnits,
        schema: {
          tags,
          summary: 'Sửa đơn vị',
          description:
            'Chỉ thay đổi các trường được gửi. Cần quyền quản lý đơn vị tại đơn vị này, và tại đơn vị cấp trên mới ' +
            'khi chuyển đơn vị sang nơi khác.',
          params: IdParams,
          body: UpdateUnitBody,
          response: { 200: OrgUnitSchema, ...errors },
        },
      },
      async (request) =>
        service.updateUnit(request.actor, auditContext(request), request.params.id, request.body),
    )
  }
}
