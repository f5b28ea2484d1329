-- Org units of the province: the People's Committee, departments, (until 30/6/2025) districts, communes
-- and wards. valid_from/valid_to let the plan-era structure and the 2025 two-level structure coexist.
CREATE TABLE org_units (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  parent_id       uuid REFERENCES org_units (id),
  -- '/<root id>/…/<own id>/': subtree checks are a prefix match, no recursive query per request.
  path            text NOT NULL UNIQUE,
  key             text UNIQUE,
  name            text NOT NULL CHECK (length(name) BETWEEN 2 AND 200),
  short_name      text,
  type            text NOT NULL CHECK (type IN ('province_committee', 'department', 'district_committee',
                                                'commune_committee', 'ward_committee', 'office')),
  level           smallint NOT NULL CHECK (level BETWEEN 1 AND 4),
  agency_code     text CHECK (agency_code ~ '^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$'),
  admin_unit_code text CHECK (admin_unit_code ~ '^([0-9]{2}|[0-9]{3}|[0-9]{5})$'),
  valid_from      date NOT NULL,
  valid_to        date,
  is_sample       boolean NOT NULL DEFAULT false,
  require_totp    boolean NOT NULL DEFAULT false,
  source          text,
  -- Fingerprint of the values the seed file last wrote. A row that no longer matches it was changed by
  -- an official, and a later seed (run at every start) leaves that change alone.
  seed_hash       text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (valid_to IS NULL OR valid_to >= valid_from),
  CHECK ((parent_id IS NULL) = (type = 'province_committee'))
);
CREATE UNIQUE INDEX org_units_agency_code ON org_units (agency_code) WHERE agency_code IS NOT NULL;
-- One province, one root: the service checks first, this index settles a race between two requests.
CREATE UNIQUE INDEX org_units_single_root ON org_units ((parent_id IS NULL)) WHERE parent_id IS NULL;
CREATE INDEX org_units_parent ON org_units (parent_id, name);
CREATE INDEX org_units_path ON org_units (path text_pattern_ops);
CREATE INDEX org_units_name_search ON org_units USING gin (f_unaccent(name) gin_trgm_ops);
