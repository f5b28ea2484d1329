import { PdfWriter } from '../../platform/pdf/pdf.js'
import type { RequiredDocument } from '../catalogue/index.js'
import type { DossierRow } from './dossiers.repository.js'

const TZ_OFFSET = 7 * 3_600_000

function local(at: Date) {
  const d = new Date(at.getTime() + TZ_OFFSET)
  const two = (n: number) => String(n).padStart(2, '0')
  return {
    time: `${two(d.getUTCHours())} giờ ${two(d.getUTCMinutes())} phút`,
    date: `ngày ${two(d.getUTCDate())} tháng ${two(d.getUTCMonth() + 1)} năm ${d.getUTCFullYear()}`,
  }
}

/**
 * Mẫu 01 of TT 01/2018/TT-VPCP, Giấy tiếp nhận hồ sơ và hẹn trả kết quả, on A5, with a QR code carrying the
 * dossier code so the desk and the citizen can look it up by scanning.
 */
export async function receiptPdf(input: {
  dossier: DossierRow
  unitName: string
  documents: readonly RequiredDocument[]
}): Promise<Uint8Array> {
  const { dossier, unitName, documents } = input
  const pdf = await PdfWriter.create('A5', `Giấy tiếp nhận hồ sơ ${dossier.code}`, 12)
  await pdf.qr(dossier.code, 20)
  const received = local(dossier.received_at)
  const due = local(dossier.due_at)
  pdf
    .text(unitName.toUpperCase(), { size: 8, bold: true })
    .text('BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ', { size: 8, bold: true, gap: 18 })
    .text('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', { size: 9, bold: true, align: 'center', gap: 0 })
    .text('Độc lập - Tự do - Hạnh phúc', { size: 9, bold: true, align: 'center' })
    .text(`Cao Bằng, ${received.date}`, { size: 8, align: 'right', gap: 8 })
    .text('GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ', { size: 11, bold: true, align: 'center', gap: 0 })
    .text(`Mã hồ sơ: ${dossier.code}`, { size: 9, bold: true, align: 'center', gap: 8 })
    .text(`Bộ phận tiếp nhận và trả kết quả: ${unitName}`, { size: 9 })
    .text(`Tiếp nhận hồ sơ của: ${dossier.applicant_name}`, { size: 9 })
  if (dossier.applicant_address) pdf.text(`Địa chỉ: ${dossier.applicant_address}`, { size: 9 })
  const contact = [
    dossier.applicant_phone ? `Số điện thoại: ${dossier.applicant_phone}` : '',
    dossier.applicant_email ? `Thư điện tử: ${dossier.applicant_email}` : '',
  ]
    .filter(Boolean)
    .join('   ')
  if (contact) pdf.text(contact, { size: 9 })
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
      `Tra cứu tình trạng hồ sơ tại mục "Tra cứu hồ sơ" bằng mã hồ sơ và số điện thoại hoặc số định danh.`,
      {
        size: 8,
        gap: 14,
      },
    )
    .text('NGƯỜI NỘP HỒ SƠ                              NGƯỜI TIẾP NHẬN HỒ SƠ', {
      size: 8.5,
      bold: true,
      align: 'center',
    })
    .text('(Ký và ghi rõ họ tên)                               (Ký và ghi rõ họ tên)', {
      size: 7.5,
      align: 'center',
    })
  return pdf.bytes()
}
