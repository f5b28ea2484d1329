import { PNG } from 'pngjs'
import { PdfWriter } from '../src/platform/pdf/pdf.js'

/** A real one-page PDF with Vietnamese text, as a scanner or a phone app would produce. */
export async function samplePdf(text = 'Giấy khai sinh — bản sao'): Promise<Buffer> {
  const pdf = await PdfWriter.create('A4', text)
  pdf.text(text, { size: 14 })
  return Buffer.from(await pdf.bytes())
}

/** A real PNG image (a small grey square). */
export function samplePng(size = 8): Buffer {
  const png = new PNG({ width: size, height: size })
  png.data.fill(128)
  return PNG.sync.write(png)
}
