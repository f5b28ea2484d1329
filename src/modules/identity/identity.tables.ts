import type { ColumnType, Generated } from 'kysely'
import type { Role } from '../../platform/auth/roles.js'

export type UserKind = 'official' | 'citizen' | 'business'
export type SessionStage = 'active' | 'second_factor' | 'second_factor_setup'

export type IdentityTables = {
  users: {
    id: Generated<string>
    kind: UserKind
    username: string
    full_name: string
    email: string | null
    phone: string | null
    citizen_id: string | null
    tax_code: string | null
    home_unit_id: string | null
    password_hash: string
    status: ColumnType<'active' | 'disabled', 'active' | 'disabled' | undefined>
    totp_secret: string | null
    totp_enabled_at: Date | null
    failed_logins: Generated<number>
    locked_until: Date | null
    password_changed_at: Date | null
    last_login_at: Date | null
    created_at: Generated<Date>
    updated_at: Generated<Date>
  }
  role_assignments: {
    id: Generated<string>
    user_id: string
    role: Role
    unit_id: string | null
    include_subtree: Generated<boolean>
    granted_by: string | null
    created_at: Generated<Date>
  }
  sessions: {
    id: string
    user_id: string
    stage: SessionStage
    created_at: Generated<Date>
    last_seen_at: Date
    expires_at: Date
    ip: string | null
    user_agent: string | null
  }
  access_tokens: {
    id: Generated<string>
    user_id: string
    name: string
    token_hash: string
    prefix: string
    created_at: Generated<Date>
    expires_at: Date
    last_used_at: Date | null
    revoked_at: Date | null
  }
}
