import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import jsQRModule from 'jsqr'
import { PNG } from 'pngjs'

// jsqr is CommonJS whose types describe an ES default export.
const jsQR = jsQRModule as unknown as (
  data: Uint8ClampedArray,
  width: number,
  height: number,
) => { data: string } | null

/** poppler-utils reads PDFs the way a viewer does; CI installs it, a developer's machine may not have it. */
export const havePoppler = spawnSync('pdftotext', ['-v']).status === 0
export const skipWithoutPoppler = !havePoppler && !process.env.CI

/** The text a reader would copy out of the PDF. */
export function pdfText(pdf: Buffer): string {
  const result = spawnSync('pdftotext', ['-layout', '-', '-'], { input: pdf })
  if (result.status !== 0) throw new Error(`pdftotext failed: ${result.stderr.toString()}`)
  return result.stdout.toString('utf8')
}

/** Renders the first page and decodes the QR code on it, as a phone camera would. */
export function pdfQrCode(pdf: Buffer): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'cb-pdf-'))
  try {
    writeFileSync(join(dir, 'in.pdf'), pdf)
    const result = spawnSync('pdftoppm', [
      '-png',
      '-r',
      '150',
      '-f',
      '1',
      '-l',
      '1',
      '-singlefile',
      join(dir, 'in.pdf'),
      join(dir, 'page'),
    ])
    if (result.status !== 0) throw new Error(`pdftoppm failed: ${result.stderr.toString()}`)
    const png = PNG.sync.read(readFileSync(join(dir, 'page.png')))
    return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data ?? null
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** poppler's report on the signatures in a PDF; with an NSS database, it also says whether the CA is trusted. */
export function pdfsig(pdf: Uint8Array, nssDir?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cb-pdfsig-'))
  try {
    writeFileSync(join(dir, 'in.pdf'), pdf)
    const args = nssDir ? ['-nssdir', `sql:${nssDir}`, join(dir, 'in.pdf')] : [join(dir, 'in.pdf')]
    const result = spawnSync('pdfsig', args)
    if (result.error) throw result.error
    return result.stdout.toString('utf8')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
