import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type, type TSchema } from 'typebox'
import { UnauthenticatedError, type Actor } from '../../platform/auth/actor.js'
import type { Config } from '../../platform/config.js'
import { ValidationError } from '../../platform/http/errors.js'
import { ErrorSchema } from '../../platform/http/openapi.js'
import { auditContext } from '../../platform/http/plugin.js'
import { readMultipart } from '../../platform/http/uploads.js'
import type { DocumentFile, StoredAttachment } from './document-files.js'
import {
  ASSIGNEE_ACTIONS,
  CONFIDENTIALITIES,
  DOCUMENT_STATUSES,
  statusLabel,
  URGENCIES,
} from './document-rules.js'
import type { AssignmentRow, DocumentRow } from './documents.repository.js'
import type { DocumentsService } from './documents.service.js'
import { sendFile } from './documents.view.js'
import { EdxmlSignatureSchema, edxmlSignatureJson } from './edxml-signature.js'

const tags = ['Văn bản']
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

const DocumentSchema = Type.Object({
  id: Type.String(),
  unitId: Type.String(),
  registerId: Type.String(),
  number: Type.Integer({ description: 'Số đến trong sổ' }),
  receivedAt: Type.String(),
  source: Type.String({ description: 'paper | electronic | edxml' }),
  codeNumber: Type.String({ description: 'Số' }),
  codeNotation: Type.String({ description: 'Ký hiệu' }),
  issuedOn: Type.String({ description: 'Ngày ban hành (YYYY-MM-DD)' }),
  issuerName: Type.String(),
  issuerCode: Nullable(Type.String({ description: 'Mã định danh QCVN 102:2016' })),
  typeCode: Type.String(),
  summary: Type.String({ description: 'Trích yếu' }),
  signerName: Nullable(Type.String()),
  signerPosition: Nullable(Type.String()),
  urgency: Type.String({ description: 'normal | urgent | very_urgent | flash' }),
  confidentiality: Type.String({ description: 'normal | confidential | secret | top_secret' }),
  dueOn: Nullable(Type.String()),
  status: Type.String(),
  statusLabel: Type.String(),
  completedAt: Nullable(Type.String()),
  duplicateOf: Nullable(Type.String()),
  edxmlSignature: EdxmlSignatureSchema,
  withdrawn: Nullable(
    Type.String({ description: 'recalled (nơi gửi đã thu hồi) | replaced (đã bị thay thế); null otherwise' }),
  ),
  withdrawnAt: Nullable(Type.String({ description: 'Khi nơi gửi thu hồi hoặc thay thế' })),
  withdrawnReason: Nullable(Type.String({ description: 'Lý do nơi gửi nêu' })),
  replacedBy: Nullable(Type.String({ description: 'Văn bản đến thay thế văn bản này (cùng sổ)' })),
  amendedAt: Nullable(Type.String({ description: 'Lần cập nhật gần nhất của nơi gửi' })),
  amendedReason: Nullable(Type.String()),
})

const FileSchema = Type.Object({
  id: Type.String(),
  position: Type.Integer(),
  kind: Type.String({ description: 'scan | electronic' }),
  fileName: Type.String(),
  mime: Type.String(),
  size: Type.Integer(),
  sha256: Type.String(),
  scanned: Type.Boolean(),
  uploadedAt: Type.String(),
  url: Type.String(),
})

const AssignmentSchema = Type.Object({
  id: Type.String(),
  documentId: Type.String(),
  assigneeUnitId: Nullable(Type.String()),
  assigneeUserId: Nullable(Type.String()),
  assigneeName: Type.String(),
  role: Type.String({ description: 'lead (chủ trì) | support (phối hợp)' }),
  dueAt: Nullable(Type.String()),
  note: Nullable(Type.String()),
  status: Type.String({ description: 'open | forwarded | completed | closed' }),
  forwardedFrom: Nullable(Type.String()),
  assignedAt: Type.String(),
})

const Assignee = Type.Object(
  { kind: literals(['unit', 'user']), id: Type.String({ maxLength: 40 }) },
  { additionalProperties: false },
)

export function documentJson(d: DocumentRow) {
  return {
    id: d.id,
    unitId: d.unit_id,
    registerId: d.register_id,
    number: d.number,
    receivedAt: d.received_at.toISOString(),
    source: d.source,
    codeNumber: d.code_number,
    codeNotation: d.code_notation,
    issuedOn: d.issued_on,
    issuerName: d.issuer_name,
    issuerCode: d.issuer_code,
    typeCode: d.type_code,
    summary: d.summary,
    signerName: d.signer_name,
    signerPosition: d.signer_position,
    urgency: d.urgency,
    confidentiality: d.confidentiality,
    dueOn: d.due_on,
    status: d.status,
    statusLabel: statusLabel[d.status],
    completedAt: d.completed_at?.toISOString() ?? null,
    duplicateOf: d.duplicate_of,
    edxmlSignature: edxmlSignatureJson(d.edxml),
    withdrawn: d.withdrawn_at ? (d.status === 'replaced' ? 'replaced' : 'recalled') : null,
    withdrawnAt: d.withdrawn_at?.toISOString() ?? null,
    withdrawnReason: d.withdrawn_reason ?? null,
    replacedBy: d.replaced_by ?? null,
    amendedAt: d.amended_at?.toISOString() ?? null,
    amendedReason: d.amended_reason ?? null,
  }
}

/** The API's names of the fields a sender's update may change (`DocumentChanges`). */
const changedField: Record<string, string> = {
  summary: 'summary',
  content: 'content',
  due_on: 'dueOn',
  urgency: 'urgency',
  signer_name: 'signerName',
  signer_position: 'signerPosition',
  signer_competence: 'signerCompetence',
  issue_place: 'issuePlace',
}
const changedValues = (values: unknown): Record<string, string | null> =>
  Object.fromEntries(
    Object.entries((values ?? {}) as Record<string, unknown>).map(([field, value]) => [
      changedField[field] ?? field,
      value === null || value === undefined ? null : String(value),
    ]),
  )

/** What a sender's update changed, former and new values, as its history entry keeps them. */
function changesOf(details: Record<string, unknown>) {
  if (!details.before || !details.after) return null
  return { before: changedValues(details.before), after: changedValues(details.after) }
}

function assignmentJson(a: AssignmentRow) {
  return {
    id: a.id,
    documentId: a.document_id,
    assigneeUnitId: a.assignee_unit_id,
    assigneeUserId: a.assignee_user_id,
    assigneeName: a.assignee_name,
    role: a.role,
    dueAt: a.due_at?.toISOString() ?? null,
    note: a.note,
    status: a.status,
    forwardedFrom: a.forwarded_from,
    assignedAt: a.assigned_at.toISOString(),
  }
}

const fileJson = (documentId: string, f: DocumentFile) => ({
  ...f,
  uploadedAt: f.uploadedAt.toISOString(),
  url: `/api/v1/documents/${documentId}/files/${f.id}`,
})

function actorOf(request: FastifyRequest): Actor {
  if (!request.actor)
    throw new UnauthenticatedError('Cần xác thực: gửi tiêu đề Authorization: Bearer <khóa truy cập>.')
  return request.actor
}

export function documentsApi(
  documents: DocumentsService,
  { secretKey, uploadMaxBytes }: Pick<Config, 'secretKey' | 'uploadMaxBytes'>,
) {
  return async function api(app: FastifyInstance) {
    // An edXML package carries its attachments base64-encoded: a few files' worth, not the JSON body limit.
    const edxmlLimit = Math.max(6 * uploadMaxBytes, 1_048_576)
    app.addContentTypeParser(
      ['application/xml', 'text/xml'],
      { parseAs: 'string', bodyLimit: edxmlLimit },
      (_request, body, done) => done(null, body),
    )

    app.get(
      '/document-types',
      {
        schema: {
          tags,
          summary: 'Danh mục loại văn bản (Nghị định 30/2020/NĐ-CP)',
          response: {
            200: Type.Array(
              Type.Object({
                code: Type.String(),
                name: Type.String(),
                abbreviation: Nullable(Type.String()),
                edxmlType: Nullable(Type.Integer()),
              }),
            ),
          },
        },
      },
      async () =>
        (await documents.types()).map((ty) => ({
          code: ty.code,
          name: ty.name,
          abbreviation: ty.abbreviation,
          edxmlType: ty.edxml_type,
        })),
    )

    const RegisterSchema = Type.Object({
      id: Type.String(),
      unitId: Type.String(),
      year: Type.Integer(),
      name: Type.String(),
      isDefault: Type.Boolean(),
    })
    const registerJson = (r: Awaited<ReturnType<DocumentsService['registers']>>[number]) => ({
      id: r.id,
      unitId: r.unit_id,
      year: r.year,
      name: r.name,
      isDefault: r.is_default,
    })

    app.get(
      '/document-registers',
      {
        schema: {
          tags,
          summary: 'Sổ văn bản đến của các đơn vị tôi được xem',
          response: { 200: Type.Array(RegisterSchema), ...errors },
        },
      },
      async (request) => (await documents.registers(actorOf(request))).map(registerJson),
    )

    app.post(
      '/document-registers',
      {
        schema: {
          tags,
          summary: 'Mở thêm một sổ văn bản đến của năm nay cho đơn vị (văn thư)',
          body: Type.Object(
            { unitId: Type.String({ maxLength: 40 }), name: Type.String({ maxLength: 200 }) },
            { additionalProperties: false },
          ),
          response: { 201: RegisterSchema, ...errors },
        },
      },
      async (request, reply) =>
        reply
          .code(201)
          .send(
            registerJson(
              await documents.createRegister(actorOf(request), auditContext(request), request.body as never),
            ),
          ),
    )

    app.get(
      '/documents',
      {
        schema: {
          tags,
          summary:
            'Tìm văn bản (không cần dấu) theo số, ký hiệu, trích yếu, cơ quan ban hành; chỉ trả về văn bản tôi được xem',
          querystring: Type.Object(
            {
              q: Type.Optional(Type.String({ maxLength: 200 })),
              registerId: Type.Optional(Type.String({ maxLength: 40 })),
              typeCode: Type.Optional(Type.String({ maxLength: 40 })),
              issuer: Type.Optional(
                Type.String({ maxLength: 300, description: 'Mã định danh hoặc một phần tên' }),
              ),
              from: Type.Optional(
                Type.String({ maxLength: 10, description: 'Ngày ban hành từ (YYYY-MM-DD)' }),
              ),
              to: Type.Optional(
                Type.String({ maxLength: 10, description: 'Ngày ban hành đến (YYYY-MM-DD)' }),
              ),
              status: Type.Optional(literals(DOCUMENT_STATUSES)),
              before: Type.Optional(
                Type.String({ maxLength: 80, description: 'Con trỏ "next" của trang trước' }),
              ),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({ items: Type.Array(DocumentSchema), next: Nullable(Type.String()) }),
            ...errors,
          },
        },
      },
      async (request) => {
        const { items, next } = await documents.search(
          actorOf(request),
          request.query as Record<string, unknown>,
        )
        return { items: items.map(documentJson), next }
      },
    )

    app.post(
      '/documents',
      {
        schema: {
          tags,
          summary:
            'Vào sổ văn bản đến (văn thư); 409 khi văn bản đã được vào sổ, trừ khi confirmDifferent = true. Tệp đính kèm gửi sau qua POST /documents/{id}/files',
          body: Type.Object(
            {
              unitId: Type.Optional(Type.String({ maxLength: 40 })),
              registerId: Type.Optional(Type.String({ maxLength: 40 })),
              source: Type.Optional(literals(['paper', 'electronic'])),
              codeNumber: Type.String({ maxLength: 20 }),
              codeNotation: Type.String({ maxLength: 100 }),
              issuedOn: Type.String({ maxLength: 10 }),
              issuePlace: Type.Optional(Type.String({ maxLength: 100 })),
              issuerName: Type.String({ maxLength: 300 }),
              issuerCode: Type.Optional(Type.String({ maxLength: 13 })),
              typeCode: Type.String({ maxLength: 40 }),
              summary: Type.String({ maxLength: 2000 }),
              content: Type.Optional(Type.String({ maxLength: 20000 })),
              signerName: Type.Optional(Type.String({ maxLength: 150 })),
              signerPosition: Type.Optional(Type.String({ maxLength: 200 })),
              urgency: Type.Optional(literals(URGENCIES)),
              confidentiality: Type.Optional(literals(CONFIDENTIALITIES)),
              dueOn: Type.Optional(Type.String({ maxLength: 10 })),
              confirmDifferent: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
          response: { 201: DocumentSchema, ...errors },
        },
      },
      async (request, reply) => {
        const document = await documents.register(
          actorOf(request),
          auditContext(request),
          request.body as Record<string, unknown>,
        )
        return reply.code(201).send(documentJson(document))
      },
    )

    app.post(
      '/documents/import',
      {
        schema: {
          tags,
          summary:
            'Nhận gói tin edXML (QCVN 102:2016, Content-Type: application/xml) vào sổ văn bản đến của đơn vị; gói tin sai hoặc thiếu bị từ chối (422) và không lưu gì',
          consumes: ['application/xml'],
          querystring: Type.Object(
            { unitId: Type.Optional(Type.String({ maxLength: 40 })) },
            { additionalProperties: false },
          ),
          response: { 201: DocumentSchema, 413: ErrorSchema, 415: ErrorSchema, ...errors },
        },
      },
      async (request, reply) => {
        if (typeof request.body !== 'string') {
          throw new ValidationError({ edxml: 'Gửi gói tin edXML với Content-Type: application/xml.' })
        }
        const document = await documents.importEdxml(actorOf(request), auditContext(request), {
          unitId: (request.query as { unitId?: string }).unitId,
          xml: request.body,
        })
        return reply.code(201).send(documentJson(document))
      },
    )

    app.get(
      '/documents/queue',
      {
        schema: {
          tags,
          summary:
            'Văn bản cần tôi xử lý (hạn sớm nhất trước), văn bản chờ phân công và phân công quá hạn (lãnh đạo)',
          response: {
            200: Type.Object({
              assignments: Type.Array(
                Type.Object({
                  ...AssignmentSchema.properties,
                  state: Type.String({ description: 'on_time | due_soon | overdue | no_deadline' }),
                }),
              ),
              unassigned: Type.Array(DocumentSchema),
              overdue: Type.Array(AssignmentSchema),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const queue = await documents.queue(actorOf(request))
        return {
          assignments: queue.assignments.map((a) => ({ ...assignmentJson(a), state: a.state })),
          unassigned: queue.unassigned.map(documentJson),
          overdue: queue.overdue.map(assignmentJson),
        }
      },
    )

    app.get(
      '/documents/:id',
      {
        schema: {
          tags,
          summary: 'Một văn bản với tệp đính kèm, phân công, quá trình xử lý và thông báo trạng thái edXML',
          params: Id,
          response: {
            200: Type.Object({
              ...DocumentSchema.properties,
              files: Type.Array(FileSchema),
              assignments: Type.Array(
                Type.Object({ ...AssignmentSchema.properties, actions: Type.Array(Type.String()) }),
              ),
              history: Type.Array(
                Type.Object({
                  action: Type.String(),
                  actorName: Nullable(Type.String()),
                  note: Nullable(Type.String()),
                  at: Type.String(),
                  changes: Nullable(
                    Type.Object(
                      {
                        before: Type.Record(Type.String(), Nullable(Type.String())),
                        after: Type.Record(Type.String(), Nullable(Type.String())),
                      },
                      {
                        description: 'updated_by_sender: the former and the new values of the changed fields',
                      },
                    ),
                  ),
                }),
              ),
              statusMessages: Type.Array(
                Type.Object({
                  statusCode: Type.String(),
                  description: Type.String(),
                  toOrganId: Type.String(),
                  createdAt: Type.String(),
                  sentAt: Nullable(Type.String()),
                }),
              ),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const view = await documents.get(
          actorOf(request),
          auditContext(request),
          (request.params as { id: string }).id,
        )
        return {
          ...documentJson(view.document),
          files: view.files.map((f) => fileJson(view.document.id, f)),
          assignments: view.assignments.map((a) => ({ ...assignmentJson(a), actions: [...a.actions] })),
          history: view.history.map((h) => ({
            action: h.action,
            actorName: h.actor_name,
            note: h.note,
            at: h.at.toISOString(),
            changes: h.action === 'updated_by_sender' ? changesOf(h.details) : null,
          })),
          statusMessages: view.statusMessages.map((m) => ({
            statusCode: m.status_code,
            description: m.description,
            toOrganId: m.to_organ_id,
            createdAt: m.created_at.toISOString(),
            sentAt: m.sent_at?.toISOString() ?? null,
          })),
        }
      },
    )

    app.post(
      '/documents/:id/files',
      {
        config: { multipart: true },
        schema: {
          tags,
          summary:
            'Đính kèm tệp (multipart/form-data, trường "files", nhiều tệp) vào văn bản đã vào sổ (văn thư)',
          consumes: ['multipart/form-data'],
          params: Id,
          response: { 201: Type.Array(FileSchema), 413: ErrorSchema, 415: ErrorSchema, ...errors },
        },
      },
      async (request, reply) => {
        const { id } = request.params as { id: string }
        const stored: StoredAttachment[] = []
        try {
          await readMultipart(request, secretKey, async (file) => {
            if (file.field === 'files' || file.field === 'file')
              stored.push(await documents.storeUpload(file.stream, file.fileName))
          })
        } catch (error) {
          await documents.discard(stored)
          throw error
        }
        const files = await documents.addFiles(actorOf(request), auditContext(request), id, stored)
        return reply.code(201).send(files.map((f) => fileJson(id, f)))
      },
    )

    app.get(
      '/documents/:id/files/:fileId',
      {
        schema: {
          tags,
          summary: 'Tải về một tệp đính kèm (lượt tải văn bản mật được ghi nhật ký)',
          params: Type.Object(
            { id: Type.String({ maxLength: 40 }), fileId: Type.String({ maxLength: 40 }) },
            { additionalProperties: false },
          ),
          response: { ...errors },
        },
      },
      async (request, reply) => {
        const { id, fileId } = request.params as { id: string; fileId: string }
        const { file, stream } = await documents.openFile(actorOf(request), auditContext(request), id, fileId)
        return sendFile(reply, file, stream)
      },
    )

    app.get(
      '/documents/:id/edxml',
      {
        schema: {
          tags,
          summary: 'Gói tin edXML (QCVN 102:2016) của văn bản cùng tệp đính kèm; văn bản mật không xuất được',
          params: Id,
          response: { ...errors },
        },
      },
      async (request, reply) => {
        const { xml, fileName } = await documents.exportEdxml(
          actorOf(request),
          auditContext(request),
          (request.params as { id: string }).id,
        )
        return sendFile(reply, { fileName, mime: 'application/xml; charset=utf-8' }, xml)
      },
    )

    app.post(
      '/documents/:id/assignments',
      {
        schema: {
          tags,
          summary:
            'Lãnh đạo phân công xử lý: một đơn vị/người chủ trì, các đơn vị/người phối hợp, thời hạn (ngày làm việc) và ý kiến chỉ đạo',
          params: Id,
          body: Type.Object(
            {
              lead: Type.Optional(Assignee),
              support: Type.Optional(Type.Array(Assignee, { maxItems: 30 })),
              days: Type.Optional(Type.Integer({ minimum: 1, maximum: 365 })),
              note: Type.Optional(Type.String({ maxLength: 2000 })),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Array(AssignmentSchema), ...errors },
        },
      },
      async (request, reply) => {
        const rows = await documents.assign(
          actorOf(request),
          auditContext(request),
          (request.params as { id: string }).id,
          request.body as Record<string, unknown>,
        )
        return reply.code(201).send(rows.map(assignmentJson))
      },
    )

    app.post(
      '/documents/:id/assignments/:assignmentId/actions',
      {
        schema: {
          tags,
          summary:
            'Người được giao: ý kiến (comment), báo cáo (report), chuyển xử lý (forward, kèm "to"), hoàn thành (complete)',
          params: Type.Object(
            { id: Type.String({ maxLength: 40 }), assignmentId: Type.String({ maxLength: 40 }) },
            { additionalProperties: false },
          ),
          body: Type.Object(
            {
              action: literals(ASSIGNEE_ACTIONS),
              note: Type.Optional(Type.String({ maxLength: 4000 })),
              to: Type.Optional(Assignee),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({ document: DocumentSchema, forwarded: Nullable(AssignmentSchema) }),
            ...errors,
          },
        },
      },
      async (request) => {
        const { id, assignmentId } = request.params as { id: string; assignmentId: string }
        const result = await documents.act(
          actorOf(request),
          auditContext(request),
          id,
          assignmentId,
          request.body as Record<string, unknown>,
        )
        return {
          document: documentJson(result.document),
          forwarded: result.forwarded ? assignmentJson(result.forwarded) : null,
        }
      },
    )
  }
}
