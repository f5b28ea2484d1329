import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { ocrAvailable, recognisePages, type OcrOptions, type OcrState } from './document-text-ocr.js'

/** OCR of a file's pages without a text layer: how it went, and how many of them were recognised. */
export type OcrReport = {
  state: OcrState
  scannedPages: number
  recognisedPages: number
  error: string | null
}

/**
 * What reading a PDF gave: its text, or no text at all (a scan that was not or could not be recognised), or why
 * it failed. `ocr` is null when every page had a text layer.
 */
export type Extraction =
  | { state: 'extracted'; text: string; pages: number; truncated: boolean; ocr: OcrReport | null }
  | { state: 'no_text'; pages: number; ocr: OcrReport | null }
  | { state: 'failed'; error: string }

export type ExtractOptions = {
  /** A PDF still being read after this long is given up (a hostile or broken file must not hold a worker). */
  timeoutMs?: number
  /** Text kept per file; the search index needs the words, not a whole book. */
  maxChars?: number
  /** Heap of the reading thread, MB. */
  maxHeapMb?: number
  /** Recognise pages without a text layer (scans) with Tesseract; without it they are left as they are. */
  ocr?: OcrOptions
}

/** A page's text layer with fewer letters than this is no text (a page number stamped by a scanner). */
const MIN_PAGE_LETTERS = 3
/** A page with fewer letters than this that paints an image is a scan with a stamp ("Scanned with …"). */
const STAMP_LETTERS = 50

const DEFAULTS = { timeoutMs: 60_000, maxChars: 300_000, maxHeapMb: 512 }

/**
 * Runs in a worker thread: pdf.js (Mozilla) reads the text layer page by page. Plain JavaScript, so it
 * runs the same under tsx, vitest and the compiled build.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
;(async () => {
  const pdfjs = await import(workerData.pdfjsUrl)
  const task = pdfjs.getDocument({
    data: workerData.bytes,
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    stopAtErrors: false,
    verbosity: 0,
  })
  const doc = await task.promise
  const imageOps = new Set([
    pdfjs.OPS.paintImageXObject,
    pdfjs.OPS.paintInlineImageXObject,
    pdfjs.OPS.paintImageMaskXObject,
  ])
  const texts = []
  const images = []
  let length = 0
  let truncated = false
  for (let i = 1; i <= doc.numPages; i++) {
    const page = await doc.getPage(i)
    const content = await page.getTextContent()
    let text = ''
    for (const item of content.items) {
      if (typeof item.str === 'string') text += item.str + (item.hasEOL ? '\\n' : ' ')
    }
    // Only a page with a little text is looked at for images (the operator list costs a parse of the page and
    // its images); one with none is a scan anyway.
    let image = false
    const letters = (text.match(/\\p{L}/gu) || []).length
    if (letters >= workerData.minLetters && letters < workerData.stampLetters) {
      try {
        image = (await page.getOperatorList()).fnArray.some((op) => imageOps.has(op))
      } catch {
        image = false
      }
    }
    texts.push(text)
    images.push(image)
    length += text.length + 1
    page.cleanup()
    if (length > workerData.maxChars) { truncated = true; break }
  }
  const pages = doc.numPages
  await doc.destroy()
  return { pages, texts, images, truncated }
})().then(
  (result) => parentPort.postMessage(result),
  (error) => parentPort.postMessage({ error: String((error && error.message) || error) }),
)
`

let pdfjsUrl: string | null | undefined

/** Where pdf.js is installed, or null when it is not (then poppler's pdftotext is tried). */
function findPdfjs(): string | null {
  if (pdfjsUrl !== undefined) return pdfjsUrl
  try {
    const path = createRequire(import.meta.url).resolve('pdfjs-dist/legacy/build/pdf.mjs')
    pdfjsUrl = pathToFileURL(path).href
  } catch {
    pdfjsUrl = null
  }
  return pdfjsUrl
}

/** Collapses runs of spaces and normalises to NFC, as every text the platform stores. */
export function cleanText(text: string): string {
  return (
    text
      .normalize('NFC')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' ')
      .replace(/[ \t\u00a0]+/g, ' ')
      .replace(/ ?\n[ \n]*/g, '\n')
      .trim()
  )
}

/** The text layer page by page (as far as it was read), and which of those pages paint an image. */
type TextLayer = { pages: number; texts: string[]; images: boolean[]; truncated: boolean }
type Settings = typeof DEFAULTS

const letters = (text: string) => text.replace(/[^\p{L}]/gu, '').length

function outcome(layer: TextLayer, texts: string[], ocr: OcrReport | null, o: Settings): Extraction {
  const joined = texts.join('\n')
  const text = cleanText(joined.slice(0, o.maxChars))
  // A scan has no text layer; a few stray characters (page numbers stamped by a scanner) are not text either.
  if (letters(text) < MIN_PAGE_LETTERS) return { state: 'no_text', pages: layer.pages, ocr }
  return {
    state: 'extracted',
    text,
    pages: layer.pages,
    truncated: layer.truncated || joined.length > o.maxChars,
    ocr,
  }
}

function withPdfjs(url: string, bytes: Uint8Array, o: Settings): Promise<TextLayer | { error: string }> {
  return new Promise((resolve) => {
    // Copied, so the caller's buffer stays usable after the transfer.
    const copy = new Uint8Array(bytes)
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        pdfjsUrl: url,
        bytes: copy,
        maxChars: o.maxChars,
        minLetters: MIN_PAGE_LETTERS,
        stampLetters: STAMP_LETTERS,
      },
      transferList: [copy.buffer],
      resourceLimits: { maxOldGenerationSizeMb: o.maxHeapMb },
      stdout: true,
      stderr: true,
    })
    let settled = false
    const finish = (result: TextLayer | { error: string }) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      void worker.terminate()
      resolve(result)
    }
    const timer = setTimeout(
      () => finish({ error: `Đọc tệp quá ${Math.round(o.timeoutMs / 1000)} giây.` }),
      o.timeoutMs,
    )
    worker.on(
      'message',
      (message: {
        error?: string
        texts?: string[]
        images?: boolean[]
        pages?: number
        truncated?: boolean
      }) => {
        if (message.error !== undefined) finish({ error: message.error.slice(0, 500) })
        else
          finish({
            pages: message.pages ?? 0,
            texts: message.texts ?? [],
            images: message.images ?? [],
            truncated: !!message.truncated,
          })
      },
    )
    worker.on('error', (error) => finish({ error: error.message.slice(0, 500) }))
    worker.on('exit', (code) => finish({ error: `Luồng đọc tệp dừng (mã ${code}).` }))
  })
}

/** poppler's pdftotext, for an installation without pdf.js (pages apart by form feeds; images not looked at). */
function withPdftotext(bytes: Uint8Array, o: Settings): Promise<TextLayer | { error: string }> {
  return new Promise((resolve) => {
    const child = spawn('pdftotext', ['-enc', 'UTF-8', '-', '-'], { stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    let size = 0
    let settled = false
    const finish = (result: TextLayer | { error: string }) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      child.kill()
      resolve(result)
    }
    const timer = setTimeout(
      () => finish({ error: `Đọc tệp quá ${Math.round(o.timeoutMs / 1000)} giây.` }),
      o.timeoutMs,
    )
    child.on('error', () => finish({ error: 'Máy chủ chưa có công cụ đọc PDF.' }))
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= o.maxChars * 4) out.push(chunk)
    })
    child.stdin.on('error', () => undefined)
    child.on('close', (code) => {
      if (code !== 0) return finish({ error: `pdftotext dừng với mã ${code}.` })
      const truncated = size > o.maxChars * 4
      // Every page ends with a form feed; what follows the last one is not a page.
      const texts = Buffer.concat(out).toString('utf8').split('\f')
      const pages = texts.length - 1
      finish({
        pages,
        texts: truncated ? texts : texts.slice(0, pages),
        images: texts.map(() => false),
        truncated,
      })
    })
    child.stdin.end(Buffer.from(bytes))
  })
}

/** Page numbers (from 1) of the pages read that have (almost) no text layer: scanned pages. */
function scannedPages(layer: TextLayer): number[] {
  return layer.texts.flatMap((text, i) => {
    const n = letters(text)
    return n < MIN_PAGE_LETTERS || (layer.images[i] && n < STAMP_LETTERS) ? [i + 1] : []
  })
}

/**
 * Reads the text of a PDF off the event loop: the text layer with pdf.js in a worker thread (else pdftotext),
 * then, with `ocr`, the pages without one with Tesseract in child processes. A page's recognised text follows
 * its text layer (a scanner's stamp stays findable too).
 */
export async function extractPdfText(bytes: Uint8Array, options: ExtractOptions = {}): Promise<Extraction> {
  const o = { ...DEFAULTS, ...options }
  const url = findPdfjs()
  const layer = url ? await withPdfjs(url, bytes, o) : await withPdftotext(bytes, o)
  if ('error' in layer) return { state: 'failed', error: layer.error }
  const scanned = scannedPages(layer)
  if (scanned.length === 0) return outcome(layer, layer.texts, null, o)
  const report = (state: OcrState, recognisedPages: number, error: string | null = null): OcrReport => ({
    state,
    scannedPages: scanned.length,
    recognisedPages,
    error,
  })
  if (!options.ocr || !(await ocrAvailable())) return outcome(layer, layer.texts, report('unavailable', 0), o)
  const ocr = await recognisePages(bytes, scanned, options.ocr)
  const texts = layer.texts.map((text, i) => {
    const found = ocr.texts.get(i + 1)
    return found === undefined ? text : `${text}\n${found}`
  })
  return outcome(layer, texts, report(ocr.state, ocr.texts.size, ocr.error), o)
}
