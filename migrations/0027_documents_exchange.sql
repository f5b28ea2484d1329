-- Recall (thu hồi), update (cập nhật) and replacement (thay thế) of issued documents, in both directions
-- (edXML BussinessDocType 1/2/3, status messages 13/15/16), and the exchange of edXML packages and status
-- messages with agencies over the LGSP publish/subscribe (decision 0011). See src/modules/documents/README.md.

-- Pub/sub, a general addition: a topic may name the only SSO clients allowed to subscribe to it (NULL: any
-- client an administrator subscribes, as before). Subscribing, pulling and each push check it.
ALTER TABLE pubsub_topics ADD COLUMN subscribers text[];

-- Incoming documents recalled or replaced by their sender leave the work queue (like a refused one); an update
-- by the sender keeps the status and is recorded beside it. History rows keep what changed.
ALTER TABLE documents DROP CONSTRAINT documents_status_check;
ALTER TABLE documents ADD CONSTRAINT documents_status_check
  CHECK (status IN ('registered', 'assigned', 'in_progress', 'completed', 'refused', 'recalled', 'replaced'));
ALTER TABLE documents ADD COLUMN withdrawn_at timestamptz;
ALTER TABLE documents ADD COLUMN withdrawn_reason text;
-- The document that replaces this one in the same register, when the replacement arrived there.
ALTER TABLE documents ADD COLUMN replaced_by uuid REFERENCES documents (id);
ALTER TABLE documents ADD COLUMN amended_at timestamptz;
ALTER TABLE documents ADD COLUMN amended_reason text;
-- A recall, update or replacement names the document by its edXML DocumentId.
CREATE INDEX documents_edxml_document_id ON documents (unit_id, (edxml ->> 'documentId'))
  WHERE edxml IS NOT NULL;

-- Status 15/16 answer one request each (a document may be updated twice, then recalled): the request they
-- answer is part of the key; the statuses of processing (01–06) have none.
ALTER TABLE document_status_messages ADD COLUMN request text NOT NULL DEFAULT '';
ALTER TABLE document_status_messages DROP CONSTRAINT document_status_messages_document_id_status_code_key;
ALTER TABLE document_status_messages ADD CONSTRAINT document_status_messages_request_key
  UNIQUE (document_id, status_code, request);
-- The pub/sub event that carried it over the LGSP.
ALTER TABLE document_status_messages ADD COLUMN event_id uuid;

-- Outgoing documents: a replacement names the document it replaces; a recalled or replaced one says so.
ALTER TABLE outgoing_documents ADD COLUMN replaces uuid REFERENCES outgoing_documents (id);
ALTER TABLE outgoing_documents ADD COLUMN withdrawn text CHECK (withdrawn IN ('recalled', 'replaced'));
ALTER TABLE outgoing_documents ADD COLUMN withdrawn_at timestamptz;
ALTER TABLE outgoing_documents ADD COLUMN withdrawn_reason text;
ALTER TABLE outgoing_documents ADD COLUMN replaced_by uuid REFERENCES outgoing_documents (id);
ALTER TABLE outgoing_documents ADD CONSTRAINT outgoing_documents_withdrawn_issued
  CHECK ((withdrawn IS NULL) = (withdrawn_at IS NULL) AND (withdrawn IS NULL OR status = 'issued'));
CREATE INDEX outgoing_documents_replaces ON outgoing_documents (replaces) WHERE replaces IS NOT NULL;
-- A status message names the document it is about by number, notation and date (its DocumentId).
CREATE INDEX outgoing_documents_code ON outgoing_documents (issued_on, code_number, code_notation)
  WHERE number IS NOT NULL;

-- Recipients outside the platform: sent over the LGSP (`sent`) or left as a package to download; the last
-- status message the agency sent back (01–06, 15, 16; 13 while a recall waits for its answer).
ALTER TABLE outgoing_recipients DROP CONSTRAINT outgoing_recipients_status_check;
ALTER TABLE outgoing_recipients ADD CONSTRAINT outgoing_recipients_status_check
  CHECK (status IN ('pending', 'delivered', 'packaged', 'duplicate', 'paper', 'sent'));
ALTER TABLE outgoing_recipients ADD COLUMN channel text CHECK (channel IN ('lgsp', 'download'));
ALTER TABLE outgoing_recipients ADD COLUMN exchange_status text CHECK (exchange_status ~ '^[0-9]{2}$');
ALTER TABLE outgoing_recipients ADD COLUMN exchange_note text;
ALTER TABLE outgoing_recipients ADD COLUMN exchange_at timestamptz;

-- Packages for agencies outside the platform, waiting to go over the LGSP: one row per recipient and
-- business message (a new document, its recall, an update, a replacement), written in the transaction of
-- the change; a job publishes it to the agency's topic. `document_key` (the edXML DocumentId concerned) is
-- the pub/sub key, so an agency receives one document's messages in order.
CREATE TABLE document_exchange_outbox (
  id            bigserial PRIMARY KEY,
  outgoing_id   uuid NOT NULL REFERENCES outgoing_documents (id),
  recipient_id  uuid NOT NULL REFERENCES outgoing_recipients (id),
  agency_code   text NOT NULL CHECK (agency_code ~ '^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$'),
  business_type smallint NOT NULL CHECK (business_type BETWEEN 0 AND 3),
  reason        text,
  document_key  text NOT NULL,
  -- queued → sent (published) | unreachable (the agency has no LGSP subscription: the package is
  -- downloaded) | failed (cannot be built, e.g. the signed original changed in storage)
  state         text NOT NULL CHECK (state IN ('queued', 'sent', 'unreachable', 'failed')),
  topic         text,
  event_id      uuid,
  attempts      integer NOT NULL DEFAULT 0,
  last_error    text,
  created_at    timestamptz NOT NULL,
  sent_at       timestamptz
);
CREATE INDEX document_exchange_outbox_queued ON document_exchange_outbox (agency_code, document_key, id)
  WHERE state = 'queued';
CREATE INDEX document_exchange_outbox_recipient ON document_exchange_outbox (recipient_id, id);
