-- An online application in progress: kept between visits, one per applicant and procedure.
CREATE TABLE dossier_drafts (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  procedure_code text NOT NULL,
  unit_id        uuid REFERENCES org_units (id),
  data           jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, procedure_code)
);
