-- LGSP registry: the members (agencies) of the province's data-exchange platform, their subsystems (information
-- systems), the services subsystems provide, who may call what, and the hosts services may point at.
-- Identifiers follow X-Road (INSTANCE/CLASS/MEMBER/SUBSYSTEM[/SERVICE]). See src/modules/lgsp/README.md.

CREATE TABLE lgsp_members (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- X-Road instance, e.g. VN.
  instance      text NOT NULL,
  -- GOV (state agencies, QCVN 102 codes), COM (enterprises, tax codes), ORG (other organisations).
  member_class  text NOT NULL CHECK (member_class IN ('GOV', 'COM', 'ORG')),
  -- For GOV the agency code of QCVN 102:2016/BTTTT, e.g. 000.00.00.H14 (UBND tỉnh Cao Bằng).
  member_code   text NOT NULL,
  name          text NOT NULL,
  created_by    uuid,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (instance, member_class, member_code)
);

CREATE TABLE lgsp_subsystems (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  member_id             uuid NOT NULL REFERENCES lgsp_members (id),
  code                  text NOT NULL,
  name                  text NOT NULL,
  -- The SSO client (client credentials) whose bearer tokens act as this subsystem; none for a provider only.
  sso_client_id         text UNIQUE,
  -- Calls this subsystem may make through the gateway per minute (per gateway process).
  rate_limit_per_minute integer NOT NULL DEFAULT 600 CHECK (rate_limit_per_minute > 0),
  disabled_at           timestamptz,
  created_by            uuid,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  UNIQUE (member_id, code)
);

CREATE TABLE lgsp_services (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  subsystem_id    uuid NOT NULL REFERENCES lgsp_subsystems (id),
  code            text NOT NULL,
  version         text NOT NULL,
  title           text NOT NULL,
  description     text,
  -- Where the gateway forwards calls; its host must be on lgsp_allowed_hosts.
  base_url        text NOT NULL,
  -- The service's OpenAPI 3 description, as the provider registered it.
  openapi         jsonb,
  timeout_ms      integer NOT NULL DEFAULT 30000 CHECK (timeout_ms BETWEEN 100 AND 600000),
  max_body_bytes  bigint NOT NULL DEFAULT 10485760 CHECK (max_body_bytes > 0),
  -- Whether the message log keeps request and response bodies (encrypted) or only their hashes.
  log_bodies      boolean NOT NULL DEFAULT false,
  disabled_at     timestamptz,
  created_by      uuid,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (subsystem_id, code)
);

-- Which client subsystem may call which service, with which methods ('*' for any) on which paths
-- ('*' one segment, '**' any number of segments, as X-Road's REST endpoints).
CREATE TABLE lgsp_access_rights (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  service_id          uuid NOT NULL REFERENCES lgsp_services (id) ON DELETE CASCADE,
  client_subsystem_id uuid NOT NULL REFERENCES lgsp_subsystems (id) ON DELETE CASCADE,
  methods             text[] NOT NULL,
  path_pattern        text NOT NULL DEFAULT '/**',
  created_by          uuid,
  created_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (service_id, client_subsystem_id, path_pattern)
);
CREATE INDEX lgsp_access_rights_client ON lgsp_access_rights (client_subsystem_id);

-- Hosts (host, host:port or *.domain) an administrator allows services to point at: the guard against
-- server-side request forgery into the platform's own network.
CREATE TABLE lgsp_allowed_hosts (
  host        text PRIMARY KEY,
  note        text,
  created_by  uuid,
  created_at  timestamptz NOT NULL DEFAULT now()
);
