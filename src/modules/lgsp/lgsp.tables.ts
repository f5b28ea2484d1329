import type { ColumnType, Generated } from 'kysely'

export const MemberClass = { gov: 'GOV', com: 'COM', org: 'ORG' } as const
export type MemberClass = (typeof MemberClass)[keyof typeof MemberClass]
export const MEMBER_CLASSES = Object.values(MemberClass)

type Created = {
  created_by: string | null
  created_at: Generated<Date>
}

/** The LGSP registry's tables (migrations/0019_lgsp_registry.sql). */
export type LgspTables = {
  lgsp_members: Created & {
    id: Generated<string>
    instance: string
    member_class: MemberClass
    member_code: string
    name: string
    updated_at: Generated<Date>
  }
  /** Calls leased from a client system's quota per minute, by every process (migrations/0035). */
  lgsp_rate_usage: {
    subsystem_id: string
    window_start: Date
    used: number
    granted: number
  }
  /** Circuits opened by a server process, seen by the others with the registry (migrations/0036). */
  lgsp_service_circuits: {
    service_id: string
    open_until: Date
    reason: string
    opened_at: Date
  }
  lgsp_subsystems: Created & {
    id: Generated<string>
    member_id: string
    code: string
    name: string
    sso_client_id: string | null
    rate_limit_per_minute: number
    /** The PEM certificate the client system must present over mutual TLS, and its SHA-256 (hex). */
    client_certificate: string | null
    client_certificate_sha256: string | null
    disabled_at: Date | null
    updated_at: Generated<Date>
  }
  lgsp_services: Created & {
    id: Generated<string>
    subsystem_id: string
    code: string
    version: string
    title: string
    description: string | null
    base_url: string
    openapi: ColumnType<Record<string, unknown> | null, string | null, string | null>
    timeout_ms: number
    max_body_bytes: number
    log_bodies: boolean
    disabled_at: Date | null
    updated_at: Generated<Date>
  }
  lgsp_access_rights: Created & {
    id: Generated<string>
    service_id: string
    client_subsystem_id: string
    methods: string[]
    path_pattern: string
  }
  lgsp_allowed_hosts: Created & {
    host: string
    note: string | null
  }
}
