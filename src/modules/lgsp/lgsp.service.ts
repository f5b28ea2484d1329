import { appendAudit, type AuditContext } from '../../platform/audit/audit.js'
import { authorize, can, type Actor } from '../../platform/auth/actor.js'
import { Permission } from '../../platform/auth/roles.js'
import { inTransaction } from '../../platform/db/database.js'
import { ConflictError, NotFoundError, ValidationError } from '../../platform/http/errors.js'
import { isUuid } from '../../platform/ids.js'
import type { ModuleDeps } from '../../platform/module.js'
import {
  checkBaseUrl,
  parseHostEntry,
  resolutionProblem,
  systemResolver,
  type Resolver,
} from './lgsp.hosts.js'
import { formatServiceId, formatSubsystemId, parseClientHeader } from './lgsp.identifiers.js'
import {
  parseAccessRightInput,
  parseMemberInput,
  parseServiceInput,
  parseSubsystemInput,
  type ServiceInput,
} from './lgsp.input.js'
import * as repo from './lgsp.repository.js'
import type {
  AccessRightRow,
  AllowedHostRow,
  MemberRow,
  ServiceRow,
  SubsystemRow,
} from './lgsp.repository.js'

/** What the registry needs to know of an SSO client: a subsystem may only be linked to a system client. */
export type SsoClientLookup = (
  clientId: string,
) => Promise<{ kind: string; name: string; disabled: boolean } | undefined>

export type LgspDeps = ModuleDeps & {
  ssoClient: SsoClientLookup
  /** Name resolution for the SSRF check; tests may pass their own. */
  resolver?: Resolver
  /** How long a gateway process trusts its copy of the registry before reading it again (ms). */
  snapshotTtlMs?: number
}

export type Subsystem = SubsystemRow & { member: MemberRow; identifier: string }
/** A registered service, with its base address parsed once for the gateway (`basePath` has no trailing `/`). */
export type Service = ServiceRow & { provider: Subsystem; identifier: string; base: URL; basePath: string }
export type AccessRight = AccessRightRow & { client: Subsystem; service: Service }

/** The whole registry, indexed the ways the gateway and the pages look it up. Read-only. */
export type Snapshot = {
  loadedAt: number
  members: MemberRow[]
  subsystems: Subsystem[]
  services: Service[]
  rights: AccessRight[]
  hosts: AllowedHostRow[]
  subsystemById: Map<string, Subsystem>
  subsystemByIdentifier: Map<string, Subsystem>
  subsystemBySsoClient: Map<string, Subsystem>
  serviceById: Map<string, Service>
  serviceByIdentifier: Map<string, Service>
  rightsByService: Map<string, AccessRight[]>
  /** Circuits another server process opened (or this one), by service: until when, and why. */
  openCircuits: Map<string, { until: number; reason: string }>
}

async function loadSnapshot(db: ModuleDeps['db']): Promise<Snapshot> {
  const [members, subsystemRows, serviceRows, rightRows, hosts, circuits] = await Promise.all([
    repo.listMembers(db),
    repo.listSubsystems(db),
    repo.listServices(db),
    repo.listAccessRights(db),
    repo.listAllowedHosts(db),
    repo.listOpenCircuits(db),
  ])
  const memberById = new Map(members.map((m) => [m.id, m]))
  const subsystems: Subsystem[] = []
  for (const row of subsystemRows) {
    const member = memberById.get(row.member_id)
    if (!member) continue
    subsystems.push({
      ...row,
      member,
      identifier: formatSubsystemId({
        instance: member.instance,
        memberClass: member.member_class,
        memberCode: member.member_code,
        subsystemCode: row.code,
      }),
    })
  }
  const subsystemById = new Map(subsystems.map((s) => [s.id, s]))
  const services: Service[] = []
  for (const row of serviceRows) {
    const provider = subsystemById.get(row.subsystem_id)
    if (!provider) continue
    const base = new URL(row.base_url)
    services.push({
      ...row,
      provider,
      identifier: `${provider.identifier}/${row.code}`,
      base,
      basePath: base.pathname.replace(/\/+$/, ''),
    })
  }
  const serviceById = new Map(services.map((s) => [s.id, s]))
  const rights: AccessRight[] = []
  const rightsByService = new Map<string, AccessRight[]>()
  for (const row of rightRows) {
    const client = subsystemById.get(row.client_subsystem_id)
    const service = serviceById.get(row.service_id)
    if (!client || !service) continue
    const right = { ...row, client, service }
    rights.push(right)
    const list = rightsByService.get(service.id) ?? []
    list.push(right)
    rightsByService.set(service.id, list)
  }
  return {
    loadedAt: Date.now(),
    members,
    subsystems,
    services,
    rights,
    hosts,
    subsystemById,
    subsystemByIdentifier: new Map(subsystems.map((s) => [s.identifier, s])),
    subsystemBySsoClient: new Map(
      subsystems.filter((s) => s.sso_client_id).map((s) => [s.sso_client_id!, s]),
    ),
    serviceById,
    serviceByIdentifier: new Map(services.map((s) => [s.identifier, s])),
    rightsByService,
    openCircuits: new Map(
      circuits.map((c) => [c.service_id, { until: c.open_until.getTime(), reason: c.reason }]),
    ),
  }
}

export function requireLgspAdmin(actor: Actor | null): asserts actor is Actor {
  authorize(actor, Permission.lgspAdmin)
}

export function isLgspAdmin(actor: Actor | null): boolean {
  return can(actor, Permission.lgspAdmin)
}

/** The registry: members, subsystems, services, access rights and allowed hosts; every change audited. */
export function createLgspService(deps: LgspDeps) {
  const { db, clock, ssoClient } = deps
  const resolver = deps.resolver ?? systemResolver
  const ttl = deps.snapshotTtlMs ?? 5_000
  let cached: Snapshot | undefined
  let loading: Promise<Snapshot> | undefined

  /**
   * The registry as this process last read it. A change made here is seen at once; one made by another
   * process as soon as its signal arrives (`REGISTRY_CHANGED`, see the module's `start`), and within
   * `snapshotTtlMs` whatever happens to signals.
   */
  async function snapshot(): Promise<Snapshot> {
    if (cached && Date.now() - cached.loadedAt < ttl) return cached
    loading ??= loadSnapshot(db).finally(() => (loading = undefined))
    cached = await loading
    return cached
  }

  function invalidate() {
    cached = undefined
  }

  const audit = (ctx: AuditContext, action: string, objectType: string, objectId: string, details: object) =>
    ({ ctx, entry: { action, objectType, objectId, details: details as Record<string, unknown> } }) as const

  async function commit<T>(
    work: (
      tx: Parameters<Parameters<typeof inTransaction>[1]>[0],
    ) => Promise<{ result: T; log: ReturnType<typeof audit> }>,
  ): Promise<T> {
    try {
      const result = await inTransaction(db, async (tx) => {
        const done = await work(tx)
        await appendAudit(tx, done.log.ctx, done.log.entry, clock())
        await repo.signalRegistryChanged(tx, 'registry')
        return done.result
      })
      return result
    } catch (error) {
      if ((error as { code?: string }).code === '23505') {
        throw new ConflictError('Mã định danh này đã được đăng ký.')
      }
      throw error
    } finally {
      invalidate()
    }
  }

  // Members.

  async function createMember(actor: Actor | null, raw: Record<string, unknown>, ctx: AuditContext) {
    requireLgspAdmin(actor)
    const input = parseMemberInput(raw)
    if (await repo.findMemberByCode(db, input.instance, input.memberClass, input.memberCode)) {
      throw new ValidationError({
        memberCode: `Thành viên ${input.instance}/${input.memberClass}/${input.memberCode} đã được đăng ký.`,
      })
    }
    return commit(async (tx) => {
      const row = await repo.insertMember(tx, {
        instance: input.instance,
        member_class: input.memberClass,
        member_code: input.memberCode,
        name: input.name,
        created_by: actor.userId,
      })
      return {
        result: row,
        log: audit(ctx, 'lgsp.member_created', 'lgsp_member', row.id, {
          member: `${row.instance}/${row.member_class}/${row.member_code}`,
          name: row.name,
        }),
      }
    })
  }

  async function updateMember(
    actor: Actor | null,
    id: string,
    raw: Record<string, unknown>,
    ctx: AuditContext,
  ) {
    requireLgspAdmin(actor)
    const existing = await getMember(id)
    // The identifier is what clients call; only the name changes.
    const input = parseMemberInput({
      ...raw,
      instance: existing.instance,
      memberClass: existing.member_class,
      memberCode: existing.member_code,
    })
    return commit(async (tx) => {
      const row = (await repo.updateMember(tx, id, { name: input.name, updated_at: clock() }))!
      return {
        result: row,
        log: audit(ctx, 'lgsp.member_updated', 'lgsp_member', id, {
          name: { from: existing.name, to: row.name },
        }),
      }
    })
  }

  async function getMember(id: string): Promise<MemberRow> {
    const row = isUuid(id) ? await repo.findMember(db, id) : undefined
    if (!row) throw new NotFoundError('Không tìm thấy thành viên LGSP.')
    return row
  }

  // Subsystems.

  async function checkSsoClient(clientId: string | null, subsystemId?: string) {
    if (!clientId) return
    const client = await ssoClient(clientId)
    if (!client) {
      throw new ValidationError({ ssoClientId: `Không có ứng dụng SSO với client_id ${clientId}.` })
    }
    if (client.kind !== 'client_credentials') {
      throw new ValidationError({
        ssoClientId: 'Ứng dụng SSO phải là loại “hệ thống gọi hệ thống” (client credentials).',
      })
    }
    const taken = await repo.findSubsystemBySsoClient(db, clientId)
    if (taken && taken.id !== subsystemId) {
      throw new ValidationError({
        ssoClientId: `Ứng dụng SSO ${clientId} đã gắn với hệ thống ${taken.code}.`,
      })
    }
  }

  async function createSubsystem(
    actor: Actor | null,
    memberId: string,
    raw: Record<string, unknown>,
    ctx: AuditContext,
  ) {
    requireLgspAdmin(actor)
    const member = await getMember(memberId)
    const input = parseSubsystemInput(raw, clock())
    if (await repo.findSubsystemByCode(db, member.id, input.code)) {
      throw new ValidationError({ code: `Thành viên đã có hệ thống mã ${input.code}.` })
    }
    await checkSsoClient(input.ssoClientId)
    return commit(async (tx) => {
      const row = await repo.insertSubsystem(tx, {
        member_id: member.id,
        code: input.code,
        name: input.name,
        sso_client_id: input.ssoClientId,
        rate_limit_per_minute: input.rateLimitPerMinute,
        client_certificate: input.clientCertificate?.pem ?? null,
        client_certificate_sha256: input.clientCertificate?.sha256 ?? null,
        created_by: actor.userId,
      })
      return {
        result: row,
        log: audit(ctx, 'lgsp.subsystem_created', 'lgsp_subsystem', row.id, {
          subsystem: `${member.instance}/${member.member_class}/${member.member_code}/${row.code}`,
          ssoClientId: row.sso_client_id,
          rateLimitPerMinute: row.rate_limit_per_minute,
          clientCertificateSha256: row.client_certificate_sha256,
        }),
      }
    })
  }

  async function updateSubsystem(
    actor: Actor | null,
    id: string,
    raw: Record<string, unknown>,
    ctx: AuditContext,
  ) {
    requireLgspAdmin(actor)
    const existing = await getSubsystemRow(id)
    const input = parseSubsystemInput({ ...raw, code: existing.code }, clock())
    await checkSsoClient(input.ssoClientId, id)
    return commit(async (tx) => {
      const row = (await repo.updateSubsystem(tx, id, {
        name: input.name,
        sso_client_id: input.ssoClientId,
        rate_limit_per_minute: input.rateLimitPerMinute,
        client_certificate: input.clientCertificate?.pem ?? null,
        client_certificate_sha256: input.clientCertificate?.sha256 ?? null,
        disabled_at: input.disabled ? (existing.disabled_at ?? clock()) : null,
        updated_at: clock(),
      }))!
      return {
        result: row,
        log: audit(ctx, 'lgsp.subsystem_updated', 'lgsp_subsystem', id, {
          name: row.name,
          ssoClientId: row.sso_client_id,
          rateLimitPerMinute: row.rate_limit_per_minute,
          clientCertificateSha256: row.client_certificate_sha256,
          disabled: row.disabled_at !== null,
        }),
      }
    })
  }

  async function getSubsystemRow(id: string): Promise<SubsystemRow> {
    const row = isUuid(id) ? await repo.findSubsystem(db, id) : undefined
    if (!row) throw new NotFoundError('Không tìm thấy hệ thống thông tin (subsystem).')
    return row
  }

  // Services.

  /** Refuses a base URL outside the allow-list, or one reached through a wildcard that resolves inward. */
  async function checkServiceUrl(baseUrl: string): Promise<string> {
    const hosts = (await repo.listAllowedHosts(db)).map((h) => h.host)
    const checked = checkBaseUrl(baseUrl, hosts)
    if ('problem' in checked) throw new ValidationError({ baseUrl: checked.problem })
    const problem = await resolutionProblem(checked.url, checked.exact, resolver)
    if (problem) throw new ValidationError({ baseUrl: problem })
    // Kept without a trailing slash: the gateway appends the path below the service.
    return checked.url.href.replace(/\/+$/, '')
  }

  const serviceValues = (input: ServiceInput, baseUrl: string) => ({
    version: input.version,
    title: input.title,
    description: input.description,
    base_url: baseUrl,
    openapi: input.openapi ? JSON.stringify(input.openapi) : null,
    timeout_ms: input.timeoutMs,
    max_body_bytes: input.maxBodyBytes,
    log_bodies: input.logBodies,
  })

  async function createService(
    actor: Actor | null,
    subsystemId: string,
    raw: Record<string, unknown>,
    ctx: AuditContext,
  ) {
    requireLgspAdmin(actor)
    const provider = await getSubsystemRow(subsystemId)
    const input = parseServiceInput(raw)
    if (await repo.findServiceByCode(db, provider.id, input.code)) {
      throw new ValidationError({ code: `Hệ thống đã có dịch vụ mã ${input.code}.` })
    }
    const baseUrl = await checkServiceUrl(input.baseUrl)
    return commit(async (tx) => {
      const row = await repo.insertService(tx, {
        subsystem_id: provider.id,
        code: input.code,
        ...serviceValues(input, baseUrl),
        created_by: actor.userId,
      })
      return {
        result: row,
        log: audit(ctx, 'lgsp.service_created', 'lgsp_service', row.id, {
          provider: provider.code,
          code: row.code,
          version: row.version,
          baseUrl: row.base_url,
          logBodies: row.log_bodies,
        }),
      }
    })
  }

  async function updateService(
    actor: Actor | null,
    id: string,
    raw: Record<string, unknown>,
    ctx: AuditContext,
  ) {
    requireLgspAdmin(actor)
    const existing = await getServiceRow(id)
    const input = parseServiceInput({ ...raw, code: existing.code })
    const baseUrl = await checkServiceUrl(input.baseUrl)
    return commit(async (tx) => {
      const row = (await repo.updateService(tx, id, {
        ...serviceValues(input, baseUrl),
        disabled_at: input.disabled ? (existing.disabled_at ?? clock()) : null,
        updated_at: clock(),
      }))!
      return {
        result: row,
        log: audit(ctx, 'lgsp.service_updated', 'lgsp_service', id, {
          code: row.code,
          version: row.version,
          baseUrl: row.base_url,
          timeoutMs: row.timeout_ms,
          maxBodyBytes: row.max_body_bytes,
          logBodies: row.log_bodies,
          disabled: row.disabled_at !== null,
        }),
      }
    })
  }

  async function getServiceRow(id: string): Promise<ServiceRow> {
    const row = isUuid(id) ? await repo.findService(db, id) : undefined
    if (!row) throw new NotFoundError('Không tìm thấy dịch vụ.')
    return row
  }

  // Access rights.

  async function grantAccess(
    actor: Actor | null,
    serviceId: string,
    raw: Record<string, unknown>,
    ctx: AuditContext,
  ) {
    requireLgspAdmin(actor)
    const service = await getServiceRow(serviceId)
    const input = parseAccessRightInput(raw)
    invalidate()
    const snap = await snapshot()
    let client = isUuid(input.client) ? snap.subsystemById.get(input.client) : undefined
    if (!client) {
      try {
        client = snap.subsystemByIdentifier.get(formatSubsystemId(parseClientHeader(input.client)))
      } catch {
        client = undefined
      }
    }
    if (!client) {
      throw new ValidationError({
        client: 'Không tìm thấy hệ thống được phép gọi (nhập dạng VN/GOV/000.00.00.H14/MA-HE-THONG).',
      })
    }
    const existing = (snap.rightsByService.get(service.id) ?? []).find(
      (r) => r.client_subsystem_id === client.id && r.path_pattern === input.pathPattern,
    )
    if (existing) {
      throw new ValidationError({
        pathPattern: `Hệ thống ${client.identifier} đã có quyền với mẫu đường dẫn ${input.pathPattern}.`,
      })
    }
    return commit(async (tx) => {
      const row = await repo.insertAccessRight(tx, {
        service_id: service.id,
        client_subsystem_id: client.id,
        methods: input.methods,
        path_pattern: input.pathPattern,
        created_by: actor.userId,
      })
      return {
        result: row,
        log: audit(ctx, 'lgsp.access_granted', 'lgsp_service', service.id, {
          right: row.id,
          client: client.identifier,
          methods: row.methods,
          pathPattern: row.path_pattern,
        }),
      }
    })
  }

  async function revokeAccess(actor: Actor | null, rightId: string, ctx: AuditContext) {
    requireLgspAdmin(actor)
    const existing = isUuid(rightId) ? await repo.findAccessRight(db, rightId) : undefined
    if (!existing) throw new NotFoundError('Không tìm thấy quyền truy cập.')
    return commit(async (tx) => {
      await repo.deleteAccessRight(tx, rightId)
      return {
        result: existing,
        log: audit(ctx, 'lgsp.access_revoked', 'lgsp_service', existing.service_id, {
          right: existing.id,
          client: existing.client_subsystem_id,
          methods: existing.methods,
          pathPattern: existing.path_pattern,
        }),
      }
    })
  }

  // Allowed hosts.

  async function allowHost(actor: Actor | null, raw: Record<string, unknown>, ctx: AuditContext) {
    requireLgspAdmin(actor)
    const parsed = parseHostEntry(typeof raw.host === 'string' ? raw.host : '')
    if ('problem' in parsed) throw new ValidationError({ host: parsed.problem })
    const note = typeof raw.note === 'string' ? raw.note.normalize('NFC').trim().slice(0, 300) || null : null
    return commit(async (tx) => {
      const row = await repo.insertAllowedHost(tx, { host: parsed.host, note, created_by: actor.userId })
      if (!row) throw new ValidationError({ host: `Máy chủ ${parsed.host} đã có trong danh sách.` })
      return { result: row, log: audit(ctx, 'lgsp.host_allowed', 'lgsp_host', row.host, { note }) }
    })
  }

  async function removeHost(actor: Actor | null, host: string, ctx: AuditContext) {
    requireLgspAdmin(actor)
    return commit(async (tx) => {
      const row = await repo.deleteAllowedHost(tx, host)
      if (!row) throw new NotFoundError('Máy chủ này không có trong danh sách được phép.')
      return { result: row, log: audit(ctx, 'lgsp.host_removed', 'lgsp_host', row.host, {}) }
    })
  }

  /** The registry for an administrator (all of it) after the permission check. */
  async function registryFor(actor: Actor | null): Promise<Snapshot> {
    requireLgspAdmin(actor)
    invalidate()
    return snapshot()
  }

  return {
    snapshot,
    invalidate,
    registryFor,
    createMember,
    updateMember,
    getMember,
    createSubsystem,
    updateSubsystem,
    createService,
    updateService,
    grantAccess,
    revokeAccess,
    allowHost,
    removeHost,
    formatServiceId,
  }
}

export type LgspService = ReturnType<typeof createLgspService>
