-- Service indicators (QĐ 766/QĐ-TTg): a projection of the dossier events, kept up to date by the outbox consumer
-- `indicators` (src/modules/indicators). Figures for a unit and a period are sums over the monthly and daily
-- counters of the unit's subtree, however many dossiers there are; open dossiers are counted from an index.

-- What the consumer has applied of each dossier. An event with seq ≤ last_seq was applied already (the outbox
-- delivers at least once) and changes nothing; each measure moves once per dossier: received, finished,
-- digitised, paid online, result, rating. The row, its counters and last_seq change in one transaction.
CREATE TABLE indicator_dossiers (
  code              text PRIMARY KEY,
  unit_id           uuid NOT NULL,
  channel           text CHECK (channel IN ('online', 'counter', 'post')),
  status            text,
  fee_amount        integer NOT NULL DEFAULT 0,
  due_at            timestamptz,
  -- Waiting for the applicant's supplement: the deadline does not run.
  paused            boolean NOT NULL DEFAULT false,
  -- Local (Asia/Ho_Chi_Minh) days the measures were counted on.
  received_day      date,
  finished_day      date,
  outcome           text CHECK (outcome IN ('early', 'on_time', 'late', 'rejected', 'withdrawn')),
  digitised         boolean NOT NULL DEFAULT false,
  paid_online       boolean NOT NULL DEFAULT false,
  result_day        date,
  result_electronic boolean NOT NULL DEFAULT false,
  rated_day         date,
  last_seq          bigint NOT NULL DEFAULT 0,
  updated_at        timestamptz NOT NULL DEFAULT now()
);
-- Open dossiers by unit and deadline: "in progress, on time / overdue" is counted when asked (overdue =
-- due_at < now), so it is never stale; finished dossiers leave the index.
CREATE INDEX indicator_dossiers_open ON indicator_dossiers (unit_id, due_at) INCLUDE (paused, received_day)
  WHERE finished_day IS NULL;

-- Counters per unit and local day. Received, digitised and fee-bearing dossiers are counted on the day of intake
-- (so "paid online" and "digitised" stay shares of the same dossiers); resolutions, refusals and withdrawals on
-- the day they ended; results on the day of issue; ratings on the day given, with each criterion of TT 01/2018
-- Điều 13 (1–9, scored 0–2): how many ratings scored it and the sum of its scores.
CREATE TABLE indicator_daily (
  unit_id            uuid NOT NULL,
  day                date NOT NULL,
  received           integer NOT NULL DEFAULT 0,
  received_online    integer NOT NULL DEFAULT 0,
  received_counter   integer NOT NULL DEFAULT 0,
  resolved_early     integer NOT NULL DEFAULT 0,
  resolved_on_time   integer NOT NULL DEFAULT 0,
  resolved_late      integer NOT NULL DEFAULT 0,
  rejected           integer NOT NULL DEFAULT 0,
  withdrawn          integer NOT NULL DEFAULT 0,
  digitised          integer NOT NULL DEFAULT 0,
  fee_dossiers       integer NOT NULL DEFAULT 0,
  fee_paid_online    integer NOT NULL DEFAULT 0,
  results            integer NOT NULL DEFAULT 0,
  results_electronic integer NOT NULL DEFAULT 0,
  ratings            integer NOT NULL DEFAULT 0,
  rating_total       integer NOT NULL DEFAULT 0,
  rating_max         integer NOT NULL DEFAULT 0,
  criterion_1_ratings integer NOT NULL DEFAULT 0,
  criterion_1_score   integer NOT NULL DEFAULT 0,
  criterion_2_ratings integer NOT NULL DEFAULT 0,
  criterion_2_score   integer NOT NULL DEFAULT 0,
  criterion_3_ratings integer NOT NULL DEFAULT 0,
  criterion_3_score   integer NOT NULL DEFAULT 0,
  criterion_4_ratings integer NOT NULL DEFAULT 0,
  criterion_4_score   integer NOT NULL DEFAULT 0,
  criterion_5_ratings integer NOT NULL DEFAULT 0,
  criterion_5_score   integer NOT NULL DEFAULT 0,
  criterion_6_ratings integer NOT NULL DEFAULT 0,
  criterion_6_score   integer NOT NULL DEFAULT 0,
  criterion_7_ratings integer NOT NULL DEFAULT 0,
  criterion_7_score   integer NOT NULL DEFAULT 0,
  criterion_8_ratings integer NOT NULL DEFAULT 0,
  criterion_8_score   integer NOT NULL DEFAULT 0,
  criterion_9_ratings integer NOT NULL DEFAULT 0,
  criterion_9_score   integer NOT NULL DEFAULT 0,
  PRIMARY KEY (unit_id, day)
);

-- The same counters per unit and calendar month (month = its first day), written with the daily ones: a period
-- reads whole months here and only its partial months' days from indicator_daily, so a year of the province is
-- about 1,100 rows plus the edges.
CREATE TABLE indicator_monthly (
  unit_id            uuid NOT NULL,
  month              date NOT NULL CHECK (extract(day FROM month) = 1),
  received           integer NOT NULL DEFAULT 0,
  received_online    integer NOT NULL DEFAULT 0,
  received_counter   integer NOT NULL DEFAULT 0,
  resolved_early     integer NOT NULL DEFAULT 0,
  resolved_on_time   integer NOT NULL DEFAULT 0,
  resolved_late      integer NOT NULL DEFAULT 0,
  rejected           integer NOT NULL DEFAULT 0,
  withdrawn          integer NOT NULL DEFAULT 0,
  digitised          integer NOT NULL DEFAULT 0,
  fee_dossiers       integer NOT NULL DEFAULT 0,
  fee_paid_online    integer NOT NULL DEFAULT 0,
  results            integer NOT NULL DEFAULT 0,
  results_electronic integer NOT NULL DEFAULT 0,
  ratings            integer NOT NULL DEFAULT 0,
  rating_total       integer NOT NULL DEFAULT 0,
  rating_max         integer NOT NULL DEFAULT 0,
  criterion_1_ratings integer NOT NULL DEFAULT 0,
  criterion_1_score   integer NOT NULL DEFAULT 0,
  criterion_2_ratings integer NOT NULL DEFAULT 0,
  criterion_2_score   integer NOT NULL DEFAULT 0,
  criterion_3_ratings integer NOT NULL DEFAULT 0,
  criterion_3_score   integer NOT NULL DEFAULT 0,
  criterion_4_ratings integer NOT NULL DEFAULT 0,
  criterion_4_score   integer NOT NULL DEFAULT 0,
  criterion_5_ratings integer NOT NULL DEFAULT 0,
  criterion_5_score   integer NOT NULL DEFAULT 0,
  criterion_6_ratings integer NOT NULL DEFAULT 0,
  criterion_6_score   integer NOT NULL DEFAULT 0,
  criterion_7_ratings integer NOT NULL DEFAULT 0,
  criterion_7_score   integer NOT NULL DEFAULT 0,
  criterion_8_ratings integer NOT NULL DEFAULT 0,
  criterion_8_score   integer NOT NULL DEFAULT 0,
  criterion_9_ratings integer NOT NULL DEFAULT 0,
  criterion_9_score   integer NOT NULL DEFAULT 0,
  PRIMARY KEY (unit_id, month)
);

-- These tables are read by small aggregates (a few thousand rows) that must answer fast; a parallel plan's start-up
-- costs more than the scan itself, most of all on a two-core server that is also serving requests.
ALTER TABLE indicator_dossiers SET (parallel_workers = 0);
ALTER TABLE indicator_daily SET (parallel_workers = 0);
ALTER TABLE indicator_monthly SET (parallel_workers = 0);
