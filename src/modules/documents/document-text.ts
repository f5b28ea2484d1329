import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'

/** What reading a PDF gave: its text, no text layer at all (a scan; there is no OCR), or why it failed. */
export type Extraction =
  | { state: 'extracted'; text: string; pages: number; truncated: boolean }
  | { state: 'no_text'; pages: number }
  | { state: 'failed'; error: string }

export type ExtractOptions = {
  /** A PDF still being read after this long is given up (a hostile or broken file must not hold a worker). */
  timeoutMs?: number
  /** Text kept per file; the search index needs the words, not a whole book. */
  maxChars?: number
  /** Heap of the reading thread, MB. */
  maxHeapMb?: number
}

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
  let text = ''
  let truncated = false
  for (let i = 1; i <= doc.numPages; i++) {
    const page = await doc.getPage(i)
    const content = await page.getTextContent()
    for (const item of content.items) {
      if (typeof item.str === 'string') text += item.str + (item.hasEOL ? '\\n' : ' ')
    }
    text += '\\n'
    page.cleanup()
    if (text.length > workerData.maxChars) { truncated = true; break }
  }
  const pages = doc.numPages
  await doc.destroy()
  return { pages, text: text.slice(0, workerData.maxChars), truncated }
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

function outcome(raw: { text: string; pages: number; truncated: boolean }): Extraction {
  const text = cleanText(raw.text)
  // A scan has no text layer; a few stray characters (page numbers stamped by a scanner) are not text either.
  if (text.replace(/[^\p{L}]/gu, '').length < 3) return { state: 'no_text', pages: raw.pages }
  return { state: 'extracted', text, pages: raw.pages, truncated: raw.truncated }
}

function withPdfjs(url: string, bytes: Uint8Array, o: typeof DEFAULTS): Promise<Extraction> {
  return new Promise((resolve) => {
    // Copied, so the caller's buffer stays usable after the transfer.
    const copy = new Uint8Array(bytes)
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { pdfjsUrl: url, bytes: copy, maxChars: o.maxChars },
      transferList: [copy.buffer],
      resourceLimits: { maxOldGenerationSizeMb: o.maxHeapMb },
      stdout: true,
      stderr: true,
    })
    let settled = false
    const finish = (result: Extraction) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      void worker.terminate()
      resolve(result)
    }
    const timer = setTimeout(
      () => finish({ state: 'failed', error: `Đọc tệp quá ${Math.round(o.timeoutMs / 1000)} giây.` }),
      o.timeoutMs,
    )
    worker.on(
      'message',
      (message: { error?: string; text?: string; pages?: number; truncated?: boolean }) => {
        if (message.error !== undefined) finish({ state: 'failed', error: message.error.slice(0, 500) })
        else
          finish(
            outcome({ text: message.text ?? '', pages: message.pages ?? 0, truncated: !!message.truncated }),
          )
      },
    )
    worker.on('error', (error) => finish({ state: 'failed', error: error.message.slice(0, 500) }))
    worker.on('exit', (code) => finish({ state: 'failed', error: `Luồng đọc tệp dừng (mã ${code}).` }))
  })
}

/** poppler's pdftotext, for an installation without pdf.js. */
function withPdftotext(bytes: Uint8Array, o: typeof DEFAULTS): Promise<Extraction> {
  return new Promise((resolve) => {
    const child = spawn('pdftotext', ['-enc', 'UTF-8', '-', '-'], { stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    let size = 0
    let settled = false
    const finish = (result: Extraction) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      child.kill()
      resolve(result)
    }
    const timer = setTimeout(
      () => finish({ state: 'failed', error: `Đọc tệp quá ${Math.round(o.timeoutMs / 1000)} giây.` }),
      o.timeoutMs,
    )
    child.on('error', () => finish({ state: 'failed', error: 'Máy chủ chưa có công cụ đọc PDF.' }))
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= o.maxChars * 4) out.push(chunk)
    })
    child.stdin.on('error', () => undefined)
    child.on('close', (code) => {
      if (code !== 0) return finish({ state: 'failed', error: `pdftotext dừng với mã ${code}.` })
      const text = Buffer.concat(out).toString('utf8')
      const pages = text.split('\f').length - 1
      finish(
        outcome({
          text: text.replace(/\f/g, '\n').slice(0, o.maxChars),
          pages,
          truncated: size > o.maxChars * 4,
        }),
      )
    })
    child.stdin.end(Buffer.from(bytes))
  })
}

/** Reads the text layer of a PDF off the event loop: pdf.js in a worker thread, else pdftotext. */
export async function extractPdfText(bytes: Uint8Array, options: ExtractOptions = {}): Promise<Extraction> {
  const o = { ...DEFAULTS, ...options }
  const url = findPdfjs()
  return url ? withPdfjs(url, bytes, o) : withPdftotext(bytes, o)
}
