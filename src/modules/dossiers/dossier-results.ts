import type { Readable } from 'node:stream'
import type { Selectable } from 'kysely'
import { appendAudit, type AuditContext } from '../../platform/audit/audit.js'
import { authorize, type Actor } from '../../platform/auth/actor.js'
import { Permission } from '../../platform/auth/roles.js'
import type { Queryable } from '../../platform/db/database.js'
import { tablesOf } from '../../platform/db/tables.js'
import { storeUpload, UploadRejectedError } from '../../platform/files/index.js'
import { ConflictError, NotFoundError, ValidationError } from '../../platform/http/errors.js'
import { PdfWriter } from '../../platform/pdf/pdf.js'
import { verifyPdf, type SigningKeys } from '../../platform/signing/index.js'
import type { CatalogueService } from '../catalogue/index.js'
import type { OrganisationService, OrgUnit } from '../organisation/index.js'
import { cleanFileName, type FileStoreDeps } from './dossier-files.js'
import { signingIdOf } from './dossier-forms.js'
import { DossierStatus } from './dossier-workflow.js'
import type { DossierRow } from './dossiers.repository.js'
import type { DossierTables } from './dossiers.tables.js'
import { local } from './forms.pdf.js'

export type ResultRow = Selectable<DossierTables['dossier_results']>
export type ResultKind = ResultRow['kind']

const t = (q: Queryable) => tablesOf<DossierTables>(q)
const DAY = /^\d{4}-\d{2}-\d{2}$/

/** A result as pages and the API show it. */
export type DossierResult = {
  id: string
  dossierCode: string
  procedureCode: string
  kind: ResultKind
  title: string
  fileName: string
  mime: string
  size: number
  sha256: string
  signed: boolean
  validUntil: string | null
  issuedAt: Date
}

export function describeResult(row: ResultRow): DossierResult {
  return {
    id: row.id,
    dossierCode: row.dossier_code,
    procedureCode: row.procedure_code,
    kind: row.kind,
    title: row.title,
    fileName: row.file_name,
    mime: row.mime,
    size: row.size,
    sha256: row.sha256,
    signed: row.signed,
    validUntil: row.valid_until,
    issuedAt: row.issued_at,
  }
}

export function listResults(q: Queryable, dossierId: string) {
  return t(q)
    .selectFrom('dossier_results')
    .selectAll()
    .where('dossier_id', '=', dossierId)
    .where('withdrawn_at', 'is', null)
    .orderBy('issued_at')
    .execute()
}

/** Results of the dossiers an applicant filed, newest first: the results part of the citizen's data store. */
export function listResultsOfApplicant(q: Queryable, userId: string) {
  return t(q)
    .selectFrom('dossier_results')
    .innerJoin('dossiers', 'dossiers.id', 'dossier_results.dossier_id')
    .selectAll('dossier_results')
    .where('dossiers.applicant_user_id', '=', userId)
    .where('dossier_results.withdrawn_at', 'is', null)
    .orderBy('dossier_results.issued_at', 'desc')
    .limit(200)
    .execute()
}

export function findResult(q: Queryable, id: string) {
  if (!/^[0-9a-f-]{36}$/.test(id)) return Promise.resolve(undefined)
  return t(q).selectFrom('dossier_results').selectAll().where('id', '=', id).executeTakeFirst()
}

export type ResultsDeps = {
  db: Queryable
  clock: () => Date
  files: FileStoreDeps
  signing: SigningKeys
  organisation: OrganisationService
  catalogue: CatalogueService
}

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/**
 * Results are issued by a receiving officer of the dossier's unit once the leader approved it (or, for a paper
 * result, scanned afterwards): uploaded or generated from the procedure's template, and signed by the unit.
 */
export function createResults(deps: ResultsDeps) {
  const { db, files, signing, organisation, catalogue } = deps

  async function unitOf(dossier: DossierRow): Promise<OrgUnit> {
    const [unit] = await organisation.findUnitsByIds([dossier.unit_id])
    if (!unit) throw new NotFoundError('Không tìm thấy đơn vị của hồ sơ.')
    return unit
  }

  function checkIssuable(dossier: DossierRow, kind: ResultKind) {
    const open: readonly DossierStatus[] =
      kind === 'electronic' ? [DossierStatus.approved] : [DossierStatus.approved, DossierStatus.returned]
    if (!open.includes(dossier.status)) {
      throw new ConflictError(
        kind === 'electronic'
          ? 'Chỉ phát hành kết quả điện tử khi hồ sơ đã được phê duyệt và chưa trả kết quả.'
          : 'Chỉ lưu bản quét kết quả khi hồ sơ đã được phê duyệt hoặc đã trả kết quả.',
        { status: dossier.status },
      )
    }
  }

  function parseValidUntil(raw: unknown, now: Date): string | null {
    if (raw === undefined || raw === null || raw === '') return null
    if (typeof raw !== 'string' || !DAY.test(raw) || Number.isNaN(Date.parse(`${raw}T00:00:00Z`))) {
      throw new ValidationError({ validUntil: 'Ngày hết hiệu lực phải có dạng năm-tháng-ngày.' })
    }
    if (raw < local(now).iso) throw new ValidationError({ validUntil: 'Ngày hết hiệu lực đã qua.' })
    return raw
  }

  async function sign(unit: OrgUnit, pdf: Uint8Array | PdfWriter, dossier: DossierRow) {
    const signer = await signing.signerFor(signingIdOf(unit), unit.name)
    return signer.sign(pdf instanceof PdfWriter ? pdf.doc : pdf, {
      reason: `Kết quả giải quyết hồ sơ ${dossier.code} (thủ tục ${dossier.procedure_code})`,
      location: 'Cao Bằng',
      signerName: unit.name,
    })
  }

  async function record(
    actor: Actor,
    ctx: AuditContext,
    dossier: DossierRow,
    unit: OrgUnit,
    values: Omit<
      ResultRow,
      'id' | 'dossier_id' | 'dossier_code' | 'procedure_code' | 'issued_by' | 'issued_at' | 'withdrawn_at'
    >,
  ) {
    const now = deps.clock()
    const row = await t(db)
      .insertInto('dossier_results')
      .values({
        ...values,
        dossier_id: dossier.id,
        dossier_code: dossier.code,
        procedure_code: dossier.procedure_code,
        issued_by: actor.userId,
        issued_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow()
    await appendAudit(
      db,
      ctx,
      {
        action: 'dossier.result_stored',
        objectType: 'dossier',
        objectId: dossier.code,
        unitId: unit.id,
        details: { kind: row.kind, signed: row.signed, sha256: row.sha256 },
      },
      now,
    )
    return describeResult(row)
  }

  /** An uploaded result: an electronic PDF (signed by the unit unless it already carries a signature), or a scan. */
  async function upload(
    actor: Actor,
    ctx: AuditContext,
    dossier: DossierRow,
    input: { stream: Readable; fileName: string; kind: unknown; title: unknown; validUntil: unknown },
  ) {
    const unit = await unitOf(dossier)
    authorize(actor, Permission.dossiersReceive, unit)
    const kind: ResultKind = input.kind === 'scan' ? 'scan' : 'electronic'
    checkIssuable(dossier, kind)
    const title = typeof input.title === 'string' ? input.title.normalize('NFC').trim().slice(0, 300) : ''
    const validUntil = parseValidUntil(input.validUntil, deps.clock())
    const fileName = cleanFileName(input.fileName)
    const stored = await storeUpload(files.store, files.scanner, input.stream, {
      name: fileName,
      allowed: kind === 'electronic' ? ['pdf'] : ['pdf', 'jpg', 'png'],
      maxBytes: files.maxBytes,
      keyPrefix: 'results',
    }).catch((error: unknown) => {
      if (error instanceof UploadRejectedError)
        throw new ValidationError({ file: error.message }, error.message)
      throw error
    })
    let { key, sha256, size } = stored
    let signed = false
    if (stored.mime === 'application/pdf') {
      const original = await bytesOf(await files.store.get(key))
      signed = verifyPdf(original, []).signed
      if (kind === 'electronic' && !signed) {
        const bytes = Buffer.from(await sign(unit, original, dossier))
        const put = await files.store.put(`${key}-signed`, bytes, { contentType: 'application/pdf' })
        await files.store.delete(key)
        key = `${key}-signed`
        sha256 = put.sha256
        size = put.size
        signed = true
      }
    }
    return record(actor, ctx, dossier, unit, {
      kind,
      title: title || dossier.procedure_name,
      file_name: fileName,
      mime: stored.mime,
      size,
      sha256,
      object_key: key,
      signed,
      valid_until: validUntil,
    })
  }

  /** The result drawn from the procedure's template and the dossier's declared data, signed by the unit. */
  async function generate(actor: Actor, ctx: AuditContext, dossier: DossierRow, validUntilRaw: unknown) {
    const unit = await unitOf(dossier)
    authorize(actor, Permission.dossiersReceive, unit)
    checkIssuable(dossier, 'electronic')
    const validUntil = parseValidUntil(validUntilRaw, deps.clock())
    const procedure = await catalogue
      .getInForce(dossier.procedure_code, dossier.counts_from)
      .catch(() => null)
    const title = procedure?.resultType ?? `Kết quả giải quyết thủ tục ${dossier.procedure_name}`
    const now = deps.clock()
    const pdf = await PdfWriter.create('A4', `${title} – ${dossier.code}`, 20)
    await pdf.qr(dossier.code, 22)
    pdf
      .text(unit.name.toUpperCase(), { size: 10, bold: true, gap: 14 })
      .text('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', { size: 11, bold: true, align: 'center', gap: 0 })
      .text('Độc lập - Tự do - Hạnh phúc', { size: 11, bold: true, align: 'center' })
      .text(`Cao Bằng, ${local(now).date}`, { size: 10, align: 'right', gap: 12 })
      .text(title.toUpperCase(), { size: 13, bold: true, align: 'center', gap: 10 })
    for (const basis of procedure?.legalBasis ?? []) pdf.text(`Căn cứ ${basis};`, { size: 10 })
    pdf
      .text(`Xét đề nghị của Ông/Bà ${dossier.applicant_name} tại hồ sơ mã ${dossier.code},`, {
        size: 10,
        gap: 8,
      })
      .text(`${unit.name.toUpperCase()} XÁC NHẬN:`, { size: 11, bold: true, gap: 6 })
    const labels = new Map((procedure?.form ?? []).map((f) => [f.name, f.label]))
    for (const [name, value] of Object.entries(dossier.form_data)) {
      const shown = typeof value === 'boolean' ? (value ? 'Có' : 'Không') : String(value)
      pdf.text(`${labels.get(name) ?? name}: ${shown}`, { size: 10 })
    }
    if (validUntil) {
      pdf.text(`Văn bản này có giá trị đến hết ngày ${validUntil.split('-').reverse().join('/')}.`, {
        size: 10,
        gap: 8,
      })
    }
    pdf
      .text(
        `Văn bản điện tử được ký số bởi ${unit.name}; kiểm tra chữ ký tại mục "Kiểm tra chữ ký số" của Cổng.`,
        { size: 9, gap: 16 },
      )
      .text(`TM. ${unit.name.toUpperCase()}`, { size: 10, bold: true, align: 'right' })
    const bytes = Buffer.from(await sign(unit, pdf, dossier))
    const key = `results/${now.getUTCFullYear()}/${dossier.code}-${now.getTime()}.pdf`.toLowerCase()
    const put = await files.store.put(key, bytes, { contentType: 'application/pdf' })
    return record(actor, ctx, dossier, unit, {
      kind: 'electronic',
      title,
      file_name: `ket-qua-${dossier.code}.pdf`,
      mime: 'application/pdf',
      size: put.size,
      sha256: put.sha256,
      object_key: key,
      signed: true,
      valid_until: validUntil,
    })
  }

  async function open(row: ResultRow) {
    return { result: describeResult(row), stream: await files.store.get(row.object_key) }
  }

  return { upload, generate, open }
}

export type Results = ReturnType<typeof createResults>
