import type { ColumnType, Generated } from 'kysely'
import type { Confidentiality, Urgency } from './document-rules.js'
import type {
  OutgoingStatus,
  RecipientKind,
  RecipientStatus,
  StepKind,
  StepStatus,
} from './outgoing-rules.js'

/** What a draft said in one version: kept with the version so earlier ones stay readable. */
export type VersionFields = {
  typeCode: string
  summary: string
  content: string | null
  division: string | null
  urgency: Urgency
  confidentiality: Confidentiality
  dueOn: string | null
  replyTo: string | null
  recipients: { kind: RecipientKind; unitId: string | null; agencyCode: string | null; name: string }[]
}

/** Tables of the outgoing side (migration 0023_documents_outgoing.sql). */
export type OutgoingTables = {
  outgoing_registers: {
    id: Generated<string>
    unit_id: string
    year: number
    name: string
    is_default: Generated<boolean>
    created_at: Generated<Date>
  }
  outgoing_counters: { register_id: string; last: number }
  outgoing_unit_settings: {
    unit_id: string
    abbreviation: string
    updated_by: string | null
    updated_at: Date
  }
  outgoing_documents: {
    id: Generated<string>
    unit_id: string
    drafter_id: string
    drafter_name: string
    type_code: string
    summary: string
    content: string | null
    division: string | null
    urgency: Urgency
    confidentiality: Confidentiality
    due_on: string | null
    reply_to: string | null
    status: OutgoingStatus
    version: number
    round: number
    approved_by: string | null
    signer_name: string | null
    signer_position: string | null
    signer_competence: string | null
    approved_at: Date | null
    register_id: string | null
    number: number | null
    code_number: string | null
    code_notation: string | null
    issued_on: string | null
    issued_at: Date | null
    issued_by: string | null
    issued_by_name: string | null
    signed_file_name: string | null
    signed_object_key: string | null
    signed_sha256: string | null
    signed_size: number | null
    created_at: Date
    updated_at: Date
    /** The issued document this one replaces, and what became of an issued one (migration 0027). */
    replaces: Generated<string | null>
    withdrawn: Generated<'recalled' | 'replaced' | null>
    withdrawn_at: Generated<Date | null>
    withdrawn_reason: Generated<string | null>
    replaced_by: Generated<string | null>
  }
  outgoing_versions: {
    id: Generated<string>
    outgoing_id: string
    version: number
    fields: ColumnType<VersionFields, string, string>
    file_name: string | null
    mime: string | null
    size: number | null
    sha256: string | null
    object_key: string | null
    note: string | null
    created_by: string | null
    created_by_name: string
    created_at: Date
  }
  outgoing_comments: {
    id: Generated<string>
    outgoing_id: string
    version: number
    author_id: string | null
    author_name: string
    body: string
    created_at: Date
  }
  outgoing_recipients: {
    id: Generated<string>
    outgoing_id: string
    kind: RecipientKind
    unit_id: string | null
    agency_code: string | null
    name: string
    status: RecipientStatus
    document_id: string | null
    delivered_at: Date | null
    /** How an agency outside the platform gets it, and the last status it sent back (migration 0027). */
    channel: Generated<'lgsp' | 'download' | null>
    exchange_status: Generated<string | null>
    exchange_note: Generated<string | null>
    exchange_at: Generated<Date | null>
  }
  outgoing_steps: {
    id: Generated<string>
    outgoing_id: string
    round: number
    position: number
    user_id: string
    user_name: string
    kind: StepKind
    status: StepStatus
    note: string | null
    forwarded_from: string | null
    acted_at: Date | null
  }
  outgoing_history: {
    id: Generated<number>
    outgoing_id: string
    seq: number
    action: string
    actor_id: string | null
    actor_name: string | null
    note: string | null
    details: ColumnType<Record<string, unknown>, string | undefined, never>
    at: Date
  }
  /** Packages for agencies outside the platform waiting to go over the LGSP (migration 0027). */
  document_exchange_outbox: {
    id: Generated<number>
    outgoing_id: string
    recipient_id: string
    agency_code: string
    business_type: number
    reason: string | null
    document_key: string
    state: 'queued' | 'sent' | 'unreachable' | 'failed'
    topic: string | null
    event_id: string | null
    attempts: Generated<number>
    last_error: string | null
    created_at: Date
    sent_at: Date | null
  }
}
