import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type, type TSchema } from 'typebox'
import { UnauthenticatedError, type Actor } from '../../platform/auth/actor.js'
import type { Config } from '../../platform/config.js'
import { ErrorSchema } from '../../platform/http/openapi.js'
import { auditContext } from '../../platform/http/plugin.js'
import { readMultipart } from '../../platform/http/uploads.js'
import type { StoredAttachment } from './document-files.js'
import { sendFile } from './documents.view.js'
import type { MeetingRow } from './meetings.repository.js'
import type { MeetingsService } from './meetings.service.js'

const tags = ['Họp không giấy']
const errors = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  409: ErrorSchema,
  422: ErrorSchema,
}
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])
const Id = Type.Object({ id: Type.String({ maxLength: 40 }) }, { additionalProperties: false })

const MeetingSchema = Type.Object({
  id: Type.String(),
  unitId: Type.String(),
  title: Type.String(),
  startsAt: Type.String(),
  endsAt: Nullable(Type.String()),
  place: Type.String(),
  videoUrl: Nullable(Type.String()),
  chairId: Type.String(),
  chairName: Type.String(),
  organiserId: Type.String(),
  organiserName: Type.String(),
  status: Type.String({ description: 'scheduled | held | cancelled' }),
  minutes: Nullable(Type.String()),
  minutesBy: Nullable(Type.String()),
  minutesAt: Nullable(Type.String()),
  cancelReason: Nullable(Type.String()),
  cancelledAt: Nullable(Type.String()),
})

const ChangeSchema = Type.Object({
  field: Type.String({ description: 'title | startsAt | endsAt | place | videoUrl | agenda | chair' }),
  before: Nullable(
    Type.String({ description: 'thời gian dạng ISO; nội dung họp nối bằng "; "; người chủ trì: họ tên' }),
  ),
  after: Nullable(Type.String()),
})
const PersonSchema = Type.Object({ userId: Type.String(), name: Type.String() })
const people = (rows: readonly { id: string; name: string }[] | undefined) =>
  rows?.map((p) => ({ userId: p.id, name: p.name }))

function meetingJson(m: MeetingRow) {
  return {
    id: m.id,
    unitId: m.unit_id,
    title: m.title,
    startsAt: m.starts_at.toISOString(),
    endsAt: m.ends_at?.toISOString() ?? null,
    place: m.place,
    videoUrl: m.video_url,
    chairId: m.chair_id,
    chairName: m.chair_name,
    organiserId: m.organiser_id,
    organiserName: m.organiser_name,
    status: m.status,
    minutes: m.minutes,
    minutesBy: m.minutes_by,
    minutesAt: m.minutes_at?.toISOString() ?? null,
    cancelReason: m.cancel_reason,
    cancelledAt: m.cancelled_at?.toISOString() ?? null,
  }
}

function actorOf(request: FastifyRequest): Actor {
  if (!request.actor)
    throw new UnauthenticatedError('Cần xác thực: gửi tiêu đề Authorization: Bearer <khóa truy cập>.')
  return request.actor
}

export function meetingsApi(meetings: MeetingsService, { secretKey }: Pick<Config, 'secretKey'>) {
  return async function api(app: FastifyInstance) {
    app.get(
      '/meetings',
      {
        schema: {
          tags,
          summary: 'Cuộc họp của tôi (tổ chức, chủ trì hoặc được mời): sắp họp trước, rồi các cuộc đã qua',
          response: {
            200: Type.Object({
              items: Type.Array(
                Type.Intersect([MeetingSchema, Type.Object({ myResponse: Nullable(Type.String()) })]),
              ),
            }),
            ...errors,
          },
        },
      },
      async (request) => ({
        items: (await meetings.mine(actorOf(request))).map((m) => ({
          ...meetingJson(m),
          myResponse: m.my_response,
        })),
      }),
    )

    app.post(
      '/meetings',
      {
        schema: {
          tags,
          summary: 'Tạo cuộc họp không giấy và mời người dự họp',
          body: Type.Object(
            {
              unitId: Type.Optional(Type.String({ maxLength: 40 })),
              title: Type.String({ maxLength: 500 }),
              startsAt: Type.String({
                maxLength: 40,
                description: 'ISO 8601 có múi giờ, hoặc YYYY-MM-DDTHH:mm giờ Việt Nam',
              }),
              endsAt: Type.Optional(Type.String({ maxLength: 40 })),
              place: Type.String({ maxLength: 300 }),
              chairId: Type.Optional(Type.String({ maxLength: 40 })),
              guestUnitIds: Type.Optional(
                Type.Array(Type.String({ maxLength: 40 }), {
                  maxItems: 100,
                  description: 'Đơn vị khác có cán bộ được mời (ngoài các đơn vị của người tổ chức)',
                }),
              ),
              attendeeIds: Type.Optional(Type.Array(Type.String({ maxLength: 40 }), { maxItems: 200 })),
              agenda: Type.Array(
                Type.Object(
                  {
                    title: Type.String({ maxLength: 500 }),
                    presenter: Type.Optional(Type.String({ maxLength: 200 })),
                  },
                  { additionalProperties: false },
                ),
                { maxItems: 50 },
              ),
              videoUrl: Type.Optional(Type.String({ maxLength: 500, description: 'Chỉ https://' })),
            },
            { additionalProperties: false },
          ),
          response: { 201: MeetingSchema, ...errors },
        },
      },
      async (request, reply) =>
        reply
          .code(201)
          .send(
            meetingJson(
              await meetings.create(
                actorOf(request),
                auditContext(request),
                request.body as Record<string, unknown>,
              ),
            ),
          ),
    )

    app.get(
      '/meetings/:id',
      {
        schema: {
          tags,
          summary: 'Một cuộc họp (chỉ người tổ chức, chủ trì và người được mời xem được)',
          params: Id,
          response: {
            200: Type.Object({
              meeting: MeetingSchema,
              agenda: Type.Array(
                Type.Object({
                  position: Type.Integer(),
                  title: Type.String(),
                  presenter: Nullable(Type.String()),
                }),
              ),
              attendees: Type.Array(
                Type.Object({
                  userId: Type.String(),
                  name: Type.String(),
                  response: Type.String({ description: 'pending | accepted | declined' }),
                  note: Nullable(Type.String()),
                  respondedAt: Nullable(Type.String()),
                }),
              ),
              documents: Type.Array(
                Type.Object({
                  id: Type.String(),
                  title: Type.String(),
                  documentId: Nullable(Type.String()),
                  files: Type.Array(Type.Object({ fileName: Type.String(), url: Type.String() })),
                }),
              ),
              history: Type.Array(
                Type.Object({
                  action: Type.String(),
                  actorName: Nullable(Type.String()),
                  note: Nullable(Type.String()),
                  restricted: Type.Boolean({
                    description:
                      'true: tài liệu liên kết của bước này đã thành văn bản mật hoặc khẩn mà người xem không được xem; note chỉ còn "Tài liệu đã được giới hạn quyền xem"',
                  }),
                  at: Type.String(),
                  changes: Type.Optional(Type.Array(ChangeSchema)),
                  attendeesAdded: Type.Optional(Type.Array(PersonSchema)),
                  attendeesRemoved: Type.Optional(Type.Array(PersonSchema)),
                }),
              ),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const view = await meetings.get(actorOf(request), (request.params as { id: string }).id)
        const base = `/api/v1/meetings/${view.meeting.id}/documents`
        return {
          meeting: meetingJson(view.meeting),
          agenda: view.agenda.map((a) => ({ position: a.position, title: a.title, presenter: a.presenter })),
          attendees: view.attendees.map((a) => ({
            userId: a.user_id,
            name: a.name,
            response: a.response,
            note: a.response_note,
            respondedAt: a.responded_at?.toISOString() ?? null,
          })),
          documents: view.documents.map((d) => ({
            id: d.id,
            title: d.title,
            documentId: d.document_id,
            files: d.object_key
              ? [{ fileName: d.file_name ?? '', url: `${base}/${d.id}` }]
              : d.files.map((f) => ({ fileName: f.fileName, url: `${base}/${d.id}/files/${f.id}` })),
          })),
          history: view.history.map((h) => {
            const details = h.details as {
              changes?: { field: string; before: string | null; after: string | null }[]
              added?: { id: string; name: string }[]
              removed?: { id: string; name: string }[]
            }
            return {
              action: h.action,
              actorName: h.actor_name,
              note: h.note,
              restricted: h.restricted,
              at: h.at.toISOString(),
              ...(h.action === 'edited'
                ? {
                    changes: details.changes ?? [],
                    attendeesAdded: people(details.added) ?? [],
                    attendeesRemoved: people(details.removed) ?? [],
                  }
                : {}),
            }
          }),
        }
      },
    )

    app.patch(
      '/meetings/:id',
      {
        schema: {
          tags,
          summary:
            'Sửa cuộc họp đã triệu tập (người tổ chức, trước khi họp xong): chỉ các trường gửi lên được thay đổi; người dự họp nhận thư báo thay đổi, người được mời thêm nhận giấy mời, người bị rút tên nhận thư hủy giấy mời',
          params: Id,
          body: Type.Object(
            {
              title: Type.Optional(Type.String({ maxLength: 500 })),
              startsAt: Type.Optional(Type.String({ maxLength: 40 })),
              endsAt: Type.Optional(Nullable(Type.String({ maxLength: 40 }))),
              place: Type.Optional(Type.String({ maxLength: 300 })),
              chairId: Type.Optional(
                Type.String({
                  maxLength: 40,
                  description:
                    'Người chủ trì mới: cán bộ người tổ chức mời được (kể cả đơn vị trong guestUnitIds) hoặc đã được mời; được mời dự họp nếu chưa có trong danh sách',
                }),
              ),
              videoUrl: Type.Optional(Nullable(Type.String({ maxLength: 500, description: 'Chỉ https://' }))),
              agenda: Type.Optional(
                Type.Array(
                  Type.Object(
                    {
                      title: Type.String({ maxLength: 500 }),
                      presenter: Type.Optional(Type.String({ maxLength: 200 })),
                    },
                    { additionalProperties: false },
                  ),
                  { maxItems: 50 },
                ),
              ),
              guestUnitIds: Type.Optional(Type.Array(Type.String({ maxLength: 40 }), { maxItems: 100 })),
              attendeeIds: Type.Optional(
                Type.Array(Type.String({ maxLength: 40 }), {
                  maxItems: 200,
                  description: 'Danh sách mời mới, đầy đủ (người chủ trì luôn được giữ)',
                }),
              ),
              note: Type.Optional(
                Type.String({ maxLength: 1000, description: 'Lý do hoặc ghi chú thay đổi' }),
              ),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              meeting: MeetingSchema,
              changes: Type.Array(ChangeSchema),
              attendeesAdded: Type.Array(PersonSchema),
              attendeesRemoved: Type.Array(PersonSchema),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const result = await meetings.edit(
          actorOf(request),
          auditContext(request),
          (request.params as { id: string }).id,
          request.body as Record<string, unknown>,
        )
        return {
          meeting: meetingJson(result.meeting),
          changes: result.changes,
          attendeesAdded: people(result.added) ?? [],
          attendeesRemoved: people(result.removed) ?? [],
        }
      },
    )

    app.post(
      '/meetings/:id/documents',
      {
        config: { multipart: true },
        schema: {
          tags,
          summary:
            'Thêm tài liệu họp (người tổ chức): multipart với trường "file", hoặc trường "documentId" của một văn bản đã vào sổ; "title" tùy chọn',
          params: Id,
          consumes: ['multipart/form-data'],
          response: { 201: Type.Object({ id: Type.String(), title: Type.String() }), ...errors },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request)
        const { id } = request.params as { id: string }
        let stored: StoredAttachment | undefined
        let fields: Record<string, string>
        try {
          fields = await readMultipart(request, secretKey, async (file) => {
            if (file.field !== 'file' || stored) {
              file.stream.resume()
              return
            }
            stored = await meetings.storeUpload(file.stream, file.fileName)
          })
        } catch (error) {
          if (stored) await meetings.discard([stored])
          throw error
        }
        const row = await meetings.addDocument(actor, auditContext(request), id, fields, stored)
        return reply.code(201).send({ id: row.id, title: row.title })
      },
    )

    const download = async (request: FastifyRequest, reply: import('fastify').FastifyReply) => {
      const { id, itemId, fileId } = request.params as { id: string; itemId: string; fileId?: string }
      const { file, stream } = await meetings.openFile(
        actorOf(request),
        auditContext(request),
        id,
        itemId,
        fileId,
      )
      return sendFile(reply, file, stream)
    }
    app.get(
      '/meetings/:id/documents/:itemId',
      {
        schema: {
          tags,
          summary: 'Tải tệp tài liệu họp',
          params: Type.Object(
            { id: Type.String({ maxLength: 40 }), itemId: Type.String({ maxLength: 40 }) },
            { additionalProperties: false },
          ),
        },
      },
      download,
    )
    app.get(
      '/meetings/:id/documents/:itemId/files/:fileId',
      {
        schema: {
          tags,
          summary: 'Tải tệp của văn bản được đưa vào tài liệu họp',
          params: Type.Object(
            {
              id: Type.String({ maxLength: 40 }),
              itemId: Type.String({ maxLength: 40 }),
              fileId: Type.String({ maxLength: 40 }),
            },
            { additionalProperties: false },
          ),
        },
      },
      download,
    )

    app.delete(
      '/meetings/:id/documents/:itemId',
      {
        schema: {
          tags,
          summary: 'Gỡ một tài liệu khỏi cuộc họp (người tổ chức, khi cuộc họp chưa diễn ra)',
          params: Type.Object(
            { id: Type.String({ maxLength: 40 }), itemId: Type.String({ maxLength: 40 }) },
            { additionalProperties: false },
          ),
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        const { id, itemId } = request.params as { id: string; itemId: string }
        await meetings.removeDocument(actorOf(request), auditContext(request), id, itemId)
        return reply.code(204).send()
      },
    )

    app.post(
      '/meetings/:id/response',
      {
        schema: {
          tags,
          summary: 'Xác nhận tham dự hoặc không tham dự (người được mời, trước giờ họp)',
          params: Id,
          body: Type.Object(
            {
              response: Type.Union([Type.Literal('accepted'), Type.Literal('declined')]),
              note: Type.Optional(Type.String({ maxLength: 1000 })),
            },
            { additionalProperties: false },
          ),
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        await meetings.respond(
          actorOf(request),
          auditContext(request),
          (request.params as { id: string }).id,
          request.body as never,
        )
        return reply.code(204).send()
      },
    )

    app.post(
      '/meetings/:id/minutes',
      {
        schema: {
          tags,
          summary: 'Ghi biên bản họp (người tổ chức hoặc chủ trì, từ giờ họp)',
          params: Id,
          body: Type.Object({ minutes: Type.String({ maxLength: 50_000 }) }, { additionalProperties: false }),
          response: { 200: MeetingSchema, ...errors },
        },
      },
      async (request) =>
        meetingJson(
          await meetings.recordMinutes(
            actorOf(request),
            auditContext(request),
            (request.params as { id: string }).id,
            request.body as never,
          ),
        ),
    )

    app.post(
      '/meetings/:id/cancel',
      {
        schema: {
          tags,
          summary:
            'Hủy cuộc họp (người tổ chức, trước giờ họp; cần lý do): người dự họp nhận thư báo hủy kèm lý do',
          params: Id,
          body: Type.Object({ note: Type.String({ maxLength: 1000 }) }, { additionalProperties: false }),
          response: { 200: MeetingSchema, ...errors },
        },
      },
      async (request) =>
        meetingJson(
          await meetings.cancel(
            actorOf(request),
            auditContext(request),
            (request.params as { id: string }).id,
            request.body as never,
          ),
        ),
    )
  }
}
