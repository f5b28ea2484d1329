import type { ColumnType, Generated } from 'kysely'

/** The facts an outside provider asserted about a person; only verified ones are kept. */
export type VerifiedClaims = {
  fullName: string
  citizenId: string
  phone?: string
  email?: string
}

export type ExternalLoginTables = {
  external_accounts: {
    id: Generated<string>
    user_id: string
    issuer: string
    subject: string
    provider_name: string
    verified: ColumnType<VerifiedClaims, string, string>
    linked_at: Generated<Date>
    last_login_at: Date | null
  }
}
