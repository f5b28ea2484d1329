import type { ColumnType, Generated } from 'kysely'
import type {
  AssignmentRole,
  AssignmentStatus,
  Confidentiality,
  DocumentStatus,
  Source,
  Urgency,
} from './document-rules.js'
import type { OcrState } from './document-text-ocr.js'
import type { EdxmlSignature } from './edxml-signature.js'
import type { EdxmlOrgan, EdxmlResponseFor } from './edxml.js'

/** Where extracting an attachment's text stands: only PDFs are read, scans without a text layer have none. */
export type TextState = 'not_applicable' | 'pending' | 'extracted' | 'no_text' | 'failed'

/** The edXML header fields without a column of their own, kept for re-export. */
export type EdxmlExtra = {
  documentId: string
  from: EdxmlOrgan
  to: EdxmlOrgan[]
  typeCode: number
  toPlaces: string[]
  sphereOfPromulgation: string
  typerNotation: string
  promulgationAmount: number | null
  pageAmount: number | null
  appendixes: string[]
  responseFor: EdxmlResponseFor[]
  steeringType: number
  /** The package's XML signature as checked on arrival (absent for documents received before the check). */
  signature?: EdxmlSignature
}

export type DocumentTables = {
  document_types: {
    code: string
    name: string
    abbreviation: string | null
    edxml_type: number | null
    kind: 'administrative' | 'normative'
    sort: number
  }
  document_registers: {
    id: Generated<string>
    unit_id: string
    year: number
    direction: 'incoming'
    name: string
    is_default: Generated<boolean>
    created_by: string | null
    created_at: Generated<Date>
  }
  document_counters: { register_id: string; last: number }
  documents: {
    id: Generated<string>
    direction: 'incoming'
    unit_id: string
    register_id: string
    number: number
    received_at: Date
    source: Source
    code_number: string
    code_notation: string
    issued_on: string
    issue_place: string | null
    issuer_name: string
    issuer_code: string | null
    type_code: string
    summary: string
    content: string | null
    signer_name: string | null
    signer_position: string | null
    signer_competence: string | null
    urgency: Urgency
    confidentiality: Confidentiality
    restricted: ColumnType<boolean, never, never>
    due_on: string | null
    status: DocumentStatus
    completed_at: Date | null
    dedupe_key: string
    duplicate_of: string | null
    edxml: ColumnType<EdxmlExtra | null, string | null, string | null>
    created_by: string | null
    created_at: Generated<Date>
    updated_at: Generated<Date>
    /** Recalled or replaced by the sender (migration 0027, `edxml-amendments.ts`). */
    withdrawn_at: Generated<Date | null>
    withdrawn_reason: Generated<string | null>
    replaced_by: Generated<string | null>
    /** Last updated by the sender (BussinessDocType 2). */
    amended_at: Generated<Date | null>
    amended_reason: Generated<string | null>
  }
  document_files: {
    id: Generated<string>
    document_id: string
    position: number
    kind: 'scan' | 'electronic'
    file_name: string
    description: string | null
    content_id: string
    mime: string
    size: number
    sha256: string
    object_key: string
    scanned: boolean
    uploaded_by: string | null
    uploaded_at: Date
    /** Extraction of a PDF's text for search (migration 0024, `document-text.ts`). */
    text_state: Generated<TextState>
    text_pages: Generated<number | null>
    text_error: Generated<string | null>
    text_extracted_at: Generated<Date | null>
    /** OCR of the pages without a text layer (migration 0033, `document-text-ocr.ts`); null when none lacked one. */
    text_ocr: Generated<OcrState | null>
    text_scanned_pages: Generated<number | null>
    text_ocr_pages: Generated<number | null>
  }
  document_assignments: {
    id: Generated<string>
    document_id: string
    assignee_unit_id: string | null
    assignee_user_id: string | null
    assignee_name: string
    role: AssignmentRole
    due_at: Date | null
    note: string | null
    status: AssignmentStatus
    forwarded_from: string | null
    assigned_by: string | null
    assigned_by_name: string | null
    assigned_at: Date
    reported_at: Date | null
    finished_at: Date | null
    /** The document's received_at, copied by a trigger for search (migration 0028). */
    document_received_at: ColumnType<Date, never, never>
    /** The document's unit, copied by the same trigger. */
    document_unit_id: ColumnType<string, never, never>
  }
  /** The text extracted from one attached PDF (migration 0024). */
  document_file_texts: { file_id: string; document_id: string; content: string }
  /** Metadata and file words of a document with extracted text, for search (migration 0024). */
  document_texts: {
    document_id: string
    search: ColumnType<string, never, never>
    updated_at: Date
    /** The document's unit, copied by a trigger for search (migration 0028). */
    unit_id: ColumnType<string, never, never>
  }
  document_history: {
    id: Generated<number>
    document_id: string
    seq: number
    action: string
    assignment_id: string | null
    actor_id: string | null
    actor_name: string | null
    note: string | null
    details: ColumnType<Record<string, unknown>, string | undefined, never>
    at: Date
  }
  document_status_messages: {
    id: Generated<number>
    document_id: string
    to_organ_id: string
    status_code: string
    description: string
    xml: string
    created_at: Date
    sent_at: Date | null
    attempts: Generated<number>
    last_error: string | null
    /** Why the clerk refused the document (status 02); migration 0023. */
    reason: ColumnType<string | null, string | null | undefined, string | null>
    /** The request a 15/16 answers ('' for 01–06) and the pub/sub event that carried it (migration 0027). */
    request: Generated<string>
    event_id: Generated<string | null>
  }
}
