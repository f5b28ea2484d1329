import type { FastifyInstance, FastifyRequest } from 'fastify'
import { UnauthenticatedError, type Actor } from '../../platform/auth/actor.js'
import { auditContext, redirectWithFlash, sendPage } from '../../platform/http/plugin.js'
import { isUuid } from '../../platform/ids.js'
import { translator, type Translate } from '../../platform/i18n/index.js'
import { PostButton } from '../../platform/views/components.js'
import { formatDateTime } from '../../platform/views/format.js'
import { Layout } from '../../platform/views/layout.js'
import { documentPaths, meetingPaths } from '../documents/index.js'
import { dossierPaths } from '../dossiers/index.js'
import { maskRecipient } from './notification-plan.js'
import { messages, type NotificationsKey } from './notifications.locales.js'
import { notificationPaths as paths } from './notifications.paths.js'
import type { Cursor, NotificationRow } from './notifications.repository.js'
import { PAGE_SIZE, type NotificationsService } from './notifications.service.js'
import { NOTIFICATION_STATUSES, type NotificationStatus } from './notifications.tables.js'

type Query = Record<string, string | undefined>

function requireActor(request: FastifyRequest): Actor {
  if (!request.actor) throw new UnauthenticatedError()
  return request.actor
}

/** The keyset cursor of "older" links; anything malformed means the first page. */
function cursorOf(query: Query): Cursor | undefined {
  const at = query.beforeAt ? new Date(query.beforeAt) : undefined
  if (!at || Number.isNaN(at.getTime()) || !isUuid(query.beforeId)) return undefined
  return { at, id: query.beforeId.toLowerCase() }
}

function statusOf(query: Query): NotificationStatus | undefined {
  return NOTIFICATION_STATUSES.find((s) => s === query.status)
}

/** The rows of one page and, when there are more, the last one shown (the next cursor). */
function page(rows: NotificationRow[]) {
  const shown = rows.slice(0, PAGE_SIZE)
  return { shown, next: rows.length > PAGE_SIZE ? shown[shown.length - 1] : undefined }
}

function StatusTag({ row, t }: { row: NotificationRow; t: Translate<NotificationsKey> }) {
  return (
    <span class="tag" data-status={row.status} safe>
      {t(`status_${row.status}`)}
    </span>
  )
}

/** What a message is about: an applicant's dossier, a document assigned to an official, or a meeting. */
function About({ row, t }: { row: NotificationRow; t: Translate<NotificationsKey> }) {
  if (row.dossier_code)
    return (
      <a href={dossierPaths.dossier(row.dossier_code)} safe>
        {row.dossier_code}
      </a>
    )
  if (row.document_id)
    return (
      <a href={documentPaths.document(row.document_id)} safe>
        {t('aboutDocument')}
      </a>
    )
  if (row.meeting_id)
    return (
      <a href={meetingPaths.meeting(row.meeting_id)} safe>
        {t('aboutMeeting')}
      </a>
    )
  return ''
}

export function notificationsRoutes(notifications: NotificationsService) {
  return async function routes(app: FastifyInstance) {
    app.get(paths.mine, async (request, reply) => {
      const actor = requireActor(request)
      const { shown, next } = page(await notifications.listMine(actor, cursorOf(request.query as Query)))
      const ctx = app.pageContext(request, reply)
      const t = translator(messages, ctx.lang)
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('mineTitle')}>
          <h1 safe>{t('mineTitle')}</h1>
          <p safe>{t('mineIntro')}</p>
          {shown.length === 0 ? (
            <p safe>{t('mineEmpty')}</p>
          ) : (
            <table id="notifications">
              <thead>
                <tr>
                  <th scope="col" safe>
                    {t('time')}
                  </th>
                  <th scope="col" safe>
                    {t('dossier')}
                  </th>
                  <th scope="col" safe>
                    {t('template')}
                  </th>
                  <th scope="col" safe>
                    {t('channel')}
                  </th>
                  <th scope="col" safe>
                    {t('status')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {shown.map((row) => (
                  <tr data-id={row.id}>
                    <td safe>{formatDateTime(row.created_at, ctx.lang)}</td>
                    <td>
                      <About row={row} t={t} />
                    </td>
                    <td>
                      <details>
                        <summary safe>
                          {row.subject ?? t(`template_${row.template}` as NotificationsKey)}
                        </summary>
                        {row.body.split('\n\n').map((paragraph) => (
                          <p>
                            {paragraph.split('\n').map((line, i) => (
                              <>
                                {i > 0 ? <br /> : ''}
                                <span safe>{line}</span>
                              </>
                            ))}
                          </p>
                        ))}
                      </details>
                    </td>
                    <td
                      safe
                    >{`${t(`channel_${row.channel}`)}: ${maskRecipient(row.channel, row.recipient)}`}</td>
                    <td>
                      <StatusTag row={row} t={t} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {next ? (
            <p>
              <a href={paths.mineOlder(next.created_at, next.id)} safe>
                {t('older')}
              </a>
            </p>
          ) : (
            ''
          )}
        </Layout>,
      )
    })

    app.get(paths.admin, async (request, reply) => {
      const actor = requireActor(request)
      const query = request.query as Query
      const status = statusOf(query)
      const { shown, next } = page(
        await notifications.listForAdministrator(actor, { status, before: cursorOf(query) }),
      )
      const ctx = app.pageContext(request, reply)
      const t = translator(messages, ctx.lang)
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('adminTitle')} wide>
          <h1 safe>{t('adminTitle')}</h1>
          <p safe>{t('adminIntro')}</p>
          <form method="get" action={paths.admin} class="inline-form">
            <label for="status" safe>
              {t('filterStatus')}
            </label>{' '}
            <select id="status" name="status">
              <option value="" safe>
                {t('allStatuses')}
              </option>
              {NOTIFICATION_STATUSES.map((s) => (
                <option value={s} selected={s === status} safe>
                  {t(`status_${s}`)}
                </option>
              ))}
            </select>{' '}
            <button type="submit" class="secondary" safe>
              {t('filter')}
            </button>
          </form>
          {shown.length === 0 ? (
            <p safe>{t('adminEmpty')}</p>
          ) : (
            <table id="notifications">
              <thead>
                <tr>
                  <th scope="col" safe>
                    {t('time')}
                  </th>
                  <th scope="col" safe>
                    {t('dossier')}
                  </th>
                  <th scope="col" safe>
                    {t('template')}
                  </th>
                  <th scope="col" safe>
                    {t('recipient')}
                  </th>
                  <th scope="col" safe>
                    {t('status')}
                  </th>
                  <th scope="col" safe>
                    {t('attempts')}
                  </th>
                  <th scope="col" safe>
                    {t('lastError')}
                  </th>
                  <th scope="col" safe>
                    {t('actions')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {shown.map((row) => (
                  <tr data-id={row.id} data-status={row.status}>
                    <td safe>{formatDateTime(row.created_at, ctx.lang)}</td>
                    <td>
                      <About row={row} t={t} />
                    </td>
                    <td safe>{t(`template_${row.template}` as NotificationsKey)}</td>
                    <td
                      safe
                    >{`${t(`channel_${row.channel}`)}: ${maskRecipient(row.channel, row.recipient)}`}</td>
                    <td>
                      <StatusTag row={row} t={t} />
                    </td>
                    <td safe>{String(row.attempts)}</td>
                    <td>
                      <small safe>{(row.last_error ?? '').slice(0, 200)}</small>
                    </td>
                    <td>
                      {row.status === 'failed' ? (
                        <PostButton action={paths.retry(row.id)} csrf={ctx.csrf} label={t('retry')} />
                      ) : (
                        ''
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {next ? (
            <p>
              <a href={paths.adminList({ status, beforeAt: next.created_at, beforeId: next.id })} safe>
                {t('older')}
              </a>
            </p>
          ) : (
            ''
          )}
        </Layout>,
      )
    })

    app.post('/admin/notifications/:id/retry', async (request, reply) => {
      const actor = requireActor(request)
      await notifications.retry(actor, auditContext(request), (request.params as { id: string }).id)
      const t = translator(messages, request.lang)
      return redirectWithFlash(reply, paths.adminList({ status: 'failed' }), t('retried'))
    })
  }
}
