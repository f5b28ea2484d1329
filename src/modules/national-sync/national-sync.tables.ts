import type { Generated } from 'kysely'

/** The national synchronisation's tables (migrations/0025_national_sync_create.sql, 0032_national_sync_answers.sql). */
export type NationalSyncTables = {
  national_sync_dossiers: {
    code: string
    first_synced_at: Generated<Date>
    last_status: number
    last_position: number
    last_synced_at: Generated<Date>
    calls: Generated<number>
  }
  national_sync_calls: {
    id: Generated<number>
    dossier_code: string
    service: string
    http_status: number | null
    ok: boolean
    error: string | null
    /** The portal's result code and message (`error_code`, `message`; migration 0032), when it gave them. */
    portal_code: string | null
    portal_message: string | null
    duration_ms: number
    at: Generated<Date>
  }
}
