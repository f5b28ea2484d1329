-- Notifications (thông báo) to applicants by e-mail and SMS about their dossiers, sent through the job queue.
-- See src/modules/notifications/README.md.

-- One row per message: one event, one channel, one recipient. The unique key makes a re-delivered outbox event
-- (delivery is at least once) add nothing, long after its job is done and purged. The rendered message is kept
-- as sent, so a retry sends the same words and the applicant's page shows what they received.
CREATE TABLE notifications (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  event_seq        bigint NOT NULL,
  event_topic      text NOT NULL,
  dossier_code     text NOT NULL,
  unit_id          uuid NOT NULL,
  -- The applicant's account, when they have one: their page lists the messages by it.
  user_id          uuid,
  channel          text NOT NULL CHECK (channel IN ('email', 'sms')),
  -- An e-mail address, or a mobile number as 84xxxxxxxxx.
  recipient        text NOT NULL,
  template         text NOT NULL,
  template_version integer NOT NULL,
  subject          text,
  body             text NOT NULL,
  html             text,
  status           text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed', 'skipped')),
  attempts         integer NOT NULL DEFAULT 0,
  last_error       text,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  sent_at          timestamptz,
  UNIQUE (event_seq, channel, recipient)
);
-- The applicant's list, the administrators' list (all, or one status), newest first, keyset-paginated.
CREATE INDEX notifications_user ON notifications (user_id, created_at DESC, id DESC) WHERE user_id IS NOT NULL;
CREATE INDEX notifications_created ON notifications (created_at DESC, id DESC);
CREATE INDEX notifications_status ON notifications (status, created_at DESC, id DESC);

-- Who to tell about a dossier, as its last status event said. Payment and result events do not carry the
-- applicant's contact, and this module reads no other module's tables.
CREATE TABLE notification_contacts (
  dossier_code   text PRIMARY KEY,
  unit_id        uuid NOT NULL,
  channel        text NOT NULL,
  user_id        uuid,
  email          text,
  phone          text,
  procedure_name text NOT NULL,
  updated_at     timestamptz NOT NULL
);
