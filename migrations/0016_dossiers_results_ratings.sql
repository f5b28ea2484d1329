-- Results (kết quả giải quyết) of dossiers: an electronic result signed by the unit, which the applicant downloads
-- and keeps in their data store, or the scan of a paper result (digitisation of results, NĐ 61/2018 Điều 20 k.5).
-- Each names the dossier and the procedure it belongs to, and how long it stays valid.
CREATE TABLE dossier_results (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  dossier_id     uuid NOT NULL REFERENCES dossiers (id),
  dossier_code   text NOT NULL,
  procedure_code text NOT NULL,
  kind           text NOT NULL CHECK (kind IN ('electronic', 'scan')),
  title          text NOT NULL,
  file_name      text NOT NULL,
  mime           text NOT NULL,
  size           bigint NOT NULL CHECK (size > 0),
  sha256         text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  object_key     text NOT NULL,
  signed         boolean NOT NULL,
  valid_until    date,
  issued_by      uuid REFERENCES users (id),
  issued_at      timestamptz NOT NULL,
  withdrawn_at   timestamptz
);
CREATE INDEX dossier_results_dossier ON dossier_results (dossier_id, issued_at);

-- The applicant's rating of how the dossier was handled, on the per-dossier criteria of TT 01/2018 Điều 13–14
-- (each scored 0, 1 or 2), once per dossier.
CREATE TABLE dossier_ratings (
  dossier_id  uuid PRIMARY KEY REFERENCES dossiers (id),
  unit_id     uuid NOT NULL,
  scores      jsonb NOT NULL,
  total       smallint NOT NULL,
  max         smallint NOT NULL,
  comment     text,
  rated_by    uuid NOT NULL REFERENCES users (id),
  rated_at    timestamptz NOT NULL
);
CREATE INDEX dossier_ratings_unit ON dossier_ratings (unit_id, rated_at);
