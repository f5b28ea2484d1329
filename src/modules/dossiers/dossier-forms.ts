import type { AuditContext } from '../../platform/audit/audit.js'
import { authorize, type Actor } from '../../platform/auth/actor.js'
import { Permission } from '../../platform/auth/roles.js'
import { NotFoundError, ValidationError } from '../../platform/http/errors.js'
import type { PdfWriter } from '../../platform/pdf/pdf.js'
import type { SigningKeys } from '../../platform/signing/index.js'
import type { CatalogueService } from '../catalogue/index.js'
import type { OrganisationService, OrgUnit } from '../organisation/index.js'
import type { Queryable } from '../../platform/db/database.js'
import { Action } from './dossier-workflow.js'
import * as repo from './dossiers.repository.js'
import type { DossiersService } from './dossiers.service.js'
import {
  apologyPdf,
  controlSlipPdf,
  FORMS,
  receiptPdf,
  refusalPdf,
  supplementPdf,
  trackingBookPdf,
  type FormNo,
} from './forms.pdf.js'

export type DossierFormsDeps = {
  db: Queryable
  clock: () => Date
  organisation: OrganisationService
  catalogue: CatalogueService
  signing: SigningKeys
  dossiers: DossiersService
}

const DAY = /^\d{4}-\d{2}-\d{2}$/
/** A book longer than this is split by period: one PDF must stay printable. */
const BOOK_LIMIT = 2000

/** The signing identity of a unit: its agency code (QCVN 102), or its key when it has none yet. */
export function signingIdOf(unit: OrgUnit): string {
  return unit.agencyCode ?? unit.key ?? unit.id
}

/** The forms of TT 01/2018 for a dossier or a unit, each signed by the unit that issues it. */
export function createDossierForms(deps: DossierFormsDeps) {
  const { organisation, catalogue, signing, dossiers } = deps

  async function sign(pdf: PdfWriter, unit: OrgUnit, no: FormNo, subject: string) {
    const signer = await signing.signerFor(signingIdOf(unit), unit.name)
    return signer.sign(pdf.doc, {
      reason: `${FORMS[no]} – ${subject}`,
      location: 'Cao Bằng',
      signerName: unit.name,
    })
  }

  /** Mẫu 01–05 of one dossier, for whoever may read the dossier. 404 when the dossier never needed it. */
  async function dossierForm(actor: Actor, ctx: AuditContext, code: string, no: FormNo) {
    const { dossier, history } = await dossiers.get(actor, code, ctx)
    const [unit] = await organisation.findUnitsByIds([dossier.unit_id])
    if (!unit) throw new NotFoundError('Không tìm thấy đơn vị của hồ sơ.')
    const last = (action: Action) => [...history].reverse().find((h) => h.action === action)
    const missing = (what: string) => new NotFoundError(`Hồ sơ ${code} không có ${what}.`)
    let pdf: PdfWriter
    switch (no) {
      case '01': {
        const procedure = await catalogue
          .getInForce(dossier.procedure_code, dossier.counts_from)
          .catch(() => null)
        pdf = await receiptPdf({ dossier, unit, documents: procedure?.documents ?? [] })
        break
      }
      case '02': {
        const request = last(Action.requestSupplement)
        if (!request) throw missing('yêu cầu bổ sung hồ sơ')
        pdf = await supplementPdf(dossier, unit, request)
        break
      }
      case '03': {
        const refusal = last(Action.reject)
        if (!refusal) throw missing('quyết định từ chối')
        pdf = await refusalPdf(dossier, unit, refusal)
        break
      }
      case '04': {
        const extension = last(Action.extend)
        if (!extension) throw missing('gia hạn trả kết quả')
        pdf = await apologyPdf(dossier, unit, extension)
        break
      }
      case '05': {
        const ids = [...new Set(history.map((h) => h.unit_id).filter((id): id is string => !!id))]
        const names = new Map((await organisation.findUnitsByIds(ids)).map((u) => [u.id, u.name]))
        pdf = await controlSlipPdf(dossier, unit, history, names, deps.clock())
        break
      }
      default:
        throw new NotFoundError('Không có mẫu phiếu này.')
    }
    return { bytes: await sign(pdf, unit, no, `hồ sơ ${code}`), fileName: `mau-${no}-${code}.pdf` }
  }

  /** Mẫu 06 for one unit and period (local days, inclusive), for its receiving officers. */
  async function trackingBook(actor: Actor, unitId: string, from: unknown, to: unknown) {
    const [unit] = typeof unitId === 'string' && unitId ? await organisation.findUnitsByIds([unitId]) : []
    if (!unit) throw new ValidationError({ unitId: 'Chọn đơn vị.' })
    authorize(actor, Permission.dossiersReceive, unit)
    const errors: Record<string, string> = {}
    if (typeof from !== 'string' || !DAY.test(from)) errors.from = 'Nhập ngày bắt đầu (năm-tháng-ngày).'
    if (typeof to !== 'string' || !DAY.test(to)) errors.to = 'Nhập ngày kết thúc (năm-tháng-ngày).'
    else if (typeof from === 'string' && to < from) errors.to = 'Ngày kết thúc không được trước ngày bắt đầu.'
    if (Object.keys(errors).length > 0) throw new ValidationError(errors)
    const start = new Date(`${from as string}T00:00:00+07:00`)
    const end = new Date(new Date(`${to as string}T00:00:00+07:00`).getTime() + 86_400_000)
    const rows = await repo.listReceivedBetween(deps.db, unit.id, start, end, BOOK_LIMIT + 1)
    if (rows.length > BOOK_LIMIT) {
      throw new ValidationError({ to: `Sổ quá ${BOOK_LIMIT} hồ sơ; hãy chọn khoảng thời gian ngắn hơn.` })
    }
    const pdf = await trackingBookPdf(
      unit,
      { from: from as string, to: to as string },
      rows.map((row) => ({ dossier: row, returnedAt: row.returned_at ? new Date(row.returned_at) : null })),
      deps.clock(),
    )
    return {
      bytes: await sign(pdf, unit, '06', `${from as string} – ${to as string}`),
      fileName: `so-theo-doi-${signingIdOf(unit)}-${from as string}-${to as string}.pdf`,
    }
  }

  return { dossierForm, trackingBook }
}

export type DossierForms = ReturnType<typeof createDossierForms>
