import { appendAudit, type AuditContext } from '../../platform/audit/audit.js'
import {
  authorize,
  can,
  ForbiddenError,
  grantsWith,
  type Actor,
  type UnitRef,
} from '../../platform/auth/actor.js'
import { hashPassword } from '../../platform/auth/password.js'
import { assignableBy, Permission, ROLES, type Role } from '../../platform/auth/roles.js'
import type { Queryable } from '../../platform/db/database.js'
import { inTransaction } from '../../platform/db/database.js'
import { isUuid } from '../../platform/ids.js'
import { tablesOf } from '../../platform/db/tables.js'
import { inFormOrder, NotFoundError, ValidationError, type FieldErrors } from '../../platform/http/errors.js'
import type { OrgUnit } from '../organisation/index.js'
import type { AuthDeps } from './auth.service.js'
import {
  findAssignments,
  findUserById,
  insertUser,
  listAccessTokens,
  listUsers as listUserRows,
  revokeAccessToken,
  type UserRow,
} from './identity.repository.js'
import type { IdentityTables, UserKind } from './identity.tables.js'
import {
  checkNewPassword,
  citizenIdProblem,
  normaliseText,
  parseContact,
  parseUsername,
} from './identity.validation.js'

const t = (q: Queryable) => tablesOf<IdentityTables>(q)
const OFFICIAL_FORM = [
  'fullName',
  'username',
  'email',
  'phone',
  'citizenId',
  'homeUnitId',
  'role',
  'status',
  'password',
]

export type UserView = Omit<UserRow, 'password_hash' | 'totp_secret'> & {
  homeUnit: OrgUnit | null
  assignments: { id: string; role: Role; unit: OrgUnit | null; includeSubtree: boolean }[]
}

export function createUsersService({ db, clock, organisation }: AuthDeps) {
  const unitRef = (unit: OrgUnit): UnitRef => ({ id: unit.id, path: unit.path })

  async function getUnitOrError(id: unknown, field: string, errors: FieldErrors): Promise<OrgUnit | null> {
    if (!isUuid(id)) {
      errors[field] = 'Chọn đơn vị.'
      return null
    }
    const [unit] = await organisation.findUnitsByIds([id])
    if (!unit) errors[field] = 'Đơn vị không tồn tại.'
    return unit ?? null
  }

  /** Units whose officials the actor may see or manage: the ids covered by their grants. */
  async function scopeUnitIds(actor: Actor, permission: Permission): Promise<string[]> {
    const grants = grantsWith(actor, permission)
    const units = await organisation.listUnits({})
    return units
      .filter((u) =>
        grants.some(
          (g) => g.unitId === u.id || (g.includeSubtree && g.unitPath && u.path.startsWith(g.unitPath)),
        ),
      )
      .map((u) => u.id)
  }

  async function view(user: UserRow): Promise<UserView> {
    const assignments = await findAssignments(db, [user.id])
    const unitIds = [user.home_unit_id, ...assignments.map((a) => a.unit_id)].filter(
      (id): id is string => !!id,
    )
    const units = new Map((await organisation.findUnitsByIds([...new Set(unitIds)])).map((u) => [u.id, u]))
    const { password_hash: _h, totp_secret: _s, ...rest } = user
    return {
      ...rest,
      homeUnit: user.home_unit_id ? (units.get(user.home_unit_id) ?? null) : null,
      assignments: assignments.map((a) => ({
        id: a.id,
        role: a.role,
        unit: a.unit_id ? (units.get(a.unit_id) ?? null) : null,
        includeSubtree: a.include_subtree,
      })),
    }
  }

  /** Officials and their unit: who may read depends on the user's home unit. */
  async function authorizeOnUser(actor: Actor, user: UserRow, permission: Permission): Promise<void> {
    if (user.home_unit_id) {
      const [unit] = await organisation.findUnitsByIds([user.home_unit_id])
      authorize(actor, permission, unit ? unitRef(unit) : { id: user.home_unit_id, path: '/' })
    } else {
      // Citizens belong to no unit: only province-wide administrators manage their accounts.
      const root = (await organisation.listUnits({})).find((u) => u.parentId === null)
      authorize(actor, permission, root ? unitRef(root) : undefined)
    }
  }

  async function getUser(actor: Actor, id: string, ctx: AuditContext): Promise<UserView> {
    authorize(actor, Permission.usersRead)
    const user = isUuid(id) ? await findUserById(db, id) : undefined
    if (!user) throw new NotFoundError('Không tìm thấy người dùng.')
    await authorizeOnUser(actor, user, Permission.usersRead)
    // Reading a person's contact details and citizen ID is itself recorded.
    await appendAudit(
      db,
      ctx,
      {
        action: 'personal_data.viewed',
        objectType: 'user',
        objectId: user.id,
        unitId: user.home_unit_id,
        details: { fields: ['email', 'phone', 'citizen_id'] },
      },
      clock(),
    )
    return view(user)
  }

  async function listUsers(
    actor: Actor,
    filter: { q?: string; after?: { name: string; id: string } },
    limit = 50,
  ) {
    authorize(actor, Permission.usersRead)
    const unitIds = await scopeUnitIds(actor, Permission.usersRead)
    return listUserRows(db, { q: filter.q, unitIds, kind: 'official', after: filter.after }, limit)
  }

  type OfficialInput = {
    username: string
    fullName: string
    email: string | null
    phone: string | null
    homeUnit: OrgUnit
    password: string
    kind: UserKind
    citizenId: string | null
  }

  async function parseOfficial(
    raw: Record<string, unknown>,
    creating: boolean,
  ): Promise<{ input: OfficialInput; errors: FieldErrors }> {
    const errors: FieldErrors = {}
    const username = creating ? parseUsername(raw.username, errors) : ''
    const contact = parseContact(raw, errors)
    const homeUnit = await getUnitOrError(raw.homeUnitId, 'homeUnitId', errors)
    const citizenIdRaw = normaliseText(raw.citizenId).replace(/\s/g, '')
    if (citizenIdRaw) {
      const problem = citizenIdProblem(citizenIdRaw, clock())
      if (problem) errors.citizenId = problem
    }
    const password = creating ? checkNewPassword(raw, errors) : ''
    return {
      input: {
        username,
        ...contact,
        homeUnit: homeUnit!,
        password,
        kind: 'official',
        citizenId: citizenIdRaw || null,
      },
      errors,
    }
  }

  async function uniquenessErrors(input: OfficialInput, exceptId: string | null, errors: FieldErrors) {
    const rows = await t(db)
      .selectFrom('users')
      .select(['id', 'username', 'email', 'phone', 'citizen_id'])
      .where((eb) =>
        eb.or([
          ...(input.username ? [eb('username', '=', input.username)] : []),
          ...(input.email ? [eb(eb.fn('lower', ['email']), '=', input.email)] : []),
          ...(input.phone ? [eb('phone', '=', input.phone)] : []),
          ...(input.citizenId ? [eb('citizen_id', '=', input.citizenId)] : []),
          eb.val(false),
        ]),
      )
      .execute()
    for (const row of rows.filter((r) => r.id !== exceptId)) {
      if (input.username && row.username === input.username)
        errors.username = 'Tên đăng nhập đã có người dùng.'
      if (input.email && row.email?.toLowerCase() === input.email)
        errors.email = 'Thư điện tử đã được dùng cho tài khoản khác.'
      if (input.phone && row.phone === input.phone)
        errors.phone = 'Số điện thoại đã được dùng cho tài khoản khác.'
      if (input.citizenId && row.citizen_id === input.citizenId)
        errors.citizenId = 'Số định danh đã được dùng cho tài khoản khác.'
    }
  }

  /** An administrator creates an official's account in a unit they manage, optionally with a first role. */
  async function createOfficial(
    actor: Actor,
    raw: Record<string, unknown>,
    ctx: AuditContext,
  ): Promise<UserRow> {
    authorize(actor, Permission.usersManage)
    const { input, errors } = await parseOfficial(raw, true)
    if (input.homeUnit && !can(actor, Permission.usersManage, unitRef(input.homeUnit))) {
      errors.homeUnitId = 'Bạn không quản lý đơn vị này.'
    }
    const role = typeof raw.role === 'string' && raw.role !== '' ? raw.role : null
    if (role !== null && !mayAssign(actor, role, input.homeUnit))
      errors.role = 'Bạn không được giao vai trò này.'
    if (Object.keys(errors).length === 0) await uniquenessErrors(input, null, errors)
    if (Object.keys(errors).length) throw new ValidationError(inFormOrder(errors, OFFICIAL_FORM))
    const passwordHash = await hashPassword(input.password)
    const now = clock()
    return inTransaction(db, async (tx) => {
      const user = await insertUser(tx, {
        kind: 'official',
        username: input.username,
        full_name: input.fullName,
        email: input.email,
        phone: input.phone,
        citizen_id: input.citizenId,
        home_unit_id: input.homeUnit.id,
        password_hash: passwordHash,
      })
      await appendAudit(
        tx,
        ctx,
        {
          action: 'user.created',
          objectType: 'user',
          objectId: user.id,
          unitId: input.homeUnit.id,
          details: { username: input.username, fullName: input.fullName },
        },
        now,
      )
      if (role) {
        await t(tx)
          .insertInto('role_assignments')
          .values({
            user_id: user.id,
            role: role as Role,
            unit_id: input.homeUnit.id,
            include_subtree: false,
            granted_by: actor.userId,
          })
          .execute()
        await appendAudit(
          tx,
          ctx,
          {
            action: 'role.assigned',
            objectType: 'user',
            objectId: user.id,
            unitId: input.homeUnit.id,
            details: { role, includeSubtree: false },
          },
          now,
        )
      }
      return user
    })
  }

  async function updateOfficial(
    actor: Actor,
    id: string,
    raw: Record<string, unknown>,
    ctx: AuditContext,
  ): Promise<UserRow> {
    const user = isUuid(id) ? await findUserById(db, id) : undefined
    if (!user) throw new NotFoundError('Không tìm thấy người dùng.')
    await authorizeOnUser(actor, user, Permission.usersManage)
    const { input, errors } = await parseOfficial(
      { ...raw, homeUnitId: raw.homeUnitId ?? user.home_unit_id },
      false,
    )
    if (
      input.homeUnit &&
      input.homeUnit.id !== user.home_unit_id &&
      !can(actor, Permission.usersManage, unitRef(input.homeUnit))
    ) {
      errors.homeUnitId = 'Bạn không quản lý đơn vị này.'
    }
    const status =
      raw.status === 'disabled'
        ? 'disabled'
        : raw.status === 'active' || raw.status === undefined
          ? 'active'
          : null
    if (status === null) errors.status = 'Trạng thái không hợp lệ.'
    if (status === 'disabled' && user.id === actor.userId)
      errors.status = 'Bạn không thể tự khóa tài khoản của mình.'
    if (Object.keys(errors).length === 0) await uniquenessErrors({ ...input, username: '' }, user.id, errors)
    if (Object.keys(errors).length) throw new ValidationError(inFormOrder(errors, OFFICIAL_FORM))
    const nextStatus: 'active' | 'disabled' = status ?? 'active'
    const now = clock()
    const changes = {
      full_name: input.fullName,
      email: input.email,
      phone: input.phone,
      citizen_id: input.citizenId,
      home_unit_id: input.homeUnit.id,
      status: nextStatus,
    }
    const before = Object.fromEntries(Object.keys(changes).map((k) => [k, user[k as keyof typeof changes]]))
    return inTransaction(db, async (tx) => {
      const updated = await t(tx)
        .updateTable('users')
        .set({ ...changes, updated_at: now })
        .where('id', '=', user.id)
        .returningAll()
        .executeTakeFirstOrThrow()
      if (changes.status === 'disabled')
        await t(tx).deleteFrom('sessions').where('user_id', '=', user.id).execute()
      await appendAudit(
        tx,
        ctx,
        {
          action: 'user.updated',
          objectType: 'user',
          objectId: user.id,
          unitId: input.homeUnit.id,
          details: { before, after: changes },
        },
        now,
      )
      return updated
    })
  }

  function mayAssign(actor: Actor, role: string, unit: OrgUnit | null): boolean {
    if (!unit || !(ROLES as readonly string[]).includes(role)) return false
    return actor.grants.some((g) => {
      const allowed = (assignableBy as Partial<Record<Role, readonly Role[]>>)[g.role] ?? []
      const covers =
        g.unitId === unit.id || (g.includeSubtree && !!g.unitPath && unit.path.startsWith(g.unitPath))
      return covers && (allowed as readonly string[]).includes(role)
    })
  }

  async function assignRole(
    actor: Actor,
    userId: string,
    raw: Record<string, unknown>,
    ctx: AuditContext,
  ): Promise<void> {
    authorize(actor, Permission.rolesAssign)
    const user = isUuid(userId) ? await findUserById(db, userId) : undefined
    if (!user) throw new NotFoundError('Không tìm thấy người dùng.')
    await authorizeOnUser(actor, user, Permission.rolesAssign)
    const errors: FieldErrors = {}
    if (user.kind !== 'official') errors.role = 'Chỉ giao vai trò cán bộ cho tài khoản cán bộ.'
    const role = typeof raw.role === 'string' ? raw.role : ''
    if (!(ROLES as readonly string[]).includes(role) || role === 'citizen') errors.role = 'Chọn vai trò.'
    const unit = await getUnitOrError(raw.unitId, 'unitId', errors)
    if (!errors.role && unit && !mayAssign(actor, role, unit))
      errors.role = 'Bạn không được giao vai trò này tại đơn vị đã chọn.'
    const includeSubtree = raw.includeSubtree === true || raw.includeSubtree === 'on'
    if (Object.keys(errors).length) throw new ValidationError(errors)
    const now = clock()
    await inTransaction(db, async (tx) => {
      const existing = await t(tx)
        .selectFrom('role_assignments')
        .select('id')
        .where('user_id', '=', user.id)
        .where('role', '=', role as Role)
        .where('unit_id', '=', unit!.id)
        .executeTakeFirst()
      if (existing) {
        await t(tx)
          .updateTable('role_assignments')
          .set({ include_subtree: includeSubtree })
          .where('id', '=', existing.id)
          .execute()
      } else {
        await t(tx)
          .insertInto('role_assignments')
          .values({
            user_id: user.id,
            role: role as Role,
            unit_id: unit!.id,
            include_subtree: includeSubtree,
            granted_by: actor.userId,
          })
          .execute()
      }
      await appendAudit(
        tx,
        ctx,
        {
          action: 'role.assigned',
          objectType: 'user',
          objectId: user.id,
          unitId: unit!.id,
          details: { role, includeSubtree },
        },
        now,
      )
    })
  }

  async function revokeRole(
    actor: Actor,
    userId: string,
    assignmentId: string,
    ctx: AuditContext,
  ): Promise<void> {
    authorize(actor, Permission.rolesAssign)
    const assignment = isUuid(assignmentId)
      ? await t(db)
          .selectFrom('role_assignments')
          .selectAll()
          .where('id', '=', assignmentId)
          .where('user_id', '=', userId)
          .executeTakeFirst()
      : undefined
    if (!assignment || !assignment.unit_id) throw new NotFoundError('Không tìm thấy vai trò này.')
    const [unit] = await organisation.findUnitsByIds([assignment.unit_id])
    if (!unit) throw new NotFoundError('Không tìm thấy vai trò này.')
    authorize(actor, Permission.rolesAssign, unitRef(unit))
    if (!mayAssign(actor, assignment.role, unit)) throw new ForbiddenError(Permission.rolesAssign, unit.id)
    const now = clock()
    await inTransaction(db, async (tx) => {
      await t(tx).deleteFrom('role_assignments').where('id', '=', assignmentId).execute()
      await appendAudit(
        tx,
        ctx,
        {
          action: 'role.revoked',
          objectType: 'user',
          objectId: userId,
          unitId: assignment.unit_id,
          details: { role: assignment.role },
        },
        now,
      )
    })
  }

  /** An administrator sees and revokes the API tokens of users they manage (a lost laptop, a leaver). */
  async function listTokensOf(actor: Actor, userId: string) {
    const user = isUuid(userId) ? await findUserById(db, userId) : undefined
    if (!user) throw new NotFoundError('Không tìm thấy người dùng.')
    await authorizeOnUser(actor, user, Permission.usersManage)
    return listAccessTokens(db, user.id)
  }

  async function revokeTokenOf(
    actor: Actor,
    userId: string,
    tokenId: string,
    ctx: AuditContext,
  ): Promise<void> {
    const user = isUuid(userId) ? await findUserById(db, userId) : undefined
    if (!user || !isUuid(tokenId)) throw new NotFoundError('Không tìm thấy khóa truy cập này.')
    await authorizeOnUser(actor, user, Permission.usersManage)
    const now = clock()
    await inTransaction(db, async (tx) => {
      const row = await revokeAccessToken(tx, user.id, tokenId, now)
      if (!row) throw new NotFoundError('Không tìm thấy khóa truy cập này.')
      await appendAudit(
        tx,
        ctx,
        {
          action: 'token.revoked',
          objectType: 'access_token',
          objectId: tokenId,
          unitId: user.home_unit_id,
          details: { owner: user.id },
        },
        now,
      )
    })
  }

  /** Units where the actor may place users or roles: for the select boxes of the admin forms. */
  async function manageableUnits(actor: Actor): Promise<OrgUnit[]> {
    const ids = new Set(await scopeUnitIds(actor, Permission.usersManage))
    return (await organisation.listUnits({})).filter((u) => ids.has(u.id))
  }

  function assignableRoles(actor: Actor): Role[] {
    const roles = new Set<Role>()
    for (const g of actor.grants)
      for (const r of (assignableBy as Partial<Record<Role, readonly Role[]>>)[g.role] ?? []) roles.add(r)
    return ROLES.filter((r) => roles.has(r))
  }

  /** For the CLI: creates any kind of user with full rights (the operator is trusted). */
  async function createUserTrusted(
    input: {
      username: string
      fullName: string
      password: string
      kind: UserKind
      homeUnitId: string | null
      role: Role | null
      includeSubtree: boolean
      phone?: string | null
      citizenId?: string | null
    },
    ctx: AuditContext,
  ): Promise<UserRow> {
    const errors: FieldErrors = {}
    const username = parseUsername(input.username, errors)
    checkNewPassword({ password: input.password }, errors)
    if (Object.keys(errors).length) throw new ValidationError(errors)
    const passwordHash = await hashPassword(input.password)
    const now = clock()
    return inTransaction(db, async (tx) => {
      const user = await insertUser(tx, {
        kind: input.kind,
        username,
        full_name: normaliseText(input.fullName),
        home_unit_id: input.homeUnitId,
        phone: input.phone ?? null,
        citizen_id: input.citizenId ?? null,
        password_hash: passwordHash,
      })
      await appendAudit(
        tx,
        ctx,
        {
          action: 'user.created',
          objectType: 'user',
          objectId: user.id,
          unitId: input.homeUnitId,
          details: { username, kind: input.kind },
        },
        now,
      )
      if (input.role) {
        await t(tx)
          .insertInto('role_assignments')
          .values({
            user_id: user.id,
            role: input.role,
            unit_id: input.role === 'citizen' ? null : input.homeUnitId,
            include_subtree: input.includeSubtree,
            granted_by: null,
          })
          .execute()
        await appendAudit(
          tx,
          ctx,
          {
            action: 'role.assigned',
            objectType: 'user',
            objectId: user.id,
            unitId: input.homeUnitId,
            details: { role: input.role, includeSubtree: input.includeSubtree },
          },
          now,
        )
      }
      return user
    })
  }

  return {
    listTokensOf,
    revokeTokenOf,
    getUser,
    listUsers,
    createOfficial,
    updateOfficial,
    assignRole,
    revokeRole,
    manageableUnits,
    assignableRoles,
    createUserTrusted,
    view,
  }
}

export type UsersService = ReturnType<typeof createUsersService>
