import { randomBytes } from 'node:crypto'
import { appendAudit, type AuditContext } from '../../platform/audit/audit.js'
import type { Actor } from '../../platform/auth/actor.js'
import { hashPassword } from '../../platform/auth/password.js'
import { randomToken, sha256 } from '../../platform/auth/tokens.js'
import type { Clock } from '../../platform/clock.js'
import type { Config, ExternalOidcSettings } from '../../platform/config.js'
import { inTransaction, type Db, type Queryable, type Tx } from '../../platform/db/database.js'
import { tablesOf } from '../../platform/db/tables.js'
import { NotFoundError, ValidationError } from '../../platform/http/errors.js'
import { isUuid } from '../../platform/ids.js'
import { ExternalLoginError, type ProviderIdentity } from './external-login.client.js'
import { externalMessages } from './external-login.locales.js'
import type { ExternalLoginTables, VerifiedClaims } from './external-login.tables.js'
import { findUserById, insertUser, type UserRow } from './identity.repository.js'
import type { IdentityTables } from './identity.tables.js'
import { checkNewPassword, citizenIdProblem, normalisePhone, normaliseText } from './identity.validation.js'

/**
 * The password hash of an account created through the outside provider: it never verifies (argon2 rejects
 * it as malformed), and it says the account has no password yet.
 */
export const NO_PASSWORD = '!external-login'

export function hasPassword(user: Pick<UserRow, 'password_hash'>): boolean {
  return !user.password_hash.startsWith('!')
}

const t = (q: Queryable) => tablesOf<IdentityTables & ExternalLoginTables>(q)
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/**
 * Reads the facts the provider vouches for, under the configured claim names. Name and citizen ID are
 * required; a phone number or e-mail address is kept only when well-formed and not flagged unverified
 * (`<claim>_verified: false`, as OIDC's `phone_number_verified` and `email_verified`).
 */
export function readVerifiedClaims(
  claims: Record<string, unknown>,
  settings: Pick<ExternalOidcSettings, 'claims'>,
  today: Date,
): VerifiedClaims {
  const names = settings.claims
  const rawId = claims[names.citizenId]
  // A number has lost the ID's leading zeros (every province code starts with 0): they are put back.
  const citizenId =
    typeof rawId === 'string'
      ? rawId.replace(/[\s.-]/g, '')
      : typeof rawId === 'number' && Number.isSafeInteger(rawId) && rawId > 0
        ? String(rawId).padStart(12, '0')
        : ''
  if (!citizenId) throw new ExternalLoginError(422, 'errorMissingCitizenId')
  const idProblem = citizenIdProblem(citizenId, today)
  if (idProblem) throw new ExternalLoginError(422, 'errorInvalidCitizenId', { reason: idProblem })

  const parts = ['family_name', 'middle_name', 'given_name'].map((claim) => normaliseText(claims[claim]))
  const fullName = normaliseText(claims[names.name]) || parts.filter(Boolean).join(' ')
  if (fullName.length < 2 || fullName.length > 150) throw new ExternalLoginError(422, 'errorMissingName')

  const verified: VerifiedClaims = { fullName, citizenId }
  const phoneRaw = normaliseText(claims[names.phone])
  const phone = phoneRaw ? normalisePhone(phoneRaw.replace(/^\+?84/, '+84')) : ''
  if (/^0\d{9}$/.test(phone) && claims[`${names.phone}_verified`] !== false) verified.phone = phone
  const email = normaliseText(claims[names.email]).toLowerCase()
  if (EMAIL.test(email) && email.length <= 200 && claims[`${names.email}_verified`] !== false)
    verified.email = email
  return verified
}

export type ExternalSignIn = {
  sessionToken: string
  user: UserRow
  /** A new citizen account was made from the provider's claims. */
  created: boolean
  /** The identity was linked at this sign-in (to a new or an existing account). */
  linked: boolean
}

export type ExternalLink = {
  id: string
  providerName: string
  issuer: string
  verified: VerifiedClaims
  linkedAt: Date
  lastLoginAt: Date | null
}

type Deps = { db: Db; config: Config; clock: Clock }

export function createExternalLoginService(deps: Deps, settings: ExternalOidcSettings) {
  const { db, config, clock } = deps
  const provider = settings.name
  const maxMs = config.sessionMaxHours * 3_600_000

  async function refuse(user: UserRow, reason: string, ctx: AuditContext, error: ExternalLoginError) {
    await appendAudit(
      db,
      { ...ctx, actorId: user.id, actorLabel: user.username },
      {
        action: 'auth.login_failed',
        outcome: 'denied',
        objectType: 'user',
        objectId: user.id,
        details: { method: 'external', provider, reason },
      },
      clock(),
    )
    return error
  }

  /** Who may use this way in: citizens and business representatives with an active account. */
  async function checkAllowed(user: UserRow, ctx: AuditContext) {
    if (user.kind === 'official')
      throw await refuse(user, 'official', ctx, new ExternalLoginError(403, 'errorOfficial'))
    if (user.status !== 'active')
      throw await refuse(user, 'disabled', ctx, new ExternalLoginError(403, 'errorDisabled'))
  }

  async function startSession(tx: Tx, user: UserRow, ctx: AuditContext, now: Date, details: object) {
    const sessionToken = randomToken()
    await t(tx)
      .insertInto('sessions')
      .values({
        id: sha256(sessionToken),
        user_id: user.id,
        stage: 'active',
        last_seen_at: now,
        expires_at: new Date(now.getTime() + maxMs),
        ip: ctx.ip,
        user_agent: null,
      })
      .execute()
    await t(tx)
      .updateTable('users')
      .set({ last_login_at: now, failed_logins: 0, locked_until: null })
      .where('id', '=', user.id)
      .execute()
    await appendAudit(
      tx,
      { ...ctx, actorId: user.id, actorLabel: user.username },
      {
        action: 'auth.login',
        objectType: 'user',
        objectId: user.id,
        details: { stage: 'active', method: 'external', provider, ...details },
      },
      now,
    )
    return sessionToken
  }

  /** A phone number or e-mail address goes on the account only if no other account uses it. */
  async function freeContacts(claims: VerifiedClaims, userId: string | null) {
    const taken = await t(db)
      .selectFrom('users')
      .select(['id', 'phone', 'email'])
      .where((eb) =>
        eb.or([
          eb('phone', '=', claims.phone ?? '-'),
          eb(eb.fn('lower', ['email']), '=', claims.email ?? '-'),
        ]),
      )
      .execute()
    const others = taken.filter((row) => row.id !== userId)
    return {
      phone: claims.phone && !others.some((row) => row.phone === claims.phone) ? claims.phone : null,
      email:
        claims.email && !others.some((row) => row.email?.toLowerCase() === claims.email)
          ? claims.email
          : null,
    }
  }

  async function usernameFor(citizenId: string): Promise<string> {
    const clash = await t(db)
      .selectFrom('users')
      .select('id')
      .where('username', '=', citizenId)
      .executeTakeFirst()
    return clash ? `${citizenId}.${randomBytes(3).toString('hex')}` : citizenId
  }

  /**
   * Signs the person in from a verified identity. A known identity finds its account; a new one is linked
   * to the citizen account with the same citizen ID, or a citizen account is created from the claims.
   */
  async function signIn(identity: ProviderIdentity, ctx: AuditContext): Promise<ExternalSignIn> {
    const now = clock()
    const claims = readVerifiedClaims(identity.claims, settings, now)
    for (let attempt = 1; ; attempt++) {
      try {
        return await signInOnce(identity, claims, ctx, now)
      } catch (error) {
        // Two first sign-ins of one person at once: the loser finds the winner's link on the next pass.
        if ((error as { code?: string }).code !== '23505' || attempt >= 3) throw error
      }
    }
  }

  async function signInOnce(
    identity: ProviderIdentity,
    claims: VerifiedClaims,
    ctx: AuditContext,
    now: Date,
  ): Promise<ExternalSignIn> {
    const link = await t(db)
      .selectFrom('external_accounts')
      .selectAll()
      .where('issuer', '=', identity.issuer)
      .where('subject', '=', identity.subject)
      .executeTakeFirst()

    if (link) {
      const user = await findUserById(db, link.user_id)
      if (!user) throw new NotFoundError()
      await checkAllowed(user, ctx)
      if (user.citizen_id && user.citizen_id !== claims.citizenId)
        throw await refuse(user, 'citizen_id_changed', ctx, new ExternalLoginError(409, 'errorIdChanged'))
      const sessionToken = await inTransaction(db, async (tx) => {
        await t(tx)
          .updateTable('external_accounts')
          .set({ verified: JSON.stringify(claims), last_login_at: now, provider_name: provider })
          .where('id', '=', link.id)
          .execute()
        // The national identity is the authority on a citizen's legal name.
        if (user.full_name !== claims.fullName)
          await t(tx)
            .updateTable('users')
            .set({ full_name: claims.fullName, updated_at: now })
            .where('id', '=', user.id)
            .execute()
        return startSession(tx, user, ctx, now, {})
      })
      return { sessionToken, user: { ...user, full_name: claims.fullName }, created: false, linked: false }
    }

    const existing = await t(db)
      .selectFrom('users')
      .selectAll()
      .where('citizen_id', '=', claims.citizenId)
      .executeTakeFirst()
    if (existing) {
      await checkAllowed(existing, ctx)
      const other = await t(db)
        .selectFrom('external_accounts')
        .select('subject')
        .where('user_id', '=', existing.id)
        .where('issuer', '=', identity.issuer)
        .executeTakeFirst()
      // This very identity, linked by a sign-in that committed after the lookup above: start again.
      if (other?.subject === identity.subject) return signInOnce(identity, claims, ctx, now)
      if (other)
        throw await refuse(existing, 'other_identity', ctx, new ExternalLoginError(409, 'errorOtherIdentity'))
      const contacts = await freeContacts(claims, existing.id)
      const sessionToken = await inTransaction(db, async (tx) => {
        const linkId = await insertLink(tx, existing.id, identity, claims, now)
        await t(tx)
          .updateTable('users')
          .set({
            full_name: claims.fullName,
            // Contact details the person left empty are filled in; ones they chose are kept.
            phone: existing.phone ?? contacts.phone,
            email: existing.email ?? contacts.email,
            updated_at: now,
          })
          .where('id', '=', existing.id)
          .execute()
        await appendAudit(
          tx,
          { ...ctx, actorId: existing.id, actorLabel: existing.username },
          {
            action: 'user.external_linked',
            objectType: 'user',
            objectId: existing.id,
            details: { provider, issuer: identity.issuer, linkId, matchedBy: 'citizen_id', created: false },
          },
          now,
        )
        return startSession(tx, existing, ctx, now, { linked: true })
      })
      return { sessionToken, user: existing, created: false, linked: true }
    }

    const contacts = await freeContacts(claims, null)
    const username = await usernameFor(claims.citizenId)
    return inTransaction(db, async (tx) => {
      const user = await insertUser(tx, {
        kind: 'citizen',
        username,
        full_name: claims.fullName,
        citizen_id: claims.citizenId,
        phone: contacts.phone,
        email: contacts.email,
        password_hash: NO_PASSWORD,
      })
      await t(tx)
        .insertInto('role_assignments')
        .values({ user_id: user.id, role: 'citizen', unit_id: null, granted_by: null })
        .execute()
      const userCtx = { ...ctx, actorId: user.id, actorLabel: user.username }
      await appendAudit(
        tx,
        userCtx,
        {
          action: 'user.registered',
          objectType: 'user',
          objectId: user.id,
          details: { kind: 'citizen', via: 'external', provider },
        },
        now,
      )
      const linkId = await insertLink(tx, user.id, identity, claims, now)
      await appendAudit(
        tx,
        userCtx,
        {
          action: 'user.external_linked',
          objectType: 'user',
          objectId: user.id,
          details: { provider, issuer: identity.issuer, linkId, created: true },
        },
        now,
      )
      const sessionToken = await startSession(tx, user, ctx, now, { linked: true })
      return { sessionToken, user, created: true, linked: true }
    })
  }

  async function insertLink(
    tx: Tx,
    userId: string,
    identity: ProviderIdentity,
    claims: VerifiedClaims,
    now: Date,
  ): Promise<string> {
    const row = await t(tx)
      .insertInto('external_accounts')
      .values({
        user_id: userId,
        issuer: identity.issuer,
        subject: identity.subject,
        provider_name: provider,
        verified: JSON.stringify(claims),
        linked_at: now,
        last_login_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    return row.id
  }

  async function listLinks(userId: string): Promise<ExternalLink[]> {
    const rows = await t(db)
      .selectFrom('external_accounts')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('linked_at')
      .execute()
    return rows.map((row) => ({
      id: row.id,
      providerName: row.provider_name,
      issuer: row.issuer,
      verified: row.verified,
      linkedAt: row.linked_at,
      lastLoginAt: row.last_login_at,
    }))
  }

  /** Removes a link of the actor's own; refused while the account has no password to sign in with. */
  async function unlink(actor: Actor, linkId: string, ctx: AuditContext): Promise<void> {
    const t9 = externalMessages.vi
    if (!isUuid(linkId)) throw new NotFoundError(t9.linkNotFound)
    const user = await findUserById(db, actor.userId)
    if (!user) throw new NotFoundError()
    const now = clock()
    await inTransaction(db, async (tx) => {
      const link = await t(tx)
        .selectFrom('external_accounts')
        .select(['id', 'issuer', 'provider_name'])
        .where('id', '=', linkId)
        .where('user_id', '=', actor.userId)
        .executeTakeFirst()
      if (!link) throw new NotFoundError(t9.linkNotFound)
      if (!hasPassword(user)) throw new ValidationError({ unlink: t9.unlinkNeedsPassword })
      await t(tx).deleteFrom('external_accounts').where('id', '=', link.id).execute()
      await appendAudit(
        tx,
        ctx,
        {
          action: 'user.external_unlinked',
          objectType: 'user',
          objectId: actor.userId,
          details: { provider: link.provider_name, issuer: link.issuer, linkId: link.id },
        },
        now,
      )
    })
  }

  /** A first password for an account made through the provider (no current password to ask for). */
  async function setFirstPassword(
    actor: Actor,
    raw: Record<string, unknown>,
    ctx: AuditContext,
  ): Promise<void> {
    const user = await findUserById(db, actor.userId)
    if (!user) throw new NotFoundError()
    if (hasPassword(user)) throw new ValidationError({ password: externalMessages.vi.passwordAlreadySet })
    const errors = {}
    const password = checkNewPassword(raw, errors)
    if (Object.keys(errors).length) throw new ValidationError(errors)
    const hash = await hashPassword(password)
    const now = clock()
    await inTransaction(db, async (tx) => {
      const updated = await t(tx)
        .updateTable('users')
        .set({ password_hash: hash, password_changed_at: now, updated_at: now })
        .where('id', '=', actor.userId)
        .where('password_hash', '=', NO_PASSWORD)
        .returning('id')
        .executeTakeFirst()
      if (!updated) throw new ValidationError({ password: externalMessages.vi.passwordAlreadySet })
      await appendAudit(
        tx,
        ctx,
        {
          action: 'user.password_changed',
          objectType: 'user',
          objectId: actor.userId,
          details: { first: true },
        },
        now,
      )
    })
  }

  /** A return from the provider that signed nobody in; who it was is often unknown, so only why. */
  async function recordFailure(reason: string, ctx: AuditContext): Promise<void> {
    await appendAudit(
      db,
      ctx,
      { action: 'auth.login_failed', outcome: 'failed', details: { method: 'external', provider, reason } },
      clock(),
    )
  }

  async function accountHasPassword(userId: string): Promise<boolean> {
    const user = await findUserById(db, userId)
    return !!user && hasPassword(user)
  }

  return {
    signIn,
    listLinks,
    unlink,
    setFirstPassword,
    recordFailure,
    accountHasPassword,
    providerName: provider,
  }
}

export type ExternalLoginService = ReturnType<typeof createExternalLoginService>
