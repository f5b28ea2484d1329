import type { Clock } from '../../platform/clock.js'
import type { Db } from '../../platform/db/database.js'
import { tablesOf } from '../../platform/db/tables.js'
import type { ExchangeRecord, ExchangeRecorder } from './exchange.js'
import { encryptBody } from './lgsp-log.crypto.js'
import type { ExchangeColumns, MessageLogTables } from './lgsp-log.tables.js'

/** Text columns are capped so a hostile path or header cannot bloat the evidence log. */
const MAX_TEXT = 2048

function clip(value: string): string {
  // NUL cannot be stored in a PostgreSQL text column; it can only come from a malformed request.
  const text = value.replaceAll('\u0000', '\uFFFD')
  return text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) : text
}

/** The row an exchange becomes: bodies encrypted here, so they never reach the database in clear. */
export function toColumns(entry: ExchangeRecord, secretKey: string, recordedAt: Date): ExchangeColumns {
  return {
    message_id: clip(entry.messageId),
    request_id: clip(entry.requestId),
    client: clip(entry.client),
    service: clip(entry.service),
    token_client_id: clip(entry.tokenClientId),
    method: clip(entry.method),
    path: clip(entry.path),
    status: Math.trunc(entry.status),
    error_code: entry.errorCode ? clip(entry.errorCode) : null,
    started_at: entry.startedAt,
    finished_at: entry.finishedAt,
    recorded_at: recordedAt,
    request_hash: clip(entry.requestHash),
    response_hash: clip(entry.responseHash),
    request_bytes: Math.max(0, Math.trunc(entry.requestBytes)),
    response_bytes: Math.max(0, Math.trunc(entry.responseBytes)),
    request_body: entry.requestBody
      ? encryptBody(entry.requestBody, secretKey, entry.messageId, 'request')
      : null,
    response_body: entry.responseBody
      ? encryptBody(entry.responseBody, secretKey, entry.messageId, 'response')
      : null,
  }
}

/** Rows per insert at most: 18 columns each stays far below PostgreSQL's 65,535 parameters. */
const MAX_BATCH = 500

/**
 * The gateway's side of the log: plain inserts into `lgsp_log_pending`, no lock and no transaction held across
 * requests. The chainer links the rows into the signed chain shortly after.
 *
 * Group commit: while one insert is in flight, the exchanges that finish meanwhile wait and go together in the
 * next one. An idle gateway writes each exchange at once; a busy one writes one row set per round trip instead of
 * one insert per exchange. Each `record()` resolves only once its own row is committed, so nothing is acknowledged
 * before it is stored.
 *
 * Gathering: an insert waits `gatherMs` after the first exchange arrives, so a busy gateway writes one row set per
 * few milliseconds whatever the database's round trip; each insert costs the gateway's process far more than a
 * row in it (measured in bench/lgsp.ts: about half of a call's CPU with an insert per call). The chainer only runs
 * every second, so the wait changes nothing a reader of the log sees. `drain()` writes what waits at once (on
 * shutdown).
 */
export function createRecorder({
  db,
  secretKey,
  clock,
  gatherMs: gatherMs_,
}: {
  db: Db
  secretKey: string
  clock: Clock
  /** How long an insert waits for more exchanges to join it (0: only those finishing during the last insert). */
  gatherMs?: number
}): ExchangeRecorder & { recordMany(entries: ExchangeRecord[]): Promise<void>; drain(): Promise<void> } {
  const gatherMs = Math.max(0, gatherMs_ ?? 0)
  const t = tablesOf<MessageLogTables>(db)
  type Waiting = { row: ExchangeColumns; done: (error?: unknown) => void }
  let waiting: Waiting[] = []
  let flushing = false
  let gathering: NodeJS.Timeout | undefined
  let current: Promise<void> = Promise.resolve()

  function startFlush() {
    if (gathering) clearTimeout(gathering)
    gathering = undefined
    current = flush()
  }

  /** Starts an insert now (gatherMs 0) or after the gathering wait, unless one is on its way. */
  function schedule() {
    if (flushing || waiting.length === 0) return
    if (gatherMs === 0 || waiting.length >= MAX_BATCH) startFlush()
    else if (gathering) return
    else gathering = setTimeout(startFlush, gatherMs)
  }

  async function insert(rows: ExchangeColumns[]) {
    await t.insertInto('lgsp_log_pending').values(rows).execute()
  }

  async function flush() {
    flushing = true
    try {
      while (waiting.length > 0) {
        const batch = waiting.slice(0, MAX_BATCH)
        waiting = waiting.slice(batch.length)
        try {
          await insert(batch.map((w) => w.row))
          for (const w of batch) w.done()
        } catch (error) {
          if (batch.length === 1) {
            batch[0]!.done(error)
            continue
          }
          // One bad row must not cost the others their place in the log: each is tried on its own.
          for (const w of batch) {
            await insert([w.row]).then(
              () => w.done(),
              (failure: unknown) => w.done(failure),
            )
          }
        }
        // A partial set waits for company again rather than going out alone right behind this one.
        if (gatherMs > 0 && waiting.length < MAX_BATCH) break
      }
    } finally {
      flushing = false
      schedule()
    }
  }

  return {
    record(entry) {
      return new Promise<void>((resolve, reject) => {
        waiting.push({
          row: toColumns(entry, secretKey, clock()),
          done: (error) =>
            error === undefined
              ? resolve()
              : reject(error instanceof Error ? error : new Error(String(error))),
        })
        schedule()
      })
    },
    async drain() {
      while (waiting.length > 0 || flushing || gathering) {
        if (gathering) startFlush()
        await current
      }
    },
    async recordMany(entries) {
      if (entries.length === 0) return
      const now = clock()
      await insert(entries.map((e) => toColumns(e, secretKey, now)))
    },
  }
}
