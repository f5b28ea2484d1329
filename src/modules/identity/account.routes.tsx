import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { UnauthenticatedError, type Actor } from '../../platform/auth/actor.js'
import { totpUri } from '../../platform/auth/totp.js'
import type { Clock } from '../../platform/clock.js'
import { ValidationError, type FieldErrors } from '../../platform/http/errors.js'
import { auditContext, redirectWithFlash, sendPage } from '../../platform/http/plugin.js'
import { common } from '../../platform/i18n/common.js'
import { translator } from '../../platform/i18n/index.js'
import { CsrfField, ErrorSummary, TextField } from '../../platform/views/components.js'
import type { PageContext } from '../../platform/views/context.js'
import { Layout } from '../../platform/views/layout.js'
import type { AuthService } from './auth.service.js'
import { hasPassword } from './external-login.service.js'
import { messages, type IdentityKey } from './identity.locales.js'
import { identityPaths as paths } from './identity.paths.js'
import { TokenTable } from './tokens.view.js'

type Form = Record<string, string | undefined>
type AccountState = {
  errors?: FieldErrors
  values?: Form
  newToken?: string
  totpSetup?: { secret: string; uri: string }
}

/**
 * A part of the account page owned by another feature of this module (the external sign-in): a section
 * rendered after the profile, and form actions that answer with a flash message or a ValidationError,
 * which re-renders the page with the error summary.
 */
export type AccountExtension = {
  section(actor: Actor, ctx: PageContext, errors: FieldErrors): Promise<JSX.Element>
  actions: {
    path: string
    run(request: FastifyRequest, actor: Actor, form: Form): Promise<string>
  }[]
}

function requireActor(request: FastifyRequest): Actor {
  if (!request.actor) throw new UnauthenticatedError()
  return request.actor
}

export function accountRoutes(auth: AuthService, clock: Clock, extensions: AccountExtension[] = []) {
  return async function routes(app: FastifyInstance) {
    async function render(
      request: FastifyRequest,
      reply: FastifyReply,
      state: AccountState = {},
      status = 200,
    ) {
      const actor = requireActor(request)
      const ctx: PageContext = app.pageContext(request, reply)
      const t = translator(messages, ctx.lang)
      const user = await auth.getProfile(actor.userId)
      const tokens = await auth.listTokens(actor.userId)
      const now = clock()
      const e = state.errors ?? {}
      const safeSections = await Promise.all(extensions.map((x) => x.section(actor, ctx, e)))
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('accountTitle')}>
          <h1 safe>{t('accountTitle')}</h1>
          <p>
            <a href="/account/dossiers" safe>
              {t('myDossiers')}
            </a>
          </p>
          <ErrorSummary errors={state.errors} title={translator(common, ctx.lang)('errorSummaryTitle')} />
          <table>
            <tbody>
              <tr>
                <th scope="row" safe>
                  {t('fullName')}
                </th>
                <td safe>{user.full_name}</td>
              </tr>
              <tr>
                <th scope="row" safe>
                  {t('username')}
                </th>
                <td safe>{user.username}</td>
              </tr>
              <tr>
                <th scope="row" safe>
                  {t('kind')}
                </th>
                <td safe>{t(`kind_${user.kind}` as IdentityKey)}</td>
              </tr>
              <tr>
                <th scope="row" safe>
                  {t('rolesTitle')}
                </th>
                <td>
                  {actor.grants.length === 0 ? (
                    <span safe>{t('noRoles')}</span>
                  ) : (
                    <ul>
                      {actor.grants.map((g) => (
                        <li
                          safe
                        >{`${t(`role_${g.role}` as IdentityKey)}${g.unitName ? ` — ${g.unitName}` : ''}`}</li>
                      ))}
                    </ul>
                  )}
                </td>
              </tr>
            </tbody>
          </table>
          {safeSections}

          {hasPassword(user) ? (
            <>
              <h2 safe>{t('changePasswordTitle')}</h2>
              <form method="post" action={paths.accountPassword} novalidate>
                <CsrfField token={ctx.csrf} />
                <TextField
                  name="currentPassword"
                  type="password"
                  label={t('currentPassword')}
                  error={e.currentPassword}
                  autocomplete="current-password"
                  required
                />
                <TextField
                  name="password"
                  type="password"
                  label={t('newPassword')}
                  hint={t('passwordHint')}
                  error={e.password}
                  autocomplete="new-password"
                  required
                />
                <TextField
                  name="passwordConfirm"
                  type="password"
                  label={t('passwordConfirm')}
                  error={e.passwordConfirm}
                  autocomplete="new-password"
                  required
                />
                <button type="submit" safe>
                  {t('changePasswordButton')}
                </button>
              </form>
            </>
          ) : (
            ''
          )}

          {user.kind === 'official' ? (
            <section aria-labelledby="totp-title">
              <h2 id="totp-title" safe>
                {t('totpTitle')}
              </h2>
              <p safe>{user.totp_enabled_at ? t('totpOn') : t('totpOff')}</p>
              {state.totpSetup ? (
                <form method="post" action={paths.accountTotp} novalidate>
                  <CsrfField token={ctx.csrf} />
                  <p safe>{t('totpSetupIntro')}</p>
                  <p class="secret" safe>
                    {state.totpSetup.secret}
                  </p>
                  <p class="secret" safe>
                    {state.totpSetup.uri}
                  </p>
                  <TextField
                    name="code"
                    label={t('code')}
                    error={e.code}
                    inputmode="numeric"
                    autocomplete="one-time-code"
                    maxlength={6}
                    required
                  />
                  <button type="submit" safe>
                    {t('confirm')}
                  </button>
                </form>
              ) : user.totp_enabled_at ? (
                <form method="post" action={paths.accountTotpDisable} novalidate>
                  <CsrfField token={ctx.csrf} />
                  <TextField
                    name="currentPassword"
                    type="password"
                    label={t('currentPassword')}
                    autocomplete="current-password"
                    required
                  />
                  <button type="submit" class="danger" safe>
                    {t('totpDisable')}
                  </button>
                </form>
              ) : (
                <form method="get" action={paths.accountTotp}>
                  <button type="submit" class="secondary" safe>
                    {t('totpEnable')}
                  </button>
                </form>
              )}
            </section>
          ) : (
            ''
          )}

          <h2 id="tokens" safe>
            {t('tokensTitle')}
          </h2>
          <p safe>{t('tokensIntro')}</p>
          {state.newToken ? (
            <div class="notice" role="status">
              <p safe>{t('tokenCreated')}</p>
              <p class="secret" safe>
                {state.newToken}
              </p>
            </div>
          ) : (
            ''
          )}
          <TokenTable
            tokens={tokens}
            lang={ctx.lang}
            csrf={ctx.csrf}
            now={now}
            revokeAction={paths.revokeToken}
          />
          <form method="post" action={paths.accountTokens} novalidate>
            <CsrfField token={ctx.csrf} />
            <TextField
              name="name"
              label={t('tokenName')}
              value={state.values?.name}
              error={e.name}
              maxlength={100}
              required
            />
            <TextField
              name="expiresInDays"
              label={t('tokenDays')}
              value={state.values?.expiresInDays ?? '90'}
              error={e.expiresInDays}
              inputmode="numeric"
            />
            <button type="submit" class="secondary" safe>
              {t('tokenCreate')}
            </button>
          </form>
        </Layout>,
        status,
      )
    }

    /** Runs a form action; a validation failure re-renders the account page with the errors. */
    async function handle(
      request: FastifyRequest,
      reply: FastifyReply,
      action: (actor: Actor, form: Form) => Promise<AccountState | string>,
    ) {
      const actor = requireActor(request)
      const form = (request.body ?? {}) as Form
      try {
        const result = await action(actor, form)
        if (typeof result === 'string') return redirectWithFlash(reply, paths.account, result)
        return render(request, reply, result)
      } catch (error) {
        if (error instanceof ValidationError) {
          const { currentPassword: _c, password: _p, passwordConfirm: _pc, ...values } = form
          return render(request, reply, { errors: error.fields, values }, 422)
        }
        throw error
      }
    }

    app.get(paths.account, async (request, reply) => render(request, reply))
    for (const action of extensions.flatMap((x) => x.actions)) {
      app.post(action.path, async (request, reply) =>
        handle(request, reply, (actor, form) => action.run(request, actor, form)),
      )
    }
    app.post(paths.accountPassword, async (request, reply) =>
      handle(request, reply, async (actor, form) => {
        await auth.changePassword(actor, form, auditContext(request), request.sessionId)
        return translator(messages, request.lang)('passwordChanged')
      }),
    )
    app.get(paths.accountTotp, async (request, reply) => {
      const actor = requireActor(request)
      const secret = await auth.beginTotpEnrolment(actor.userId)
      return render(request, reply, {
        totpSetup: { secret, uri: totpUri(secret, actor.username, 'Cao Bang DVC') },
      })
    })
    app.post(paths.accountTotp, async (request, reply) => {
      const actor = requireActor(request)
      try {
        await auth.confirmTotpEnrolment(
          actor.userId,
          ((request.body ?? {}) as Form).code ?? '',
          auditContext(request),
          null,
        )
      } catch (error) {
        if (error instanceof ValidationError) {
          const secret = await auth.beginTotpEnrolment(actor.userId)
          return render(
            request,
            reply,
            {
              errors: error.fields,
              totpSetup: { secret, uri: totpUri(secret, actor.username, 'Cao Bang DVC') },
            },
            422,
          )
        }
        throw error
      }
      return redirectWithFlash(reply, paths.account, translator(messages, request.lang)('totpEnabled'))
    })
    app.post(paths.accountTotpDisable, async (request, reply) =>
      handle(request, reply, async (actor, form) => {
        await auth.disableTotp(actor, form.currentPassword ?? '', auditContext(request))
        return translator(messages, request.lang)('totpDisabled')
      }),
    )
    app.post(paths.accountTokens, async (request, reply) =>
      handle(request, reply, async (actor, form) => {
        const created = await auth.createToken(actor, form, auditContext(request))
        // Shown once, on this response only; never stored in a redirect or cookie.
        return { newToken: created.token }
      }),
    )
    app.post('/account/tokens/:id/revoke', async (request, reply) =>
      handle(request, reply, async (actor) => {
        await auth.revokeToken(actor, (request.params as { id: string }).id, auditContext(request))
        return translator(messages, request.lang)('tokenRevoked')
      }),
    )
  }
}
