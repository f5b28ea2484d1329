-- OCR of scanned PDFs for search (src/modules/documents/README.md, "Full-text search in attached PDFs"): the pages
-- of an attachment without a text layer are rendered with poppler's pdftoppm and recognised by Tesseract with its
-- Vietnamese data; the text found goes to `document_file_texts` like a text layer's. Per file:
-- `text_scanned_pages` the pages without a text layer, `text_ocr_pages` those recognised, and `text_ocr` how it
-- went — null when every page had a text layer; `done`; `page_limit` (DOCUMENT_OCR_MAX_PAGES reached: the first
-- pages only); `time_limit`; `unavailable` (OCR off, or Tesseract not installed: found by metadata only, not a
-- failure); `failed` (the reason in `text_error`).
ALTER TABLE document_files
  ADD COLUMN text_ocr text
    CHECK (text_ocr IN ('done', 'page_limit', 'time_limit', 'unavailable', 'failed')),
  ADD COLUMN text_scanned_pages integer,
  ADD COLUMN text_ocr_pages integer;

-- Scans attached before this migration are read again, now with OCR, once a process with the handler runs.
UPDATE document_files SET text_state = 'pending' WHERE text_state = 'no_text';
INSERT INTO jobs (queue, payload, singleton_key)
  SELECT 'documents.extract-text', jsonb_build_object('fileId', id), 'file:' || id
  FROM document_files WHERE text_state = 'pending'
  ON CONFLICT (queue, singleton_key)
    WHERE singleton_key IS NOT NULL AND state IN ('queued', 'running', 'failed')
  DO NOTHING;
