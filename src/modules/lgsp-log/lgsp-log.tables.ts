import type { ColumnType, Generated } from 'kysely'

/** The exchange fields, as the pending and the chained tables both hold them. */
export type ExchangeColumns = {
  message_id: string
  request_id: string
  client: string
  service: string
  token_client_id: string
  method: string
  path: string
  status: number
  error_code: string | null
  started_at: Date
  finished_at: Date
  recorded_at: Date
  request_hash: string
  response_hash: string
  request_bytes: number
  response_bytes: number
  /** iv (12) | GCM tag (16) | ciphertext; never the body in clear. */
  request_body: Uint8Array | null
  response_body: Uint8Array | null
}

/** The message log's tables (migrations/0020_lgsp_message_log.sql). */
export type MessageLogTables = {
  lgsp_log_pending: ExchangeColumns & { id: Generated<number> }
  lgsp_log: ExchangeColumns & {
    seq: number
    batch_no: number
    prev_hash: string
    hash: string
  }
  lgsp_log_batches: {
    batch_no: number
    first_seq: number
    last_seq: number
    last_hash: string
    signed_at: Date
    algorithm: string
    signature: string
    certificate_fingerprint: string
  }
  lgsp_log_certificates: {
    fingerprint: string
    certificate_pem: string
    subject: string
    not_after: Date
    first_used_at: Date
  }
  lgsp_log_archives: {
    id: Generated<number>
    first_batch: number
    last_batch: number
    first_seq: number
    last_seq: number
    last_hash: string
    entries: number
    file_name: string
    file_sha256: string
    archived_at: ColumnType<Date, Date, never>
    signature: string
    certificate_fingerprint: string
  }
}

export type LogRow = MessageLogTables['lgsp_log']
export type PendingRow = Omit<MessageLogTables['lgsp_log_pending'], 'id'> & { id: number }
export type BatchRow = MessageLogTables['lgsp_log_batches']
export type ArchiveRow = Omit<MessageLogTables['lgsp_log_archives'], 'id' | 'archived_at'> & {
  id: number
  archived_at: Date
}
