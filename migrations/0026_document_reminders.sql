-- Reminders before the deadline of a document assignment, and overdue notices, found by a periodic scan
-- (timer `documents.reminders`) and delivered by e-mail/SMS through the notifications module and on the
-- official's queue page. See src/modules/documents/README.md ("Reminders").

-- One row per assignment, kind and deadline: the unique key is what makes each reminder go out once, however
-- many processes scan at the same time. The deadline is part of the key, so a deadline moved later arms the
-- reminders again. A row is written even when nobody can be told (a unit without a leader), so the scan does
-- not find the same assignment again and again.
CREATE TABLE document_reminders (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  assignment_id uuid NOT NULL REFERENCES document_assignments (id),
  document_id   uuid NOT NULL REFERENCES documents (id),
  kind          text NOT NULL CHECK (kind IN ('due_soon', 'overdue')),
  due_at        timestamptz NOT NULL,
  created_at    timestamptz NOT NULL,
  UNIQUE (assignment_id, kind, due_at)
);
CREATE INDEX document_reminders_document ON document_reminders (document_id);

-- Who a reminder went to, and why: the person assigned, the leaders of an assigned unit, the leader who
-- assigned it (overdue notices only). `read_at` is set when they mark it seen on their queue page.
CREATE TABLE document_reminder_recipients (
  reminder_id uuid NOT NULL REFERENCES document_reminders (id),
  user_id     uuid NOT NULL REFERENCES users (id),
  reason      text NOT NULL CHECK (reason IN ('assignee', 'unit_leader', 'assigner')),
  read_at     timestamptz,
  PRIMARY KEY (reminder_id, user_id)
);
CREATE INDEX document_reminder_recipients_unread ON document_reminder_recipients (user_id)
  WHERE read_at IS NULL;

-- The scan walks open assignments by deadline.
CREATE INDEX document_assignments_open_due ON document_assignments (due_at)
  WHERE status = 'open' AND due_at IS NOT NULL;

-- The notifications module now also writes to officials about documents: such a message has a document and no
-- dossier. Exactly one of the two.
ALTER TABLE notifications
  ALTER COLUMN dossier_code DROP NOT NULL,
  ADD COLUMN document_id uuid,
  ADD CONSTRAINT notifications_subject_check CHECK ((dossier_code IS NULL) <> (document_id IS NULL));
