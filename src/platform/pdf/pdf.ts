import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import fontkit from '@pdf-lib/fontkit'
import { PDFDocument, rgb, type PDFFont, type PDFPage } from 'pdf-lib'
import QRCode from 'qrcode'

// The 14 standard PDF fonts cannot encode Vietnamese; DejaVu (a TTF, never woff) covers every glyph.
const fontDir = join(dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')), 'ttf')
const REGULAR = readFileSync(join(fontDir, 'DejaVuSans.ttf'))
const BOLD = readFileSync(join(fontDir, 'DejaVuSans-Bold.ttf'))

const MM = 72 / 25.4
export const PAGE_SIZES = {
  A4: [210 * MM, 297 * MM],
  A4landscape: [297 * MM, 210 * MM],
  A5: [148 * MM, 210 * MM],
} as const

type TextOptions = { size?: number; bold?: boolean; align?: 'left' | 'center' | 'right'; gap?: number }

/**
 * A page written top to bottom, line by line, with word wrapping: enough for the forms of TT 01/2018.
 * Text is embedded as a subset CID font, so it stays searchable and extractable.
 */
export class PdfWriter {
  private page!: PDFPage
  private y = 0
  private constructor(
    readonly doc: PDFDocument,
    private readonly regular: PDFFont,
    private readonly bold: PDFFont,
    private readonly size: readonly [number, number],
    private readonly margin: number,
  ) {
    this.newPage()
  }

  static async create(size: keyof typeof PAGE_SIZES, title: string, marginMm = 15): Promise<PdfWriter> {
    const doc = await PDFDocument.create()
    doc.registerFontkit(fontkit)
    doc.setTitle(title)
    doc.setLanguage('vi-VN')
    doc.setProducer('Nen tang chinh quyen so tinh Cao Bang')
    const regular = await doc.embedFont(REGULAR, { subset: true })
    const bold = await doc.embedFont(BOLD, { subset: true })
    return new PdfWriter(doc, regular, bold, PAGE_SIZES[size], marginMm * MM)
  }

  private newPage() {
    this.page = this.doc.addPage([...this.size])
    this.y = this.size[1] - this.margin
  }

  get width() {
    return this.size[0] - 2 * this.margin
  }

  /** Writes a paragraph, wrapped to the page width; a new page starts when this one is full. */
  text(content: string, options: TextOptions = {}) {
    const size = options.size ?? 10
    const font = options.bold ? this.bold : this.regular
    const lineHeight = size * 1.35
    for (const line of this.wrap(content, font, size)) {
      if (this.y - lineHeight < this.margin) this.newPage()
      const width = font.widthOfTextAtSize(line, size)
      const x =
        options.align === 'center'
          ? this.margin + (this.width - width) / 2
          : options.align === 'right'
            ? this.margin + this.width - width
            : this.margin
      this.y -= lineHeight
      this.page.drawText(line, { x, y: this.y, size, font, color: rgb(0, 0, 0) })
    }
    this.y -= options.gap ?? 2
    return this
  }

  space(points: number) {
    this.y -= points
    return this
  }

  /** A QR code at the top right corner of the current page. */
  async qr(content: string, sizeMm = 22) {
    const qr = QRCode.create(content, { errorCorrectionLevel: 'M' })
    const count = qr.modules.size
    const side = sizeMm * MM
    const cell = side / count
    const left = this.size[0] - this.margin - side
    const top = this.size[1] - this.margin
    for (let row = 0; row < count; row++) {
      for (let col = 0; col < count; col++) {
        if (qr.modules.get(row, col)) {
          this.page.drawRectangle({
            x: left + col * cell,
            y: top - (row + 1) * cell,
            width: cell,
            height: cell,
            color: rgb(0, 0, 0),
          })
        }
      }
    }
    return this
  }

  /**
   * A ruled table: a bold header row repeated on each new page, cells wrapped to their column's share of the
   * page width. Rows never split across pages.
   */
  table(
    columns: readonly { header: string; share: number }[],
    rows: readonly (readonly string[])[],
    size = 8,
  ) {
    const total = columns.reduce((sum, c) => sum + c.share, 0)
    const widths = columns.map((c) => (c.share / total) * this.width)
    const pad = 2
    const lineHeight = size * 1.3
    const line = (font: PDFFont, cells: readonly string[]) => {
      const wrapped = cells.map((cell, i) => this.wrapTo(cell, font, size, widths[i]! - 2 * pad))
      const height = Math.max(...wrapped.map((w) => w.length)) * lineHeight + 2 * pad
      return { wrapped, height }
    }
    const draw = (font: PDFFont, cells: readonly string[]) => {
      const { wrapped, height } = line(font, cells)
      let x = this.margin
      wrapped.forEach((lines, i) => {
        this.page.drawRectangle({
          x,
          y: this.y - height,
          width: widths[i]!,
          height,
          borderColor: rgb(0, 0, 0),
          borderWidth: 0.5,
        })
        lines.forEach((text, n) => {
          this.page.drawText(text, {
            x: x + pad,
            y: this.y - pad - (n + 1) * lineHeight + size * 0.3,
            size,
            font,
            color: rgb(0, 0, 0),
          })
        })
        x += widths[i]!
      })
      this.y -= height
    }
    const header = columns.map((c) => c.header)
    if (this.y - line(this.bold, header).height - lineHeight * 2 < this.margin) this.newPage()
    draw(this.bold, header)
    for (const row of rows) {
      if (this.y - line(this.regular, row).height < this.margin) {
        this.newPage()
        draw(this.bold, header)
      }
      draw(this.regular, row)
    }
    this.y -= 4
    return this
  }

  private wrap(content: string, font: PDFFont, size: number): string[] {
    return this.wrapTo(content, font, size, this.width)
  }

  private wrapTo(content: string, font: PDFFont, size: number, width: number): string[] {
    const lines: string[] = []
    for (const paragraph of content.normalize('NFC').split('\n')) {
      let line = ''
      for (const word of paragraph.split(' ')) {
        const candidate = line ? `${line} ${word}` : word
        if (font.widthOfTextAtSize(candidate, size) <= width || !line) line = candidate
        else {
          lines.push(line)
          line = word
        }
      }
      lines.push(line)
    }
    return lines
  }

  async bytes(): Promise<Uint8Array> {
    return this.doc.save()
  }
}
