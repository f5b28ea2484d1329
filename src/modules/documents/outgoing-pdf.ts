import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import fontkit from '@pdf-lib/fontkit'
import { PDFDocument, rgb } from 'pdf-lib'
import { ValidationError } from '../../platform/http/errors.js'
import { verifyPdf, type PdfSigner } from '../../platform/signing/index.js'

// The standard PDF fonts cannot write Vietnamese; the platform ships DejaVu (TTF) for its own PDFs.
const fontDir = join(dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')), 'ttf')
let font: Buffer | undefined
const regularFont = () => (font ??= readFileSync(join(fontDir, 'DejaVuSans.ttf')))

/**
 * A draft's PDF must open (no password). It may already carry signatures — the leader's own, made with their
 * certificate outside the platform (a USB token, remote signing) — if every one of them checks out and chains to
 * a CA the platform trusts (`trustAnchors`): the unit's signature is then appended when the clerk issues it,
 * leaving them valid. A signature that does not check out means the file was altered after signing.
 */
export async function checkDraftPdf(bytes: Buffer, trustAnchors: string[], field = 'file'): Promise<void> {
  const check = verifyPdf(bytes, trustAnchors)
  if (check.signed) {
    const broken = check.signatures.some(
      (s) => !s.valid || !s.intact || !(s.coversWholeDocument || s.laterSigned),
    )
    const untrusted = check.signatures.find((s) => !s.trusted)
    if (broken || untrusted) {
      throw new ValidationError(
        {
          [field]: broken
            ? 'Tệp PDF có chữ ký số không hợp lệ: tệp đã bị sửa sau khi ký. Hãy tải lên bản gốc.'
            : `Chữ ký số của ${untrusted!.signerName ?? 'người ký'} trên tệp PDF dùng chứng thư số không do tổ chức chứng thực được hệ thống tin cậy cấp (hoặc chứng thư đã hết hiệu lực khi ký). Hãy ký bằng chứng thư số hợp lệ hoặc tải lên bản chưa ký.`,
        },
        broken ? 'Tệp PDF đã bị sửa sau khi ký.' : 'Chữ ký số trên tệp PDF không được tin cậy.',
      )
    }
  }
  try {
    const doc = await PDFDocument.load(bytes, { updateMetadata: false })
    if (doc.getPageCount() === 0) throw new Error('no pages')
  } catch {
    throw new ValidationError(
      {
        [field]:
          'Không mở được tệp PDF (tệp hỏng hoặc có mật khẩu). Hãy lưu lại thành PDF thường rồi tải lên.',
      },
      'Không mở được tệp PDF.',
    )
  }
}

/** "ngày 27 tháng 11 năm 2026" (NĐ 30/2020 Phụ lục I: day under 10 and months 1, 2 with a leading zero). */
export function vietnameseDate(iso: string): string {
  const [year, month, day] = iso.split('-').map(Number) as [number, number, number]
  const dd = day < 10 ? `0${day}` : String(day)
  const mm = month < 3 ? `0${month}` : String(month)
  return `ngày ${dd} tháng ${mm} năm ${year}`
}

/**
 * The issued original: the number, notation and date written at the top right of the first page, then the
 * unit's PAdES signature over the whole file. A draft the leader signed already keeps its bytes and signature:
 * the stamp and the unit's signature go in an incremental update after it (NĐ 30/2020: the person's signature,
 * then the organisation's).
 */
export async function stampAndSign(
  draft: Buffer,
  stamp: { code: string; place: string; issuedOn: string; title: string },
  signer: PdfSigner,
  info: { reason: string; signerName: string },
): Promise<Buffer> {
  const write = async (doc: PDFDocument) => {
    doc.registerFontkit(fontkit)
    const regular = await doc.embedFont(regularFont(), { subset: true })
    const page = doc.getPage(0)
    const { width, height } = page.getSize()
    const lines = [`Số: ${stamp.code}`, `${stamp.place}, ${vietnameseDate(stamp.issuedOn)}`]
    const size = 9
    lines.forEach((line, index) => {
      const x = width - 28 - regular.widthOfTextAtSize(line, size)
      page.drawText(line, { x, y: height - 20 - index * 12, size, font: regular, color: rgb(0.6, 0, 0) })
    })
    doc.setTitle(stamp.title)
    doc.setLanguage('vi-VN')
  }
  const signature = { reason: info.reason, location: stamp.place, signerName: info.signerName }
  if (mayBeSigned(draft)) return Buffer.from(await signer.signAppending(draft, signature, write))
  const doc = await PDFDocument.load(draft, { updateMetadata: false })
  await write(doc)
  return Buffer.from(await signer.sign(doc, signature))
}

/**
 * Whether a draft may carry a signature. A signature dictionary's /ByteRange is always written in clear: it holds
 * file offsets, so it is never in a compressed object stream. The draft's signatures were checked in full at upload
 * (`checkDraftPdf`); here it only matters whether rewriting the file would break one. A false alarm (the word in an
 * uncompressed string) only means the stamp and signature are appended as an incremental update instead, which is
 * as valid.
 */
export function mayBeSigned(pdf: Uint8Array): boolean {
  return Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength).includes('/ByteRange', 0, 'latin1')
}
