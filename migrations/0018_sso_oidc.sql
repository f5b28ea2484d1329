-- Single sign-on: the platform as an OpenID Connect provider for the province's applications.
-- See src/modules/sso/README.md.

-- Applications registered by an administrator. The secret is kept only as its SHA-256 (it is 32 random bytes,
-- shown once): a stolen table lets nobody act as the application.
CREATE TABLE sso_clients (
  client_id                 text PRIMARY KEY,
  name                      text NOT NULL,
  description               text,
  secret_hash               text NOT NULL,
  -- authorization_code (people through a browser) or client_credentials (systems).
  kind                      text NOT NULL CHECK (kind IN ('authorization_code', 'client_credentials')),
  redirect_uris             text[] NOT NULL DEFAULT '{}',
  post_logout_redirect_uris text[] NOT NULL DEFAULT '{}',
  scopes                    text[] NOT NULL DEFAULT '{}',
  backchannel_logout_uri    text,
  -- The application's home page, for the officials' "my applications" list.
  home_url                  text,
  -- Operated by the province itself: no consent page, and listed for every official.
  first_party               boolean NOT NULL DEFAULT false,
  disabled_at               timestamptz,
  created_by                uuid,
  created_at                timestamptz NOT NULL DEFAULT now(),
  updated_at                timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sso_clients_name ON sso_clients (name);

-- Everything oidc-provider persists besides clients (sessions, interactions, codes, access and refresh tokens,
-- grants, ...), one row per (model, id) with its expiry. The lookup columns are copied out of the payload so
-- revoking a grant or finding a session by uid is one indexed statement.
CREATE TABLE sso_payloads (
  model       text NOT NULL,
  id          text NOT NULL,
  payload     jsonb NOT NULL,
  grant_id    text,
  user_code   text,
  uid         text,
  account_id  text,
  -- For sessions: the platform session (identity's sessions.id, itself a hash) it was signed in with, so
  -- signing out of the platform ends exactly the matching provider sessions.
  platform_session_id text,
  expires_at  timestamptz,
  consumed_at timestamptz,
  PRIMARY KEY (model, id)
);
CREATE INDEX sso_payloads_grant ON sso_payloads (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX sso_payloads_uid ON sso_payloads (uid) WHERE uid IS NOT NULL;
CREATE INDEX sso_payloads_user_code ON sso_payloads (user_code) WHERE user_code IS NOT NULL;
CREATE INDEX sso_payloads_platform_session ON sso_payloads (platform_session_id)
  WHERE platform_session_id IS NOT NULL;
CREATE INDEX sso_payloads_expires ON sso_payloads (expires_at) WHERE expires_at IS NOT NULL;

-- Signing keys, private parts encrypted (AES-256-GCM) with a key derived from SECRET_KEY. The newest key of an
-- algorithm that is not retired signs; a retired key stays published in JWKS until `retire_until`, when every
-- token it signed has expired.
CREATE TABLE sso_keys (
  kid           text PRIMARY KEY,
  alg           text NOT NULL CHECK (alg IN ('RS256', 'ES256')),
  public_jwk    jsonb NOT NULL,
  private_jwk   text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  retired_at    timestamptz,
  retire_until  timestamptz
);
