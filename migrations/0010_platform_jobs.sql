-- Job queue, timers and per-consumer outbox cursors: PostgreSQL is the queue, on PGlite and on a server alike.
-- See src/platform/jobs/README.md.

-- One row per unit of background work. `failed` means an attempt failed and the job waits (run_at) for the
-- next one; `dead` means it ran out of attempts and waits for an operator. `max_attempts` null means the
-- handler's own setting.
CREATE TABLE jobs (
  id            bigserial PRIMARY KEY,
  queue         text NOT NULL,
  payload       jsonb NOT NULL DEFAULT '{}'::jsonb,
  state         text NOT NULL DEFAULT 'queued'
                CHECK (state IN ('queued', 'running', 'done', 'failed', 'dead')),
  run_at        timestamptz NOT NULL DEFAULT now(),
  attempts      integer NOT NULL DEFAULT 0,
  max_attempts  integer CHECK (max_attempts >= 1),
  last_error    text,
  locked_by     text,
  locked_until  timestamptz,
  singleton_key text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  started_at    timestamptz,
  finished_at   timestamptz
);
-- The claim (FOR UPDATE SKIP LOCKED) reads due jobs of a queue in run_at order: a short range scan, since
-- finished jobs leave this partial index.
CREATE INDEX jobs_due ON jobs (queue, run_at, id) WHERE state IN ('queued', 'failed');
-- Leases of running jobs, so jobs of a crashed process are found without scanning the table.
CREATE INDEX jobs_leases ON jobs (locked_until) WHERE state = 'running';
-- At most one live job per singleton key and queue (a reminder enqueued twice is one reminder).
CREATE UNIQUE INDEX jobs_singleton ON jobs (queue, singleton_key)
  WHERE singleton_key IS NOT NULL AND state IN ('queued', 'running', 'failed');
-- Retention removes finished jobs by age.
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE state IN ('done', 'dead');

-- Periodic work: a timer runs at most once per interval across processes, because starting it moves
-- next_run_at forward in the same statement that checks it is due.
CREATE TABLE job_timers (
  name             text PRIMARY KEY,
  next_run_at      timestamptz NOT NULL DEFAULT now(),
  last_started_at  timestamptz,
  last_finished_at timestamptz,
  last_error       text
);

-- The outbox is delivered to each consumer in the order its rows became visible. Ids come from a sequence
-- and can commit out of order (a transaction holding id 10 may commit after one holding id 11), so a cursor
-- over ids could step past an event that commits late. A sequencer, one process at a time, numbers the
-- committed rows in `seq`; consumers follow `seq`, which never gains a lower number behind a cursor.
ALTER TABLE outbox ADD COLUMN seq bigint;
UPDATE outbox SET seq = id;
CREATE UNIQUE INDEX outbox_seq ON outbox (seq);
CREATE INDEX outbox_unsequenced ON outbox (id) WHERE seq IS NULL;
-- Per-consumer cursors replace delivered_at (several consumers read the same topics independently); the
-- index over undelivered rows would only grow.
DROP INDEX outbox_pending;
COMMENT ON COLUMN outbox.delivered_at IS 'Unused: delivery is tracked per consumer in outbox_cursors.';

-- One row per consumer: how far it has acknowledged, its failures in a row on the next event, and the lease
-- that keeps two processes from delivering to the same consumer at once.
CREATE TABLE outbox_cursors (
  consumer     text PRIMARY KEY,
  last_seq     bigint NOT NULL DEFAULT 0,
  attempts     integer NOT NULL DEFAULT 0,
  last_error   text,
  retry_at     timestamptz,
  locked_by    text,
  locked_until timestamptz,
  updated_at   timestamptz NOT NULL DEFAULT now()
);
