import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { authorize, can, UnauthenticatedError, type Actor } from '../../platform/auth/actor.js'
import { Permission } from '../../platform/auth/roles.js'
import type { Config } from '../../platform/config.js'
import { ValidationError, type FieldErrors } from '../../platform/http/errors.js'
import { auditContext, redirectWithFlash, sendPage } from '../../platform/http/plugin.js'
import { readMultipart } from '../../platform/http/uploads.js'
import { common } from '../../platform/i18n/common.js'
import { translator } from '../../platform/i18n/index.js'
import { CsrfField, ErrorSummary, SelectField, TextField } from '../../platform/views/components.js'
import { Layout } from '../../platform/views/layout.js'
import type { CatalogueService } from '../catalogue/index.js'
import type { OrganisationService } from '../organisation/index.js'
import type { DossierFile } from './dossier-files.js'
import { dossierPaths } from './dossier-paths.js'
import { messages } from './dossiers.locales.js'
import type { DossiersService } from './dossiers.service.js'
import { DocumentUploads } from './documents.view.js'
import { FormFields } from './form-fields.view.js'

type Form = Record<string, string | undefined>

function requireActor(request: FastifyRequest): Actor {
  if (!request.actor) throw new UnauthenticatedError()
  return request.actor
}

/**
 * Intake at the one-stop counter: the receiving officer picks the procedure and unit, types the applicant's
 * details and the form, and attaches scans of the paper documents; a form sent back for corrections keeps them.
 */
export function counterRoutes(
  dossiers: DossiersService,
  catalogue: CatalogueService,
  organisation: OrganisationService,
  { secretKey, uploadMaxBytes }: Pick<Config, 'secretKey' | 'uploadMaxBytes'>,
) {
  return async function routes(app: FastifyInstance) {
    async function renderCounter(
      request: FastifyRequest,
      reply: FastifyReply,
      actor: Actor,
      values: Form,
      errors?: FieldErrors,
      status = 200,
      scans: readonly DossierFile[] = [],
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
          <form
            method={procedure ? 'post' : 'get'}
            action={dossierPaths.counter}
            enctype={procedure ? 'multipart/form-data' : undefined}
            novalidate
          >
            {procedure ? <CsrfField token={ctx.csrf} /> : ''}
            {scans.length > 0 ? (
              <input
                type="hidden"
                name="kept"
                value={scans.map((f) => `${f.documentIndex ?? ''}:${f.id}`).join(',')}
              />
            ) : (
              ''
            )}
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
                <h2 safe>{t('scans')}</h2>
                <p class="hint" safe>
                  {t('scansHint')}
                </p>
                <DocumentUploads
                  documents={procedure.documents}
                  files={scans}
                  errors={errors}
                  maxBytes={uploadMaxBytes}
                  lang={ctx.lang}
                  allowRemove
                />
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
    app.post(dossierPaths.counter, { config: { multipart: true } }, async (request, reply) => {
      const actor = requireActor(request)
      authorize(actor, Permission.dossiersReceive)
      const errors: FieldErrors = {}
      const uploaded: DossierFile[] = []
      // Scans are stored as they stream in; a form sent back for corrections keeps them (field "kept").
      const body = !request.isMultipart()
        ? ((request.body ?? {}) as Record<string, string>)
        : await readMultipart(request, secretKey, async (file, fields) => {
            const index = /^doc-(\d{1,3})$/.exec(file.field)?.[1]
            if (index === undefined || !fields.procedureCode) return
            try {
              uploaded.push(
                await dossiers.upload(actor, {
                  ...file,
                  purpose: 'scan',
                  document: { procedureCode: fields.procedureCode, index: Number(index) },
                }),
              )
            } catch (error) {
              if (!(error instanceof ValidationError)) throw error
              errors[file.field] = error.message
            }
          })
      const kept = await dossiers.unattachedFiles(
        actor,
        (body.kept ?? '')
          .split(',')
          .map((pair) => pair.split(':')[1] ?? '')
          .filter(Boolean),
      )
      let scans = [...kept, ...uploaded]
      if (body.remove) {
        await dossiers.removeFile(actor, body.remove)
        scans = scans.filter((f) => f.id !== body.remove)
        return renderCounter(request, reply, actor, body, errors, 200, scans)
      }
      if (Object.keys(errors).length > 0)
        return renderCounter(request, reply, actor, body, errors, 422, scans)
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
          documents: scans
            .filter((f) => f.documentIndex !== null)
            .map((f) => ({ document: f.documentIndex, fileId: f.id })),
        })
        return redirectWithFlash(
          reply,
          dossierPaths.dossier(dossier.code),
          translator(messages, request.lang)('received', { code: dossier.code }),
        )
      } catch (error) {
        if (error instanceof ValidationError)
          return renderCounter(request, reply, actor, body, error.fields, 422, scans)
        throw error
      }
    })
  }
}
