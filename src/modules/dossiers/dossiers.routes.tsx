import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { authorize, can, UnauthenticatedError, type Actor } from '../../platform/auth/actor.js'
import { Permission } from '../../platform/auth/roles.js'
import { AppError, ValidationError, type FieldErrors } from '../../platform/http/errors.js'
import { auditContext, redirectWithFlash, sendPage } from '../../platform/http/plugin.js'
import { common } from '../../platform/i18n/common.js'
import { translator } from '../../platform/i18n/index.js'
import { CsrfField, ErrorSummary, SelectField, TextField } from '../../platform/views/components.js'
import type { PageContext } from '../../platform/views/context.js'
import { formatDateTime, formatDay } from '../../platform/views/format.js'
import { Layout } from '../../platform/views/layout.js'
import type { CatalogueService } from '../catalogue/index.js'
import type { OrganisationService } from '../organisation/index.js'
import { actionLabel, statusLabel, type Action } from './dossier-workflow.js'
import { messages, type DossierKey } from './dossiers.locales.js'
import type { DossiersService } from './dossiers.service.js'
import { FormFields } from './form-fields.view.js'
import { rulesById } from './one-stop-rules.js'
import { receiptPdf } from './receipt.pdf.js'

export const dossierPaths = {
  track: '/track',
  queue: '/admin/dossiers',
  counter: '/admin/dossiers/new',
  dossier: (code: string) => `/dossiers/${code}`,
  actions: (code: string) => `/dossiers/${code}/actions`,
  receipt: (code: string) => `/dossiers/${code}/receipt`,
  mine: '/account/dossiers',
}

type Form = Record<string, string | undefined>

function requireActor(request: FastifyRequest): Actor {
  if (!request.actor) throw new UnauthenticatedError()
  return request.actor
}

export function dossiersRoutes(
  dossiers: DossiersService,
  catalogue: CatalogueService,
  organisation: OrganisationService,
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

    async function renderCounter(
      request: FastifyRequest,
      reply: FastifyReply,
      actor: Actor,
      values: Form,
      errors?: FieldErrors,
      status = 200,
    ) {
      const ctx = app.pageContext(request, reply)
      const t = translator(messages, ctx.lang)
      const [{ items: procedures }, units] = await Promise.all([
        catalogue.search({}, 100),
        organisation.listUnits({ activeOn: catalogue.today() }),
      ])
      const receiving = units.filter((u) => can(actor, Permission.dossiersReceive, u))
      const procedure = values.procedureCode
        ? procedures.find((p) => p.code === values.procedureCode)
        : undefined
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('newCounter')}>
          <h1 safe>{t('newCounter')}</h1>
          <ErrorSummary errors={errors} title={translator(common, ctx.lang)('errorSummaryTitle')} />
          <form method={procedure ? 'post' : 'get'} action={dossierPaths.counter} novalidate>
            {procedure ? <CsrfField token={ctx.csrf} /> : ''}
            <SelectField
              name="procedureCode"
              label={t('chooseProcedure')}
              emptyLabel="—"
              options={procedures.map((p) => ({ value: p.code, label: `${p.code} — ${p.name}` }))}
              value={values.procedureCode}
              error={errors?.procedureCode}
              required
            />
            <SelectField
              name="unitId"
              label={t('chooseUnit')}
              emptyLabel="—"
              options={receiving.map((u) => ({ value: u.id, label: u.name }))}
              value={values.unitId ?? (receiving.length === 1 ? receiving[0]!.id : undefined)}
              error={errors?.unitId}
              required
            />
            {procedure ? (
              <>
                <TextField
                  name="applicant.name"
                  label={t('applicantName')}
                  value={values['applicant.name']}
                  error={errors?.['applicant.name']}
                  required
                />
                <TextField
                  name="applicant.idNumber"
                  label={t('applicantId')}
                  value={values['applicant.idNumber']}
                  error={errors?.['applicant.idNumber']}
                  inputmode="numeric"
                />
                <TextField
                  name="applicant.phone"
                  label={t('applicantPhone')}
                  value={values['applicant.phone']}
                  error={errors?.['applicant.phone']}
                  type="tel"
                />
                <TextField
                  name="applicant.email"
                  label={t('applicantEmail')}
                  value={values['applicant.email']}
                  error={errors?.['applicant.email']}
                  type="email"
                />
                <TextField
                  name="applicant.address"
                  label={t('applicantAddress')}
                  value={values['applicant.address']}
                  error={errors?.['applicant.address']}
                />
                <h2 safe>{t('formData')}</h2>
                <FormFields fields={procedure.form} values={values} errors={errors} prefix="form." />
                <button type="submit" safe>
                  {t('receive')}
                </button>
              </>
            ) : (
              <button type="submit" class="secondary" safe>
                {t('next')}
              </button>
            )}
          </form>
        </Layout>,
        status,
      )
    }

    app.get(dossierPaths.counter, async (request, reply) => {
      const actor = requireActor(request)
      authorize(actor, Permission.dossiersReceive)
      return renderCounter(request, reply, actor, request.query as Form)
    })
    app.post(dossierPaths.counter, async (request, reply) => {
      const actor = requireActor(request)
      authorize(actor, Permission.dossiersReceive)
      const body = (request.body ?? {}) as Form
      const pick = (prefix: string) =>
        Object.fromEntries(
          Object.entries(body)
            .filter(([k]) => k.startsWith(prefix))
            .map(([k, v]) => [k.slice(prefix.length), v]),
        )
      try {
        const { dossier } = await dossiers.submit(actor, auditContext(request), {
          procedureCode: body.procedureCode,
          unitId: body.unitId,
          channel: 'counter',
          applicant: pick('applicant.'),
          form: pick('form.'),
        })
        return redirectWithFlash(
          reply,
          dossierPaths.dossier(dossier.code),
          translator(messages, request.lang)('received', { code: dossier.code }),
        )
      } catch (error) {
        if (error instanceof ValidationError)
          return renderCounter(request, reply, actor, body, error.fields, 422)
        throw error
      }
    })

    async function renderDossier(
      request: FastifyRequest,
      reply: FastifyReply,
      code: string,
      errors?: FieldErrors,
      status = 200,
    ) {
      const actor = requireActor(request)
      const { dossier, steps, history, actions, stepDueAt } = await dossiers.get(
        actor,
        code,
        auditContext(request),
      )
      const ctx = app.pageContext(request, reply)
      const t = translator(messages, ctx.lang)
      const procedure = await catalogue
        .getInForce(dossier.procedure_code, dossier.counts_from)
        .catch(() => null)
      const labels = new Map((procedure?.form ?? []).map((f) => [f.name, f.label]))
      return sendPage(
        reply,
        <Layout ctx={ctx} title={dossier.code} wide>
          <h1 safe>{dossier.code}</h1>
          <p class="lead" safe>
            {dossier.procedure_name}
          </p>
          <ErrorSummary errors={errors} title={translator(common, ctx.lang)('errorSummaryTitle')} />
          <table>
            <tbody>
              <tr>
                <th scope="row" safe>
                  {t('status')}
                </th>
                <td>
                  <strong>{statusLabel[dossier.status]}</strong>
                </td>
              </tr>
              <tr>
                <th scope="row" safe>
                  {t('step')}
                </th>
                <td safe>{steps[dossier.step]?.label ?? ''}</td>
              </tr>
              <tr>
                <th scope="row" safe>
                  {t('applicant')}
                </th>
                <td safe>{dossier.applicant_name}</td>
              </tr>
              <tr>
                <th scope="row" safe>
                  {t('channel')}
                </th>
                <td safe>{t(`channel_${dossier.channel}` as DossierKey)}</td>
              </tr>
              <tr>
                <th scope="row" safe>
                  {t('receivedAt')}
                </th>
                <td
                  safe
                >{`${formatDateTime(dossier.received_at, ctx.lang)} (${formatDay(dossier.counts_from, ctx.lang)})`}</td>
              </tr>
              <tr>
                <th scope="row" safe>
                  {t('dueAt')}
                </th>
                <td safe>{formatDateTime(dossier.due_at, ctx.lang)}</td>
              </tr>
              {stepDueAt ? (
                <tr>
                  <th scope="row" safe>
                    {t('stepDue')}
                  </th>
                  <td safe>{formatDateTime(stepDueAt, ctx.lang)}</td>
                </tr>
              ) : (
                ''
              )}
              <tr>
                <th scope="row" safe>
                  {t('ruleVersion')}
                </th>
                <td safe>{rulesById(dossier.rule_version).legalBasis}</td>
              </tr>
            </tbody>
          </table>
          <p>
            <a href={dossierPaths.receipt(dossier.code)} type="application/pdf" safe>
              {`${t('printReceipt')} (PDF)`}
            </a>
          </p>
          <h2 safe>{t('formData')}</h2>
          <dl>
            {Object.entries(dossier.form_data).map(([k, v]) => (
              <>
                <dt safe>{labels.get(k) ?? k}</dt>
                <dd safe>{typeof v === 'boolean' ? (v ? t('yes') : t('no')) : String(v)}</dd>
              </>
            ))}
          </dl>
          <h2 safe>{t('action')}</h2>
          {actions.length === 0 ? (
            <p safe>{t('noActions')}</p>
          ) : (
            <form method="post" action={dossierPaths.actions(dossier.code)} novalidate>
              <CsrfField token={ctx.csrf} />
              <SelectField
                name="action"
                label={t('chooseAction')}
                options={actions.map((a) => ({ value: a, label: actionLabel[a] }))}
                error={errors?.action}
                required
              />
              <TextField name="note" label={t('note')} error={errors?.note} maxlength={2000} />
              {actions.includes('extend') ? (
                <TextField name="days" label={t('days')} error={errors?.days} inputmode="numeric" />
              ) : (
                ''
              )}
              <button type="submit" safe>
                {t('doAction')}
              </button>
            </form>
          )}
          <h2 safe>{t('controlSlip')}</h2>
          <table>
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
                  {t('status')}
                </th>
                <th scope="col" safe>
                  {t('note')}
                </th>
              </tr>
            </thead>
            <tbody>
              {history.map((h) => (
                <tr>
                  <td safe>{formatDateTime(h.at, ctx.lang)}</td>
                  <td safe>{actionLabel[h.action as Action] ?? h.action}</td>
                  <td safe>{h.actor_name ?? ''}</td>
                  <td>
                    <span safe>{statusLabel[h.to_status as keyof typeof statusLabel] ?? h.to_status}</span>
                    {h.on_time === false ? (
                      <>
                        {' '}
                        <span class="tag tag-overdue" safe>
                          {t('late')}
                        </span>
                      </>
                    ) : (
                      ''
                    )}
                  </td>
                  <td safe>{h.note ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Layout>,
        status,
      )
    }

    app.get('/dossiers/:code', async (request, reply) =>
      renderDossier(request, reply, (request.params as { code: string }).code),
    )
    app.post('/dossiers/:code/actions', async (request, reply) => {
      const actor = requireActor(request)
      const { code } = request.params as { code: string }
      const body = (request.body ?? {}) as Form
      try {
        await dossiers.act(actor, auditContext(request), code, body)
      } catch (error) {
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

    app.get('/dossiers/:code/receipt', async (request, reply) => {
      const actor = requireActor(request)
      const { dossier } = await dossiers.get(
        actor,
        (request.params as { code: string }).code,
        auditContext(request),
      )
      const [unit] = await organisation.findUnitsByIds([dossier.unit_id])
      const procedure = await catalogue
        .getInForce(dossier.procedure_code, dossier.counts_from)
        .catch(() => null)
      const pdf = await receiptPdf({
        dossier,
        unitName: unit?.name ?? '',
        documents: procedure?.documents ?? [],
      })
      return reply
        .type('application/pdf')
        .header('content-disposition', `inline; filename="giay-tiep-nhan-${dossier.code}.pdf"`)
        .header('cache-control', 'private, no-store')
        .send(Buffer.from(pdf))
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
