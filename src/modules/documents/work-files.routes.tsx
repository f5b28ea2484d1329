import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { authorize, UnauthenticatedError, type Actor } from '../../platform/auth/actor.js'
import { Permission } from '../../platform/auth/roles.js'
import { common } from '../../platform/i18n/common.js'
import { translator } from '../../platform/i18n/index.js'
import { AppError, ValidationError, type FieldErrors } from '../../platform/http/errors.js'
import { auditContext, redirectWithFlash, sendPage } from '../../platform/http/plugin.js'
import { CsrfField, ErrorSummary, SelectField, TextField } from '../../platform/views/components.js'
import type { PageContext } from '../../platform/views/context.js'
import { formatDateTime, formatDay } from '../../platform/views/format.js'
import { Layout } from '../../platform/views/layout.js'
import { statusLabel, type DocumentStatus } from './document-rules.js'
import { documentPaths } from './documents.paths.js'
import { outgoingStatusLabel, type OutgoingStatus } from './outgoing-rules.js'
import { outgoingPaths } from './outgoing.paths.js'
import { TextArea } from './documents.view.js'
import { workFileMessages, type WorkFileKey } from './work-files.locales.js'
import { workFilePaths } from './work-files.paths.js'
import {
  levelLabel,
  WORK_FILE_STATUSES,
  workFileActionLabel,
  workFileStatusLabel,
  type WorkFileAction,
} from './work-files.rules.js'
import type { WorkFilesService } from './work-files.service.js'

type Form = Record<string, string | undefined>
type Params = { id: string }

function requireOfficial(request: FastifyRequest): Actor {
  if (!request.actor) throw new UnauthenticatedError()
  authorize(request.actor, Permission.backofficeAccess)
  return request.actor
}

const percent = (value: number | null) =>
  value === null ? '—' : `${(value * 100).toLocaleString('vi-VN', { maximumFractionDigits: 1 })}%`

export function workFilesRoutes(workFiles: WorkFilesService) {
  return async function routes(app: FastifyInstance) {
    const texts = (ctx: PageContext) => ({
      t: translator(workFileMessages, ctx.lang),
      summaryTitle: translator(common, ctx.lang)('errorSummaryTitle'),
    })
    const retentionText = (
      t: (k: WorkFileKey, p?: Record<string, number>) => string,
      years: number | null,
    ) => (years === null ? t('permanent') : t('years', { n: years }))

    app.get(workFilePaths.list, async (request, reply) => {
      const actor = requireOfficial(request)
      const query = request.query as Form
      const ctx = app.pageContext(request, reply)
      const { t, summaryTitle } = texts(ctx)
      const { units, year } = await workFiles.choices(actor)
      let errors: FieldErrors | undefined
      let rows: Awaited<ReturnType<WorkFilesService['list']>> = []
      const filter = { year: String(year), ...query }
      try {
        rows = await workFiles.list(actor, filter)
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error
        errors = error.fields
      }
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('listTitle')} wide>
          <h1 safe>{t('listTitle')}</h1>
          <ul class="cards">
            {units.length > 0 ? (
              <li>
                <a href={workFilePaths.create} safe>
                  {t('newTitle')}
                </a>
              </li>
            ) : (
              ''
            )}
            <li>
              <a href={workFilePaths.stats} safe>
                {t('stats')}
              </a>
            </li>
          </ul>
          <ErrorSummary errors={errors} title={summaryTitle} />
          <form method="get" action={workFilePaths.list} class="filters" role="search" novalidate>
            <TextField name="q" label={t('searchLabel')} value={query.q} />
            <TextField name="year" label={t('year')} value={filter.year} error={errors?.year} maxlength={4} />
            {units.length > 1 ? (
              <SelectField
                name="unitId"
                label={t('unit')}
                emptyLabel={t('all')}
                options={units.map((u) => ({ value: u.id, label: u.name }))}
                value={query.unitId}
                error={errors?.unitId}
              />
            ) : (
              ''
            )}
            <SelectField
              name="status"
              label={t('status')}
              emptyLabel={t('all')}
              options={WORK_FILE_STATUSES.map((s) => ({ value: s, label: workFileStatusLabel[s] }))}
              value={query.status}
              error={errors?.status}
            />
            <button type="submit" safe>
              {t('search')}
            </button>
          </form>
          {rows.length === 0 ? (
            <p class="muted" id="no-results" safe>
              {t('none')}
            </p>
          ) : (
            <table id="work-files">
              <thead>
                <tr>
                  <th scope="col" safe>
                    {t('code')}
                  </th>
                  <th scope="col" safe>
                    {t('title')}
                  </th>
                  <th scope="col" safe>
                    {t('unit')}
                  </th>
                  <th scope="col" safe>
                    {t('keeper')}
                  </th>
                  <th scope="col" safe>
                    {t('documentCount')}
                  </th>
                  <th scope="col" safe>
                    {t('status')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((f) => (
                  <tr>
                    <td>
                      <a href={workFilePaths.file(f.id)} safe>
                        {`${f.code} (${f.year})`}
                      </a>
                    </td>
                    <td safe>{f.title}</td>
                    <td safe>{f.unit_name}</td>
                    <td safe>{f.keeper_name}</td>
                    <td safe>{String(f.document_total)}</td>
                    <td safe>{workFileStatusLabel[f.status]}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Layout>,
        errors ? 422 : 200,
      )
    })

    async function renderCreate(
      request: FastifyRequest,
      reply: FastifyReply,
      actor: Actor,
      values: Form,
      errors?: FieldErrors,
    ) {
      const ctx = app.pageContext(request, reply)
      const { t, summaryTitle } = texts(ctx)
      const { units, keepers, year } = await workFiles.choices(actor)
      const retention = [
        { value: 'permanent', label: t('permanent') },
        ...[70, 50, 20, 10, 5, 2].map((n) => ({ value: String(n), label: t('years', { n }) })),
      ]
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('newTitle')}>
          <h1 safe>{t('newTitle')}</h1>
          <ErrorSummary errors={errors} title={summaryTitle} />
          <form method="post" action={workFilePaths.create} novalidate>
            <CsrfField token={ctx.csrf} />
            {units.length === 1 ? (
              <input type="hidden" name="unitId" value={units[0]!.id} />
            ) : (
              <SelectField
                name="unitId"
                label={t('unit')}
                emptyLabel="—"
                options={units.map((u) => ({ value: u.id, label: u.name }))}
                value={values.unitId}
                error={errors?.unitId}
                required
              />
            )}
            <TextField
              name="year"
              label={t('year')}
              value={values.year ?? String(year)}
              error={errors?.year}
              maxlength={4}
              inputmode="numeric"
            />
            <TextField
              name="code"
              label={t('code')}
              hint={t('codeHint')}
              value={values.code}
              error={errors?.code}
              maxlength={50}
              required
            />
            <TextArea
              name="title"
              label={t('title')}
              value={values.title}
              error={errors?.title}
              maxlength={500}
              rows={2}
              required
            />
            <SelectField
              name="keeperId"
              label={t('keeper')}
              options={keepers.map((k) => ({ value: k.id, label: k.fullName }))}
              value={values.keeperId}
              error={errors?.keeperId}
            />
            <SelectField
              name="retention"
              label={t('retention')}
              emptyLabel="—"
              options={retention}
              value={values.retention}
              error={errors?.retention}
              required
            />
            <TextField
              name="openedOn"
              label={t('openedOn')}
              type="date"
              value={values.openedOn}
              error={errors?.openedOn}
            />
            <TextArea
              name="note"
              label={t('note')}
              value={values.note}
              error={errors?.note}
              maxlength={2000}
            />
            <button type="submit" safe>
              {t('submitCreate')}
            </button>
          </form>
        </Layout>,
        errors ? 422 : 200,
      )
    }

    app.get(workFilePaths.create, async (request, reply) =>
      renderCreate(request, reply, requireOfficial(request), {}),
    )

    app.post(workFilePaths.create, async (request, reply) => {
      const actor = requireOfficial(request)
      const body = (request.body ?? {}) as Form
      try {
        const file = await workFiles.create(actor, auditContext(request), body)
        return redirectWithFlash(
          reply,
          workFilePaths.file(file.id),
          translator(workFileMessages, request.lang)('created', { code: file.code }),
        )
      } catch (error) {
        if (error instanceof ValidationError) return renderCreate(request, reply, actor, body, error.fields)
        throw error
      }
    })

    app.get(workFilePaths.stats, async (request, reply) => {
      const actor = requireOfficial(request)
      const query = request.query as Form
      const ctx = app.pageContext(request, reply)
      const { t, summaryTitle } = texts(ctx)
      let errors: FieldErrors | undefined
      let stats: Awaited<ReturnType<WorkFilesService['stats']>> | undefined
      try {
        stats = await workFiles.stats(actor, query)
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error
        errors = error.fields
      }
      const judged = (met: boolean | null) => (met === null ? t('noData') : met ? t('met') : t('notMet'))
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('statsTitle')} wide>
          <h1 safe>{t('statsTitle')}</h1>
          <ErrorSummary errors={errors} title={summaryTitle} />
          <form method="get" action={workFilePaths.stats} class="filters" novalidate>
            <TextField
              name="year"
              label={t('year')}
              value={query.year ?? (stats ? String(stats.year) : '')}
              error={errors?.year}
              maxlength={4}
              inputmode="numeric"
            />
            <button type="submit" safe>
              {t('view')}
            </button>
          </form>
          {stats ? (
            <>
              <p class="hint" safe>
                {t('statsHint')}
              </p>
              {stats.source ? (
                <p class="hint" safe>
                  {t('statsSource', { source: stats.source })}
                </p>
              ) : (
                ''
              )}
              <h2 safe>{t('byLevel')}</h2>
              <table id="levels">
                <thead>
                  <tr>
                    <th scope="col" safe>
                      {t('level')}
                    </th>
                    <th scope="col" safe>
                      {t('finishedFiles')}
                    </th>
                    <th scope="col" safe>
                      {t('electronicFiles')}
                    </th>
                    <th scope="col" safe>
                      {t('share')}
                    </th>
                    <th scope="col" safe>
                      {t('target')}
                    </th>
                    <th scope="col" safe>
                      {t('status')}
                    </th>
                    <th scope="col" safe>
                      {t('openFiles')}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {stats.levels.map((l) => (
                    <tr data-level={l.level}>
                      <th scope="row" safe>
                        {levelLabel[l.level]}
                      </th>
                      <td safe>{String(l.finished)}</td>
                      <td safe>{String(l.electronic)}</td>
                      <td safe>{percent(l.share)}</td>
                      <td safe>{percent(l.target)}</td>
                      <td safe>{judged(l.met)}</td>
                      <td safe>{String(l.open)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <h2 safe>{t('byUnit')}</h2>
              {stats.units.length === 0 ? (
                <p class="muted" safe>
                  {t('noData')}
                </p>
              ) : (
                <table id="units">
                  <thead>
                    <tr>
                      <th scope="col" safe>
                        {t('unit')}
                      </th>
                      <th scope="col" safe>
                        {t('level')}
                      </th>
                      <th scope="col" safe>
                        {t('finishedFiles')}
                      </th>
                      <th scope="col" safe>
                        {t('electronicFiles')}
                      </th>
                      <th scope="col" safe>
                        {t('share')}
                      </th>
                      <th scope="col" safe>
                        {t('status')}
                      </th>
                      <th scope="col" safe>
                        {t('openFiles')}
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {stats.units.map((u) => (
                      <tr data-unit={u.unitId}>
                        <th scope="row" safe>
                          {u.unitName}
                        </th>
                        <td safe>{levelLabel[u.level]}</td>
                        <td safe>{String(u.finished)}</td>
                        <td safe>{String(u.electronic)}</td>
                        <td safe>{percent(u.share)}</td>
                        <td safe>{judged(u.met)}</td>
                        <td safe>{String(u.open)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </>
          ) : (
            ''
          )}
        </Layout>,
        errors ? 422 : 200,
      )
    })

    async function renderFile(
      request: FastifyRequest,
      reply: FastifyReply,
      id: string,
      errors?: FieldErrors,
      status = 200,
    ) {
      const actor = requireOfficial(request)
      const view = await workFiles.get(actor, id)
      const query = request.query as Form
      const ctx = app.pageContext(request, reply)
      const { t, summaryTitle } = texts(ctx)
      const { file: f } = view
      const can = (a: WorkFileAction) => view.actions.includes(a)
      const candidates =
        can('add_document') && query.q ? await workFiles.candidates(actor, f.id, query.q) : []
      const row = (label: string, value: string) => (
        <>
          <dt safe>{label}</dt>
          <dd safe>{value || '—'}</dd>
        </>
      )
      return sendPage(
        reply,
        <Layout ctx={ctx} title={`${f.code} — ${f.title}`} wide>
          <p>
            <a href={workFilePaths.list} safe>
              {t('listTitle')}
            </a>
          </p>
          <h1 safe>{`${t('listTitle')} ${f.code}: ${f.title}`}</h1>
          <ErrorSummary errors={errors} title={summaryTitle} />
          <dl class="summary-list">
            {row(t('unit'), view.unit.name)}
            {row(t('year'), String(f.year))}
            {row(t('keeper'), f.keeper_name)}
            {row(t('retention'), retentionText(t, f.retention_years))}
            {row(t('openedOn'), formatDay(f.opened_on, ctx.lang))}
            {row(t('closedOn'), formatDay(f.closed_on, ctx.lang))}
            {row(t('archivedAt'), formatDateTime(f.archived_at, ctx.lang))}
            {row(t('status'), workFileStatusLabel[f.status])}
            {row(t('note'), f.note ?? '')}
          </dl>
          <p id="measure" safe>
            {f.status === 'open'
              ? t('measureNow', { electronic: view.measured.electronic, total: view.measured.total })
              : t('measured', { electronic: f.electronic_count ?? 0, total: f.documents_count ?? 0 })}
          </p>
          <h2 safe>{t('documents')}</h2>
          {view.documents.length === 0 ? (
            <p class="muted" safe>
              {t('noDocuments')}
            </p>
          ) : (
            <table id="filed-documents">
              <thead>
                <tr>
                  <th scope="col" safe>
                    {t('code')}
                  </th>
                  <th scope="col" safe>
                    {t('title')}
                  </th>
                  <th scope="col" safe>
                    {t('status')}
                  </th>
                  <th scope="col" safe>
                    {t('electronic')}
                  </th>
                  {can('remove_document') ? <th scope="col"></th> : ''}
                </tr>
              </thead>
              <tbody>
                {view.documents.map((d) => (
                  <tr>
                    <td>
                      <a
                        href={
                          d.kind === 'incoming' ? documentPaths.document(d.id) : outgoingPaths.document(d.id)
                        }
                        safe
                      >
                        {d.code_number ? `${d.code_number}/${d.code_notation ?? ''}` : t('draft')}
                      </a>{' '}
                      <span class="tag" safe>
                        {d.kind === 'incoming' ? t('incoming') : t('outgoing')}
                      </span>
                      <br />
                      <span
                        class="muted"
                        safe
                      >{`${d.issuer_name}, ${formatDay(d.issued_on, ctx.lang)}`}</span>
                    </td>
                    <td safe>{d.summary}</td>
                    <td safe>
                      {d.kind === 'incoming'
                        ? statusLabel[d.status as DocumentStatus]
                        : outgoingStatusLabel[d.status as OutgoingStatus]}
                    </td>
                    <td safe>{d.electronic ? t('yes') : t('no')}</td>
                    {can('remove_document') ? (
                      <td>
                        <form
                          method="post"
                          action={workFilePaths.removeDocument(f.id, d.id)}
                          class="inline-form"
                        >
                          <CsrfField token={ctx.csrf} />
                          <button type="submit" class="link" safe>
                            {t('remove')}
                          </button>
                        </form>
                      </td>
                    ) : (
                      ''
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {can('add_document') ? (
            <section id="add-document">
              <h2 safe>{t('addTitle')}</h2>
              <form method="get" action={workFilePaths.file(f.id)} role="search" novalidate>
                <TextField name="q" label={t('findDocuments')} value={query.q} error={errors?.documentId} />
                <button type="submit" safe>
                  {t('find')}
                </button>
              </form>
              {query.q && candidates.length === 0 ? (
                <p class="muted" id="no-candidates" safe>
                  {t('noCandidates')}
                </p>
              ) : (
                ''
              )}
              {candidates.length > 0 ? (
                <table id="candidates">
                  <tbody>
                    {candidates.map((d) => (
                      <tr>
                        <td safe>{`${d.code} (${d.kind === 'incoming' ? t('incoming') : t('outgoing')})`}</td>
                        <td safe>{d.summary}</td>
                        <td>
                          <form method="post" action={workFilePaths.documents(f.id)} class="inline-form">
                            <CsrfField token={ctx.csrf} />
                            <input
                              type="hidden"
                              name={d.kind === 'incoming' ? 'documentId' : 'outgoingId'}
                              value={d.id}
                            />
                            <button type="submit" safe>
                              {t('add')}
                            </button>
                          </form>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : (
                ''
              )}
            </section>
          ) : (
            ''
          )}
          {can('close') ? (
            <form method="post" action={workFilePaths.close(f.id)} id="close-form" novalidate>
              <CsrfField token={ctx.csrf} />
              <TextArea name="note" label={t('closeNote')} error={errors?.note} maxlength={2000} rows={2} />
              <button type="submit" safe>
                {t('close')}
              </button>
            </form>
          ) : (
            ''
          )}
          {can('archive') ? (
            <form method="post" action={workFilePaths.archive(f.id)} id="archive-form">
              <CsrfField token={ctx.csrf} />
              <button type="submit" safe>
                {t('archive')}
              </button>
            </form>
          ) : (
            ''
          )}
          {can('reopen') ? (
            <form method="post" action={workFilePaths.reopen(f.id)} id="reopen-form" novalidate>
              <CsrfField token={ctx.csrf} />
              <TextArea
                name="reopenNote"
                label={t('reopenNote')}
                error={errors?.reopenNote}
                maxlength={2000}
                rows={2}
              />
              <button type="submit" safe>
                {t('reopen')}
              </button>
            </form>
          ) : (
            ''
          )}
          <h2 safe>{t('history')}</h2>
          <table id="history">
            <thead>
              <tr>
                <th scope="col" safe>
                  {t('time')}
                </th>
                <th scope="col" safe>
                  {t('action')}
                </th>
                <th scope="col" safe>
                  {t('handler')}
                </th>
                <th scope="col" safe>
                  {t('note')}
                </th>
              </tr>
            </thead>
            <tbody>
              {view.history.map((h) => (
                <tr>
                  <td safe>{formatDateTime(h.at, ctx.lang)}</td>
                  <td safe>{workFileActionLabel[h.action as WorkFileAction] ?? h.action}</td>
                  <td safe>{h.actor_name ?? ''}</td>
                  <td safe>{h.note ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Layout>,
        status,
      )
    }

    app.get('/admin/documents/work-files/:id', async (request, reply) =>
      renderFile(request, reply, (request.params as Params).id),
    )

    /** Runs a work-file action; a rule broken re-renders the page with the message, a success redirects. */
    async function act(
      request: FastifyRequest,
      reply: FastifyReply,
      field: string,
      run: (actor: Actor, id: string, body: Form) => Promise<unknown>,
      done: WorkFileKey,
    ) {
      const actor = requireOfficial(request)
      const { id } = request.params as Params
      const body = (request.body ?? {}) as Form
      try {
        await run(actor, id, body)
      } catch (error) {
        if (error instanceof ValidationError) {
          const fields = Object.fromEntries(
            Object.entries(error.fields).map(([k, v]) => [k === 'note' ? field : k, v]),
          )
          return renderFile(request, reply, id, fields, 422)
        }
        if (error instanceof AppError && error.statusCode === 409)
          return renderFile(request, reply, id, { [field]: error.message }, 409)
        throw error
      }
      const view = await workFiles.get(actor, id)
      return redirectWithFlash(
        reply,
        workFilePaths.file(id),
        translator(workFileMessages, request.lang)(done, { code: view.file.code }),
      )
    }

    app.post('/admin/documents/work-files/:id/documents', (request, reply) =>
      act(
        request,
        reply,
        'documentId',
        (actor, id, body) => workFiles.addDocument(actor, auditContext(request), id, body),
        'added',
      ),
    )
    app.post('/admin/documents/work-files/:id/documents/:documentId/remove', (request, reply) =>
      act(
        request,
        reply,
        'documentId',
        (actor, id) =>
          workFiles.removeDocument(
            actor,
            auditContext(request),
            id,
            (request.params as { documentId: string }).documentId,
          ),
        'removed',
      ),
    )
    app.post('/admin/documents/work-files/:id/close', (request, reply) =>
      act(
        request,
        reply,
        'note',
        (actor, id, body) => workFiles.close(actor, auditContext(request), id, body),
        'closed',
      ),
    )
    app.post('/admin/documents/work-files/:id/reopen', (request, reply) =>
      act(
        request,
        reply,
        'reopenNote',
        (actor, id, body) => workFiles.reopen(actor, auditContext(request), id, { note: body.reopenNote }),
        'reopened',
      ),
    )
    app.post('/admin/documents/work-files/:id/archive', (request, reply) =>
      act(
        request,
        reply,
        'archive',
        (actor, id) => workFiles.archive(actor, auditContext(request), id),
        'archived',
      ),
    )
  }
}
