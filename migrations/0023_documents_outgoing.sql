-- Outgoing official documents (văn bản đi): drafts with versions and comments, the approval chain, the
-- outgoing register with its numbering, the signed original, and dispatch to recipients inside the platform
-- (straight into their incoming register) or outside it (edXML package). Incoming documents may now also
-- arrive from another unit of the platform (source 'internal') and be refused by the clerk (status 02).

ALTER TABLE documents DROP CONSTRAINT documents_source_check;
ALTER TABLE documents ADD CONSTRAINT documents_source_check
  CHECK (source IN ('paper', 'electronic', 'edxml', 'internal'));
ALTER TABLE documents DROP CONSTRAINT documents_status_check;
ALTER TABLE documents ADD CONSTRAINT documents_status_check
  CHECK (status IN ('registered', 'assigned', 'in_progress', 'completed', 'refused'));
-- The status 02 message carries the clerk's reason, which may be longer than a fixed description.
ALTER TABLE document_status_messages ADD COLUMN reason text;

-- Sổ văn bản đi per unit and year (NĐ 30/2020 Điều 15, 16): numbers run from 1 each calendar year.
CREATE TABLE outgoing_registers (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  unit_id    uuid NOT NULL REFERENCES org_units (id),
  year       smallint NOT NULL CHECK (year BETWEEN 2000 AND 2200),
  name       text NOT NULL CHECK (length(name) BETWEEN 2 AND 200),
  is_default boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (unit_id, year, name)
);
CREATE UNIQUE INDEX outgoing_registers_default ON outgoing_registers (unit_id, year) WHERE is_default;

-- Drawn by an upsert inside the issuing transaction: a failed issue gives its number back (no gaps).
CREATE TABLE outgoing_counters (
  register_id uuid PRIMARY KEY REFERENCES outgoing_registers (id),
  last        integer NOT NULL
);

-- The unit's own abbreviation in notations (chữ viết tắt tên cơ quan, NĐ 30/2020 Phụ lục I), when the clerk
-- sets one; otherwise it is derived from the unit's short name.
CREATE TABLE outgoing_unit_settings (
  unit_id      uuid PRIMARY KEY REFERENCES org_units (id),
  abbreviation text NOT NULL CHECK (abbreviation ~ '^[A-ZĐ0-9]{1,20}$'),
  updated_by   uuid REFERENCES users (id),
  updated_at   timestamptz NOT NULL
);

CREATE TABLE outgoing_documents (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  unit_id           uuid NOT NULL REFERENCES org_units (id),
  drafter_id        uuid NOT NULL REFERENCES users (id),
  drafter_name      text NOT NULL,
  type_code         text NOT NULL REFERENCES document_types (code),
  -- Trích yếu.
  summary           text NOT NULL CHECK (length(summary) BETWEEN 2 AND 2000),
  content           text,
  -- The abbreviation of the drafting division or field, for a công văn's notation (e.g. SKHCN-VP).
  division          text CHECK (division ~ '^[A-ZĐ0-9]{1,20}$'),
  urgency           text NOT NULL CHECK (urgency IN ('normal', 'urgent', 'very_urgent', 'flash')),
  confidentiality   text NOT NULL CHECK (confidentiality IN ('normal', 'confidential', 'secret', 'top_secret')),
  -- Hạn trả lời asked of the recipients.
  due_on            date,
  -- The incoming document this one answers (ResponseFor in edXML).
  reply_to          uuid REFERENCES documents (id),
  status            text NOT NULL CHECK (status IN ('draft', 'in_review', 'returned', 'approved', 'issued')),
  version           integer NOT NULL DEFAULT 1,
  -- The round of the approval chain (each submission starts a new one).
  round             integer NOT NULL DEFAULT 0,
  approved_by       uuid REFERENCES users (id),
  signer_name       text,
  signer_position   text,
  signer_competence text,
  approved_at       timestamptz,
  -- Set when the clerk issues it: the register, the number, số/ký hiệu, the date, the signed original.
  register_id       uuid REFERENCES outgoing_registers (id),
  number            integer CHECK (number > 0),
  code_number       text,
  code_notation     text,
  issued_on         date,
  issued_at         timestamptz,
  issued_by         uuid REFERENCES users (id),
  issued_by_name    text,
  signed_file_name  text,
  signed_object_key text,
  signed_sha256     text CHECK (signed_sha256 ~ '^[0-9a-f]{64}$'),
  signed_size       bigint,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  search            tsvector GENERATED ALWAYS AS (
                      to_tsvector('simple', regexp_replace(f_unaccent(
                        coalesce(code_number, '') || ' ' || coalesce(code_notation, '') || ' ' || summary),
                        '[^a-z0-9]+', ' ', 'g'))) STORED,
  UNIQUE (register_id, number),
  CHECK ((status = 'issued') = (number IS NOT NULL))
);
CREATE INDEX outgoing_documents_unit ON outgoing_documents (unit_id, updated_at DESC, id DESC);
CREATE INDEX outgoing_documents_drafter ON outgoing_documents (drafter_id, updated_at DESC);
CREATE INDEX outgoing_documents_register ON outgoing_documents (register_id, number DESC) WHERE number IS NOT NULL;
CREATE INDEX outgoing_documents_reply_to ON outgoing_documents (reply_to) WHERE reply_to IS NOT NULL;
CREATE INDEX outgoing_documents_search ON outgoing_documents USING gin (search);

-- Each edit or upload makes a version; earlier ones stay readable. A version without a new file keeps the
-- previous version's file (the same object).
CREATE TABLE outgoing_versions (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  outgoing_id   uuid NOT NULL REFERENCES outgoing_documents (id),
  version       integer NOT NULL CHECK (version > 0),
  -- What the draft said in this version: type, summary, content, urgency, …
  fields        jsonb NOT NULL,
  file_name     text,
  mime          text,
  size          bigint,
  sha256        text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  object_key    text,
  note          text,
  created_by    uuid REFERENCES users (id),
  created_by_name text NOT NULL,
  created_at    timestamptz NOT NULL,
  UNIQUE (outgoing_id, version)
);

CREATE TABLE outgoing_comments (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  outgoing_id uuid NOT NULL REFERENCES outgoing_documents (id),
  version     integer NOT NULL,
  author_id   uuid REFERENCES users (id),
  author_name text NOT NULL,
  body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
  created_at  timestamptz NOT NULL
);
CREATE INDEX outgoing_comments_document ON outgoing_comments (outgoing_id, created_at);

-- Recipients: a unit of the platform (delivered into its incoming register) or an agency outside it, by its
-- QCVN 102 code (sent as an edXML package).
CREATE TABLE outgoing_recipients (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  outgoing_id   uuid NOT NULL REFERENCES outgoing_documents (id),
  kind          text NOT NULL CHECK (kind IN ('internal', 'external')),
  unit_id       uuid REFERENCES org_units (id),
  agency_code   text CHECK (agency_code ~ '^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$'),
  name          text NOT NULL,
  -- pending → delivered (internal) | packaged (edXML ready) | duplicate (already in their register) | paper
  status        text NOT NULL CHECK (status IN ('pending', 'delivered', 'packaged', 'duplicate', 'paper')),
  document_id   uuid REFERENCES documents (id),
  delivered_at  timestamptz,
  CHECK ((kind = 'internal') = (unit_id IS NOT NULL)),
  CHECK (kind = 'internal' OR agency_code IS NOT NULL)
);
CREATE INDEX outgoing_recipients_document ON outgoing_recipients (outgoing_id);
CREATE UNIQUE INDEX outgoing_recipients_unit ON outgoing_recipients (outgoing_id, unit_id) WHERE unit_id IS NOT NULL;
CREATE UNIQUE INDEX outgoing_recipients_agency ON outgoing_recipients (outgoing_id, agency_code)
  WHERE kind = 'external';
CREATE INDEX outgoing_recipients_delivered ON outgoing_recipients (document_id) WHERE document_id IS NOT NULL;

-- The approval chain: one row per person per round, in order; the first waiting one is the current step.
CREATE TABLE outgoing_steps (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  outgoing_id   uuid NOT NULL REFERENCES outgoing_documents (id),
  round         integer NOT NULL,
  position      integer NOT NULL,
  user_id       uuid NOT NULL REFERENCES users (id),
  user_name     text NOT NULL,
  -- review: gives an opinion and passes it on; approve: the unit leader who approves it for issue.
  kind          text NOT NULL CHECK (kind IN ('review', 'approve')),
  status        text NOT NULL CHECK (status IN ('waiting', 'pending', 'approved', 'returned', 'forwarded', 'cancelled')),
  note          text,
  forwarded_from uuid REFERENCES outgoing_steps (id),
  acted_at      timestamptz
);
-- Not unique: a forward shifts the later steps of the round one place down in a single update.
CREATE INDEX outgoing_steps_document ON outgoing_steps (outgoing_id, round, position);
CREATE INDEX outgoing_steps_user ON outgoing_steps (user_id, outgoing_id);
CREATE INDEX outgoing_steps_pending ON outgoing_steps (user_id) WHERE status = 'pending';

CREATE TABLE outgoing_history (
  id          bigserial PRIMARY KEY,
  outgoing_id uuid NOT NULL REFERENCES outgoing_documents (id),
  seq         integer NOT NULL,
  action      text NOT NULL,
  actor_id    uuid,
  actor_name  text,
  note        text,
  details     jsonb NOT NULL DEFAULT '{}'::jsonb,
  at          timestamptz NOT NULL,
  UNIQUE (outgoing_id, seq)
);
