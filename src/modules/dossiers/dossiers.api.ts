import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { UnauthenticatedError, type Actor } from '../../platform/auth/actor.js'
import type { Config } from '../../platform/config.js'
import { ValidationError } from '../../platform/http/errors.js'
import { ErrorSchema } from '../../platform/http/openapi.js'
import { auditContext } from '../../platform/http/plugin.js'
import { readMultipart } from '../../platform/http/uploads.js'
import type { DossierFile } from './dossier-files.js'
import type { DossierForms } from './dossier-forms.js'
import type { DossierResult } from './dossier-results.js'
import { Action, nationalStatus, statusLabel } from './dossier-workflow.js'
import type { DossierRow } from './dossiers.repository.js'
import { sendDownload } from '../../platform/http/download.js'
import { DOSSIER_FORMS, type FormNo } from './forms.pdf.js'
import type { DossiersService } from './dossiers.service.js'

const tags = ['Hồ sơ']
const errors = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  409: ErrorSchema,
  422: ErrorSchema,
}
const Code = Type.Object({ code: Type.String({ maxLength: 40 }) }, { additionalProperties: false })

const DossierSchema = Type.Object({
  code: Type.String({ description: 'Mã hồ sơ theo Thông tư 01/2018/TT-VPCP' }),
  procedureCode: Type.String(),
  procedureName: Type.String(),
  unitId: Type.String(),
  channel: Type.String(),
  status: Type.String(),
  statusLabel: Type.String(),
  nationalStatus: Type.Integer({ description: 'Mã trạng thái trên Cổng Dịch vụ công quốc gia (1–10)' }),
  step: Type.Integer(),
  receivedAt: Type.String(),
  countsFrom: Type.String(),
  dueAt: Type.String(),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
  receiptUrl: Type.String(),
  feeAmount: Type.Integer({ description: 'Phí, lệ phí phải nộp (đồng)' }),
  feeTiming: Type.String({ description: 'before_intake | before_result | none' }),
  feePaidAt: Type.Union([Type.String(), Type.Null()]),
  feePaidOnline: Type.Union([Type.Boolean(), Type.Null()]),
})

const FileSchema = Type.Object({
  id: Type.String(),
  document: Type.Union([Type.Integer(), Type.Null()], {
    description: 'Số thứ tự thành phần hồ sơ của thủ tục (từ 0); null với tệp bổ sung',
  }),
  documentName: Type.String(),
  purpose: Type.String({ description: 'application | supplement | scan' }),
  fileName: Type.String(),
  mime: Type.String({ description: 'Kiểu tệp nhận diện theo nội dung' }),
  size: Type.Integer(),
  sha256: Type.String(),
  scanned: Type.Boolean({ description: 'Đã quét mã độc' }),
  uploadedAt: Type.String(),
  url: Type.Optional(Type.String({ description: 'Đường dẫn tải về (khi tệp đã thuộc một hồ sơ)' })),
})

const ResultSchema = Type.Object({
  id: Type.String(),
  kind: Type.String({ description: 'electronic (ký số) | scan (bản quét kết quả giấy)' }),
  title: Type.String(),
  fileName: Type.String(),
  mime: Type.String(),
  size: Type.Integer(),
  sha256: Type.String(),
  signed: Type.Boolean(),
  validUntil: Type.Union([Type.String(), Type.Null()]),
  issuedAt: Type.String(),
  url: Type.String(),
})

function resultJson(r: DossierResult) {
  return {
    id: r.id,
    kind: r.kind,
    title: r.title,
    fileName: r.fileName,
    mime: r.mime,
    size: r.size,
    sha256: r.sha256,
    signed: r.signed,
    validUntil: r.validUntil,
    issuedAt: r.issuedAt.toISOString(),
    url: `/api/v1/dossiers/${r.dossierCode}/results/${r.id}`,
  }
}

function fileJson(f: DossierFile, dossierCode?: string) {
  return {
    id: f.id,
    document: f.documentIndex,
    documentName: f.documentName,
    purpose: f.purpose,
    fileName: f.fileName,
    mime: f.mime,
    size: f.size,
    sha256: f.sha256,
    scanned: f.scanned,
    uploadedAt: f.uploadedAt.toISOString(),
    ...(dossierCode ? { url: `/api/v1/dossiers/${dossierCode}/files/${f.id}` } : {}),
  }
}

function actorOf(request: FastifyRequest): Actor {
  if (!request.actor)
    throw new UnauthenticatedError('Cần xác thực: gửi tiêu đề Authorization: Bearer <khóa truy cập>.')
  return request.actor
}

export function dossierJson(d: DossierRow) {
  return {
    code: d.code,
    procedureCode: d.procedure_code,
    procedureName: d.procedure_name,
    unitId: d.unit_id,
    channel: d.channel,
    status: d.status,
    statusLabel: statusLabel[d.status],
    nationalStatus: nationalStatus[d.status],
    step: d.step,
    receivedAt: d.received_at.toISOString(),
    countsFrom: d.counts_from,
    dueAt: d.due_at.toISOString(),
    finishedAt: d.finished_at?.toISOString() ?? null,
    receiptUrl: `/dossiers/${d.code}/receipt`,
    feeAmount: d.fee_amount,
    feeTiming: d.fee_timing,
    feePaidAt: d.fee_paid_at?.toISOString() ?? null,
    feePaidOnline: d.fee_paid_online,
  }
}

export function dossiersApi(
  dossiers: DossiersService,
  { secretKey }: Pick<Config, 'secretKey'>,
  forms: DossierForms,
) {
  return async function api(app: FastifyInstance) {
    app.post(
      '/dossiers',
      {
        schema: {
          tags,
          summary:
            'Nộp hồ sơ (trực tuyến) hoặc tiếp nhận tại quầy; gửi kèm Idempotency-Key để thử lại an toàn',
          headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ maxLength: 200 })) }),
          body: Type.Object(
            {
              procedureCode: Type.String({ maxLength: 20 }),
              unitId: Type.String({ maxLength: 40 }),
              channel: Type.Optional(Type.Union([Type.Literal('online'), Type.Literal('counter')])),
              applicant: Type.Optional(
                Type.Object(
                  {
                    name: Type.Optional(Type.String({ maxLength: 150 })),
                    idNumber: Type.Optional(Type.String({ maxLength: 20 })),
                    phone: Type.Optional(Type.String({ maxLength: 20 })),
                    email: Type.Optional(Type.String({ maxLength: 200 })),
                    address: Type.Optional(Type.String({ maxLength: 300 })),
                  },
                  { additionalProperties: false },
                ),
              ),
              form: Type.Optional(
                Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
              ),
              documents: Type.Optional(
                Type.Array(
                  Type.Object(
                    {
                      document: Type.Integer({ minimum: 0, maximum: 200 }),
                      fileId: Type.String({ maxLength: 40 }),
                    },
                    { additionalProperties: false },
                  ),
                  {
                    maxItems: 200,
                    description: 'Tệp đã tải lên qua POST /files, mỗi tệp cho một thành phần hồ sơ',
                  },
                ),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 200: DossierSchema, 201: DossierSchema, ...errors },
        },
      },
      async (request, reply) => {
        const key = request.headers['idempotency-key'] as string | undefined
        const result = await dossiers.submit(
          actorOf(request),
          auditContext(request),
          request.body as never,
          key,
        )
        return reply.code(result.created ? 201 : 200).send(dossierJson(result.dossier))
      },
    )

    app.get(
      '/dossiers/:code',
      {
        schema: {
          tags,
          summary: 'Hồ sơ của tôi hoặc của đơn vị tôi',
          params: Code,
          response: {
            200: Type.Object({
              ...DossierSchema.properties,
              files: Type.Array(FileSchema),
              results: Type.Array(ResultSchema),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const { dossier, files, results } = await dossiers.get(
          actorOf(request),
          (request.params as { code: string }).code,
          auditContext(request),
        )
        return {
          ...dossierJson(dossier),
          files: files.map((f) => fileJson(f, dossier.code)),
          results: results.map(resultJson),
        }
      },
    )

    app.get(
      '/dossiers/:code/forms/:no',
      {
        schema: {
          tags,
          summary:
            'Phiếu theo Thông tư 01/2018/TT-VPCP (01 tiếp nhận, 02 yêu cầu bổ sung, 03 từ chối, 04 xin lỗi, 05 kiểm soát), PDF có chữ ký số',
          params: Type.Object(
            {
              code: Type.String({ maxLength: 40 }),
              no: Type.Union(DOSSIER_FORMS.map((no) => Type.Literal(no))),
            },
            { additionalProperties: false },
          ),
          response: { ...errors },
        },
      },
      async (request, reply) => {
        const { code, no } = request.params as { code: string; no: FormNo }
        const pdf = await forms.dossierForm(actorOf(request), auditContext(request), code, no)
        return sendDownload(reply, { fileName: pdf.fileName, mime: 'application/pdf' }, pdf.bytes, 'inline')
      },
    )

    app.post(
      '/dossiers/:code/cash-payment',
      {
        schema: {
          tags,
          summary: 'Ghi nhận phí, lệ phí đã thu bằng tiền mặt tại Bộ phận Một cửa',
          params: Code,
          body: Type.Object(
            { reference: Type.String({ maxLength: 60, description: 'Số biên lai thu tiền' }) },
            { additionalProperties: false },
          ),
          response: { 200: DossierSchema, ...errors },
        },
      },
      async (request) =>
        dossierJson(
          await dossiers.recordCashPayment(
            actorOf(request),
            auditContext(request),
            (request.params as { code: string }).code,
            (request.body as { reference: string }).reference,
          ),
        ),
    )

    app.post(
      '/dossiers/:code/results',
      {
        config: { multipart: true },
        schema: {
          tags,
          summary:
            'Phát hành kết quả (multipart: kind=electronic|scan, title, validUntil, file); kết quả điện tử được đơn vị ký số',
          consumes: ['multipart/form-data'],
          params: Code,
          response: { 201: ResultSchema, 413: ErrorSchema, ...errors },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request)
        const { code } = request.params as { code: string }
        let stored: DossierResult | undefined
        const fields = await readMultipart(request, secretKey, async (file, early) => {
          if (file.field !== 'file' || stored) return
          stored = await dossiers.uploadResult(actor, auditContext(request), code, {
            ...file,
            kind: early.kind,
            title: early.title,
            validUntil: early.validUntil,
          })
        })
        stored ??=
          fields.generate === 'true'
            ? await dossiers.generateResult(actor, auditContext(request), code, fields.validUntil)
            : undefined
        if (!stored)
          throw new ValidationError({ file: 'Gửi tệp kết quả trong trường "file", hoặc generate=true.' })
        return reply.code(201).send(resultJson(stored))
      },
    )

    app.get(
      '/dossiers/:code/results/:id',
      {
        schema: {
          tags,
          summary: 'Tải về kết quả giải quyết',
          params: Type.Object(
            { code: Type.String({ maxLength: 40 }), id: Type.String({ maxLength: 40 }) },
            { additionalProperties: false },
          ),
          response: { ...errors },
        },
      },
      async (request, reply) => {
        const { code, id } = request.params as { code: string; id: string }
        const { result, stream } = await dossiers.openResult(
          actorOf(request),
          auditContext(request),
          code,
          id,
        )
        return sendDownload(reply, result, stream)
      },
    )

    app.post(
      '/dossiers/:code/rating',
      {
        schema: {
          tags,
          summary: 'Người nộp đánh giá việc giải quyết hồ sơ (Thông tư 01/2018, Điều 13), mỗi hồ sơ một lần',
          params: Code,
          body: Type.Object(
            {
              c1: Type.Integer({ minimum: 0, maximum: 2 }),
              c2: Type.Integer({ minimum: 0, maximum: 2 }),
              c3: Type.Integer({ minimum: 0, maximum: 2 }),
              c4: Type.Integer({ minimum: 0, maximum: 2 }),
              c6: Type.Integer({ minimum: 0, maximum: 2 }),
              c7: Type.Integer({ minimum: 0, maximum: 2 }),
              comment: Type.Optional(Type.String({ maxLength: 1000 })),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Object({ total: Type.Integer(), max: Type.Integer() }), ...errors },
        },
      },
      async (request, reply) =>
        reply
          .code(201)
          .send(
            await dossiers.rate(
              actorOf(request),
              auditContext(request),
              (request.params as { code: string }).code,
              request.body as Record<string, unknown>,
            ),
          ),
    )

    app.post(
      '/files',
      {
        config: { multipart: true },
        schema: {
          tags,
          summary:
            'Tải lên một tệp (multipart/form-data, trường "file") để đính kèm vào hồ sơ; loại tệp nhận diện theo nội dung',
          consumes: ['multipart/form-data'],
          response: { 201: FileSchema, 413: ErrorSchema, 415: ErrorSchema, ...errors },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request)
        let stored: DossierFile | undefined
        await readMultipart(request, secretKey, async (file) => {
          if (file.field !== 'file' || stored) return
          stored = await dossiers.upload(actor, { ...file, purpose: 'application' })
        })
        if (!stored) throw new ValidationError({ file: 'Gửi một tệp trong trường "file".' })
        return reply.code(201).send(fileJson(stored))
      },
    )

    app.get(
      '/dossiers/:code/files/:id',
      {
        schema: {
          tags,
          summary: 'Tải về một tệp của hồ sơ',
          params: Type.Object(
            { code: Type.String({ maxLength: 40 }), id: Type.String({ maxLength: 40 }) },
            { additionalProperties: false },
          ),
          response: { ...errors },
        },
      },
      async (request, reply) => {
        const { code, id } = request.params as { code: string; id: string }
        const { file, stream } = await dossiers.openFile(actorOf(request), auditContext(request), id, code)
        return sendDownload(reply, file, stream)
      },
    )

    app.post(
      '/dossiers/:code/actions',
      {
        schema: {
          tags,
          summary: 'Thao tác xử lý hồ sơ; 409 nếu trạng thái hiện tại không cho phép',
          params: Code,
          body: Type.Object(
            {
              action: Type.Union(Object.values(Action).map((a) => Type.Literal(a))),
              note: Type.Optional(Type.String({ maxLength: 2000 })),
              days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
              fileIds: Type.Optional(
                Type.Array(Type.String({ maxLength: 40 }), {
                  maxItems: 50,
                  description: 'Tệp bổ sung đã tải lên qua POST /files (khi nộp bổ sung)',
                }),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 200: DossierSchema, ...errors },
        },
      },
      async (request) =>
        dossierJson(
          await dossiers.act(
            actorOf(request),
            auditContext(request),
            (request.params as { code: string }).code,
            request.body as never,
          ),
        ),
    )

    app.get(
      '/track/:code',
      {
        schema: {
          tags,
          summary: 'Tra cứu tình trạng hồ sơ (công khai) bằng mã hồ sơ và số điện thoại hoặc số định danh',
          security: [],
          params: Code,
          querystring: Type.Object(
            {
              phone: Type.Optional(Type.String({ maxLength: 20 })),
              idNumber: Type.Optional(Type.String({ maxLength: 20 })),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              code: Type.String(),
              procedureName: Type.String(),
              status: Type.String(),
              statusLabel: Type.String(),
              nationalStatus: Type.Integer(),
              receivedAt: Type.String(),
              dueAt: Type.String(),
              finishedAt: Type.Union([Type.String(), Type.Null()]),
              steps: Type.Array(
                Type.Object({ action: Type.String(), status: Type.String(), at: Type.String() }),
              ),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const { phone, idNumber } = request.query as { phone?: string; idNumber?: string }
        const found = await dossiers.track((request.params as { code: string }).code, phone ?? idNumber ?? '')
        return {
          ...found,
          receivedAt: found.receivedAt.toISOString(),
          dueAt: found.dueAt.toISOString(),
          finishedAt: found.finishedAt?.toISOString() ?? null,
          steps: found.steps.map((s) => ({ ...s, at: s.at.toISOString() })),
        }
      },
    )
  }
}
