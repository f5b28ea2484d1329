import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { authorize, can, UnauthenticatedError, type Actor } from '../../platform/auth/actor.js'
import { Permission } from '../../platform/auth/roles.js'
import type { Config } from '../../platform/config.js'
import { AppError, ValidationError, type FieldErrors } from '../../platform/http/errors.js'
import { auditContext, redirectWithFlash, sendPage } from '../../platform/http/plugin.js'
import { readMultipart } from '../../platform/http/uploads.js'
import { common } from '../../platform/i18n/common.js'
import { translator } from '../../platform/i18n/index.js'
import {
  CheckboxField,
  CsrfField,
  ErrorSummary,
  SelectField,
  TextField,
} from '../../platform/views/components.js'
import type { PageContext } from '../../platform/views/context.js'
import { formatDateTime } from '../../platform/views/format.js'
import { Layout } from '../../platform/views/layout.js'
import type { StoredAttachment } from './document-files.js'
import { fileTextStateLabel } from './document-text.service.js'
import {
  actionLabel,
  assignmentStatusLabel,
  CONFIDENTIALITIES,
  confidentialityLabel,
  DOCUMENT_STATUSES,
  roleLabel,
  sourceLabel,
  statusLabel,
  URGENCIES,
  urgencyLabel,
  type DeadlineState,
} from './document-rules.js'
import { documentPaths } from './documents.paths.js'
import { messages, type DocumentKey } from './documents.locales.js'
import type { DocumentsService } from './documents.service.js'
import { AssigneeSelect, dayText, formatSize, sendFile, TextArea } from './documents.view.js'
import type { DocumentRemindersService } from './document-reminders.js'
import { RemindersPanel } from './document-reminders.view.js'
import { OutgoingCard, OutgoingLinks } from './outgoing.view.js'
import { signatureRow } from './edxml-signature.js'
import { WorkFilesLinks } from './work-files.view.js'

type Form = Record<string, string | undefined>

function requireOfficial(request: FastifyRequest): Actor {
  if (!request.actor) throw new UnauthenticatedError()
  authorize(request.actor, Permission.backofficeAccess)
  return request.actor
}

const EDXML_MAX_BYTES = (uploadMaxBytes: number) => Math.max(6 * uploadMaxBytes, 1_048_576)

/** Reads an uploaded edXML package into memory, refusing one larger than the limit. */
async function readText(stream: NodeJS.ReadableStream, max: number): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stream) {
    size += (chunk as Buffer).length
    if (size > max) {
      throw new ValidationError({ edxml: `Gói tin edXML vượt quá ${formatSize(max, 'vi')}.` })
    }
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function StateTag({ state, t }: { state: DeadlineState; t: (key: DocumentKey) => string }) {
  return (
    <span class={`tag tag-${state}`} safe>
      {t(`state_${state}` as DocumentKey)}
    </span>
  )
}

export function documentsRoutes(
  documents: DocumentsService,
  { secretKey, uploadMaxBytes }: Pick<Config, 'secretKey' | 'uploadMaxBytes'>,
  reminders?: Pick<DocumentRemindersService, 'unread'>,
) {
  return async function routes(app: FastifyInstance) {
    const texts = (ctx: PageContext) => ({
      t: translator(messages, ctx.lang),
      summaryTitle: translator(common, ctx.lang)('errorSummaryTitle'),
    })

    app.get(documentPaths.queue, async (request, reply) => {
      const actor = requireOfficial(request)
      const [{ assignments, unassigned, overdue }, unread] = await Promise.all([
        documents.queue(actor),
        reminders ? reminders.unread(actor) : [],
      ])
      const ctx = app.pageContext(request, reply)
      const { t } = texts(ctx)
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('queueTitle')} wide>
          <h1 safe>{t('queueTitle')}</h1>
          <RemindersPanel reminders={unread} lang={ctx.lang} csrf={ctx.csrf} />
          <ul class="cards">
            <li>
              <a href={documentPaths.incoming} safe>
                {t('incomingTitle')}
              </a>
            </li>
            <OutgoingCard lang={ctx.lang} />
            {can(actor, Permission.documentsRegister) ? (
              <>
                <li>
                  <a href={documentPaths.registerNew} safe>
                    {t('registerNew')}
                  </a>
                </li>
                <li>
                  <a href={documentPaths.import} safe>
                    {t('importTitle')}
                  </a>
                </li>
                <li>
                  <a href={documentPaths.registers} safe>
                    {t('registersTitle')}
                  </a>
                </li>
              </>
            ) : (
              ''
            )}
          </ul>
          <WorkFilesLinks lang={ctx.lang} />
          <h2 safe>{t('myAssignments')}</h2>
          {assignments.length === 0 ? (
            <p class="muted" safe>
              {t('none')}
            </p>
          ) : (
            <table id="my-assignments">
              <thead>
                <tr>
                  <th scope="col" safe>
                    {t('code')}
                  </th>
                  <th scope="col" safe>
                    {t('summary')}
                  </th>
                  <th scope="col" safe>
                    {t('assignee')}
                  </th>
                  <th scope="col" safe>
                    {t('role')}
                  </th>
                  <th scope="col" safe>
                    {t('dueAt')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {assignments.map((a) => (
                  <tr class={`state-${a.state}`}>
                    <td>
                      <a href={documentPaths.document(a.document_id)} safe>
                        {`${a.code_number}/${a.code_notation}`}
                      </a>
                    </td>
                    <td>
                      <span safe>{a.summary}</span>
                      {a.urgency !== 'normal' ? (
                        <>
                          {' '}
                          <span class="tag tag-overdue" safe>
                            {urgencyLabel[a.urgency]}
                          </span>
                        </>
                      ) : (
                        ''
                      )}
                    </td>
                    <td safe>{a.assignee_name}</td>
                    <td safe>{roleLabel[a.role]}</td>
                    <td>
                      <span safe>{formatDateTime(a.due_at, ctx.lang)}</span>{' '}
                      <StateTag state={a.state} t={t} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {can(actor, Permission.documentsAssign) ? (
            <>
              <h2 safe>{t('unassignedTitle')}</h2>
              {unassigned.length === 0 ? (
                <p class="muted" safe>
                  {t('none')}
                </p>
              ) : (
                <table id="unassigned">
                  <thead>
                    <tr>
                      <th scope="col" safe>
                        {t('number')}
                      </th>
                      <th scope="col" safe>
                        {t('code')}
                      </th>
                      <th scope="col" safe>
                        {t('summary')}
                      </th>
                      <th scope="col" safe>
                        {t('dueOn')}
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {unassigned.map((d) => (
                      <tr>
                        <td safe>{String(d.number)}</td>
                        <td>
                          <a href={documentPaths.document(d.id)} safe>
                            {`${d.code_number}/${d.code_notation}`}
                          </a>
                        </td>
                        <td safe>{d.summary}</td>
                        <td safe>{dayText(d.due_on)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              <h2 safe>{t('overdueTitle')}</h2>
              {overdue.length === 0 ? (
                <p class="muted" safe>
                  {t('none')}
                </p>
              ) : (
                <table id="overdue">
                  <thead>
                    <tr>
                      <th scope="col" safe>
                        {t('code')}
                      </th>
                      <th scope="col" safe>
                        {t('assignee')}
                      </th>
                      <th scope="col" safe>
                        {t('dueAt')}
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {overdue.map((a) => (
                      <tr class="state-overdue">
                        <td>
                          <a href={documentPaths.document(a.document_id)} safe>
                            {`${a.code_number}/${a.code_notation}`}
                          </a>
                        </td>
                        <td safe>{`${a.assignee_name} (${roleLabel[a.role]})`}</td>
                        <td safe>{formatDateTime(a.due_at, ctx.lang)}</td>
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
      )
    })

    async function renderSearch(request: FastifyRequest, reply: FastifyReply, errors?: FieldErrors) {
      const actor = requireOfficial(request)
      const query = request.query as Form
      const ctx = app.pageContext(request, reply)
      const { t, summaryTitle } = texts(ctx)
      const [registers, types] = await Promise.all([documents.registers(actor), documents.types()])
      let result: Awaited<ReturnType<DocumentsService['search']>> = { items: [], next: null }
      let problems = errors
      try {
        if (!problems) result = await documents.search(actor, query)
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error
        problems = error.fields
      }
      const nextQuery = result.next
        ? `${documentPaths.incoming}?${new URLSearchParams({
            ...Object.fromEntries(Object.entries(query).filter(([, v]) => typeof v === 'string')),
            before: result.next,
          } as Record<string, string>).toString()}`
        : null
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('incomingTitle')} wide>
          <h1 safe>{t('incomingTitle')}</h1>
          <ErrorSummary errors={problems} title={summaryTitle} />
          <form method="get" action={documentPaths.incoming} class="filters" role="search" novalidate>
            <TextField name="q" label={t('searchLabel')} hint={t('searchHint')} value={query.q} />
            <SelectField
              name="registerId"
              label={t('register')}
              emptyLabel={t('all')}
              options={registers.map((r) => ({ value: r.id, label: `${r.name}` }))}
              value={query.registerId}
            />
            <SelectField
              name="typeCode"
              label={t('type')}
              emptyLabel={t('all')}
              options={types.map((ty) => ({ value: ty.code, label: ty.name }))}
              value={query.typeCode}
            />
            <TextField name="issuer" label={t('issuerFilter')} value={query.issuer} />
            <TextField name="from" label={t('from')} type="date" value={query.from} error={problems?.from} />
            <TextField name="to" label={t('to')} type="date" value={query.to} error={problems?.to} />
            <SelectField
              name="status"
              label={t('status')}
              emptyLabel={t('all')}
              options={DOCUMENT_STATUSES.map((s) => ({ value: s, label: statusLabel[s] }))}
              value={query.status}
            />
            <button type="submit" safe>
              {t('search')}
            </button>
          </form>
          {result.items.length === 0 ? (
            <p class="muted" id="no-results" safe>
              {t('none')}
            </p>
          ) : (
            <table id="documents">
              <thead>
                <tr>
                  <th scope="col" safe>
                    {t('number')}
                  </th>
                  <th scope="col" safe>
                    {t('receivedAt')}
                  </th>
                  <th scope="col" safe>
                    {t('code')}
                  </th>
                  <th scope="col" safe>
                    {t('issuer')}
                  </th>
                  <th scope="col" safe>
                    {t('summary')}
                  </th>
                  <th scope="col" safe>
                    {t('status')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {result.items.map((d) => (
                  <tr>
                    <td safe>{`${d.number} (${d.register_name})`}</td>
                    <td safe>{formatDateTime(d.received_at, ctx.lang)}</td>
                    <td>
                      <a href={documentPaths.document(d.id)} safe>
                        {`${d.code_number}/${d.code_notation}`}
                      </a>
                      <br />
                      <span class="muted" safe>{`${d.type_name}, ${dayText(d.issued_on)}`}</span>
                    </td>
                    <td safe>{d.issuer_name}</td>
                    <td safe>{d.summary}</td>
                    <td safe>{statusLabel[d.status]}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {nextQuery ? (
            <p>
              <a href={nextQuery} rel="next" safe>
                {t('nextPage')}
              </a>
            </p>
          ) : (
            ''
          )}
        </Layout>,
        problems ? 422 : 200,
      )
    }

    app.get(documentPaths.incoming, async (request, reply) => renderSearch(request, reply))

    async function renderRegister(
      request: FastifyRequest,
      reply: FastifyReply,
      actor: Actor,
      values: Form,
      errors?: FieldErrors,
      status = 200,
      duplicate = false,
    ) {
      const ctx = app.pageContext(request, reply)
      const { t, summaryTitle } = texts(ctx)
      const choices = await documents.registrationChoices(actor)
      const unitName = new Map(choices.units.map((u) => [u.id, u.shortName ?? u.name]))
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('registerNew')}>
          <h1 safe>{t('registerNew')}</h1>
          <ErrorSummary errors={errors} title={summaryTitle} />
          <form method="post" action={documentPaths.registerNew} enctype="multipart/form-data" novalidate>
            <CsrfField token={ctx.csrf} />
            {choices.units.length > 1 ? (
              <SelectField
                name="unitId"
                label={t('unit')}
                emptyLabel="—"
                options={choices.units.map((u) => ({ value: u.id, label: u.name }))}
                value={values.unitId}
                error={errors?.unitId}
                required
              />
            ) : (
              <input type="hidden" name="unitId" value={choices.units[0]?.id ?? ''} />
            )}
            <SelectField
              name="registerId"
              label={t('register')}
              emptyLabel={`${t('defaultRegister')} ${choices.year}`}
              options={choices.registers
                .filter((r) => !r.is_default)
                .map((r) => ({
                  value: r.id,
                  label: choices.units.length > 1 ? `${r.name} — ${unitName.get(r.unit_id) ?? ''}` : r.name,
                }))}
              value={values.registerId}
              error={errors?.registerId}
            />
            <SelectField
              name="source"
              label={t('source')}
              options={(['paper', 'electronic'] as const).map((s) => ({ value: s, label: sourceLabel[s] }))}
              value={values.source}
              error={errors?.source}
            />
            <p class="hint" safe>
              {t('codeHint')}
            </p>
            <TextField
              name="codeNumber"
              label={t('codeNumber')}
              value={values.codeNumber}
              error={errors?.codeNumber}
              maxlength={20}
              required
            />
            <TextField
              name="codeNotation"
              label={t('codeNotation')}
              value={values.codeNotation}
              error={errors?.codeNotation}
              maxlength={100}
              required
            />
            <TextField
              name="issuedOn"
              label={t('issuedOn')}
              type="date"
              value={values.issuedOn}
              error={errors?.issuedOn}
              required
            />
            <TextField
              name="issuerName"
              label={t('issuerName')}
              value={values.issuerName}
              error={errors?.issuerName}
              maxlength={300}
              required
            />
            <TextField
              name="issuerCode"
              label={t('issuerCode')}
              hint={t('issuerCodeHint')}
              value={values.issuerCode}
              error={errors?.issuerCode}
              maxlength={13}
            />
            <SelectField
              name="typeCode"
              label={t('type')}
              emptyLabel="—"
              options={choices.types.map((ty) => ({ value: ty.code, label: ty.name }))}
              value={values.typeCode}
              error={errors?.typeCode}
              required
            />
            <TextArea
              name="summary"
              label={t('summary')}
              value={values.summary}
              error={errors?.summary}
              maxlength={2000}
              required
            />
            <TextField
              name="signerName"
              label={t('signerName')}
              value={values.signerName}
              error={errors?.signerName}
            />
            <TextField
              name="signerPosition"
              label={t('signerPosition')}
              value={values.signerPosition}
              error={errors?.signerPosition}
            />
            <SelectField
              name="urgency"
              label={t('urgency')}
              options={URGENCIES.map((u) => ({ value: u, label: urgencyLabel[u] }))}
              value={values.urgency}
              error={errors?.urgency}
            />
            <SelectField
              name="confidentiality"
              label={t('confidentiality')}
              options={CONFIDENTIALITIES.map((c) => ({ value: c, label: confidentialityLabel[c] }))}
              value={values.confidentiality}
              error={errors?.confidentiality}
            />
            <TextField
              name="dueOn"
              label={t('dueOn')}
              type="date"
              value={values.dueOn}
              error={errors?.dueOn}
            />
            <TextArea
              name="content"
              label={t('content')}
              value={values.content}
              error={errors?.content}
              rows={5}
            />
            <div class={errors?.files ? 'field field-error' : 'field'}>
              <label for="files" safe>
                {t('files')}
              </label>
              <p class="hint" id="files-hint" safe>
                {t('filesHint', { size: formatSize(uploadMaxBytes, ctx.lang) })}
              </p>
              {errors?.files ? (
                <p class="error-message" id="files-error" lang="vi" safe>
                  {errors.files}
                </p>
              ) : (
                ''
              )}
              <input
                type="file"
                id="files"
                name="files"
                multiple
                accept=".pdf,.jpg,.jpeg,.png,.tif,.tiff,.doc,.docx,.xls,.xlsx,.odt,.xml"
                aria-describedby={errors?.files ? 'files-hint files-error' : 'files-hint'}
              />
            </div>
            {duplicate ? (
              <CheckboxField name="confirmDifferent" label={t('confirmDifferent')} checked={false} />
            ) : (
              ''
            )}
            <button type="submit" safe>
              {t('submitRegister')}
            </button>
          </form>
        </Layout>,
        status,
      )
    }

    app.get(documentPaths.registerNew, async (request, reply) => {
      const actor = requireOfficial(request)
      authorize(actor, Permission.documentsRegister)
      return renderRegister(request, reply, actor, request.query as Form)
    })

    /**
     * Files stream into the store as the form arrives; the service then attaches them, or removes them if the
     * registration is refused (the clerk chooses them again: a browser cannot keep a file input's value).
     */
    app.post(documentPaths.registerNew, { config: { multipart: true } }, async (request, reply) => {
      const actor = requireOfficial(request)
      authorize(actor, Permission.documentsRegister)
      const stored: StoredAttachment[] = []
      const fileErrors: FieldErrors = {}
      let body: Form
      try {
        body = !request.isMultipart()
          ? ((request.body ?? {}) as Form)
          : await readMultipart(request, secretKey, async (file) => {
              if (file.field !== 'files') return
              try {
                stored.push(await documents.storeUpload(file.stream, file.fileName))
              } catch (error) {
                if (!(error instanceof ValidationError)) throw error
                fileErrors.files = error.message
              }
            })
      } catch (error) {
        await documents.discard(stored)
        throw error
      }
      const t = translator(messages, request.lang)
      if (fileErrors.files) {
        await documents.discard(stored)
        return renderRegister(request, reply, actor, body, fileErrors, 422)
      }
      try {
        const document = await documents.register(actor, auditContext(request), body, stored)
        return redirectWithFlash(
          reply,
          document.restricted ? documentPaths.incoming : documentPaths.document(document.id),
          t(document.restricted ? 'restrictedRegistered' : 'registered', { number: document.number }),
        )
      } catch (error) {
        const reselect: FieldErrors = stored.length > 0 ? { files: t('reselectFiles') } : {}
        if (error instanceof ValidationError)
          return renderRegister(request, reply, actor, body, { ...error.fields, ...reselect }, 422)
        if (error instanceof AppError && error.statusCode === 409)
          return renderRegister(
            request,
            reply,
            actor,
            body,
            { confirmDifferent: error.message, ...reselect },
            409,
            true,
          )
        throw error
      }
    })

    async function renderImport(
      request: FastifyRequest,
      reply: FastifyReply,
      actor: Actor,
      values: Form,
      errors?: FieldErrors,
      status = 200,
    ) {
      const ctx = app.pageContext(request, reply)
      const { t, summaryTitle } = texts(ctx)
      const { units } = await documents.registrationChoices(actor)
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('importTitle')}>
          <h1 safe>{t('importTitle')}</h1>
          <ErrorSummary errors={errors} title={summaryTitle} />
          <p safe>{t('importIntro')}</p>
          <form method="post" action={documentPaths.import} enctype="multipart/form-data" novalidate>
            <CsrfField token={ctx.csrf} />
            {units.length > 1 ? (
              <SelectField
                name="unitId"
                label={t('unit')}
                emptyLabel="—"
                options={units.map((u) => ({ value: u.id, label: u.name }))}
                value={values.unitId}
                error={errors?.unitId}
                required
              />
            ) : (
              <input type="hidden" name="unitId" value={units[0]?.id ?? ''} />
            )}
            <div class={errors?.edxml ? 'field field-error' : 'field'}>
              <label for="edxml" safe>
                {t('edxmlFile')}
              </label>
              {errors?.edxml ? (
                <p class="error-message" id="edxml-error" lang="vi" safe>
                  {errors.edxml}
                </p>
              ) : (
                ''
              )}
              <input
                type="file"
                id="edxml"
                name="edxml"
                accept=".xml,.edxml,application/xml"
                aria-describedby={errors?.edxml ? 'edxml-error' : undefined}
              />
            </div>
            <button type="submit" safe>
              {t('importSubmit')}
            </button>
          </form>
        </Layout>,
        status,
      )
    }

    app.get(documentPaths.import, async (request, reply) => {
      const actor = requireOfficial(request)
      authorize(actor, Permission.documentsRegister)
      return renderImport(request, reply, actor, {})
    })

    app.post(documentPaths.import, { config: { multipart: true } }, async (request, reply) => {
      const actor = requireOfficial(request)
      authorize(actor, Permission.documentsRegister)
      let xml: string | null = null
      let body: Form = {}
      try {
        body = await readMultipart(request, secretKey, async (file) => {
          if (file.field !== 'edxml' || xml !== null) return
          xml = await readText(file.stream, EDXML_MAX_BYTES(uploadMaxBytes))
        })
        if (xml === null) throw new ValidationError({ edxml: 'Chọn tệp gói tin edXML.' })
        const document = await documents.importEdxml(actor, auditContext(request), {
          unitId: body.unitId,
          xml,
        })
        return redirectWithFlash(
          reply,
          documentPaths.document(document.id),
          translator(messages, request.lang)('imported', { number: document.number }),
        )
      } catch (error) {
        if (error instanceof ValidationError) {
          const fields =
            'edxml' in error.fields || 'unitId' in error.fields ? error.fields : { edxml: error.message }
          return renderImport(request, reply, actor, body, fields, 422)
        }
        if (error instanceof AppError && error.statusCode === 409)
          return renderImport(request, reply, actor, body, { edxml: error.message }, 409)
        throw error
      }
    })

    async function renderRegisters(
      request: FastifyRequest,
      reply: FastifyReply,
      actor: Actor,
      values: Form,
      errors?: FieldErrors,
      status = 200,
    ) {
      const ctx = app.pageContext(request, reply)
      const { t, summaryTitle } = texts(ctx)
      const { units } = await documents.registrationChoices(actor)
      const registers = await documents.registers(actor)
      const unitName = new Map(units.map((u) => [u.id, u.name]))
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('registersTitle')}>
          <h1 safe>{t('registersTitle')}</h1>
          <ErrorSummary errors={errors} title={summaryTitle} />
          {registers.length === 0 ? (
            <p class="muted" safe>
              {t('none')}
            </p>
          ) : (
            <table id="registers">
              <thead>
                <tr>
                  <th scope="col" safe>
                    {t('register')}
                  </th>
                  <th scope="col" safe>
                    {t('unit')}
                  </th>
                  <th scope="col" safe>
                    {t('year')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {registers.map((r) => (
                  <tr>
                    <td>
                      <a href={`${documentPaths.incoming}?registerId=${r.id}`} safe>
                        {r.name}
                      </a>
                    </td>
                    <td safe>{unitName.get(r.unit_id) ?? ''}</td>
                    <td safe>{String(r.year)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h2 safe>{t('newRegister')}</h2>
          <form method="post" action={documentPaths.registers} novalidate>
            <CsrfField token={ctx.csrf} />
            {units.length > 1 ? (
              <SelectField
                name="unitId"
                label={t('unit')}
                emptyLabel="—"
                options={units.map((u) => ({ value: u.id, label: u.name }))}
                value={values.unitId}
                error={errors?.unitId}
                required
              />
            ) : (
              <input type="hidden" name="unitId" value={units[0]?.id ?? ''} />
            )}
            <TextField
              name="name"
              label={t('registerName')}
              value={values.name}
              error={errors?.name}
              maxlength={200}
              required
            />
            <button type="submit" safe>
              {t('createRegister')}
            </button>
          </form>
        </Layout>,
        status,
      )
    }

    app.get(documentPaths.registers, async (request, reply) => {
      const actor = requireOfficial(request)
      authorize(actor, Permission.documentsRegister)
      return renderRegisters(request, reply, actor, {})
    })

    app.post(documentPaths.registers, async (request, reply) => {
      const actor = requireOfficial(request)
      const body = (request.body ?? {}) as Form
      try {
        const register = await documents.createRegister(actor, auditContext(request), body)
        return redirectWithFlash(
          reply,
          documentPaths.registers,
          translator(messages, request.lang)('registerCreated', { name: register.name }),
        )
      } catch (error) {
        if (error instanceof ValidationError)
          return renderRegisters(request, reply, actor, body, error.fields, 422)
        if (error instanceof AppError && error.statusCode === 409)
          return renderRegisters(request, reply, actor, body, { name: error.message }, 409)
        throw error
      }
    })

    async function renderDocument(
      request: FastifyRequest,
      reply: FastifyReply,
      id: string,
      errors?: FieldErrors,
      status = 200,
      values: Form = {},
    ) {
      const actor = requireOfficial(request)
      const view = await documents.get(actor, auditContext(request), id)
      const { document: d } = view
      const ctx = app.pageContext(request, reply)
      const { t, summaryTitle } = texts(ctx)
      const acting = view.assignments.filter((a) => a.actions.length > 0)
      const targets =
        view.canAssign || acting.length > 0
          ? await documents.assignTargets(actor, d.id)
          : { units: [], people: [] }
      const unitOptions = targets.units.map((u) => ({ value: `unit:${u.id}`, label: u.name }))
      const peopleOptions = targets.people.map((p) => ({ value: `user:${p.id}`, label: p.fullName }))
      const title = `${view.typeName} số ${d.code_number}/${d.code_notation}`
      const signature = signatureRow(d.edxml, ctx.lang)
      const row = (label: string, value: string) => (
        <tr>
          <th scope="row" safe>
            {label}
          </th>
          <td safe>{value}</td>
        </tr>
      )
      return sendPage(
        reply,
        <Layout ctx={ctx} title={title} wide>
          <h1 safe>{title}</h1>
          <p class="lead" safe>
            {d.summary}
          </p>
          {d.confidentiality !== 'normal' ? (
            <p class="notice" role="note" safe>
              {t('confidentialNotice', { level: confidentialityLabel[d.confidentiality] })}
            </p>
          ) : (
            ''
          )}
          {d.withdrawn_at ? (
            <div class="notice" role="note" id="withdrawn">
              <p safe>
                {t(d.status === 'replaced' ? 'replacedNotice' : 'recalledNotice', {
                  at: formatDateTime(d.withdrawn_at, ctx.lang),
                  reason: d.withdrawn_reason ?? '',
                })}
              </p>
              {d.replaced_by ? (
                <p>
                  <a href={documentPaths.document(d.replaced_by)} safe>
                    {t('openReplacement')}
                  </a>
                </p>
              ) : (
                ''
              )}
            </div>
          ) : d.amended_at ? (
            <p class="notice" role="note" id="amended" safe>
              {t('amendedNotice', {
                at: formatDateTime(d.amended_at, ctx.lang),
                reason: d.amended_reason ?? '',
              })}
            </p>
          ) : (
            ''
          )}
          <ErrorSummary errors={errors} title={summaryTitle} />
          <table id="metadata">
            <tbody>
              {row(t('registeredIn'), `${view.registerName}, ${t('number').toLowerCase()} ${d.number}`)}
              {row(t('receivedAt'), formatDateTime(d.received_at, ctx.lang))}
              {row(t('issuer'), d.issuer_code ? `${d.issuer_name} (${d.issuer_code})` : d.issuer_name)}
              {row(t('issuedOn'), `${d.issue_place ? `${d.issue_place}, ` : ''}${dayText(d.issued_on)}`)}
              {row(
                t('signer'),
                [d.signer_competence, d.signer_position, d.signer_name].filter(Boolean).join(' — '),
              )}
              {row(t('urgency'), urgencyLabel[d.urgency])}
              {row(t('confidentiality'), confidentialityLabel[d.confidentiality])}
              {row(t('dueAt'), dayText(d.due_on))}
              {row(t('source'), sourceLabel[d.source])}
              {signature ? row(signature.label, signature.text) : ''}
              {row(t('status'), statusLabel[d.status])}
            </tbody>
          </table>
          {d.content ? (
            <>
              <h2 safe>{t('content')}</h2>
              <p class="prewrap" safe>
                {d.content}
              </p>
            </>
          ) : (
            ''
          )}
          <h2 safe>{t('attachments')}</h2>
          {view.files.length === 0 ? (
            <p class="muted" safe>
              {t('noFiles')}
            </p>
          ) : (
            <ul class="files" id="files-list">
              {view.files.map((f) => (
                <li>
                  <a href={documentPaths.file(d.id, f.id)} safe>
                    {f.fileName}
                  </a>{' '}
                  <span class="muted" safe>{`(${formatSize(f.size, ctx.lang)})`}</span>{' '}
                  <span class="text-state muted" data-state={f.text.state} safe>
                    {fileTextStateLabel(f.text)}
                  </span>
                </li>
              ))}
            </ul>
          )}
          {d.confidentiality === 'normal' && view.files.length > 0 ? (
            <p>
              <a href={documentPaths.edxml(d.id)} type="application/xml" safe>
                {t('exportEdxml')}
              </a>
            </p>
          ) : (
            ''
          )}
          <OutgoingLinks
            document={d}
            canReply={can(actor, Permission.documentsProcess)}
            canRefuse={view.canAddFiles}
            lang={ctx.lang}
          />
          {view.canAddFiles ? (
            <form method="post" action={documentPaths.files(d.id)} enctype="multipart/form-data" novalidate>
              <CsrfField token={ctx.csrf} />
              <div class={errors?.files ? 'field field-error' : 'field'}>
                <label for="files" safe>
                  {t('addFiles')}
                </label>
                {errors?.files ? (
                  <p class="error-message" id="files-error" lang="vi" safe>
                    {errors.files}
                  </p>
                ) : (
                  ''
                )}
                <input type="file" id="files" name="files" multiple />
              </div>
              <button type="submit" class="secondary" safe>
                {t('upload')}
              </button>
            </form>
          ) : (
            ''
          )}
          <h2 safe>{t('assignments')}</h2>
          {view.assignments.length === 0 ? (
            <p class="muted" safe>
              {t('noAssignments')}
            </p>
          ) : (
            <table id="assignments">
              <thead>
                <tr>
                  <th scope="col" safe>
                    {t('assignee')}
                  </th>
                  <th scope="col" safe>
                    {t('role')}
                  </th>
                  <th scope="col" safe>
                    {t('dueAt')}
                  </th>
                  <th scope="col" safe>
                    {t('status')}
                  </th>
                  <th scope="col" safe>
                    {t('directionNote')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {view.assignments.map((a) => (
                  <tr>
                    <td safe>{a.assignee_name}</td>
                    <td safe>{roleLabel[a.role]}</td>
                    <td>
                      <span safe>{formatDateTime(a.due_at, ctx.lang)}</span>{' '}
                      {a.status === 'open' ? <StateTag state={a.state} t={t} /> : ''}
                    </td>
                    <td safe>{assignmentStatusLabel[a.status]}</td>
                    <td safe>{a.note ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {view.canAssign ? (
            <form method="post" action={documentPaths.assign(d.id)} novalidate id="assign-form">
              <CsrfField token={ctx.csrf} />
              <h3 safe>{t('assignNew')}</h3>
              <AssigneeSelect
                name="lead"
                label={t('lead')}
                units={unitOptions}
                people={peopleOptions}
                unitsLabel={t('unitsGroup')}
                peopleLabel={t('peopleGroup')}
                selected={values.lead ? [values.lead] : []}
                error={errors?.lead}
              />
              <AssigneeSelect
                name="support"
                label={t('support')}
                units={unitOptions}
                people={peopleOptions}
                unitsLabel={t('unitsGroup')}
                peopleLabel={t('peopleGroup')}
                error={errors?.support}
                multiple
              />
              <TextField
                name="days"
                label={t('days')}
                hint={d.due_on ? `${t('daysHint')} (${dayText(d.due_on)})` : undefined}
                value={values.days}
                error={errors?.days}
                inputmode="numeric"
                maxlength={3}
              />
              <TextArea
                name="note"
                label={t('directionNote')}
                value={values.note}
                error={errors?.note}
                maxlength={2000}
              />
              <button type="submit" safe>
                {t('assignSubmit')}
              </button>
            </form>
          ) : (
            ''
          )}
          {acting.map((a) => {
            const prefix = `act-${a.id}`
            return (
              <form method="post" action={documentPaths.act(d.id, a.id)} novalidate class="act-form">
                <CsrfField token={ctx.csrf} />
                <h3 safe>{t('actTitle', { name: `${a.assignee_name} (${roleLabel[a.role]})` })}</h3>
                <div class="field">
                  <label for={`${prefix}-action`} safe>
                    {t('action')}
                  </label>
                  <select id={`${prefix}-action`} name="action">
                    {a.actions.map((action) => (
                      <option value={action} safe>
                        {actionLabel[action] ?? action}
                      </option>
                    ))}
                  </select>
                </div>
                <TextArea
                  name={`${prefix}-note`}
                  label={t('note')}
                  error={errors?.[`${prefix}-note`]}
                  maxlength={4000}
                />
                <AssigneeSelect
                  name="to"
                  id={`${prefix}-to`}
                  label={t('forwardTo')}
                  units={unitOptions}
                  people={peopleOptions}
                  unitsLabel={t('unitsGroup')}
                  peopleLabel={t('peopleGroup')}
                  error={errors?.[`${prefix}-to`]}
                />
                <button type="submit" safe>
                  {t('actSubmit')}
                </button>
              </form>
            )
          })}
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
                  <td safe>{actionLabel[h.action] ?? h.action}</td>
                  <td safe>{h.actor_name ?? ''}</td>
                  <td safe>{h.note ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {view.statusMessages.length > 0 ? (
            <>
              <h2 safe>{t('statusMessages')}</h2>
              <ul id="status-messages">
                {view.statusMessages.map((m) => (
                  <li
                    safe
                  >{`${m.status_code} — ${m.description} (${formatDateTime(m.created_at, ctx.lang)}; ${
                    m.sent_at ? t('sent') : t('pending')
                  })`}</li>
                ))}
              </ul>
            </>
          ) : (
            ''
          )}
        </Layout>,
        status,
      )
    }

    type Params = { id: string }
    app.get('/admin/documents/:id', async (request, reply) =>
      renderDocument(request, reply, (request.params as Params).id),
    )

    app.post('/admin/documents/:id/assign', async (request, reply) => {
      const actor = requireOfficial(request)
      const { id } = request.params as Params
      const body = (request.body ?? {}) as Record<string, string | string[] | undefined>
      try {
        await documents.assign(actor, auditContext(request), id, body)
      } catch (error) {
        const values = { lead: body.lead as string, days: body.days as string, note: body.note as string }
        if (error instanceof ValidationError)
          return renderDocument(request, reply, id, error.fields, 422, values)
        if (error instanceof AppError && error.statusCode === 409)
          return renderDocument(request, reply, id, { lead: error.message }, 409, values)
        throw error
      }
      return redirectWithFlash(
        reply,
        documentPaths.document(id),
        translator(messages, request.lang)('assigned'),
      )
    })

    app.post('/admin/documents/:id/assignments/:assignmentId', async (request, reply) => {
      const actor = requireOfficial(request)
      const { id, assignmentId } = request.params as Params & { assignmentId: string }
      const body = (request.body ?? {}) as Form
      const prefix = `act-${assignmentId}`
      try {
        await documents.act(actor, auditContext(request), id, assignmentId, {
          action: body.action,
          note: body[`${prefix}-note`],
          to: body.to,
        })
      } catch (error) {
        if (error instanceof ValidationError) {
          const fields = Object.fromEntries(
            Object.entries(error.fields).map(([k, v]) => [`${prefix}-${k === 'action' ? 'note' : k}`, v]),
          )
          return renderDocument(request, reply, id, fields, 422)
        }
        if (error instanceof AppError && error.statusCode === 409)
          return renderDocument(request, reply, id, { [`${prefix}-note`]: error.message }, 409)
        throw error
      }
      return redirectWithFlash(
        reply,
        documentPaths.document(id),
        translator(messages, request.lang)('actionDone', { action: actionLabel[body.action ?? ''] ?? '' }),
      )
    })

    app.post('/admin/documents/:id/files', { config: { multipart: true } }, async (request, reply) => {
      const actor = requireOfficial(request)
      const { id } = request.params as Params
      const stored: StoredAttachment[] = []
      try {
        await readMultipart(request, secretKey, async (file) => {
          if (file.field === 'files') stored.push(await documents.storeUpload(file.stream, file.fileName))
        })
        await documents.addFiles(actor, auditContext(request), id, stored)
      } catch (error) {
        await documents.discard(stored)
        if (error instanceof ValidationError)
          return renderDocument(request, reply, id, { files: error.message }, 422)
        throw error
      }
      return redirectWithFlash(
        reply,
        documentPaths.document(id),
        translator(messages, request.lang)('filesAdded'),
      )
    })

    app.get('/admin/documents/:id/files/:fileId', async (request, reply) => {
      const actor = requireOfficial(request)
      const { id, fileId } = request.params as Params & { fileId: string }
      const { file, stream } = await documents.openFile(actor, auditContext(request), id, fileId)
      return sendFile(reply, file, stream)
    })

    app.get('/admin/documents/:id/edxml', async (request, reply) => {
      const actor = requireOfficial(request)
      const { xml, fileName } = await documents.exportEdxml(
        actor,
        auditContext(request),
        (request.params as Params).id,
      )
      return sendFile(reply, { fileName, mime: 'application/xml; charset=utf-8' }, xml)
    })
  }
}
