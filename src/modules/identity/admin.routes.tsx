import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { verifyAudit, listAudit } from '../../platform/audit/audit.js'
import { authorize, can, UnauthenticatedError, type Actor } from '../../platform/auth/actor.js'
import { Permission, Role } from '../../platform/auth/roles.js'
import type { Clock } from '../../platform/clock.js'
import type { Db } from '../../platform/db/database.js'
import { ValidationError, type FieldErrors } from '../../platform/http/errors.js'
import { auditContext, redirectWithFlash, sendPage } from '../../platform/http/plugin.js'
import { common } from '../../platform/i18n/common.js'
import { translator } from '../../platform/i18n/index.js'
import {
  CheckboxField,
  CsrfField,
  ErrorSummary,
  PostButton,
  SelectField,
  TextField,
  type Option,
} from '../../platform/views/components.js'
import type { PageContext } from '../../platform/views/context.js'
import { formatDateTime } from '../../platform/views/format.js'
import { Layout } from '../../platform/views/layout.js'
import type { OrgUnit } from '../organisation/index.js'
import { messages, type IdentityKey } from './identity.locales.js'
import { identityPaths as paths } from './identity.paths.js'
import { TokenTable } from './tokens.view.js'
import type { UsersService } from './users.service.js'

type Form = Record<string, string | undefined>

function requireOfficial(request: FastifyRequest): Actor {
  const actor = request.actor
  if (!actor) throw new UnauthenticatedError()
  authorize(actor, Permission.backofficeAccess)
  return actor
}

const unitOptions = (units: OrgUnit[]): Option[] =>
  units.map((u) => ({ value: u.id, label: `${u.name}${u.validTo ? ` (đến ${u.validTo})` : ''}` }))

export function adminRoutes(users: UsersService, db: Db, clock: Clock) {
  return async function routes(app: FastifyInstance) {
    app.get(paths.backoffice, async (request, reply) => {
      const actor = requireOfficial(request)
      const isSystemAdmin = actor.grants.some((g) => g.role === Role.systemAdmin)
      const ctx = app.pageContext(request, reply)
      const t = translator(messages, ctx.lang)
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('backofficeTitle')}>
          <h1 safe>{t('backofficeTitle')}</h1>
          <p safe>{t('welcome', { name: actor.fullName })}</p>
          <h2 safe>{t('myUnits')}</h2>
          <table>
            <thead>
              <tr>
                <th scope="col" safe>
                  {t('unit')}
                </th>
                <th scope="col" safe>
                  {t('role')}
                </th>
                <th scope="col" safe>
                  {t('subtree')}
                </th>
              </tr>
            </thead>
            <tbody>
              {actor.grants.map((g) => (
                <tr>
                  <td safe>{g.unitName ?? '—'}</td>
                  <td safe>{t(`role_${g.role}` as IdentityKey)}</td>
                  <td safe>
                    {g.includeSubtree
                      ? translator(common, ctx.lang)('yes')
                      : translator(common, ctx.lang)('no')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2 safe>{t('adminTools')}</h2>
          <ul class="cards">
            {[Permission.dossiersReceive, Permission.dossiersProcess, Permission.dossiersApprove].some((p) =>
              can(actor, p),
            ) ? (
              <li>
                <a href="/admin/dossiers" safe>
                  {t('dossierQueue')}
                </a>
              </li>
            ) : (
              ''
            )}
            {[Permission.dossiersReceive, Permission.dossiersProcess, Permission.dossiersApprove].some((p) =>
              can(actor, p),
            ) || isSystemAdmin ? (
              <li>
                <a href="/admin/indicators" safe>
                  {t('indicators')}
                </a>
              </li>
            ) : (
              ''
            )}
            {isSystemAdmin ? (
              <li>
                <a href="/admin/sso/clients" safe>
                  {t('ssoClients')}
                </a>
              </li>
            ) : (
              ''
            )}
            {can(actor, Permission.lgspAdmin) ? (
              <li>
                <a href="/admin/lgsp" safe>
                  {t('lgspRegistry')}
                </a>
              </li>
            ) : (
              ''
            )}
            {can(actor, Permission.lgspLogRead) ? (
              <li>
                <a href="/admin/lgsp/log" safe>
                  {t('lgspLog')}
                </a>
              </li>
            ) : (
              ''
            )}
            {isSystemAdmin ? (
              <>
                <li>
                  <a href="/admin/lgsp/topics" safe>
                    {t('lgspTopics')}
                  </a>
                </li>
                <li>
                  <a href="/admin/lgsp/national-sync" safe>
                    {t('nationalSync')}
                  </a>
                </li>
              </>
            ) : (
              ''
            )}
            <li>
              <a href="/account/apps" safe>
                {t('myApps')}
              </a>
            </li>
            {[Permission.documentsRegister, Permission.documentsAssign, Permission.documentsProcess].some(
              (p) => can(actor, p),
            ) ? (
              <li>
                <a href="/admin/documents" safe>
                  {t('officialDocuments')}
                </a>
              </li>
            ) : (
              ''
            )}
            <li>
              <a href="/admin/units" safe>
                {t('manageUnits')}
              </a>
            </li>
            {can(actor, Permission.usersRead) ? (
              <li>
                <a href={paths.users} safe>
                  {t('manageUsers')}
                </a>
              </li>
            ) : (
              ''
            )}
            {can(actor, Permission.auditRead) ? (
              <li>
                <a href={paths.audit} safe>
                  {t('auditLog')}
                </a>
              </li>
            ) : (
              ''
            )}
          </ul>
        </Layout>,
      )
    })

    app.get(paths.users, async (request, reply) => {
      const actor = requireOfficial(request)
      const query = request.query as Form
      const q = (query.q ?? '').normalize('NFC').trim().slice(0, 100)
      const after =
        query.afterName !== undefined && query.afterId
          ? { name: query.afterName, id: query.afterId }
          : undefined
      const pageSize = 50
      const rows = await users.listUsers(
        actor,
        { q: q || undefined, after: after && /^[0-9a-f-]{36}$/i.test(after.id) ? after : undefined },
        pageSize + 1,
      )
      const more = rows.length > pageSize
      const shown = rows.slice(0, pageSize)
      const last = shown[shown.length - 1]
      const ctx = app.pageContext(request, reply)
      const t = translator(messages, ctx.lang)
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('usersTitle')} wide>
          <h1 safe>{t('usersTitle')}</h1>
          {can(actor, Permission.usersManage) ? (
            <p>
              <a class="button" href={paths.newUser} safe>
                {t('newUser')}
              </a>
            </p>
          ) : (
            ''
          )}
          <form method="get" action={paths.users} role="search">
            <TextField name="q" label={t('search')} hint={t('searchHint')} value={q} type="search" />
            <button type="submit" class="secondary" safe>
              {t('search')}
            </button>
          </form>
          {shown.length === 0 ? (
            <p safe>{t('noUsers')}</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col" safe>
                    {t('fullName')}
                  </th>
                  <th scope="col" safe>
                    {t('username')}
                  </th>
                  <th scope="col" safe>
                    {t('status')}
                  </th>
                  <th scope="col" safe>
                    {t('lastLogin')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {shown.map((u) => (
                  <tr>
                    <td>
                      <a href={paths.user(u.id)} safe>
                        {u.full_name}
                      </a>
                    </td>
                    <td safe>{u.username}</td>
                    <td safe>{t(`status_${u.status}` as IdentityKey)}</td>
                    <td safe>{formatDateTime(u.last_login_at, ctx.lang)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {more && last ? (
            <p>
              <a
                href={`${paths.users}?q=${encodeURIComponent(q)}&afterName=${encodeURIComponent(last.full_name)}&afterId=${last.id}`}
                safe
              >
                {t('nextPage')}
              </a>
            </p>
          ) : (
            ''
          )}
        </Layout>,
      )
    })

    async function renderNewUser(
      request: FastifyRequest,
      reply: FastifyReply,
      actor: Actor,
      values: Form,
      errors?: FieldErrors,
      status = 200,
    ) {
      const ctx: PageContext = app.pageContext(request, reply)
      const t = translator(messages, ctx.lang)
      const units = await users.manageableUnits(actor)
      const roles = users
        .assignableRoles(actor)
        .map((r) => ({ value: r, label: t(`role_${r}` as IdentityKey) }))
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('newUser')}>
          <h1 safe>{t('newUser')}</h1>
          <ErrorSummary errors={errors} title={translator(common, ctx.lang)('errorSummaryTitle')} />
          <form method="post" action={paths.newUser} novalidate>
            <CsrfField token={ctx.csrf} />
            <TextField
              name="fullName"
              label={t('fullName')}
              value={values.fullName}
              error={errors?.fullName}
              required
            />
            <TextField
              name="username"
              label={t('username')}
              value={values.username}
              error={errors?.username}
              autocomplete="off"
              required
            />
            <TextField
              name="email"
              type="email"
              label={t('email')}
              value={values.email}
              error={errors?.email}
            />
            <TextField
              name="phone"
              type="tel"
              label={t('phone')}
              value={values.phone}
              error={errors?.phone}
            />
            <SelectField
              name="homeUnitId"
              label={t('homeUnit')}
              options={unitOptions(units)}
              emptyLabel={t('chooseUnit')}
              value={values.homeUnitId}
              error={errors?.homeUnitId}
              required
            />
            <SelectField
              name="role"
              label={t('firstRole')}
              options={roles}
              emptyLabel={t('noRole')}
              value={values.role}
              error={errors?.role}
            />
            <TextField
              name="password"
              type="password"
              label={t('initialPassword')}
              hint={t('passwordHint')}
              error={errors?.password}
              autocomplete="new-password"
              required
            />
            <button type="submit" safe>
              {t('createUser')}
            </button>
          </form>
        </Layout>,
        status,
      )
    }

    app.get(paths.newUser, async (request, reply) => {
      const actor = requireOfficial(request)
      authorize(actor, Permission.usersManage)
      return renderNewUser(request, reply, actor, {})
    })
    app.post(paths.newUser, async (request, reply) => {
      const actor = requireOfficial(request)
      const form = (request.body ?? {}) as Form
      try {
        const user = await users.createOfficial(actor, form, auditContext(request))
        return redirectWithFlash(
          reply,
          paths.user(user.id),
          translator(messages, request.lang)('userCreated', { name: user.full_name }),
        )
      } catch (error) {
        if (error instanceof ValidationError) {
          const { password: _p, ...kept } = form
          return renderNewUser(request, reply, actor, kept, error.fields, 422)
        }
        throw error
      }
    })

    async function renderUser(
      request: FastifyRequest,
      reply: FastifyReply,
      actor: Actor,
      id: string,
      values?: Form,
      errors?: FieldErrors,
      status = 200,
    ) {
      const user = await users.getUser(actor, id, auditContext(request))
      const ctx: PageContext = app.pageContext(request, reply)
      const t = translator(messages, ctx.lang)
      const units = await users.manageableUnits(actor)
      const roles = users
        .assignableRoles(actor)
        .map((r) => ({ value: r, label: t(`role_${r}` as IdentityKey) }))
      const v = values ?? {
        fullName: user.full_name,
        email: user.email ?? '',
        phone: user.phone ?? '',
        citizenId: user.citizen_id ?? '',
        homeUnitId: user.home_unit_id ?? '',
        status: user.status,
      }
      const mayManage = can(
        actor,
        Permission.usersManage,
        user.homeUnit ? { id: user.homeUnit.id, path: user.homeUnit.path } : undefined,
      )
      const tokens = mayManage ? await users.listTokensOf(actor, user.id) : null
      const homeOptions = unitOptions(
        user.homeUnit && !units.some((u) => u.id === user.homeUnit!.id) ? [user.homeUnit, ...units] : units,
      )
      return sendPage(
        reply,
        <Layout ctx={ctx} title={user.full_name}>
          <h1 safe>{user.full_name}</h1>
          <ErrorSummary errors={errors} title={translator(common, ctx.lang)('errorSummaryTitle')} />
          <p class="muted">
            <span safe>{t('username')}</span>: <code safe>{user.username}</code> ·{' '}
            <span safe>{t(`kind_${user.kind}` as IdentityKey)}</span>
          </p>
          <h2 safe>{t('rolesTitle')}</h2>
          {user.assignments.length === 0 ? (
            <p safe>{t('noRoles')}</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col" safe>
                    {t('role')}
                  </th>
                  <th scope="col" safe>
                    {t('unit')}
                  </th>
                  <th scope="col" safe>
                    {t('subtree')}
                  </th>
                  <th scope="col">
                    <span class="visually-hidden" safe>
                      {t('revoke')}
                    </span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {user.assignments.map((a) => (
                  <tr>
                    <td safe>{t(`role_${a.role}` as IdentityKey)}</td>
                    <td safe>{a.unit?.name ?? '—'}</td>
                    <td safe>
                      {a.includeSubtree
                        ? translator(common, ctx.lang)('yes')
                        : translator(common, ctx.lang)('no')}
                    </td>
                    <td>
                      {a.unit && mayManage ? (
                        <PostButton
                          action={paths.revokeRole(user.id, a.id)}
                          csrf={ctx.csrf}
                          label={t('revoke')}
                          variant="link"
                        />
                      ) : (
                        ''
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {mayManage && user.kind === 'official' ? (
            <form method="post" action={paths.userRoles(user.id)} novalidate>
              <h3 safe>{t('assignRole')}</h3>
              <CsrfField token={ctx.csrf} />
              <SelectField
                name="role"
                label={t('role')}
                options={roles}
                emptyLabel={t('noRole')}
                value={values?.role}
                error={errors?.role}
                required
              />
              <SelectField
                name="unitId"
                label={t('unit')}
                options={unitOptions(units)}
                emptyLabel={t('chooseUnit')}
                value={values?.unitId}
                error={errors?.unitId}
                required
              />
              <CheckboxField
                name="includeSubtree"
                label={t('subtree')}
                checked={values?.includeSubtree === 'on'}
              />
              <button type="submit" class="secondary" safe>
                {t('assignRole')}
              </button>
            </form>
          ) : (
            ''
          )}
          {tokens ? (
            <section aria-labelledby="user-tokens">
              <h2 id="user-tokens" safe>
                {t('tokensTitle')}
              </h2>
              <TokenTable
                tokens={tokens}
                lang={ctx.lang}
                csrf={ctx.csrf}
                now={clock()}
                revokeAction={(id) => paths.revokeUserToken(user.id, id)}
              />
            </section>
          ) : (
            ''
          )}
          <h2 safe>{t('editUser')}</h2>
          <form method="post" action={paths.user(user.id)} novalidate>
            <CsrfField token={ctx.csrf} />
            <TextField
              name="fullName"
              label={t('fullName')}
              value={v.fullName}
              error={errors?.fullName}
              required
            />
            <TextField name="email" type="email" label={t('email')} value={v.email} error={errors?.email} />
            <TextField name="phone" type="tel" label={t('phone')} value={v.phone} error={errors?.phone} />
            <TextField
              name="citizenId"
              label={t('citizenId')}
              value={v.citizenId}
              error={errors?.citizenId}
              inputmode="numeric"
              maxlength={12}
            />
            {user.kind === 'official' ? (
              <SelectField
                name="homeUnitId"
                label={t('homeUnit')}
                options={homeOptions}
                value={v.homeUnitId}
                error={errors?.homeUnitId}
                required
              />
            ) : (
              ''
            )}
            <SelectField
              name="status"
              label={t('accountStatus')}
              options={[
                { value: 'active', label: t('status_active') },
                { value: 'disabled', label: t('status_disabled') },
              ]}
              value={v.status}
              error={errors?.status}
            />
            {mayManage ? (
              <button type="submit" safe>
                {translator(common, ctx.lang)('save')}
              </button>
            ) : (
              ''
            )}
          </form>
        </Layout>,
        status,
      )
    }

    app.get('/admin/users/:id', async (request, reply) => {
      const actor = requireOfficial(request)
      return renderUser(request, reply, actor, (request.params as { id: string }).id)
    })
    app.post('/admin/users/:id', async (request, reply) => {
      const actor = requireOfficial(request)
      const { id } = request.params as { id: string }
      const form = (request.body ?? {}) as Form
      try {
        await users.updateOfficial(actor, id, form, auditContext(request))
      } catch (error) {
        if (error instanceof ValidationError)
          return renderUser(request, reply, actor, id, form, error.fields, 422)
        throw error
      }
      return redirectWithFlash(reply, paths.user(id), translator(messages, request.lang)('userUpdated'))
    })
    app.post('/admin/users/:id/roles', async (request, reply) => {
      const actor = requireOfficial(request)
      const { id } = request.params as { id: string }
      const form = (request.body ?? {}) as Form
      try {
        await users.assignRole(actor, id, form, auditContext(request))
      } catch (error) {
        if (error instanceof ValidationError)
          return renderUser(request, reply, actor, id, form, error.fields, 422)
        throw error
      }
      return redirectWithFlash(reply, paths.user(id), translator(messages, request.lang)('roleAssigned'))
    })
    app.post('/admin/users/:id/tokens/:tokenId/revoke', async (request, reply) => {
      const actor = requireOfficial(request)
      const { id, tokenId } = request.params as { id: string; tokenId: string }
      await users.revokeTokenOf(actor, id, tokenId, auditContext(request))
      return redirectWithFlash(reply, paths.user(id), translator(messages, request.lang)('tokenRevoked'))
    })
    app.post('/admin/users/:id/roles/:assignmentId/revoke', async (request, reply) => {
      const actor = requireOfficial(request)
      const { id, assignmentId } = request.params as { id: string; assignmentId: string }
      await users.revokeRole(actor, id, assignmentId, auditContext(request))
      return redirectWithFlash(reply, paths.user(id), translator(messages, request.lang)('roleRevoked'))
    })

    app.get(paths.audit, async (request, reply) => {
      const actor = requireOfficial(request)
      authorize(actor, Permission.auditRead)
      const query = request.query as Form
      const before = Number(query.before)
      const rows = await listAudit(db, {
        beforeSeq: Number.isInteger(before) && before > 0 ? before : undefined,
        limit: 100,
      })
      const verification = query.verify === '1' ? await verifyAudit(db) : null
      const ctx = app.pageContext(request, reply)
      const t = translator(messages, ctx.lang)
      const last = rows[rows.length - 1]
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('auditTitle')} wide>
          <h1 safe>{t('auditTitle')}</h1>
          {verification ? (
            <div class={verification.ok ? 'notice' : 'error-summary'} role="status">
              <p safe>
                {verification.ok
                  ? t('auditOk', { count: verification.count, head: verification.headHash.slice(0, 16) })
                  : t('auditBroken', { seq: verification.brokenAt, reason: verification.reason })}
              </p>
            </div>
          ) : (
            ''
          )}
          <form method="get" action={paths.audit}>
            <input type="hidden" name="verify" value="1" />
            <button type="submit" class="secondary" safe>
              {t('auditVerify')}
            </button>
          </form>
          <table>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col" safe>
                  {t('time')}
                </th>
                <th scope="col" safe>
                  {t('actor')}
                </th>
                <th scope="col" safe>
                  {t('action')}
                </th>
                <th scope="col" safe>
                  {t('outcome')}
                </th>
                <th scope="col" safe>
                  {t('object')}
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr>
                  <td safe>{String(row.seq)}</td>
                  <td safe>{formatDateTime(row.at, ctx.lang)}</td>
                  <td safe>{row.actor_label ?? '—'}</td>
                  <td>
                    <code safe>{row.action}</code>
                  </td>
                  <td>{row.outcome}</td>
                  <td>
                    <span safe>{row.object_type ?? ''}</span> <code safe>{row.object_id ?? ''}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {last && last.seq > 1 ? (
            <p>
              <a href={`${paths.audit}?before=${last.seq}`} safe>
                {t('nextPage')}
              </a>
            </p>
          ) : (
            ''
          )}
        </Layout>,
      )
    })
  }
}
