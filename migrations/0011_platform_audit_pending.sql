-- Audit entries are written here inside the audited transaction, without any lock, and moved into the
-- hash chain (audit_log) in id order by one chainer at a time shortly after they commit. Before, every
-- audited write took one global advisory lock for the rest of its transaction, which capped throughput.
-- See docs/decisions/0005-audit-chained-after-commit.md.
CREATE TABLE audit_pending (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL,
  actor_id    uuid,
  actor_label text,
  action      text NOT NULL,
  outcome     text NOT NULL CHECK (outcome IN ('ok', 'denied', 'failed')),
  object_type text,
  object_id   text,
  unit_id     uuid,
  ip          text,
  request_id  text,
  details     jsonb NOT NULL DEFAULT '{}'::jsonb
);
