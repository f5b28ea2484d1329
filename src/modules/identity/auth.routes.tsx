import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { UnauthenticatedError } from '../../platform/auth/actor.js'
import { totpUri } from '../../platform/auth/totp.js'
import type { Config } from '../../platform/config.js'
import { AppError, ValidationError, type FieldErrors } from '../../platform/http/errors.js'
import { auditContext, redirectWithFlash, safeNext, sendPage } from '../../platform/http/plugin.js'
import { common } from '../../platform/i18n/common.js'
import { translator } from '../../platform/i18n/index.js'
import { CsrfField, ErrorSummary, TextField } from '../../platform/views/components.js'
import type { PageContext } from '../../platform/views/context.js'
import { Layout } from '../../platform/views/layout.js'
import type { AuthService } from './auth.service.js'
import { ExternalLoginButton } from './external-login.routes.js'
import { messages } from './identity.locales.js'
import { identityPaths as paths } from './identity.paths.js'

export const SESSION_COOKIE = 'cb_session'

type Form = Record<string, string | undefined>
const body = (request: FastifyRequest): Form => (request.body ?? {}) as Form

/**
 * `signOutElsewhere`: after the session here ends, where to send the browser to end a session the citizen holds
 * at an outside identity provider (undefined: nowhere, back to the home page).
 */
export function authRoutes(
  auth: AuthService,
  config: Config,
  signOutElsewhere?: (request: FastifyRequest, reply: FastifyReply) => Promise<string | undefined>,
) {
  return async function routes(app: FastifyInstance) {
    const loginLimit = { rateLimit: { max: 20, timeWindow: '1 minute' } }

    const renderLogin = (
      ctx: PageContext,
      reply: FastifyReply,
      values: Form,
      errors?: FieldErrors,
      status = 200,
    ) => {
      const t = translator(messages, ctx.lang)
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('loginTitle')}>
          <h1 safe>{t('loginTitle')}</h1>
          <ErrorSummary errors={errors} title={translator(common, ctx.lang)('errorSummaryTitle')} />
          {config.externalOidc ? (
            <ExternalLoginButton lang={ctx.lang} provider={config.externalOidc.name} next={values.next} />
          ) : (
            ''
          )}
          <p safe>{t('loginIntro')}</p>
          <form
            method="post"
            action={values.next ? `${paths.login}?next=${encodeURIComponent(values.next)}` : paths.login}
            novalidate
          >
            <CsrfField token={ctx.csrf} />
            <TextField
              name="login"
              label={t('loginField')}
              value={values.login}
              error={errors?.login}
              autocomplete="username"
              required
            />
            <TextField
              name="password"
              type="password"
              label={t('password')}
              error={errors?.password}
              autocomplete="current-password"
              required
            />
            <button type="submit" safe>
              {t('loginButton')}
            </button>
          </form>
          <p>
            <span safe>{t('noAccount')}</span>{' '}
            <a href={paths.register} safe>
              {t('registerLink')}
            </a>
          </p>
        </Layout>,
        status,
      )
    }

    const startSession = (reply: FastifyReply, token: string) =>
      reply.setCookie(SESSION_COOKIE, token, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: config.secureCookies,
        maxAge: config.sessionMaxHours * 3600,
      })

    app.get(paths.login, async (request, reply) => {
      const next = safeNext((request.query as Form).next, '')
      if (request.actor) return reply.redirect(next || landing(request), 303)
      return renderLogin(app.pageContext(request, reply), reply, { next })
    })

    app.post(paths.login, { config: loginLimit }, async (request, reply) => {
      const form = body(request)
      const next = safeNext((request.query as Form).next, '')
      const ctx = app.pageContext(request, reply)
      const errors: FieldErrors = {}
      if (!form.login?.trim()) errors.login = 'Nhập tên đăng nhập, số điện thoại hoặc thư điện tử.'
      if (!form.password) errors.password = 'Nhập mật khẩu.'
      if (Object.keys(errors).length) return renderLogin(ctx, reply, { login: form.login, next }, errors, 422)
      try {
        // A new session id at every sign-in: a session fixed before login is worth nothing after it.
        if (request.sessionId) await auth.logout(request.sessionId, auditContext(request))
        const result = await auth.login(form.login!, form.password!, auditContext(request))
        startSession(reply, result.sessionToken)
        if (result.stage === 'second_factor')
          return reply.redirect(`${paths.secondFactor}?next=${encodeURIComponent(next)}`, 303)
        if (result.stage === 'second_factor_setup') return reply.redirect(paths.secondFactorSetup, 303)
        return reply.redirect(
          next || (result.user.kind === 'official' ? paths.backoffice : paths.account),
          303,
        )
      } catch (error) {
        if (error instanceof AppError && (error.statusCode === 401 || error.statusCode === 423)) {
          return renderLogin(
            ctx,
            reply,
            { login: form.login, next },
            { login: error.message },
            error.statusCode,
          )
        }
        throw error
      }
    })

    const pendingSession = async (
      request: FastifyRequest,
      stage: 'second_factor' | 'second_factor_setup',
    ) => {
      const token = request.cookies[SESSION_COOKIE]
      const resolved = token ? await auth.resolveSession(token) : null
      if (!resolved || resolved.session.stage !== stage) throw new UnauthenticatedError()
      return resolved.session
    }

    const renderCode = (
      ctx: PageContext,
      reply: FastifyReply,
      setup: { secret: string; uri: string } | null,
      action: string,
      errors?: FieldErrors,
      status = 200,
    ) => {
      const t = translator(messages, ctx.lang)
      const title = setup ? t('totpSetupTitle') : t('secondFactorTitle')
      return sendPage(
        reply,
        <Layout ctx={ctx} title={title}>
          <h1 safe>{title}</h1>
          <ErrorSummary errors={errors} title={translator(common, ctx.lang)('errorSummaryTitle')} />
          <p safe>{setup ? t('totpSetupIntro') : t('secondFactorIntro')}</p>
          {setup ? (
            <dl>
              <dt safe>{t('secretKey')}</dt>
              <dd class="secret" safe>
                {setup.secret}
              </dd>
              <dt safe>{t('setupUri')}</dt>
              <dd class="secret" safe>
                {setup.uri}
              </dd>
            </dl>
          ) : (
            ''
          )}
          <form method="post" action={action} novalidate>
            <CsrfField token={ctx.csrf} />
            <TextField
              name="code"
              label={t('code')}
              error={errors?.code}
              inputmode="numeric"
              autocomplete="one-time-code"
              maxlength={6}
              required
            />
            <button type="submit" safe>
              {t('confirm')}
            </button>
          </form>
        </Layout>,
        status,
      )
    }

    app.get(paths.secondFactor, async (request, reply) => {
      await pendingSession(request, 'second_factor')
      return renderCode(app.pageContext(request, reply), reply, null, request.url)
    })
    app.post(paths.secondFactor, { config: loginLimit }, async (request, reply) => {
      const session = await pendingSession(request, 'second_factor')
      try {
        await auth.completeSecondFactor(session.sessionId, body(request).code ?? '', auditContext(request))
      } catch (error) {
        if (error instanceof ValidationError)
          return renderCode(app.pageContext(request, reply), reply, null, request.url, error.fields, 422)
        throw error
      }
      return reply.redirect(safeNext((request.query as Form).next, '') || paths.backoffice, 303)
    })

    const setupView = async (userId: string, username: string) => {
      const secret = await auth.beginTotpEnrolment(userId)
      return { secret, uri: totpUri(secret, username, 'Cao Bang DVC') }
    }

    app.get(paths.secondFactorSetup, async (request, reply) => {
      const session = await pendingSession(request, 'second_factor_setup')
      const user = await auth.loadActorById(session.userId)
      return renderCode(
        app.pageContext(request, reply),
        reply,
        await setupView(user.userId, user.username),
        paths.secondFactorSetup,
      )
    })
    app.post(paths.secondFactorSetup, { config: loginLimit }, async (request, reply) => {
      const session = await pendingSession(request, 'second_factor_setup')
      const user = await auth.loadActorById(session.userId)
      try {
        await auth.confirmTotpEnrolment(
          session.userId,
          body(request).code ?? '',
          { ...auditContext(request), actorId: user.userId, actorLabel: user.username },
          session.sessionId,
        )
      } catch (error) {
        if (error instanceof ValidationError) {
          return renderCode(
            app.pageContext(request, reply),
            reply,
            await setupView(user.userId, user.username),
            paths.secondFactorSetup,
            error.fields,
            422,
          )
        }
        throw error
      }
      return redirectWithFlash(reply, paths.backoffice, translator(messages, request.lang)('totpEnabled'))
    })

    app.post(paths.logout, async (request, reply) => {
      if (request.sessionId) await auth.logout(request.sessionId, auditContext(request))
      const elsewhere = signOutElsewhere ? await signOutElsewhere(request, reply) : undefined
      reply.clearCookie(SESSION_COOKIE, { path: '/' })
      return redirectWithFlash(reply, elsewhere ?? '/', translator(messages, request.lang)('loggedOut'))
    })

    const renderRegister = (
      ctx: PageContext,
      reply: FastifyReply,
      values: Form,
      errors?: FieldErrors,
      status = 200,
    ) => {
      const t = translator(messages, ctx.lang)
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('registerTitle')}>
          <h1 safe>{t('registerTitle')}</h1>
          <ErrorSummary errors={errors} title={translator(common, ctx.lang)('errorSummaryTitle')} />
          <p safe>{t('registerIntro')}</p>
          <form method="post" action={paths.register} novalidate>
            <CsrfField token={ctx.csrf} />
            <TextField
              name="fullName"
              label={t('fullName')}
              value={values.fullName}
              error={errors?.fullName}
              autocomplete="name"
              required
            />
            <TextField
              name="citizenId"
              label={t('citizenId')}
              hint={t('citizenIdHint')}
              value={values.citizenId}
              error={errors?.citizenId}
              inputmode="numeric"
              maxlength={12}
              required
            />
            <TextField
              name="phone"
              label={t('phone')}
              hint={t('phoneHint')}
              value={values.phone}
              error={errors?.phone}
              type="tel"
              autocomplete="tel"
            />
            <TextField
              name="email"
              label={t('email')}
              value={values.email}
              error={errors?.email}
              type="email"
              autocomplete="email"
            />
            <TextField
              name="taxCode"
              label={t('taxCode')}
              hint={t('taxCodeHint')}
              value={values.taxCode}
              error={errors?.taxCode}
              inputmode="numeric"
              maxlength={14}
            />
            <TextField
              name="password"
              type="password"
              label={t('password')}
              hint={t('passwordHint')}
              error={errors?.password}
              autocomplete="new-password"
              required
            />
            <TextField
              name="passwordConfirm"
              type="password"
              label={t('passwordConfirm')}
              error={errors?.passwordConfirm}
              autocomplete="new-password"
              required
            />
            <button type="submit" safe>
              {t('registerButton')}
            </button>
          </form>
        </Layout>,
        status,
      )
    }

    app.get(paths.register, async (request, reply) =>
      renderRegister(app.pageContext(request, reply), reply, {}),
    )
    app.post(paths.register, { config: loginLimit }, async (request, reply) => {
      const form = body(request)
      try {
        await auth.registerCitizen(form, auditContext(request))
      } catch (error) {
        if (error instanceof ValidationError) {
          const { password: _p, passwordConfirm: _c, ...kept } = form
          return renderRegister(app.pageContext(request, reply), reply, kept, error.fields, 422)
        }
        throw error
      }
      return redirectWithFlash(reply, paths.login, translator(messages, request.lang)('registered'))
    })
  }
}

function landing(request: FastifyRequest): string {
  return request.actor?.kind === 'official' ? paths.backoffice : paths.account
}
