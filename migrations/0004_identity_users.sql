CREATE TABLE users (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind                text NOT NULL CHECK (kind IN ('official', 'citizen', 'business')),
  username            text NOT NULL CHECK (username ~ '^[a-z0-9._@-]{3,100}$'),
  full_name           text NOT NULL CHECK (length(full_name) BETWEEN 2 AND 150),
  email               text,
  phone               text CHECK (phone ~ '^0[0-9]{9}$'),
  citizen_id          text CHECK (citizen_id ~ '^[0-9]{12}$'),
  tax_code            text CHECK (tax_code ~ '^[0-9]{10}(-[0-9]{3})?$'),
  home_unit_id        uuid REFERENCES org_units (id),
  password_hash       text NOT NULL,
  status              text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  totp_secret         text,
  totp_enabled_at     timestamptz,
  failed_logins       integer NOT NULL DEFAULT 0,
  locked_until        timestamptz,
  password_changed_at timestamptz,
  last_login_at       timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  CHECK (kind <> 'official' OR home_unit_id IS NOT NULL)
);
CREATE UNIQUE INDEX users_username ON users (username);
CREATE UNIQUE INDEX users_email ON users (lower(email)) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX users_phone ON users (phone) WHERE phone IS NOT NULL;
CREATE UNIQUE INDEX users_citizen_id ON users (citizen_id) WHERE citizen_id IS NOT NULL;
CREATE INDEX users_home_unit ON users (home_unit_id, full_name);
CREATE INDEX users_name_search ON users USING gin (f_unaccent(full_name) gin_trgm_ops);

CREATE TABLE role_assignments (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role            text NOT NULL CHECK (role IN ('citizen', 'receiving_officer', 'specialist', 'unit_leader',
                                                'unit_admin', 'system_admin')),
  unit_id         uuid REFERENCES org_units (id),
  include_subtree boolean NOT NULL DEFAULT false,
  granted_by      uuid REFERENCES users (id),
  created_at      timestamptz NOT NULL DEFAULT now(),
  CHECK ((role = 'citizen') = (unit_id IS NULL))
);
CREATE UNIQUE INDEX role_assignments_unique
  ON role_assignments (user_id, role, COALESCE(unit_id, '00000000-0000-0000-0000-000000000000'::uuid));
CREATE INDEX role_assignments_unit ON role_assignments (unit_id);

-- Server-side sessions: the cookie carries a random token, the table only its SHA-256.
CREATE TABLE sessions (
  id           text PRIMARY KEY,
  user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  stage        text NOT NULL CHECK (stage IN ('active', 'second_factor', 'second_factor_setup')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  ip           text,
  user_agent   text
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE access_tokens (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  token_hash   text NOT NULL UNIQUE,
  prefix       text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  last_used_at timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX access_tokens_user ON access_tokens (user_id, created_at);
