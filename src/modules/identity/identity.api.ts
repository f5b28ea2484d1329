import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { verifyAudit } from '../../platform/audit/audit.js'
import { authorize, UnauthenticatedError, type Actor } from '../../platform/auth/actor.js'
import { Permission, ROLES } from '../../platform/auth/roles.js'
import type { Db } from '../../platform/db/database.js'
import { auditContext } from '../../platform/http/plugin.js'
import { ErrorSchema } from '../../platform/http/openapi.js'
import type { AuthService } from './auth.service.js'
import type { UsersService, UserView } from './users.service.js'

const tags = ['Người dùng']
const Id = Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false })
const Grant = Type.Object({
  role: Type.Union(ROLES.map((r) => Type.Literal(r))),
  unitId: Type.Union([Type.String(), Type.Null()]),
  unitName: Type.Union([Type.String(), Type.Null()]),
  includeSubtree: Type.Boolean(),
})
const Me = Type.Object({
  id: Type.String(),
  username: Type.String(),
  fullName: Type.String(),
  kind: Type.String(),
  homeUnitId: Type.Union([Type.String(), Type.Null()]),
  authenticatedBy: Type.String(),
  grants: Type.Array(Grant),
})
const UserSummary = Type.Object({
  id: Type.String(),
  username: Type.String(),
  fullName: Type.String(),
  kind: Type.String(),
  status: Type.String(),
  homeUnitId: Type.Union([Type.String(), Type.Null()]),
})
const UserDetail = Type.Object({
  ...UserSummary.properties,
  email: Type.Union([Type.String(), Type.Null()]),
  phone: Type.Union([Type.String(), Type.Null()]),
  citizenId: Type.Union([Type.String(), Type.Null()]),
  roles: Type.Array(
    Type.Object({
      id: Type.String(),
      role: Type.String(),
      unitId: Type.Union([Type.String(), Type.Null()]),
      includeSubtree: Type.Boolean(),
    }),
  ),
})
const NewUser = Type.Object(
  {
    username: Type.String({ maxLength: 100 }),
    fullName: Type.String({ maxLength: 150 }),
    homeUnitId: Type.String(),
    password: Type.String({ maxLength: 200 }),
    email: Type.Optional(Type.String({ maxLength: 200 })),
    phone: Type.Optional(Type.String({ maxLength: 20 })),
    citizenId: Type.Optional(Type.String({ maxLength: 20 })),
    role: Type.Optional(Type.String({ maxLength: 40 })),
  },
  { additionalProperties: false },
)
const UserPatch = Type.Object(
  {
    fullName: Type.Optional(Type.String({ maxLength: 150 })),
    homeUnitId: Type.Optional(Type.String()),
    email: Type.Optional(Type.String({ maxLength: 200 })),
    phone: Type.Optional(Type.String({ maxLength: 20 })),
    citizenId: Type.Optional(Type.String({ maxLength: 20 })),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('disabled')])),
  },
  { additionalProperties: false },
)
const NewRole = Type.Object(
  {
    role: Type.String({ maxLength: 40 }),
    unitId: Type.String(),
    includeSubtree: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)
const NewToken = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 365 })),
  },
  { additionalProperties: false },
)
const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 422: ErrorSchema }

function apiActor(request: FastifyRequest): Actor {
  if (!request.actor)
    throw new UnauthenticatedError('Cần xác thực: gửi tiêu đề Authorization: Bearer <khóa truy cập>.')
  return request.actor
}

const summary = (u: {
  id: string
  username: string
  full_name: string
  kind: string
  status: string
  home_unit_id: string | null
}) => ({
  id: u.id,
  username: u.username,
  fullName: u.full_name,
  kind: u.kind,
  status: u.status,
  homeUnitId: u.home_unit_id,
})
const detail = (u: UserView) => ({
  ...summary(u),
  email: u.email,
  phone: u.phone,
  citizenId: u.citizen_id,
  roles: u.assignments.map((a) => ({
    id: a.id,
    role: a.role,
    unitId: a.unit?.id ?? null,
    includeSubtree: a.includeSubtree,
  })),
})

export function identityApi(auth: AuthService, users: UsersService, db: Db) {
  return async function api(app: FastifyInstance) {
    app.get(
      '/me',
      { schema: { tags, summary: 'Người dùng hiện tại', response: { 200: Me, 401: ErrorSchema } } },
      async (request) => {
        const actor = apiActor(request)
        return {
          id: actor.userId,
          username: actor.username,
          fullName: actor.fullName,
          kind: actor.kind,
          homeUnitId: actor.homeUnitId,
          authenticatedBy: actor.via,
          grants: actor.grants.map((g) => ({
            role: g.role,
            unitId: g.unitId,
            unitName: g.unitName,
            includeSubtree: g.includeSubtree,
          })),
        }
      },
    )

    app.get(
      '/users',
      {
        schema: {
          tags,
          summary: 'Danh sách cán bộ trong phạm vi quản lý',
          querystring: Type.Object(
            {
              q: Type.Optional(Type.String({ maxLength: 100 })),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ items: Type.Array(UserSummary) }), ...errors },
        },
      },
      async (request) => {
        const { q, limit } = request.query as { q?: string; limit?: number }
        const rows = await users.listUsers(
          apiActor(request),
          { q: q?.normalize('NFC').trim() || undefined },
          limit ?? 50,
        )
        return { items: rows.map(summary) }
      },
    )

    app.get(
      '/users/:id',
      {
        schema: {
          tags,
          summary: 'Thông tin người dùng (ghi nhật ký truy cập dữ liệu cá nhân)',
          params: Id,
          response: { 200: UserDetail, ...errors },
        },
      },
      async (request) =>
        detail(
          await users.getUser(
            apiActor(request),
            (request.params as { id: string }).id,
            auditContext(request),
          ),
        ),
    )

    app.post(
      '/users',
      {
        schema: {
          tags,
          summary: 'Tạo tài khoản cán bộ',
          body: NewUser,
          response: { 201: UserDetail, ...errors },
        },
      },
      async (request, reply) => {
        const actor = apiActor(request)
        const created = await users.createOfficial(
          actor,
          request.body as Record<string, unknown>,
          auditContext(request),
        )
        return reply.code(201).send(detail(await users.view(created)))
      },
    )

    app.patch(
      '/users/:id',
      {
        schema: {
          tags,
          summary: 'Sửa thông tin cán bộ',
          params: Id,
          body: UserPatch,
          response: { 200: UserDetail, ...errors },
        },
      },
      async (request) => {
        const actor = apiActor(request)
        const { id } = request.params as { id: string }
        const current = await users.getUser(actor, id, auditContext(request))
        const patch = request.body as Record<string, unknown>
        const merged = {
          fullName: current.full_name,
          email: current.email ?? '',
          phone: current.phone ?? '',
          citizenId: current.citizen_id ?? '',
          homeUnitId: current.home_unit_id,
          status: current.status,
          ...patch,
        }
        return detail(await users.view(await users.updateOfficial(actor, id, merged, auditContext(request))))
      },
    )

    app.post(
      '/users/:id/roles',
      {
        schema: {
          tags,
          summary: 'Giao vai trò tại một đơn vị',
          params: Id,
          body: NewRole,
          response: { 200: UserDetail, ...errors },
        },
      },
      async (request) => {
        const actor = apiActor(request)
        const { id } = request.params as { id: string }
        await users.assignRole(actor, id, request.body as Record<string, unknown>, auditContext(request))
        return detail(await users.getUser(actor, id, auditContext(request)))
      },
    )

    app.post(
      '/tokens',
      {
        schema: {
          tags,
          summary: 'Tạo khóa truy cập cá nhân (chỉ hiển thị một lần)',
          body: NewToken,
          response: {
            201: Type.Object({ id: Type.String(), token: Type.String(), expiresAt: Type.String() }),
            ...errors,
          },
        },
      },
      async (request, reply) => {
        const created = await auth.createToken(
          apiActor(request),
          request.body as Record<string, unknown>,
          auditContext(request),
        )
        return reply
          .code(201)
          .send({ id: created.id, token: created.token, expiresAt: created.expiresAt.toISOString() })
      },
    )

    app.delete(
      '/tokens/:id',
      {
        schema: {
          tags,
          summary: 'Thu hồi khóa truy cập',
          params: Id,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        await auth.revokeToken(
          apiActor(request),
          (request.params as { id: string }).id,
          auditContext(request),
        )
        return reply.code(204).send()
      },
    )

    app.get(
      '/audit/verify',
      {
        schema: {
          tags: ['Kiểm toán'],
          summary: 'Kiểm tra chuỗi băm của nhật ký kiểm toán',
          response: {
            200: Type.Object({
              ok: Type.Boolean(),
              count: Type.Integer(),
              headHash: Type.Optional(Type.String()),
              brokenAt: Type.Optional(Type.Integer()),
              reason: Type.Optional(Type.String()),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        authorize(apiActor(request), Permission.auditRead)
        return verifyAudit(db)
      },
    )
  }
}
