import { sql } from 'kysely'
import type { Db } from '../db/database.js'
import { AppError } from '../http/errors.js'
import { jobStats, retryDead } from './jobs.stats.js'

export const JOBS_USAGE = `  jobs stats                             hàng đợi, hẹn giờ và bên nhận sự kiện: đang chờ, lỗi, chậm bao lâu
  jobs dead [--queue Q] [--limit N]      các công việc đã hết lượt thử, với lỗi cuối cùng
  jobs retry ID                          cho một công việc đã hết lượt thử chạy lại từ đầu`

type Out = { log(line: string): void; error(line: string): void }

const when = (at: Date | null) => (at ? at.toISOString().replace('T', ' ').slice(0, 19) : '—')

/**
 * `npm run cli -- jobs …`: what an operator needs when background work falls behind or gives up, without a
 * page or a database client. Returns the process exit code.
 */
export async function runJobsCommand(args: string[], db: Db, out: Out = console): Promise<number> {
  const [sub, ...rest] = args
  if (sub === 'stats') {
    const stats = await jobStats(db)
    out.log('Hàng đợi (queue): chờ / đang chạy / chờ thử lại / xong / hết lượt; chờ lâu nhất')
    for (const q of stats.queues) {
      const waited = q.oldestDueMs === null ? '—' : `${Math.round(q.oldestDueMs / 1000)} s`
      out.log(`  ${q.queue}: ${q.queued} / ${q.running} / ${q.failed} / ${q.done} / ${q.dead}; ${waited}`)
    }
    if (stats.queues.length === 0) out.log('  (chưa có công việc nào)')
    out.log('Hẹn giờ (timer): lần chạy tới; lần xong gần nhất; lỗi')
    for (const timer of stats.timers) {
      out.log(
        `  ${timer.name}: ${when(timer.nextRunAt)}; ${when(timer.lastFinishedAt)}; ${timer.lastError ?? 'không'}`,
      )
    }
    out.log('Bên nhận sự kiện (outbox consumer): đã nhận đến; còn sau; lỗi liên tiếp; lỗi cuối')
    for (const c of stats.consumers) {
      out.log(`  ${c.consumer}: ${c.lastSeq}; ${c.behind}; ${c.attempts}; ${c.lastError ?? 'không'}`)
    }
    out.log(`Sự kiện đã ghi nhưng chưa đánh số: ${stats.unsequencedEvents}`)
    const dead = stats.queues.reduce((n, q) => n + q.dead, 0)
    // Non-zero when something needs a person, so a monitoring script can alert on it.
    return dead > 0 || stats.consumers.some((c) => c.attempts > 0) ? 1 : 0
  }
  if (sub === 'dead') {
    const queue = option(rest, '--queue')
    const limit = Math.min(500, Math.max(1, Number(option(rest, '--limit') ?? 50) || 50))
    const rows = await sql<{
      id: string
      queue: string
      attempts: number
      finished_at: Date | null
      last_error: string | null
    }>`
      select id, queue, attempts, finished_at, last_error from jobs
      where state = 'dead' and (${queue ?? null}::text is null or queue = ${queue ?? null})
      order by finished_at desc nulls last, id desc limit ${limit}`.execute(db)
    for (const job of rows.rows) {
      out.log(
        `${job.id}\t${job.queue}\t${job.attempts} lần\t${when(job.finished_at)}\t${(job.last_error ?? '').slice(0, 200)}`,
      )
    }
    if (rows.rows.length === 0) out.log('Không có công việc nào hết lượt thử.')
    return 0
  }
  if (sub === 'retry') {
    const id = Number(rest[0])
    if (!Number.isSafeInteger(id) || id <= 0) {
      out.error('Cần số của công việc: npm run cli -- jobs retry ID')
      return 2
    }
    try {
      await retryDead(db, id)
    } catch (error) {
      if (error instanceof AppError) {
        out.error(error.message)
        return 1
      }
      throw error
    }
    out.log(`Công việc số ${id} sẽ chạy lại khi máy chủ đang chạy nhận nó.`)
    return 0
  }
  out.error(JOBS_USAGE)
  return 2
}

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name)
  return at >= 0 ? args[at + 1] : undefined
}
