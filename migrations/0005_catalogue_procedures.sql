-- The catalogue of administrative procedures (thủ tục hành chính). A procedure's rules change with the
-- law, so each row is one version of a national code, valid from a date; the version in force on a day
-- is the one whose [effective_from, effective_to] contains it.
CREATE TABLE procedures (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  code            text NOT NULL CHECK (code ~ '^[0-9]\.[0-9]{6}$'),
  name            text NOT NULL CHECK (length(name) BETWEEN 3 AND 500),
  field           text NOT NULL CHECK (length(field) BETWEEN 2 AND 200),
  online_level    text NOT NULL CHECK (online_level IN ('full', 'partial', 'none')),
  legacy_level    smallint CHECK (legacy_level BETWEEN 1 AND 4),
  processing_days integer NOT NULL CHECK (processing_days BETWEEN 0 AND 3650),
  fee_timing      text NOT NULL CHECK (fee_timing IN ('before_intake', 'before_result', 'none')),
  fees            jsonb NOT NULL DEFAULT '[]'::jsonb,
  documents       jsonb NOT NULL DEFAULT '[]'::jsonb,
  form            jsonb NOT NULL DEFAULT '[]'::jsonb,
  result_type     text,
  legal_basis     jsonb NOT NULL DEFAULT '[]'::jsonb,
  -- Performing units: by type (every commune) and/or named units (one department).
  unit_types      jsonb NOT NULL DEFAULT '[]'::jsonb,
  unit_keys       jsonb NOT NULL DEFAULT '[]'::jsonb,
  workflow        text NOT NULL,
  effective_from  date NOT NULL,
  effective_to    date,
  is_sample       boolean NOT NULL DEFAULT false,
  source_note     text,
  search          tsvector GENERATED ALWAYS AS (
                    to_tsvector('simple', f_unaccent(code || ' ' || name || ' ' || field))) STORED,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (code, effective_from),
  CHECK (effective_to IS NULL OR effective_to >= effective_from)
);
CREATE INDEX procedures_search ON procedures USING gin (search);
CREATE INDEX procedures_name ON procedures (name, code);
CREATE INDEX procedures_field ON procedures (field, name);
CREATE INDEX procedures_unit_types ON procedures USING gin (unit_types);
CREATE INDEX procedures_unit_keys ON procedures USING gin (unit_keys);
