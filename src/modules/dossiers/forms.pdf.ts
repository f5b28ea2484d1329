import { PdfWriter } from '../../platform/pdf/pdf.js'
import type { RequiredDocument } from '../catalogue/index.js'
import { actionLabel, type Action } from './dossier-workflow.js'
import type { ActionRow, DossierRow } from './dossiers.repository.js'

/**
 * The forms of TT 01/2018/TT-VPCP (Điều 9): 01 receipt, 02 supplement request, 03 refusal, 04 apology and new
 * appointment, 05 control slip (A5), and 06 the tracking book (A4). Generated from the dossier and its history,
 * then signed by the issuing unit (Điều 10).
 */
export const FORMS = {
  '01': 'Giấy tiếp nhận hồ sơ và hẹn trả kết quả',
  '02': 'Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ',
  '03': 'Phiếu từ chối tiếp nhận giải quyết hồ sơ',
  '04': 'Phiếu xin lỗi và hẹn lại ngày trả kết quả',
  '05': 'Phiếu kiểm soát quá trình giải quyết hồ sơ',
  '06': 'Sổ theo dõi hồ sơ',
} as const
export type FormNo = keyof typeof FORMS
export const DOSSIER_FORMS = ['01', '02', '03', '04', '05'] as const satisfies readonly FormNo[]

const TZ_OFFSET = 7 * 3_600_000
const two = (n: number) => String(n).padStart(2, '0')

export function local(at: Date) {
  const d = new Date(at.getTime() + TZ_OFFSET)
  return {
    time: `${two(d.getUTCHours())} giờ ${two(d.getUTCMinutes())} phút`,
    date: `ngày ${two(d.getUTCDate())} tháng ${two(d.getUTCMonth() + 1)} năm ${d.getUTCFullYear()}`,
    short: `${two(d.getUTCHours())}:${two(d.getUTCMinutes())} ${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`,
    /** The local calendar day, YYYY-MM-DD. */
    iso: d.toISOString().slice(0, 10),
  }
}

type Unit = { name: string }

/** The heading every form shares: the unit and its one-stop desk on the left, the national motto centred. */
async function open(size: 'A4' | 'A5' | 'A4landscape', no: FormNo, unit: Unit, at: Date, code?: string) {
  const pdf = await PdfWriter.create(size, code ? `${FORMS[no]} ${code}` : FORMS[no], 12)
  if (code) await pdf.qr(code, 20)
  pdf
    .text(`Mẫu số ${no}`, { size: 7 })
    .text(unit.name.toUpperCase(), { size: 8, bold: true })
    .text('BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ', { size: 8, bold: true, gap: 12 })
    .text('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', { size: 9, bold: true, align: 'center', gap: 0 })
    .text('Độc lập - Tự do - Hạnh phúc', { size: 9, bold: true, align: 'center' })
    .text(`Cao Bằng, ${local(at).date}`, { size: 8, align: 'right', gap: 8 })
    .text(FORMS[no].toUpperCase(), { size: 11, bold: true, align: 'center', gap: 0 })
  if (code) pdf.text(`Mã hồ sơ: ${code}`, { size: 9, bold: true, align: 'center', gap: 8 })
  return pdf
}

function applicantLines(pdf: PdfWriter, dossier: DossierRow, label = 'Ông/Bà (tổ chức)') {
  pdf.text(`${label}: ${dossier.applicant_name}`, { size: 9 })
  if (dossier.applicant_address) pdf.text(`Địa chỉ: ${dossier.applicant_address}`, { size: 9 })
  const contact = [
    dossier.applicant_phone ? `Số điện thoại: ${dossier.applicant_phone}` : '',
    dossier.applicant_email ? `Thư điện tử: ${dossier.applicant_email}` : '',
  ]
    .filter(Boolean)
    .join('   ')
  if (contact) pdf.text(contact, { size: 9 })
}

function signatures(pdf: PdfWriter, left: string, right: string) {
  pdf
    .space(10)
    .text(`${left.padEnd(40, ' ')}${right}`, { size: 8.5, bold: true, align: 'center' })
    .text('(Ký và ghi rõ họ tên)                               (Ký và ghi rõ họ tên)', {
      size: 7.5,
      align: 'center',
    })
}

/** Mẫu 01, A5: what was received, and when the result will be ready. */
export async function receiptPdf(input: {
  dossier: DossierRow
  unit: Unit
  documents: readonly RequiredDocument[]
}): Promise<PdfWriter> {
  const { dossier, unit, documents } = input
  const pdf = await open('A5', '01', unit, dossier.received_at, dossier.code)
  const received = local(dossier.received_at)
  const due = local(dossier.due_at)
  pdf.text(`Bộ phận tiếp nhận và trả kết quả: ${unit.name}`, { size: 9 })
  applicantLines(pdf, dossier, 'Tiếp nhận hồ sơ của')
  pdf.text(`Nội dung yêu cầu giải quyết: ${dossier.procedure_name} (mã thủ tục ${dossier.procedure_code})`, {
    size: 9,
  })
  pdf.text('1. Thành phần hồ sơ nộp gồm:', { size: 9 })
  documents.forEach((d, i) => pdf.text(`   ${i + 1}) ${d.name}: ${d.copies} bản`, { size: 8.5 }))
  pdf
    .text('2. Số lượng hồ sơ: 01 bộ', { size: 9 })
    .text(`3. Thời gian giải quyết hồ sơ theo quy định: ${dossier.processing_days} ngày làm việc`, {
      size: 9,
    })
    .text(`4. Thời gian nhận hồ sơ: ${received.time}, ${received.date}`, { size: 9 })
    .text(`5. Thời gian trả kết quả giải quyết hồ sơ: ${due.time}, ${due.date}`, { size: 9, bold: true })
    .text('6. Nhận kết quả tại: Bộ phận tiếp nhận và trả kết quả, hoặc trực tuyến nếu đã đăng ký.', {
      size: 9,
    })
    .text(
      'Tra cứu tình trạng hồ sơ tại mục "Tra cứu hồ sơ" bằng mã hồ sơ và số điện thoại hoặc số định danh.',
      {
        size: 8,
      },
    )
  signatures(pdf, 'NGƯỜI NỘP HỒ SƠ', 'NGƯỜI TIẾP NHẬN HỒ SƠ')
  return pdf
}

/** Mẫu 02, A5: what the applicant must add, in one go (NĐ 61/2018 forbids asking twice). */
export async function supplementPdf(dossier: DossierRow, unit: Unit, request: ActionRow): Promise<PdfWriter> {
  const pdf = await open('A5', '02', unit, request.at, dossier.code)
  pdf.text(`${local(dossier.received_at).date}, ${unit.name} tiếp nhận hồ sơ của:`, { size: 9 })
  applicantLines(pdf, dossier)
  pdf
    .text(`Nội dung yêu cầu giải quyết: ${dossier.procedure_name}`, { size: 9 })
    .text('Sau khi xem xét, đề nghị Ông/Bà bổ sung, hoàn thiện hồ sơ gồm những nội dung sau:', { size: 9 })
    .text(request.note ?? '', { size: 9, bold: true })
    .text(
      'Thời gian giải quyết hồ sơ được tính lại từ khi nhận đủ hồ sơ bổ sung. Ông/Bà có thể nộp bổ sung ' +
        'trực tuyến tại trang hồ sơ hoặc tại Bộ phận tiếp nhận và trả kết quả.',
      { size: 8.5 },
    )
    .text('Xin trân trọng cảm ơn!', { size: 9 })
  signatures(pdf, 'NGƯỜI NỘP HỒ SƠ', `NGƯỜI HƯỚNG DẪN: ${request.actor_name ?? ''}`)
  return pdf
}

/** Mẫu 03, A5: why the dossier is refused. */
export async function refusalPdf(dossier: DossierRow, unit: Unit, refusal: ActionRow): Promise<PdfWriter> {
  const pdf = await open('A5', '03', unit, refusal.at, dossier.code)
  pdf.text(`${unit.name} nhận được hồ sơ của:`, { size: 9 })
  applicantLines(pdf, dossier)
  pdf
    .text(`Nội dung yêu cầu giải quyết: ${dossier.procedure_name}`, { size: 9 })
    .text('Sau khi nghiên cứu, đối chiếu với quy định, hồ sơ không đủ điều kiện giải quyết với lý do sau:', {
      size: 9,
    })
    .text(refusal.note ?? '', { size: 9, bold: true })
    .text('Xin thông báo để Ông/Bà được biết và thực hiện.', { size: 9 })
  signatures(pdf, 'NGƯỜI NỘP HỒ SƠ', `NGƯỜI TIẾP NHẬN: ${refusal.actor_name ?? ''}`)
  return pdf
}

/** Mẫu 04, A5: the apology for a late result, with the new appointment. */
export async function apologyPdf(dossier: DossierRow, unit: Unit, extension: ActionRow): Promise<PdfWriter> {
  const details = (extension.details ?? {}) as { previousDueAt?: string; dueAt?: string }
  const previous = local(new Date(details.previousDueAt ?? dossier.due_at))
  const next = local(new Date(details.dueAt ?? dossier.due_at))
  const pdf = await open('A5', '04', unit, extension.at, dossier.code)
  pdf.text(`${local(dossier.received_at).date}, ${unit.name} tiếp nhận hồ sơ của:`, { size: 9 })
  applicantLines(pdf, dossier)
  pdf
    .text(`Nội dung yêu cầu giải quyết: ${dossier.procedure_name}`, { size: 9 })
    .text(`Thời gian hẹn trả kết quả: ${previous.time}, ${previous.date}.`, { size: 9 })
    .text(`Tuy nhiên đến nay chưa trả kết quả được, lý do: ${extension.note ?? ''}`, { size: 9 })
    .text(
      `Sự chậm trễ này đã gây phiền hà cho Ông/Bà. ${unit.name} xin lỗi và hẹn trả kết quả vào ` +
        `${next.time}, ${next.date}.`,
      { size: 9, bold: true },
    )
    .text('Xin trân trọng cảm ơn!', { size: 9 })
  signatures(pdf, '', `THỦ TRƯỞNG CƠ QUAN: ${extension.actor_name ?? ''}`)
  return pdf
}

/** Whether a hand-over beat its step's deadline, met it (same minute) or missed it. */
export function handOverResult(row: ActionRow): string {
  if (!row.step_due_at) return ''
  const diff = row.at.getTime() - row.step_due_at.getTime()
  if (diff < -60_000) return 'Trước hạn'
  if (diff <= 0) return 'Đúng hạn'
  return 'Quá hạn'
}

/** Mẫu 05, A5: the control slip, one row per hand-over from the dossier's history. */
export async function controlSlipPdf(
  dossier: DossierRow,
  unit: Unit,
  history: readonly ActionRow[],
  unitNames: ReadonlyMap<string, string>,
  at: Date,
): Promise<PdfWriter> {
  const pdf = await open('A5', '05', unit, at, dossier.code)
  pdf
    .text(`Kèm theo hồ sơ của: ${dossier.applicant_name}`, { size: 9 })
    .text(`Nội dung yêu cầu giải quyết: ${dossier.procedure_name}`, { size: 9 })
    .text(`Thời gian nhận hồ sơ: ${local(dossier.received_at).time}, ${local(dossier.received_at).date}`, {
      size: 9,
    })
    .text(`Thời gian trả kết quả: ${local(dossier.due_at).time}, ${local(dossier.due_at).date}`, { size: 9 })
    .text(`Cơ quan (bộ phận) giải quyết hồ sơ: ${unit.name}`, { size: 9, gap: 6 })
  pdf.table(
    [
      { header: 'TÊN CƠ QUAN', share: 3 },
      { header: 'THỜI GIAN GIAO, NHẬN HỒ SƠ', share: 4 },
      { header: 'KẾT QUẢ GIẢI QUYẾT HỒ SƠ', share: 2 },
      { header: 'GHI CHÚ', share: 3 },
    ],
    history.map((row, i) => {
      const next = history[i + 1]
      return [
        unitNames.get(row.unit_id ?? '') ?? '',
        `${i + 1}. Giao: ${row.actor_name ?? ''} (${actionLabel[row.action as Action] ?? row.action})` +
          `${next ? `\n2. Nhận: ${next.actor_name ?? ''}` : ''}\n${local(row.at).short}`,
        handOverResult(row),
        row.note ?? '',
      ]
    }),
    7,
  )
  return pdf
}

/** Mẫu 06, A4 landscape: the tracking book of a unit for a period, one row per dossier received. */
export async function trackingBookPdf(
  unit: Unit,
  period: { from: string; to: string },
  dossiers: readonly { dossier: DossierRow; returnedAt: Date | null }[],
  at: Date,
): Promise<PdfWriter> {
  const pdf = await open('A4landscape', '06', unit, at)
  pdf.text(`Từ ngày ${period.from} đến ngày ${period.to}`, { size: 9, align: 'center', gap: 6 })
  pdf.table(
    [
      { header: 'STT', share: 1 },
      { header: 'Mã hồ sơ', share: 4 },
      { header: 'Tên thủ tục hành chính', share: 5 },
      { header: 'Số lượng hồ sơ (bộ)', share: 1.5 },
      { header: 'Tên cá nhân, tổ chức', share: 3 },
      { header: 'Địa chỉ, số điện thoại', share: 3 },
      { header: 'Nhận hồ sơ', share: 2.5 },
      { header: 'Hẹn trả kết quả', share: 2.5 },
      { header: 'Trả kết quả', share: 2.5 },
      { header: 'Ghi chú', share: 2.5 },
    ],
    dossiers.map(({ dossier, returnedAt }, i) => [
      String(i + 1),
      dossier.code,
      dossier.procedure_name,
      '01',
      dossier.applicant_name,
      [dossier.applicant_address, dossier.applicant_phone].filter(Boolean).join(', '),
      local(dossier.received_at).short,
      local(dossier.due_at).short,
      returnedAt ? local(returnedAt).short : '',
      dossier.channel === 'online' ? 'Trực tuyến' : 'Trực tiếp',
    ]),
    6.5,
  )
  pdf.text(`Tổng số: ${dossiers.length} hồ sơ`, { size: 9, bold: true })
  return pdf
}
