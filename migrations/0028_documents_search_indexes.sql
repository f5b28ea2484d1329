-- Search over a million incoming documents (issue 6). `searchDocuments` reads each way a person may see a
-- document (a unit's register, what was assigned to them, what was assigned to their unit) as its own branch
-- newest first, so each branch walks an index and stops at the page size; words are then looked up through
-- indexes that begin with the unit, so a word common in the province but rare in one unit costs what it costs
-- in that unit. See documents.repository.ts and docs/benchmarks.md.

-- A GIN index over a uuid and a tsvector together.
CREATE EXTENSION IF NOT EXISTS btree_gin;

-- When the document was received and its unit, copied onto each assignment, so that "documents of unit U
-- assigned to me (or to my unit), newest first" walks an index instead of sorting every assignment the person
-- ever had, and the units whose documents were assigned to someone are found by a few probes of that index.
-- Filled by a trigger from the document (both are set at registration; the trigger further down follows them
-- if they are ever corrected).
ALTER TABLE document_assignments ADD COLUMN document_received_at timestamptz, ADD COLUMN document_unit_id uuid;
UPDATE document_assignments a SET document_received_at = d.received_at, document_unit_id = d.unit_id
  FROM documents d WHERE d.id = a.document_id;
ALTER TABLE document_assignments ALTER COLUMN document_received_at SET NOT NULL,
  ALTER COLUMN document_unit_id SET NOT NULL;

CREATE FUNCTION document_assignments_copy() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT received_at, unit_id INTO NEW.document_received_at, NEW.document_unit_id
    FROM documents WHERE id = NEW.document_id;
  RETURN NEW;
END $$;
CREATE TRIGGER document_assignments_copy
  BEFORE INSERT OR UPDATE OF document_id, document_received_at, document_unit_id ON document_assignments
  FOR EACH ROW EXECUTE FUNCTION document_assignments_copy();

CREATE INDEX document_assignments_user_unit_received
  ON document_assignments (assignee_user_id, document_unit_id, document_received_at DESC, document_id DESC)
  WHERE assignee_user_id IS NOT NULL;
CREATE INDEX document_assignments_unit_unit_received
  ON document_assignments (assignee_unit_id, document_unit_id, document_received_at DESC, document_id DESC)
  WHERE assignee_unit_id IS NOT NULL;

-- The unit of the document beside the words of its attached PDFs, filled the same way, so the words of one
-- unit's PDFs are found without reading every PDF in the province that has them.
ALTER TABLE document_texts ADD COLUMN unit_id uuid;
UPDATE document_texts x SET unit_id = d.unit_id FROM documents d WHERE d.id = x.document_id;
ALTER TABLE document_texts ALTER COLUMN unit_id SET NOT NULL;

CREATE FUNCTION document_texts_unit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT unit_id INTO NEW.unit_id FROM documents WHERE id = NEW.document_id;
  RETURN NEW;
END $$;
CREATE TRIGGER document_texts_unit BEFORE INSERT OR UPDATE OF document_id, unit_id
  ON document_texts FOR EACH ROW EXECUTE FUNCTION document_texts_unit();

-- The copies follow the document if its unit or time of receipt is ever corrected.
CREATE FUNCTION documents_search_copies() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.received_at IS DISTINCT FROM OLD.received_at OR NEW.unit_id IS DISTINCT FROM OLD.unit_id THEN
    UPDATE document_assignments SET document_received_at = NEW.received_at, document_unit_id = NEW.unit_id
      WHERE document_id = NEW.id;
  END IF;
  IF NEW.unit_id IS DISTINCT FROM OLD.unit_id THEN
    UPDATE document_texts SET unit_id = NEW.unit_id WHERE document_id = NEW.id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER documents_search_copies AFTER UPDATE OF received_at, unit_id ON documents
  FOR EACH ROW EXECUTE FUNCTION documents_search_copies();

-- Words by unit. A GIN index over two columns also answers a condition on the words alone.
DROP INDEX documents_search;
CREATE INDEX documents_unit_search ON documents USING gin (unit_id, search);
DROP INDEX document_texts_search;
CREATE INDEX document_texts_unit_search ON document_texts USING gin (unit_id, search);
