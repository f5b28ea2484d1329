import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { UnauthenticatedError, type Actor } from '../../platform/auth/actor.js'
import { NotFoundError } from '../../platform/http/errors.js'
import { ErrorSchema } from '../../platform/http/openapi.js'
import { auditContext } from '../../platform/http/plugin.js'
import type { Gateway } from './lgsp.gateway.js'
import type { AllowedHostRow, MemberRow, ServiceRow, SubsystemRow } from './lgsp.repository.js'
import type { AccessRight, LgspService, Service, Snapshot, Subsystem } from './lgsp.service.js'

const tags = ['LGSP']
const errors = { 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 422: ErrorSchema }
const NullableString = Type.Union([Type.String(), Type.Null()])
const Id = Type.Object({ id: Type.String() })

const MemberSchema = Type.Object({
  id: Type.String(),
  identifier: Type.String({ description: 'INSTANCE/CLASS/MEMBER' }),
  instance: Type.String(),
  memberClass: Type.String({ description: 'GOV | COM | ORG' }),
  memberCode: Type.String({ description: 'GOV: mã QCVN 102, ví dụ 000.00.00.H14' }),
  name: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
})

const SubsystemSchema = Type.Object({
  id: Type.String(),
  memberId: Type.String(),
  identifier: Type.String({ description: 'INSTANCE/CLASS/MEMBER/SUBSYSTEM' }),
  code: Type.String(),
  name: Type.String(),
  ssoClientId: NullableString,
  rateLimitPerMinute: Type.Integer(),
  clientCertificateSha256: Type.Union([Type.String(), Type.Null()], {
    description: 'Mutual TLS: SHA-256 (hex) of the certificate the client system must present, or null',
  }),
  disabled: Type.Boolean(),
})

const HealthSchema = Type.Object({
  state: Type.String({ description: 'closed | open | half-open' }),
  consecutiveFailures: Type.Integer(),
  lastFailure: NullableString,
  lastFailureAt: NullableString,
  lastSuccessAt: NullableString,
})

const RightSchema = Type.Object({
  id: Type.String(),
  serviceId: Type.String(),
  client: Type.String({ description: 'Hệ thống được phép gọi: INSTANCE/CLASS/MEMBER/SUBSYSTEM' }),
  clientSubsystemId: Type.String(),
  methods: Type.Array(Type.String(), { description: '["*"] hoặc các phương thức' }),
  pathPattern: Type.String({ description: '* một đoạn, ** nhiều đoạn' }),
})

const ServiceSchema = Type.Object({
  id: Type.String(),
  subsystemId: Type.String(),
  identifier: Type.String({ description: 'INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE' }),
  code: Type.String(),
  version: Type.String(),
  title: Type.String(),
  description: NullableString,
  baseUrl: Type.String(),
  hasOpenApi: Type.Boolean(),
  timeoutMs: Type.Integer(),
  maxBodyBytes: Type.Integer(),
  logBodies: Type.Boolean(),
  disabled: Type.Boolean(),
  health: HealthSchema,
  rights: Type.Array(RightSchema),
})

const HostSchema = Type.Object({ host: Type.String(), note: NullableString, createdAt: Type.String() })

const RegistrySchema = Type.Object({
  members: Type.Array(MemberSchema),
  subsystems: Type.Array(SubsystemSchema),
  services: Type.Array(ServiceSchema),
  allowedHosts: Type.Array(HostSchema),
})

const MemberInput = Type.Object(
  {
    instance: Type.Optional(Type.String({ maxLength: 64, description: 'Mặc định VN' })),
    memberClass: Type.String({ maxLength: 8 }),
    memberCode: Type.String({ maxLength: 64 }),
    name: Type.String({ maxLength: 300 }),
  },
  { additionalProperties: false },
)
const MemberPatch = Type.Object({ name: Type.String({ maxLength: 300 }) }, { additionalProperties: false })

const subsystemProps = {
  name: Type.String({ maxLength: 300 }),
  ssoClientId: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])),
  rateLimitPerMinute: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  clientCertificate: Type.Optional(
    Type.Union([Type.String({ maxLength: 20_000 }), Type.Null()], {
      description: 'PEM certificate the client system presents over mutual TLS; null or "" to unbind',
    }),
  ),
}
const SubsystemInput = Type.Object(
  { code: Type.String({ maxLength: 64 }), ...subsystemProps },
  { additionalProperties: false },
)
const SubsystemPatch = Type.Object(
  { ...Type.Partial(Type.Object(subsystemProps)).properties, disabled: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
)

const serviceProps = {
  version: Type.String({ maxLength: 32 }),
  title: Type.String({ maxLength: 300 }),
  description: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
  baseUrl: Type.String({ maxLength: 2000 }),
  openapi: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])),
  timeoutMs: Type.Optional(Type.Integer()),
  maxBodyBytes: Type.Optional(Type.Integer()),
  logBodies: Type.Optional(Type.Boolean()),
}
const ServiceInput = Type.Object(
  { code: Type.String({ maxLength: 64 }), ...serviceProps },
  { additionalProperties: false },
)
const ServicePatch = Type.Object(
  { ...Type.Partial(Type.Object(serviceProps)).properties, disabled: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
)
const RightInput = Type.Object(
  {
    client: Type.String({
      maxLength: 300,
      description: 'INSTANCE/CLASS/MEMBER/SUBSYSTEM hoặc id của hệ thống',
    }),
    methods: Type.Optional(Type.Array(Type.String({ maxLength: 10 }), { maxItems: 8 })),
    pathPattern: Type.Optional(Type.String({ maxLength: 300 })),
  },
  { additionalProperties: false },
)
const HostInput = Type.Object(
  { host: Type.String({ maxLength: 260 }), note: Type.Optional(Type.String({ maxLength: 300 })) },
  { additionalProperties: false },
)

function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) {
    throw new UnauthenticatedError('Cần xác thực: gửi tiêu đề Authorization: Bearer <khóa truy cập>.')
  }
  return request.actor
}

const isoMs = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

const memberJson = (m: MemberRow) => ({
  id: m.id,
  identifier: `${m.instance}/${m.member_class}/${m.member_code}`,
  instance: m.instance,
  memberClass: m.member_class,
  memberCode: m.member_code,
  name: m.name,
  createdAt: m.created_at.toISOString(),
  updatedAt: m.updated_at.toISOString(),
})

const subsystemJson = (s: Subsystem) => ({
  id: s.id,
  memberId: s.member_id,
  identifier: s.identifier,
  code: s.code,
  name: s.name,
  ssoClientId: s.sso_client_id,
  rateLimitPerMinute: s.rate_limit_per_minute,
  clientCertificateSha256: s.client_certificate_sha256,
  disabled: s.disabled_at !== null,
})

const rightJson = (r: AccessRight) => ({
  id: r.id,
  serviceId: r.service_id,
  client: r.client.identifier,
  clientSubsystemId: r.client_subsystem_id,
  methods: r.methods,
  pathPattern: r.path_pattern,
})

const hostJson = (h: AllowedHostRow) => ({
  host: h.host,
  note: h.note,
  createdAt: h.created_at.toISOString(),
})

/** The registry for programs (the province's IT unit's tools): the same rules and audit as the pages. */
export function lgspApi(lgsp: LgspService, gateway: Gateway) {
  const serviceJson = (s: Service, registry: Snapshot) => {
    const health = gateway.health.get(s.id)
    return {
      id: s.id,
      subsystemId: s.subsystem_id,
      identifier: s.identifier,
      code: s.code,
      version: s.version,
      title: s.title,
      description: s.description,
      baseUrl: s.base_url,
      hasOpenApi: s.openapi !== null,
      timeoutMs: s.timeout_ms,
      maxBodyBytes: s.max_body_bytes,
      logBodies: s.log_bodies,
      disabled: s.disabled_at !== null,
      health: {
        state: health.state,
        consecutiveFailures: health.consecutiveFailures,
        lastFailure: health.lastFailure,
        lastFailureAt: isoMs(health.lastFailureAt),
        lastSuccessAt: isoMs(health.lastSuccessAt),
      },
      rights: (registry.rightsByService.get(s.id) ?? []).map(rightJson),
    }
  }

  const fresh = async (actor: Actor) => lgsp.registryFor(actor)

  const subsystemOf = async (actor: Actor, row: SubsystemRow) => {
    const subsystem = (await fresh(actor)).subsystemById.get(row.id)
    if (!subsystem) throw new NotFoundError('Không tìm thấy hệ thống thông tin (subsystem).')
    return subsystemJson(subsystem)
  }

  const serviceOf = async (actor: Actor, row: ServiceRow) => {
    const registry = await fresh(actor)
    const service = registry.serviceById.get(row.id)
    if (!service) throw new NotFoundError('Không tìm thấy dịch vụ.')
    return serviceJson(service, registry)
  }

  return async function api(app: FastifyInstance) {
    app.get(
      '/lgsp/registry',
      {
        schema: {
          tags,
          summary:
            'Toàn bộ sổ đăng ký LGSP: thành viên, hệ thống, dịch vụ (kèm quyền và tình trạng), máy chủ được phép',
          response: { 200: RegistrySchema, ...errors },
        },
      },
      async (request) => {
        const registry = await fresh(actorOf(request))
        return {
          members: registry.members.map(memberJson),
          subsystems: registry.subsystems.map(subsystemJson),
          services: registry.services.map((s) => serviceJson(s, registry)),
          allowedHosts: registry.hosts.map(hostJson),
        }
      },
    )

    app.post(
      '/lgsp/members',
      {
        schema: {
          tags,
          summary: 'Đăng ký thành viên (cơ quan, tổ chức)',
          body: MemberInput,
          response: { 201: MemberSchema, ...errors },
        },
      },
      async (request, reply) => {
        const row = await lgsp.createMember(
          actorOf(request),
          request.body as Record<string, unknown>,
          auditContext(request),
        )
        return reply.code(201).send(memberJson(row))
      },
    )

    app.patch(
      '/lgsp/members/:id',
      {
        schema: {
          tags,
          summary: 'Đổi tên thành viên (mã định danh không đổi)',
          params: Id,
          body: MemberPatch,
          response: { 200: MemberSchema, ...errors },
        },
      },
      async (request) => {
        const { id } = request.params as { id: string }
        return memberJson(
          await lgsp.updateMember(
            actorOf(request),
            id,
            request.body as Record<string, unknown>,
            auditContext(request),
          ),
        )
      },
    )

    app.post(
      '/lgsp/members/:id/subsystems',
      {
        schema: {
          tags,
          summary:
            'Thêm hệ thống thông tin (subsystem) của thành viên; ssoClientId gắn ứng dụng SSO client credentials',
          params: Id,
          body: SubsystemInput,
          response: { 201: SubsystemSchema, ...errors },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request)
        const { id } = request.params as { id: string }
        const row = await lgsp.createSubsystem(
          actor,
          id,
          request.body as Record<string, unknown>,
          auditContext(request),
        )
        return reply.code(201).send(await subsystemOf(actor, row))
      },
    )

    app.patch(
      '/lgsp/subsystems/:id',
      {
        schema: {
          tags,
          summary: 'Sửa hệ thống thông tin: tên, ứng dụng SSO, giới hạn mỗi phút, vô hiệu hóa',
          params: Id,
          body: SubsystemPatch,
          response: { 200: SubsystemSchema, ...errors },
        },
      },
      async (request) => {
        const actor = actorOf(request)
        const { id } = request.params as { id: string }
        const existing = (await fresh(actor)).subsystemById.get(id)
        if (!existing) throw new NotFoundError('Không tìm thấy hệ thống thông tin (subsystem).')
        const body = request.body as Record<string, unknown>
        const merged = {
          name: existing.name,
          ssoClientId: existing.sso_client_id,
          rateLimitPerMinute: existing.rate_limit_per_minute,
          clientCertificate: existing.client_certificate,
          disabled: existing.disabled_at !== null,
          ...body,
        }
        return subsystemOf(actor, await lgsp.updateSubsystem(actor, id, merged, auditContext(request)))
      },
    )

    app.post(
      '/lgsp/subsystems/:id/services',
      {
        schema: {
          tags,
          summary:
            'Đăng ký dịch vụ của hệ thống: địa chỉ gốc (máy chủ phải được phép), phiên bản, tài liệu OpenAPI 3, giới hạn',
          params: Id,
          body: ServiceInput,
          response: { 201: ServiceSchema, ...errors },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request)
        const { id } = request.params as { id: string }
        const row = await lgsp.createService(
          actor,
          id,
          request.body as Record<string, unknown>,
          auditContext(request),
        )
        return reply.code(201).send(await serviceOf(actor, row))
      },
    )

    app.get(
      '/lgsp/services/:id',
      {
        schema: {
          tags,
          summary: 'Một dịch vụ: cấu hình, quyền gọi, tình trạng máy chủ cung cấp',
          params: Id,
          response: { 200: ServiceSchema, ...errors },
        },
      },
      async (request) => {
        const registry = await fresh(actorOf(request))
        const service = registry.serviceById.get((request.params as { id: string }).id)
        if (!service) throw new NotFoundError('Không tìm thấy dịch vụ.')
        return serviceJson(service, registry)
      },
    )

    app.patch(
      '/lgsp/services/:id',
      {
        schema: {
          tags,
          summary: 'Sửa dịch vụ (mã dịch vụ không đổi)',
          params: Id,
          body: ServicePatch,
          response: { 200: ServiceSchema, ...errors },
        },
      },
      async (request) => {
        const actor = actorOf(request)
        const { id } = request.params as { id: string }
        const existing = (await fresh(actor)).serviceById.get(id)
        if (!existing) throw new NotFoundError('Không tìm thấy dịch vụ.')
        const merged = {
          version: existing.version,
          title: existing.title,
          description: existing.description,
          baseUrl: existing.base_url,
          openapi: existing.openapi,
          timeoutMs: existing.timeout_ms,
          maxBodyBytes: existing.max_body_bytes,
          logBodies: existing.log_bodies,
          disabled: existing.disabled_at !== null,
          ...(request.body as Record<string, unknown>),
        }
        return serviceOf(actor, await lgsp.updateService(actor, id, merged, auditContext(request)))
      },
    )

    app.post(
      '/lgsp/services/:id/rights',
      {
        schema: {
          tags,
          summary: 'Cấp quyền gọi dịch vụ cho một hệ thống (phương thức, mẫu đường dẫn)',
          params: Id,
          body: RightInput,
          response: { 201: RightSchema, ...errors },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request)
        const { id } = request.params as { id: string }
        const row = await lgsp.grantAccess(
          actor,
          id,
          request.body as Record<string, unknown>,
          auditContext(request),
        )
        const right = (await fresh(actor)).rights.find((r) => r.id === row.id)
        if (!right) throw new NotFoundError('Không tìm thấy quyền truy cập.')
        return reply.code(201).send(rightJson(right))
      },
    )

    app.delete(
      '/lgsp/rights/:id',
      {
        schema: {
          tags,
          summary: 'Thu hồi một quyền gọi dịch vụ',
          params: Id,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        await lgsp.revokeAccess(
          actorOf(request),
          (request.params as { id: string }).id,
          auditContext(request),
        )
        return reply.code(204).send()
      },
    )

    app.get(
      '/lgsp/allowed-hosts',
      {
        schema: {
          tags,
          summary: 'Máy chủ dịch vụ được phép trỏ tới (chống SSRF)',
          response: { 200: Type.Array(HostSchema), ...errors },
        },
      },
      async (request) => (await fresh(actorOf(request))).hosts.map(hostJson),
    )

    app.post(
      '/lgsp/allowed-hosts',
      {
        schema: {
          tags,
          summary: 'Thêm máy chủ được phép: tên-miền, tên-miền:cổng, IP, [IPv6]:cổng hoặc *.tên-miền',
          body: HostInput,
          response: { 201: HostSchema, ...errors },
        },
      },
      async (request, reply) => {
        const row = await lgsp.allowHost(
          actorOf(request),
          request.body as Record<string, unknown>,
          auditContext(request),
        )
        return reply.code(201).send(hostJson(row))
      },
    )

    app.delete(
      '/lgsp/allowed-hosts/:host',
      {
        schema: {
          tags,
          summary: 'Xóa một máy chủ khỏi danh sách được phép (dịch vụ trỏ tới đó ngừng được chuyển tiếp)',
          params: Type.Object({ host: Type.String({ maxLength: 260 }) }),
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        await lgsp.removeHost(
          actorOf(request),
          (request.params as { host: string }).host,
          auditContext(request),
        )
        return reply.code(204).send()
      },
    )
  }
}
