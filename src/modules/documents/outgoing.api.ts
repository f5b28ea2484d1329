import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type, type TSchema } from 'typebox'
import { UnauthenticatedError, type Actor } from '../../platform/auth/actor.js'
import type { Config } from '../../platform/config.js'
import { ErrorSchema } from '../../platform/http/openapi.js'
import { auditContext } from '../../platform/http/plugin.js'
import { readMultipart } from '../../platform/http/uploads.js'
import type { StoredAttachment } from './document-files.js'
import { CONFIDENTIALITIES, statusLabel, URGENCIES } from './document-rules.js'
import { sendFile } from './documents.view.js'
import { OUTGOING_STATUSES, outgoingStatusLabel, STEP_ACTIONS } from './outgoing-rules.js'
import type { OutgoingRow } from './outgoing.repository.js'
import type { OutgoingService } from './outgoing.service.js'

const tags = ['Văn bản đi']
const errors = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  409: ErrorSchema,
  422: ErrorSchema,
}
const Id = Type.Object({ id: Type.String({ maxLength: 40 }) }, { additionalProperties: false })
const literals = (values: readonly string[]) => Type.Union(values.map((v) => Type.Literal(v)))
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

const Recipient = Type.Union([
  Type.Object(
    { kind: Type.Literal('internal'), unitId: Type.String({ maxLength: 40 }) },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('external'),
      agencyCode: Type.String({
        maxLength: 20,
        description: 'Mã định danh QCVN 102:2016, ví dụ 000.00.00.G22',
      }),
      name: Type.String({ maxLength: 300 }),
    },
    { additionalProperties: false },
  ),
])

const DraftFields = {
  typeCode: Type.String({ maxLength: 40 }),
  division: Type.Optional(
    Type.String({ maxLength: 20, description: 'Viết tắt đơn vị soạn thảo (công văn)' }),
  ),
  summary: Type.String({ maxLength: 2000, description: 'Trích yếu' }),
  content: Type.Optional(Type.String({ maxLength: 20000 })),
  urgency: Type.Optional(literals(URGENCIES)),
  confidentiality: Type.Optional(literals(CONFIDENTIALITIES)),
  dueOn: Type.Optional(Type.String({ maxLength: 10, description: 'Hạn trả lời (YYYY-MM-DD)' })),
  replyTo: Type.Optional(Type.String({ maxLength: 40, description: 'Văn bản đến được trả lời' })),
  replaces: Type.Optional(
    Type.String({ maxLength: 40, description: 'Văn bản đi đã phát hành mà dự thảo này thay thế' }),
  ),
  recipients: Type.Array(Recipient, { maxItems: 100 }),
  note: Type.Optional(Type.String({ maxLength: 2000 })),
}
const DraftBody = Type.Object(
  { unitId: Type.Optional(Type.String({ maxLength: 40 })), ...DraftFields },
  { additionalProperties: false },
)
const EditBody = Type.Object(DraftFields, { additionalProperties: false })

const OutgoingSchema = Type.Object({
  id: Type.String(),
  unitId: Type.String(),
  drafterId: Type.String(),
  drafterName: Type.String(),
  typeCode: Type.String(),
  summary: Type.String(),
  content: Nullable(Type.String()),
  division: Nullable(Type.String()),
  urgency: Type.String(),
  confidentiality: Type.String(),
  dueOn: Nullable(Type.String()),
  replyTo: Nullable(Type.String()),
  status: Type.String({ description: 'draft | in_review | returned | approved | issued' }),
  statusLabel: Type.String(),
  version: Type.Integer(),
  round: Type.Integer(),
  signerName: Nullable(Type.String()),
  signerPosition: Nullable(Type.String()),
  signerCompetence: Nullable(Type.String()),
  approvedAt: Nullable(Type.String()),
  registerId: Nullable(Type.String()),
  number: Nullable(Type.Integer({ description: 'Số trong sổ văn bản đi' })),
  codeNumber: Nullable(Type.String({ description: 'Số (số nhỏ hơn 10 có số 0 phía trước)' })),
  codeNotation: Nullable(Type.String({ description: 'Ký hiệu, ví dụ QĐ-SKHCN' })),
  issuedOn: Nullable(Type.String()),
  issuedAt: Nullable(Type.String()),
  signedSha256: Nullable(Type.String()),
  replaces: Nullable(Type.String({ description: 'Văn bản đi được văn bản này thay thế' })),
  withdrawn: Nullable(Type.String({ description: 'recalled (đã thu hồi) | replaced (đã bị thay thế)' })),
  withdrawnAt: Nullable(Type.String()),
  withdrawnReason: Nullable(Type.String()),
  replacedBy: Nullable(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
})

function outgoingJson(o: OutgoingRow) {
  return {
    id: o.id,
    unitId: o.unit_id,
    drafterId: o.drafter_id,
    drafterName: o.drafter_name,
    typeCode: o.type_code,
    summary: o.summary,
    content: o.content,
    division: o.division,
    urgency: o.urgency,
    confidentiality: o.confidentiality,
    dueOn: o.due_on,
    replyTo: o.reply_to,
    status: o.status,
    statusLabel: outgoingStatusLabel[o.status],
    version: o.version,
    round: o.round,
    signerName: o.signer_name,
    signerPosition: o.signer_position,
    signerCompetence: o.signer_competence,
    approvedAt: o.approved_at?.toISOString() ?? null,
    registerId: o.register_id,
    number: o.number,
    codeNumber: o.code_number,
    codeNotation: o.code_notation,
    issuedOn: o.issued_on,
    issuedAt: o.issued_at?.toISOString() ?? null,
    signedSha256: o.signed_sha256,
    replaces: o.replaces,
    withdrawn: o.withdrawn,
    withdrawnAt: o.withdrawn_at?.toISOString() ?? null,
    withdrawnReason: o.withdrawn_reason,
    replacedBy: o.replaced_by,
    createdAt: o.created_at.toISOString(),
    updatedAt: o.updated_at.toISOString(),
  }
}

function actorOf(request: FastifyRequest): Actor {
  if (!request.actor)
    throw new UnauthenticatedError('Cần xác thực: gửi tiêu đề Authorization: Bearer <khóa truy cập>.')
  return request.actor
}

const base = '/documents/outgoing'

export function outgoingApi(outgoing: OutgoingService, { secretKey }: Pick<Config, 'secretKey'>) {
  return async function api(app: FastifyInstance) {
    app.get(
      base,
      {
        schema: {
          tags,
          summary: 'Dự thảo và văn bản đi tôi được xem (box: all | mine | pending — chờ tôi xử lý)',
          querystring: Type.Object(
            {
              box: Type.Optional(literals(['all', 'mine', 'pending'])),
              q: Type.Optional(Type.String({ maxLength: 200 })),
              status: Type.Optional(literals(OUTGOING_STATUSES)),
              before: Type.Optional(Type.String({ maxLength: 80 })),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({ items: Type.Array(OutgoingSchema), next: Nullable(Type.String()) }),
            ...errors,
          },
        },
      },
      async (request) => {
        const { items, next } = await outgoing.list(
          actorOf(request),
          request.query as Record<string, unknown>,
        )
        return { items: items.map(outgoingJson), next }
      },
    )

    app.post(
      base,
      {
        schema: {
          tags,
          summary:
            'Tạo dự thảo (phiên bản 1); tệp PDF gửi sau qua POST /documents/outgoing/{id}/file. Thiếu nơi nhận: 422',
          body: DraftBody,
          response: { 201: OutgoingSchema, ...errors },
        },
      },
      async (request, reply) => {
        const created = await outgoing.create(
          actorOf(request),
          auditContext(request),
          request.body as Record<string, unknown>,
        )
        return reply.code(201).send(outgoingJson(created))
      },
    )

    app.get(
      `${base}/register`,
      {
        schema: {
          tags,
          summary: 'Sổ văn bản đi của đơn vị theo năm (văn thư, lãnh đạo), số lớn nhất trước',
          querystring: Type.Object(
            {
              unitId: Type.Optional(Type.String({ maxLength: 40 })),
              year: Type.Optional(Type.String({ maxLength: 4 })),
              before: Type.Optional(Type.String({ maxLength: 9 })),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              unitId: Type.String(),
              year: Type.Integer(),
              registerId: Nullable(Type.String()),
              abbreviation: Type.String(),
              items: Type.Array(OutgoingSchema),
              next: Nullable(Type.String()),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const view = await outgoing.outgoingRegister(
          actorOf(request),
          request.query as Record<string, unknown>,
        )
        return {
          unitId: view.unit.id,
          year: view.year,
          registerId: view.register?.id ?? null,
          abbreviation: view.abbreviation,
          items: view.items.map(outgoingJson),
          next: view.next,
        }
      },
    )

    app.get(
      `${base}/:id`,
      {
        schema: {
          tags,
          summary: 'Một văn bản đi: các phiên bản, góp ý, trình tự duyệt, nơi nhận, quá trình',
          params: Id,
          response: {
            200: Type.Object({
              ...OutgoingSchema.properties,
              versions: Type.Array(
                Type.Object({
                  version: Type.Integer(),
                  summary: Type.String(),
                  fileName: Nullable(Type.String()),
                  sha256: Nullable(Type.String()),
                  note: Nullable(Type.String()),
                  createdBy: Type.String(),
                  createdAt: Type.String(),
                  url: Nullable(Type.String()),
                }),
              ),
              comments: Type.Array(
                Type.Object({
                  version: Type.Integer(),
                  author: Type.String(),
                  body: Type.String(),
                  at: Type.String(),
                }),
              ),
              steps: Type.Array(
                Type.Object({
                  id: Type.String(),
                  round: Type.Integer(),
                  position: Type.Integer(),
                  userId: Type.String(),
                  userName: Type.String(),
                  kind: Type.String({ description: 'review | approve' }),
                  status: Type.String({
                    description: 'waiting | pending | approved | returned | forwarded | cancelled',
                  }),
                  note: Nullable(Type.String()),
                  actedAt: Nullable(Type.String()),
                }),
              ),
              recipients: Type.Array(
                Type.Object({
                  id: Type.String(),
                  kind: Type.String(),
                  unitId: Nullable(Type.String()),
                  agencyCode: Nullable(Type.String()),
                  name: Type.String(),
                  status: Type.String({
                    description: 'pending | delivered | packaged | duplicate | paper | sent (qua LGSP)',
                  }),
                  documentId: Nullable(Type.String({ description: 'Văn bản đến tạo ở đơn vị nhận' })),
                  channel: Nullable(Type.String({ description: 'lgsp | download (cơ quan ngoài nền tảng)' })),
                  exchangeStatus: Nullable(
                    Type.String({
                      description: 'Trạng thái nơi nhận báo lại: 01–06, 13 (chờ trả lời thu hồi), 15, 16',
                    }),
                  ),
                  exchangeNote: Nullable(Type.String()),
                  exchangeAt: Nullable(Type.String()),
                  resendable: Type.Boolean({
                    description:
                      'Văn thư gửi lại được qua LGSP: POST /documents/outgoing/{id}/recipients/{recipientId}/resend',
                  }),
                }),
              ),
              exchange: Type.Array(
                Type.Object({
                  recipientId: Type.String(),
                  agencyCode: Type.String(),
                  businessType: Type.Integer({ description: '0 mới, 1 thu hồi, 2 cập nhật, 3 thay thế' }),
                  state: Type.String({ description: 'queued | sent | unreachable | failed' }),
                  lastError: Nullable(Type.String()),
                  sentAt: Nullable(Type.String()),
                }),
              ),
              history: Type.Array(
                Type.Object({
                  action: Type.String(),
                  actorName: Nullable(Type.String()),
                  note: Nullable(Type.String()),
                  at: Type.String(),
                }),
              ),
              can: Type.Record(Type.String(), Type.Boolean()),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const view = await outgoing.get(
          actorOf(request),
          auditContext(request),
          (request.params as { id: string }).id,
        )
        const id = view.outgoing.id
        return {
          ...outgoingJson(view.outgoing),
          versions: view.versions.map((v) => ({
            version: v.version,
            summary: v.fields.summary,
            fileName: v.file_name,
            sha256: v.sha256,
            note: v.note,
            createdBy: v.created_by_name,
            createdAt: v.created_at.toISOString(),
            url: v.object_key ? `/api/v1${base}/${id}/versions/${v.version}/file` : null,
          })),
          comments: view.comments.map((c) => ({
            version: c.version,
            author: c.author_name,
            body: c.body,
            at: c.created_at.toISOString(),
          })),
          steps: view.steps.map((s) => ({
            id: s.id,
            round: s.round,
            position: s.position,
            userId: s.user_id,
            userName: s.user_name,
            kind: s.kind,
            status: s.status,
            note: s.note,
            actedAt: s.acted_at?.toISOString() ?? null,
          })),
          recipients: view.recipients.map((r) => ({
            id: r.id,
            kind: r.kind,
            unitId: r.unit_id,
            agencyCode: r.agency_code,
            name: r.name,
            status: r.status,
            documentId: r.document_id,
            channel: r.channel,
            exchangeStatus: r.exchange_status,
            exchangeNote: r.exchange_note,
            exchangeAt: r.exchange_at?.toISOString() ?? null,
            resendable: view.resendable.includes(r.id),
          })),
          exchange: view.outbox.map((x) => ({
            recipientId: x.recipient_id,
            agencyCode: x.agency_code,
            businessType: x.business_type,
            state: x.state,
            lastError: x.last_error,
            sentAt: x.sent_at?.toISOString() ?? null,
          })),
          history: view.history.map((h) => ({
            action: h.action,
            actorName: h.actor_name,
            note: h.note,
            at: h.at.toISOString(),
          })),
          can: view.can,
        }
      },
    )

    app.get(
      `${base}/:id/candidates`,
      {
        schema: {
          tags,
          summary:
            'Người có thể trình hoặc chuyển: cán bộ, lãnh đạo của đơn vị soạn thảo (approver: được duyệt ban hành)',
          params: Id,
          response: {
            200: Type.Array(
              Type.Object({ id: Type.String(), fullName: Type.String(), approver: Type.Boolean() }),
            ),
            ...errors,
          },
        },
      },
      async (request) => outgoing.candidates(actorOf(request), (request.params as { id: string }).id),
    )

    app.post(
      `${base}/:id/versions`,
      {
        schema: {
          tags,
          summary:
            'Sửa dự thảo (người soạn; khi là dự thảo hoặc bị trả lại): phiên bản mới, giữ tệp của phiên bản trước',
          params: Id,
          body: EditBody,
          response: { 200: OutgoingSchema, ...errors },
        },
      },
      async (request) =>
        outgoingJson(
          await outgoing.edit(
            actorOf(request),
            auditContext(request),
            (request.params as { id: string }).id,
            request.body as Record<string, unknown>,
          ),
        ),
    )

    app.post(
      `${base}/:id/file`,
      {
        config: { multipart: true },
        schema: {
          tags,
          summary:
            'Tải tệp PDF dự thảo (multipart, trường "file", tùy chọn "note"): phiên bản mới; PDF đã ký hoặc bị sửa sau khi ký bị từ chối',
          consumes: ['multipart/form-data'],
          params: Id,
          response: { 201: OutgoingSchema, 413: ErrorSchema, 415: ErrorSchema, ...errors },
        },
      },
      async (request, reply) => {
        const { id } = request.params as { id: string }
        const actor = actorOf(request)
        let file: StoredAttachment | undefined
        let fields: Record<string, string>
        try {
          fields = await readMultipart(request, secretKey, async (part) => {
            if (part.field === 'file' && !file)
              file = await outgoing.storeDraftFile(part.stream, part.fileName)
          })
        } catch (error) {
          await outgoing.discard([file])
          throw error
        }
        const updated = await outgoing.uploadVersion(actor, auditContext(request), id, file, fields.note)
        return reply.code(201).send(outgoingJson(updated))
      },
    )

    app.get(
      `${base}/:id/versions/:version/file`,
      {
        schema: {
          tags,
          summary: 'Tệp của một phiên bản dự thảo',
          params: Type.Object(
            { id: Type.String({ maxLength: 40 }), version: Type.String({ pattern: '^[0-9]{1,6}$' }) },
            { additionalProperties: false },
          ),
          response: { ...errors },
        },
      },
      async (request, reply) => {
        const { id, version } = request.params as { id: string; version: string }
        const { file, stream } = await outgoing.openVersion(
          actorOf(request),
          auditContext(request),
          id,
          Number(version),
        )
        return sendFile(reply, file, stream)
      },
    )

    app.post(
      `${base}/:id/comments`,
      {
        schema: {
          tags,
          summary: 'Góp ý trên phiên bản hiện tại',
          params: Id,
          body: Type.Object({ body: Type.String({ maxLength: 4000 }) }, { additionalProperties: false }),
          response: {
            201: Type.Object({ id: Type.String(), version: Type.Integer(), body: Type.String() }),
            ...errors,
          },
        },
      },
      async (request, reply) => {
        const row = await outgoing.comment(
          actorOf(request),
          auditContext(request),
          (request.params as { id: string }).id,
          request.body as { body: string },
        )
        return reply.code(201).send({ id: row.id, version: row.version, body: row.body })
      },
    )

    app.post(
      `${base}/:id/submit`,
      {
        schema: {
          tags,
          summary:
            'Trình duyệt: danh sách người theo thứ tự, người cuối là lãnh đạo duyệt ban hành (người soạn)',
          params: Id,
          body: Type.Object(
            {
              chain: Type.Array(Type.String({ maxLength: 40 }), { minItems: 1, maxItems: 6 }),
              note: Type.Optional(Type.String({ maxLength: 2000 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: OutgoingSchema, ...errors },
        },
      },
      async (request) =>
        outgoingJson(
          await outgoing.submit(
            actorOf(request),
            auditContext(request),
            (request.params as { id: string }).id,
            request.body as Record<string, unknown>,
          ),
        ),
    )

    app.post(
      `${base}/:id/step`,
      {
        schema: {
          tags,
          summary:
            'Người đang đến lượt: đồng ý (approve; ở bước cuối là duyệt ban hành), trả lại (return, cần note), chuyển (forward, cần to). Người khác: 403',
          params: Id,
          body: Type.Object(
            {
              action: literals(STEP_ACTIONS),
              note: Type.Optional(Type.String({ maxLength: 4000 })),
              to: Type.Optional(Type.String({ maxLength: 40 })),
              signerPosition: Type.Optional(Type.String({ maxLength: 200 })),
              signerCompetence: Type.Optional(Type.String({ maxLength: 100 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: OutgoingSchema, ...errors },
        },
      },
      async (request) =>
        outgoingJson(
          await outgoing.act(
            actorOf(request),
            auditContext(request),
            (request.params as { id: string }).id,
            request.body as Record<string, unknown>,
          ),
        ),
    )

    app.post(
      `${base}/:id/issue`,
      {
        schema: {
          tags,
          summary:
            'Văn thư cấp số (sổ văn bản đi), ký số bằng chứng thư của đơn vị và phát hành; chưa được duyệt: 409',
          params: Id,
          response: { 200: OutgoingSchema, ...errors, 503: ErrorSchema },
        },
      },
      async (request) =>
        outgoingJson(
          await outgoing.issue(
            actorOf(request),
            auditContext(request),
            (request.params as { id: string }).id,
          ),
        ),
    )

    app.get(
      `${base}/:id/signed`,
      {
        schema: {
          tags,
          summary: 'Bản gốc đã ký số (PAdES), kiểm tra được tại /verify',
          params: Id,
          response: { ...errors },
        },
      },
      async (request, reply) => {
        const { file, stream } = await outgoing.openSigned(
          actorOf(request),
          auditContext(request),
          (request.params as { id: string }).id,
        )
        return sendFile(reply, file, stream)
      },
    )

    app.get(
      `${base}/:id/edxml`,
      {
        schema: {
          tags,
          summary:
            'Gói tin edXML (QCVN 102:2016) để tải về cho cơ quan nhận ngoài nền tảng chưa nhận qua LGSP: văn bản (hoặc văn bản thay thế) kèm bản gốc đã ký số; kind=recall gói tin thu hồi, kind=update gói tin cập nhật',
          params: Id,
          querystring: Type.Object(
            { kind: Type.Optional(Type.Union([Type.Literal('recall'), Type.Literal('update')])) },
            { additionalProperties: false },
          ),
          response: { ...errors },
        },
      },
      async (request, reply) => {
        const { xml, fileName } = await outgoing.edxmlPackage(
          actorOf(request),
          auditContext(request),
          (request.params as { id: string }).id,
          (request.query as { kind?: string }).kind,
        )
        return sendFile(reply, { fileName, mime: 'application/xml; charset=utf-8' }, xml)
      },
    )

    app.post(
      `${base}/:id/recall`,
      {
        schema: {
          tags,
          summary:
            'Thu hồi văn bản đã phát hành (văn thư, lãnh đạo đơn vị): đơn vị trên nền tảng thu hồi ngay (đã xử lý xong: 16), cơ quan ngoài nhận gói tin thu hồi (BussinessDocType 1)',
          params: Id,
          body: Type.Object({ reason: Type.String({ maxLength: 2000 }) }, { additionalProperties: false }),
          response: { 200: OutgoingSchema, ...errors },
        },
      },
      async (request) =>
        outgoingJson(
          await outgoing.recall(
            actorOf(request),
            auditContext(request),
            (request.params as { id: string }).id,
            request.body as { reason: string },
          ),
        ),
    )

    app.post(
      `${base}/:id/update`,
      {
        schema: {
          tags,
          summary:
            'Cập nhật trích yếu, nội dung, hạn trả lời của văn bản đã phát hành, kèm lý do: bản nhận trên nền tảng cập nhật ngay, cơ quan ngoài nhận gói tin cập nhật (BussinessDocType 2)',
          params: Id,
          body: Type.Object(
            {
              summary: Type.Optional(Type.String({ maxLength: 2000 })),
              content: Type.Optional(Type.String({ maxLength: 20000 })),
              dueOn: Type.Optional(Type.String({ maxLength: 10 })),
              reason: Type.String({ maxLength: 2000 }),
            },
            { additionalProperties: false },
          ),
          response: { 200: OutgoingSchema, ...errors },
        },
      },
      async (request) =>
        outgoingJson(
          await outgoing.update(
            actorOf(request),
            auditContext(request),
            (request.params as { id: string }).id,
            request.body as Record<string, unknown>,
          ),
        ),
    )

    app.post(
      `${base}/:id/resend`,
      {
        schema: {
          tags,
          summary:
            'Văn thư gửi lại qua LGSP các gói tin chưa gửi được (cơ quan chưa đăng ký nhận lúc đó, hoặc lỗi lập gói tin)',
          params: Id,
          response: { 200: Type.Object({ queued: Type.Integer() }), ...errors },
        },
      },
      async (request) => ({
        queued: await outgoing.resend(
          actorOf(request),
          auditContext(request),
          (request.params as { id: string }).id,
        ),
      }),
    )

    app.post(
      `${base}/:id/recipients/:recipientId/resend`,
      {
        schema: {
          tags,
          summary:
            'Văn thư gửi lại qua LGSP gói tin cho một cơ quan nhận đã đăng ký nhận sau khi văn bản được phát hành; 409 khi gói tin đã gửi, đang chờ gửi, hoặc cơ quan vẫn chưa đăng ký nhận',
          params: Type.Object(
            { id: Type.String({ maxLength: 40 }), recipientId: Type.String({ maxLength: 40 }) },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ queued: Type.Integer() }), ...errors },
        },
      },
      async (request) => {
        const { id, recipientId } = request.params as { id: string; recipientId: string }
        const { queued } = await outgoing.resendTo(actorOf(request), auditContext(request), id, recipientId)
        return { queued }
      },
    )

    app.post(
      '/documents/:id/refusal',
      {
        schema: {
          tags,
          summary:
            'Văn thư từ chối tiếp nhận văn bản nhận qua liên thông (chưa phân công): thông báo trạng thái 02 kèm lý do cho nơi gửi',
          params: Id,
          body: Type.Object({ reason: Type.String({ maxLength: 2000 }) }, { additionalProperties: false }),
          response: {
            200: Type.Object({ id: Type.String(), status: Type.String(), statusLabel: Type.String() }),
            ...errors,
          },
        },
      },
      async (request) => {
        const document = await outgoing.refuse(
          actorOf(request),
          auditContext(request),
          (request.params as { id: string }).id,
          request.body as { reason: string },
        )
        return { id: document.id, status: document.status, statusLabel: statusLabel[document.status] }
      },
    )

    app.get(
      '/documents/:id/replies',
      {
        schema: {
          tags,
          summary: 'Văn bản đi trả lời văn bản đến này (tôi được xem)',
          params: Id,
          response: { 200: Type.Array(OutgoingSchema), ...errors },
        },
      },
      async (request) =>
        (await outgoing.repliesTo(actorOf(request), (request.params as { id: string }).id)).map(outgoingJson),
    )
  }
}
