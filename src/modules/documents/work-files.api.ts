import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type, type TSchema } from 'typebox'
import { UnauthenticatedError, type Actor } from '../../platform/auth/actor.js'
import { ErrorSchema } from '../../platform/http/openapi.js'
import { auditContext } from '../../platform/http/plugin.js'
import type { WorkFileRow } from './work-files.repository.js'
import { WORK_FILE_STATUSES } from './work-files.rules.js'
import type { WorkFilesService } from './work-files.service.js'

const tags = ['Hồ sơ công việc']
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

const WorkFileSchema = Type.Object({
  id: Type.String(),
  unitId: Type.String(),
  year: Type.Integer(),
  code: Type.String({ description: 'Số và ký hiệu hồ sơ' }),
  title: Type.String(),
  keeperId: Type.String(),
  keeperName: Type.String(),
  retentionYears: Nullable(Type.Integer({ description: 'Thời hạn bảo quản (năm); null = vĩnh viễn' })),
  permanent: Type.Boolean(),
  status: Type.String({ description: 'open | closed | archived' }),
  openedOn: Type.String(),
  closedOn: Nullable(Type.String()),
  archivedAt: Nullable(Type.String()),
  documentsCount: Nullable(Type.Integer({ description: 'Số văn bản khi kết thúc' })),
  electronicCount: Nullable(
    Type.Integer({ description: 'Số văn bản xử lý trên môi trường mạng khi kết thúc' }),
  ),
  processedElectronically: Nullable(Type.Boolean()),
  note: Nullable(Type.String()),
})

const Share = Nullable(Type.Number({ description: 'Tỷ lệ 0–1; null khi chưa có hồ sơ kết thúc' }))
const StatsSchema = Type.Object({
  year: Type.Integer(),
  source: Nullable(Type.String({ description: 'Văn bản đặt chỉ tiêu' })),
  levels: Type.Array(
    Type.Object({
      level: Type.String({ description: 'province | district | commune' }),
      units: Type.Integer(),
      open: Type.Integer(),
      finished: Type.Integer(),
      electronic: Type.Integer(),
      share: Share,
      target: Nullable(Type.Number()),
      met: Nullable(Type.Boolean()),
    }),
  ),
  units: Type.Array(
    Type.Object({
      unitId: Type.String(),
      unitName: Type.String(),
      level: Type.String(),
      open: Type.Integer(),
      finished: Type.Integer(),
      electronic: Type.Integer(),
      share: Share,
      target: Nullable(Type.Number()),
      met: Nullable(Type.Boolean()),
    }),
  ),
})

export function workFileJson(f: WorkFileRow) {
  return {
    id: f.id,
    unitId: f.unit_id,
    year: f.year,
    code: f.code,
    title: f.title,
    keeperId: f.keeper_id,
    keeperName: f.keeper_name,
    retentionYears: f.retention_years,
    permanent: f.permanent,
    status: f.status,
    openedOn: f.opened_on,
    closedOn: f.closed_on,
    archivedAt: f.archived_at?.toISOString() ?? null,
    documentsCount: f.documents_count,
    electronicCount: f.electronic_count,
    processedElectronically: f.processed_electronically,
    note: f.note,
  }
}

function actorOf(request: FastifyRequest): Actor {
  if (!request.actor)
    throw new UnauthenticatedError('Cần xác thực: gửi tiêu đề Authorization: Bearer <khóa truy cập>.')
  return request.actor
}

export function workFilesApi(workFiles: WorkFilesService) {
  return async function api(app: FastifyInstance) {
    app.get(
      '/documents/work-files/stats',
      {
        schema: {
          tags,
          summary:
            'Tỷ lệ hồ sơ công việc xử lý trên môi trường mạng theo đơn vị và theo cấp (tỉnh, huyện, xã) so với chỉ tiêu',
          querystring: Type.Object(
            { year: Type.Optional(Type.String({ maxLength: 10, description: 'Năm, mặc định năm nay' })) },
            { additionalProperties: false },
          ),
          response: { 200: StatsSchema, ...errors },
        },
      },
      async (request) => workFiles.stats(actorOf(request), request.query as { year?: string }),
    )

    app.get(
      '/documents/work-files',
      {
        schema: {
          tags,
          summary: 'Hồ sơ công việc của các đơn vị tôi làm việc',
          querystring: Type.Object(
            {
              year: Type.Optional(Type.String({ maxLength: 10 })),
              unitId: Type.Optional(Type.String({ maxLength: 40 })),
              status: Type.Optional(Type.Union(WORK_FILE_STATUSES.map((s) => Type.Literal(s)))),
              q: Type.Optional(Type.String({ maxLength: 200 })),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              items: Type.Array(
                Type.Intersect([WorkFileSchema, Type.Object({ documentTotal: Type.Integer() })]),
              ),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const rows = await workFiles.list(actorOf(request), request.query as Record<string, unknown>)
        return { items: rows.map((r) => ({ ...workFileJson(r), documentTotal: r.document_total })) }
      },
    )

    app.post(
      '/documents/work-files',
      {
        schema: {
          tags,
          summary: 'Mở hồ sơ công việc',
          body: Type.Object(
            {
              unitId: Type.Optional(Type.String({ maxLength: 40 })),
              year: Type.Optional(Type.Integer()),
              code: Type.String({ maxLength: 50 }),
              title: Type.String({ maxLength: 500 }),
              keeperId: Type.Optional(Type.String({ maxLength: 40 })),
              retention: Type.Union([Type.Literal('permanent'), Type.Integer()], {
                description: '"permanent" (vĩnh viễn) hoặc số năm 1–99',
              }),
              openedOn: Type.Optional(Type.String({ maxLength: 10 })),
              note: Type.Optional(Type.String({ maxLength: 2000 })),
            },
            { additionalProperties: false },
          ),
          response: { 201: WorkFileSchema, ...errors },
        },
      },
      async (request, reply) =>
        reply
          .code(201)
          .send(
            workFileJson(
              await workFiles.create(
                actorOf(request),
                auditContext(request),
                request.body as Record<string, unknown>,
              ),
            ),
          ),
    )

    app.get(
      '/documents/work-files/:id',
      {
        schema: {
          tags,
          summary: 'Một hồ sơ công việc với các văn bản tôi được xem và lịch sử',
          params: Id,
          response: {
            200: Type.Object({
              workFile: WorkFileSchema,
              documents: Type.Array(
                Type.Object({
                  kind: Type.String({ description: 'incoming | outgoing' }),
                  id: Type.String(),
                  codeNumber: Nullable(Type.String()),
                  codeNotation: Nullable(Type.String()),
                  summary: Type.String(),
                  status: Type.String(),
                  electronic: Type.Boolean(),
                }),
              ),
              measured: Type.Object({ total: Type.Integer(), electronic: Type.Integer() }),
              actions: Type.Array(Type.String()),
              history: Type.Array(
                Type.Object({
                  action: Type.String(),
                  actorName: Nullable(Type.String()),
                  note: Nullable(Type.String()),
                  at: Type.String(),
                }),
              ),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const view = await workFiles.get(actorOf(request), (request.params as { id: string }).id)
        return {
          workFile: workFileJson(view.file),
          documents: view.documents.map((d) => ({
            kind: d.kind,
            id: d.id,
            codeNumber: d.code_number,
            codeNotation: d.code_notation,
            summary: d.summary,
            status: d.status,
            electronic: Boolean(d.electronic),
          })),
          measured: view.measured,
          actions: [...view.actions],
          history: view.history.map((h) => ({
            action: h.action,
            actorName: h.actor_name,
            note: h.note,
            at: h.at.toISOString(),
          })),
        }
      },
    )

    app.post(
      '/documents/work-files/:id/documents',
      {
        schema: {
          tags,
          summary:
            'Thêm một văn bản đến (documentId) hoặc văn bản đi (outgoingId) tôi được xem vào hồ sơ đang lập',
          params: Id,
          body: Type.Object(
            {
              documentId: Type.Optional(Type.String({ maxLength: 40, description: 'Văn bản đến' })),
              outgoingId: Type.Optional(Type.String({ maxLength: 40, description: 'Văn bản đi' })),
            },
            { additionalProperties: false },
          ),
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        const { id } = request.params as { id: string }
        await workFiles.addDocument(actorOf(request), auditContext(request), id, request.body as never)
        return reply.code(204).send()
      },
    )

    app.delete(
      '/documents/work-files/:id/documents/:documentId',
      {
        schema: {
          tags,
          summary: 'Bỏ một văn bản (đến hoặc đi, theo mã của nó) khỏi hồ sơ đang lập',
          params: Type.Object(
            { id: Type.String({ maxLength: 40 }), documentId: Type.String({ maxLength: 40 }) },
            { additionalProperties: false },
          ),
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        const { id, documentId } = request.params as { id: string; documentId: string }
        await workFiles.removeDocument(actorOf(request), auditContext(request), id, documentId)
        return reply.code(204).send()
      },
    )

    const transition = (
      path: string,
      summary: string,
      run: (
        actor: Actor,
        request: FastifyRequest,
        id: string,
        note: string | undefined,
      ) => Promise<WorkFileRow>,
    ) =>
      app.post(
        `/documents/work-files/:id/${path}`,
        {
          schema: {
            tags,
            summary,
            params: Id,
            body: Type.Optional(
              Type.Object(
                { note: Type.Optional(Type.String({ maxLength: 2000 })) },
                { additionalProperties: false },
              ),
            ),
            response: { 200: WorkFileSchema, ...errors },
          },
        },
        async (request) => {
          const { id } = request.params as { id: string }
          const body = (request.body ?? {}) as { note?: string }
          return workFileJson(await run(actorOf(request), request, id, body.note))
        },
      )
    transition(
      'close',
      'Kết thúc hồ sơ (người lập hoặc lãnh đạo); đo tỷ lệ xử lý trên môi trường mạng',
      (a, r, id, note) => workFiles.close(a, auditContext(r), id, { note }),
    )
    transition('reopen', 'Mở lại hồ sơ đã kết thúc, chưa nộp lưu (lãnh đạo; cần lý do)', (a, r, id, note) =>
      workFiles.reopen(a, auditContext(r), id, { note }),
    )
    transition(
      'archive',
      'Nộp lưu hồ sơ đã kết thúc (văn thư hoặc lãnh đạo); sau đó không thay đổi được',
      (a, r, id) => workFiles.archive(a, auditContext(r), id),
    )
  }
}
