-- LGSP circuit breakers shared by every server process: the process that opens a service's circuit writes it here,
-- the others read it with the registry (every few seconds) and stop calling the provider too; the process whose
-- probe succeeds removes it. See src/modules/lgsp/README.md ("Upstream health, circuit breaker").
CREATE TABLE lgsp_service_circuits (
  service_id uuid        PRIMARY KEY REFERENCES lgsp_services (id) ON DELETE CASCADE,
  open_until timestamptz NOT NULL,
  reason     text        NOT NULL CHECK (length(reason) <= 200),
  opened_at  timestamptz NOT NULL
);
