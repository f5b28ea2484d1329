import { Ajv, type ValidateFunction } from 'ajv'
import { sql } from 'kysely'
import addFormatsModule from 'ajv-formats'
import { appendAudit, type AuditContext } from '../../platform/audit/audit.js'
import { ForbiddenError, hasRole, UnauthenticatedError, type Actor } from '../../platform/auth/actor.js'
import { Role } from '../../platform/auth/roles.js'
import { inTransaction } from '../../platform/db/database.js'
import { tablesOf } from '../../platform/db/tables.js'
import {
  AppError,
  ConflictError,
  NotFoundError,
  ValidationError,
  type FieldErrors,
} from '../../platform/http/errors.js'
import { describeSchemaErrors } from '../../platform/http/validation.js'
import type { ModuleDeps } from '../../platform/module.js'
import * as repo from './pubsub.repository.js'
import { DeliveryState, SubscriptionMode, type PubsubTables } from './pubsub.tables.js'
import { checkWebhookUrl, encryptSecret, newWebhookSecret, parseAllowedHost } from './pubsub.webhook.js'

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv
const t = tablesOf<PubsubTables>

/** A system calling the API with an access token from the platform's SSO (client credentials). */
export type SystemClient = { clientId: string; scope: string[] }

/** What pub/sub needs to know about the SSO's registered clients; app.ts passes the SSO module's. */
export type ClientDirectory = {
  /** The client behind a bearer access token, or undefined when the token is unknown or expired. */
  authenticate(token: string): Promise<SystemClient | undefined>
  find(clientId: string): Promise<{ clientId: string; name: string; disabled: boolean } | undefined>
}

/** An event as subscribers receive it (push body, pull batch, internal handler). */
export type PublishedEvent = {
  id: string
  topic: string
  position: number
  key: string | null
  publishedAt: string
  payload: unknown
}

/** Handlers inside the platform also get the event's internal part, which never leaves the platform. */
export type InternalHandler = (
  event: PublishedEvent & { internal: unknown },
  delivery: { attempt: number; signal: AbortSignal },
) => Promise<void>

/**
 * Thrown by an internal handler when sending the event again cannot help (the receiver refused it): the delivery
 * goes to the dead letters at once, with this message for an operator to read, instead of being retried.
 */
export class RefusedEventError extends Error {}

export type PubsubDeps = ModuleDeps & { clients: ClientDirectory }

/** Scope a system's token needs for the integration platform (registered with the SSO). */
export const LGSP_SCOPE = 'lgsp'
/** Client id of subscriptions served inside the platform. */
export const internalClientId = (name: string) => `internal:${name}`

const TOPIC_NAME = /^[a-z][a-z0-9_.-]{1,99}$/
const MAX_PULL = 500

export function toPublished(row: repo.EventRow): PublishedEvent {
  return {
    id: row.id,
    topic: row.topic,
    position: Number(row.position),
    key: row.key,
    publishedAt: row.published_at.toISOString(),
    payload: row.payload,
  }
}

/** Thrown when a system's bearer token is missing, unknown, expired or lacks the lgsp scope. */
export class InvalidSystemTokenError extends AppError {
  constructor(message: string) {
    super(401, 'invalid_token', message)
  }
}

export function requirePubsubAdmin(actor: Actor | null): asserts actor is Actor {
  if (!actor) throw new UnauthenticatedError()
  if (!hasRole(actor, Role.systemAdmin)) throw new ForbiddenError('lgsp.pubsub.manage')
}

export type TopicInput = {
  name: string
  description: string
  payloadSchema: object | null
  publishers: string[]
  /** The only clients that may subscribe; null: any client an administrator subscribes. */
  subscribers: string[] | null
  platform: boolean
}

/** Whether a client may subscribe to (and receive from) a topic: its list, when it has one, names it. */
export function mayReceive(topic: Pick<repo.TopicRow, 'subscribers'>, clientId: string): boolean {
  return topic.subscribers === null || topic.subscribers.includes(clientId)
}

export type SubscriptionInput = {
  topic: string
  clientId: string
  mode: 'push' | 'pull'
  endpoint: string | null
  maxAttempts: number
}

const text = (value: unknown) => (typeof value === 'string' ? value.normalize('NFC').trim() : '')

/** A list typed in a form (one per line, or separated by commas or spaces) or sent as a JSON array. */
function listOf(value: unknown): string[] {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,]+/) : []
  return [...new Set(items.filter((v): v is string => typeof v === 'string').map((v) => v.trim()))].filter(
    Boolean,
  )
}

export function createPubsubService(deps: PubsubDeps, platformTopics: Record<string, string>) {
  const { db, clients, config } = deps
  const schemaAjv = addFormats(new Ajv({ allErrors: true, strict: false }))
  const validators = new Map<string, { updatedAt: number; validate: ValidateFunction }>()
  const internalHandlers = new Map<string, InternalHandler>()
  const internalSubscriptions: { name: string; topic: string }[] = []

  function compileSchema(schema: object): ValidateFunction | string {
    try {
      return schemaAjv.compile(schema)
    } catch (error) {
      return (error as Error).message
    }
  }

  function validatorOf(topic: repo.TopicRow): ValidateFunction | undefined {
    if (!topic.payload_schema) return undefined
    const cached = validators.get(topic.name)
    if (cached && cached.updatedAt === topic.updated_at.getTime()) return cached.validate
    const compiled = compileSchema(topic.payload_schema)
    if (typeof compiled === 'string') return undefined
    validators.set(topic.name, { updatedAt: topic.updated_at.getTime(), validate: compiled })
    return compiled
  }

  async function getTopic(name: string): Promise<repo.TopicRow> {
    const topic = await repo.findTopic(db, name)
    if (!topic) throw new NotFoundError(`Không có loại sự kiện "${name}".`)
    return topic
  }

  async function parseTopicInput(
    raw: Record<string, unknown>,
    existing?: repo.TopicRow,
  ): Promise<TopicInput> {
    const errors: FieldErrors = {}
    const name = existing ? existing.name : text(raw.name)
    if (!existing && !TOPIC_NAME.test(name)) {
      errors.name =
        'Tên loại sự kiện gồm 2–100 ký tự: chữ thường không dấu, số, dấu chấm, gạch dưới, gạch ngang; bắt đầu bằng chữ cái.'
    }
    const description = text(raw.description)
    if (description.length > 1000) errors.description = 'Mô tả tối đa 1.000 ký tự.'
    let payloadSchema: object | null = null
    const schemaRaw = raw.payloadSchema
    if (typeof schemaRaw === 'string' && schemaRaw.trim()) {
      try {
        payloadSchema = JSON.parse(schemaRaw) as object
      } catch {
        errors.payloadSchema = 'Lược đồ JSON không đọc được: kiểm tra lại cú pháp JSON.'
      }
    } else if (schemaRaw && typeof schemaRaw === 'object') {
      payloadSchema = schemaRaw
    }
    if (payloadSchema !== null && !errors.payloadSchema) {
      if (Array.isArray(payloadSchema) || typeof payloadSchema !== 'object') {
        errors.payloadSchema = 'Lược đồ JSON phải là một đối tượng (JSON Schema).'
      } else {
        const compiled = compileSchema(payloadSchema)
        if (typeof compiled === 'string') errors.payloadSchema = `Lược đồ JSON không hợp lệ: ${compiled}`
      }
    }
    const platform = existing
      ? existing.platform
      : raw.platform === true || raw.platform === 'on' || raw.platform === 'true'
    if (platform && !existing && !(name in platformTopics)) {
      errors.platform = `Chỉ các sự kiện do nền tảng phát sinh mới là loại sự kiện của nền tảng: ${Object.keys(platformTopics).join(', ')}.`
    }
    const publishers = listOf(raw.publishers)
    if (platform && publishers.length > 0) {
      errors.publishers =
        'Loại sự kiện của nền tảng chỉ do nền tảng phát; không cấp quyền phát cho hệ thống khác.'
    } else {
      const unknown: string[] = []
      for (const id of publishers) if (!(await clients.find(id))) unknown.push(id)
      if (unknown.length > 0) {
        errors.publishers = `Không có ứng dụng (client_id) đã đăng ký: ${unknown.join(', ')}.`
      }
    }
    // Who may subscribe: kept as it is when the form does not send the field; an empty list is no limit.
    let subscribers = existing ? existing.subscribers : null
    if (raw.subscribers !== undefined && !(existing?.platform && existing.subscribers !== null)) {
      const listed = listOf(raw.subscribers)
      const unknown: string[] = []
      for (const id of listed) if (!(await clients.find(id))) unknown.push(id)
      if (unknown.length > 0) {
        errors.subscribers = `Không có ứng dụng (client_id) đã đăng ký: ${unknown.join(', ')}.`
      }
      subscribers = listed.length > 0 ? listed : null
    }
    if (Object.keys(errors).length > 0) throw new ValidationError(errors)
    return { name, description, payloadSchema, publishers, subscribers, platform }
  }

  async function createTopic(actor: Actor | null, ctx: AuditContext, raw: Record<string, unknown>) {
    requirePubsubAdmin(actor)
    const input = await parseTopicInput(raw)
    if (await repo.findTopic(db, input.name)) {
      throw new ValidationError({ name: `Đã có loại sự kiện "${input.name}".` })
    }
    return inTransaction(db, async (tx) => {
      const row = await t(tx)
        .insertInto('pubsub_topics')
        .values({
          name: input.name,
          description: input.description,
          payload_schema: input.payloadSchema === null ? null : JSON.stringify(input.payloadSchema),
          publishers: input.publishers,
          subscribers: input.subscribers,
          platform: input.platform,
        })
        .returningAll()
        .executeTakeFirstOrThrow()
      await appendAudit(tx, ctx, {
        action: 'lgsp.topic_created',
        objectType: 'pubsub_topic',
        objectId: row.name,
        details: {
          publishers: input.publishers,
          subscribers: input.subscribers,
          schema: input.payloadSchema !== null,
        },
      })
      return row
    })
  }

  async function updateTopic(
    actor: Actor | null,
    ctx: AuditContext,
    name: string,
    raw: Record<string, unknown>,
  ) {
    requirePubsubAdmin(actor)
    const existing = await getTopic(name)
    const input = await parseTopicInput(raw, existing)
    return inTransaction(db, async (tx) => {
      const row = await t(tx)
        .updateTable('pubsub_topics')
        .set({
          description: input.description,
          payload_schema: input.payloadSchema === null ? null : JSON.stringify(input.payloadSchema),
          publishers: input.publishers,
          subscribers: input.subscribers,
          updated_at: new Date(),
        })
        .where('name', '=', name)
        .returningAll()
        .executeTakeFirstOrThrow()
      await appendAudit(tx, ctx, {
        action: 'lgsp.topic_updated',
        objectType: 'pubsub_topic',
        objectId: name,
        details: {
          publishers: input.publishers,
          subscribers: input.subscribers,
          schema: input.payloadSchema !== null,
        },
      })
      return row
    })
  }

  /** The platform's own topics exist from the first start; their descriptions are the platform's. */
  async function ensurePlatformTopics() {
    for (const [name, description] of Object.entries(platformTopics)) {
      await t(db)
        .insertInto('pubsub_topics')
        .values({ name, description, platform: true })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute()
    }
  }

  /**
   * A topic only the platform publishes to, for a fixed set of subscribers (one agency's edXML packages):
   * created when missing; its list of allowed subscribers follows `subscribers`, and no system may publish
   * to it. Written only when something changes, so calling it before each publish costs one read.
   */
  async function ensureTopic(name: string, description: string, subscribers: readonly string[]) {
    if (!TOPIC_NAME.test(name)) throw new Error(`pubsub: invalid topic name ${name}`)
    const list = [...new Set(subscribers)].sort()
    const existing = await repo.findTopic(db, name)
    const same =
      existing?.platform &&
      existing.publishers.length === 0 &&
      JSON.stringify([...(existing.subscribers ?? [])].sort()) === JSON.stringify(list) &&
      existing.subscribers !== null
    if (same) return existing
    return t(db)
      .insertInto('pubsub_topics')
      .values({ name, description, platform: true, publishers: [], subscribers: list })
      .onConflict((oc) =>
        oc
          .column('name')
          .doUpdateSet({ platform: true, publishers: [], subscribers: list, updated_at: new Date() }),
      )
      .returningAll()
      .executeTakeFirstOrThrow()
  }

  // Publishing.

  /** Authenticates a system by its SSO access token; it must carry the lgsp scope. */
  async function authenticate(header: string | undefined): Promise<SystemClient> {
    const [scheme, token] = (header ?? '').split(' ', 2)
    if (scheme?.toLowerCase() !== 'bearer' || !token?.trim()) {
      throw new InvalidSystemTokenError(
        'Cần xác thực: gửi tiêu đề Authorization: Bearer <access token> lấy từ máy chủ đăng nhập một lần (client credentials, scope lgsp).',
      )
    }
    const client = await clients.authenticate(token.trim())
    if (!client) throw new InvalidSystemTokenError('Access token không hợp lệ hoặc đã hết hạn.')
    if (!client.scope.includes(LGSP_SCOPE)) {
      throw new ForbiddenError(
        'lgsp.scope',
        null,
        'Access token không có phạm vi "lgsp" để dùng nền tảng tích hợp.',
      )
    }
    return client
  }

  type PublishInput = { payload?: unknown; key?: unknown }

  async function insertEvent(
    topic: repo.TopicRow,
    publisher: string,
    payload: unknown,
    key: string | null,
    internal: unknown,
    idempotencyKey: string | null,
  ): Promise<{ event: repo.EventRow; created: boolean }> {
    if (idempotencyKey) {
      const existing = await repo.findEventByIdempotencyKey(db, topic.name, publisher, idempotencyKey)
      if (existing) return { event: existing, created: false }
    }
    try {
      const event = await inTransaction(db, async (tx) => {
        const position = await repo.nextPosition(tx, topic.name)
        const event = await t(tx)
          .insertInto('pubsub_events')
          .values({
            topic: topic.name,
            position,
            key,
            payload: JSON.stringify(payload),
            internal: internal === undefined ? null : JSON.stringify(internal),
            publisher,
            idempotency_key: idempotencyKey,
          })
          .returningAll()
          .executeTakeFirstOrThrow()
        const targets = await repo.pushTargets(tx, topic.name)
        if (targets.length > 0) {
          await t(tx)
            .insertInto('pubsub_deliveries')
            .values(targets.map((s) => ({ subscription_id: s.id, event_id: event.id, position, key })))
            .execute()
          for (const target of targets) await repo.promote(tx, target.id, key, target.max_attempts)
        }
        return event
      })
      return { event, created: true }
    } catch (error) {
      // Two requests with one key raced: the loser answers with the winner's event.
      if (idempotencyKey && (error as { code?: string }).code === '23505') {
        const existing = await repo.findEventByIdempotencyKey(db, topic.name, publisher, idempotencyKey)
        if (existing) return { event: existing, created: false }
      }
      throw error
    }
  }

  async function publish(
    client: SystemClient,
    topicName: string,
    input: PublishInput,
    idempotencyKey?: string,
  ): Promise<{ event: PublishedEvent; created: boolean }> {
    const topic = await getTopic(topicName)
    if (topic.platform || !topic.publishers.includes(client.clientId)) {
      throw new ForbiddenError(
        'lgsp.pubsub.publish',
        null,
        `Hệ thống "${client.clientId}" không được phép phát sự kiện loại "${topic.name}".`,
      )
    }
    const errors: FieldErrors = {}
    if (input.payload === undefined) errors.payload = 'Thiếu nội dung sự kiện (trường "payload").'
    let key: string | null = null
    if (input.key !== undefined && input.key !== null) {
      key = typeof input.key === 'string' ? input.key.normalize('NFC').trim() : ''
      if (!key || key.length > 200 || /\p{Cc}/u.test(key)) {
        errors.key = 'Khóa thứ tự (trường "key") là chuỗi 1–200 ký tự, không chứa ký tự điều khiển.'
      }
    }
    const idem = idempotencyKey?.trim() || null
    if (idem && idem.length > 200) errors.idempotencyKey = 'Idempotency-Key tối đa 200 ký tự.'
    if (Object.keys(errors).length > 0) throw new ValidationError(errors)
    const validate = validatorOf(topic)
    if (validate && !validate(input.payload)) {
      const problems = describeSchemaErrors(validate.errors ?? [], 'payload')
      throw new ValidationError(
        Object.fromEntries(problems.map((p) => [p.field ? `payload.${p.field}` : 'payload', p.message])),
        `Nội dung sự kiện không khớp lược đồ của loại sự kiện "${topic.name}": ${problems.map((p) => p.message).join(' ')}`,
      )
    }
    const { event, created } = await insertEvent(topic, client.clientId, input.payload, key, undefined, idem)
    return { event: toPublished(event), created }
  }

  /** The platform's own events (from the outbox consumer); `idempotencyKey` makes a redelivery harmless. */
  async function publishPlatform(
    topicName: string,
    key: string | null,
    payload: unknown,
    internal: unknown,
    idempotencyKey: string,
  ) {
    const topic = await getTopic(topicName)
    return insertEvent(topic, 'platform', payload, key, internal, idempotencyKey)
  }

  // Subscriptions.

  async function parseSubscriptionInput(raw: Record<string, unknown>): Promise<SubscriptionInput> {
    const errors: FieldErrors = {}
    const topicName = text(raw.topic)
    const topic = topicName ? await repo.findTopic(db, topicName) : undefined
    if (!topic) errors.topic = 'Chọn loại sự kiện đã đăng ký.'
    const clientId = text(raw.clientId)
    const client = clientId ? await clients.find(clientId) : undefined
    if (!client) errors.clientId = 'Nhập client_id của một ứng dụng đã đăng ký đăng nhập một lần.'
    else if (client.disabled) errors.clientId = `Ứng dụng "${clientId}" đã bị vô hiệu hóa.`
    else if (topic && !mayReceive(topic, clientId)) {
      errors.clientId = `Loại sự kiện "${topic.name}" chỉ dành cho ${topic.subscribers!.join(', ')}; ứng dụng "${clientId}" không được đăng ký nhận.`
    }
    const mode = text(raw.mode)
    if (mode !== SubscriptionMode.push && mode !== SubscriptionMode.pull) {
      errors.mode = 'Chọn cách nhận: đẩy đến địa chỉ webhook (push) hoặc hệ thống tự lấy (pull).'
    }
    let endpoint: string | null = null
    if (mode === SubscriptionMode.push) {
      const hosts = (await repo.allowedHosts(db)).map((h) => h.host)
      const checked = checkWebhookUrl(raw.endpoint, hosts)
      if (checked.ok) endpoint = checked.url
      else errors.endpoint = checked.message
    }
    const attemptsRaw = raw.maxAttempts
    const maxAttempts =
      attemptsRaw === undefined || attemptsRaw === '' || attemptsRaw === null
        ? config.pubsubMaxAttempts
        : Number(attemptsRaw)
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 50) {
      errors.maxAttempts = 'Số lần thử gửi là số nguyên từ 1 đến 50.'
    }
    if (Object.keys(errors).length > 0) throw new ValidationError(errors)
    return { topic: topicName, clientId, mode: mode as 'push' | 'pull', endpoint, maxAttempts }
  }

  /** Creates a subscription; a push subscription's signing secret is returned here and never again. */
  async function createSubscription(actor: Actor | null, ctx: AuditContext, raw: Record<string, unknown>) {
    requirePubsubAdmin(actor)
    const input = await parseSubscriptionInput(raw)
    const secret = input.mode === SubscriptionMode.push ? newWebhookSecret() : null
    const subscription = await inTransaction(db, async (tx) => {
      // Starts at the head: a new subscriber gets what is published from now on (seek replays older events).
      const topic = await t(tx)
        .selectFrom('pubsub_topics')
        .select('last_position')
        .where('name', '=', input.topic)
        .forUpdate()
        .executeTakeFirstOrThrow()
      const row = await t(tx)
        .insertInto('pubsub_subscriptions')
        .values({
          topic: input.topic,
          client_id: input.clientId,
          mode: input.mode,
          endpoint: input.endpoint,
          secret_enc: secret ? encryptSecret(config.secretKey, secret) : null,
          max_attempts: input.maxAttempts,
          acked_position: Number(topic.last_position),
          created_by: actor.userId,
        })
        .returningAll()
        .executeTakeFirstOrThrow()
      await appendAudit(tx, ctx, {
        action: 'lgsp.subscription_created',
        objectType: 'pubsub_subscription',
        objectId: row.id,
        details: { topic: row.topic, clientId: row.client_id, mode: row.mode, endpoint: row.endpoint },
      })
      return row
    })
    return { subscription, secret }
  }

  async function getSubscription(id: string): Promise<repo.SubscriptionRow> {
    const row = /^[0-9a-f-]{36}$/i.test(id) ? await repo.findSubscription(db, id.toLowerCase()) : undefined
    if (!row) throw new NotFoundError('Không có đăng ký nhận sự kiện này.')
    return row
  }

  /** A system reaches only its own subscriptions. */
  async function ownSubscription(client: SystemClient, id: string) {
    const row = await getSubscription(id)
    if (row.client_id !== client.clientId) {
      throw new ForbiddenError(
        'lgsp.pubsub.subscription',
        null,
        'Đăng ký nhận sự kiện này thuộc hệ thống khác.',
      )
    }
    if (row.disabled_at) throw new ConflictError('Đăng ký nhận sự kiện này đã bị vô hiệu hóa.')
    if (!mayReceive(await getTopic(row.topic), client.clientId)) {
      throw new ForbiddenError(
        'lgsp.pubsub.subscription',
        null,
        `Hệ thống "${client.clientId}" không còn được nhận loại sự kiện "${row.topic}".`,
      )
    }
    return row
  }

  async function setDisabled(actor: Actor | null, ctx: AuditContext, id: string, disabled: boolean) {
    requirePubsubAdmin(actor)
    const row = await getSubscription(id)
    if (row.mode === SubscriptionMode.internal) {
      throw new ConflictError('Đăng ký nội bộ của nền tảng được bật, tắt bằng cấu hình, không tắt ở đây.')
    }
    return inTransaction(db, async (tx) => {
      const updated = await t(tx)
        .updateTable('pubsub_subscriptions')
        .set({ disabled_at: disabled ? new Date() : null, updated_at: new Date() })
        .where('id', '=', row.id)
        .returningAll()
        .executeTakeFirstOrThrow()
      await appendAudit(tx, ctx, {
        action: disabled ? 'lgsp.subscription_disabled' : 'lgsp.subscription_enabled',
        objectType: 'pubsub_subscription',
        objectId: row.id,
      })
      return updated
    })
  }

  async function describeSubscriptions(rows: repo.SubscriptionRow[]) {
    const counts = await repo.deliveryCounts(
      db,
      rows.filter((r) => r.mode !== SubscriptionMode.pull).map((r) => r.id),
    )
    const heads = new Map(
      (await repo.listTopics(db)).map((topic) => [topic.name, Number(topic.last_position)]),
    )
    return rows.map((row) => ({
      ...row,
      counts: counts.get(row.id) ?? null,
      /** Events a pull subscriber has not acknowledged yet. */
      backlog:
        row.mode === SubscriptionMode.pull
          ? Math.max(0, (heads.get(row.topic) ?? 0) - Number(row.acked_position))
          : null,
    }))
  }

  async function listSubscriptions(filter: { topic?: string; clientId?: string } = {}) {
    return describeSubscriptions(await repo.listSubscriptions(db, filter))
  }

  async function subscriptionDetail(id: string) {
    const row = await getSubscription(id)
    const [described] = await describeSubscriptions([row])
    return {
      subscription: described!,
      lastFailure: await repo.lastFailure(db, row.id),
      dead: await repo.deliveriesOf(db, row.id, [DeliveryState.dead]),
      open: await repo.deliveriesOf(db, row.id, [DeliveryState.queued, DeliveryState.waiting], 50),
    }
  }

  /**
   * Sends dead deliveries (all of the subscription's, or those listed) again, each with a fresh set of
   * attempts and in position order per key. Returns how many go again.
   */
  async function redrive(actor: Actor | null, ctx: AuditContext, id: string, deliveryIds?: number[]) {
    requirePubsubAdmin(actor)
    const row = await getSubscription(id)
    return redriveTrusted(row, ctx, deliveryIds)
  }

  async function redriveTrusted(row: repo.SubscriptionRow, ctx: AuditContext, deliveryIds?: number[]) {
    if (row.mode === SubscriptionMode.pull) {
      throw new ConflictError(
        'Đăng ký kiểu lấy về (pull) không có sự kiện chờ gửi lại; dùng seek để lấy lại.',
      )
    }
    return inTransaction(db, async (tx) => {
      await repo.lockTopic(tx, row.topic)
      let query = t(tx)
        .updateTable('pubsub_deliveries')
        .set({ state: DeliveryState.waiting, updated_at: new Date() })
        .where('subscription_id', '=', row.id)
        .where('state', '=', DeliveryState.dead)
      if (deliveryIds) query = query.where('id', 'in', deliveryIds.length ? deliveryIds : [-1])
      const revived = await query.returning('id').execute()
      await repo.promote(tx, row.id, undefined, row.max_attempts)
      await appendAudit(tx, ctx, {
        action: 'lgsp.subscription_redriven',
        objectType: 'pubsub_subscription',
        objectId: row.id,
        details: { deliveries: revived.length },
      })
      return revived.length
    })
  }

  // Pull.

  async function pull(client: SystemClient, id: string, maxRaw: unknown) {
    const row = await ownSubscription(client, id)
    if (row.mode !== SubscriptionMode.pull) {
      throw new ConflictError('Đăng ký này nhận sự kiện bằng webhook (push), không lấy về (pull).')
    }
    const max = maxRaw === undefined ? 100 : Number(maxRaw)
    if (!Number.isInteger(max) || max < 1 || max > MAX_PULL) {
      throw new ValidationError({ max: `Tham số max là số nguyên từ 1 đến ${MAX_PULL}.` })
    }
    const topic = await getTopic(row.topic)
    const events = await repo.eventsAfter(db, row.topic, Number(row.acked_position), max)
    return {
      subscription: row.id,
      topic: row.topic,
      ackedPosition: Number(row.acked_position),
      headPosition: Number(topic.last_position),
      events: events.map(toPublished),
    }
  }

  function parsePosition(raw: unknown, min: number, max: number, what: string): number {
    const position = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw
    if (typeof position !== 'number' || !Number.isInteger(position) || position < min || position > max) {
      throw new ValidationError({
        position: `${what} là số nguyên từ ${min} đến ${max} (vị trí mới nhất của loại sự kiện).`,
      })
    }
    return position
  }

  /** Acknowledges every event up to `position`; acknowledging again or an older position changes nothing. */
  async function ack(client: SystemClient, id: string, raw: unknown) {
    const row = await ownSubscription(client, id)
    if (row.mode !== SubscriptionMode.pull) {
      throw new ConflictError('Chỉ đăng ký kiểu lấy về (pull) mới xác nhận (ack) vị trí.')
    }
    const topic = await getTopic(row.topic)
    const position = parsePosition(raw, 0, Number(topic.last_position), 'Vị trí xác nhận (position)')
    const updated = await t(db)
      .updateTable('pubsub_subscriptions')
      .set({ acked_position: sql`greatest(acked_position, ${position}::bigint)`, updated_at: new Date() })
      .where('id', '=', row.id)
      .returning('acked_position')
      .executeTakeFirstOrThrow()
    return { ackedPosition: Number(updated.acked_position) }
  }

  /**
   * Replays from `position`: a pull subscriber's next batch starts there; a push subscription gets every event
   * from there delivered again (in order per key).
   */
  async function seekTrusted(row: repo.SubscriptionRow, raw: unknown, ctx: AuditContext) {
    const topic = await getTopic(row.topic)
    const head = Number(topic.last_position)
    const position = parsePosition(raw, 1, head + 1, 'Vị trí bắt đầu lấy lại (position)')
    return inTransaction(db, async (tx) => {
      await repo.lockTopic(tx, row.topic)
      let redelivered = 0
      if (row.mode === SubscriptionMode.pull) {
        await t(tx)
          .updateTable('pubsub_subscriptions')
          .set({ acked_position: position - 1, updated_at: new Date() })
          .where('id', '=', row.id)
          .execute()
      } else {
        const reset = await t(tx)
          .updateTable('pubsub_deliveries')
          .set({ state: DeliveryState.waiting, updated_at: new Date() })
          .where('subscription_id', '=', row.id)
          .where('position', '>=', position)
          .where('state', 'in', [DeliveryState.delivered, DeliveryState.dead])
          .returning('id')
          .execute()
        const added = await sql<{ id: number }>`
          insert into pubsub_deliveries (subscription_id, event_id, position, key)
          select ${row.id}::uuid, id, position, key from pubsub_events
          where topic = ${row.topic} and position >= ${position}
          on conflict (subscription_id, event_id) do nothing
          returning id`.execute(tx)
        redelivered = reset.length + added.rows.length
        await repo.promote(tx, row.id, undefined, row.max_attempts)
      }
      await appendAudit(tx, ctx, {
        action: 'lgsp.subscription_seek',
        objectType: 'pubsub_subscription',
        objectId: row.id,
        details: { position },
      })
      return { position, ackedPosition: position - 1, redelivered }
    })
  }

  async function seek(client: SystemClient, id: string, raw: unknown, ctx: AuditContext) {
    return seekTrusted(await ownSubscription(client, id), raw, ctx)
  }

  async function seekAsAdmin(actor: Actor | null, ctx: AuditContext, id: string, raw: unknown) {
    requirePubsubAdmin(actor)
    return seekTrusted(await getSubscription(id), raw, ctx)
  }

  // Internal subscriptions (modules of the platform, e.g. the national synchronisation).

  /** Registers a handler inside the platform; its subscription row is created at start if missing. */
  function subscribeInternal(name: string, topic: string, handler: InternalHandler) {
    const clientId = internalClientId(name)
    if (internalHandlers.has(clientId)) throw new Error(`Internal subscriber ${name} already registered`)
    internalHandlers.set(clientId, handler)
    internalSubscriptions.push({ name, topic })
  }

  async function ensureInternalSubscriptions() {
    for (const { name, topic } of internalSubscriptions) {
      await t(db)
        .insertInto('pubsub_subscriptions')
        .values({
          topic,
          client_id: internalClientId(name),
          mode: SubscriptionMode.internal,
          max_attempts: config.pubsubMaxAttempts,
          acked_position: 0,
        })
        .onConflict((oc) => oc.columns(['topic', 'client_id']).where('mode', '=', 'internal').doNothing())
        .execute()
    }
  }

  async function findInternalSubscription(name: string, topic: string) {
    return t(db)
      .selectFrom('pubsub_subscriptions')
      .selectAll()
      .where('topic', '=', topic)
      .where('client_id', '=', internalClientId(name))
      .where('mode', '=', SubscriptionMode.internal)
      .executeTakeFirst()
  }

  // Allowed webhook hosts.

  async function addAllowedHost(actor: Actor | null, ctx: AuditContext, raw: Record<string, unknown>) {
    requirePubsubAdmin(actor)
    const parsed = parseAllowedHost(raw.host)
    if (!parsed.ok) throw new ValidationError({ host: parsed.message })
    const note = text(raw.note).slice(0, 300)
    await inTransaction(db, async (tx) => {
      await t(tx)
        .insertInto('pubsub_allowed_hosts')
        .values({ host: parsed.host, note, created_by: actor.userId })
        .onConflict((oc) => oc.column('host').doUpdateSet({ note }))
        .execute()
      await appendAudit(tx, ctx, {
        action: 'lgsp.webhook_host_allowed',
        objectType: 'pubsub_allowed_host',
        objectId: parsed.host,
      })
    })
    return parsed.host
  }

  async function removeAllowedHost(actor: Actor | null, ctx: AuditContext, host: string) {
    requirePubsubAdmin(actor)
    await inTransaction(db, async (tx) => {
      const removed = await t(tx)
        .deleteFrom('pubsub_allowed_hosts')
        .where('host', '=', host.toLowerCase())
        .executeTakeFirst()
      if (Number(removed.numDeletedRows) === 0)
        throw new NotFoundError('Máy chủ này không có trong danh sách.')
      await appendAudit(tx, ctx, {
        action: 'lgsp.webhook_host_removed',
        objectType: 'pubsub_allowed_host',
        objectId: host.toLowerCase(),
      })
    })
  }

  return {
    authenticate,
    listTopics: () => repo.listTopics(db),
    getTopic,
    createTopic,
    updateTopic,
    ensurePlatformTopics,
    ensureTopic,
    publish,
    publishPlatform,
    createSubscription,
    getSubscription,
    listSubscriptions,
    subscriptionDetail,
    setDisabled,
    redrive,
    redriveTrusted,
    pull,
    ack,
    seek,
    seekAsAdmin,
    subscribeInternal,
    ensureInternalSubscriptions,
    findInternalSubscription,
    internalHandler: (clientId: string) => internalHandlers.get(clientId),
    listAllowedHosts: () => repo.allowedHosts(db),
    addAllowedHost,
    removeAllowedHost,
    clientName: async (clientId: string) => (await clients.find(clientId))?.name,
  }
}

export type PubsubService = ReturnType<typeof createPubsubService>
