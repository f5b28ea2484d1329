import type { ColumnType, Generated } from 'kysely'

export const ClientKind = {
  authorizationCode: 'authorization_code',
  clientCredentials: 'client_credentials',
} as const
export type ClientKind = (typeof ClientKind)[keyof typeof ClientKind]
export const CLIENT_KINDS = Object.values(ClientKind)

export const KeyAlg = { rs256: 'RS256', es256: 'ES256' } as const
export type KeyAlg = (typeof KeyAlg)[keyof typeof KeyAlg]
export const KEY_ALGS = Object.values(KeyAlg)

/** The SSO module's tables (migrations/0018_sso_oidc.sql). */
export type SsoTables = {
  sso_clients: {
    client_id: string
    name: string
    description: string | null
    secret_hash: string
    kind: ClientKind
    redirect_uris: string[]
    post_logout_redirect_uris: string[]
    scopes: string[]
    backchannel_logout_uri: string | null
    home_url: string | null
    first_party: boolean
    disabled_at: Date | null
    created_by: string | null
    created_at: Generated<Date>
    updated_at: Generated<Date>
  }
  sso_payloads: {
    model: string
    id: string
    payload: ColumnType<Record<string, unknown>, string, string>
    grant_id: string | null
    user_code: string | null
    uid: string | null
    account_id: string | null
    platform_session_id: string | null
    expires_at: Date | null
    consumed_at: Date | null
  }
  sso_keys: {
    kid: string
    alg: KeyAlg
    public_jwk: ColumnType<Record<string, unknown>, string, never>
    private_jwk: string
    created_at: Generated<Date>
    retired_at: Date | null
    retire_until: Date | null
  }
}
