import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Actor } from '../../platform/auth/actor.js'
import type { Clock } from '../../platform/clock.js'
import type { Config } from '../../platform/config.js'
import { ValidationError, type FieldErrors } from '../../platform/http/errors.js'
import { auditContext, safeNext, sendPage } from '../../platform/http/plugin.js'
import { translator } from '../../platform/i18n/index.js'
import { CsrfField, TextField } from '../../platform/views/components.js'
import type { PageContext } from '../../platform/views/context.js'
import { Layout } from '../../platform/views/layout.js'
import type { AccountExtension } from './account.routes.js'
import type { AuthService } from './auth.service.js'
import { SESSION_COOKIE } from './auth.routes.js'
import {
  ExternalLoginError,
  providerError,
  providerSession,
  sessionTag,
  transactionSealer,
  type ExternalProvider,
} from './external-login.client.js'
import { externalMessages, type ExternalKey } from './external-login.locales.js'
import type { ExternalLoginService } from './external-login.service.js'
import { messages } from './identity.locales.js'
import { identityPaths as paths } from './identity.paths.js'

/** Holds the sealed login transaction between the redirect to the provider and the return. */
export const EXTERNAL_LOGIN_COOKIE = 'cb_ext_login'

/** Holds the provider's ID token while a citizen signed in through it is signed in here; sent only to /logout. */
export const PROVIDER_SESSION_COOKIE = 'cb_ext_session'

/** Browsers drop cookies above 4 KB: a provider session that does not fit is simply not kept. */
const MAX_COOKIE = 3800

type Query = Record<string, string | undefined>

/**
 * Sign-out at the provider too (OIDC RP-Initiated Logout): for a citizen whose current session began there, the
 * address of the provider's end-session endpoint (it comes back to PUBLIC_URL/ afterwards); otherwise undefined.
 * The logout route (auth.routes.tsx) calls it after ending the session here.
 */
export function externalSignOut(provider: ExternalProvider, config: Config, clock: Clock) {
  const sealer = transactionSealer(config.secretKey)
  return async (request: FastifyRequest, reply: FastifyReply): Promise<string | undefined> => {
    const kept = sealer.openSession(request.cookies[PROVIDER_SESSION_COOKIE], clock())
    if (request.cookies[PROVIDER_SESSION_COOKIE] !== undefined)
      reply.clearCookie(PROVIDER_SESSION_COOKIE, { path: paths.logout })
    const current = request.cookies[SESSION_COOKIE]
    if (!kept || !current || kept.sessionTag !== sessionTag(current)) return undefined
    return provider.endSessionUrl(kept.idToken, `${(config.publicUrl ?? '').replace(/\/+$/, '')}/`)
  }
}

export function externalLoginRoutes(
  service: ExternalLoginService,
  provider: ExternalProvider,
  auth: AuthService,
  config: Config,
  clock: Clock,
) {
  const sealer = transactionSealer(config.secretKey)
  const cookieOptions = {
    path: paths.externalLogin,
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: config.secureCookies,
  }

  return async function routes(app: FastifyInstance) {
    const renderError = (request: FastifyRequest, reply: FastifyReply, error: ExternalLoginError) => {
      const ctx = app.pageContext(request, reply)
      const t = translator(externalMessages, ctx.lang)
      const title = t('errorTitle', { provider: provider.name })
      return sendPage(
        reply,
        <Layout ctx={ctx} title={title}>
          <h1 safe>{title}</h1>
          <p class="error-message" role="alert" safe>
            {t(error.key, error.params)}
          </p>
          <p>
            <a href={paths.externalLogin} safe>
              {t('tryAgain')}
            </a>
            {' · '}
            <a href={paths.login} safe>
              {t('passwordLogin')}
            </a>
          </p>
        </Layout>,
        error.statusCode,
      )
    }

    // As the password form: a few sign-ins a minute per address, however they arrive.
    const limit = { config: { rateLimit: { max: 30, timeWindow: '1 minute' } } }

    app.get(paths.externalLogin, limit, async (request, reply) => {
      const next = safeNext((request.query as Query).next, '')
      try {
        const { url, transaction } = await provider.begin(next)
        reply.setCookie(EXTERNAL_LOGIN_COOKIE, sealer.seal(transaction), {
          ...cookieOptions,
          maxAge: Math.round((transaction.expires - clock().getTime()) / 1000),
        })
        return reply.redirect(url, 303)
      } catch (error) {
        if (!(error instanceof ExternalLoginError)) throw error
        request.log.warn({ code: error.code }, 'external sign-in could not start')
        return renderError(request, reply, error)
      }
    })

    app.get(paths.externalCallback, limit, async (request, reply) => {
      const query = request.query as Query
      const transaction = sealer.open(request.cookies[EXTERNAL_LOGIN_COOKIE], clock())
      // One transaction, one return: whatever happens next, the cookie is spent.
      reply.clearCookie(EXTERNAL_LOGIN_COOKIE, cookieOptions)
      try {
        if (!transaction) throw new ExternalLoginError(400, 'errorExpired')
        if (query.state !== transaction.state) throw new ExternalLoginError(400, 'errorState')
        if (query.error) {
          request.log.info(
            { error: query.error, description: query.error_description?.slice(0, 300) },
            'the identity provider returned an error',
          )
          throw providerError(query.error)
        }
        const params = new URLSearchParams(
          Object.entries(query).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
        )
        const identity = await provider.complete(params, transaction)
        const result = await service.signIn(identity, auditContext(request))
        // A new session id at every sign-in, as with the password form.
        if (request.sessionId) await auth.logout(request.sessionId, auditContext(request))
        reply.setCookie(SESSION_COOKIE, result.sessionToken, {
          path: '/',
          httpOnly: true,
          sameSite: 'lax',
          secure: config.secureCookies,
          maxAge: config.sessionMaxHours * 3600,
        })
        if (identity.idToken) {
          const kept = sealer.seal(
            providerSession(
              identity.idToken,
              result.sessionToken,
              clock().getTime() + config.sessionMaxHours * 3_600_000,
            ),
          )
          if (kept.length <= MAX_COOKIE)
            reply.setCookie(PROVIDER_SESSION_COOKIE, kept, {
              path: paths.logout,
              httpOnly: true,
              sameSite: 'lax',
              secure: config.secureCookies,
              maxAge: config.sessionMaxHours * 3600,
            })
        }
        return reply.redirect(transaction.next || paths.account, 303)
      } catch (error) {
        if (!(error instanceof ExternalLoginError)) throw error
        // Refusals of a known account are audited by the service, with the account.
        if (!['errorOfficial', 'errorDisabled', 'errorOtherIdentity', 'errorIdChanged'].includes(error.key))
          await service.recordFailure(error.code, auditContext(request))
        request.log.info({ code: error.code, status: error.statusCode }, 'external sign-in failed')
        return renderError(request, reply, error)
      }
    })
  }
}

/** The linked identity on the account page, with unlinking and a first password for accounts without one. */
export function externalAccountExtension(service: ExternalLoginService): AccountExtension {
  const facts = ['fullName', 'citizenId', 'phone', 'email'] as const
  return {
    async section(actor: Actor, ctx: PageContext, errors: FieldErrors) {
      // Officials never sign in through the provider: nothing to show or offer them.
      if (actor.kind === 'official') return ''
      const t = translator(externalMessages, ctx.lang)
      const ti = translator(messages, ctx.lang)
      const provider = service.providerName
      const links = await service.listLinks(actor.userId)
      const passwordSet = await service.accountHasPassword(actor.userId)
      const when = (at: Date | null) =>
        at ? new Date(at.getTime() + 7 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ') : ti('never')
      return (
        <section id="external" aria-labelledby="external-title">
          <h2 id="external-title" safe>
            {t('linkedTitle')}
          </h2>
          {errors.unlink ? (
            <p class="error-message" id="unlink" safe>
              {errors.unlink}
            </p>
          ) : (
            ''
          )}
          {links.length === 0 ? (
            <>
              <p safe>{t('notLinked', { provider })}</p>
              <p>
                <a
                  class="button secondary"
                  href={`${paths.externalLogin}?next=${encodeURIComponent(paths.account)}`}
                  safe
                >
                  {t('linkButton', { provider })}
                </a>
              </p>
            </>
          ) : (
            <>
              <p safe>{t('linkedIntro')}</p>
              {links.map((link) => (
                <div class="external-link">
                  <h3 safe>{link.providerName}</h3>
                  <dl>
                    <dt safe>{t('linkedAt')}</dt>
                    <dd safe>{when(link.linkedAt)}</dd>
                    <dt safe>{t('lastLogin')}</dt>
                    <dd safe>{when(link.lastLoginAt)}</dd>
                    <dt safe>{t('verifiedFacts')}</dt>
                    <dd>
                      <ul class="verified-facts">
                        {facts
                          .filter((fact) => link.verified[fact])
                          .map((fact) => (
                            <li data-fact={fact}>
                              <span
                                safe
                              >{`${t(`fact_${fact}` as ExternalKey)}: ${link.verified[fact]}`}</span>{' '}
                              <span
                                class="tag"
                                safe
                              >{`✓ ${t('verifiedBy', { provider: link.providerName })}`}</span>
                            </li>
                          ))}
                      </ul>
                    </dd>
                  </dl>
                  <form method="post" action={paths.externalUnlink(link.id)} class="inline-form">
                    <CsrfField token={ctx.csrf} />
                    <button type="submit" class="danger" safe>
                      {t('unlink')}
                    </button>
                  </form>
                </div>
              ))}
            </>
          )}
          {passwordSet ? (
            ''
          ) : (
            <form method="post" action={paths.externalPassword} novalidate>
              <h3 safe>{t('setPasswordTitle')}</h3>
              <p safe>{t('setPasswordIntro', { provider })}</p>
              <CsrfField token={ctx.csrf} />
              <TextField
                name="firstPassword"
                type="password"
                label={ti('newPassword')}
                hint={ti('passwordHint')}
                error={errors.firstPassword}
                autocomplete="new-password"
                required
              />
              <TextField
                name="firstPasswordConfirm"
                type="password"
                label={ti('passwordConfirm')}
                error={errors.firstPasswordConfirm}
                autocomplete="new-password"
                required
              />
              <button type="submit" safe>
                {t('setPasswordButton')}
              </button>
            </form>
          )}
        </section>
      )
    },
    actions: [
      {
        path: paths.externalUnlinkPattern,
        async run(request, actor) {
          const { id } = request.params as { id: string }
          await service.unlink(actor, id, auditContext(request))
          return translator(externalMessages, request.lang)('unlinked', { provider: service.providerName })
        },
      },
      {
        path: paths.externalPassword,
        async run(request, actor, form) {
          const raw = { password: form.firstPassword ?? '', passwordConfirm: form.firstPasswordConfirm ?? '' }
          try {
            await service.setFirstPassword(actor, raw, auditContext(request))
          } catch (error) {
            // The page also holds the change-password form: this form's fields have names of their own.
            if (!(error instanceof ValidationError)) throw error
            const { password, passwordConfirm } = error.fields
            throw new ValidationError({
              ...(password ? { firstPassword: password } : {}),
              ...(passwordConfirm ? { firstPasswordConfirm: passwordConfirm } : {}),
            })
          }
          return translator(externalMessages, request.lang)('passwordSet')
        },
      },
    ],
  }
}

/** The citizens' way in on the sign-in page; shown only when a provider is configured. */
export function ExternalLoginButton(props: { lang: PageContext['lang']; provider: string; next?: string }) {
  const t = translator(externalMessages, props.lang)
  const href = props.next
    ? `${paths.externalLogin}?next=${encodeURIComponent(props.next)}`
    : paths.externalLogin
  return (
    <div class="external-login">
      <p>
        <a class="button" id="external-login" href={href} safe>
          {t('loginWith', { provider: props.provider })}
        </a>
      </p>
      <p class="hint" safe>
        {t('loginWithHint')}
      </p>
      <p class="divider" safe>
        {t('or')}
      </p>
    </div>
  )
}
