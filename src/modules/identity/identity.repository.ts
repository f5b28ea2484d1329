import type { Selectable } from 'kysely'
import { jsonArrayFrom } from 'kysely/helpers/postgres'
import type { Queryable } from '../../platform/db/database.js'
import { tablesOf } from '../../platform/db/tables.js'
import type { IdentityTables } from './identity.tables.js'

export type UserRow = Selectable<IdentityTables['users']>
export type AssignmentRow = Selectable<IdentityTables['role_assignments']>
export type SessionRow = Selectable<IdentityTables['sessions']>
export type TokenRow = Selectable<IdentityTables['access_tokens']>

const t = (q: Queryable) => tablesOf<IdentityTables>(q)

export function findUserById(q: Queryable, id: string) {
  return t(q).selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
}

/** Sign-in accepts the username, the e-mail address or the phone number. */
export function findUserByLogin(q: Queryable, login: string) {
  const value = login.trim().toLowerCase()
  return t(q)
    .selectFrom('users')
    .selectAll()
    .where((eb) =>
      eb.or([eb('username', '=', value), eb(eb.fn('lower', ['email']), '=', value), eb('phone', '=', value)]),
    )
    .executeTakeFirst()
}

export function findAssignments(q: Queryable, userIds: string[]) {
  if (userIds.length === 0) return Promise.resolve([] as AssignmentRow[])
  return t(q)
    .selectFrom('role_assignments')
    .selectAll()
    .where('user_id', 'in', userIds)
    .orderBy('created_at')
    .execute()
}

export type UserListFilter = {
  q?: string
  unitIds?: string[]
  kind?: string
  after?: { name: string; id: string }
}

/** Keyset pagination on (full_name, id): stable and index-backed however deep the page. */
export function listUsers(q: Queryable, filter: UserListFilter, limit: number) {
  let query = t(q)
    .selectFrom('users')
    .select([
      'id',
      'kind',
      'username',
      'full_name',
      'email',
      'phone',
      'home_unit_id',
      'status',
      'last_login_at',
    ])
    .orderBy('full_name')
    .orderBy('id')
    .limit(limit)
  if (filter.unitIds)
    query = query.where(
      'home_unit_id',
      'in',
      filter.unitIds.length ? filter.unitIds : ['00000000-0000-0000-0000-000000000000'],
    )
  if (filter.kind) query = query.where('kind', '=', filter.kind as UserRow['kind'])
  if (filter.q) {
    const like = `%${filter.q}%`
    query = query.where((eb) =>
      eb.or([
        eb(eb.fn('f_unaccent', ['full_name']), 'like', eb.fn('f_unaccent', [eb.val(like)])),
        eb('username', 'like', like.toLowerCase()),
      ]),
    )
  }
  if (filter.after) {
    const { name, id } = filter.after
    query = query.where((eb) =>
      eb.or([eb('full_name', '>', name), eb.and([eb('full_name', '=', name), eb('id', '>', id)])]),
    )
  }
  return query.execute()
}

/**
 * The session, its user and the user's role assignments in one round trip: this runs on every
 * request, and on the embedded engine each query costs a millisecond or more.
 */
export async function findSessionWithUser(q: Queryable, sessionId: string) {
  const row = await t(q)
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .selectAll('users')
    .select([
      'sessions.id as session_id',
      'sessions.stage as session_stage',
      'sessions.last_seen_at as session_last_seen_at',
      'sessions.expires_at as session_expires_at',
    ])
    .select((eb) =>
      jsonArrayFrom(
        eb
          .selectFrom('role_assignments')
          .select(['role_assignments.role', 'role_assignments.unit_id', 'role_assignments.include_subtree'])
          .whereRef('role_assignments.user_id', '=', 'users.id')
          .orderBy('role_assignments.created_at'),
      ).as('assignments'),
    )
    .where('sessions.id', '=', sessionId)
    .executeTakeFirst()
  if (!row) return undefined
  const { session_id, session_stage, session_last_seen_at, session_expires_at, assignments, ...user } = row
  return {
    session: {
      id: session_id,
      stage: session_stage,
      lastSeenAt: session_last_seen_at,
      expiresAt: session_expires_at,
    },
    user: user,
    assignments: assignments as Pick<AssignmentRow, 'role' | 'unit_id' | 'include_subtree'>[],
  }
}

export type NewUser = Pick<UserRow, 'kind' | 'username' | 'full_name' | 'password_hash'> &
  Partial<
    Pick<UserRow, 'email' | 'phone' | 'citizen_id' | 'tax_code' | 'home_unit_id' | 'password_changed_at'>
  >

export function insertUser(q: Queryable, user: NewUser) {
  return t(q)
    .insertInto('users')
    .values({
      email: null,
      phone: null,
      citizen_id: null,
      tax_code: null,
      home_unit_id: null,
      password_changed_at: null,
      ...user,
      totp_secret: null,
      totp_enabled_at: null,
      locked_until: null,
      last_login_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
}

/** Revokes one of a user's live tokens; undefined when there is no such live token. */
export function revokeAccessToken(q: Queryable, userId: string, tokenId: string, now: Date) {
  return t(q)
    .updateTable('access_tokens')
    .set({ revoked_at: now })
    .where('id', '=', tokenId)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .returning('id')
    .executeTakeFirst()
}

export function listAccessTokens(q: Queryable, userId: string) {
  return t(q)
    .selectFrom('access_tokens')
    .select(['id', 'name', 'prefix', 'created_at', 'expires_at', 'last_used_at', 'revoked_at'])
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .execute()
}
