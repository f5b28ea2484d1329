import type { FastifyInstance, FastifyRequest } from 'fastify'
import { UnauthenticatedError, type Actor } from '../../platform/auth/actor.js'
import { NotFoundError, ValidationError, type FieldErrors } from '../../platform/http/errors.js'
import { auditContext, sendPage } from '../../platform/http/plugin.js'
import { translator, type Lang, type Translate } from '../../platform/i18n/index.js'
import { CsrfField, ErrorSummary, TextField } from '../../platform/views/components.js'
import { Layout } from '../../platform/views/layout.js'
import type { BodyPart } from './lgsp-log.crypto.js'
import { messages, type MessageLogKey } from './lgsp-log.locales.js'
import { messageLogPaths as paths, type LogQuery } from './lgsp-log.paths.js'
import { parseFilters, type LogEntry, type LogPage, type MessageLogService } from './lgsp-log.service.js'

type Query = Record<string, string | undefined>
const FILTER_FIELDS = ['client', 'service', 'requestId', 'status', 'from', 'to'] as const
/** A decrypted body is shown up to this size on the page; the API returns it whole. */
const SHOWN_BYTES = 64 * 1024

const withSeconds = {
  vi: new Intl.DateTimeFormat('vi-VN', {
    timeZone: 'Asia/Ho_Chi_Minh',
    dateStyle: 'short',
    timeStyle: 'medium',
  }),
  en: new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Asia/Ho_Chi_Minh',
    dateStyle: 'medium',
    timeStyle: 'medium',
  }),
}
const when = (at: Date, lang: Lang) => withSeconds[lang].format(at)

function requireActor(request: FastifyRequest): Actor {
  if (!request.actor) throw new UnauthenticatedError()
  return request.actor
}

/** Positive whole numbers only: anything else is a page that does not exist. */
function seqOf(value: string | undefined): number {
  if (!value || !/^[1-9]\d{0,15}$/.test(value)) throw new NotFoundError()
  return Number(value)
}

function partOf(value: string | undefined): BodyPart {
  if (value === 'request' || value === 'response') return value
  throw new NotFoundError()
}

function EntryRows({ entries, lang, t }: { entries: LogEntry[]; lang: Lang; t: Translate<MessageLogKey> }) {
  return (
    <>
      {entries.map((e) => (
        <tr data-seq={e.seq === null ? 'pending' : String(e.seq)} data-status={String(e.status)}>
          <td>
            {e.seq === null ? (
              '…'
            ) : (
              <a href={paths.entry(e.seq)} safe>
                {String(e.seq)}
              </a>
            )}
          </td>
          <td safe>{when(e.started_at, lang)}</td>
          <td safe>{`${e.finished_at.getTime() - e.started_at.getTime()} ms`}</td>
          <td safe>{e.client}</td>
          <td safe>{e.service}</td>
          <td safe>{`${e.method} ${e.path}`}</td>
          <td>
            <span class="tag" safe>
              {String(e.status)}
            </span>
            {e.error_code ? (
              <>
                {' '}
                <small safe>{e.error_code}</small>
              </>
            ) : (
              ''
            )}
          </td>
          <td>
            <small safe>{e.request_id}</small>
          </td>
          <td safe>{`${e.request_bytes}/${e.response_bytes}`}</td>
          <td safe>{e.has_request_body || e.has_response_body ? t('bodyKept') : t('bodyNone')}</td>
        </tr>
      ))}
    </>
  )
}

function EntryTable({
  entries,
  lang,
  t,
  id,
}: {
  entries: LogEntry[]
  lang: Lang
  t: Translate<MessageLogKey>
  id: string
}) {
  const heads: MessageLogKey[] = [
    'seq',
    'time',
    'duration',
    'client',
    'service',
    'path',
    'result',
    'requestId',
    'bytes',
    'body',
  ]
  return (
    <div>
      <table id={id}>
        <thead>
          <tr>
            {heads.map((h) => (
              <th scope="col" safe>
                {t(h)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          <EntryRows entries={entries} lang={lang} t={t} />
        </tbody>
      </table>
    </div>
  )
}

export function messageLogRoutes(log: MessageLogService) {
  return async function routes(app: FastifyInstance) {
    app.get(paths.admin, async (request, reply) => {
      const actor = requireActor(request)
      const query = request.query as Query
      const raw: LogQuery = {}
      for (const field of FILTER_FIELDS) {
        const value = typeof query[field] === 'string' ? query[field] : undefined
        if (value) raw[field] = value
      }
      const before = query.before && /^[1-9]\d{0,15}$/.test(query.before) ? Number(query.before) : undefined
      log.assertCanRead(actor)
      let errors: FieldErrors | undefined
      let page: LogPage | undefined
      try {
        page = await log.search(actor, parseFilters(raw), { before })
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error
        // The form comes back with what was typed and a message per field; nothing is searched.
        errors = error.fields
      }
      const ctx = app.pageContext(request, reply)
      const t = translator(messages, ctx.lang)
      const field = (name: (typeof FILTER_FIELDS)[number], hint?: MessageLogKey, type = 'text') => (
        <TextField
          name={name}
          label={t(name)}
          hint={hint ? t(hint) : undefined}
          value={raw[name]}
          error={errors?.[name]}
          type={type}
          maxlength={512}
        />
      )
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('title')} wide>
          <h1 safe>{t('title')}</h1>
          <p safe>{t('intro')}</p>
          <ErrorSummary errors={errors} title={t('errorTitle')} />
          <form method="get" action={paths.admin} role="search">
            <h2 safe>{t('searchTitle')}</h2>
            {field('client', 'clientHint')}
            {field('service', 'serviceHint')}
            {field('requestId')}
            {field('status', 'statusHint')}
            {field('from', 'dateHint', 'date')}
            {field('to', undefined, 'date')}
            <button type="submit" safe>
              {t('search')}
            </button>{' '}
            <a href={paths.admin} safe>
              {t('clear')}
            </a>
          </form>
          {page ? (
            <>
              {page.pending.length > 0 ? (
                <section id="pending">
                  <h2 safe>{t('pendingTitle', { count: page.pending.length })}</h2>
                  <p safe>{t('pendingIntro')}</p>
                  <EntryTable entries={page.pending} lang={ctx.lang} t={t} id="pending-entries" />
                </section>
              ) : (
                ''
              )}
              <h2 safe>{t('chainedTitle')}</h2>
              {page.entries.length === 0 ? (
                <p id="empty" safe>
                  {t('empty')}
                </p>
              ) : (
                <EntryTable entries={page.entries} lang={ctx.lang} t={t} id="entries" />
              )}
              <p>
                {page.nextBefore !== null ? (
                  <a id="older" href={paths.search({ ...raw, before: page.nextBefore })} safe>
                    {t('older')}
                  </a>
                ) : (
                  ''
                )}
                {before !== undefined ? (
                  <>
                    {' '}
                    <a href={paths.search(raw)} safe>
                      {t('newest')}
                    </a>
                  </>
                ) : (
                  ''
                )}
              </p>
            </>
          ) : (
            ''
          )}
        </Layout>,
        errors ? 400 : 200,
      )
    })

    app.get(paths.entry(':seq'), async (request, reply) => {
      const actor = requireActor(request)
      const seq = seqOf((request.params as { seq?: string }).seq)
      const entry = await log.getEntry(actor, seq)
      const ctx = app.pageContext(request, reply)
      const t = translator(messages, ctx.lang)
      const rows: [MessageLogKey, string][] = [
        ['messageId', entry.message_id],
        ['requestId', entry.request_id],
        ['client', entry.client],
        ['service', entry.service],
        ['tokenClient', entry.token_client_id],
        ['path', `${entry.method} ${entry.path}`],
        ['result', String(entry.status)],
        ['errorCode', entry.error_code ?? '—'],
        ['startedAt', when(entry.started_at, ctx.lang)],
        ['finishedAt', when(entry.finished_at, ctx.lang)],
        ['recordedAt', when(entry.recorded_at, ctx.lang)],
        ['bytes', `${entry.request_bytes}/${entry.response_bytes}`],
        ['requestHash', entry.request_hash],
        ['responseHash', entry.response_hash],
        ['batch', String(entry.batch_no)],
        ['hash', entry.hash ?? ''],
      ]
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('entryTitle', { seq })} wide>
          <p>
            <a href={paths.admin} safe>
              {t('backToList')}
            </a>
          </p>
          <h1 safe>{t('entryTitle', { seq })}</h1>
          <dl id="entry" class="summary-list">
            {rows.map(([key, value]) => (
              <>
                <dt safe>{t(key)}</dt>
                <dd data-field={key} safe>
                  {value}
                </dd>
              </>
            ))}
          </dl>
          <h2 safe>{t('bodiesTitle')}</h2>
          {entry.has_request_body || entry.has_response_body ? (
            <>
              <p safe>{t('bodiesIntro')}</p>
              {(['request', 'response'] as const)
                .filter((part) => (part === 'request' ? entry.has_request_body : entry.has_response_body))
                .map((part) => (
                  <form method="post" action={paths.body(seq, part)} class="inline-form">
                    <CsrfField token={ctx.csrf} />
                    <button type="submit" class="secondary" safe>
                      {t(part === 'request' ? 'showRequest' : 'showResponse')}
                    </button>
                  </form>
                ))}
            </>
          ) : (
            <p safe>{t('noBodies')}</p>
          )}
        </Layout>,
      )
    })

    // A POST, not a link: reading a kept body is an audited act, never a prefetch or a crawler's visit.
    app.post(paths.body(':seq', ':part'), async (request, reply) => {
      const actor = requireActor(request)
      const params = request.params as { seq?: string; part?: string }
      const seq = seqOf(params.seq)
      const part = partOf(params.part)
      const view = await log.readBody(actor, seq, part, auditContext(request))
      const ctx = app.pageContext(request, reply)
      const t = translator(messages, ctx.lang)
      const shown = view.body.subarray(0, SHOWN_BYTES)
      const text = new TextDecoder('utf-8', { fatal: true })
      let content: string
      let binary = false
      try {
        content = text.decode(shown)
      } catch {
        binary = true
        content = shown.toString('base64')
      }
      reply.header('cache-control', 'no-store')
      const title = t('bodyTitle', { part: t(`part_${part}`), seq })
      return sendPage(
        reply,
        <Layout ctx={ctx} title={title} wide>
          <p>
            <a href={paths.entry(seq)} safe>
              {t('back')}
            </a>
          </p>
          <h1 safe>{title}</h1>
          <p id="hash-check" data-matches={String(view.hashMatches)} safe>
            {view.hashMatches ? t('hashMatches') : t('hashDiffers')}
          </p>
          {binary ? <p safe>{t('binary')}</p> : ''}
          {view.body.length > SHOWN_BYTES ? (
            <p safe>{t('truncated', { shown: SHOWN_BYTES, total: view.body.length })}</p>
          ) : (
            ''
          )}
          <pre id="body" safe>
            {content}
          </pre>
        </Layout>,
      )
    })
  }
}
