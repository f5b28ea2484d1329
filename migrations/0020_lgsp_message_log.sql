-- LGSP message log: the evidence of every exchange through the gateway, like X-Road's message log.
-- See src/modules/lgsp-log/README.md.

-- The gateway appends here, one plain insert per exchange and no lock, so its throughput is not bound by the
-- log. A chainer moves committed rows into lgsp_log in id order, in signed batches, shortly afterwards.
-- Bodies (kept only when the service's policy says so) are already encrypted here (AES-256-GCM).
CREATE TABLE lgsp_log_pending (
  id              bigserial PRIMARY KEY,
  message_id      text NOT NULL,
  request_id      text NOT NULL,
  client          text NOT NULL,
  service         text NOT NULL,
  token_client_id text NOT NULL,
  method          text NOT NULL,
  path            text NOT NULL,
  status          integer NOT NULL,
  error_code      text,
  started_at      timestamptz NOT NULL,
  finished_at     timestamptz NOT NULL,
  recorded_at     timestamptz NOT NULL,
  request_hash    text NOT NULL,
  response_hash   text NOT NULL,
  request_bytes   bigint NOT NULL,
  response_bytes  bigint NOT NULL,
  request_body    bytea,
  response_body   bytea
);

-- Certificates that signed batches, by the SHA-256 of their DER: a batch stays verifiable after the key
-- is rotated or the certificate renewed.
CREATE TABLE lgsp_log_certificates (
  fingerprint     text PRIMARY KEY,
  certificate_pem text NOT NULL,
  subject         text NOT NULL,
  not_after       timestamptz NOT NULL,
  first_used_at   timestamptz NOT NULL
);

-- One row per chained batch: the platform's signature over the batch header (numbers, range, last hash).
-- Kept after the batch's entries are archived: the last archived hash is the anchor the chain continues from.
CREATE TABLE lgsp_log_batches (
  batch_no        bigint PRIMARY KEY,
  first_seq       bigint NOT NULL,
  last_seq        bigint NOT NULL,
  last_hash       text NOT NULL,
  signed_at       timestamptz NOT NULL,
  algorithm       text NOT NULL,
  signature       text NOT NULL,
  certificate_fingerprint text NOT NULL REFERENCES lgsp_log_certificates (fingerprint),
  CHECK (last_seq >= first_seq)
);

-- The chained log. seq is gapless from 1; hash = SHA-256(prev_hash, canonical entry).
CREATE TABLE lgsp_log (
  seq             bigint PRIMARY KEY,
  batch_no        bigint NOT NULL,
  message_id      text NOT NULL,
  request_id      text NOT NULL,
  client          text NOT NULL,
  service         text NOT NULL,
  token_client_id text NOT NULL,
  method          text NOT NULL,
  path            text NOT NULL,
  status          integer NOT NULL,
  error_code      text,
  started_at      timestamptz NOT NULL,
  finished_at     timestamptz NOT NULL,
  recorded_at     timestamptz NOT NULL,
  request_hash    text NOT NULL,
  response_hash   text NOT NULL,
  request_bytes   bigint NOT NULL,
  response_bytes  bigint NOT NULL,
  request_body    bytea,
  response_body   bytea,
  prev_hash       text NOT NULL,
  hash            text NOT NULL
);
-- Searches: newest first (seq desc) within a client, a service, a status or a time range.
CREATE INDEX lgsp_log_client ON lgsp_log (client, seq);
CREATE INDEX lgsp_log_service ON lgsp_log (service, seq);
CREATE INDEX lgsp_log_status ON lgsp_log (status, seq);
CREATE INDEX lgsp_log_request ON lgsp_log (request_id);
CREATE INDEX lgsp_log_started ON lgsp_log (started_at);
CREATE INDEX lgsp_log_pending_request ON lgsp_log_pending (request_id);

-- Archives written by `lgsp log archive`: which batches left the database for which file, signed like a batch
-- so a forged row cannot hide deleted entries.
CREATE TABLE lgsp_log_archives (
  id              bigserial PRIMARY KEY,
  first_batch     bigint NOT NULL,
  last_batch      bigint NOT NULL,
  first_seq       bigint NOT NULL,
  last_seq        bigint NOT NULL,
  last_hash       text NOT NULL,
  entries         bigint NOT NULL,
  file_name       text NOT NULL,
  file_sha256     text NOT NULL,
  archived_at     timestamptz NOT NULL,
  signature       text NOT NULL,
  certificate_fingerprint text NOT NULL REFERENCES lgsp_log_certificates (fingerprint)
);

-- The chained log and its batches are append-only. Only the archiver may delete entries, and only inside its
-- own transaction (SET LOCAL lgsp_log.archiving = 'on'), after the archive file is written and verified.
CREATE FUNCTION lgsp_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'lgsp_log'
     AND coalesce(current_setting('lgsp_log.archiving', true), '') = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION '% is append-only (nhật ký trao đổi LGSP chỉ được ghi thêm)', TG_TABLE_NAME;
END $$;
CREATE TRIGGER lgsp_log_no_change BEFORE UPDATE OR DELETE ON lgsp_log
  FOR EACH ROW EXECUTE FUNCTION lgsp_log_refuse_change();
CREATE TRIGGER lgsp_log_batches_no_change BEFORE UPDATE OR DELETE ON lgsp_log_batches
  FOR EACH ROW EXECUTE FUNCTION lgsp_log_refuse_change();
CREATE TRIGGER lgsp_log_archives_no_change BEFORE UPDATE OR DELETE ON lgsp_log_archives
  FOR EACH ROW EXECUTE FUNCTION lgsp_log_refuse_change();
