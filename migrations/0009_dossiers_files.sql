-- Files attached to dossiers: the applicant's documents (thành phần hồ sơ), supplements, and the scans a
-- receiving officer makes of a paper dossier. The bytes live in the object store under object_key; this row
-- is what the platform knows about them. A file belongs to a draft while the citizen is still applying, or
-- to nobody yet when uploaded through the API, and to its dossier once submitted.
CREATE TABLE dossier_files (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  dossier_id     uuid REFERENCES dossiers (id),
  draft_id       uuid REFERENCES dossier_drafts (id) ON DELETE SET NULL,
  owner_id       uuid NOT NULL REFERENCES users (id),
  -- Which required document of the procedure (its position in the list), or null for an extra file.
  document_index smallint,
  document_name  text NOT NULL,
  purpose        text NOT NULL CHECK (purpose IN ('application', 'supplement', 'scan')),
  file_name      text NOT NULL,
  mime           text NOT NULL,
  size           bigint NOT NULL CHECK (size > 0),
  sha256         text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  -- Not unique: a document kept in the citizen's data store can be attached again to a new dossier.
  object_key     text NOT NULL,
  scanned        boolean NOT NULL,
  uploaded_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dossier_files_dossier ON dossier_files (dossier_id, document_index) WHERE dossier_id IS NOT NULL;
CREATE INDEX dossier_files_draft ON dossier_files (draft_id) WHERE draft_id IS NOT NULL;
CREATE INDEX dossier_files_unattached ON dossier_files (owner_id, uploaded_at) WHERE dossier_id IS NULL;
