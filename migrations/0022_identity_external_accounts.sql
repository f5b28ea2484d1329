-- Identities at outside OpenID Connect providers (VNeID or another) linked to platform accounts.
-- One identity (issuer + subject) belongs to one account; an account holds at most one identity per issuer.
CREATE TABLE external_accounts (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  issuer        text NOT NULL CHECK (length(issuer) BETWEEN 1 AND 500),
  subject       text NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
  provider_name text NOT NULL,
  -- What the provider asserted at the last sign-in: fullName, citizenId, phone, email (only verified ones).
  verified      jsonb NOT NULL DEFAULT '{}'::jsonb,
  linked_at     timestamptz NOT NULL DEFAULT now(),
  last_login_at timestamptz,
  UNIQUE (issuer, subject),
  UNIQUE (user_id, issuer)
);
