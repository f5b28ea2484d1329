import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { authorize, can, UnauthenticatedError, type Actor } from '../../platform/auth/actor.js'
import { Permission } from '../../platform/auth/roles.js'
import type { Config } from '../../platform/config.js'
import { AppError, ValidationError, type FieldErrors } from '../../platform/http/errors.js'
import { sendDownload } from '../../platform/http/download.js'
import { auditContext, redirectWithFlash, sendPage } from '../../platform/http/plugin.js'
import { readMultipart } from '../../platform/http/uploads.js'
import { common } from '../../platform/i18n/common.js'
import { translator } from '../../platform/i18n/index.js'
import { CsrfField, ErrorSummary, SelectField, TextField } from '../../platform/views/components.js'
import type { PageContext } from '../../platform/views/context.js'
import { formatDateTime } from '../../platform/views/format.js'
import { Layout } from '../../platform/views/layout.js'
import type { CatalogueService } from '../catalogue/index.js'
import type { OrganisationService } from '../organisation/index.js'
import { actionLabel, statusLabel, type Action } from './dossier-workflow.js'
import { messages, type DossierKey } from './dossiers.locales.js'
import type { DossiersService } from './dossiers.service.js'
import { DataStorePage } from './results.view.js'
import { DossierPage } from './dossier.view.js'
import { dossierPaths } from './dossier-paths.js'
import type { DossierForms } from './dossier-forms.js'
import { DOSSIER_FORMS, FORMS, type FormNo } from './forms.pdf.js'

type Form = Record<string, string | undefined>

function requireActor(request: FastifyRequest): Actor {
  if (!request.actor) throw new UnauthenticatedError()
  return request.actor
}

export function dossiersRoutes(
  dossiers: DossiersService,
  catalogue: CatalogueService,
  organisation: OrganisationService,
  { secretKey }: Pick<Config, 'secretKey'>,
  forms: DossierForms,
) {
  return async function routes(app: FastifyInstance) {
    const renderTrack = (
      ctx: PageContext,
      reply: FastifyReply,
      values: Form,
      result?: Awaited<ReturnType<DossiersService['track']>>,
      errors?: FieldErrors,
      status = 200,
    ) => {
      const t = translator(messages, ctx.lang)
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('trackTitle')}>
          <h1 safe>{t('trackTitle')}</h1>
          <ErrorSummary errors={errors} title={translator(common, ctx.lang)('errorSummaryTitle')} />
          <p safe>{t('trackIntro')}</p>
          <form method="post" action={dossierPaths.track} novalidate>
            <CsrfField token={ctx.csrf} />
            <TextField
              name="code"
              label={t('code')}
              hint={t('codeHint')}
              value={values.code}
              error={errors?.code}
              required
            />
            <TextField
              name="secret"
              label={t('phoneOrId')}
              value={values.secret}
              error={errors?.secret}
              inputmode="numeric"
              required
            />
            <button type="submit" safe>
              {t('lookUp')}
            </button>
          </form>
          {result ? (
            <section aria-labelledby="result-title">
              <h2 id="result-title" safe>
                {result.code}
              </h2>
              <table>
                <tbody>
                  <tr>
                    <th scope="row" safe>
                      {t('procedure')}
                    </th>
                    <td safe>{result.procedureName}</td>
                  </tr>
                  <tr>
                    <th scope="row" safe>
                      {t('status')}
                    </th>
                    <td>
                      <strong>{result.statusLabel}</strong>
                    </td>
                  </tr>
                  <tr>
                    <th scope="row" safe>
                      {t('receivedAt')}
                    </th>
                    <td safe>{formatDateTime(result.receivedAt, ctx.lang)}</td>
                  </tr>
                  <tr>
                    <th scope="row" safe>
                      {t('dueAt')}
                    </th>
                    <td safe>{formatDateTime(result.dueAt, ctx.lang)}</td>
                  </tr>
                </tbody>
              </table>
              <h3 safe>{t('history')}</h3>
              <ol>
                {result.steps.map((s) => (
                  <li
                    safe
                  >{`${formatDateTime(s.at, ctx.lang)}: ${statusLabel[s.status as keyof typeof statusLabel] ?? s.status}`}</li>
                ))}
              </ol>
            </section>
          ) : (
            ''
          )}
        </Layout>,
        status,
      )
    }

    app.get(dossierPaths.track, async (request, reply) =>
      renderTrack(app.pageContext(request, reply), reply, {}),
    )
    app.post(
      dossierPaths.track,
      { config: { rateLimit: { max: 30, timeWindow: '1 minute' } } },
      async (request, reply) => {
        const form = (request.body ?? {}) as Form
        const values = { code: (form.code ?? '').trim(), secret: (form.secret ?? '').trim() }
        const ctx = app.pageContext(request, reply)
        const errors: FieldErrors = {}
        if (!values.code) errors.code = 'Nhập mã hồ sơ.'
        if (!values.secret) errors.secret = 'Nhập số điện thoại hoặc số định danh của người nộp.'
        if (Object.keys(errors).length) return renderTrack(ctx, reply, values, undefined, errors, 422)
        try {
          return renderTrack(ctx, reply, values, await dossiers.track(values.code, values.secret))
        } catch (error) {
          if (error instanceof AppError && error.statusCode === 404) {
            return renderTrack(ctx, reply, values, undefined, { code: error.message }, 404)
          }
          throw error
        }
      },
    )

    app.get(dossierPaths.queue, async (request, reply) => {
      const actor = requireActor(request)
      authorize(actor, Permission.backofficeAccess)
      const items = await dossiers.queue(actor)
      const ctx = app.pageContext(request, reply)
      const t = translator(messages, ctx.lang)
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('queueTitle')} wide>
          <h1 safe>{t('queueTitle')}</h1>
          {[Permission.dossiersReceive].some((p) => can(actor, p)) ? (
            <p>
              <a class="button" href={dossierPaths.counter} safe>
                {t('newCounter')}
              </a>
            </p>
          ) : (
            ''
          )}
          {items.length === 0 ? (
            <p safe>{t('queueEmpty')}</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col" safe>
                    {t('code')}
                  </th>
                  <th scope="col" safe>
                    {t('procedure')}
                  </th>
                  <th scope="col" safe>
                    {t('unit')}
                  </th>
                  <th scope="col" safe>
                    {t('status')}
                  </th>
                  <th scope="col" safe>
                    {t('dueAt')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map(({ dossier, unit, state }) => (
                  <tr class={`state-${state}`}>
                    <td>
                      <a href={dossierPaths.dossier(dossier.code)} safe>
                        {dossier.code}
                      </a>
                    </td>
                    <td safe>{dossier.procedure_name}</td>
                    <td safe>{unit.shortName ?? unit.name}</td>
                    <td>{statusLabel[dossier.status]}</td>
                    <td>
                      <span safe>{formatDateTime(dossier.due_at, ctx.lang)}</span>{' '}
                      <span class={`tag tag-${state}`} safe>
                        {t(`state_${state}` as DossierKey)}
                      </span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Layout>,
      )
    })

    async function renderDossier(
      request: FastifyRequest,
      reply: FastifyReply,
      code: string,
      errors?: FieldErrors,
      status = 200,
    ) {
      const actor = requireActor(request)
      const view = await dossiers.get(actor, code, auditContext(request))
      const { dossier } = view
      const ctx = app.pageContext(request, reply)
      const procedure = await catalogue
        .getInForce(dossier.procedure_code, dossier.counts_from)
        .catch(() => null)
      const labels = new Map((procedure?.form ?? []).map((f) => [f.name, f.label]))
      const canReceive = can(
        actor,
        Permission.dossiersReceive,
        (await organisation.findUnitsByIds([dossier.unit_id]))[0],
      )
      return sendPage(
        reply,
        <DossierPage
          ctx={ctx}
          actor={actor}
          view={view}
          labels={labels}
          canReceive={canReceive}
          errors={errors}
        />,
        status,
      )
    }

    app.get('/dossiers/:code', async (request, reply) =>
      renderDossier(request, reply, (request.params as { code: string }).code),
    )
    app.post('/dossiers/:code/actions', { config: { multipart: true } }, async (request, reply) => {
      const actor = requireActor(request)
      const { code } = request.params as { code: string }
      let body = (request.body ?? {}) as Form
      const fileIds: string[] = []
      try {
        if (request.isMultipart()) {
          // A supplement's files are kept first, then attached by the action in one transaction.
          body = await readMultipart(request, secretKey, async (file) => {
            if (file.field !== 'files') return
            fileIds.push((await dossiers.upload(actor, { ...file, purpose: 'supplement' })).id)
          })
        }
        await dossiers.act(actor, auditContext(request), code, { ...body, fileIds })
      } catch (error) {
        if (error instanceof ValidationError && 'file' in error.fields) {
          return renderDossier(request, reply, code, { fileIds: error.message }, 422)
        }
        if (error instanceof ValidationError) return renderDossier(request, reply, code, error.fields, 422)
        if (error instanceof AppError && error.statusCode === 409)
          return renderDossier(request, reply, code, { action: error.message }, 409)
        throw error
      }
      const label = actionLabel[body.action as Action] ?? body.action ?? ''
      return redirectWithFlash(
        reply,
        dossierPaths.dossier(code),
        translator(messages, request.lang)('actionDone', { action: label }),
      )
    })

    app.post('/dossiers/:code/cash-payment', async (request, reply) => {
      const actor = requireActor(request)
      const { code } = request.params as { code: string }
      try {
        await dossiers.recordCashPayment(actor, auditContext(request), code, (request.body as Form).reference)
      } catch (error) {
        if (error instanceof ValidationError) return renderDossier(request, reply, code, error.fields, 422)
        if (error instanceof AppError && error.statusCode === 409)
          return renderDossier(request, reply, code, { reference: error.message }, 409)
        throw error
      }
      return redirectWithFlash(
        reply,
        dossierPaths.dossier(code),
        translator(messages, request.lang)('cashRecorded'),
      )
    })

    app.post(dossierPaths.results(':code'), { config: { multipart: true } }, async (request, reply) => {
      const actor = requireActor(request)
      const { code } = request.params as { code: string }
      try {
        let stored = false
        const fields = await readMultipart(request, secretKey, async (file, early) => {
          if (file.field !== 'file' || stored) return
          await dossiers.uploadResult(actor, auditContext(request), code, {
            ...file,
            kind: early.kind,
            title: early.title,
            validUntil: early.validUntil,
          })
          stored = true
        })
        if (!stored && fields.generate !== '1') throw new ValidationError({ file: 'Chọn tệp kết quả.' })
        if (!stored) await dossiers.generateResult(actor, auditContext(request), code, fields.validUntil)
      } catch (error) {
        if (error instanceof ValidationError) {
          const fields = 'file' in error.fields ? { resultFile: error.fields.file } : error.fields
          return renderDossier(request, reply, code, fields, 422)
        }
        if (error instanceof AppError && error.statusCode === 409)
          return renderDossier(request, reply, code, { resultFile: error.message }, 409)
        throw error
      }
      return redirectWithFlash(
        reply,
        dossierPaths.dossier(code),
        translator(messages, request.lang)('resultStored'),
      )
    })

    app.get('/dossiers/:code/results/:id', async (request, reply) => {
      const actor = requireActor(request)
      const { code, id } = request.params as { code: string; id: string }
      const { result, stream } = await dossiers.openResult(actor, auditContext(request), code, id)
      return sendDownload(reply, { fileName: result.fileName, mime: result.mime }, stream)
    })

    app.post('/dossiers/:code/rating', async (request, reply) => {
      const actor = requireActor(request)
      const { code } = request.params as { code: string }
      try {
        await dossiers.rate(
          actor,
          auditContext(request),
          code,
          (request.body ?? {}) as Record<string, unknown>,
        )
      } catch (error) {
        if (error instanceof ValidationError) return renderDossier(request, reply, code, error.fields, 422)
        if (error instanceof AppError && error.statusCode === 409)
          return renderDossier(request, reply, code, { c1: error.message }, 409)
        throw error
      }
      return redirectWithFlash(reply, dossierPaths.dossier(code), translator(messages, request.lang)('rated'))
    })

    app.get(dossierPaths.store, async (request, reply) => {
      const actor = requireActor(request)
      const store = await dossiers.dataStore(actor)
      const ctx = app.pageContext(request, reply)
      return sendPage(reply, <DataStorePage ctx={ctx} store={store} />)
    })

    app.get('/dossiers/:code/files/:id', async (request, reply) => {
      const actor = requireActor(request)
      const { code, id } = request.params as { code: string; id: string }
      const { file, stream } = await dossiers.openFile(actor, auditContext(request), id, code)
      return sendDownload(reply, file, stream)
    })

    const sendPdf = (reply: FastifyReply, pdf: { bytes: Uint8Array; fileName: string }) =>
      sendDownload(reply, { fileName: pdf.fileName, mime: 'application/pdf' }, pdf.bytes, 'inline')

    app.get('/dossiers/:code/receipt', async (request, reply) => {
      const { code } = request.params as { code: string }
      return sendPdf(reply, await forms.dossierForm(requireActor(request), auditContext(request), code, '01'))
    })

    app.get('/dossiers/:code/forms/:no', async (request, reply) => {
      const { code, no } = request.params as { code: string; no: string }
      if (!(DOSSIER_FORMS as readonly string[]).includes(no)) return reply.callNotFound()
      return sendPdf(
        reply,
        await forms.dossierForm(requireActor(request), auditContext(request), code, no as FormNo),
      )
    })

    async function renderBook(
      request: FastifyRequest,
      reply: FastifyReply,
      actor: Actor,
      values: Form,
      errors?: FieldErrors,
      status = 200,
    ) {
      const ctx = app.pageContext(request, reply)
      const t = translator(messages, ctx.lang)
      const units = (await organisation.listUnits({ activeOn: catalogue.today() })).filter((u) =>
        can(actor, Permission.dossiersReceive, u),
      )
      return sendPage(
        reply,
        <Layout ctx={ctx} title={FORMS['06']}>
          <h1>{FORMS['06']}</h1>
          <ErrorSummary errors={errors} title={translator(common, ctx.lang)('errorSummaryTitle')} />
          <p safe>{t('bookIntro')}</p>
          <form method="get" action={dossierPaths.book} novalidate>
            <SelectField
              name="unitId"
              label={t('chooseUnit')}
              emptyLabel="—"
              options={units.map((u) => ({ value: u.id, label: u.name }))}
              value={values.unitId ?? (units.length === 1 ? units[0]!.id : undefined)}
              error={errors?.unitId}
              required
            />
            <TextField name="from" label={t('from')} type="date" value={values.from} error={errors?.from} />
            <TextField name="to" label={t('to')} type="date" value={values.to} error={errors?.to} />
            <button type="submit" safe>
              {t('downloadBook')}
            </button>
          </form>
        </Layout>,
        status,
      )
    }

    app.get(dossierPaths.book, async (request, reply) => {
      const actor = requireActor(request)
      authorize(actor, Permission.dossiersReceive)
      const query = request.query as Form
      if (!query.unitId && !query.from && !query.to) return renderBook(request, reply, actor, query)
      try {
        return sendPdf(reply, await forms.trackingBook(actor, query.unitId ?? '', query.from, query.to))
      } catch (error) {
        if (error instanceof ValidationError)
          return renderBook(request, reply, actor, query, error.fields, 422)
        throw error
      }
    })

    app.get(dossierPaths.mine, async (request, reply) => {
      const actor = requireActor(request)
      const rows = await dossiers.mine(actor)
      const ctx = app.pageContext(request, reply)
      const t = translator(messages, ctx.lang)
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('myDossiers')}>
          <h1 safe>{t('myDossiers')}</h1>
          {rows.length === 0 ? (
            <p safe>{t('noDossiers')}</p>
          ) : (
            <ul>
              {rows.map((d) => (
                <li>
                  <a href={dossierPaths.dossier(d.code)} safe>
                    {d.code}
                  </a>{' '}
                  — <span safe>{`${d.procedure_name}: ${statusLabel[d.status]}`}</span>
                </li>
              ))}
            </ul>
          )}
        </Layout>,
      )
    })
  }
}
