-- The national portal answers HTTP 200 with its own result code and message (src/modules/national-sync/README.md,
-- "The portal's answers"): kept with each call so an operator sees why the portal refused a dossier.
ALTER TABLE national_sync_calls
  ADD COLUMN portal_code    text,
  ADD COLUMN portal_message text;
