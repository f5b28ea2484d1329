-- Publish/subscribe of the integration platform (LGSP): event types, published events with a position per
-- topic, subscriptions by push (signed webhook) or pull, and one delivery row per pushed event and
-- subscription. See src/modules/pubsub/README.md.

-- Event types registered by an administrator. `publishers` are SSO client ids allowed to publish; a platform
-- topic is fed only by the platform's own domain events. `last_position` hands out positions: the publish
-- transaction increments it, so the row lock orders publishers of one topic and positions commit in order.
CREATE TABLE pubsub_topics (
  name           text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_.-]{1,99}$'),
  description    text NOT NULL DEFAULT '',
  -- JSON Schema (draft 2020-12 subset that ajv understands) of the payload; null accepts any JSON value.
  payload_schema jsonb,
  publishers     text[] NOT NULL DEFAULT '{}',
  platform       boolean NOT NULL DEFAULT false,
  last_position  bigint NOT NULL DEFAULT 0,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Published events, never edited. `internal` holds fields given only to subscribers inside the platform
-- (the national synchronisation), never to an outside system.
CREATE TABLE pubsub_events (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  topic           text NOT NULL REFERENCES pubsub_topics (name),
  position        bigint NOT NULL,
  key             text,
  payload         jsonb NOT NULL,
  internal        jsonb,
  publisher       text NOT NULL,
  idempotency_key text,
  published_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (topic, position)
);
-- A publisher's retry with the same Idempotency-Key returns the first event.
CREATE UNIQUE INDEX pubsub_events_idempotency ON pubsub_events (topic, publisher, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

-- A client's subscription to a topic. push: POST to `endpoint`, signed with the secret (AES-256-GCM encrypted
-- here, key derived from SECRET_KEY); pull: the client fetches after `acked_position` and acknowledges;
-- internal: a handler inside the platform (client_id 'internal:<name>').
CREATE TABLE pubsub_subscriptions (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  topic          text NOT NULL REFERENCES pubsub_topics (name),
  client_id      text NOT NULL,
  mode           text NOT NULL CHECK (mode IN ('push', 'pull', 'internal')),
  endpoint       text,
  secret_enc     text,
  max_attempts   integer NOT NULL DEFAULT 8 CHECK (max_attempts BETWEEN 1 AND 50),
  acked_position bigint NOT NULL DEFAULT 0,
  disabled_at    timestamptz,
  created_by     uuid,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  CHECK ((mode = 'push') = (endpoint IS NOT NULL AND secret_enc IS NOT NULL))
);
CREATE INDEX pubsub_subscriptions_topic ON pubsub_subscriptions (topic) WHERE disabled_at IS NULL;
CREATE INDEX pubsub_subscriptions_client ON pubsub_subscriptions (client_id);
CREATE UNIQUE INDEX pubsub_subscriptions_internal ON pubsub_subscriptions (topic, client_id)
  WHERE mode = 'internal';

-- One row per event and push/internal subscription. waiting: behind an earlier open event of the same key;
-- queued: a job delivers it (retries with back-off); delivered; dead: out of attempts, waits for a re-drive.
-- At most one delivery per (subscription, key) is queued at a time: that is the order per key.
CREATE TABLE pubsub_deliveries (
  id              bigserial PRIMARY KEY,
  subscription_id uuid NOT NULL REFERENCES pubsub_subscriptions (id),
  event_id        uuid NOT NULL REFERENCES pubsub_events (id),
  position        bigint NOT NULL,
  key             text,
  state           text NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'queued', 'delivered', 'dead')),
  attempts        integer NOT NULL DEFAULT 0,
  last_error      text,
  last_status     integer,
  last_attempt_at timestamptz,
  delivered_at    timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (subscription_id, event_id)
);
-- The head of each key's chain, and the sweeper's look for open deliveries.
CREATE INDEX pubsub_deliveries_open ON pubsub_deliveries (subscription_id, key, position)
  WHERE state IN ('waiting', 'queued');
CREATE INDEX pubsub_deliveries_dead ON pubsub_deliveries (subscription_id, id) WHERE state = 'dead';
CREATE INDEX pubsub_deliveries_subscription ON pubsub_deliveries (subscription_id, position);

-- Hosts a webhook may point at (no server-side request forgery into the platform's own network).
CREATE TABLE pubsub_allowed_hosts (
  host       text PRIMARY KEY CHECK (host = lower(host) AND host <> ''),
  note       text NOT NULL DEFAULT '',
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now()
);
