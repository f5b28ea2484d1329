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

/**
 * The gateway's side of the log: one plain insert per exchange into `lgsp_log_pending`, no lock and no
 * transaction held across requests. The chainer links the rows into the signed chain shortly after.
 */
export function createRecorder({
  db,
  secretKey,
  clock,
}: {
  db: Db
  secretKey: string
  clock: Clock
}): ExchangeRecorder & { recordMany(entries: ExchangeRecord[]): Promise<void> } {
  const t = tablesOf<MessageLogTables>(db)
  return {
    async record(entry) {
      await t
        .insertInto('lgsp_log_pending')
        .values(toColumns(entry, secretKey, clock()))
        .execute()
    },
    async recordMany(entries) {
      if (entries.length === 0) return
      const now = clock()
      await t
        .insertInto('lgsp_log_pending')
        .values(entries.map((e) => toColumns(e, secretKey, now)))
        .execute()
    },
  }
}
