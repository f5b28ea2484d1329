import { PdfWriter } from '../../platform/pdf/pdf.js'
import { amountInWords } from './amount-in-words.js'
import type { PaymentRow } from './payments.repository.js'

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
 * The electronic receipt of a fee paid online (biên lai thu phí, lệ phí điện tử), on A5, with a QR code of the
 * dossier code. Returned unsigned, as a pdf-lib document: the unit's signature is added over the finished page.
 */
export async function paymentReceiptPdf(input: {
  payment: PaymentRow
  unitName: string
  providerLabel: string
  sandbox: boolean
}) {
  const { payment, unitName, providerLabel, sandbox } = input
  const paidAt = local(payment.paid_at ?? payment.updated_at)
  const pdf = await PdfWriter.create('A5', `Biên lai thu phí, lệ phí ${payment.dossier_code}`, 12)
  await pdf.qr(payment.dossier_code, 20)
  pdf
    .text(unitName.toUpperCase(), { size: 8, bold: true })
    .text('ĐƠN VỊ THU PHÍ, LỆ PHÍ', { size: 8, bold: true, gap: 18 })
    .text('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', { size: 9, bold: true, align: 'center', gap: 0 })
    .text('Độc lập - Tự do - Hạnh phúc', { size: 9, bold: true, align: 'center', gap: 10 })
    .text('BIÊN LAI THU PHÍ, LỆ PHÍ', { size: 12, bold: true, align: 'center', gap: 0 })
    .text('(Biên lai điện tử)', { size: 9, align: 'center' })
    .text(`Số: ${payment.reference}`, { size: 9, align: 'center', gap: 10 })
    .text(`Đơn vị thu: ${unitName}`, { size: 9.5 })
    .text(`Họ tên người nộp: ${payment.payer_name}`, { size: 9.5 })
    .text(`Mã hồ sơ: ${payment.dossier_code}`, { size: 9.5, bold: true })
    .text(
      `Nội dung thu: Phí, lệ phí giải quyết thủ tục "${payment.procedure_name}" (mã ${payment.procedure_code})`,
      {
        size: 9.5,
      },
    )
    .text(`Số tiền: ${payment.amount.toLocaleString('vi-VN')} đồng`, { size: 10, bold: true })
    .text(`Số tiền bằng chữ: ${amountInWords(payment.amount)}`, { size: 9.5 })
    .text(`Hình thức nộp: trực tuyến qua ${providerLabel}`, { size: 9.5 })
    .text(
      `Mã giao dịch: ${payment.reference}${payment.provider_transaction ? `; số giao dịch tại cổng thanh toán: ${payment.provider_transaction}` : ''}`,
      { size: 9.5 },
    )
    .text(`Thời điểm nộp: ${paidAt.time}, ${paidAt.date}`, { size: 9.5, gap: 10 })
  if (sandbox) {
    pdf.text(
      'GIAO DỊCH THỬ NGHIỆM (SANDBOX): cổng thanh toán thử nghiệm không chuyển tiền; biên lai này không có giá trị thanh toán.',
      { size: 9, bold: true, gap: 10 },
    )
  }
  pdf
    .text(`Cao Bằng, ${paidAt.date}`, { size: 8.5, align: 'right' })
    .text('ĐƠN VỊ THU', { size: 9, bold: true, align: 'right', gap: 0 })
    .text('(Đã ký số)', { size: 8, align: 'right', gap: 12 })
    .text('Biên lai điện tử được ký số bởi đơn vị thu; kiểm tra chữ ký trong trình đọc PDF.', { size: 7.5 })
  return pdf.doc
}
