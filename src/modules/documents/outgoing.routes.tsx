import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { authorize, can, UnauthenticatedError, type Actor } from '../../platform/auth/actor.js'
import { Permission } from '../../platform/auth/roles.js'
import type { Config } from '../../platform/config.js'
import { AppError, ValidationError, type FieldErrors } from '../../platform/http/errors.js'
import { auditContext, redirectWithFlash, sendPage } from '../../platform/http/plugin.js'
import { readMultipart } from '../../platform/http/uploads.js'
import { common } from '../../platform/i18n/common.js'
import { translator } from '../../platform/i18n/index.js'
import { CsrfField, ErrorSummary, SelectField, TextField } from '../../platform/views/components.js'
import type { PageContext } from '../../platform/views/context.js'
import { formatDateTime } from '../../platform/views/format.js'
import { Layout } from '../../platform/views/layout.js'
import type { StoredAttachment } from './document-files.js'
import { CONFIDENTIALITIES, confidentialityLabel, URGENCIES, urgencyLabel } from './document-rules.js'
import { statusDescription, type StatusCode } from './edxml.js'
import { documentPaths } from './documents.paths.js'
import { dayText, formatSize, sendFile, TextArea } from './documents.view.js'
import {
  OUTGOING_STATUSES,
  outgoingActionLabel,
  outgoingStatusLabel,
  recipientStatusLabel,
  stepKindLabel,
  stepStatusLabel,
} from './outgoing-rules.js'
import { outgoingMessages, type OutgoingKey } from './outgoing.locales.js'
import { outgoingPaths } from './outgoing.paths.js'
import { ChainSelect } from './outgoing.view.js'
import type { OutgoingService } from './outgoing.service.js'

type Form = Record<string, string | string[] | undefined>

function requireOfficial(request: FastifyRequest): Actor {
  if (!request.actor) throw new UnauthenticatedError()
  authorize(request.actor, Permission.backofficeAccess)
  return request.actor
}

const codeText = (o: { code_number: string | null; code_notation: string | null }): string =>
  o.code_number ? `${o.code_number}/${o.code_notation ?? ''}` : '—'

const one = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value) ?? ''

/** Checkboxes named `internal_<unit id>` (multipart keeps one value per name) become the list of units. */
function internalUnitsOf(form: Form): string[] {
  return Object.keys(form)
    .filter((k) => k.startsWith('internal_'))
    .map((k) => k.slice('internal_'.length))
}

export function outgoingRoutes(
  outgoing: OutgoingService,
  { secretKey, uploadMaxBytes }: Pick<Config, 'secretKey' | 'uploadMaxBytes'>,
) {
  return async function routes(app: FastifyInstance) {
    const texts = (ctx: PageContext) => ({
      t: translator(outgoingMessages, ctx.lang),
      summaryTitle: translator(common, ctx.lang)('errorSummaryTitle'),
    })

    // ---------------------------------------------------------------------------------------------------
    // List

    app.get(outgoingPaths.list, async (request, reply) => {
      const actor = requireOfficial(request)
      const query = request.query as Record<string, string | undefined>
      const ctx = app.pageContext(request, reply)
      const { t, summaryTitle } = texts(ctx)
      let result: Awaited<ReturnType<OutgoingService['list']>> = { items: [], next: null }
      let errors: FieldErrors | undefined
      try {
        result = await outgoing.list(actor, query)
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error
        errors = error.fields
      }
      const box = query.box ?? 'all'
      const link = (b: string, key: OutgoingKey) =>
        b === box ? (
          <strong safe>{t(key)}</strong>
        ) : (
          <a href={`${outgoingPaths.list}?box=${b}`} safe>
            {t(key)}
          </a>
        )
      const next = result.next
        ? `${outgoingPaths.list}?${new URLSearchParams({
            ...Object.fromEntries(Object.entries(query).filter(([, v]) => typeof v === 'string')),
            before: result.next,
          } as Record<string, string>).toString()}`
        : null
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('listTitle')} wide>
          <h1 safe>{t('listTitle')}</h1>
          <ul class="cards">
            {can(actor, Permission.documentsProcess) ? (
              <li>
                <a href={outgoingPaths.create} safe>
                  {t('newDraft')}
                </a>
              </li>
            ) : (
              ''
            )}
            {can(actor, Permission.documentsIssue) || can(actor, Permission.documentsApprove) ? (
              <li>
                <a href={outgoingPaths.register} safe>
                  {t('registerTitle')}
                </a>
              </li>
            ) : (
              ''
            )}
          </ul>
          <p class="tabs">
            {link('pending', 'boxPending')} · {link('mine', 'boxMine')} · {link('all', 'boxAll')}
          </p>
          <ErrorSummary errors={errors} title={summaryTitle} />
          <form method="get" action={outgoingPaths.list} class="filters" role="search" novalidate>
            <input type="hidden" name="box" value={box} />
            <TextField name="q" label={t('searchLabel')} value={query.q} />
            <SelectField
              name="status"
              label={t('status')}
              emptyLabel={t('all')}
              options={OUTGOING_STATUSES.map((s) => ({ value: s, label: outgoingStatusLabel[s] }))}
              value={query.status}
              error={errors?.status}
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
            <table id="outgoing">
              <thead>
                <tr>
                  <th scope="col" safe>
                    {t('summary')}
                  </th>
                  <th scope="col" safe>
                    {t('code')}
                  </th>
                  <th scope="col" safe>
                    {t('drafter')}
                  </th>
                  <th scope="col" safe>
                    {t('status')}
                  </th>
                  <th scope="col" safe>
                    {t('updatedAt')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {result.items.map((o) => (
                  <tr>
                    <td>
                      <a href={outgoingPaths.document(o.id)} safe>
                        {o.summary}
                      </a>
                      <br />
                      <span class="muted" safe>
                        {o.type_name}
                      </span>
                    </td>
                    <td safe>{codeText(o)}</td>
                    <td safe>{o.drafter_name}</td>
                    <td safe>{outgoingStatusLabel[o.status]}</td>
                    <td safe>{formatDateTime(o.updated_at, ctx.lang)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {next ? (
            <p>
              <a href={next} rel="next" safe>
                {t('nextPage')}
              </a>
            </p>
          ) : (
            ''
          )}
        </Layout>,
        errors ? 422 : 200,
      )
    })

    // ---------------------------------------------------------------------------------------------------
    // Draft form (new and edit): multipart, because of the PDF.

    async function renderForm(
      request: FastifyRequest,
      reply: FastifyReply,
      actor: Actor,
      values: Form,
      mode: { kind: 'new' } | { kind: 'edit'; id: string; version: number },
      errors?: FieldErrors,
      status = 200,
    ) {
      const ctx = app.pageContext(request, reply)
      const { t, summaryTitle } = texts(ctx)
      const choices = await outgoing.draftChoices(actor)
      const chosen = new Set(
        Array.isArray(values.internalUnits)
          ? values.internalUnits
          : values.internalUnits
            ? [values.internalUnits]
            : [],
      )
      const title =
        mode.kind === 'new' ? t('newTitle') : `${t('editTitle')} (${t('version')} ${mode.version + 1})`
      const action = mode.kind === 'new' ? outgoingPaths.create : outgoingPaths.edit(mode.id)
      return sendPage(
        reply,
        <Layout ctx={ctx} title={title}>
          <h1 safe>{title}</h1>
          <ErrorSummary errors={errors} title={summaryTitle} />
          <form method="post" action={action} enctype="multipart/form-data" novalidate id="draft-form">
            <CsrfField token={ctx.csrf} />
            {mode.kind === 'new' && choices.units.length > 1 ? (
              <SelectField
                name="unitId"
                label={t('unit')}
                emptyLabel="—"
                options={choices.units.map((u) => ({ value: u.id, label: u.name }))}
                value={one(values.unitId)}
                error={errors?.unitId}
                required
              />
            ) : mode.kind === 'new' ? (
              <input type="hidden" name="unitId" value={choices.units[0]?.id ?? ''} />
            ) : (
              ''
            )}
            {one(values.replyTo) ? (
              <>
                <input type="hidden" name="replyTo" value={one(values.replyTo)} />
                <p id="replyTo">
                  <span safe>{`${t('replyTo')}: `}</span>
                  <a href={documentPaths.document(one(values.replyTo))} safe>
                    {t('openIncoming')}
                  </a>
                  {errors?.replyTo ? (
                    <span class="error-message" safe>
                      {` ${errors.replyTo}`}
                    </span>
                  ) : (
                    ''
                  )}
                </p>
              </>
            ) : (
              ''
            )}
            {one(values.replaces) ? (
              <>
                <input type="hidden" name="replaces" value={one(values.replaces)} />
                <p id="replaces">
                  <span safe>{`${t('replacesNotice')}: `}</span>
                  <a href={outgoingPaths.document(one(values.replaces))} safe>
                    {t('openReplaced')}
                  </a>
                  {errors?.replaces ? (
                    <span class="error-message" safe>
                      {` ${errors.replaces}`}
                    </span>
                  ) : (
                    ''
                  )}
                </p>
              </>
            ) : (
              ''
            )}
            <SelectField
              name="typeCode"
              label={t('type')}
              emptyLabel="—"
              options={choices.types.map((ty) => ({ value: ty.code, label: ty.name }))}
              value={one(values.typeCode)}
              error={errors?.typeCode}
              required
            />
            <TextField
              name="division"
              label={t('division')}
              hint={t('divisionHint')}
              value={one(values.division)}
              error={errors?.division}
              maxlength={20}
            />
            <TextArea
              name="summary"
              label={t('summary')}
              value={one(values.summary)}
              error={errors?.summary}
              maxlength={2000}
              required
            />
            <TextArea
              name="content"
              label={t('content')}
              value={one(values.content)}
              error={errors?.content}
              rows={5}
            />
            <SelectField
              name="urgency"
              label={t('urgency')}
              options={URGENCIES.map((u) => ({ value: u, label: urgencyLabel[u] }))}
              value={one(values.urgency)}
              error={errors?.urgency}
            />
            <SelectField
              name="confidentiality"
              label={t('confidentiality')}
              options={CONFIDENTIALITIES.map((c) => ({ value: c, label: confidentialityLabel[c] }))}
              value={one(values.confidentiality)}
              error={errors?.confidentiality}
            />
            <TextField
              name="dueOn"
              label={t('dueOn')}
              type="date"
              value={one(values.dueOn)}
              error={errors?.dueOn}
            />
            <fieldset id="recipients" class={errors?.recipients ? 'field field-error' : 'field'}>
              <legend safe>{t('recipients')}</legend>
              {errors?.recipients ? (
                <p class="error-message" id="recipients-error" lang="vi" safe>
                  {errors.recipients}
                </p>
              ) : (
                ''
              )}
              <details open={chosen.size > 0 ? true : undefined}>
                <summary safe>{t('internalUnits')}</summary>
                <p class="hint" safe>
                  {t('internalHint')}
                </p>
                <ul class="checkboxes">
                  {choices.recipients.map((u) => (
                    <li>
                      <label>
                        <input
                          type="checkbox"
                          name={`internal_${u.id}`}
                          value="1"
                          checked={chosen.has(u.id)}
                        />{' '}
                        <span safe>{u.name}</span>
                      </label>
                    </li>
                  ))}
                </ul>
              </details>
              <TextArea
                name="external"
                label={t('external')}
                hint={t('externalHint')}
                value={one(values.external)}
                rows={3}
              />
            </fieldset>
            <div class={errors?.file ? 'field field-error' : 'field'}>
              <label for="file" safe>
                {t('file')}
              </label>
              <p class="hint" id="file-hint" safe>
                {`${t('fileHint', { size: formatSize(uploadMaxBytes, ctx.lang) })}${mode.kind === 'edit' ? ` ${t('fileKeep')}` : ''}`}
              </p>
              {errors?.file ? (
                <p class="error-message" id="file-error" lang="vi" safe>
                  {errors.file}
                </p>
              ) : (
                ''
              )}
              <input
                type="file"
                id="file"
                name="file"
                accept=".pdf,application/pdf"
                aria-describedby={errors?.file ? 'file-hint file-error' : 'file-hint'}
              />
            </div>
            {mode.kind === 'edit' ? (
              <TextField name="note" label={t('versionNote')} value={one(values.note)} error={errors?.note} />
            ) : (
              ''
            )}
            <button type="submit" safe>
              {mode.kind === 'new' ? t('saveDraft') : t('saveVersion')}
            </button>
          </form>
        </Layout>,
        status,
      )
    }

    /** Reads the draft form, storing its PDF (checked) on the way; a refused file is a field error. */
    async function readDraftForm(request: FastifyRequest) {
      let file: StoredAttachment | undefined
      const fileErrors: FieldErrors = {}
      let body: Form
      try {
        body = !request.isMultipart()
          ? ((request.body ?? {}) as Form)
          : await readMultipart(request, secretKey, async (part) => {
              if (part.field !== 'file' || file) return
              try {
                file = await outgoing.storeDraftFile(part.stream, part.fileName)
              } catch (error) {
                if (!(error instanceof ValidationError)) throw error
                fileErrors.file = error.fields.file ?? error.message
              }
            })
      } catch (error) {
        await outgoing.discard([file])
        throw error
      }
      const values: Form = { ...body, internalUnits: internalUnitsOf(body) }
      return { values, file, fileErrors }
    }

    app.get(outgoingPaths.create, async (request, reply) => {
      const actor = requireOfficial(request)
      authorize(actor, Permission.documentsProcess)
      const query = request.query as Form
      const replaces = one(query.replaces)
      if (replaces) {
        // A replacement starts from the document it replaces: same type, summary and recipients.
        const old = await outgoing.get(actor, auditContext(request), replaces)
        const o = old.outgoing
        return renderForm(
          request,
          reply,
          actor,
          {
            replaces: o.id,
            typeCode: o.type_code,
            division: o.division ?? '',
            summary: o.summary,
            content: o.content ?? '',
            urgency: o.urgency,
            confidentiality: o.confidentiality,
            dueOn: o.due_on ?? '',
            internalUnits: old.recipients.flatMap((r) => (r.unit_id ? [r.unit_id] : [])),
            external: old.recipients
              .filter((r) => r.kind === 'external')
              .map((r) => `${r.agency_code} ${r.name}`)
              .join('\n'),
          },
          { kind: 'new' },
        )
      }
      return renderForm(request, reply, actor, { replyTo: one(query.replyTo) }, { kind: 'new' })
    })

    app.post(outgoingPaths.create, { config: { multipart: true } }, async (request, reply) => {
      const actor = requireOfficial(request)
      authorize(actor, Permission.documentsProcess)
      const { values, file, fileErrors } = await readDraftForm(request)
      if (fileErrors.file) return renderForm(request, reply, actor, values, { kind: 'new' }, fileErrors, 422)
      try {
        const created = await outgoing.create(actor, auditContext(request), values, file)
        return redirectWithFlash(
          reply,
          outgoingPaths.document(created.id),
          translator(outgoingMessages, request.lang)('created'),
        )
      } catch (error) {
        if (error instanceof ValidationError)
          return renderForm(request, reply, actor, values, { kind: 'new' }, error.fields, 422)
        throw error
      }
    })

    type Params = { id: string }

    app.get('/admin/documents/outgoing/:id/edit', async (request, reply) => {
      const actor = requireOfficial(request)
      const { id } = request.params as Params
      const view = await outgoing.get(actor, auditContext(request), id)
      const o = view.outgoing
      if (!view.can.edit) return reply.redirect(outgoingPaths.document(o.id), 303)
      return renderForm(
        request,
        reply,
        actor,
        {
          typeCode: o.type_code,
          division: o.division ?? '',
          summary: o.summary,
          content: o.content ?? '',
          urgency: o.urgency,
          confidentiality: o.confidentiality,
          dueOn: o.due_on ?? '',
          replyTo: o.reply_to ?? '',
          internalUnits: view.recipients.flatMap((r) => (r.unit_id ? [r.unit_id] : [])),
          external: view.recipients
            .filter((r) => r.kind === 'external')
            .map((r) => `${r.agency_code} ${r.name}`)
            .join('\n'),
        },
        { kind: 'edit', id: o.id, version: o.version },
      )
    })

    app.post(
      '/admin/documents/outgoing/:id/edit',
      { config: { multipart: true } },
      async (request, reply) => {
        const actor = requireOfficial(request)
        const { id } = request.params as Params
        const { values, file, fileErrors } = await readDraftForm(request)
        const current = await outgoing.get(actor, auditContext(request), id).catch(async (error: unknown) => {
          await outgoing.discard([file])
          throw error
        })
        const mode = { kind: 'edit' as const, id, version: current.outgoing.version }
        if (fileErrors.file) return renderForm(request, reply, actor, values, mode, fileErrors, 422)
        try {
          const updated = await outgoing.edit(actor, auditContext(request), id, values, file)
          return redirectWithFlash(
            reply,
            outgoingPaths.document(id),
            translator(outgoingMessages, request.lang)('edited', { version: updated.version }),
          )
        } catch (error) {
          if (error instanceof ValidationError)
            return renderForm(request, reply, actor, values, mode, error.fields, 422)
          if (error instanceof AppError && error.statusCode === 409)
            return renderForm(request, reply, actor, values, mode, { summary: error.message }, 409)
          throw error
        }
      },
    )

    // ---------------------------------------------------------------------------------------------------
    // The document's page

    async function renderDocument(
      request: FastifyRequest,
      reply: FastifyReply,
      id: string,
      errors?: FieldErrors,
      status = 200,
      values: Form = {},
    ) {
      const actor = requireOfficial(request)
      const view = await outgoing.get(actor, auditContext(request), id)
      const o = view.outgoing
      const ctx = app.pageContext(request, reply)
      const { t, summaryTitle } = texts(ctx)
      const people = view.can.submit || view.can.act ? await outgoing.candidates(actor, o.id) : []
      const title = o.code_number
        ? `${view.typeName} số ${o.code_number}/${o.code_notation}`
        : `${view.typeName} (${outgoingStatusLabel[o.status]})`
      const row = (label: string, value: string) => (
        <tr>
          <th scope="row" safe>
            {label}
          </th>
          <td safe>{value}</td>
        </tr>
      )
      const rounds = [...new Set(view.steps.map((s) => s.round))].sort((a, b) => b - a)
      const channelText = (channel: string | null): string =>
        channel ? t(channel === 'lgsp' ? 'channel_lgsp' : 'channel_download') : ''
      // The last status the recipient reported: 01–06, 13 while a recall waits, 15/16 for the answer.
      const reportedText = (r: (typeof view.recipients)[number]): string =>
        r.exchange_status
          ? `${r.exchange_status} — ${r.exchange_note ?? statusDescription[r.exchange_status as StatusCode] ?? ''}${
              r.exchange_at ? ` (${formatDateTime(r.exchange_at, ctx.lang)})` : ''
            }`
          : ''
      const chainValues = Array.isArray(values.chain) ? values.chain : values.chain ? [values.chain] : []
      // The update and recall forms both send a "reason": the summary links to the field of the form sent.
      const sentForm = one(values.form)
      const summaryErrors =
        errors?.reason && (sentForm === 'update' || sentForm === 'recall')
          ? Object.fromEntries(
              Object.entries(errors).map(([field, message]) => [
                field === 'reason' ? `${sentForm}-reason` : field,
                message,
              ]),
            )
          : errors
      return sendPage(
        reply,
        <Layout ctx={ctx} title={title} wide>
          <h1 safe>{title}</h1>
          <p class="lead" safe>
            {o.summary}
          </p>
          {o.confidentiality !== 'normal' ? (
            <p class="notice" role="note" safe>
              {t('confidentialNotice', { level: confidentialityLabel[o.confidentiality] })}
            </p>
          ) : (
            ''
          )}
          {o.withdrawn && o.withdrawn_at ? (
            <div class="notice" role="note" id="withdrawn">
              <p safe>
                {t(o.withdrawn === 'recalled' ? 'withdrawnRecalled' : 'withdrawnReplaced', {
                  at: formatDateTime(o.withdrawn_at, ctx.lang),
                  reason: o.withdrawn_reason ?? '',
                })}
              </p>
              {view.replacedBy ? (
                <p>
                  <a href={outgoingPaths.document(view.replacedBy.id)} safe>
                    {`${t('openReplacement')}${view.replacedBy.code ? ` (${view.replacedBy.code})` : ''}`}
                  </a>
                </p>
              ) : (
                ''
              )}
            </div>
          ) : (
            ''
          )}
          {view.replaces ? (
            <p id="replaces">
              <span safe>{`${t('replacesNotice')}: `}</span>
              <a href={outgoingPaths.document(view.replaces.id)} safe>
                {view.replaces.code ?? t('openReplaced')}
              </a>
            </p>
          ) : (
            ''
          )}
          <ErrorSummary errors={summaryErrors} title={summaryTitle} />
          <table id="metadata">
            <tbody>
              {row(t('status'), outgoingStatusLabel[o.status])}
              {row(t('unit'), view.unit.name)}
              {row(t('drafter'), o.drafter_name)}
              {o.code_number ? row(t('code'), `${o.code_number}/${o.code_notation}`) : ''}
              {o.issued_on ? row(t('issuedOn'), `${dayText(o.issued_on)} — ${view.registerName ?? ''}`) : ''}
              {o.signer_name
                ? row(
                    t('signer'),
                    [o.signer_competence, o.signer_position, o.signer_name].filter(Boolean).join(' — '),
                  )
                : ''}
              {row(t('urgency'), urgencyLabel[o.urgency])}
              {row(t('confidentiality'), confidentialityLabel[o.confidentiality])}
              {o.due_on ? row(t('dueOn'), dayText(o.due_on)) : ''}
              {row(t('version'), String(o.version))}
            </tbody>
          </table>
          {view.replyTo ? (
            <p id="reply-to">
              <span safe>{`${t('replyTo')}: `}</span>
              <a href={documentPaths.document(view.replyTo.id)} safe>
                {view.replyTo.code
                  ? `${view.replyTo.code} — ${view.replyTo.summary ?? ''}`
                  : t('openIncoming')}
              </a>
            </p>
          ) : (
            ''
          )}
          {o.content ? (
            <>
              <h2 safe>{t('content')}</h2>
              <p class="prewrap" safe>
                {o.content}
              </p>
            </>
          ) : (
            ''
          )}
          {o.status === 'issued' && o.signed_object_key ? (
            <section id="signed">
              <h2 safe>{t('signedFile')}</h2>
              <p>
                <a href={outgoingPaths.signed(o.id)} safe>
                  {o.signed_file_name ?? 'van-ban.pdf'}
                </a>{' '}
                <span
                  class="muted"
                  safe
                >{`(${formatSize(o.signed_size ?? 0, ctx.lang)}, SHA-256 ${o.signed_sha256 ?? ''})`}</span>
              </p>
              <p class="hint">
                <span safe>{`${t('verifyHint')} `}</span>
                <a href="/verify" safe>
                  {t('verifyLink')}
                </a>
              </p>
              {view.can.package ? (
                <>
                  <p>
                    <a href={outgoingPaths.edxml(o.id)} id="edxml-package" type="application/xml" safe>
                      {t('edxmlPackage')}
                    </a>
                  </p>
                  <p class="hint" safe>
                    {t('lgspLater')}
                  </p>
                </>
              ) : (
                ''
              )}
              {view.can.recallPackage ? (
                <p>
                  <a href={outgoingPaths.edxml(o.id, 'recall')} id="edxml-recall" type="application/xml" safe>
                    {t('recallPackage')}
                  </a>
                </p>
              ) : (
                ''
              )}
              {view.can.updatePackage && view.can.package ? (
                <p>
                  <a href={outgoingPaths.edxml(o.id, 'update')} id="edxml-update" type="application/xml" safe>
                    {t('updatePackage')}
                  </a>
                </p>
              ) : (
                ''
              )}
            </section>
          ) : (
            ''
          )}
          <h2 safe>{t('recipients')}</h2>
          {errors?.['recipient-resend'] ? (
            <p class="error-message" id="recipient-resend" lang="vi" safe>
              {errors['recipient-resend']}
            </p>
          ) : (
            ''
          )}
          <table id="recipients-table">
            <thead>
              <tr>
                <th scope="col" safe>
                  {t('recipientName')}
                </th>
                <th scope="col" safe>
                  {t('recipientKind')}
                </th>
                <th scope="col" safe>
                  {t('recipientStatus')}
                </th>
                <th scope="col" safe>
                  {t('channel')}
                </th>
                <th scope="col" safe>
                  {t('exchangeStatus')}
                </th>
                {view.resendable.length > 0 ? (
                  <th scope="col" safe>
                    {t('resendColumn')}
                  </th>
                ) : (
                  ''
                )}
              </tr>
            </thead>
            <tbody>
              {view.recipients.map((r) => (
                <tr>
                  <td safe>{r.agency_code ? `${r.name} (${r.agency_code})` : r.name}</td>
                  <td safe>{t(r.kind === 'internal' ? 'kind_internal' : 'kind_external')}</td>
                  <td safe>{recipientStatusLabel[r.status]}</td>
                  <td safe>{channelText(r.channel)}</td>
                  <td safe>{reportedText(r)}</td>
                  {view.resendable.length > 0 ? (
                    <td>
                      {view.resendable.includes(r.id) ? (
                        <form method="post" action={outgoingPaths.resendTo(o.id, r.id)} novalidate>
                          <CsrfField token={ctx.csrf} />
                          <button type="submit" class="secondary" safe>
                            {t('resendOne')}
                          </button>
                        </form>
                      ) : (
                        ''
                      )}
                    </td>
                  ) : (
                    ''
                  )}
                </tr>
              ))}
            </tbody>
          </table>
          <h2 safe>{t('versions')}</h2>
          <table id="versions">
            <thead>
              <tr>
                <th scope="col" safe>
                  {t('version')}
                </th>
                <th scope="col" safe>
                  {t('summary')}
                </th>
                <th scope="col" safe>
                  {t('file')}
                </th>
                <th scope="col" safe>
                  {t('versionBy')}
                </th>
              </tr>
            </thead>
            <tbody>
              {view.versions.map((v) => (
                <tr>
                  <td safe>{String(v.version)}</td>
                  <td>
                    <span safe>{v.fields.summary}</span>
                    {v.note ? (
                      <>
                        <br />
                        <span class="muted" safe>
                          {v.note}
                        </span>
                      </>
                    ) : (
                      ''
                    )}
                  </td>
                  <td>
                    {v.object_key ? (
                      <a href={outgoingPaths.version(o.id, v.version)} safe>
                        {v.file_name ?? t('download')}
                      </a>
                    ) : (
                      <span class="muted" safe>
                        {t('file_none')}
                      </span>
                    )}
                  </td>
                  <td safe>{`${v.created_by_name}, ${formatDateTime(v.created_at, ctx.lang)}`}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {view.can.edit ? (
            <p>
              <a href={outgoingPaths.edit(o.id)} class="button secondary" safe>
                {t('edit')}
              </a>
            </p>
          ) : (
            ''
          )}
          {view.can.submit ? (
            <form method="post" action={outgoingPaths.submit(o.id)} novalidate id="submit-form">
              <CsrfField token={ctx.csrf} />
              <h2 safe>{t('submitTitle')}</h2>
              <p class="hint" safe>
                {t('submitHint')}
              </p>
              {errors?.chain ? (
                <p class="error-message" id="chain" lang="vi" safe>
                  {errors.chain}
                </p>
              ) : (
                ''
              )}
              {/* Up to two reviewers in order (the API takes longer chains), then the leader who approves. */}
              {[0, 1].map((index) => (
                <ChainSelect
                  index={index}
                  label={t('reviewer', { n: index + 1 })}
                  options={people.map((p) => ({ value: p.id, label: p.fullName }))}
                  value={chainValues.length === 3 ? chainValues[index] : undefined}
                />
              ))}
              <ChainSelect
                index={2}
                label={t('approver')}
                options={people.filter((p) => p.approver).map((p) => ({ value: p.id, label: p.fullName }))}
                value={chainValues.at(-1)}
              />
              <TextField name="note" label={t('note')} value={one(values.note)} error={errors?.note} />
              <button type="submit" safe>
                {t('submit')}
              </button>
            </form>
          ) : (
            ''
          )}
          {view.can.act ? (
            <form method="post" action={outgoingPaths.act(o.id)} novalidate id="step-form">
              <CsrfField token={ctx.csrf} />
              <h2 safe>{t('stepTitle')}</h2>
              <p class="hint" safe>
                {view.can.approveForIssue ? t('stepHintApprove') : t('stepHintReview')}
              </p>
              <SelectField
                name="action"
                label={t('action')}
                options={[
                  {
                    value: 'approve',
                    label: view.can.approveForIssue ? t('action_approveForIssue') : t('action_approve'),
                  },
                  { value: 'return', label: t('action_return') },
                  { value: 'forward', label: t('action_forward') },
                ]}
                value={one(values.action)}
                error={errors?.action}
              />
              <TextArea
                name="note"
                label={t('chainNote')}
                value={one(values.note)}
                error={errors?.note}
                maxlength={4000}
              />
              <SelectField
                name="to"
                label={t('forwardTo')}
                emptyLabel="—"
                options={people
                  .filter((p) => p.id !== actor.userId && (!view.can.approveForIssue || p.approver))
                  .map((p) => ({ value: p.id, label: p.fullName }))}
                value={one(values.to)}
                error={errors?.to}
              />
              {view.can.approveForIssue ? (
                <>
                  <TextField
                    name="signerPosition"
                    label={t('signerPosition')}
                    value={one(values.signerPosition)}
                    error={errors?.signerPosition}
                    maxlength={200}
                  />
                  <TextField
                    name="signerCompetence"
                    label={t('signerCompetence')}
                    value={one(values.signerCompetence)}
                    error={errors?.signerCompetence}
                    maxlength={100}
                  />
                </>
              ) : (
                ''
              )}
              <button type="submit" safe>
                {t('send')}
              </button>
            </form>
          ) : (
            ''
          )}
          {view.can.issue ? (
            <form method="post" action={outgoingPaths.issue(o.id)} novalidate id="issue-form">
              <CsrfField token={ctx.csrf} />
              <h2 safe>{t('issueTitle')}</h2>
              <p class="hint" safe>
                {t('issueHint')}
              </p>
              {errors?.issue ? (
                <p class="error-message" id="issue" lang="vi" safe>
                  {errors.issue}
                </p>
              ) : (
                ''
              )}
              <button type="submit" safe>
                {t('issue')}
              </button>
            </form>
          ) : (
            ''
          )}
          {view.can.resend ? (
            <form method="post" action={outgoingPaths.resend(o.id)} novalidate id="resend-form">
              <CsrfField token={ctx.csrf} />
              <p class="hint" safe>
                {t('resendHint')}
              </p>
              {errors?.resend ? (
                <p class="error-message" id="resend" lang="vi" safe>
                  {errors.resend}
                </p>
              ) : (
                ''
              )}
              <button type="submit" class="secondary" safe>
                {t('resend')}
              </button>
            </form>
          ) : (
            ''
          )}
          {view.can.recall || view.can.replace ? (
            <section id="amend">
              <h2 safe>{t('amendTitle')}</h2>
              <p class="hint" safe>
                {t('amendHint')}
              </p>
              {view.can.replace ? (
                <p>
                  <a href={outgoingPaths.replace(o.id)} class="button secondary" id="replace-link" safe>
                    {t('replaceLink')}
                  </a>
                </p>
              ) : (
                ''
              )}
              {view.can.recall ? (
                <>
                  <form method="post" action={outgoingPaths.update(o.id)} novalidate id="update-form">
                    <CsrfField token={ctx.csrf} />
                    <h3 safe>{t('updateTitle')}</h3>
                    <TextArea
                      name="summary"
                      label={t('summary')}
                      value={values.summary === undefined ? o.summary : one(values.summary)}
                      error={errors?.summary}
                      maxlength={2000}
                    />
                    <TextArea
                      name="content"
                      label={t('content')}
                      value={values.content === undefined ? (o.content ?? '') : one(values.content)}
                      error={errors?.content}
                      rows={4}
                    />
                    <TextField
                      name="dueOn"
                      label={t('dueOn')}
                      type="date"
                      value={values.dueOn === undefined ? (o.due_on ?? '') : one(values.dueOn)}
                      error={errors?.dueOn}
                    />
                    <TextArea
                      id="update-reason"
                      name="reason"
                      label={t('updateReason')}
                      value={values.form === 'update' ? one(values.reason) : ''}
                      error={values.form === 'update' ? errors?.reason : undefined}
                      maxlength={2000}
                    />
                    <input type="hidden" name="form" value="update" />
                    <button type="submit" class="secondary" safe>
                      {t('update')}
                    </button>
                  </form>
                  <form method="post" action={outgoingPaths.recall(o.id)} novalidate id="recall-form">
                    <CsrfField token={ctx.csrf} />
                    <h3 safe>{t('recallTitle')}</h3>
                    {errors?.recall ? (
                      <p class="error-message" lang="vi" safe>
                        {errors.recall}
                      </p>
                    ) : (
                      ''
                    )}
                    <TextArea
                      id="recall-reason"
                      name="reason"
                      label={t('recallReason')}
                      value={values.form === 'recall' ? one(values.reason) : ''}
                      error={values.form === 'recall' ? errors?.reason : undefined}
                      maxlength={2000}
                    />
                    <input type="hidden" name="form" value="recall" />
                    <button type="submit" class="danger" safe>
                      {t('recall')}
                    </button>
                  </form>
                </>
              ) : (
                ''
              )}
            </section>
          ) : (
            ''
          )}
          <h2 safe>{t('chainTitle')}</h2>
          {rounds.length === 0 ? (
            <p class="muted" safe>
              {t('none')}
            </p>
          ) : (
            rounds.map((round) => (
              <table class="chain" id={`round-${round}`}>
                <caption safe>{t('round', { round })}</caption>
                <thead>
                  <tr>
                    <th scope="col" safe>
                      {t('chainPerson')}
                    </th>
                    <th scope="col" safe>
                      {t('chainKind')}
                    </th>
                    <th scope="col" safe>
                      {t('chainStatus')}
                    </th>
                    <th scope="col" safe>
                      {t('chainNote')}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {view.steps
                    .filter((s) => s.round === round)
                    .map((s) => (
                      <tr class={`step-${s.status}`}>
                        <td safe>{s.user_name}</td>
                        <td safe>{stepKindLabel[s.kind]}</td>
                        <td
                          safe
                        >{`${stepStatusLabel[s.status]}${s.acted_at ? ` (${formatDateTime(s.acted_at, ctx.lang)})` : ''}`}</td>
                        <td safe>{s.note ?? ''}</td>
                      </tr>
                    ))}
                </tbody>
              </table>
            ))
          )}
          <h2 safe>{t('comments')}</h2>
          {view.comments.length === 0 ? (
            <p class="muted" safe>
              {t('noComments')}
            </p>
          ) : (
            <ul id="comments" class="comments">
              {view.comments.map((c) => (
                <li>
                  <strong safe>{c.author_name}</strong>{' '}
                  <span
                    class="muted"
                    safe
                  >{`(${t('onVersion', { version: c.version })}, ${formatDateTime(c.created_at, ctx.lang)})`}</span>
                  <p class="prewrap" safe>
                    {c.body}
                  </p>
                </li>
              ))}
            </ul>
          )}
          {view.can.comment ? (
            <form method="post" action={outgoingPaths.comment(o.id)} novalidate id="comment-form">
              <CsrfField token={ctx.csrf} />
              <TextArea
                name="body"
                label={t('commentBody')}
                value={one(values.body)}
                error={errors?.body}
                maxlength={4000}
              />
              <button type="submit" class="secondary" safe>
                {t('addComment')}
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
                  {t('actor')}
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
                  <td safe>{outgoingActionLabel[h.action] ?? h.action}</td>
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

    app.get('/admin/documents/outgoing/:id', async (request, reply) =>
      renderDocument(request, reply, (request.params as Params).id),
    )

    /** A form on the document's page: valid → back to the page with a message; invalid → the page with errors. */
    function pageForm(
      path: string,
      run: (actor: Actor, request: FastifyRequest, id: string, body: Form) => Promise<string>,
      conflictField: string,
    ) {
      app.post(path, async (request, reply) => {
        const actor = requireOfficial(request)
        const { id } = request.params as Params
        const body = (request.body ?? {}) as Form
        let message: string
        try {
          message = await run(actor, request, id, body)
        } catch (error) {
          if (error instanceof ValidationError)
            return renderDocument(request, reply, id, error.fields, 422, body)
          if (error instanceof AppError && error.statusCode === 409)
            return renderDocument(request, reply, id, { [conflictField]: error.message }, 409, body)
          throw error
        }
        return redirectWithFlash(reply, outgoingPaths.document(id), message)
      })
    }

    pageForm(
      '/admin/documents/outgoing/:id/comments',
      async (actor, request, id, body) => {
        await outgoing.comment(actor, auditContext(request), id, { body: one(body.body) })
        return translator(outgoingMessages, request.lang)('commented')
      },
      'body',
    )
    pageForm(
      '/admin/documents/outgoing/:id/submit',
      async (actor, request, id, body) => {
        await outgoing.submit(actor, auditContext(request), id, body)
        return translator(outgoingMessages, request.lang)('submitted')
      },
      'chain',
    )
    pageForm(
      '/admin/documents/outgoing/:id/step',
      async (actor, request, id, body) => {
        await outgoing.act(actor, auditContext(request), id, {
          action: one(body.action),
          note: one(body.note),
          to: one(body.to),
          signerPosition: one(body.signerPosition),
          signerCompetence: one(body.signerCompetence),
        })
        return translator(outgoingMessages, request.lang)('stepDone')
      },
      'note',
    )
    pageForm(
      '/admin/documents/outgoing/:id/issue',
      async (actor, request, id) => {
        const issued = await outgoing.issue(actor, auditContext(request), id)
        return translator(outgoingMessages, request.lang)('issued', {
          code: `${issued.code_number}/${issued.code_notation}`,
        })
      },
      'issue',
    )

    pageForm(
      '/admin/documents/outgoing/:id/recall',
      async (actor, request, id, body) => {
        await outgoing.recall(actor, auditContext(request), id, { reason: one(body.reason) })
        return translator(outgoingMessages, request.lang)('recalled')
      },
      'recall',
    )
    pageForm(
      '/admin/documents/outgoing/:id/update',
      async (actor, request, id, body) => {
        await outgoing.update(actor, auditContext(request), id, {
          summary: one(body.summary),
          content: one(body.content),
          dueOn: one(body.dueOn),
          reason: one(body.reason),
        })
        return translator(outgoingMessages, request.lang)('updated')
      },
      'summary',
    )
    pageForm(
      '/admin/documents/outgoing/:id/resend',
      async (actor, request, id) => {
        const count = await outgoing.resend(actor, auditContext(request), id)
        return translator(outgoingMessages, request.lang)('resent', { count })
      },
      'resend',
    )
    pageForm(
      '/admin/documents/outgoing/:id/recipients/:recipientId/resend',
      async (actor, request, id) => {
        const { recipientId } = request.params as Params & { recipientId: string }
        const { queued, agency } = await outgoing.resendTo(actor, auditContext(request), id, recipientId)
        return translator(outgoingMessages, request.lang)('resentTo', { count: queued, agency })
      },
      'recipient-resend',
    )

    app.get('/admin/documents/outgoing/:id/versions/:version', async (request, reply) => {
      const actor = requireOfficial(request)
      const { id, version } = request.params as Params & { version: string }
      const { file, stream } = await outgoing.openVersion(actor, auditContext(request), id, Number(version))
      return sendFile(reply, file, stream)
    })

    app.get('/admin/documents/outgoing/:id/signed', async (request, reply) => {
      const actor = requireOfficial(request)
      const { file, stream } = await outgoing.openSigned(
        actor,
        auditContext(request),
        (request.params as Params).id,
      )
      return sendFile(reply, file, stream)
    })

    app.get('/admin/documents/outgoing/:id/edxml', async (request, reply) => {
      const actor = requireOfficial(request)
      const kind = one((request.query as Form).kind)
      const { xml, fileName } = await outgoing.edxmlPackage(
        actor,
        auditContext(request),
        (request.params as Params).id,
        kind === 'recall' || kind === 'update' ? kind : '',
      )
      return sendFile(reply, { fileName, mime: 'application/xml; charset=utf-8' }, xml)
    })

    // ---------------------------------------------------------------------------------------------------
    // Outgoing register

    async function renderRegister(
      request: FastifyRequest,
      reply: FastifyReply,
      errors?: FieldErrors,
      status = 200,
    ) {
      const actor = requireOfficial(request)
      const query = request.query as Record<string, string | undefined>
      const ctx = app.pageContext(request, reply)
      const { t, summaryTitle } = texts(ctx)
      const view = await outgoing.outgoingRegister(actor, query)
      const title = `${t('registerTitle')} ${view.year} — ${view.unit.name}`
      return sendPage(
        reply,
        <Layout ctx={ctx} title={title} wide>
          <h1 safe>{title}</h1>
          <ErrorSummary errors={errors} title={summaryTitle} />
          <form method="get" action={outgoingPaths.register} class="filters" novalidate>
            {view.units.length > 1 ? (
              <SelectField
                name="unitId"
                label={t('unit')}
                options={view.units.map((u) => ({ value: u.id, label: u.name }))}
                value={view.unit.id}
              />
            ) : (
              ''
            )}
            <TextField
              name="year"
              label={t('year')}
              value={String(view.year)}
              inputmode="numeric"
              maxlength={4}
            />
            <button type="submit" safe>
              {t('show')}
            </button>
          </form>
          {view.items.length === 0 ? (
            <p class="muted" id="no-results" safe>
              {t('none')}
            </p>
          ) : (
            <table id="register">
              <thead>
                <tr>
                  <th scope="col" safe>
                    {t('registerNumber')}
                  </th>
                  <th scope="col" safe>
                    {t('code')}
                  </th>
                  <th scope="col" safe>
                    {t('issuedOn')}
                  </th>
                  <th scope="col" safe>
                    {t('summary')}
                  </th>
                  <th scope="col" safe>
                    {t('signer')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {view.items.map((o) => (
                  <tr>
                    <td safe>{String(o.number)}</td>
                    <td>
                      <a href={outgoingPaths.document(o.id)} safe>
                        {`${o.code_number}/${o.code_notation}`}
                      </a>
                    </td>
                    <td safe>{dayText(o.issued_on)}</td>
                    <td>
                      <span safe>{o.summary}</span>
                      <br />
                      <span class="muted" safe>
                        {o.type_name}
                      </span>
                    </td>
                    <td safe>{o.signer_name ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {view.next ? (
            <p>
              <a
                href={`${outgoingPaths.register}?${new URLSearchParams({ unitId: view.unit.id, year: String(view.year), before: view.next }).toString()}`}
                rel="next"
                safe
              >
                {t('nextPage')}
              </a>
            </p>
          ) : (
            ''
          )}
          {view.canSetAbbreviation ? (
            <form method="post" action={outgoingPaths.abbreviation} novalidate id="abbreviation-form">
              <CsrfField token={ctx.csrf} />
              <input type="hidden" name="unitId" value={view.unit.id} />
              <TextField
                name="abbreviation"
                label={t('abbreviation')}
                hint={t('abbreviationHint')}
                value={view.abbreviation}
                error={errors?.abbreviation}
                maxlength={20}
              />
              <button type="submit" class="secondary" safe>
                {t('save')}
              </button>
            </form>
          ) : (
            ''
          )}
        </Layout>,
        status,
      )
    }

    app.get(outgoingPaths.register, async (request, reply) => {
      try {
        return await renderRegister(request, reply)
      } catch (error) {
        if (error instanceof ValidationError) {
          ;(request.query as Record<string, string>).year = ''
          return renderRegister(request, reply, error.fields, 422)
        }
        throw error
      }
    })

    app.post(outgoingPaths.abbreviation, async (request, reply) => {
      const actor = requireOfficial(request)
      const body = (request.body ?? {}) as Record<string, string>
      try {
        await outgoing.setAbbreviation(actor, auditContext(request), body)
      } catch (error) {
        if (error instanceof ValidationError) {
          ;(request.query as Record<string, string>).unitId = body.unitId ?? ''
          return renderRegister(request, reply, error.fields, 422)
        }
        throw error
      }
      return redirectWithFlash(
        reply,
        `${outgoingPaths.register}?unitId=${encodeURIComponent(body.unitId ?? '')}`,
        translator(outgoingMessages, request.lang)('abbreviationSaved'),
      )
    })

    // ---------------------------------------------------------------------------------------------------
    // Refusing a received document (status 02)

    async function renderRefuse(
      request: FastifyRequest,
      reply: FastifyReply,
      id: string,
      errors?: FieldErrors,
      status = 200,
      reason = '',
    ) {
      requireOfficial(request)
      const ctx = app.pageContext(request, reply)
      const { t, summaryTitle } = texts(ctx)
      return sendPage(
        reply,
        <Layout ctx={ctx} title={t('refuseTitle')}>
          <h1 safe>{t('refuseTitle')}</h1>
          <p class="hint" safe>
            {t('refuseHint')}
          </p>
          <ErrorSummary errors={errors} title={summaryTitle} />
          <form method="post" action={outgoingPaths.refuse(id)} novalidate id="refuse-form">
            <CsrfField token={ctx.csrf} />
            <TextArea
              name="reason"
              label={t('reason')}
              value={reason}
              error={errors?.reason}
              maxlength={2000}
              required
            />
            <button type="submit" class="danger" safe>
              {t('refuse')}
            </button>
          </form>
          <p>
            <a href={documentPaths.document(id)} safe>
              {t('back')}
            </a>
          </p>
        </Layout>,
        status,
      )
    }

    app.get('/admin/documents/:id/refuse', async (request, reply) => {
      const actor = requireOfficial(request)
      authorize(actor, Permission.documentsRegister)
      return renderRefuse(request, reply, (request.params as Params).id)
    })

    app.post('/admin/documents/:id/refuse', async (request, reply) => {
      const actor = requireOfficial(request)
      const { id } = request.params as Params
      const body = (request.body ?? {}) as Record<string, string>
      try {
        await outgoing.refuse(actor, auditContext(request), id, body)
      } catch (error) {
        if (error instanceof ValidationError)
          return renderRefuse(request, reply, id, error.fields, 422, body.reason)
        if (error instanceof AppError && error.statusCode === 409)
          return renderRefuse(request, reply, id, { reason: error.message }, 409, body.reason)
        throw error
      }
      return redirectWithFlash(
        reply,
        documentPaths.document(id),
        translator(outgoingMessages, request.lang)('refused'),
      )
    })
  }
}
