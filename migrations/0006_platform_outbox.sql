-- Transactional outbox: a domain event is written in the same transaction as the change it reports,
-- and delivered later (to the national portal synchronisation, dashboards) by whoever consumes the topic.
CREATE TABLE outbox (
  id           bigserial PRIMARY KEY,
  topic        text NOT NULL,
  payload      jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz
);
CREATE INDEX outbox_pending ON outbox (id) WHERE delivered_at IS NULL;
