import { sql, type Selectable } from 'kysely'
import { appendAudit, type AuditContext } from '../../platform/audit/audit.js'
import { ForbiddenError, hasRole, UnauthenticatedError, type Actor } from '../../platform/auth/actor.js'
import { Role } from '../../platform/auth/roles.js'
import { randomToken, safeEqual, sha256 } from '../../platform/auth/tokens.js'
import { inTransaction, type Queryable } from '../../platform/db/database.js'
import { tablesOf } from '../../platform/db/tables.js'
import { inFormOrder, NotFoundError, ValidationError, type FieldErrors } from '../../platform/http/errors.js'
import type { ModuleDeps } from '../../platform/module.js'
import { CLIENT_KINDS, ClientKind, type SsoTables } from './sso.tables.js'
import { deleteAndSignal } from './sso.revocation.js'

export type ClientRow = Selectable<SsoTables['sso_clients']>

/** Scopes a browser application may ask for; `openid` is always granted to it. */
export const USER_SCOPES = ['openid', 'profile', 'email', 'phone', 'cb_roles', 'offline_access'] as const
/** Scopes a system may ask for with client credentials: calling services through the LGSP gateway. */
export const SYSTEM_SCOPES = ['lgsp'] as const
export const ALL_SCOPES = [...USER_SCOPES, ...SYSTEM_SCOPES]

const FORM_ORDER = [
  'name',
  'kind',
  'redirectUris',
  'postLogoutRedirectUris',
  'backchannelLogoutUri',
  'homeUrl',
  'scopes',
]
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

export type ClientInput = {
  name: string
  description: string | null
  kind: ClientKind
  redirectUris: string[]
  postLogoutRedirectUris: string[]
  backchannelLogoutUri: string | null
  homeUrl: string | null
  scopes: string[]
  firstParty: boolean
}

/** Returns a Vietnamese reason when an address an application gives is not https (or http on this machine). */
export function uriProblem(value: string): string | null {
  if (!URL.canParse(value)) return `"${value}" không phải địa chỉ hợp lệ.`
  const url = new URL(value)
  if (url.hash) return `"${value}" không được chứa phần #.`
  if (url.username || url.password) return `"${value}" không được chứa tên đăng nhập hay mật khẩu.`
  if (url.protocol === 'https:') return null
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return null
  return `"${value}" phải dùng https (chỉ được dùng http với localhost).`
}

const lines = (value: unknown): string[] => {
  const all = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,]+/) : []
  return [...new Set(all.filter((v): v is string => typeof v === 'string').map((v) => v.trim()))].filter(
    Boolean,
  )
}
const text = (value: unknown) => (typeof value === 'string' ? value.normalize('NFC').trim() : '')
const flag = (value: unknown) => value === true || value === 'on' || value === 'true' || value === '1'

/** Reads an application's registration from a form, the API or the CLI; every problem is reported at once. */
export function parseClientInput(raw: Record<string, unknown>): ClientInput {
  const errors: FieldErrors = {}
  const name = text(raw.name).replace(/\s+/g, ' ')
  if (name.length < 2 || name.length > 200) errors.name = 'Nhập tên ứng dụng (2–200 ký tự).'
  const kind = CLIENT_KINDS.find((k) => k === raw.kind)
  if (!kind) errors.kind = 'Chọn cách ứng dụng đăng nhập: người dùng qua trình duyệt hoặc hệ thống.'
  const uris = (field: string) => {
    const values = lines(raw[field])
    const problems = values.map(uriProblem).filter((p): p is string => p !== null)
    if (problems.length > 0) errors[field] = problems.join(' ')
    return values
  }
  const single = (field: string) => {
    const [value, extra] = uris(field)
    if (extra !== undefined) errors[field] = 'Chỉ nhập một địa chỉ.'
    return value ?? null
  }
  const redirectUris = uris('redirectUris')
  const postLogoutRedirectUris = uris('postLogoutRedirectUris')
  const backchannelLogoutUri = single('backchannelLogoutUri')
  const homeUrl = single('homeUrl')
  const browser = kind === ClientKind.authorizationCode
  if (browser && redirectUris.length === 0 && !errors.redirectUris) {
    errors.redirectUris = 'Nhập ít nhất một địa chỉ chuyển hướng sau đăng nhập (redirect URI).'
  }
  if (!browser && redirectUris.length + postLogoutRedirectUris.length > 0) {
    errors.redirectUris = 'Ứng dụng hệ thống (client credentials) không có địa chỉ chuyển hướng.'
  }
  const allowed: readonly string[] = browser ? USER_SCOPES : SYSTEM_SCOPES
  const requested = lines(raw.scopes)
  const unknown = requested.filter((s) => !allowed.includes(s))
  if (unknown.length > 0) {
    errors.scopes = `Phạm vi không được phép cho loại ứng dụng này: ${unknown.join(', ')}. Được phép: ${allowed.join(', ')}.`
  }
  const scopes = browser
    ? [...new Set(['openid', ...(requested.length > 0 ? requested : ['profile', 'email'])])]
    : requested.length > 0
      ? requested
      : [...SYSTEM_SCOPES]
  if (Object.keys(errors).length > 0) throw new ValidationError(inFormOrder(errors, FORM_ORDER))
  return {
    name,
    description: text(raw.description).slice(0, 1000) || null,
    kind: kind!,
    redirectUris,
    postLogoutRedirectUris,
    backchannelLogoutUri,
    homeUrl,
    scopes,
    firstParty: flag(raw.firstParty),
  }
}

/** The client as oidc-provider reads it; the stored secret is a hash, compared by `secretMatches`. */
export function clientMetadata(row: ClientRow) {
  const browser = row.kind === ClientKind.authorizationCode
  return {
    client_id: row.client_id,
    client_name: row.name,
    client_secret: row.secret_hash,
    grant_types: browser ? ['authorization_code', 'refresh_token'] : ['client_credentials'],
    response_types: browser ? ['code'] : [],
    redirect_uris: row.redirect_uris,
    post_logout_redirect_uris: row.post_logout_redirect_uris,
    scope: row.scopes.join(' '),
    token_endpoint_auth_method: 'client_secret_basic',
    ...(row.backchannel_logout_uri
      ? { backchannel_logout_uri: row.backchannel_logout_uri, backchannel_logout_session_required: true }
      : {}),
  }
}

/** Client secrets are 32 random bytes, so a plain SHA-256 is enough to keep them unusable if read. */
export function hashSecret(secret: string): string {
  return `sha256:${sha256(secret)}`
}

export function secretMatches(storedHash: string, presented: string): boolean {
  return safeEqual(storedHash, hashSecret(presented))
}

const t = (q: Queryable) => tablesOf<SsoTables>(q)

/** The client a stored grant or token belongs to, read from the provider's payload. */
const sqlPayloadClientId = () => sql<string>`payload->>'clientId'`

function sqlRevokeTokensOf(q: Queryable, clientId: string) {
  return deleteAndSignal(q, sql<boolean>`${sqlPayloadClientId()} = ${clientId}`)
}

export function requireSsoAdmin(actor: Actor | null): asserts actor is Actor {
  if (!actor) throw new UnauthenticatedError()
  if (!hasRole(actor, Role.systemAdmin)) throw new ForbiddenError('sso.clients.manage')
}

/** Registered applications: administrators create, change and disable them; the secret is shown once. */
export function createClientsService({ db, clock }: ModuleDeps) {
  async function createClientTrusted(input: ClientInput, ctx: AuditContext) {
    const clientId = `cb-${randomToken(12)}`
    const secret = randomToken(32)
    const now = clock()
    const row = await inTransaction(db, async (tx) => {
      const created = await t(tx)
        .insertInto('sso_clients')
        .values({
          client_id: clientId,
          name: input.name,
          description: input.description,
          secret_hash: hashSecret(secret),
          kind: input.kind,
          redirect_uris: input.redirectUris,
          post_logout_redirect_uris: input.postLogoutRedirectUris,
          scopes: input.scopes,
          backchannel_logout_uri: input.backchannelLogoutUri,
          home_url: input.homeUrl,
          first_party: input.firstParty,
          disabled_at: null,
          created_by: ctx.actorId,
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow()
      await appendAudit(
        tx,
        ctx,
        {
          action: 'sso.client_created',
          objectType: 'sso_client',
          objectId: clientId,
          details: { name: input.name, kind: input.kind, redirectUris: input.redirectUris },
        },
        now,
      )
      return created
    })
    return { client: row, secret }
  }

  async function getClient(clientId: string): Promise<ClientRow> {
    const row = await t(db)
      .selectFrom('sso_clients')
      .selectAll()
      .where('client_id', '=', clientId)
      .executeTakeFirst()
    if (!row) throw new NotFoundError('Không tìm thấy ứng dụng.')
    return row
  }

  async function updateClientTrusted(clientId: string, input: ClientInput, ctx: AuditContext) {
    const before = await getClient(clientId)
    const now = clock()
    return inTransaction(db, async (tx) => {
      const row = await t(tx)
        .updateTable('sso_clients')
        .set({
          name: input.name,
          description: input.description,
          // The grant type decides what a client is; changing it would leave its secret in the wrong hands.
          redirect_uris: input.redirectUris,
          post_logout_redirect_uris: input.postLogoutRedirectUris,
          scopes: input.scopes,
          backchannel_logout_uri: input.backchannelLogoutUri,
          home_url: input.homeUrl,
          first_party: input.firstParty,
          updated_at: now,
        })
        .where('client_id', '=', before.client_id)
        .returningAll()
        .executeTakeFirstOrThrow()
      await appendAudit(
        tx,
        ctx,
        {
          action: 'sso.client_updated',
          objectType: 'sso_client',
          objectId: clientId,
          details: { name: input.name },
        },
        now,
      )
      return row
    })
  }

  async function setDisabledTrusted(clientId: string, disabled: boolean, ctx: AuditContext) {
    await getClient(clientId)
    const now = clock()
    await inTransaction(db, async (tx) => {
      await t(tx)
        .updateTable('sso_clients')
        .set({ disabled_at: disabled ? now : null, updated_at: now })
        .where('client_id', '=', clientId)
        .execute()
      if (disabled) {
        // Tokens already issued to it stop working at once, not when they expire.
        await sqlRevokeTokensOf(tx, clientId)
      }
      await appendAudit(
        tx,
        ctx,
        {
          action: disabled ? 'sso.client_disabled' : 'sso.client_enabled',
          objectType: 'sso_client',
          objectId: clientId,
        },
        now,
      )
    })
  }

  async function resetSecretTrusted(clientId: string, ctx: AuditContext): Promise<string> {
    await getClient(clientId)
    const secret = randomToken(32)
    const now = clock()
    await inTransaction(db, async (tx) => {
      await t(tx)
        .updateTable('sso_clients')
        .set({ secret_hash: hashSecret(secret), updated_at: now })
        .where('client_id', '=', clientId)
        .execute()
      await appendAudit(
        tx,
        ctx,
        { action: 'sso.client_secret_reset', objectType: 'sso_client', objectId: clientId },
        now,
      )
    })
    return secret
  }

  function listClients() {
    return t(db).selectFrom('sso_clients').selectAll().orderBy('name').orderBy('client_id').execute()
  }

  /**
   * The applications an official can open: those the province runs itself, and those the official has
   * already allowed to use their account.
   */
  async function listForUser(userId: string) {
    const granted = t(db)
      .selectFrom('sso_payloads')
      .select(sqlPayloadClientId().as('client_id'))
      .where('model', '=', 'Grant')
      .where('account_id', '=', userId)
    return t(db)
      .selectFrom('sso_clients')
      .selectAll()
      .where('disabled_at', 'is', null)
      .where('kind', '=', ClientKind.authorizationCode)
      .where((eb) => eb.or([eb('first_party', '=', true), eb('client_id', 'in', granted)]))
      .orderBy('name')
      .execute()
  }

  return {
    createClient: (actor: Actor | null, input: ClientInput, ctx: AuditContext) => {
      requireSsoAdmin(actor)
      return createClientTrusted(input, ctx)
    },
    updateClient: (actor: Actor | null, clientId: string, input: ClientInput, ctx: AuditContext) => {
      requireSsoAdmin(actor)
      return updateClientTrusted(clientId, input, ctx)
    },
    setDisabled: (actor: Actor | null, clientId: string, disabled: boolean, ctx: AuditContext) => {
      requireSsoAdmin(actor)
      return setDisabledTrusted(clientId, disabled, ctx)
    },
    resetSecret: (actor: Actor | null, clientId: string, ctx: AuditContext) => {
      requireSsoAdmin(actor)
      return resetSecretTrusted(clientId, ctx)
    },
    listClients: (actor: Actor | null) => {
      requireSsoAdmin(actor)
      return listClients()
    },
    getClient: (actor: Actor | null, clientId: string) => {
      requireSsoAdmin(actor)
      return getClient(clientId)
    },
    findClientPublic: async (clientId: string) =>
      t(db).selectFrom('sso_clients').selectAll().where('client_id', '=', clientId).executeTakeFirst(),
    listForUser,
    listAllTrusted: listClients,
    createClientTrusted,
    setDisabledTrusted,
  }
}

export type ClientsService = ReturnType<typeof createClientsService>
