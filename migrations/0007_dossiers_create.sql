-- Dossiers (hồ sơ thủ tục hành chính) and their history.
-- Codes follow TT 01/2018 Art. 19: <agency code>-<YYMMDD>-<NNNN>, a four-digit sequence per agency per day.
-- The counter row is taken with an upsert, which PostgreSQL serialises on the row: parallel submissions
-- can never draw the same number.
CREATE TABLE dossier_counters (
  agency_code text NOT NULL,
  day         date NOT NULL,
  last        integer NOT NULL,
  PRIMARY KEY (agency_code, day)
);

CREATE TABLE dossiers (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  code              text NOT NULL UNIQUE CHECK (code ~ '^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}-[0-9]{6}-[0-9]{4}$'),
  procedure_id      uuid NOT NULL REFERENCES procedures (id),
  procedure_code    text NOT NULL,
  procedure_name    text NOT NULL,
  workflow          text NOT NULL,
  unit_id           uuid NOT NULL REFERENCES org_units (id),
  channel           text NOT NULL CHECK (channel IN ('online', 'counter', 'post')),
  status            text NOT NULL,
  step              smallint NOT NULL DEFAULT 0,
  applicant_user_id uuid REFERENCES users (id),
  applicant_name    text NOT NULL,
  applicant_id_no   text,
  applicant_phone   text,
  applicant_email   text,
  applicant_address text,
  form_data         jsonb NOT NULL DEFAULT '{}'::jsonb,
  rule_version      text NOT NULL,
  processing_days   integer NOT NULL,
  received_at       timestamptz NOT NULL,
  counts_from       date NOT NULL,
  due_at            timestamptz NOT NULL,
  step_started_at   timestamptz NOT NULL,
  paused_at         timestamptz,
  extended          boolean NOT NULL DEFAULT false,
  finished_at       timestamptz,
  created_by        uuid REFERENCES users (id),
  idempotency_key   text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
-- A retried create with the same key finds the first dossier instead of making a second.
CREATE UNIQUE INDEX dossiers_idempotency ON dossiers (created_by, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX dossiers_queue ON dossiers (unit_id, due_at) WHERE finished_at IS NULL;
CREATE INDEX dossiers_applicant ON dossiers (applicant_user_id, received_at DESC);
CREATE INDEX dossiers_unit_received ON dossiers (unit_id, received_at DESC);

-- The control slip (Phiếu kiểm soát quá trình): one row per action, never edited.
CREATE TABLE dossier_actions (
  id          bigserial PRIMARY KEY,
  dossier_id  uuid NOT NULL REFERENCES dossiers (id),
  seq         integer NOT NULL,
  action      text NOT NULL,
  from_status text,
  to_status   text NOT NULL,
  from_step   smallint,
  to_step     smallint NOT NULL,
  actor_id    uuid,
  actor_name  text,
  unit_id     uuid,
  note        text,
  at          timestamptz NOT NULL,
  step_due_at timestamptz,
  on_time     boolean,
  UNIQUE (dossier_id, seq)
);
