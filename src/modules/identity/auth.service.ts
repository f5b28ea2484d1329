import { appendAudit, type AuditContext } from '../../platform/audit/audit.js'
import type { Actor, RoleGrant } from '../../platform/auth/actor.js'
import { DUMMY_HASH, hashPassword, verifyPassword } from '../../platform/auth/password.js'
import { randomToken, sha256 } from '../../platform/auth/tokens.js'
import { newTotpSecret, verifyTotp } from '../../platform/auth/totp.js'
import type { Queryable } from '../../platform/db/database.js'
import { inTransaction } from '../../platform/db/database.js'
import { isUuid } from '../../platform/ids.js'
import { tablesOf } from '../../platform/db/tables.js'
import {
  AppError,
  inFormOrder,
  NotFoundError,
  ValidationError,
  type FieldErrors,
} from '../../platform/http/errors.js'
import { createMailer, type Mailer } from '../../platform/mail/mailer.js'
import type { ModuleDeps } from '../../platform/module.js'
import type { OrganisationService } from '../organisation/index.js'
import {
  findAssignments,
  findSessionWithUser,
  findUserById,
  findUserByLogin,
  insertUser,
  listAccessTokens,
  revokeAccessToken,
  type AssignmentRow,
  type UserRow,
} from './identity.repository.js'
import type { IdentityTables, SessionStage } from './identity.tables.js'
import { checkNewPassword, citizenIdProblem, normaliseText, parseContact } from './identity.validation.js'

export type AuthDeps = ModuleDeps & { organisation: OrganisationService; mailer?: Mailer }

/** Thrown when a sign-in fails; the message never says whether the account exists. */
export class LoginError extends AppError {
  constructor(message = 'Tên đăng nhập hoặc mật khẩu không đúng.') {
    super(401, 'login_failed', message)
  }
}

export type LoginResult = { sessionToken: string; stage: SessionStage; user: UserRow }
/** Told of each ended platform session; must not throw (a sign-out always succeeds). */
export type LogoutListener = (event: { userId: string; sessionId: string }) => Promise<void>
export type SessionInfo = { sessionId: string; stage: SessionStage; userId: string }

const TOKEN_PREFIX = 'cbp_'
const REGISTRATION_FORM = [
  'fullName',
  'citizenId',
  'phone',
  'email',
  'taxCode',
  'password',
  'passwordConfirm',
]
const t = (q: Queryable) => tablesOf<IdentityTables>(q)

export function createAuthService(deps: AuthDeps) {
  const { db, config, clock, organisation } = deps
  const silent = { info() {}, warn() {} }
  const mailer = deps.mailer ?? createMailer(config, silent)

  /** Security notices go to the account's own address, after the change is committed. */
  function notify(user: UserRow, subject: string, text: string) {
    if (user.email) void mailer.send({ to: user.email, subject, text })
  }
  const idleMs = config.sessionIdleMinutes * 60_000
  const maxMs = config.sessionMaxHours * 3_600_000

  /** Builds the acting user with each grant's unit path, for permission checks without further queries. */
  async function loadActor(
    user: UserRow,
    via: Actor['via'],
    preloaded?: Pick<AssignmentRow, 'role' | 'unit_id' | 'include_subtree'>[],
  ): Promise<Actor> {
    const assignments = preloaded ?? (await findAssignments(db, [user.id]))
    const unitIds = [...new Set(assignments.map((a) => a.unit_id).filter((id): id is string => id !== null))]
    const units = new Map((await organisation.findUnitsByIds(unitIds)).map((u) => [u.id, u]))
    const grants: RoleGrant[] = assignments.map((a) => {
      const unit = a.unit_id ? units.get(a.unit_id) : undefined
      return {
        role: a.role,
        unitId: a.unit_id,
        unitPath: unit?.path ?? null,
        unitName: unit?.name ?? null,
        includeSubtree: a.include_subtree,
      }
    })
    return {
      userId: user.id,
      username: user.username,
      fullName: user.full_name,
      kind: user.kind,
      homeUnitId: user.home_unit_id,
      grants,
      via,
    }
  }

  /** An official must use two factors when their home unit, or a unit they hold a role in, says so. */
  async function secondFactorRequired(user: UserRow): Promise<boolean> {
    if (user.kind !== 'official') return false
    const assignments = await findAssignments(db, [user.id])
    const ids = [user.home_unit_id, ...assignments.map((a) => a.unit_id)].filter((id): id is string => !!id)
    const units = await organisation.findUnitsByIds([...new Set(ids)])
    return units.some((u) => u.requireTotp)
  }

  async function login(login: string, password: string, ctx: AuditContext): Promise<LoginResult> {
    const now = clock()
    const user = await findUserByLogin(db, normaliseText(login))
    if (!user) {
      await verifyPassword(DUMMY_HASH, password)
      await appendAudit(
        db,
        ctx,
        {
          action: 'auth.login_failed',
          outcome: 'failed',
          details: { login: login.slice(0, 100), reason: 'unknown_user' },
        },
        now,
      )
      throw new LoginError()
    }
    if (user.locked_until && user.locked_until > now) {
      await appendAudit(
        db,
        { ...ctx, actorId: user.id, actorLabel: user.username },
        {
          action: 'auth.login_failed',
          outcome: 'failed',
          objectType: 'user',
          objectId: user.id,
          details: { reason: 'locked' },
        },
        now,
      )
      throw new AppError(423, 'account_locked', lockedMessage(user.locked_until))
    }
    const ok = user.status === 'active' && (await verifyPassword(user.password_hash, password))
    if (!ok) {
      const failures = user.failed_logins + 1
      const lock = failures >= config.loginMaxFailures
      const lockedUntil = lock ? new Date(now.getTime() + config.loginLockMinutes * 60_000) : null
      await inTransaction(db, async (tx) => {
        await t(tx)
          .updateTable('users')
          .set({ failed_logins: lock ? 0 : failures, locked_until: lockedUntil })
          .where('id', '=', user.id)
          .execute()
        const userCtx = { ...ctx, actorId: user.id, actorLabel: user.username }
        await appendAudit(
          tx,
          userCtx,
          {
            action: 'auth.login_failed',
            outcome: 'failed',
            objectType: 'user',
            objectId: user.id,
            details: { reason: user.status === 'active' ? 'bad_password' : 'disabled', failures },
          },
          now,
        )
        if (lock)
          await appendAudit(
            tx,
            userCtx,
            {
              action: 'auth.locked',
              outcome: 'denied',
              objectType: 'user',
              objectId: user.id,
              details: { until: lockedUntil!.toISOString() },
            },
            now,
          )
      })
      if (lockedUntil) {
        notify(
          user,
          'Tài khoản tạm khóa do đăng nhập sai nhiều lần',
          `Tài khoản ${user.username} vừa bị nhập sai mật khẩu ${failures} lần liên tiếp và được tạm khóa đến ` +
            `${localTime(lockedUntil)} (giờ Việt Nam). Nếu không phải bạn, hãy đổi mật khẩu và báo quản trị hệ thống.`,
        )
        throw new AppError(423, 'account_locked', lockedMessage(lockedUntil))
      }
      throw new LoginError()
    }

    const stage: SessionStage = user.totp_enabled_at
      ? 'second_factor'
      : (await secondFactorRequired(user))
        ? 'second_factor_setup'
        : 'active'
    const sessionToken = randomToken()
    await inTransaction(db, async (tx) => {
      await t(tx)
        .insertInto('sessions')
        .values({
          id: sha256(sessionToken),
          user_id: user.id,
          stage,
          last_seen_at: now,
          expires_at: new Date(now.getTime() + maxMs),
          ip: ctx.ip,
          user_agent: null,
        })
        .execute()
      if (stage === 'active') {
        await t(tx)
          .updateTable('users')
          .set({ failed_logins: 0, locked_until: null, last_login_at: now })
          .where('id', '=', user.id)
          .execute()
      }
      await appendAudit(
        tx,
        { ...ctx, actorId: user.id, actorLabel: user.username },
        {
          action: stage === 'active' ? 'auth.login' : 'auth.password_ok',
          objectType: 'user',
          objectId: user.id,
          details: { stage },
        },
        now,
      )
    })
    return { sessionToken, stage, user }
  }

  /** Second step: a TOTP code from the official's authenticator app. */
  async function completeSecondFactor(sessionId: string, code: string, ctx: AuditContext): Promise<void> {
    const now = clock()
    const session = await t(db)
      .selectFrom('sessions')
      .selectAll()
      .where('id', '=', sessionId)
      .executeTakeFirst()
    const user = session && (await findUserById(db, session.user_id))
    if (!session || !user || session.stage !== 'second_factor' || !user.totp_secret)
      throw new LoginError('Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại.')
    const userCtx = { ...ctx, actorId: user.id, actorLabel: user.username }
    if (!verifyTotp(user.totp_secret, code, now)) {
      await appendAudit(
        db,
        userCtx,
        { action: 'auth.second_factor_failed', outcome: 'failed', objectType: 'user', objectId: user.id },
        now,
      )
      throw new ValidationError({ code: 'Mã xác thực không đúng hoặc đã hết hạn.' })
    }
    await inTransaction(db, async (tx) => {
      await t(tx)
        .updateTable('sessions')
        .set({ stage: 'active', last_seen_at: now })
        .where('id', '=', sessionId)
        .execute()
      await t(tx)
        .updateTable('users')
        .set({ failed_logins: 0, locked_until: null, last_login_at: now })
        .where('id', '=', user.id)
        .execute()
      await appendAudit(
        tx,
        userCtx,
        { action: 'auth.login', objectType: 'user', objectId: user.id, details: { secondFactor: 'totp' } },
        now,
      )
    })
  }

  /**
   * Starts enrolment: a secret kept unconfirmed until the user proves their app produces codes. A
   * pending secret is reused, so a mistyped code does not invalidate what the user already scanned.
   */
  async function beginTotpEnrolment(userId: string): Promise<string> {
    await t(db)
      .updateTable('users')
      .set({ totp_secret: newTotpSecret() })
      .where('id', '=', userId)
      .where('totp_enabled_at', 'is', null)
      .where('totp_secret', 'is', null)
      .execute()
    const user = await findUserById(db, userId)
    if (!user?.totp_secret) throw new NotFoundError()
    return user.totp_secret
  }

  async function confirmTotpEnrolment(
    userId: string,
    code: string,
    ctx: AuditContext,
    sessionId: string | null,
  ): Promise<void> {
    const now = clock()
    const user = await findUserById(db, userId)
    if (!user?.totp_secret)
      throw new ValidationError({ code: 'Chưa tạo khóa bí mật. Vui lòng tải lại trang.' })
    if (!verifyTotp(user.totp_secret, code, now))
      throw new ValidationError({ code: 'Mã xác thực không đúng hoặc đã hết hạn.' })
    await inTransaction(db, async (tx) => {
      await t(tx)
        .updateTable('users')
        .set({ totp_enabled_at: now, updated_at: now })
        .where('id', '=', userId)
        .execute()
      if (sessionId) {
        await t(tx)
          .updateTable('sessions')
          .set({ stage: 'active' })
          .where('id', '=', sessionId)
          .where('stage', '=', 'second_factor_setup')
          .execute()
        await t(tx)
          .updateTable('users')
          .set({ last_login_at: now, failed_logins: 0 })
          .where('id', '=', userId)
          .execute()
      }
      await appendAudit(
        tx,
        { ...ctx, actorId: userId, actorLabel: user.username },
        { action: 'user.totp_enabled', objectType: 'user', objectId: userId },
        now,
      )
    })
  }

  async function disableTotp(actor: Actor, password: string, ctx: AuditContext): Promise<void> {
    const user = await findUserById(db, actor.userId)
    if (!user || !(await verifyPassword(user.password_hash, password)))
      throw new ValidationError({ currentPassword: 'Mật khẩu hiện tại không đúng.' })
    if (await secondFactorRequired(user))
      throw new ValidationError({
        currentPassword: 'Đơn vị của bạn yêu cầu xác thực hai lớp; không thể tắt.',
      })
    await inTransaction(db, async (tx) => {
      await t(tx)
        .updateTable('users')
        .set({ totp_secret: null, totp_enabled_at: null, updated_at: clock() })
        .where('id', '=', actor.userId)
        .execute()
      await appendAudit(tx, ctx, { action: 'user.totp_disabled', objectType: 'user', objectId: actor.userId })
    })
  }

  /** Finds the session behind a cookie; expired or idle sessions are removed on sight. */
  async function resolveSession(
    token: string,
  ): Promise<{ session: SessionInfo; actor: Actor | null } | null> {
    const now = clock()
    const id = sha256(token)
    const found = await findSessionWithUser(db, id)
    if (!found) return null
    const { session, user, assignments } = found
    if (session.expiresAt <= now || session.lastSeenAt.getTime() + idleMs <= now.getTime()) {
      await t(db).deleteFrom('sessions').where('id', '=', id).execute()
      return null
    }
    if (user.status !== 'active') return null
    // One write a minute is enough to keep the idle timer honest without a write per page view.
    if (now.getTime() - session.lastSeenAt.getTime() > 60_000) {
      await t(db).updateTable('sessions').set({ last_seen_at: now }).where('id', '=', id).execute()
    }
    const info = { sessionId: id, stage: session.stage, userId: user.id }
    return {
      session: info,
      actor: session.stage === 'active' ? await loadActor(user, 'session', assignments) : null,
    }
  }

  const logoutListeners: LogoutListener[] = []
  /** Another module's reaction to a sign-out (single sign-on tells the applications); run after the commit. */
  function onLogout(listener: LogoutListener): void {
    logoutListeners.push(listener)
  }

  async function logout(sessionId: string, ctx: AuditContext): Promise<void> {
    const deleted = await inTransaction(db, async (tx) => {
      const deleted = await t(tx)
        .deleteFrom('sessions')
        .where('id', '=', sessionId)
        .returning('user_id')
        .executeTakeFirst()
      if (deleted)
        await appendAudit(tx, ctx, { action: 'auth.logout', objectType: 'user', objectId: deleted.user_id })
      return deleted
    })
    if (deleted) {
      for (const listener of logoutListeners) await listener({ userId: deleted.user_id, sessionId })
    }
  }

  async function changePassword(
    actor: Actor,
    raw: Record<string, unknown>,
    ctx: AuditContext,
    keepSessionId: string | null,
  ): Promise<void> {
    const errors: FieldErrors = {}
    const user = await findUserById(db, actor.userId)
    if (!user) throw new NotFoundError()
    const current = typeof raw.currentPassword === 'string' ? raw.currentPassword : ''
    if (!(await verifyPassword(user.password_hash, current)))
      errors.currentPassword = 'Mật khẩu hiện tại không đúng.'
    const password = checkNewPassword(raw, errors, 'password')
    if (!errors.password && password === current)
      errors.password = 'Mật khẩu mới phải khác mật khẩu hiện tại.'
    if (Object.keys(errors).length) throw new ValidationError(errors)
    const hash = await hashPassword(password)
    const now = clock()
    await inTransaction(db, async (tx) => {
      await t(tx)
        .updateTable('users')
        .set({ password_hash: hash, password_changed_at: now, updated_at: now })
        .where('id', '=', actor.userId)
        .execute()
      // Other devices signed in with the old password are signed out.
      let sessions = t(tx).deleteFrom('sessions').where('user_id', '=', actor.userId)
      if (keepSessionId) sessions = sessions.where('id', '<>', keepSessionId)
      await sessions.execute()
      await appendAudit(
        tx,
        ctx,
        { action: 'user.password_changed', objectType: 'user', objectId: actor.userId },
        now,
      )
    })
    notify(
      user,
      'Mật khẩu tài khoản vừa được đổi',
      `Mật khẩu tài khoản ${user.username} đã được đổi lúc ${localTime(now)} (giờ Việt Nam). ` +
        'Nếu không phải bạn, hãy báo ngay cho quản trị hệ thống.',
    )
  }

  /** Self-registration of a citizen: name, phone or e-mail, 12-digit citizen ID, password. */
  async function registerCitizen(raw: Record<string, unknown>, ctx: AuditContext): Promise<UserRow> {
    const now = clock()
    const errors: FieldErrors = {}
    const contact = parseContact(raw, errors)
    if (!contact.email && !contact.phone && !errors.email && !errors.phone)
      errors.phone = 'Nhập số điện thoại hoặc thư điện tử.'
    const citizenId = normaliseText(raw.citizenId).replace(/\s/g, '')
    const idProblem = citizenIdProblem(citizenId, now)
    if (idProblem) errors.citizenId = idProblem
    // A business representative registers as a person, with the enterprise's tax code.
    const taxCode = normaliseText(raw.taxCode).replace(/\s/g, '')
    if (taxCode && !/^\d{10}(-\d{3})?$/.test(taxCode)) {
      errors.taxCode = 'Mã số doanh nghiệp gồm 10 chữ số (chi nhánh: 10 chữ số, gạch ngang, 3 chữ số).'
    }
    const password = checkNewPassword(raw, errors)
    if (Object.keys(errors).length === 0) {
      const clash = await t(db)
        .selectFrom('users')
        .select(['citizen_id', 'phone', 'email'])
        .where((eb) =>
          eb.or([
            eb('citizen_id', '=', citizenId),
            ...(contact.phone ? [eb('phone', '=', contact.phone)] : []),
            ...(contact.email ? [eb(eb.fn('lower', ['email']), '=', contact.email)] : []),
          ]),
        )
        .execute()
      for (const row of clash) {
        if (row.citizen_id === citizenId)
          errors.citizenId = 'Số định danh này đã có tài khoản. Hãy đăng nhập hoặc liên hệ bộ phận một cửa.'
        if (contact.phone && row.phone === contact.phone)
          errors.phone = 'Số điện thoại này đã được dùng cho tài khoản khác.'
        if (contact.email && row.email?.toLowerCase() === contact.email)
          errors.email = 'Thư điện tử này đã được dùng cho tài khoản khác.'
      }
    }
    if (Object.keys(errors).length) throw new ValidationError(inFormOrder(errors, REGISTRATION_FORM))
    const passwordHash = await hashPassword(password)
    return inTransaction(db, async (tx) => {
      const user = await insertUser(tx, {
        kind: taxCode ? 'business' : 'citizen',
        username: (contact.phone ?? contact.email)!,
        full_name: contact.fullName,
        email: contact.email,
        phone: contact.phone,
        citizen_id: citizenId,
        tax_code: taxCode || null,
        password_hash: passwordHash,
        password_changed_at: now,
      })
      await t(tx)
        .insertInto('role_assignments')
        .values({ user_id: user.id, role: 'citizen', unit_id: null, granted_by: null })
        .execute()
      await appendAudit(
        tx,
        { ...ctx, actorId: user.id, actorLabel: user.username },
        { action: 'user.registered', objectType: 'user', objectId: user.id, details: { kind: user.kind } },
        now,
      )
      return user
    })
  }

  // Personal access tokens: shown once, stored as SHA-256, expiring, revocable.
  async function createToken(
    actor: Actor,
    raw: Record<string, unknown>,
    ctx: AuditContext,
  ): Promise<{ token: string; id: string; expiresAt: Date }> {
    const errors: FieldErrors = {}
    const name = normaliseText(raw.name)
    if (name.length < 1 || name.length > 100) errors.name = 'Nhập tên gợi nhớ cho khóa (1–100 ký tự).'
    const days = Number(raw.expiresInDays ?? 90)
    if (!Number.isInteger(days) || days < 1 || days > 365)
      errors.expiresInDays = 'Thời hạn phải từ 1 đến 365 ngày.'
    if (Object.keys(errors).length) throw new ValidationError(errors)
    const token = `${TOKEN_PREFIX}${randomToken(30)}`
    const now = clock()
    const expiresAt = new Date(now.getTime() + days * 86_400_000)
    return inTransaction(db, async (tx) => {
      const row = await t(tx)
        .insertInto('access_tokens')
        .values({
          user_id: actor.userId,
          name,
          token_hash: sha256(token),
          prefix: token.slice(0, 10),
          expires_at: expiresAt,
          last_used_at: null,
          revoked_at: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
      await appendAudit(
        tx,
        ctx,
        {
          action: 'token.created',
          objectType: 'access_token',
          objectId: row.id,
          details: { name, expiresAt: expiresAt.toISOString() },
        },
        now,
      )
      return { token, id: row.id, expiresAt }
    })
  }

  function listTokens(userId: string) {
    return listAccessTokens(db, userId)
  }

  async function revokeToken(actor: Actor, tokenId: string, ctx: AuditContext): Promise<void> {
    if (!isUuid(tokenId)) throw new NotFoundError('Không tìm thấy khóa truy cập này.')
    const now = clock()
    await inTransaction(db, async (tx) => {
      const row = await revokeAccessToken(tx, actor.userId, tokenId, now)
      if (!row) throw new NotFoundError('Không tìm thấy khóa truy cập này.')
      await appendAudit(
        tx,
        ctx,
        { action: 'token.revoked', objectType: 'access_token', objectId: tokenId },
        now,
      )
    })
  }

  async function resolveToken(token: string): Promise<Actor | null> {
    if (!token.startsWith(TOKEN_PREFIX)) return null
    const now = clock()
    const row = await t(db)
      .selectFrom('access_tokens')
      .selectAll()
      .where('token_hash', '=', sha256(token))
      .executeTakeFirst()
    if (!row || row.revoked_at || row.expires_at <= now) return null
    const user = await findUserById(db, row.user_id)
    if (!user || user.status !== 'active') return null
    if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() > 60_000) {
      await t(db).updateTable('access_tokens').set({ last_used_at: now }).where('id', '=', row.id).execute()
    }
    return loadActor(user, 'token')
  }

  async function loadActorById(userId: string): Promise<Actor> {
    const user = await findUserById(db, userId)
    if (!user) throw new NotFoundError('Không tìm thấy người dùng.')
    return loadActor(user, 'session')
  }

  async function loadActorByUsername(username: string): Promise<Actor | null> {
    const user = await findUserByLogin(db, username)
    return user ? loadActor(user, 'cli') : null
  }

  async function getProfile(userId: string) {
    const user = await findUserById(db, userId)
    if (!user) throw new NotFoundError('Không tìm thấy người dùng.')
    return user
  }

  return {
    loadActor,
    loadActorById,
    loadActorByUsername,
    getProfile,
    login,
    completeSecondFactor,
    beginTotpEnrolment,
    confirmTotpEnrolment,
    disableTotp,
    resolveSession,
    logout,
    onLogout,
    changePassword,
    registerCitizen,
    createToken,
    listTokens,
    revokeToken,
    resolveToken,
    secondFactorRequired,
  }
}

export type AuthService = ReturnType<typeof createAuthService>

function localTime(at: Date): string {
  return new Date(at.getTime() + 7 * 3_600_000).toISOString().slice(11, 16)
}

function lockedMessage(until: Date): string {
  return `Tài khoản tạm khóa do đăng nhập sai nhiều lần. Vui lòng thử lại sau ${localTime(until)}.`
}
