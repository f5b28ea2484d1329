import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * How OCR went for the pages of a PDF that have no text layer: every one recognised, stopped at the page cap
 * or the time limit, not possible on this server (off, or Tesseract or its Vietnamese data missing), or failed.
 */
export type OcrState = 'done' | 'page_limit' | 'time_limit' | 'unavailable' | 'failed'

export type OcrOptions = {
  /** Scanned pages recognised per file at most, the first ones (DOCUMENT_OCR_MAX_PAGES). */
  maxPages: number
  /** Pages not begun by this time (epoch ms) are left: the job that runs OCR has its own time limit. */
  deadline: number
  /** One page's rendering or recognition still running after this long is given up. */
  pageTimeoutMs?: number
  /** Aborted when the job is: the running child process is killed and the job tried again later. */
  signal?: AbortSignal
}

export type OcrResult = {
  state: Exclude<OcrState, 'unavailable'>
  /** Page number → the text Tesseract found on it (raw; the caller cleans it). */
  texts: Map<number, string>
  error: string | null
}

/** 300 dpi is what Tesseract is trained for; a larger page is rendered coarser so its bitmap stays bounded. */
const DPI = 300
const MAX_PIXELS = 40_000_000
const PAGE_TIMEOUT_MS = 60_000
/** Text kept per page: a page holds a few thousand characters, anything beyond is noise. */
const MAX_PAGE_OUTPUT = 200_000

/** Thrown when a child process runs past its time limit (and was killed). */
class ChildTimeoutError extends Error {}

type RunOptions = { timeoutMs: number; signal?: AbortSignal; maxOutput?: number; env?: NodeJS.ProcessEnv }

/** Runs a program with arguments (never a shell string), with a time limit and a cap on what it prints. */
function run(
  command: string,
  args: string[],
  o: RunOptions,
): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) {
      reject(o.signal.reason as Error)
      return
    }
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: o.env })
    const out: Buffer[] = []
    const err: Buffer[] = []
    let size = 0
    let settled = false
    const finish = (fn: () => void) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      o.signal?.removeEventListener('abort', onAbort)
      child.kill('SIGKILL')
      fn()
    }
    const onAbort = () => finish(() => reject(o.signal!.reason as Error))
    o.signal?.addEventListener('abort', onAbort, { once: true })
    const timer = setTimeout(
      () =>
        finish(() => reject(new ChildTimeoutError(`${command}: quá ${Math.round(o.timeoutMs / 1000)} giây`))),
      o.timeoutMs,
    )
    child.on('error', (error) => finish(() => reject(error)))
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= (o.maxOutput ?? 64 * 1024)) out.push(chunk)
    })
    child.stderr.on('data', (chunk: Buffer) => {
      if (err.length < 16) err.push(chunk)
    })
    child.on('close', (code) =>
      finish(() =>
        resolve({
          code,
          stdout: Buffer.concat(out),
          stderr: Buffer.concat(err).toString('utf8').trim().slice(0, 300),
        }),
      ),
    )
  })
}

let availability: Promise<boolean> | undefined

/**
 * Whether this server can OCR: Tesseract with its Vietnamese data (`tesseract-ocr-vie`), and poppler's pdfinfo
 * and pdftoppm. Asked once per process.
 */
export function ocrAvailable(): Promise<boolean> {
  const answers = (command: string, args: string[]) =>
    run(command, args, { timeoutMs: 10_000 }).then(
      (r) => r,
      () => null,
    )
  availability ??= Promise.all([
    answers('tesseract', ['--list-langs']),
    answers('pdftoppm', ['-v']),
    answers('pdfinfo', ['-v']),
  ]).then(
    ([tesseract, pdftoppm, pdfinfo]) =>
      !!tesseract &&
      tesseract.code === 0 &&
      /^vie$/m.test(`${tesseract.stdout.toString('utf8')}\n${tesseract.stderr}`) &&
      !!pdftoppm &&
      !!pdfinfo,
  )
  return availability
}

/** Page sizes in points, from pdfinfo; a page it does not report is rendered at a safe resolution. */
async function pageSizes(file: string, first: number, last: number, o: RunOptions) {
  const sizes = new Map<number, { width: number; height: number }>()
  const info = await run('pdfinfo', ['-f', String(first), '-l', String(last), file], o)
  for (const m of info.stdout.toString('utf8').matchAll(/^Page\s+(\d+) size:\s+([\d.]+) x ([\d.]+) pts/gm)) {
    sizes.set(Number(m[1]), { width: Number(m[2]), height: Number(m[3]) })
  }
  return sizes
}

function dpiOf(size: { width: number; height: number } | undefined): number {
  if (!size || !(size.width > 0) || !(size.height > 0)) return 150
  const inches2 = (size.width / 72) * (size.height / 72)
  return Math.max(30, Math.min(DPI, Math.floor(Math.sqrt(MAX_PIXELS / inches2))))
}

/**
 * Renders the given pages (numbers from 1, ascending) with pdftoppm (gray, 300 dpi) and recognises them with
 * Tesseract (`-l vie`), one page at a time, each child process with a time limit; the first `maxPages` only, and
 * none begun after the deadline. The PDF goes to a private temporary directory (mode 0700), removed at the end.
 * Tesseract is held to one thread: the server's other work shares the cores.
 */
export async function recognisePages(bytes: Uint8Array, pages: number[], o: OcrOptions): Promise<OcrResult> {
  const texts = new Map<number, string>()
  const wanted = pages.slice(0, o.maxPages)
  const dir = await mkdtemp(join(tmpdir(), 'cb-ocr-'))
  const remaining = () => Math.min(o.pageTimeoutMs ?? PAGE_TIMEOUT_MS, o.deadline - Date.now())
  try {
    const pdf = join(dir, 'file.pdf')
    await writeFile(pdf, bytes, { mode: 0o600 })
    if (wanted.length === 0) return { state: 'done', texts, error: null }
    if (remaining() <= 0) return { state: 'time_limit', texts, error: null }
    const sizes = await pageSizes(pdf, wanted[0]!, wanted.at(-1)!, {
      timeoutMs: remaining(),
      signal: o.signal,
    })
    for (const page of wanted) {
      if (remaining() <= 0) return { state: 'time_limit', texts, error: null }
      const image = join(dir, 'page')
      const render = await run(
        'pdftoppm',
        [
          '-f',
          String(page),
          '-l',
          String(page),
          '-r',
          String(dpiOf(sizes.get(page))),
          '-gray',
          '-png',
          '-singlefile',
          pdf,
          image,
        ],
        { timeoutMs: remaining(), signal: o.signal },
      )
      if (render.code !== 0) {
        return {
          state: 'failed',
          texts,
          error: `Không dựng được ảnh trang ${page} để nhận dạng ký tự (pdftoppm dừng với mã ${render.code}).`,
        }
      }
      if (remaining() <= 0) return { state: 'time_limit', texts, error: null }
      const recognised = await run('tesseract', [`${image}.png`, 'stdout', '-l', 'vie'], {
        timeoutMs: remaining(),
        signal: o.signal,
        maxOutput: MAX_PAGE_OUTPUT,
        env: { ...process.env, OMP_THREAD_LIMIT: '1' },
      })
      if (recognised.code !== 0) {
        return {
          state: 'failed',
          texts,
          error: `Nhận dạng ký tự trang ${page} không thành công (tesseract dừng với mã ${recognised.code}).`,
        }
      }
      texts.set(page, recognised.stdout.toString('utf8'))
      await rm(`${image}.png`, { force: true })
    }
    return { state: pages.length > wanted.length ? 'page_limit' : 'done', texts, error: null }
  } catch (error) {
    if (error instanceof ChildTimeoutError) return { state: 'time_limit', texts, error: null }
    if (o.signal?.aborted) throw error
    // A program gone missing since the check (ENOENT), or the temporary directory full.
    return {
      state: 'failed',
      texts,
      error: `Nhận dạng ký tự không thành công: ${(error as Error).message}`.slice(0, 500),
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
