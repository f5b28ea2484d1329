-- Online payment of dossier fees (thanh toán trực tuyến phí, lệ phí) through a payment provider, the log of every
-- notice a provider sent, and the state of the sandbox gateway that imitates a VNPay-like provider.
-- See src/modules/payments/README.md.

-- One row per attempt to pay a dossier's fee. A citizen may try again after a failed or abandoned attempt, so a
-- dossier has attempts 1, 2, …; `reference` is what the provider knows the attempt by (vnp_TxnRef). Only a
-- verified notice from the provider, or its answer to a status query, moves an attempt out of `pending`.
-- `recorded` says whether this attempt is the payment written on the dossier; a second attempt that also
-- succeeds is kept with `record_problem` so reconciliation can flag the refund it calls for.
CREATE TABLE payments (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  reference            text NOT NULL UNIQUE CHECK (reference ~ '^[A-Za-z0-9.-]{1,60}$'),
  provider             text NOT NULL,
  provider_reference   text,
  dossier_code         text NOT NULL,
  unit_id              uuid NOT NULL,
  payer_user_id        uuid NOT NULL,
  payer_name           text NOT NULL,
  procedure_code       text NOT NULL,
  procedure_name       text NOT NULL,
  amount               bigint NOT NULL CHECK (amount > 0),
  attempt              integer NOT NULL CHECK (attempt >= 1),
  status               text NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'succeeded', 'failed', 'expired')),
  -- What the provider reported: its transaction number, the amount it took, its result code and time.
  provider_transaction text,
  paid_amount          bigint,
  response_code        text,
  paid_at              timestamptz,
  recorded             boolean NOT NULL DEFAULT false,
  record_problem       text CHECK (record_problem IN ('already_paid', 'amount_differs', 'dossier_missing')),
  -- The provider's answer to the last status query (reconciliation).
  gateway_status       text CHECK (gateway_status IN ('pending', 'succeeded', 'failed', 'expired', 'unknown')),
  gateway_checked_at   timestamptz,
  created_at           timestamptz NOT NULL,
  expires_at           timestamptz NOT NULL,
  updated_at           timestamptz NOT NULL,
  UNIQUE (dossier_code, attempt)
);
-- Reconciliation reads one day of payments; the re-check reads the pending ones.
CREATE INDEX payments_created ON payments (created_at);
CREATE INDEX payments_pending ON payments (created_at) WHERE status = 'pending';

-- Every notice received from a provider (server-to-server callback) and every status-query answer, kept raw,
-- whether or not its signature held and whatever was done with it. Never edited.
CREATE TABLE payment_callbacks (
  id           bigserial PRIMARY KEY,
  received_at  timestamptz NOT NULL DEFAULT now(),
  provider     text NOT NULL,
  source       text NOT NULL CHECK (source IN ('callback', 'status_query')),
  -- The reference the message names, verified or not, and the attempt it matched, if any.
  reference    text,
  payment_id   uuid REFERENCES payments (id),
  raw          text NOT NULL,
  signature_ok boolean NOT NULL,
  outcome      text NOT NULL,
  remote_ip    text
);
CREATE INDEX payment_callbacks_received ON payment_callbacks (received_at);
CREATE INDEX payment_callbacks_payment ON payment_callbacks (payment_id) WHERE payment_id IS NOT NULL;

-- The sandbox gateway's own books, as a provider keeps them: one row per payment request it accepted, the
-- customer's choice, and whether the merchant has acknowledged the notice (IPN) of the result. Kept in the
-- database so a restart neither forgets a transaction nor stops the notices still owed.
CREATE TABLE sandbox_gateway_transactions (
  transaction_no  bigserial PRIMARY KEY,
  merchant        text NOT NULL,
  txn_ref         text NOT NULL,
  amount          bigint NOT NULL CHECK (amount > 0),
  order_info      text NOT NULL,
  return_url      text NOT NULL,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  response_code   text,
  bank_code       text,
  card_last4      text,
  created_at      timestamptz NOT NULL,
  expires_at      timestamptz NOT NULL,
  paid_at         timestamptz,
  ipn_attempts    integer NOT NULL DEFAULT 0,
  ipn_last_error  text,
  ipn_acknowledged_at timestamptz,
  UNIQUE (merchant, txn_ref)
);
