import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { ForbiddenError } from '../../platform/auth/actor.js'
import { ErrorSchema } from '../../platform/http/openapi.js'
import { auditContext } from '../../platform/http/plugin.js'
import { pubsubPaths } from './pubsub.paths.js'
import type { DeliveryCounts, SubscriptionRow, TopicRow } from './pubsub.repository.js'
import { requirePubsubAdmin, type PubsubService, type SystemClient } from './pubsub.service.js'

const tags = ['LGSP – publish/subscribe']
const errors = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  409: ErrorSchema,
  422: ErrorSchema,
}
const auth =
  'Hệ thống: Authorization: Bearer <access token SSO, client credentials, scope lgsp>. Quản trị: khóa truy cập cá nhân của quản trị hệ thống.'

const NullableString = Type.Union([Type.String(), Type.Null()])
const TopicParams = Type.Object({ topic: Type.String({ maxLength: 100 }) })
const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) })
const PositionBody = Type.Object({ position: Type.Integer({ minimum: 0 }) })

const EventSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  topic: Type.String(),
  position: Type.Integer({ description: 'Vị trí của sự kiện trong loại sự kiện, tăng dần từ 1' }),
  key: NullableString,
  publishedAt: Type.String(),
  payload: Type.Unknown(),
})

const TopicSchema = Type.Object({
  name: Type.String(),
  description: Type.String(),
  payloadSchema: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
  publishers: Type.Array(Type.String()),
  subscribers: Type.Union([Type.Array(Type.String()), Type.Null()], {
    description: 'Chỉ các hệ thống này được đăng ký nhận; null: không giới hạn',
  }),
  platform: Type.Boolean({ description: 'Sự kiện do chính nền tảng phát (hồ sơ, văn bản)' }),
  headPosition: Type.Integer(),
})

const CountsSchema = Type.Union([
  Type.Object({
    waiting: Type.Integer(),
    queued: Type.Integer(),
    delivered: Type.Integer(),
    dead: Type.Integer(),
  }),
  Type.Null(),
])

const SubscriptionSchema = Type.Object({
  id: Type.String(),
  topic: Type.String(),
  clientId: Type.String(),
  mode: Type.String({ description: 'push | pull | internal' }),
  endpoint: NullableString,
  maxAttempts: Type.Integer(),
  ackedPosition: Type.Integer(),
  disabled: Type.Boolean(),
  createdAt: Type.String(),
  counts: CountsSchema,
  backlog: Type.Union([Type.Integer(), Type.Null()]),
})

const topicJson = (row: TopicRow) => ({
  name: row.name,
  description: row.description,
  payloadSchema: (row.payload_schema as object | null) ?? null,
  publishers: row.publishers,
  subscribers: row.subscribers,
  platform: row.platform,
  headPosition: Number(row.last_position),
})

const subscriptionJson = (
  row: SubscriptionRow & { counts: DeliveryCounts | null; backlog: number | null },
) => ({
  id: row.id,
  topic: row.topic,
  clientId: row.client_id,
  mode: row.mode,
  endpoint: row.endpoint,
  maxAttempts: row.max_attempts,
  ackedPosition: Number(row.acked_position),
  disabled: row.disabled_at !== null,
  createdAt: row.created_at.toISOString(),
  counts: row.counts,
  backlog: row.backlog,
})

/** Publish and pull for systems (SSO client-credential tokens); topics, subscriptions and hosts for administrators. */
export function pubsubApi(pubsub: PubsubService) {
  return async function api(app: FastifyInstance) {
    const system = (request: FastifyRequest): Promise<SystemClient> => {
      if (request.actor) {
        throw new ForbiddenError(
          'lgsp.pubsub.system',
          null,
          'Thao tác này dành cho hệ thống kết nối: dùng access token lấy từ máy chủ đăng nhập một lần (client credentials).',
        )
      }
      return pubsub.authenticate(request.headers.authorization)
    }
    /** An administrator with a personal token, or a system: each sees what is theirs. */
    const caller = async (request: FastifyRequest) => {
      if (request.actor) {
        requirePubsubAdmin(request.actor)
        return { admin: true as const }
      }
      return { admin: false as const, client: await pubsub.authenticate(request.headers.authorization) }
    }
    const admin = (request: FastifyRequest) => {
      if (!request.actor) {
        // A system token reaches here as no actor: administration needs a person.
        return pubsub.authenticate(request.headers.authorization).then(() => {
          throw new ForbiddenError(
            'lgsp.pubsub.manage',
            null,
            'Chỉ quản trị hệ thống được quản lý publish/subscribe.',
          )
        })
      }
      requirePubsubAdmin(request.actor)
      return Promise.resolve(request.actor)
    }

    app.post(
      pubsubPaths.api.publish,
      {
        schema: {
          tags,
          summary: 'Phát một sự kiện (publish)',
          description: `${auth} Hệ thống phải có quyền phát loại sự kiện này. Gửi kèm Idempotency-Key để thử lại an toàn; "key" giữ thứ tự giao các sự kiện cùng khóa.`,
          params: TopicParams,
          headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ maxLength: 200 })) }),
          body: Type.Object({
            payload: Type.Unknown({
              description: 'Nội dung sự kiện (JSON); kiểm tra theo lược đồ của loại sự kiện nếu có',
            }),
            key: Type.Optional(NullableString),
          }),
          response: { 200: EventSchema, 201: EventSchema, ...errors },
        },
      },
      async (request, reply) => {
        const client = await system(request)
        const { topic } = request.params as { topic: string }
        const body = request.body as { payload: unknown; key?: string | null }
        const idem = request.headers['idempotency-key']
        const { event, created } = await pubsub.publish(
          client,
          topic,
          body,
          typeof idem === 'string' ? idem : undefined,
        )
        return reply.code(created ? 201 : 200).send(event)
      },
    )

    app.get(
      pubsubPaths.api.pull,
      {
        schema: {
          tags,
          summary: 'Lấy các sự kiện kế tiếp sau vị trí đã xác nhận (pull)',
          description: auth,
          params: IdParams,
          querystring: Type.Object({ max: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) }),
          response: {
            200: Type.Object({
              subscription: Type.String(),
              topic: Type.String(),
              ackedPosition: Type.Integer(),
              headPosition: Type.Integer(),
              events: Type.Array(EventSchema),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const client = await system(request)
        const { id } = request.params as { id: string }
        return pubsub.pull(client, id, (request.query as { max?: number }).max)
      },
    )

    app.post(
      pubsubPaths.api.ack,
      {
        schema: {
          tags,
          summary: 'Xác nhận đã nhận các sự kiện đến vị trí position (ack)',
          description: auth,
          params: IdParams,
          body: PositionBody,
          response: { 200: Type.Object({ ackedPosition: Type.Integer() }), ...errors },
        },
      },
      async (request) => {
        const client = await system(request)
        const { id } = request.params as { id: string }
        return pubsub.ack(client, id, (request.body as { position: number }).position)
      },
    )

    app.post(
      pubsubPaths.api.seek,
      {
        schema: {
          tags,
          summary: 'Lấy lại từ vị trí position (replay)',
          description: `${auth} Pull: lần lấy kế tiếp bắt đầu từ position. Push: mọi sự kiện từ position được gửi lại.`,
          params: IdParams,
          body: PositionBody,
          response: {
            200: Type.Object({
              position: Type.Integer(),
              ackedPosition: Type.Integer(),
              redelivered: Type.Integer(),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const who = await caller(request)
        const { id } = request.params as { id: string }
        const { position } = request.body as { position: number }
        return who.admin
          ? pubsub.seekAsAdmin(request.actor, auditContext(request), id, position)
          : pubsub.seek(who.client, id, position, {
              ...auditContext(request),
              actorLabel: who.client.clientId,
            })
      },
    )

    app.get(
      pubsubPaths.api.topics,
      {
        schema: {
          tags,
          summary: 'Danh mục loại sự kiện',
          description: auth,
          response: { 200: Type.Object({ topics: Type.Array(TopicSchema) }), ...errors },
        },
      },
      async (request) => {
        await caller(request)
        return { topics: (await pubsub.listTopics()).map(topicJson) }
      },
    )

    app.get(
      pubsubPaths.api.topic,
      {
        schema: {
          tags,
          summary: 'Một loại sự kiện',
          description: auth,
          params: TopicParams,
          response: { 200: TopicSchema, ...errors },
        },
      },
      async (request) => {
        await caller(request)
        return topicJson(await pubsub.getTopic((request.params as { topic: string }).topic))
      },
    )

    const TopicBody = Type.Object({
      description: Type.Optional(Type.String({ maxLength: 1000 })),
      payloadSchema: Type.Optional(
        Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
      ),
      publishers: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 200 })),
      subscribers: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 200 })),
    })

    app.post(
      pubsubPaths.api.topics,
      {
        schema: {
          tags,
          summary: 'Đăng ký loại sự kiện (quản trị)',
          body: Type.Object({
            name: Type.String({ maxLength: 100 }),
            platform: Type.Optional(Type.Boolean()),
            ...TopicBody.properties,
          }),
          response: { 201: TopicSchema, ...errors },
        },
      },
      async (request, reply) => {
        const actor = await admin(request)
        const row = await pubsub.createTopic(
          actor,
          auditContext(request),
          request.body as Record<string, unknown>,
        )
        return reply.code(201).send(topicJson(row))
      },
    )

    app.put(
      pubsubPaths.api.topic,
      {
        schema: {
          tags,
          summary: 'Sửa loại sự kiện (quản trị)',
          params: TopicParams,
          body: TopicBody,
          response: { 200: TopicSchema, ...errors },
        },
      },
      async (request) => {
        const actor = await admin(request)
        const { topic } = request.params as { topic: string }
        return topicJson(
          await pubsub.updateTopic(
            actor,
            auditContext(request),
            topic,
            request.body as Record<string, unknown>,
          ),
        )
      },
    )

    app.get(
      pubsubPaths.api.subscriptions,
      {
        schema: {
          tags,
          summary: 'Các đăng ký nhận sự kiện (quản trị: tất cả; hệ thống: của mình)',
          description: auth,
          querystring: Type.Object({ topic: Type.Optional(Type.String({ maxLength: 100 })) }),
          response: { 200: Type.Object({ subscriptions: Type.Array(SubscriptionSchema) }), ...errors },
        },
      },
      async (request) => {
        const who = await caller(request)
        const { topic } = request.query as { topic?: string }
        const rows = await pubsub.listSubscriptions({
          topic,
          clientId: who.admin ? undefined : who.client.clientId,
        })
        return { subscriptions: rows.map(subscriptionJson) }
      },
    )

    app.post(
      pubsubPaths.api.subscriptions,
      {
        schema: {
          tags,
          summary: 'Tạo đăng ký nhận sự kiện cho một hệ thống (quản trị)',
          description:
            'mode push: cần endpoint (http/https, máy chủ trong danh sách được phép); khóa ký HMAC (secret) chỉ trả về một lần. mode pull: hệ thống tự lấy.',
          body: Type.Object({
            topic: Type.String({ maxLength: 100 }),
            clientId: Type.String({ maxLength: 200 }),
            mode: Type.String({ enum: ['push', 'pull'] }),
            endpoint: Type.Optional(Type.String({ maxLength: 2000 })),
            maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
          }),
          response: {
            201: Type.Object({ ...SubscriptionSchema.properties, secret: NullableString }),
            ...errors,
          },
        },
      },
      async (request, reply) => {
        const actor = await admin(request)
        const { subscription, secret } = await pubsub.createSubscription(
          actor,
          auditContext(request),
          request.body as Record<string, unknown>,
        )
        const [described] = await pubsub
          .listSubscriptions({ topic: subscription.topic })
          .then((rows) => rows.filter((r) => r.id === subscription.id))
        return reply.code(201).send({ ...subscriptionJson(described!), secret })
      },
    )

    app.get(
      pubsubPaths.api.subscription,
      {
        schema: {
          tags,
          summary: 'Một đăng ký: số sự kiện theo trạng thái, lỗi gần nhất, sự kiện chết (dead letter)',
          description: auth,
          params: IdParams,
          response: {
            200: Type.Object({
              ...SubscriptionSchema.properties,
              lastError: NullableString,
              deadLetters: Type.Array(
                Type.Object({
                  deliveryId: Type.Integer(),
                  eventId: Type.String(),
                  position: Type.Integer(),
                  key: NullableString,
                  attempts: Type.Integer(),
                  lastError: NullableString,
                  lastStatus: Type.Union([Type.Integer(), Type.Null()]),
                }),
              ),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const who = await caller(request)
        const { id } = request.params as { id: string }
        const detail = await pubsub.subscriptionDetail(id)
        if (!who.admin && detail.subscription.client_id !== who.client.clientId) {
          throw new ForbiddenError(
            'lgsp.pubsub.subscription',
            null,
            'Đăng ký nhận sự kiện này thuộc hệ thống khác.',
          )
        }
        return {
          ...subscriptionJson(detail.subscription),
          lastError: detail.lastFailure?.last_error ?? null,
          deadLetters: detail.dead.map((d) => ({
            deliveryId: Number(d.id),
            eventId: d.event_id,
            position: Number(d.position),
            key: d.key,
            attempts: d.attempts,
            lastError: d.last_error,
            lastStatus: d.last_status,
          })),
        }
      },
    )

    app.post(
      pubsubPaths.api.redrive,
      {
        schema: {
          tags,
          summary: 'Gửi lại các sự kiện chết (dead letter) của một đăng ký (quản trị)',
          params: IdParams,
          body: Type.Optional(
            Type.Object({ deliveryIds: Type.Optional(Type.Array(Type.Integer(), { maxItems: 1000 })) }),
          ),
          response: { 200: Type.Object({ redriven: Type.Integer() }), ...errors },
        },
      },
      async (request) => {
        const actor = await admin(request)
        const { id } = request.params as { id: string }
        const body = (request.body ?? {}) as { deliveryIds?: number[] }
        return { redriven: await pubsub.redrive(actor, auditContext(request), id, body.deliveryIds) }
      },
    )

    for (const [path, disabled] of [
      [pubsubPaths.api.disable, true],
      [pubsubPaths.api.enable, false],
    ] as const) {
      app.post(
        path,
        {
          schema: {
            tags,
            summary: disabled ? 'Tạm dừng một đăng ký (quản trị)' : 'Bật lại một đăng ký (quản trị)',
            params: IdParams,
            response: { 200: Type.Object({ id: Type.String(), disabled: Type.Boolean() }), ...errors },
          },
        },
        async (request) => {
          const actor = await admin(request)
          const { id } = request.params as { id: string }
          const row = await pubsub.setDisabled(actor, auditContext(request), id, disabled)
          return { id: row.id, disabled: row.disabled_at !== null }
        },
      )
    }

    const HostSchema = Type.Object({ host: Type.String(), note: Type.String(), createdAt: Type.String() })
    app.get(
      pubsubPaths.api.hosts,
      {
        schema: {
          tags,
          summary: 'Máy chủ được phép nhận webhook (quản trị)',
          response: { 200: Type.Object({ hosts: Type.Array(HostSchema) }), ...errors },
        },
      },
      async (request) => {
        await admin(request)
        const hosts = await pubsub.listAllowedHosts()
        return {
          hosts: hosts.map((h) => ({ host: h.host, note: h.note, createdAt: h.created_at.toISOString() })),
        }
      },
    )
    app.post(
      pubsubPaths.api.hosts,
      {
        schema: {
          tags,
          summary: 'Cho phép một máy chủ nhận webhook (quản trị)',
          body: Type.Object({
            host: Type.String({ maxLength: 255 }),
            note: Type.Optional(Type.String({ maxLength: 300 })),
          }),
          response: { 201: Type.Object({ host: Type.String() }), ...errors },
        },
      },
      async (request, reply) => {
        const actor = await admin(request)
        const host = await pubsub.addAllowedHost(
          actor,
          auditContext(request),
          request.body as Record<string, unknown>,
        )
        return reply.code(201).send({ host })
      },
    )
    app.delete(
      pubsubPaths.api.host,
      {
        schema: {
          tags,
          summary: 'Bỏ một máy chủ khỏi danh sách được phép (quản trị)',
          params: Type.Object({ host: Type.String({ maxLength: 255 }) }),
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        const actor = await admin(request)
        await pubsub.removeAllowedHost(
          actor,
          auditContext(request),
          (request.params as { host: string }).host,
        )
        return reply.code(204).send()
      },
    )
  }
}
