import type { ColumnType, Generated } from 'kysely'
import type { WorkFileStatus } from './work-files.rules.js'

export type WorkFileTables = {
  work_files: {
    id: Generated<string>
    unit_id: string
    year: number
    code: string
    title: string
    keeper_id: string
    keeper_name: string
    retention_years: number | null
    permanent: boolean
    status: WorkFileStatus
    opened_on: string
    closed_on: string | null
    archived_at: Date | null
    documents_count: number | null
    electronic_count: number | null
    processed_electronically: boolean | null
    note: string | null
    created_by: string | null
    created_at: Generated<Date>
    updated_at: Generated<Date>
  }
  work_file_documents: {
    id: Generated<number>
    work_file_id: string
    /** An incoming document, or */
    document_id: string | null
    /** an outgoing one. */
    outgoing_id: string | null
    unit_id: string
    added_by: string | null
    added_by_name: string | null
    added_at: Date
  }
  work_file_history: {
    id: Generated<number>
    work_file_id: string
    seq: number
    action: string
    actor_id: string | null
    actor_name: string | null
    note: string | null
    details: ColumnType<Record<string, unknown>, string | undefined, never>
    at: Date
  }
}
