import type { ColumnType, Generated } from 'kysely'
import type { DossierStatus } from './dossier-workflow.js'

export type DossierTables = {
  dossier_results: {
    id: Generated<string>
    dossier_id: string
    dossier_code: string
    procedure_code: string
    kind: 'electronic' | 'scan'
    title: string
    file_name: string
    mime: string
    size: number
    sha256: string
    object_key: string
    signed: boolean
    valid_until: string | null
    issued_by: string | null
    issued_at: Date
    withdrawn_at: Date | null
  }
  dossier_ratings: {
    dossier_id: string
    unit_id: string
    scores: ColumnType<Record<string, 0 | 1 | 2>, string, never>
    total: number
    max: number
    comment: string | null
    rated_by: string
    rated_at: Date
  }
  dossier_files: {
    id: Generated<string>
    dossier_id: string | null
    draft_id: string | null
    owner_id: string
    document_index: number | null
    document_name: string
    purpose: 'application' | 'supplement' | 'scan'
    file_name: string
    mime: string
    size: number
    sha256: string
    object_key: string
    scanned: boolean
    uploaded_at: Date
  }
  dossier_drafts: {
    id: Generated<string>
    user_id: string
    procedure_code: string
    unit_id: string | null
    data: ColumnType<Record<string, unknown>, string, string>
    created_at: Generated<Date>
    updated_at: Generated<Date>
  }
  dossier_counters: { agency_code: string; day: string; last: number }
  dossiers: {
    id: Generated<string>
    code: string
    procedure_id: string
    procedure_code: string
    procedure_name: string
    workflow: string
    unit_id: string
    channel: 'online' | 'counter' | 'post'
    status: DossierStatus
    step: number
    applicant_user_id: string | null
    applicant_name: string
    applicant_id_no: string | null
    applicant_phone: string | null
    applicant_email: string | null
    applicant_address: string | null
    form_data: ColumnType<Record<string, unknown>, string, string>
    rule_version: string
    processing_days: number
    received_at: Date
    counts_from: string
    due_at: Date
    step_started_at: Date
    paused_at: Date | null
    extended: Generated<boolean>
    finished_at: Date | null
    created_by: string | null
    idempotency_key: string | null
    fee_amount: Generated<number>
    fee_timing: Generated<'before_intake' | 'before_result' | 'none'>
    fee_paid_at: Date | null
    fee_paid_online: boolean | null
    fee_reference: string | null
    created_at: Generated<Date>
    updated_at: Generated<Date>
  }
  dossier_actions: {
    id: Generated<number>
    dossier_id: string
    seq: number
    action: string
    from_status: string | null
    to_status: string
    from_step: number | null
    to_step: number
    actor_id: string | null
    actor_name: string | null
    unit_id: string | null
    note: string | null
    at: Date
    step_due_at: Date | null
    on_time: boolean | null
    details: ColumnType<Record<string, unknown> | null, string | null | undefined, never>
  }
}
