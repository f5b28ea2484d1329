-- Synchronisation of dossiers with the national public-service portal (Cổng DVC quốc gia).
-- See src/modules/national-sync/README.md.

-- What the portal has been told about each dossier: the first sync (DongBoHoSoMC) and the last status sent.
CREATE TABLE national_sync_dossiers (
  code             text PRIMARY KEY,
  first_synced_at  timestamptz NOT NULL DEFAULT now(),
  last_status      integer NOT NULL CHECK (last_status BETWEEN 1 AND 10),
  last_position    bigint NOT NULL,
  last_synced_at   timestamptz NOT NULL DEFAULT now(),
  calls            integer NOT NULL DEFAULT 0
);

-- Every call made to the portal, successful or not, for the administrators' status page.
CREATE TABLE national_sync_calls (
  id           bigserial PRIMARY KEY,
  dossier_code text NOT NULL,
  service      text NOT NULL,
  http_status  integer,
  ok           boolean NOT NULL,
  error        text,
  duration_ms  integer NOT NULL,
  at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX national_sync_calls_at ON national_sync_calls (at DESC);
CREATE INDEX national_sync_calls_dossier ON national_sync_calls (dossier_code, id);
