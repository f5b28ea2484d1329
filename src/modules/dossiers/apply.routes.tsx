import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../../platform/config.js'
import { UnauthenticatedError, type Actor } from '../../platform/auth/actor.js'
import { ValidationError, type FieldErrors } from '../../platform/http/errors.js'
import { auditContext, redirectWithFlash, sendPage } from '../../platform/http/plugin.js'
import { readMultipart } from '../../platform/http/uploads.js'
import { common } from '../../platform/i18n/common.js'
import { defineMessages, translator } from '../../platform/i18n/index.js'
import { CsrfField, ErrorSummary, SelectField } from '../../platform/views/components.js'
import { Layout } from '../../platform/views/layout.js'
import type { FormField } from '../catalogue/index.js'
import { dossierPaths } from './dossier-paths.js'
import { sendDownload } from '../../platform/http/download.js'
import { DocumentUploads, formatSize } from './documents.view.js'
import { FormFields } from './form-fields.view.js'
import type { DossiersService } from './dossiers.service.js'

const messages = defineMessages(
  {
    stepUnit: 'Bước 1/4: Chọn nơi nộp hồ sơ',
    stepForm: 'Bước 2/4: Kê khai thông tin',
    stepDocuments: 'Bước 3/4: Đính kèm giấy tờ',
    stepCheck: 'Bước 4/4: Kiểm tra trước khi nộp',
    documentsIntro:
      'Đính kèm bản chụp hoặc bản quét của từng giấy tờ. Loại tệp được kiểm tra theo nội dung, không theo tên tệp.',
    upload: 'Tải lên và tiếp tục',
    documents: 'Giấy tờ đính kèm',
    removed: 'Đã xóa tệp.',
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
    stepUnit: 'Step 1 of 4: Choose where to apply',
    stepForm: 'Step 2 of 4: Your information',
    stepDocuments: 'Step 3 of 4: Attach your documents',
    stepCheck: 'Step 4 of 4: Check before you submit',
    documentsIntro:
      'Attach a photo or scan of each document. File types are checked by their content, not their name.',
    upload: 'Upload and continue',
    documents: 'Attached documents',
    removed: 'File removed.',
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
  documents: (code: string) => `/procedures/${code}/apply/documents`,
  file: (code: string, id: string) => `/procedures/${code}/apply/files/${id}`,
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
export function applyRoutes(dossiers: DossiersService, config: Config) {
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
      // A first visit starts from what the account already knows; later visits from the draft.
      const current: Form =
        values ??
        (Object.keys(draft.data).length === 0
          ? await dossiers.prefill(actor)
          : Object.fromEntries(
              Object.entries(draft.data).map(([k, v]) => [
                k,
                typeof v === 'boolean' ? (v ? 'on' : '') : String(v),
              ]),
            ))
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
        return reply.redirect(applyPaths.documents(draft.procedure_code), 303)
      } catch (error) {
        if (error instanceof ValidationError) return renderForm(request, reply, body, error.fields, 422)
        throw error
      }
    })

    async function renderDocuments(
      request: FastifyRequest,
      reply: FastifyReply,
      errors?: FieldErrors,
      status = 200,
    ) {
      const actor = requireApplicant(request)
      const { procedure, draft } = await dossiers.application(actor, codeOf(request))
      if (!draft?.unit_id) return reply.redirect(applyPaths.unit(procedure.code), 303)
      const files = await dossiers.draftFiles(actor, procedure.code)
      const store = await dossiers.dataStore(actor)
      const stored = [
        ...store.results.map((r) => ({ value: `result:${r.id}`, label: `${r.title} (${r.dossierCode})` })),
        ...store.documents.map((f) => ({
          value: `file:${f.id}`,
          label: `${f.fileName} – ${f.documentName}`,
        })),
      ]
      const ctx = app.pageContext(request, reply)
      const t = translator(messages, ctx.lang)
      return sendPage(
        reply,
        <Layout ctx={ctx} title={`${t('stepDocuments')} – ${procedure.name}`}>
          <p class="muted" safe>
            {procedure.name}
          </p>
          <h1 safe>{t('stepDocuments')}</h1>
          <ErrorSummary errors={errors} title={translator(common, ctx.lang)('errorSummaryTitle')} />
          <p safe>{t('documentsIntro')}</p>
          <form
            method="post"
            action={applyPaths.documents(procedure.code)}
            enctype="multipart/form-data"
            novalidate
          >
            <CsrfField token={ctx.csrf} />
            <DocumentUploads
              documents={procedure.documents}
              files={files}
              errors={errors}
              maxBytes={config.uploadMaxBytes}
              lang={ctx.lang}
              allowRemove
              stored={stored}
            />
            <button type="submit" safe>
              {t('upload')}
            </button>
          </form>
          <p class="hint" safe>
            {t('draftKept')}
          </p>
        </Layout>,
        status,
      )
    }

    app.get('/procedures/:code/apply/documents', async (request, reply) => renderDocuments(request, reply))
    app.post('/procedures/:code/apply/documents', { config: { multipart: true } }, async (request, reply) => {
      const actor = requireApplicant(request)
      const code = codeOf(request)
      const errors: FieldErrors = {}
      const fields = await readMultipart(request, config.secretKey, async (file) => {
        const index = /^doc-(\d{1,3})$/.exec(file.field)?.[1]
        if (index === undefined) return
        try {
          await dossiers.uploadDraftFile(actor, code, Number(index), file)
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error
          errors[file.field] = Object.values(error.fields)[0] ?? error.message
        }
      })
      if (fields.remove) {
        await dossiers.removeFile(actor, fields.remove)
        return renderDocuments(request, reply, errors)
      }
      for (const [field, source] of Object.entries(fields)) {
        const index = /^reuse-(\d{1,3})$/.exec(field)?.[1]
        if (index === undefined || !source) continue
        try {
          await dossiers.reuseInDraft(actor, code, Number(index), source)
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error
          Object.assign(errors, error.fields)
        }
      }
      if (Object.keys(errors).length > 0) return renderDocuments(request, reply, errors, 422)
      const missing = await dossiers.missingDocuments(actor, code)
      if (Object.keys(missing).length > 0) return renderDocuments(request, reply, missing, 422)
      return reply.redirect(applyPaths.check(code), 303)
    })

    app.get('/procedures/:code/apply/files/:id', async (request, reply) => {
      const actor = requireApplicant(request)
      const { file, stream } = await dossiers.openFile(
        actor,
        auditContext(request),
        (request.params as { id: string }).id,
      )
      return sendDownload(reply, file, stream)
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
      const files = await dossiers.draftFiles(actor, procedure.code)
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
          <h2 safe>{t('documents')}</h2>
          <table>
            <tbody>
              {procedure.documents.map((doc, index) => (
                <tr>
                  <th scope="row" safe>
                    {doc.name}
                  </th>
                  <td>
                    {files
                      .filter((f) => f.documentIndex === index)
                      .map((f) => (
                        <div>
                          <a href={applyPaths.file(procedure.code, f.id)} safe>
                            {f.fileName}
                          </a>{' '}
                          <span class="muted" safe>{`(${formatSize(f.size, ctx.lang)})`}</span>
                        </div>
                      ))}
                  </td>
                  <td>
                    <a href={`${applyPaths.documents(procedure.code)}#doc-${index}`} safe>
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
          const documentErrors = Object.entries(error.fields).filter(([k]) => k.startsWith('doc-'))
          if (documentErrors.length > 0) {
            return renderDocuments(request, reply, Object.fromEntries(documentErrors), 422)
          }
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
