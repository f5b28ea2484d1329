import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { UnauthenticatedError, type Actor } from '../../platform/auth/actor.js'
import { ValidationError, type FieldErrors } from '../../platform/http/errors.js'
import { auditContext, redirectWithFlash, sendPage } from '../../platform/http/plugin.js'
import { common } from '../../platform/i18n/common.js'
import { defineMessages, translator } from '../../platform/i18n/index.js'
import { CsrfField, ErrorSummary, SelectField } from '../../platform/views/components.js'
import { Layout } from '../../platform/views/layout.js'
import type { FormField } from '../catalogue/index.js'
import { dossierPaths } from './dossiers.routes.js'
import { FormFields } from './form-fields.view.js'
import type { DossiersService } from './dossiers.service.js'

const messages = defineMessages(
  {
    stepUnit: 'Bước 1/3: Chọn nơi nộp hồ sơ',
    stepForm: 'Bước 2/3: Kê khai thông tin',
    stepCheck: 'Bước 3/3: Kiểm tra trước khi nộp',
    unit: 'Nơi nộp hồ sơ',
    continue: 'Tiếp tục',
    change: 'Thay đổi',
    submit: 'Nộp hồ sơ',
    checkIntro: 'Hãy kiểm tra lại thông tin. Sau khi nộp, bạn nhận mã hồ sơ và giấy tiếp nhận.',
    submitted: 'Đã nộp hồ sơ. Mã hồ sơ của bạn: {code}.',
    draftKept: 'Thông tin bạn đã nhập được lưu lại; bạn có thể quay lại hoàn thành sau.',
    yes: 'Có',
    no: 'Không',
  },
  {
    stepUnit: 'Step 1 of 3: Choose where to apply',
    stepForm: 'Step 2 of 3: Your information',
    stepCheck: 'Step 3 of 3: Check before you submit',
    unit: 'Where to apply',
    continue: 'Continue',
    change: 'Change',
    submit: 'Submit the application',
    checkIntro: 'Check your answers. After submitting you receive a dossier code and a receipt.',
    submitted: 'Application submitted. Your dossier code: {code}.',
    draftKept: 'What you entered is saved; you can come back and finish later.',
    yes: 'Yes',
    no: 'No',
  },
)

const applyPaths = {
  start: (code: string) => `/procedures/${code}/apply`,
  unit: (code: string) => `/procedures/${code}/apply/unit`,
  form: (code: string) => `/procedures/${code}/apply/form`,
  check: (code: string) => `/procedures/${code}/apply/check`,
}

type Form = Record<string, string | undefined>

function requireApplicant(request: FastifyRequest): Actor {
  if (!request.actor) throw new UnauthenticatedError()
  return request.actor
}

function display(field: FormField, value: unknown, yes: string, no: string): string {
  if (typeof value === 'boolean') return value ? yes : no
  return value === undefined || value === null ? '' : String(value)
}

/** The citizen's online application, one thing per page: where, what, check, submit. Drafts are kept. */
export function applyRoutes(dossiers: DossiersService) {
  return async function routes(app: FastifyInstance) {
    const codeOf = (request: FastifyRequest) => (request.params as { code: string }).code

    app.get('/procedures/:code/apply', async (request, reply) => {
      const actor = requireApplicant(request)
      const { procedure, draft } = await dossiers.application(actor, codeOf(request))
      if (!draft?.unit_id) return reply.redirect(applyPaths.unit(procedure.code), 303)
      return reply.redirect(
        Object.keys(draft.data).length ? applyPaths.check(procedure.code) : applyPaths.form(procedure.code),
        303,
      )
    })

    async function renderUnit(
      request: FastifyRequest,
      reply: FastifyReply,
      errors?: FieldErrors,
      status = 200,
    ) {
      const actor = requireApplicant(request)
      const { procedure, units, draft } = await dossiers.application(actor, codeOf(request))
      const ctx = app.pageContext(request, reply)
      const t = translator(messages, ctx.lang)
      return sendPage(
        reply,
        <Layout ctx={ctx} title={`${t('stepUnit')} – ${procedure.name}`}>
          <p class="muted" safe>
            {procedure.name}
          </p>
          <h1 safe>{t('stepUnit')}</h1>
          <ErrorSummary errors={errors} title={translator(common, ctx.lang)('errorSummaryTitle')} />
          <form method="post" action={applyPaths.unit(procedure.code)} novalidate>
            <CsrfField token={ctx.csrf} />
            <SelectField
              name="unitId"
              label={t('unit')}
              emptyLabel="—"
              options={units.map((u) => ({ value: u.id, label: u.name }))}
              value={draft?.unit_id ?? undefined}
              error={errors?.unitId}
              required
            />
            <button type="submit" safe>
              {t('continue')}
            </button>
          </form>
        </Layout>,
        status,
      )
    }

    app.get('/procedures/:code/apply/unit', async (request, reply) => renderUnit(request, reply))
    app.post('/procedures/:code/apply/unit', async (request, reply) => {
      const actor = requireApplicant(request)
      try {
        const draft = await dossiers.saveApplicationUnit(
          actor,
          codeOf(request),
          ((request.body ?? {}) as Form).unitId,
        )
        return reply.redirect(applyPaths.form(draft.procedure_code), 303)
      } catch (error) {
        if (error instanceof ValidationError) return renderUnit(request, reply, error.fields, 422)
        throw error
      }
    })

    async function renderForm(
      request: FastifyRequest,
      reply: FastifyReply,
      values?: Form,
      errors?: FieldErrors,
      status = 200,
    ) {
      const actor = requireApplicant(request)
      const { procedure, draft } = await dossiers.application(actor, codeOf(request))
      if (!draft?.unit_id) return reply.redirect(applyPaths.unit(procedure.code), 303)
      const ctx = app.pageContext(request, reply)
      const t = translator(messages, ctx.lang)
      const current: Form =
        values ??
        Object.fromEntries(
          Object.entries(draft.data).map(([k, v]) => [
            k,
            typeof v === 'boolean' ? (v ? 'on' : '') : String(v),
          ]),
        )
      return sendPage(
        reply,
        <Layout ctx={ctx} title={`${t('stepForm')} – ${procedure.name}`}>
          <p class="muted" safe>
            {procedure.name}
          </p>
          <h1 safe>{t('stepForm')}</h1>
          <ErrorSummary errors={errors} title={translator(common, ctx.lang)('errorSummaryTitle')} />
          <form method="post" action={applyPaths.form(procedure.code)} novalidate>
            <CsrfField token={ctx.csrf} />
            <FormFields fields={procedure.form} values={current} errors={errors} />
            <button type="submit" safe>
              {t('continue')}
            </button>
          </form>
          <p class="hint" safe>
            {t('draftKept')}
          </p>
        </Layout>,
        status,
      )
    }

    app.get('/procedures/:code/apply/form', async (request, reply) => renderForm(request, reply))
    app.post('/procedures/:code/apply/form', async (request, reply) => {
      const actor = requireApplicant(request)
      const body = (request.body ?? {}) as Form
      try {
        const draft = await dossiers.saveApplicationForm(actor, codeOf(request), body)
        return reply.redirect(applyPaths.check(draft.procedure_code), 303)
      } catch (error) {
        if (error instanceof ValidationError) return renderForm(request, reply, body, error.fields, 422)
        throw error
      }
    })

    async function renderCheck(
      request: FastifyRequest,
      reply: FastifyReply,
      errors?: FieldErrors,
      status = 200,
    ) {
      const actor = requireApplicant(request)
      const { procedure, units, draft } = await dossiers.application(actor, codeOf(request))
      if (!draft?.unit_id) return reply.redirect(applyPaths.unit(procedure.code), 303)
      const ctx = app.pageContext(request, reply)
      const t = translator(messages, ctx.lang)
      const unit = units.find((u) => u.id === draft.unit_id)
      return sendPage(
        reply,
        <Layout ctx={ctx} title={`${t('stepCheck')} – ${procedure.name}`}>
          <p class="muted" safe>
            {procedure.name}
          </p>
          <h1 safe>{t('stepCheck')}</h1>
          <ErrorSummary errors={errors} title={translator(common, ctx.lang)('errorSummaryTitle')} />
          <p safe>{t('checkIntro')}</p>
          <table>
            <tbody>
              <tr>
                <th scope="row" safe>
                  {t('unit')}
                </th>
                <td safe>{unit?.name ?? ''}</td>
                <td>
                  <a href={applyPaths.unit(procedure.code)} safe>
                    {t('change')}
                  </a>
                </td>
              </tr>
              {procedure.form
                .filter((f) => f.type !== 'file')
                .map((f) => (
                  <tr>
                    <th scope="row" safe>
                      {f.label}
                    </th>
                    <td safe>{display(f, draft.data[f.name], t('yes'), t('no'))}</td>
                    <td>
                      <a href={`${applyPaths.form(procedure.code)}#${f.name}`} safe>
                        {t('change')}
                      </a>
                    </td>
                  </tr>
                ))}
            </tbody>
          </table>
          <form method="post" action={applyPaths.check(procedure.code)}>
            <CsrfField token={ctx.csrf} />
            <button type="submit" safe>
              {t('submit')}
            </button>
          </form>
        </Layout>,
        status,
      )
    }

    app.get('/procedures/:code/apply/check', async (request, reply) => renderCheck(request, reply))
    app.post('/procedures/:code/apply/check', async (request, reply) => {
      const actor = requireApplicant(request)
      try {
        const dossier = await dossiers.submitApplication(actor, auditContext(request), codeOf(request))
        if (!dossier) return reply.redirect(dossierPaths.mine, 303)
        return redirectWithFlash(
          reply,
          dossierPaths.dossier(dossier.code),
          translator(messages, request.lang)('submitted', { code: dossier.code }),
        )
      } catch (error) {
        // The draft may hold answers the form no longer accepts (the procedure changed): show them again.
        if (error instanceof ValidationError) {
          const formErrors = Object.fromEntries(
            Object.entries(error.fields).map(([k, v]) => [k.replace(/^form\./, ''), v]),
          )
          return renderForm(request, reply, undefined, formErrors, 422)
        }
        throw error
      }
    })
  }
}
