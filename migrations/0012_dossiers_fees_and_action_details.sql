-- The fee a dossier owes (computed at intake from the procedure's fees in force and the declared quantities),
-- when it must be paid (before intake or before the result), and its payment once made: online through a
-- payment provider, or in cash at the counter.
ALTER TABLE dossiers
  ADD COLUMN fee_amount      bigint NOT NULL DEFAULT 0 CHECK (fee_amount >= 0),
  ADD COLUMN fee_timing      text NOT NULL DEFAULT 'none' CHECK (fee_timing IN ('before_intake', 'before_result', 'none')),
  ADD COLUMN fee_paid_at     timestamptz,
  ADD COLUMN fee_paid_online boolean,
  ADD COLUMN fee_reference   text;

-- What an action changed beyond its status, for the forms that quote it (the apology letter, Mẫu 04, names the
-- due date it replaces and the new one).
ALTER TABLE dossier_actions ADD COLUMN details jsonb;
