-- Official documents, continued: the text of attached PDFs for full-text search, work files (hồ sơ công
-- việc) handed to the archive, and paperless meetings (họp không giấy).

-- Text of attached PDFs, extracted by a background job (queue `documents.extract-text`) after the upload
-- commits. `not_applicable` for files that are not PDFs; `no_text` for a PDF without a text layer (a scan:
-- there is no OCR); `failed` keeps the reason. The text itself is in its own table, so listing files never
-- reads it.
ALTER TABLE document_files
  ADD COLUMN text_state text NOT NULL DEFAULT 'not_applicable'
    CHECK (text_state IN ('not_applicable', 'pending', 'extracted', 'no_text', 'failed')),
  ADD COLUMN text_pages integer,
  ADD COLUMN text_error text,
  ADD COLUMN text_extracted_at timestamptz;

CREATE TABLE document_file_texts (
  file_id     uuid PRIMARY KEY REFERENCES document_files (id),
  document_id uuid NOT NULL REFERENCES documents (id),
  content     text NOT NULL
);
CREATE INDEX document_file_texts_document ON document_file_texts (document_id);

-- Per document with extracted text: its metadata words (`documents.search`) and the words of all its
-- extracted files, folded like `search`, so one query word may be in the summary and another in the PDF.
-- Rewritten by the extraction job; documents without text have no row and are found by `search` alone.
CREATE TABLE document_texts (
  document_id uuid PRIMARY KEY REFERENCES documents (id),
  search      tsvector NOT NULL,
  updated_at  timestamptz NOT NULL
);
CREATE INDEX document_texts_search ON document_texts USING gin (search);

-- PDFs attached before this migration are extracted too, once a process with the handler runs.
UPDATE document_files SET text_state = 'pending' WHERE mime = 'application/pdf';
INSERT INTO jobs (queue, payload, singleton_key)
  SELECT 'documents.extract-text', jsonb_build_object('fileId', id), 'file:' || id
  FROM document_files WHERE mime = 'application/pdf';

-- Work files (hồ sơ công việc, NĐ 30/2020/NĐ-CP): per unit and year, with a code (số và ký hiệu hồ sơ), a
-- title, the official who keeps it and how long it is kept. open → closed (kết thúc) → archived (nộp lưu,
-- no more changes); a closed file may be reopened before it is archived.
CREATE TABLE work_files (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  unit_id         uuid NOT NULL REFERENCES org_units (id),
  year            smallint NOT NULL CHECK (year BETWEEN 2000 AND 2200),
  code            text NOT NULL CHECK (length(code) BETWEEN 1 AND 50),
  title           text NOT NULL CHECK (length(title) BETWEEN 2 AND 500),
  keeper_id       uuid NOT NULL REFERENCES users (id),
  keeper_name     text NOT NULL,
  -- Thời hạn bảo quản: permanent (vĩnh viễn), or a number of years.
  retention_years smallint CHECK (retention_years BETWEEN 1 AND 99),
  permanent       boolean NOT NULL,
  status          text NOT NULL CHECK (status IN ('open', 'closed', 'archived')),
  opened_on       date NOT NULL,
  closed_on       date,
  archived_at     timestamptz,
  -- Measured when the file is closed (see the module README): how many documents it held and how many of
  -- them were handled electronically; processed_electronically is all of them (and at least one).
  documents_count integer,
  electronic_count integer,
  processed_electronically boolean,
  note            text,
  created_by      uuid REFERENCES users (id),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (unit_id, year, code),
  CHECK (permanent = (retention_years IS NULL)),
  CHECK ((status = 'open') = (closed_on IS NULL)),
  CHECK ((status = 'archived') = (archived_at IS NOT NULL))
);
CREATE INDEX work_files_unit_year ON work_files (unit_id, year, code);
CREATE INDEX work_files_year_status ON work_files (year, status, unit_id);

-- Documents filed in a work file: an incoming document (`documents`) or an outgoing one
-- (`outgoing_documents`, migration 0023); each is filed once per unit.
CREATE TABLE work_file_documents (
  id            bigserial PRIMARY KEY,
  work_file_id  uuid NOT NULL REFERENCES work_files (id),
  document_id   uuid REFERENCES documents (id),
  outgoing_id   uuid REFERENCES outgoing_documents (id),
  unit_id       uuid NOT NULL REFERENCES org_units (id),
  added_by      uuid REFERENCES users (id),
  added_by_name text,
  added_at      timestamptz NOT NULL,
  CHECK ((document_id IS NULL) <> (outgoing_id IS NULL))
);
CREATE INDEX work_file_documents_file ON work_file_documents (work_file_id);
CREATE UNIQUE INDEX work_file_documents_incoming ON work_file_documents (unit_id, document_id)
  WHERE document_id IS NOT NULL;
CREATE UNIQUE INDEX work_file_documents_outgoing ON work_file_documents (unit_id, outgoing_id)
  WHERE outgoing_id IS NOT NULL;

-- Every step of a work file, never edited.
CREATE TABLE work_file_history (
  id           bigserial PRIMARY KEY,
  work_file_id uuid NOT NULL REFERENCES work_files (id),
  seq          integer NOT NULL,
  action       text NOT NULL,
  actor_id     uuid,
  actor_name   text,
  note         text,
  details      jsonb NOT NULL DEFAULT '{}'::jsonb,
  at           timestamptz NOT NULL,
  UNIQUE (work_file_id, seq)
);

-- Paperless meetings: organised by an official of a unit, chaired by an official, with invited officials;
-- only they see the meeting and its documents.
CREATE TABLE meetings (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  unit_id        uuid NOT NULL REFERENCES org_units (id),
  title          text NOT NULL CHECK (length(title) BETWEEN 2 AND 500),
  starts_at      timestamptz NOT NULL,
  ends_at        timestamptz,
  place          text NOT NULL CHECK (length(place) BETWEEN 2 AND 300),
  video_url      text CHECK (video_url ~ '^https://'),
  chair_id       uuid NOT NULL REFERENCES users (id),
  chair_name     text NOT NULL,
  organiser_id   uuid NOT NULL REFERENCES users (id),
  organiser_name text NOT NULL,
  status         text NOT NULL CHECK (status IN ('scheduled', 'held', 'cancelled')),
  minutes        text,
  minutes_by     text,
  minutes_at     timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  CHECK (ends_at IS NULL OR ends_at > starts_at)
);

CREATE TABLE meeting_attendees (
  meeting_id   uuid NOT NULL REFERENCES meetings (id),
  user_id      uuid NOT NULL REFERENCES users (id),
  name         text NOT NULL,
  response     text NOT NULL CHECK (response IN ('pending', 'accepted', 'declined')),
  response_note text,
  responded_at timestamptz,
  PRIMARY KEY (meeting_id, user_id)
);
CREATE INDEX meeting_attendees_user ON meeting_attendees (user_id, meeting_id);

CREATE TABLE meeting_agenda_items (
  meeting_id uuid NOT NULL REFERENCES meetings (id),
  position   smallint NOT NULL,
  title      text NOT NULL CHECK (length(title) BETWEEN 2 AND 500),
  presenter  text,
  PRIMARY KEY (meeting_id, position)
);

-- A meeting's documents: a file uploaded for the meeting (object store), or a link to a registered document.
CREATE TABLE meeting_documents (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  meeting_id  uuid NOT NULL REFERENCES meetings (id),
  position    smallint NOT NULL,
  title       text NOT NULL,
  document_id uuid REFERENCES documents (id),
  file_name   text,
  mime        text,
  size        bigint,
  sha256      text,
  object_key  text,
  scanned     boolean,
  added_by    uuid REFERENCES users (id),
  added_at    timestamptz NOT NULL,
  UNIQUE (meeting_id, position),
  CHECK ((document_id IS NULL) <> (object_key IS NULL))
);
CREATE UNIQUE INDEX meeting_documents_linked ON meeting_documents (meeting_id, document_id)
  WHERE document_id IS NOT NULL;

CREATE TABLE meeting_history (
  id         bigserial PRIMARY KEY,
  meeting_id uuid NOT NULL REFERENCES meetings (id),
  seq        integer NOT NULL,
  action     text NOT NULL,
  actor_id   uuid,
  actor_name text,
  note       text,
  details    jsonb NOT NULL DEFAULT '{}'::jsonb,
  at         timestamptz NOT NULL,
  UNIQUE (meeting_id, seq)
);
