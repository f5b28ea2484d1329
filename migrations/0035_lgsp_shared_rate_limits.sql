-- LGSP rate limits shared by every server process: each process leases calls from a client system's quota for
-- the current minute here, then counts them down in memory. See src/modules/lgsp/README.md ("Rate limit").
CREATE TABLE lgsp_rate_usage (
  subsystem_id uuid        NOT NULL REFERENCES lgsp_subsystems (id) ON DELETE CASCADE,
  window_start timestamptz NOT NULL,
  -- Calls leased to processes in this minute, never above the limit at the time of leasing.
  used         integer     NOT NULL CHECK (used >= 0),
  -- What the last lease granted (the statement's answer: the SET reads the row as it was before).
  granted      integer     NOT NULL CHECK (granted >= 0),
  PRIMARY KEY (subsystem_id, window_start)
);
