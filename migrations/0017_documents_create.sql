-- Official documents (văn bản): registers with their numbering, incoming documents with attachments,
-- assignment and processing with a history, and the edXML status messages (QCVN 102:2016) waiting to be
-- sent back to the sender.

-- The records clerk (văn thư) registers incoming documents.
ALTER TABLE role_assignments DROP CONSTRAINT role_assignments_role_check;
ALTER TABLE role_assignments ADD CONSTRAINT role_assignments_role_check
  CHECK (role IN ('citizen', 'receiving_officer', 'specialist', 'unit_leader', 'unit_admin', 'system_admin',
                  'clerk'));

-- Types of documents as data. The 29 administrative types in the order of NĐ 30/2020/NĐ-CP Điều 7 khoản 2,
-- abbreviations from its Phụ lục III. edxml_type is the position in that list: it is what edXML
-- DocumentType/Type carries (one national SDK sends 18 for Công văn, which is its position here); the
-- official code table is not published, so an import matches the type by name first.
CREATE TABLE document_types (
  code         text PRIMARY KEY CHECK (code ~ '^[a-z0-9-]{2,40}$'),
  name         text NOT NULL UNIQUE,
  abbreviation text,
  edxml_type   smallint UNIQUE,
  kind         text NOT NULL CHECK (kind IN ('administrative', 'normative')),
  sort         smallint NOT NULL
);
INSERT INTO document_types (code, name, abbreviation, edxml_type, kind, sort) VALUES
  ('nghi-quyet', 'Nghị quyết', 'NQ', 1, 'administrative', 1),
  ('quyet-dinh', 'Quyết định', 'QĐ', 2, 'administrative', 2),
  ('chi-thi', 'Chỉ thị', 'CT', 3, 'administrative', 3),
  ('quy-che', 'Quy chế', 'QC', 4, 'administrative', 4),
  ('quy-dinh', 'Quy định', 'QyĐ', 5, 'administrative', 5),
  ('thong-cao', 'Thông cáo', 'TC', 6, 'administrative', 6),
  ('thong-bao', 'Thông báo', 'TB', 7, 'administrative', 7),
  ('huong-dan', 'Hướng dẫn', 'HD', 8, 'administrative', 8),
  ('chuong-trinh', 'Chương trình', 'CTr', 9, 'administrative', 9),
  ('ke-hoach', 'Kế hoạch', 'KH', 10, 'administrative', 10),
  ('phuong-an', 'Phương án', 'PA', 11, 'administrative', 11),
  ('de-an', 'Đề án', 'ĐA', 12, 'administrative', 12),
  ('du-an', 'Dự án', 'DA', 13, 'administrative', 13),
  ('bao-cao', 'Báo cáo', 'BC', 14, 'administrative', 14),
  ('bien-ban', 'Biên bản', 'BB', 15, 'administrative', 15),
  ('to-trinh', 'Tờ trình', 'TTr', 16, 'administrative', 16),
  ('hop-dong', 'Hợp đồng', 'HĐ', 17, 'administrative', 17),
  ('cong-van', 'Công văn', NULL, 18, 'administrative', 18),
  ('cong-dien', 'Công điện', 'CĐ', 19, 'administrative', 19),
  ('ban-ghi-nho', 'Bản ghi nhớ', 'BGN', 20, 'administrative', 20),
  ('ban-thoa-thuan', 'Bản thỏa thuận', 'BTT', 21, 'administrative', 21),
  ('giay-uy-quyen', 'Giấy ủy quyền', 'UQ', 22, 'administrative', 22),
  ('giay-moi', 'Giấy mời', 'GM', 23, 'administrative', 23),
  ('giay-gioi-thieu', 'Giấy giới thiệu', 'GGT', 24, 'administrative', 24),
  ('giay-nghi-phep', 'Giấy nghỉ phép', 'NP', 25, 'administrative', 25),
  ('phieu-gui', 'Phiếu gửi', 'PG', 26, 'administrative', 26),
  ('phieu-chuyen', 'Phiếu chuyển', 'PC', 27, 'administrative', 27),
  ('phieu-bao', 'Phiếu báo', 'PB', 28, 'administrative', 28),
  ('thu-cong', 'Thư công', NULL, 29, 'administrative', 29),
  -- Legal normative documents arrive too (Luật Ban hành văn bản quy phạm pháp luật); no edXML code known.
  ('luat', 'Luật', NULL, NULL, 'normative', 40),
  ('phap-lenh', 'Pháp lệnh', NULL, NULL, 'normative', 41),
  ('nghi-dinh', 'Nghị định', 'NĐ', NULL, 'normative', 42),
  ('thong-tu', 'Thông tư', 'TT', NULL, 'normative', 43),
  ('thong-tu-lien-tich', 'Thông tư liên tịch', 'TTLT', NULL, 'normative', 44);

-- Registers (sổ đăng ký văn bản) per unit and year; one of them is the default a registration falls into.
CREATE TABLE document_registers (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  unit_id    uuid NOT NULL REFERENCES org_units (id),
  year       smallint NOT NULL CHECK (year BETWEEN 2000 AND 2200),
  direction  text NOT NULL CHECK (direction IN ('incoming')),
  name       text NOT NULL CHECK (length(name) BETWEEN 2 AND 200),
  is_default boolean NOT NULL DEFAULT false,
  created_by uuid REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (unit_id, year, direction, name)
);
CREATE UNIQUE INDEX document_registers_default ON document_registers (unit_id, year, direction) WHERE is_default;

-- The last number drawn in a register. The upsert runs inside the registration's transaction and holds the
-- row until it commits: a registration that fails gives its number back, so numbers have no gaps.
CREATE TABLE document_counters (
  register_id uuid PRIMARY KEY REFERENCES document_registers (id),
  last        integer NOT NULL
);

CREATE TABLE documents (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  direction         text NOT NULL CHECK (direction IN ('incoming')),
  unit_id           uuid NOT NULL REFERENCES org_units (id),
  register_id       uuid NOT NULL REFERENCES document_registers (id),
  -- Số đến: the number in the register.
  number            integer NOT NULL CHECK (number > 0),
  received_at       timestamptz NOT NULL,
  source            text NOT NULL CHECK (source IN ('paper', 'electronic', 'edxml')),
  -- Số and ký hiệu as the issuer wrote them: "123" and "UBND-VP" for 123/UBND-VP.
  code_number       text NOT NULL CHECK (length(code_number) BETWEEN 1 AND 20),
  code_notation     text NOT NULL CHECK (length(code_notation) BETWEEN 1 AND 100),
  issued_on         date NOT NULL,
  issue_place       text,
  issuer_name       text NOT NULL CHECK (length(issuer_name) BETWEEN 2 AND 300),
  issuer_code       text CHECK (issuer_code ~ '^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$'),
  type_code         text NOT NULL REFERENCES document_types (code),
  -- Trích yếu.
  summary           text NOT NULL CHECK (length(summary) BETWEEN 2 AND 2000),
  content           text,
  signer_name       text,
  signer_position   text,
  signer_competence text,
  urgency           text NOT NULL CHECK (urgency IN ('normal', 'urgent', 'very_urgent', 'flash')),
  confidentiality   text NOT NULL CHECK (confidentiality IN ('normal', 'confidential', 'secret', 'top_secret')),
  -- Confidential and urgent documents are shown only to their assignees and the unit's leaders.
  restricted        boolean GENERATED ALWAYS AS (urgency <> 'normal' OR confidentiality <> 'normal') STORED,
  due_on            date,
  status            text NOT NULL CHECK (status IN ('registered', 'assigned', 'in_progress', 'completed')),
  completed_at      timestamptz,
  -- Issuer (agency code, or its name without diacritics), number/notation and date of issue, normalised:
  -- the same key in the same unit means the same document arrived twice.
  dedupe_key        text NOT NULL,
  -- Set when the clerk confirmed that a look-alike of this earlier registration is a different document.
  duplicate_of      uuid REFERENCES documents (id),
  -- The edXML header fields that have no column (recipients, places, other info, responses, steering
  -- type, DocumentId), kept so an export gives back the envelope that arrived.
  edxml             jsonb,
  created_by        uuid REFERENCES users (id),
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  -- Search without diacritics; punctuation splits words, so 123/UBND-VP is found by "123", "ubnd" or "vp".
  search            tsvector GENERATED ALWAYS AS (
                      to_tsvector('simple', regexp_replace(f_unaccent(
                        code_number || ' ' || code_notation || ' ' || summary || ' ' || issuer_name || ' ' ||
                        coalesce(issuer_code, '')), '[^a-z0-9]+', ' ', 'g'))) STORED,
  UNIQUE (register_id, number)
);
CREATE INDEX documents_search ON documents USING gin (search);
CREATE INDEX documents_unit_received ON documents (unit_id, received_at DESC, id DESC);
CREATE INDEX documents_dedupe ON documents (unit_id, dedupe_key);
CREATE INDEX documents_unassigned ON documents (unit_id, due_on) WHERE status = 'registered';

-- Attachments: scans of paper documents or the electronic files themselves; the bytes are in the object store.
CREATE TABLE document_files (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  document_id uuid NOT NULL REFERENCES documents (id),
  position    smallint NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('scan', 'electronic')),
  file_name   text NOT NULL,
  description text,
  -- The edXML attachment's ContentId (without "cid:"): kept so an export names the file as it arrived.
  content_id  text NOT NULL,
  mime        text NOT NULL,
  size        bigint NOT NULL CHECK (size > 0),
  sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  object_key  text NOT NULL,
  scanned     boolean NOT NULL,
  uploaded_by uuid REFERENCES users (id),
  uploaded_at timestamptz NOT NULL,
  UNIQUE (document_id, position)
);

-- Who handles a document: a unit or a person, as lead (chủ trì) or supporting (phối hợp), by a deadline.
CREATE TABLE document_assignments (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  document_id      uuid NOT NULL REFERENCES documents (id),
  assignee_unit_id uuid REFERENCES org_units (id),
  assignee_user_id uuid REFERENCES users (id),
  -- The unit's or person's name when assigned, for the history.
  assignee_name    text NOT NULL,
  role             text NOT NULL CHECK (role IN ('lead', 'support')),
  due_at           timestamptz,
  note             text,
  status           text NOT NULL CHECK (status IN ('open', 'forwarded', 'completed', 'closed')),
  forwarded_from   uuid REFERENCES document_assignments (id),
  assigned_by      uuid REFERENCES users (id),
  assigned_by_name text,
  assigned_at      timestamptz NOT NULL,
  reported_at      timestamptz,
  finished_at      timestamptz,
  CHECK ((assignee_unit_id IS NULL) <> (assignee_user_id IS NULL))
);
CREATE INDEX document_assignments_document ON document_assignments (document_id);
CREATE INDEX document_assignments_user ON document_assignments (assignee_user_id, due_at) WHERE status = 'open';
CREATE INDEX document_assignments_unit ON document_assignments (assignee_unit_id, due_at) WHERE status = 'open';
-- Visibility: anyone ever assigned (also after forwarding or finishing) keeps reading the document.
CREATE INDEX document_assignments_visible ON document_assignments (assignee_user_id, document_id);

-- The document's history: every step, never edited.
CREATE TABLE document_history (
  id            bigserial PRIMARY KEY,
  document_id   uuid NOT NULL REFERENCES documents (id),
  seq           integer NOT NULL,
  action        text NOT NULL,
  assignment_id uuid REFERENCES document_assignments (id),
  actor_id      uuid,
  actor_name    text,
  note          text,
  details       jsonb NOT NULL DEFAULT '{}'::jsonb,
  at            timestamptz NOT NULL,
  UNIQUE (document_id, seq)
);

-- edXML status messages (01 arrived … 06 completed) for the sender of a document received as edXML,
-- written with the change they report; delivery over the LGSP reads the unsent ones. Each status is
-- reported once per document.
CREATE TABLE document_status_messages (
  id          bigserial PRIMARY KEY,
  document_id uuid NOT NULL REFERENCES documents (id),
  to_organ_id text NOT NULL,
  status_code text NOT NULL CHECK (status_code ~ '^[0-9]{2}$'),
  description text NOT NULL,
  xml         text NOT NULL,
  created_at  timestamptz NOT NULL,
  sent_at     timestamptz,
  attempts    integer NOT NULL DEFAULT 0,
  last_error  text,
  UNIQUE (document_id, status_code)
);
CREATE INDEX document_status_messages_unsent ON document_status_messages (created_at) WHERE sent_at IS NULL;
