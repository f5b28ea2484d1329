import { AsyncLocalStorage } from 'node:async_hooks'
import { sql } from 'kysely'
import type { Adapter, AdapterPayload } from 'oidc-provider'
import type { AuditContext } from '../../platform/audit/audit.js'
import type { Lang } from '../../platform/i18n/index.js'
import type { Clock } from '../../platform/clock.js'
import type { Db, Queryable } from '../../platform/db/database.js'
import { tablesOf } from '../../platform/db/tables.js'
import { clientMetadata } from './sso.clients.js'
import { deleteAndSignal } from './sso.revocation.js'
import type { SsoTables } from './sso.tables.js'

/** What the platform knows about the request oidc-provider is serving; the adapter and policy read it. */
export type PlatformRequest = {
  sessionId: string | null
  userId: string | null
  requestId: string
  lang: Lang
  audit: AuditContext
  /** Set when the official chose to sign out of everything on the provider's logout page. */
  endPlatformSession?: boolean
}

/**
 * oidc-provider calls the adapter deep inside its own request handling; the platform's session reaches it
 * through the async context of that request rather than through the library's objects.
 */
export const platformRequest = new AsyncLocalStorage<PlatformRequest>()

const t = (q: Queryable) => tablesOf<SsoTables>(q)

/** The adapter of every oidc-provider model on the platform database: `Client` reads the registered clients. */
export function createAdapterFactory(db: Db, clock: Clock) {
  return (model: string): Adapter =>
    model === 'Client' ? clientAdapter(db) : payloadAdapter(db, clock, model)
}

function payloadAdapter(db: Db, clock: Clock, model: string): Adapter {
  const live = () => sql<boolean>`(expires_at is null or expires_at > ${clock()})`
  const read = (row: { payload: Record<string, unknown>; consumed_at: Date | null } | undefined) => {
    if (!row) return undefined
    const payload = row.payload as AdapterPayload
    return row.consumed_at ? { ...payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) } : payload
  }
  const text = (value: unknown) => (typeof value === 'string' ? value : null)

  return {
    async upsert(id, payload, expiresIn) {
      const expiresAt = expiresIn ? new Date(clock().getTime() + expiresIn * 1000) : null
      const platformSessionId = model === 'Session' ? (platformRequest.getStore()?.sessionId ?? null) : null
      const row = {
        model,
        id,
        payload: JSON.stringify(payload),
        grant_id: text(payload.grantId),
        user_code: text(payload.userCode),
        uid: text(payload.uid),
        account_id: text(payload.accountId),
        platform_session_id: platformSessionId,
        expires_at: expiresAt,
        consumed_at: null,
      }
      await t(db)
        .insertInto('sso_payloads')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['model', 'id']).doUpdateSet((eb) => ({
            payload: eb.ref('excluded.payload'),
            grant_id: eb.ref('excluded.grant_id'),
            user_code: eb.ref('excluded.user_code'),
            uid: eb.ref('excluded.uid'),
            account_id: eb.ref('excluded.account_id'),
            expires_at: eb.ref('excluded.expires_at'),
            // A session saved outside a platform request (none so far) keeps the platform session it had.
            platform_session_id: eb.fn.coalesce(
              'excluded.platform_session_id',
              'sso_payloads.platform_session_id',
            ),
          })),
        )
        .execute()
    },
    async find(id) {
      const row = await t(db)
        .selectFrom('sso_payloads')
        .select(['payload', 'consumed_at'])
        .where('model', '=', model)
        .where('id', '=', id)
        .where(live())
        .executeTakeFirst()
      return read(row)
    },
    async findByUid(uid) {
      const row = await t(db)
        .selectFrom('sso_payloads')
        .select(['payload', 'consumed_at'])
        .where('model', '=', model)
        .where('uid', '=', uid)
        .where(live())
        .executeTakeFirst()
      return read(row)
    },
    async findByUserCode(userCode) {
      const row = await t(db)
        .selectFrom('sso_payloads')
        .select(['payload', 'consumed_at'])
        .where('model', '=', model)
        .where('user_code', '=', userCode)
        .where(live())
        .executeTakeFirst()
      return read(row)
    },
    async consume(id) {
      await t(db)
        .updateTable('sso_payloads')
        .set({ consumed_at: clock() })
        .where('model', '=', model)
        .where('id', '=', id)
        .execute()
    },
    async destroy(id) {
      await deleteAndSignal(db, sql<boolean>`model = ${model} and id = ${id}`)
    },
    async revokeByGrantId(grantId) {
      // Every model a grant issued (codes, access and refresh tokens) goes with it, whichever adapter is asked.
      await deleteAndSignal(db, sql<boolean>`grant_id = ${grantId}`)
    },
  }
}

/** Clients come from the administrators' register; a disabled client is unknown to the provider. */
function clientAdapter(db: Db): Adapter {
  const readOnly = () => Promise.reject(new Error('clients are registered through the SSO module'))
  return {
    async find(id) {
      const row = await t(db)
        .selectFrom('sso_clients')
        .selectAll()
        .where('client_id', '=', id)
        .where('disabled_at', 'is', null)
        .executeTakeFirst()
      return row ? (clientMetadata(row) as AdapterPayload) : undefined
    },
    upsert: readOnly,
    findByUid: readOnly,
    findByUserCode: readOnly,
    consume: readOnly,
    destroy: readOnly,
    revokeByGrantId: readOnly,
  }
}

/** Provider sessions signed in with one platform session: what signing out of the platform must end. */
export async function sessionsOfPlatformSession(db: Db, platformSessionId: string) {
  const rows = await t(db)
    .selectFrom('sso_payloads')
    .select(['id', 'payload'])
    .where('model', '=', 'Session')
    .where('platform_session_id', '=', platformSessionId)
    .execute()
  return rows.map((row) => ({ id: row.id, payload: row.payload }))
}

/** Drops what has expired; finds already ignore it, this only keeps the table small. */
export async function purgeExpired(db: Db, now: Date): Promise<number> {
  const result = await t(db).deleteFrom('sso_payloads').where('expires_at', '<', now).executeTakeFirst()
  return Number(result.numDeletedRows)
}
