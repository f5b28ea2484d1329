-- Paperless meetings, second step: the organiser edits a convened meeting (every change in its history),
-- cancels it with a reason kept on the meeting, and the attendees are written to by e-mail through the
-- notifications module (invitation, change notice, cancellation). See src/modules/documents/README.md
-- ("Paperless meetings").

-- Why and when a meeting was called off; the reason is also in its history ('cancelled').
ALTER TABLE meetings
  ADD COLUMN cancel_reason text CHECK (length(cancel_reason) BETWEEN 1 AND 1000),
  ADD COLUMN cancelled_at  timestamptz,
  ADD CONSTRAINT meetings_cancelled_check CHECK (status = 'cancelled' OR cancelled_at IS NULL);

-- Meetings cancelled before this migration keep no time of cancellation; the history has it.
UPDATE meetings m SET cancelled_at = h.at, cancel_reason = h.note
  FROM meeting_history h
  WHERE m.status = 'cancelled' AND h.meeting_id = m.id AND h.action = 'cancelled';

-- A document the organiser takes off a meeting stays on record (who took it off, when) but is no longer shown
-- nor served; the same registered document may be linked again afterwards.
ALTER TABLE meeting_documents
  ADD COLUMN removed_at timestamptz,
  ADD COLUMN removed_by uuid REFERENCES users (id);
DROP INDEX meeting_documents_linked;
CREATE UNIQUE INDEX meeting_documents_linked ON meeting_documents (meeting_id, document_id)
  WHERE document_id IS NOT NULL AND removed_at IS NULL;

-- The notifications module also writes to the officials invited to a meeting: such a message is about a
-- meeting, not a dossier nor a document. Exactly one of the three.
ALTER TABLE notifications
  ADD COLUMN meeting_id uuid,
  DROP CONSTRAINT notifications_subject_check,
  ADD CONSTRAINT notifications_subject_check CHECK (num_nonnulls(dossier_code, document_id, meeting_id) = 1);
CREATE INDEX notifications_meeting ON notifications (meeting_id) WHERE meeting_id IS NOT NULL;
