import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ForbiddenError, hasRole, UnauthenticatedError, type Actor } from '../../platform/auth/actor.js'
import { Role } from '../../platform/auth/roles.js'
import { auditContext, redirectWithFlash, sendPage } from '../../platform/http/plugin.js'
import { translator } from '../../platform/i18n/index.js'
import { CsrfField, PostButton } from '../../platform/views/components.js'
import { formatDateTime } from '../../platform/views/format.js'
import { Layout } from '../../platform/views/layout.js'
import { pubsubPaths } from '../pubsub/index.js'
import { messages } from './national-sync.locales.js'
import { nationalSyncPaths as paths } from './national-sync.paths.js'
import type { NationalSyncService } from './national-sync.service.js'

export function requireSyncAdmin(actor: Actor | null): asserts actor is Actor {
  if (!actor) throw new UnauthenticatedError()
  if (!hasRole(actor, Role.systemAdmin)) throw new ForbiddenError('lgsp.national_sync.manage')
}

/** The administrators' status page: configuration, queue, failures with re-drive, recent calls. */
export function nationalSyncRoutes(sync: NationalSyncService) {
  return async function routes(app: FastifyInstance) {
    const page = (request: FastifyRequest, reply: FastifyReply) => {
      requireSyncAdmin(request.actor)
      const ctx = app.pageContext(request, reply)
      return { ctx, t: translator(messages, ctx.lang) }
    }

    app.get(paths.status, async (request, reply) => {
      const { ctx, t } = page(request, reply)
      const status = await sync.status()
      const counts = status.counts
      const codes = Object.entries(status.unitCodes)
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('title')} wide>
          <h1 safe>{t('title')}</h1>
          <p>
            <a href={pubsubPaths.topics} safe>
              {t('topics')}
            </a>
          </p>
          <p safe>{t('intro')}</p>
          <p id="sync-state" safe>
            {status.enabled ? t('enabled', { url: status.url ?? '' }) : t('disabled')}
          </p>
          {status.enabled ? (
            <>
              <p id="sync-auth" safe>
                {status.auth.kind === 'oauth2'
                  ? t('authOAuth2', { tokenUrl: status.auth.tokenUrl, clientId: status.auth.clientId })
                  : t('authToken')}
              </p>
              <p id="sync-retry-codes" safe>
                {status.retryCodes.length > 0
                  ? t('retryCodes', { codes: status.retryCodes.join(', ') })
                  : t('noRetryCodes')}
              </p>
              <h2 safe>{t('unitCodes')}</h2>
              {codes.length === 0 ? (
                <p safe>{t('noUnitCodes')}</p>
              ) : (
                <ul>
                  {codes.map(([from, to]) => (
                    <li safe>{`${from} → ${to}`}</li>
                  ))}
                </ul>
              )}
              <h2 safe>{t('queue')}</h2>
              <dl id="sync-counts">
                <dt safe>{t('pending')}</dt>
                <dd data-count="pending" safe>
                  {String((counts?.queued ?? 0) + (counts?.waiting ?? 0))}
                </dd>
                <dt safe>{t('delivered')}</dt>
                <dd data-count="delivered" safe>
                  {String(counts?.delivered ?? 0)}
                </dd>
                <dt safe>{t('failed')}</dt>
                <dd data-count="dead" safe>
                  {String(counts?.dead ?? 0)}
                </dd>
                <dt safe>{t('dossiers')}</dt>
                <dd data-count="dossiers" safe>
                  {String(status.dossiers)}
                </dd>
                {status.lastFailure ? (
                  <>
                    <dt safe>{t('lastError')}</dt>
                    <dd id="last-error" safe>
                      {`${status.lastFailure.last_error ?? ''} (${formatDateTime(status.lastFailure.last_attempt_at, ctx.lang)})`}
                    </dd>
                  </>
                ) : (
                  ''
                )}
              </dl>
              <h2 safe>{t('deadTitle')}</h2>
              {status.dead.length === 0 ? (
                <p safe>{t('none')}</p>
              ) : (
                <>
                  <PostButton action={paths.redrive} csrf={ctx.csrf} label={t('redriveAll')} />
                  <table id="dead">
                    <thead>
                      <tr>
                        <th scope="col" safe>
                          {t('position')}
                        </th>
                        <th scope="col" safe>
                          {t('dossier')}
                        </th>
                        <th scope="col" safe>
                          {t('attempts')}
                        </th>
                        <th scope="col" safe>
                          {t('error')}
                        </th>
                        <th scope="col"></th>
                      </tr>
                    </thead>
                    <tbody>
                      {status.dead.map((d) => (
                        <tr data-delivery={String(d.id)}>
                          <td safe>{String(d.position)}</td>
                          <td safe>{d.key ?? ''}</td>
                          <td safe>{String(d.attempts)}</td>
                          <td safe>{d.last_error ?? ''}</td>
                          <td>
                            <form method="post" action={paths.redrive} class="inline-form">
                              <CsrfField token={ctx.csrf} />
                              <input type="hidden" name="deliveryId" value={String(d.id)} />
                              <button type="submit" safe>
                                {t('redrive')}
                              </button>
                            </form>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </>
              )}
            </>
          ) : (
            ''
          )}
          <h2 safe>{t('callsTitle')}</h2>
          {status.calls.length === 0 ? (
            <p safe>{t('none')}</p>
          ) : (
            <table id="calls">
              <thead>
                <tr>
                  <th scope="col" safe>
                    {t('at')}
                  </th>
                  <th scope="col" safe>
                    {t('dossier')}
                  </th>
                  <th scope="col" safe>
                    {t('service')}
                  </th>
                  <th scope="col" safe>
                    {t('httpStatus')}
                  </th>
                  <th scope="col" safe>
                    {t('portalCode')}
                  </th>
                  <th scope="col" safe>
                    {t('result')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {status.calls.map((call) => (
                  <tr data-ok={call.ok ? 'true' : 'false'}>
                    <td safe>{formatDateTime(call.at, ctx.lang)}</td>
                    <td safe>{call.dossier_code}</td>
                    <td safe>{call.service}</td>
                    <td safe>{call.http_status === null ? '' : String(call.http_status)}</td>
                    <td safe>{call.portal_code ?? ''}</td>
                    <td safe>
                      {call.ok
                        ? call.portal_message
                          ? `${t('ok')}: ${call.portal_message}`
                          : t('ok')
                        : `${t('notOk')}: ${call.error ?? ''}`}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Layout>,
      )
    })

    app.post(paths.redrive, async (request, reply) => {
      const { t } = page(request, reply)
      const { deliveryId } = (request.body ?? {}) as { deliveryId?: string }
      const ids = deliveryId && /^\d+$/.test(deliveryId) ? [Number(deliveryId)] : undefined
      const count = await sync.redrive(request.actor, auditContext(request), ids)
      return redirectWithFlash(reply, paths.status, t('redriven', { count }))
    })
  }
}
